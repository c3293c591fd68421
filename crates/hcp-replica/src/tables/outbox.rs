//! `outbox`: the user's commands, in the order issued, until the server answers them.
//!
//! `seq` is the per-client sequence (`client_seq`); a command stays `pending` until the server
//! applies it (or reports it applied before), then leaves the outbox in the same transaction that
//! stores the server's version of the case. A refused command stays as `rejected`, with the
//! server's code and message, until the user discards or re-issues it: nothing disappears unseen.
//!
//! A push first claims the commands it sends ([`claim`]: one more `attempts`, in the same
//! transaction that reads them). From then on a command may have reached the server, so only a
//! pending command never claimed can be cancelled ([`cancel`]), and only the last one queued for
//! its case (the ones after it were checked against the case as it would stand with it).

use hcp_protocol::ErrorCode;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id   TEXT NOT NULL UNIQUE,
    case_id      INTEGER,
    base_version INTEGER,
    kind         TEXT NOT NULL,
    command      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    code         TEXT,
    message      TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_case ON outbox(case_id, seq);
";

/// One queued command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub seq: i64,
    pub command_id: String,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub case_id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub base_version: Option<i64>,
    /// The command's kind (`verify`, `assign`, …).
    pub kind: String,
    /// The command as JSON (a `hcp_domain::CaseCommand`).
    pub command: String,
    pub created_at: String,
    /// `pending` or `rejected`.
    pub status: String,
    pub code: Option<ErrorCode>,
    pub message: Option<String>,
    pub attempts: u32,
    /// Whether the user may still take it back ([`cancel`]): pending, never sent, the last one of
    /// its case.
    pub cancellable: bool,
}

/// The rule of [`cancel`] over the row `o`.
const CANCELLABLE: &str = "o.status = 'pending' AND o.attempts = 0
     AND NOT EXISTS (SELECT 1 FROM outbox l WHERE l.case_id = o.case_id AND l.seq > o.seq AND l.status = 'pending')";

fn cols() -> String {
    format!(
        "o.seq, o.command_id, o.case_id, o.base_version, o.kind, o.command, o.created_at, o.status, o.code, o.message,
         o.attempts, {CANCELLABLE}"
    )
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        seq: r.get(0)?,
        command_id: r.get(1)?,
        case_id: r.get(2)?,
        base_version: r.get(3)?,
        kind: r.get(4)?,
        command: r.get(5)?,
        created_at: r.get(6)?,
        status: r.get(7)?,
        code: r.get::<_, Option<String>>(8)?.as_deref().map(ErrorCode::read),
        message: r.get(9)?,
        attempts: r.get(10)?,
        cancellable: r.get(11)?,
    })
}

pub struct NewCommand<'a> {
    pub command_id: &'a str,
    pub case_id: Option<i64>,
    pub base_version: Option<i64>,
    pub kind: &'a str,
    pub command: &'a str,
    pub created_at: &'a str,
}

impl OutboxItem {
    /// The typed command this entry holds (an error for one this version cannot read).
    pub fn client_command(&self) -> serde_json::Result<hcp_protocol::ClientCommand> {
        hcp_protocol::ClientCommand::read(&self.kind, &self.command)
    }
}

/// A typed command to queue (its kind and stored payload follow from it).
pub struct NewClientCommand<'a> {
    pub command_id: &'a str,
    pub case_id: Option<i64>,
    pub base_version: Option<i64>,
    pub command: &'a hcp_protocol::ClientCommand,
    pub created_at: &'a str,
}

/// Appends a typed command; returns its `client_seq`.
pub fn enqueue_command(conn: &Connection, c: &NewClientCommand<'_>) -> Result<i64> {
    let payload = c
        .command
        .payload()
        .map_err(|e| crate::ReplicaError::Corrupt(format!("a command that cannot be written as JSON: {e}")))?;
    enqueue(
        conn,
        &NewCommand {
            command_id: c.command_id,
            case_id: c.case_id,
            base_version: c.base_version,
            kind: c.command.kind(),
            command: &payload,
            created_at: c.created_at,
        },
    )
}

