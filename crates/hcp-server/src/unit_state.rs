//! Deactivated org units (已停用): the rules every writer follows.
//!
//! A deactivated unit stays in the history — its cases, ratings, statistics and past rankings —
//! but nothing new happens at or below it: intake refuses its ratings and complaints
//! (`unit_inactive`), case commands may not open a case there or assign one to it, and the
//! administration adds no unit, staff member, account or service item there.
//!
//! The rule for deactivating: nothing may be stranded. A unit is deactivated only when no active
//! unit, no open case (attributed to it or worked by a handler there) and no active account
//! remains at or below it; the refusal counts each. So a deactivated unit never has an active
//! unit below it, and checking a path's units (see [`org_units::inactive_on_path`]) covers its
//! ancestors too. Staff records have no active flag of their own: they stay on the roster as
//! the history's subjects, and ratings naming them are refused with their hall.

use hcp_domain::CaseCommand;
use hcp_protocol::OrgUnitRow;

use crate::db::{org_units, Conn, DbResult};

/// The refusal for a deactivated unit (the unit itself or the ancestor that is deactivated).
pub fn inactive_message(off: &OrgUnitRow) -> String {
    format!("单位“{}”已停用，不能再接收新的评价、工单或指派", off.name)
}

/// Why `unit` may not be switched to `active` now, if it may not.
pub fn check_toggle(c: &Conn<'_>, unit: &OrgUnitRow, active: bool) -> DbResult<Option<String>> {
    if active {
        let parent = unit.parent_id.map(|p| org_units::get(c, p)).transpose()?.flatten();
        if let Some(off) = parent.map(|p| org_units::inactive_on_path(c, &p.path)).transpose()?.flatten() {
            return Ok(Some(format!("上级单位“{}”已停用，请先启用上级单位", off.name)));
        }
        return Ok(None);
    }
    let o = org_units::occupancy(c, &unit.path)?;
    if o.is_empty() {
        return Ok(None);
    }
    let mut what = Vec::new();
    if o.units > 0 {
        what.push(format!("{} 个启用的下级单位", o.units));
    }
    if o.open_cases > 0 {
        what.push(format!("{} 件未办结的工单", o.open_cases));
    }
    if o.accounts > 0 {
        what.push(format!("{} 个启用的账号", o.accounts));
    }
    Ok(Some(format!(
        "“{}”及其下级仍有 {}：请先停用下级单位、办结工单、停用或调走账号，再停用该单位",
        unit.name,
        what.join("、")
    )))
}

/// Why a case command may not name the units it names (a new case's unit, an assignment's
/// department), if one of them is deactivated. Only units inside `scope` are looked at (others
/// are refused elsewhere without naming them).
pub fn command_refusal(c: &Conn<'_>, scope: &str, cmd: &CaseCommand) -> DbResult<Option<String>> {
    let path = match cmd {
        CaseCommand::Create { unit, .. } => Some(unit.to_string()),
        CaseCommand::Assign { department_id, .. } => org_units::get(c, *department_id)?.map(|d| d.path),
        _ => None,
    };
    Ok(match path.filter(|p| p.starts_with(scope)) {
        Some(p) => org_units::inactive_on_path(c, &p)?.map(|off| inactive_message(&off)),
        None => None,
    })
}
