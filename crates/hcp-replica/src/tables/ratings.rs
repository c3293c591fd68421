//! `ratings`: every rating in the jurisdiction, with the evaluator masked (the server never sends
//! the identity in bulk).

use rusqlite::Connection;

use crate::Result;

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::rating::replica_ddl as ddl;

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
