//! `staff`: the people who serve at the windows and are rated.

use super::{args, Conn, DbResult, Row};
use hcp_protocol::StaffRow;

pub const DDL: &str = "
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES org_units(id),
    department_id INTEGER REFERENCES org_units(id),
    window_id     INTEGER REFERENCES org_units(id),
    name          TEXT NOT NULL,
    employee_no   TEXT NOT NULL UNIQUE,
    unit_path     TEXT NOT NULL
);
CREATE INDEX staff_path ON staff(unit_path);
";

const COLS: &str = "id, unit_id, department_id, window_id, name, employee_no, unit_path";

fn from_row(r: &Row) -> DbResult<StaffRow> {
    Ok(StaffRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        department_id: r.get(2)?,
        window_id: r.get(3)?,
        name: r.get(4)?,
        employee_no: r.get(5)?,
        unit_path: r.get(6)?,
    })
}

pub fn insert(conn: &Conn<'_>, s: &StaffRow) -> DbResult<i64> {
    conn.insert(
        "INSERT INTO staff (unit_id, department_id, window_id, name, employee_no, unit_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        args![s.unit_id, s.department_id, s.window_id, &s.name, &s.employee_no, &s.unit_path],
    )
}

/// Sets a staff member's name, department and window (from `s`).
pub fn update_placement(conn: &Conn<'_>, s: &StaffRow) -> DbResult<()> {
    conn.execute(
        "UPDATE staff SET name = ?2, department_id = ?3, window_id = ?4 WHERE id = ?1",
        args![s.id, &s.name, s.department_id, s.window_id],
    )?;
    Ok(())
}

/// Keeps the hash of a staff member's certificate number (never the number).
pub fn set_cert_hash(conn: &Conn<'_>, id: i64, hash: &str) -> DbResult<()> {
    conn.execute("UPDATE staff SET cert_hash = ?2 WHERE id = ?1", args![id, hash])?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<StaffRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM staff WHERE id = ?1"), [id], from_row)
}

/// The rows with these ids (those that exist), in no particular order: a change page's staff.
pub fn get_many(conn: &Conn<'_>, ids: &[i64]) -> DbResult<Vec<StaffRow>> {
    super::changes::by_ids(conn, &format!("SELECT {COLS} FROM staff"), ids, from_row)
}

pub fn in_scope(conn: &Conn<'_>, scope: &str, upper: &str, f: impl FnMut(StaffRow) -> DbResult<()>) -> DbResult<()> {
    super::changes::scan(
        conn,
        &format!("SELECT {COLS} FROM staff WHERE unit_path >= ?1 AND unit_path < ?2 ORDER BY id"),
        scope,
        upper,
        from_row,
        f,
    )
}

/// The rows of [`in_scope`] with an id above `after`, by id (a resumed snapshot).
pub fn in_scope_after(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    f: impl FnMut(StaffRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM staff WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}

pub fn by_employee_no(conn: &Conn<'_>, no: &str) -> DbResult<Option<StaffRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM staff WHERE employee_no = ?1"), [no], from_row)
}

/// The staff members with these employee numbers.
pub fn by_employee_nos(conn: &Conn<'_>, nos: &[&str]) -> DbResult<Vec<StaffRow>> {
    let mut out = Vec::new();
    for chunk in super::sql::chunks(nos) {
        let sql = format!("SELECT {COLS} FROM staff WHERE employee_no IN ({})", super::sql::marks(chunk.len(), 1));
        out.extend(conn.query_map(
            &sql,
            chunk.iter().map(|n| super::sql::Value::from(*n)).collect::<Vec<_>>(),
            from_row,
        )?);
    }
    Ok(out)
}
