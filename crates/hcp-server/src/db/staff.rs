//! `staff`: the people who serve at the windows and are rated.

use super::{args, Conn, DbResult};
use hcp_protocol::{ChangeOp, Entity, StaffRow};
use hcp_store::Replicated;

pub use hcp_store::entities::staff::SERVER_DDL as DDL;

const COLS: &str = StaffRow::COLUMNS;

/// Adds a member of staff (the id in `s` is ignored) and records the change; returns the id.
pub fn insert(conn: &Conn<'_>, s: &StaffRow, at: &str) -> DbResult<i64> {
    let id = conn.insert(
        "INSERT INTO staff (unit_id, department_id, window_id, name, employee_no, unit_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        args![s.unit_id, s.department_id, s.window_id, &s.name, &s.employee_no, &s.unit_path],
    )?;
    super::changes::record(conn, Entity::Staff, id, &s.unit_path, ChangeOp::Upsert, at)?;
    Ok(id)
}

/// Sets a staff member's name, department and window (from `s`).
pub fn update_placement(conn: &Conn<'_>, s: &StaffRow, at: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE staff SET name = ?2, department_id = ?3, window_id = ?4 WHERE id = ?1",
        args![s.id, &s.name, s.department_id, s.window_id],
    )?;
    super::changes::record(conn, Entity::Staff, s.id, &s.unit_path, ChangeOp::Upsert, at)?;
    Ok(())
}

/// Keeps the hash of a staff member's certificate number (never the number).
pub fn set_cert_hash(conn: &Conn<'_>, id: i64, hash: &str) -> DbResult<()> {
    conn.execute("UPDATE staff SET cert_hash = ?2 WHERE id = ?1", args![id, hash])?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<StaffRow>> {
    hcp_store::get(conn, id)
}

pub fn by_employee_no(conn: &Conn<'_>, no: &str) -> DbResult<Option<StaffRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM staff WHERE employee_no = ?1"), [no], StaffRow::from_row)
}

/// The staff members with these employee numbers.
pub fn by_employee_nos(conn: &Conn<'_>, nos: &[&str]) -> DbResult<Vec<StaffRow>> {
    let mut out = Vec::new();
    for chunk in super::sql::chunks(nos) {
        let sql = format!("SELECT {COLS} FROM staff WHERE employee_no IN ({})", super::sql::marks(chunk.len(), 1));
        out.extend(conn.query_map(
            &sql,
            chunk.iter().map(|n| super::sql::Value::from(*n)).collect::<Vec<_>>(),
            StaffRow::from_row,
        )?);
    }
    Ok(out)
}
