//! `ratings`: every evaluation received, never edited. The evaluator's identity columns are
//! personal data: they stay on the server and are never part of the snapshot or the change feed.

use super::{args, Conn, DbResult};
use hcp_protocol::RatingRow;
use hcp_protocol::{ChangeOp, Entity};

pub use hcp_store::entities::rating::SERVER_DDL as DDL;

/// Ratings by time: a replication window's ratings and a month's roll-up read a range of them.
pub const RATED_AT_DDL: &str = "
CREATE INDEX ratings_rated_at ON ratings(rated_at);
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

/// Stores a new rating and records its change; returns its id.
pub fn insert(conn: &Conn<'_>, r: &RatingRow, who: &Evaluator, received_at: &str) -> DbResult<i64> {
    let id = conn.insert(
        &format!("INSERT INTO ratings ({INSERT_COLS}) VALUES {} RETURNING id", super::sql::marks(1, INSERT_WIDTH)),
        insert_values(r, who, received_at),
    )?;
    super::changes::record(conn, Entity::Rating, id, &r.unit_path, ChangeOp::Upsert, received_at)?;
    super::rating_stats::ratings_changed(conn, &[(r.rated_at.clone(), r.unit_id)], received_at)?;
    Ok(id)
}

/// A rating's natural key: (source, service record number, rating count).
pub type Key = (String, String, i64);

/// Inserts many new ratings with multi-row statements and records their changes in the order
/// given; returns each one's id by its natural key. The keys must be new and distinct (see
/// [`find_many`]).
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
    let mut changed = Vec::with_capacity(rows.len());
    for (r, _) in rows {
        let key = (r.source.clone(), r.service_record_no.clone(), r.rating_count);
        let id = *ids.get(&key).ok_or_else(|| super::DbError::Corrupt("a rating's id was not returned".into()))?;
        changed.push((id, r.unit_path.as_str()));
    }
    super::changes::record_many(conn, Entity::Rating, &changed, ChangeOp::Upsert, received_at)?;
    // A late rating joins its closed month's statistics.
    let rated: Vec<(String, i64)> = rows.iter().map(|(r, _)| (r.rated_at.clone(), r.unit_id)).collect();
    super::rating_stats::ratings_changed(conn, &rated, received_at)?;
    Ok(ids)
}

/// The ids of the ratings already received among these natural keys.
///
/// The keys are joined as a `VALUES` list, so each one is an equality on the whole unique key on
/// both engines. (An `OR` of one `(source = … AND service_record_no = … AND rating_count = …)`
/// per key, the form used before, let PostgreSQL factor the source and count shared by every key
/// out of the `OR` and scan every rating of that source in the index, filtering the record
/// numbers: ≈ 20 ms per chunk of 64 after 40,000 ratings of one channel, under the write lock.)
pub fn find_many(conn: &Conn<'_>, keys: &[Key]) -> DbResult<std::collections::HashMap<Key, i64>> {
    let mut found = std::collections::HashMap::new();
    for chunk in super::sql::chunks(keys) {
        conn.each(&find_many_sql(chunk.len()), key_values(chunk), |row| {
            found.insert((row.get(1)?, row.get(2)?, row.get(3)?), row.get(0)?);
            Ok(())
        })?;
    }
    Ok(found)
}

