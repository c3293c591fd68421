//! `service_items`: the government service items (政务服务事项) each hall or department handles.

use hcp_protocol::ServiceItemRow;

use super::{args, Conn, DbResult, Row};

pub const DDL: &str = "
CREATE TABLE service_items (
    id                    INTEGER PRIMARY KEY,
    unit_id               INTEGER NOT NULL REFERENCES org_units(id),
    unit_path             TEXT NOT NULL,
    code                  TEXT NOT NULL,
    name                  TEXT NOT NULL,
    promised_working_days INTEGER,
    active                INTEGER NOT NULL DEFAULT 1,
    UNIQUE (unit_id, code)
);
CREATE INDEX service_items_path ON service_items(unit_path);
";

const COLS: &str = "id, unit_id, unit_path, code, name, promised_working_days, active";

fn from_row(r: &Row) -> DbResult<ServiceItemRow> {
    Ok(ServiceItemRow {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        unit_path: r.get(2)?,
        code: r.get(3)?,
        name: r.get(4)?,
        promised_working_days: r.get(5)?,
        active: r.get(6)?,
    })
}

/// Inserts an item; `None` when the unit already has an item with this code.
pub fn insert(conn: &Conn<'_>, r: &ServiceItemRow) -> DbResult<Option<i64>> {
    conn.query_opt(
        "INSERT INTO service_items (unit_id, unit_path, code, name, promised_working_days, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (unit_id, code) DO NOTHING RETURNING id",
        args![r.unit_id, &r.unit_path, &r.code, &r.name, r.promised_working_days, r.active],
        |row| row.get(0),
    )
}

pub fn update(conn: &Conn<'_>, r: &ServiceItemRow) -> DbResult<()> {
    conn.execute(
        "UPDATE service_items SET name = ?2, promised_working_days = ?3, active = ?4 WHERE id = ?1",
        args![r.id, &r.name, r.promised_working_days, r.active],
    )?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<ServiceItemRow>> {
    conn.query_opt(&format!("SELECT {COLS} FROM service_items WHERE id = ?1"), [id], from_row)
}

pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    f: impl FnMut(ServiceItemRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan(
        conn,
        &format!("SELECT {COLS} FROM service_items WHERE unit_path >= ?1 AND unit_path < ?2 ORDER BY id"),
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
    f: impl FnMut(ServiceItemRow) -> DbResult<()>,
) -> DbResult<()> {
    super::changes::scan_after(
        conn,
        &format!("SELECT {COLS} FROM service_items WHERE unit_path >= ?1 AND unit_path < ?2 AND id > ?3 ORDER BY id"),
        scope,
        upper,
        after,
        from_row,
        f,
    )
}
