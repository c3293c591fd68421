//! `awards`: confirmed 服务明星 / 办事能手 of members of staff, one per member and period, with the
//! league figures they were confirmed on. Replicated by the member's unit path.

use hcp_protocol::{AwardRow, ChangeOp, Entity};

use super::{args, Conn, DbResult};
use hcp_store::Replicated;

pub use hcp_store::entities::award::SERVER_DDL as DDL;

const COLS: &str = AwardRow::COLUMNS;

/// The award a confirmation command created, if it did.
pub fn by_command(conn: &Conn<'_>, command_id: &str) -> DbResult<Option<AwardRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM awards WHERE command_id = ?1"), [command_id], AwardRow::from_row)
}

/// The award of a member of staff for a period, if any.
pub fn of_staff(conn: &Conn<'_>, staff_id: i64, period: &str) -> DbResult<Option<AwardRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM awards WHERE staff_id = ?1 AND period = ?2"),
        args![staff_id, period],
        AwardRow::from_row,
    )
}

/// Records an award (the id in `r` is ignored) and its change; returns its id.
pub fn insert(conn: &Conn<'_>, r: &AwardRow, command_id: &str) -> DbResult<i64> {
    let id = conn.query_row(
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
    )?;
    super::changes::record(conn, Entity::Award, id, &r.unit_path, ChangeOp::Upsert, &r.confirmed_at)?;
    Ok(id)
}
