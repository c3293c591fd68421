//! `citations`: which files a queued command cites. Written before the command is queued in the
//! replica, so a command never waits in the outbox without them; the sync sends a command only
//! once every file it cites is declared on the server.

use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE citations (
    command_id TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    case_id    INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (command_id, sha256)
);
";

pub fn insert(conn: &Connection, command_id: &str, case_id: i64, shas: &[String]) -> Result<()> {
    let mut stmt = conn
        .prepare_cached("INSERT OR IGNORE INTO citations (command_id, sha256, case_id, seq) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, sha) in shas.iter().enumerate() {
        stmt.execute(params![command_id, sha, case_id, i as i64])?;
    }
    Ok(())
}

/// The files a command cites, in the order given.
pub fn of_command(conn: &Connection, command_id: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached("SELECT sha256, case_id FROM citations WHERE command_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([command_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Forgets the citations of commands that left the outbox.
pub fn retain(conn: &Connection, keep: &dyn Fn(&str) -> bool) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT DISTINCT command_id FROM citations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut del = conn.prepare_cached("DELETE FROM citations WHERE command_id = ?1")?;
    for id in ids.iter().filter(|id| !keep(id)) {
        del.execute([id])?;
    }
    Ok(())
}
