//! `case_events`: the append-only timeline of every case. An event's `unit_path` is where it is
//! replicated: its case's visibility path (`cases::SCOPE_DDL`), not the unit the case concerns.

use super::{args, Conn, DbError, DbResult, Row};
use hcp_protocol::CaseEventRow;

pub const DDL: &str = "
CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    unit_path     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor_name    TEXT NOT NULL,
    at            TEXT NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id);
CREATE INDEX case_events_path ON case_events(unit_path);
";

const COLS: &str = "id, case_id, unit_path, kind, actor_user_id, actor_name, at, data";

fn from_row(r: &Row) -> DbResult<CaseEventRow> {
    let data: String = r.get(7)?;
    Ok(CaseEventRow {
        id: r.get(0)?,
        case_id: r.get(1)?,
        unit_path: r.get(2)?,
        kind: r.get(3)?,
        actor_user_id: r.get(4)?,
        actor_name: r.get(5)?,
        at: r.get(6)?,
        data: serde_json::from_str(&data).map_err(|e| DbError::Corrupt(format!("case_events.data: {e}")))?,
    })
}

pub fn insert(conn: &Conn<'_>, e: &CaseEventRow) -> DbResult<i64> {
    conn.insert(
        "INSERT INTO case_events (case_id, unit_path, kind, actor_user_id, actor_name, at, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        args![e.case_id, &e.unit_path, &e.kind, e.actor_user_id, &e.actor_name, &e.at, e.data.to_string()],
    )
}

/// The ids of a case's events, in order.
pub fn ids_of_case(conn: &Conn<'_>, case_id: i64) -> DbResult<Vec<i64>> {
    conn.query_map("SELECT id FROM case_events WHERE case_id = ?1 ORDER BY id", [case_id], |r| r.get(0))
}

/// Moves a case's events to the case's new visibility path (their `unit_path` is where they
/// are replicated, the same as their case's; see `cases::SCOPE_DDL`).
pub fn move_case(conn: &Conn<'_>, case_id: i64, path: &str) -> DbResult<()> {
    conn.execute("UPDATE case_events SET unit_path = ?2 WHERE case_id = ?1", args![case_id, path])?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<CaseEventRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM case_events WHERE id = ?1"), [id], from_row)
}

/// The rows with these ids (those that exist), in no particular order: a change page's events.
pub fn get_many(conn: &Conn<'_>, ids: &[i64]) -> DbResult<Vec<CaseEventRow>> {
    super::changes::by_ids(conn, &format!("SELECT {COLS} FROM case_events"), ids, from_row)
}

/// The rows in scope with an id above `after` (0: all of them), by id: a snapshot, or the rest of
/// an interrupted one. `dense` (most of the table is in scope, see
/// [`super::changes::dense_in_scope`]) reads the table in id order instead of the path index.
pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    dense: bool,
    f: impl FnMut(CaseEventRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM case_events WHERE {} AND id > ?3 ORDER BY id", super::changes::path_range(dense)),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}
