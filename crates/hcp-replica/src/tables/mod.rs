//! One module per replica table: its DDL beside its writes.

pub mod agg_case_staff;
pub mod agg_case_units;
pub mod agg_rating_channels;
pub mod agg_rating_staff;
pub mod agg_rating_units;
pub mod agg_totals;
pub mod attachments;
pub mod awards;
pub mod case_events;
pub mod case_text;
pub mod cases;
pub mod integrity_flags;
pub mod meta;
pub mod notices;
pub mod notifications;
pub mod org_units;
pub mod outbox;
pub mod rating_stats;
pub mod ratings;
pub mod self_assessments;
pub mod service_items;
pub mod settings;
pub mod staff;
pub mod users;

/// Whether the table `name` exists yet (migrations before it may run code that reads it).
pub(crate) fn table_exists(conn: &rusqlite::Connection, name: &str) -> crate::Result<bool> {
    let n: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |r| r.get(0))?;
    Ok(n > 0)
}