/// The statement of [`find_many`] for `n` keys (`?1, ?2, ?3` the first key's columns, …).
fn find_many_sql(n: usize) -> String {
    let rows: Vec<String> =
        (0..n).map(|i| format!("(?{}, ?{}, CAST(?{} AS BIGINT))", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
    format!(
        "SELECT r.id, r.source, r.service_record_no, r.rating_count FROM (VALUES {}) AS k
           JOIN ratings r ON r.source = k.column1 AND r.service_record_no = k.column2 AND r.rating_count = k.column3",
        rows.join(", ")
    )
}

fn key_values(keys: &[Key]) -> Vec<super::Value> {
    keys.iter().flat_map(|(s, n, c)| args![s, n, *c]).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{org_units, Dialect};
    use crate::testing::{Backend, TestDb};
    use hcp_domain::OrgKind;

    fn new_rating(unit: &hcp_protocol::OrgUnitRow, source: &str, no: &str, count: i64) -> RatingRow {
        RatingRow {
            id: 0,
            source: source.into(),
            service_record_no: no.into(),
            rating_count: count,
            unit_id: unit.id,
            unit_path: unit.path.clone(),
            department_id: None,
            window_id: None,
            staff_id: None,
            item_code: "X-1".into(),
            item_name: "居民身份证换领".into(),
            channel: 1,
            level: hcp_domain::Level::VerySatisfied,
            content_codes: vec![],
            comment: String::new(),
            evaluator_masked: "匿名用户".into(),
            real_name: false,
            rated_at: "2026-11-20T01:30:00Z".into(),
        }
    }

    /// Stores `n` ratings of one source (record numbers `{prefix}-0` …) in the hall `unit`.
    fn store_many(
        conn: &Conn<'_>,
        unit: &hcp_protocol::OrgUnitRow,
        source: &str,
        prefix: &str,
        n: usize,
    ) -> DbResult<()> {
        let rows: Vec<RatingRow> = (0..n).map(|i| new_rating(unit, source, &format!("{prefix}-{i}"), 1)).collect();
        let who = Evaluator::default();
        let refs: Vec<(&RatingRow, &Evaluator)> = rows.iter().map(|r| (r, &who)).collect();
        insert_many(conn, &refs, "2026-11-20T01:31:00Z")?;
        Ok(())
    }

    fn hall(conn: &Conn<'_>) -> DbResult<hcp_protocol::OrgUnitRow> {
        let city = org_units::insert(conn, None, OrgKind::City, "测试市", "T00", "2026-11-20T00:00:00Z")?;
        org_units::insert(conn, Some(&city), OrgKind::Hall, "测试大厅", "T01", "2026-11-20T00:00:00Z")
    }

    fn finds_stored_keys_only(backend: Backend) {
        let Some(store) = TestDb::new(backend) else { return };
        store
            .db
            .write_blocking(|c| {
                let unit = hall(c)?;
                store_many(c, &unit, "qr", "A", 150)?;
                c.execute(
                    &format!(
                        "INSERT INTO ratings ({INSERT_COLS}) VALUES {}",
                        super::super::sql::marks(1, INSERT_WIDTH)
                    ),
                    insert_values(&new_rating(&unit, "qr", "A-3", 2), &Evaluator::default(), "2026-11-20T01:31:00Z"),
                )?;
                let ids: std::collections::HashMap<String, i64> = c
                    .query_map("SELECT service_record_no, id FROM ratings WHERE rating_count = 1", (), |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .into_iter()
                    .collect();
                // 150 stored keys among 230 asked (several chunks), one asked twice, others differing
                // in one column only.
                let mut keys: Vec<Key> = (0..200).map(|i| ("qr".to_owned(), format!("A-{i}"), 1)).collect();
                keys.push(("qr".into(), "A-7".into(), 1));
                keys.push(("app".into(), "A-8".into(), 1));
                keys.push(("qr".into(), "A-9".into(), 2));
                keys.push(("qr".into(), "A-3".into(), 2));
                keys.extend((0..26).map(|i| ("sms".to_owned(), format!("B-{i}"), 1)));
                let found = find_many(c, &keys)?;
                assert_eq!(found.len(), 151, "150 first ratings and the one follow-up stored");
                for i in 0..150 {
                    assert_eq!(found.get(&("qr".into(), format!("A-{i}"), 1)), ids.get(&format!("A-{i}")));
                }
                assert!(found.contains_key(&("qr".into(), "A-3".into(), 2)));
                assert!(!found.contains_key(&("app".into(), "A-8".into(), 1)));
                assert!(!found.contains_key(&("qr".into(), "A-9".into(), 2)));
                assert!(find_many(c, &[])?.is_empty());
                Ok(())
            })
            .expect("find_many");
    }

    #[test]
    fn the_duplicate_lookup_finds_exactly_the_stored_keys_on_sqlite() {
        finds_stored_keys_only(Backend::Sqlite);
    }

    #[test]
    fn the_duplicate_lookup_finds_exactly_the_stored_keys_on_postgres() {
        finds_stored_keys_only(Backend::Postgres);
    }

    /// The plan the engine picks for a chunk of keys that share their source and count (what one
    /// channel's batch looks like) must look each key up by the whole unique key, also when the
    /// statistics predate that source: never scan every rating of the source.
    fn seeks_the_whole_key(backend: Backend) {
        let Some(store) = TestDb::new(backend) else { return };
        let unit = store
            .db
            .write_blocking(|c| {
                let unit = hall(c)?;
                store_many(c, &unit, "window", "W", 2_000)?;
                Ok(unit)
            })
            .expect("setup");
        if store.db.dialect() == Dialect::Postgres {
            store.db.write_blocking(|c| c.batch("ANALYZE ratings")).expect("analyze");
        }
        // Enough rows that reading them all costs more than 64 seeks, so the plan is the one a large
        // table gets.
        store.db.write_blocking(|c| store_many(c, &unit, "bench", "N", 40_000)).expect("more ratings");
        let keys: Vec<Key> = (0..64).map(|i| ("bench".to_owned(), format!("N-{}", i * 600), 1)).collect();
        let plan: Vec<String> = store
            .db
            .read_blocking(move |c| {
                let explain = match c.dialect() {
                    Dialect::Postgres => "EXPLAIN ",
                    Dialect::Sqlite => "EXPLAIN QUERY PLAN ",
                };
                let col = if c.dialect() == Dialect::Postgres { 0 } else { 3 };
                c.query_map(&format!("{explain}{}", find_many_sql(keys.len())), key_values(&keys), |r| r.get(col))
            })
            .expect("plan");
        let plan = plan.join("\n");
        match store.db.dialect() {
            Dialect::Postgres => {
                let cond = plan.lines().find(|l| l.contains("Index Cond")).unwrap_or_default();
                assert!(
                    cond.contains("source =")
                        && cond.contains("service_record_no =")
                        && cond.contains("rating_count ="),
                    "{plan}"
                );
                assert!(!plan.contains("Filter") && !plan.contains("Seq Scan on ratings"), "{plan}");
            }
            Dialect::Sqlite => {
                assert!(plan.contains("source=? AND service_record_no=? AND rating_count=?"), "{plan}");
            }
        }
    }

    #[test]
    fn the_duplicate_lookup_seeks_the_whole_key_on_sqlite() {
        seeks_the_whole_key(Backend::Sqlite);
    }

    #[test]
    fn the_duplicate_lookup_seeks_the_whole_key_on_postgres() {
        seeks_the_whole_key(Backend::Postgres);
    }
}
