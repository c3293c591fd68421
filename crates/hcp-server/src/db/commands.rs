//! `commands`: every case command the server has seen, by `command_id`, so a retried command is
//! answered with its first outcome and never applied twice.

use super::{args, Conn, DbError, DbResult};
use hcp_protocol::{CommandStatus, ErrorCode};

pub const DDL: &str = "
CREATE TABLE commands (
    command_id TEXT PRIMARY KEY,
    client_id  TEXT,
    client_seq INTEGER,
    user_id    INTEGER NOT NULL,
    case_id    INTEGER,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    code       TEXT,
    message    TEXT,
    at         TEXT NOT NULL
);
CREATE INDEX commands_client ON commands(client_id, client_seq);
";

/// A recorded outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub user_id: i64,
    pub case_id: Option<i64>,
    pub status: CommandStatus,
    pub code: Option<ErrorCode>,
    pub message: Option<String>,
}

pub struct NewRecord<'a> {
    pub command_id: &'a str,
    pub client_id: Option<&'a str>,
    pub client_seq: Option<i64>,
    pub user_id: i64,
    pub case_id: Option<i64>,
    pub kind: &'a str,
    pub status: CommandStatus,
    pub code: Option<ErrorCode>,
    pub message: Option<&'a str>,
    pub at: &'a str,
}

fn status_str(s: CommandStatus) -> &'static str {
    match s {
        CommandStatus::Applied => "applied",
        CommandStatus::Duplicate => "duplicate",
        CommandStatus::Rejected => "rejected",
    }
}

pub fn find(conn: &Conn<'_>, command_id: &str) -> DbResult<Option<Recorded>> {
    let row = conn.query_opt(
        "SELECT user_id, case_id, status, code, message FROM commands WHERE command_id = ?1",
        [command_id],
        |r| Ok((r.get::<i64>(0)?, r.get(1)?, r.get::<String>(2)?, r.get::<Option<String>>(3)?, r.get(4)?)),
    )?;
    row.map(|(user_id, case_id, status, code, message)| {
        let status = match status.as_str() {
            "applied" => CommandStatus::Applied,
            "rejected" => CommandStatus::Rejected,
            other => return Err(DbError::Corrupt(format!("commands.status = '{other}'"))),
        };
        Ok(Recorded { user_id, case_id, status, code: code.as_deref().map(ErrorCode::read), message })
    })
    .transpose()
}

pub fn record(conn: &Conn<'_>, r: &NewRecord<'_>) -> DbResult<()> {
    conn.execute(
        "INSERT INTO commands (command_id, client_id, client_seq, user_id, case_id, kind, status, code, message, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        args![
            r.command_id,
            r.client_id,
            r.client_seq,
            r.user_id,
            r.case_id,
            r.kind,
            status_str(r.status),
            r.code.map(ErrorCode::as_str),
            r.message,
            r.at
        ],
    )?;
    Ok(())
}

/// How many commands one user has had applied (for tests and audits).
pub fn count_applied(conn: &Conn<'_>, user_id: i64) -> DbResult<i64> {
    conn.query_row("SELECT count(*) FROM commands WHERE user_id = ?1 AND status = 'applied'", [user_id], |r| r.get(0))
}
