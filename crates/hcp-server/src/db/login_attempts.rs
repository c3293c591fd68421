//! `login_attempts`: sign-in attempts per user name, for throttling. Kept in the database (not in
//! memory) so every server instance sharing the database enforces the same limit.
//!
//! An attempt is reserved (`pending`) before the password is checked, in the same transaction as
//! the count, so parallel guesses cannot all pass the check; it becomes `failed` on a wrong
//! password and is deleted on success. A pending reservation whose request was abandoned (the
//! client hung up mid-check) stops counting after [`PENDING_TTL_SECS`].

use rusqlite::{params, Connection};

use super::DbResult;

pub const DDL: &str = "
CREATE TABLE login_attempts (
    username TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts(username, at);
";

/// Adds the outcome column (attempts recorded before it existed were failures).
pub const OUTCOME_DDL: &str = "ALTER TABLE login_attempts ADD COLUMN outcome TEXT NOT NULL DEFAULT 'failed';";

/// Seconds a pending reservation counts.
pub const PENDING_TTL_SECS: i64 = 30;

/// Attempts that count against `username`: failures since `since`, and reservations since
/// `pending_since` (both RFC 3339, UTC).
pub fn counted(conn: &Connection, username: &str, since: &str, pending_since: &str) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM login_attempts WHERE username = ?1
            AND ((outcome = 'failed' AND at >= ?2) OR (outcome = 'pending' AND at >= ?3))",
        params![username, since, pending_since],
        |r| r.get(0),
    )?)
}

/// Reserves an attempt; returns its row id.
pub fn reserve(conn: &Connection, username: &str, at: &str) -> DbResult<i64> {
    conn.execute(
        "INSERT INTO login_attempts (username, at, outcome) VALUES (?1, ?2, 'pending')",
        params![username, at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The reserved attempt failed (wrong password or unknown user).
pub fn fail(conn: &Connection, rowid: i64) -> DbResult<()> {
    conn.execute("UPDATE login_attempts SET outcome = 'failed' WHERE rowid = ?1", [rowid])?;
    Ok(())
}

/// A successful sign-in clears the user's attempts; old rows of everyone are pruned.
pub fn clear(conn: &Connection, username: &str, older_than: &str) -> DbResult<()> {
    conn.execute("DELETE FROM login_attempts WHERE username = ?1 OR at < ?2", params![username, older_than])?;
    Ok(())
}
