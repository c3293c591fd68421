//! `service_items`: the government service items (政务服务事项) each hall or department handles.

use hcp_protocol::{ChangeOp, Entity, ServiceItemRow};

use super::{args, Conn, DbResult};

pub use hcp_store::entities::service_item::SERVER_DDL as DDL;

/// Inserts an item; `None` when the unit already has an item with this code.
/// Adds an item and records the change; `None` when the unit already has an item of that code.
pub fn insert(conn: &Conn<'_>, r: &ServiceItemRow, at: &str) -> DbResult<Option<i64>> {
    let id: Option<i64> = conn.query_opt(
        "INSERT INTO service_items (unit_id, unit_path, code, name, promised_working_days, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (unit_id, code) DO NOTHING RETURNING id",
        args![r.unit_id, &r.unit_path, &r.code, &r.name, r.promised_working_days, r.active],
        |row| row.get(0),
    )?;
    if let Some(id) = id {
        super::changes::record(conn, Entity::ServiceItem, id, &r.unit_path, ChangeOp::Upsert, at)?;
    }
    Ok(id)
}

pub fn update(conn: &Conn<'_>, r: &ServiceItemRow, at: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE service_items SET name = ?2, promised_working_days = ?3, active = ?4 WHERE id = ?1",
        args![r.id, &r.name, r.promised_working_days, r.active],
    )?;
    super::changes::record(conn, Entity::ServiceItem, r.id, &r.unit_path, ChangeOp::Upsert, at)?;
    Ok(())
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<ServiceItemRow>> {
    hcp_store::get(conn, id)
}
