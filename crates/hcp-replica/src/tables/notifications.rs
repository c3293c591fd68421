//! `notifications`: what this user was told after a sync (the header's bell), one row per event,
//! so an event is never notified twice, however often the replica syncs or the app restarts.
//! Local only: never mirrored, kept across re-bootstraps.

use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    case_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    at          TEXT NOT NULL,
    notified_at TEXT NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_recent ON notifications(notified_at DESC, at DESC);
CREATE INDEX case_events_at ON case_events(at);
";

/// One notification.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    /// The event's stable key (`event:<id>`, `overdue:<case>:<due date>`, …).
    pub id: String,
    pub case_id: i64,
    /// `assigned`, `at_risk`, `overdue`, `escalated`, `urged`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// When the event happened (RFC 3339).
    pub at: String,
    /// When the user was told (RFC 3339).
    pub notified_at: String,
    pub read: bool,
}

/// Records the notifications not recorded before; returns those that are new, in order.
pub fn record(conn: &Connection, rows: &[NotificationRow]) -> Result<Vec<NotificationRow>> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO notifications (id, case_id, kind, title, body, at, notified_at, read)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut fresh = Vec::new();
    for n in rows {
        let added =
            stmt.execute(params![n.id, n.case_id, n.kind, n.title, n.body, n.at, n.notified_at, n.read as i64])?;
        if added > 0 {
            fresh.push(n.clone());
        }
    }
    Ok(fresh)
}

/// Whether a notification with this key was recorded.
pub fn known(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT 1 FROM notifications WHERE id = ?1")?.exists([id])?)
}

/// The newest `limit` notifications and the count of unread ones.
pub fn recent(conn: &Connection, limit: u32) -> Result<(Vec<NotificationRow>, u32)> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, case_id, kind, title, body, at, notified_at, read FROM notifications
          ORDER BY notified_at DESC, at DESC, id LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(NotificationRow {
                id: r.get(0)?,
                case_id: r.get(1)?,
                kind: r.get(2)?,
                title: r.get(3)?,
                body: r.get(4)?,
                at: r.get(5)?,
                notified_at: r.get(6)?,
                read: r.get::<_, i64>(7)? != 0,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let unread: i64 = conn.query_row("SELECT count(*) FROM notifications WHERE read = 0", [], |r| r.get(0))?;
    Ok((rows, u32::try_from(unread).unwrap_or(u32::MAX)))
}

/// Marks the given notifications read (all of them when `ids` is `None`).
pub fn mark_read(conn: &Connection, ids: Option<&[String]>) -> Result<()> {
    match ids {
        None => {
            conn.execute("UPDATE notifications SET read = 1 WHERE read = 0", [])?;
        }
        Some(ids) => {
            let mut stmt = conn.prepare_cached("UPDATE notifications SET read = 1 WHERE id = ?1")?;
            for id in ids {
                stmt.execute([id])?;
            }
        }
    }
    Ok(())
}
