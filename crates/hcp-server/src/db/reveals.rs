//! `reveals`: every time someone looked at an evaluator's identity, with why. Append-only.

use rusqlite::{params, Connection};

use super::DbResult;

pub const DDL: &str = "
CREATE TABLE reveals (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id),
    rating_id INTEGER NOT NULL REFERENCES ratings(id),
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX reveals_rating ON reveals(rating_id);
CREATE TRIGGER reveals_no_update BEFORE UPDATE ON reveals BEGIN SELECT RAISE(ABORT, 'reveals is append-only'); END;
CREATE TRIGGER reveals_no_delete BEFORE DELETE ON reveals BEGIN SELECT RAISE(ABORT, 'reveals is append-only'); END;
";

pub fn record(conn: &Connection, user_id: i64, rating_id: i64, reason: &str, at: &str) -> DbResult<i64> {
    conn.execute(
        "INSERT INTO reveals (user_id, rating_id, reason, at) VALUES (?1, ?2, ?3, ?4)",
        params![user_id, rating_id, reason, at],
    )?;
    Ok(conn.last_insert_rowid())
}
