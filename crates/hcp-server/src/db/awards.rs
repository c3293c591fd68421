//! `awards`: confirmed 服务明星 / 办事能手 of members of staff, one per member and period, with the
//! league figures they were confirmed on. Replicated by the member's unit path.

use hcp_domain::merit::AwardKind;
use hcp_protocol::AwardRow;

use super::{args, parse_col, Conn, DbResult, Row};

pub const DDL: &str = "
CREATE TABLE awards (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    period            TEXT NOT NULL,
    staff_id          INTEGER NOT NULL REFERENCES staff(id),
    staff_name        TEXT NOT NULL,
    employee_no       TEXT NOT NULL,
    unit_id           INTEGER NOT NULL REFERENCES org_units(id),
    unit_path         TEXT NOT NULL,
    league_path       TEXT NOT NULL,
    score             REAL NOT NULL,
    sample_size       INTEGER NOT NULL,
    satisfied         INTEGER NOT NULL,
    reason            TEXT NOT NULL,
    confirmed_by      INTEGER NOT NULL REFERENCES users(id),
    confirmed_by_name TEXT NOT NULL,
    confirmed_at      TEXT NOT NULL,
    command_id        TEXT NOT NULL UNIQUE,
    UNIQUE (staff_id, period)
);
CREATE INDEX awards_path ON awards(unit_path);
";

const COLS: &str = "id, kind, period, staff_id, staff_name, employee_no, unit_id, unit_path, league_path, score,
    sample_size, satisfied, reason, confirmed_by, confirmed_by_name, confirmed_at";

fn from_row(r: &Row) -> DbResult<AwardRow> {
    let kind: String = r.get(1)?;
    Ok(AwardRow {
        id: r.get(0)?,
        kind: parse_col(&kind, "awards.kind", AwardKind::parse)?,
        period: r.get(2)?,
        staff_id: r.get(3)?,
        staff_name: r.get(4)?,
        employee_no: r.get(5)?,
        unit_id: r.get(6)?,
        unit_path: r.get(7)?,
        league_path: r.get(8)?,
        score: r.get(9)?,
        sample_size: r.get(10)?,
        satisfied: r.get(11)?,
        reason: r.get(12)?,
        confirmed_by: r.get(13)?,
        confirmed_by_name: r.get(14)?,
        confirmed_at: r.get(15)?,
    })
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<AwardRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM awards WHERE id = ?1"), [id], from_row)
}

/// The award a confirmation command created, if it did.
pub fn by_command(conn: &Conn<'_>, command_id: &str) -> DbResult<Option<AwardRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM awards WHERE command_id = ?1"), [command_id], from_row)
}

/// The award of a member of staff for a period, if any.
pub fn of_staff(conn: &Conn<'_>, staff_id: i64, period: &str) -> DbResult<Option<AwardRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM awards WHERE staff_id = ?1 AND period = ?2"),
        args![staff_id, period],
        from_row,
    )
}

/// Records an award (the id in `r` is ignored); returns its id.
pub fn insert(conn: &Conn<'_>, r: &AwardRow, command_id: &str) -> DbResult<i64> {
    conn.query_row(
        "INSERT INTO awards (kind, period, staff_id, staff_name, employee_no, unit_id, unit_path, league_path, score,
                sample_size, satisfied, reason, confirmed_by, confirmed_by_name, confirmed_at, command_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING id",
        args![
            r.kind.as_str(),
            &r.period,
            r.staff_id,
            &r.staff_name,
            &r.employee_no,
            r.unit_id,
            &r.unit_path,
            &r.league_path,
            r.score,
            r.sample_size,
            r.satisfied,
            &r.reason,
            r.confirmed_by,
            &r.confirmed_by_name,
            &r.confirmed_at,
            command_id
        ],
        |row| row.get(0),
    )
}

/// The awards in scope with an id above `after` (0: all), by id.
pub fn in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    f: impl FnMut(AwardRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM awards WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}

/// How many rows [`in_scope_after`] gives.
pub fn count_in_scope_after(conn: &Conn<'_>, scope: &str, upper: &str, after: i64) -> DbResult<u64> {
    super::changes::count_in_scope_after(conn, "awards", scope, upper, after)
}
