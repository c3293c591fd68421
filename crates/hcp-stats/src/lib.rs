//! The facts the statistics are computed from, read from an SQLite database with the `ratings`,
//! `cases` and `case_events` tables: the central server's and the desktop replica's have the same
//! shape, so the published figures and the dashboard's come from the same facts and the same maths
//! (`hcp_domain::kpi`).
//!
//! Exclusions come from the cases' aggregates (malicious/mistaken reviews, overturned appeals);
//! handling and return visits from the case events. Every query takes a jurisdiction (a unit path).

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::kpi::{CaseFact, RatingFact};
use hcp_domain::Level;
use rusqlite::Connection;

/// A fact that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt fact: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StatsError>;

/// The exclusive upper bound of the unit paths under `scope`.
fn upper(scope: &str) -> String {
    format!("{scope}~")
}

fn time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StatsError::Corrupt(format!("time '{s}': {e}")))
}

/// Every rating under `scope`, with `excluded` set when its case left the statistics.
pub fn rating_facts(conn: &Connection, scope: &str) -> Result<Vec<RatingFact>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.unit_id, r.staff_id, r.rated_at, r.level, r.real_name,
                EXISTS (SELECT 1 FROM cases c WHERE c.rating_id = r.id
                         AND json_extract(c.aggregate, '$.excluded_from_stats') = 1)
           FROM ratings r WHERE r.unit_path >= ?1 AND r.unit_path < ?2",
    )?;
    let mut rows = stmt.query([scope.to_owned(), upper(scope)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let at: String = r.get(3)?;
        let level: String = r.get(4)?;
        out.push(RatingFact {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            staff_id: r.get(2)?,
            rated_at: time(&at)?,
            level: Level::parse(&level).map_err(|e| StatsError::Corrupt(e.to_string()))?,
            real_name: r.get(5)?,
            excluded: r.get(6)?,
        });
    }
    Ok(out)
}

/// Every case under `scope` as the statistics see it.
pub fn case_facts(conn: &Connection, scope: &str) -> Result<Vec<CaseFact>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.unit_id, c.staff_id, c.rating_id, c.created_at, c.deadline, c.state,
                coalesce(json_extract(c.aggregate, '$.real_name'), 0),
                coalesce(json_extract(c.aggregate, '$.excluded_from_stats'), 0),
                (SELECT max(e.at) FROM case_events e WHERE e.case_id = c.id
                   AND e.kind IN ('rectification_reported', 'resolved_on_spot')),
                (SELECT json_extract(e.data, '$.payload.satisfied') FROM case_events e
                  WHERE e.case_id = c.id AND e.kind = 'return_visited' ORDER BY e.at DESC, e.id DESC LIMIT 1)
           FROM cases c WHERE c.unit_path >= ?1 AND c.unit_path < ?2",
    )?;
    let mut rows = stmt.query([scope.to_owned(), upper(scope)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let created: String = r.get(4)?;
        let deadline: Option<String> = r.get(5)?;
        let state: String = r.get(6)?;
        let handled: Option<String> = r.get(9)?;
        let handled_at = handled.as_deref().map(time).transpose()?;
        out.push(CaseFact {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            staff_id: r.get(2)?,
            rating_id: r.get(3)?,
            created_at: time(&created)?,
            due_date: deadline.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            handled_at,
            closed: state == "closed",
            rectified: state == "closed" && handled_at.is_some(),
            return_visit: r.get::<_, Option<bool>>(10)?,
            real_name: r.get(7)?,
            excluded: r.get(8)?,
        });
    }
    Ok(out)
}

/// Ratings per channel code under `scope` whose time falls in `[from, to)` (RFC 3339 strings).
pub fn channel_counts(conn: &Connection, scope: &str, from: &str, to: &str) -> Result<Vec<(u8, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT channel, count(*) FROM ratings
          WHERE rated_at >= ?1 AND rated_at < ?2 AND unit_path >= ?3 AND unit_path < ?4
          GROUP BY channel ORDER BY channel",
    )?;
    let rows = stmt
        .query_map([from.to_owned(), to.to_owned(), scope.to_owned(), upper(scope)], |r| {
            Ok((r.get::<_, u8>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The names of the halls (ratings and cases count for their hall).
pub fn unit_names(conn: &Connection) -> Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT id, name FROM org_units WHERE kind = 'hall' ORDER BY path")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
