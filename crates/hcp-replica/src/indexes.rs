//! Secondary indexes set aside while a snapshot loads.
//!
//! Filling an index row by row during a bulk load is a random B-tree insert per row (a city's
//! million ratings and hundred thousand cases feed more than a dozen indexes); `CREATE INDEX` over
//! the loaded table sorts once and writes the pages in order. So a bootstrap drops the secondary
//! indexes of the mirrored tables ([`park`]) and builds them again before its statistics
//! ([`restore`]). Their definitions are kept in `meta` in the same transaction as the drop, so
//! they survive an interrupted bootstrap: opening the replica restores whatever is still parked
//! (a resumed bootstrap parks them again). Uniqueness constraints (SQLite's automatic indexes) are
//! never parked.

use rusqlite::Connection;

use crate::tables::meta;
use crate::{ReplicaError, Result};

/// `meta` key: JSON list of `[name, sql]` of the indexes parked by an unfinished bootstrap.
pub const PARKED: &str = "bootstrap_parked_indexes";

fn parked(conn: &Connection) -> Result<Vec<(String, String)>> {
    match meta::get(conn, PARKED)? {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| ReplicaError::Corrupt(format!("the parked index list is unreadable: {e}"))),
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops the secondary indexes of `tables` and records their definitions (added to any still
/// parked). Returns how many were dropped now. Runs inside the caller's transaction.
pub fn park(conn: &Connection, tables: &[&str]) -> Result<usize> {
    let mut list = parked(conn)?;
    let present: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT name, sql FROM sqlite_master
              WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({}) ORDER BY name",
            tables.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, sql) in &present {
        conn.execute(&format!("DROP INDEX {}", quoted(name)), [])?;
        if !list.iter().any(|(n, _)| n == name) {
            list.push((name.clone(), sql.clone()));
        }
    }
    if !list.is_empty() {
        let json = serde_json::to_string(&list).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
        meta::set(conn, PARKED, &json)?;
    }
    Ok(present.len())
}

/// Builds every parked index again (skipping any that exists) and forgets the list. Returns how
/// many were built. Runs inside the caller's transaction, or on its own when it has none.
pub fn restore(conn: &Connection) -> Result<usize> {
    let list = parked(conn)?;
    if list.is_empty() {
        return Ok(0);
    }
    let mut built = 0;
    for (name, sql) in &list {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute(sql, [])?;
            built += 1;
        }
    }
    meta::delete(conn, PARKED)?;
    Ok(built)
}

/// Whether indexes are parked (an unfinished bootstrap).
pub fn any_parked(conn: &Connection) -> Result<bool> {
    Ok(meta::get(conn, PARKED)?.is_some())
}
