//! `tokens`: bearer tokens, stored only as SHA-256 hashes so a database leak reveals no session.

use super::{args, Conn, DbResult};

pub const DDL: &str = "
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    client_id  TEXT,
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX tokens_user ON tokens(user_id);
";

pub fn insert(
    conn: &Conn<'_>,
    hash: &str,
    user_id: i64,
    client_id: Option<&str>,
    issued_at: &str,
    expires_at: &str,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO tokens (token_hash, user_id, client_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![hash, user_id, client_id, issued_at, expires_at],
    )?;
    Ok(())
}

pub fn revoke(conn: &Conn<'_>, hash: &str, now: &str) -> DbResult<bool> {
    let n =
        conn.execute("UPDATE tokens SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL", [hash, now])?;
    Ok(n > 0)
}

/// Ends every session of a user but the one with `keep` (its own password changed by the user).
pub fn revoke_others(conn: &Conn<'_>, user_id: i64, keep: &str, now: &str) -> DbResult<u64> {
    conn.execute(
        "UPDATE tokens SET revoked_at = ?3 WHERE user_id = ?1 AND token_hash <> ?2 AND revoked_at IS NULL",
        args![user_id, keep, now],
    )
}

/// Ends every session of a user (role, unit or password changed, or account deactivated).
pub fn revoke_all(conn: &Conn<'_>, user_id: i64, now: &str) -> DbResult<u64> {
    conn.execute("UPDATE tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL", args![user_id, now])
}
