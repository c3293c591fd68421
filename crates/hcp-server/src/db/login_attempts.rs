//! `login_attempts`: failed sign-ins per user name, for throttling. Kept in the database (not in
//! memory) so every server instance sharing the database enforces the same limit.

use rusqlite::{params, Connection};

use super::DbResult;

pub const DDL: &str = "
CREATE TABLE login_attempts (
    username TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts(username, at);
";

/// Failed attempts for `username` at or after `since` (RFC 3339, UTC).
pub fn failures_since(conn: &Connection, username: &str, since: &str) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM login_attempts WHERE username = ?1 AND at >= ?2",
        params![username, since],
        |r| r.get(0),
    )?)
}

pub fn record_failure(conn: &Connection, username: &str, at: &str) -> DbResult<()> {
    conn.execute("INSERT INTO login_attempts (username, at) VALUES (?1, ?2)", params![username, at])?;
    Ok(())
}

/// A successful sign-in clears the user's failures; old rows of everyone are pruned.
pub fn clear(conn: &Connection, username: &str, older_than: &str) -> DbResult<()> {
    conn.execute("DELETE FROM login_attempts WHERE username = ?1 OR at < ?2", params![username, older_than])?;
    Ok(())
}
