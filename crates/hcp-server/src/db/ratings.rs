//! `ratings`: every evaluation received, never edited. The evaluator's identity columns are
//! personal data: they stay on the server and are never part of the snapshot or the change feed.

use super::{args, parse_col, Conn, DbResult, Row};
use hcp_domain::Level;
use hcp_protocol::RatingRow;

pub const DDL: &str = "
CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    service_record_no TEXT NOT NULL,
    rating_count      INTEGER NOT NULL,
    unit_id           INTEGER NOT NULL REFERENCES org_units(id),
    unit_path         TEXT NOT NULL,
    department_id     INTEGER REFERENCES org_units(id),
    window_id         INTEGER REFERENCES org_units(id),
    staff_id          INTEGER REFERENCES staff(id),
    item_code         TEXT NOT NULL,
    item_name         TEXT NOT NULL,
    channel           INTEGER NOT NULL,
    level             TEXT NOT NULL,
    content_codes     TEXT NOT NULL,
    comment           TEXT NOT NULL,
    evaluator_masked  TEXT NOT NULL,
    evaluator_name    TEXT,
    evaluator_phone   TEXT,
    evaluator_cert    TEXT,
    real_name         INTEGER NOT NULL,
    rated_at          TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    UNIQUE (source, service_record_no, rating_count)
);
CREATE INDEX ratings_path ON ratings(unit_path);
";

/// The evaluator's identity: personal data kept on the server only.
#[derive(Debug, Clone, Default)]
pub struct Evaluator {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub cert: Option<String>,
    /// The rating device (评价器) the rating was given on: evidence for the integrity checks.
    pub device_id: Option<String>,
}

const COLS: &str = "id, source, service_record_no, rating_count, unit_id, unit_path, department_id, window_id,
    staff_id, item_code, item_name, channel, level, content_codes, comment, evaluator_masked, real_name, rated_at";

fn from_row(r: &Row) -> DbResult<RatingRow> {
    let level: String = r.get(12)?;
    let codes: String = r.get(13)?;
    Ok(RatingRow {
        id: r.get(0)?,
        source: r.get(1)?,
        service_record_no: r.get(2)?,
        rating_count: r.get(3)?,
        unit_id: r.get(4)?,
        unit_path: r.get(5)?,
        department_id: r.get(6)?,
        window_id: r.get(7)?,
        staff_id: r.get(8)?,
        item_code: r.get(9)?,
        item_name: r.get(10)?,
        channel: r.get(11)?,
        level: parse_col(&level, "ratings.level", |s| Level::parse(s).ok())?,
        content_codes: codes.split(',').filter_map(|c| c.trim().parse().ok()).collect(),
        comment: r.get(14)?,
        evaluator_masked: r.get(15)?,
        real_name: r.get(16)?,
        rated_at: r.get(17)?,
    })
}

/// The columns a new rating is written with, in the order of [`INSERT_COLS`].
const INSERT_COLS: &str = "source, service_record_no, rating_count, unit_id, unit_path, department_id, window_id,
    staff_id, item_code, item_name, channel, level, content_codes, comment, evaluator_masked,
    evaluator_name, evaluator_phone, evaluator_cert, real_name, rated_at, received_at, device_id";
const INSERT_WIDTH: usize = 22;

/// One new rating's values for [`INSERT_COLS`].
fn insert_values(r: &RatingRow, who: &Evaluator, received_at: &str) -> Vec<super::Value> {
    let codes: Vec<String> = r.content_codes.iter().map(|c| c.to_string()).collect();
    args![
        &r.source,
        &r.service_record_no,
        r.rating_count,
        r.unit_id,
        &r.unit_path,
        r.department_id,
        r.window_id,
        r.staff_id,
        &r.item_code,
        &r.item_name,
        r.channel,
        r.level.as_str(),
        codes.join(","),
        &r.comment,
        &r.evaluator_masked,
        &who.name,
        &who.phone,
        &who.cert,
        r.real_name,
        &r.rated_at,
        received_at,
        &who.device_id,
    ]
}

