//! The service item a new case names. A rated case takes its item from the rating; a supervisor's
//! finding (监督检查发现) names one in its `Create` command (`service_item_id`). The server checks it
//! and stores its name on the case (`cases.item_name`), where the inbox, the case page, the
//! statistics' top items and the notices read it, as for rated cases.

use hcp_domain::CaseCommand;

use crate::db::{org_units, service_items, Conn, DbResult};

/// Why the item a `Create` names is refused, if it is: it must exist inside the caller's
/// jurisdiction (`scope`), be active, belong to the case's unit, a unit below it or the hall or
/// department above it, and not sit below a deactivated unit. A refusal names only the id.
pub fn refusal(conn: &Conn<'_>, scope: &str, cmd: &CaseCommand) -> DbResult<Option<String>> {
    let CaseCommand::Create { unit, service_item_id: Some(id), .. } = cmd else { return Ok(None) };
    let unit = unit.to_string();
    let fits = match service_items::get(conn, *id)? {
        Some(item) => {
            item.active
                && item.unit_path.starts_with(scope)
                && (item.unit_path.starts_with(&unit) || unit.starts_with(&item.unit_path))
                && org_units::inactive_on_path(conn, &item.unit_path)?.is_none()
        }
        None => false,
    };
    Ok((!fits).then(|| format!("服务事项 {id} 不存在、已停用，或不属于该单位")))
}

/// The name of the item a `Create` names (checked by [`refusal`] first), for the new case's row.
pub fn name(conn: &Conn<'_>, cmd: &CaseCommand) -> DbResult<Option<String>> {
    match cmd {
        CaseCommand::Create { service_item_id: Some(id), .. } => Ok(service_items::get(conn, *id)?.map(|i| i.name)),
        _ => Ok(None),
    }
}