/// Appends a command; returns its `client_seq`.
pub fn enqueue(conn: &Connection, c: &NewCommand<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO outbox (command_id, case_id, base_version, kind, command, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![c.command_id, c.case_id, c.base_version, c.kind, c.command, c.created_at])?;
    Ok(conn.last_insert_rowid())
}

/// Pending commands in `client_seq` order, at most `limit`.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<OutboxItem>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM outbox o WHERE o.status = 'pending' ORDER BY o.seq LIMIT ?1",
        cols()
    ))?;
    let rows = stmt.query_map([limit as i64], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Every command still in the outbox (pending and rejected), oldest first.
pub fn all(conn: &Connection) -> Result<Vec<OutboxItem>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {} FROM outbox o ORDER BY o.seq", cols()))?;
    let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Pending commands of one case, oldest first (for projection).
pub fn pending_for_case(conn: &Connection, case_id: i64) -> Result<Vec<OutboxItem>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM outbox o WHERE o.status = 'pending' AND o.case_id = ?1 ORDER BY o.seq",
        cols()
    ))?;
    let rows = stmt.query_map([case_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, command_id: &str) -> Result<Option<OutboxItem>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {} FROM outbox o WHERE o.command_id = ?1", cols()))?
        .query_row([command_id], from_row)
        .optional()?)
}

/// The server applied the command (now or before): it leaves the outbox.
pub fn remove(conn: &Connection, command_id: &str) -> Result<bool> {
    Ok(conn.prepare_cached("DELETE FROM outbox WHERE command_id = ?1")?.execute([command_id])? > 0)
}

/// The server refused the command: keep it, with the reason, for the user. Returns false when the
/// command is no longer in the outbox.
pub fn reject(conn: &Connection, command_id: &str, code: ErrorCode, message: &str) -> Result<bool> {
    let n = conn
        .prepare_cached("UPDATE outbox SET status = 'rejected', code = ?2, message = ?3 WHERE command_id = ?1")?
        .execute(params![command_id, code.as_str(), message])?;
    Ok(n > 0)
}

/// Why a command could not be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelRefusal {
    /// No such command (already answered by the server, or discarded).
    NotFound,
    /// The server refused it: it is given up with discard, not cancelled.
    Rejected,
    /// A push has already sent (or is sending) it: the server may have applied it.
    Sent,
    /// A later command of the same case waits behind it.
    LaterCommands,
}

/// Takes back a pending command that no push has claimed, the last one of its case. Runs in the
/// caller's transaction; a concurrent push either claimed it first (then it is `Sent`) or will
/// never see it.
pub fn cancel(conn: &Connection, command_id: &str) -> Result<std::result::Result<OutboxItem, CancelRefusal>> {
    let Some(item) = get(conn, command_id)? else { return Ok(Err(CancelRefusal::NotFound)) };
    if item.status != "pending" {
        return Ok(Err(CancelRefusal::Rejected));
    }
    if item.attempts > 0 {
        return Ok(Err(CancelRefusal::Sent));
    }
    if !item.cancellable {
        return Ok(Err(CancelRefusal::LaterCommands));
    }
    let n = conn
        .prepare_cached(&format!(
            "DELETE FROM outbox WHERE command_id = ?1 AND seq IN (SELECT o.seq FROM outbox o WHERE {CANCELLABLE})"
        ))?
        .execute([command_id])?;
    Ok(if n > 0 { Ok(item) } else { Err(CancelRefusal::Sent) })
}

/// Counts one more delivery attempt of the pending commands sent in a push.
pub fn note_attempt(conn: &Connection, command_ids: &[String]) -> Result<()> {
    let mut stmt = conn.prepare_cached("UPDATE outbox SET attempts = attempts + 1 WHERE command_id = ?1")?;
    for id in command_ids {
        stmt.execute([id])?;
    }
    Ok(())
}

/// (pending, rejected) counts for the status bar.
pub fn counts(conn: &Connection) -> Result<(u32, u32)> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(status = 'pending'), 0), coalesce(sum(status = 'rejected'), 0) FROM outbox",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32)),
    )?)
}