pub fn insert(conn: &Conn<'_>, r: &RatingRow, who: &Evaluator, received_at: &str) -> DbResult<i64> {
    conn.insert(
        &format!("INSERT INTO ratings ({INSERT_COLS}) VALUES {} RETURNING id", super::sql::marks(1, INSERT_WIDTH)),
        insert_values(r, who, received_at),
    )
}

/// A rating's natural key: (source, service record number, rating count).
pub type Key = (String, String, i64);

/// Inserts many new ratings with multi-row statements; returns each one's id by its natural key.
/// The keys must be new and distinct (see [`find_many`]).
pub fn insert_many(
    conn: &Conn<'_>,
    rows: &[(&RatingRow, &Evaluator)],
    received_at: &str,
) -> DbResult<std::collections::HashMap<Key, i64>> {
    let mut ids = std::collections::HashMap::with_capacity(rows.len());
    for chunk in super::sql::chunks(rows) {
        let sql = format!(
            "INSERT INTO ratings ({INSERT_COLS}) VALUES {} RETURNING id, source, service_record_no, rating_count",
            super::sql::marks(chunk.len(), INSERT_WIDTH)
        );
        let mut values = Vec::with_capacity(chunk.len() * INSERT_WIDTH);
        for (r, who) in chunk {
            values.extend(insert_values(r, who, received_at));
        }
        conn.each(&sql, values, |row| {
            ids.insert((row.get(1)?, row.get(2)?, row.get(3)?), row.get(0)?);
            Ok(())
        })?;
    }
    if ids.len() != rows.len() {
        return Err(super::DbError::Corrupt(format!("{} ratings inserted, {} ids returned", rows.len(), ids.len())));
    }
    Ok(ids)
}

/// The ids of the ratings already received among these natural keys.
pub fn find_many(conn: &Conn<'_>, keys: &[Key]) -> DbResult<std::collections::HashMap<Key, i64>> {
    let mut found = std::collections::HashMap::new();
    for chunk in super::sql::chunks(keys) {
        // One equality per key (the unique index answers each), typed by the columns on both engines.
        let terms: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(source = ?{} AND service_record_no = ?{} AND rating_count = ?{})",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                )
            })
            .collect();
        let sql =
            format!("SELECT id, source, service_record_no, rating_count FROM ratings WHERE {}", terms.join(" OR "));
        let values: Vec<super::Value> = chunk.iter().flat_map(|(s, n, c)| args![s, n, *c]).collect();
        conn.each(&sql, values, |row| {
            found.insert((row.get(1)?, row.get(2)?, row.get(3)?), row.get(0)?);
            Ok(())
        })?;
    }
    Ok(found)
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<RatingRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM ratings WHERE id = ?1"), [id], from_row)
}

/// The rows in scope with an id above `after` (0: all of them), by id: a snapshot, or the rest of
/// an interrupted one. `dense` (most of the table is in scope, see
/// [`super::changes::dense_in_scope`]) reads the table in id order instead of the path index.
pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    dense: bool,
    f: impl FnMut(RatingRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM ratings WHERE {} AND id > ?3 ORDER BY id", super::changes::path_range(dense)),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}

/// The id of the rating with this natural key, if it was received before.
pub fn find(conn: &Conn<'_>, source: &str, record_no: &str, count: i64) -> DbResult<Option<i64>> {
    conn.query_opt(
        "SELECT id FROM ratings WHERE source = ?1 AND service_record_no = ?2 AND rating_count = ?3",
        args![source, record_no, count],
        |r| r.get(0),
    )
}

/// The evaluator's identity and the rating's unit path (for the scope check).
pub fn evaluator(conn: &Conn<'_>, id: i64) -> DbResult<Option<(String, Evaluator, bool)>> {
    conn.query_opt(
        "SELECT unit_path, evaluator_name, evaluator_phone, evaluator_cert, real_name FROM ratings WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                Evaluator { name: r.get(1)?, phone: r.get(2)?, cert: r.get(3)?, device_id: None },
                r.get(4)?,
            ))
        },
    )
}
