//! `ratings`: every rating in the jurisdiction, with the evaluator masked (the server never sends
//! the identity in bulk).

use hcp_protocol::RatingRow;
use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    service_record_no TEXT NOT NULL,
    rating_count      INTEGER NOT NULL,
    unit_id           INTEGER NOT NULL,
    unit_path         TEXT NOT NULL,
    department_id     INTEGER,
    window_id         INTEGER,
    staff_id          INTEGER,
    item_code         TEXT NOT NULL,
    item_name         TEXT NOT NULL,
    channel           INTEGER NOT NULL,
    level             TEXT NOT NULL,
    content_codes     TEXT NOT NULL,
    comment           TEXT NOT NULL,
    evaluator_masked  TEXT NOT NULL,
    real_name         INTEGER NOT NULL,
    rated_at          TEXT NOT NULL
);
CREATE INDEX ratings_unit_time ON ratings(unit_id, rated_at);
";

pub fn upsert(conn: &Connection, r: &RatingRow) -> Result<()> {
    let codes: Vec<String> = r.content_codes.iter().map(u16::to_string).collect();
    conn.prepare_cached(
        "INSERT OR REPLACE INTO ratings (id, source, service_record_no, rating_count, unit_id, unit_path, department_id,
            window_id, staff_id, item_code, item_name, channel, level, content_codes, comment, evaluator_masked,
            real_name, rated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        r.id,
        r.source,
        r.service_record_no,
        r.rating_count,
        r.unit_id,
        r.unit_path,
        r.department_id,
        r.window_id,
        r.staff_id,
        r.item_code,
        r.item_name,
        r.channel,
        r.level.as_str(),
        codes.join(","),
        r.comment,
        r.evaluator_masked,
        r.real_name,
        r.rated_at,
    ])?;
    Ok(())
}

/// The rating behind a case, as the case page shows it (the evaluator masked).
pub fn summary(conn: &Connection, id: i64) -> Result<Option<crate::RatingSummary>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT evaluator_masked, real_name, comment, rated_at, channel, content_codes FROM ratings WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let codes: String = r.get(5)?;
            let content_codes: Vec<u16> = codes.split(',').filter_map(|c| c.trim().parse().ok()).collect();
            Ok(crate::RatingSummary {
                rating_id: id,
                evaluator_masked: r.get(0)?,
                real_name: r.get(1)?,
                comment: r.get(2)?,
                rated_at: r.get(3)?,
                channel: r.get(4)?,
                content_code_meanings: content_codes.iter().map(|c| crate::ContentCodeMeaning::of(*c)).collect(),
                content_codes,
            })
        })
        .optional()?)
}

/// The service record number (办件编号) a rating is about.
pub fn service_record_no(conn: &Connection, id: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT service_record_no FROM ratings WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}
