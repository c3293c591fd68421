//! The organisation tree: units of the jurisdiction, added, renamed, deactivated or moved.

use super::*;

/// A new unit below `parent_id`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUnitIn {
    pub parent_id: i64,
    /// `district`, `park`, `town`, `community`, `hall`, `department` or `window`.
    pub kind: String,
    pub name: String,
    /// 行政区划代码 or an internal code.
    pub code: String,
}

/// Changes to a unit; absent fields stay as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUnitPatch {
    pub name: Option<String>,
    pub code: Option<String>,
    /// `false` deactivates the unit (已停用), `true` reactivates it. A deactivated unit keeps its
    /// history (cases, ratings, statistics) but receives no new ratings, cases, assignments,
    /// accounts, staff or service items. Refused while active units, open cases or active
    /// accounts remain at or below it (the message counts them), and reactivation below a
    /// deactivated parent.
    #[serde(default)]
    pub active: Option<bool>,
    /// Moves the unit (and everything below it) under this unit of the jurisdiction (移动): the
    /// paths of every row at or below it are rewritten in one transaction and the clients'
    /// replicas follow through the change feed. Refused below the unit itself or its
    /// descendants, below a unit whose kind cannot hold it, and for deactivated units.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// The units of the administrator's jurisdiction (the jurisdiction's own unit first), ordered by path.
#[utoipa::path(get, path = "/api/v1/admin/org-units", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [OrgUnitRow]), (status = 403, body = ErrorBody)))]
pub async fn list_units(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<Vec<OrgUnitRow>>> {
    list(&state, &who, |c, scope, upper| {
        org_units::ids_in_scope(c, scope, upper)?
            .into_iter()
            .filter_map(|id| org_units::get(c, id).transpose())
            .collect()
    })
    .await
}

/// Adds a unit below one of the jurisdiction's units (the kind must fit below the parent's).
#[utoipa::path(post, path = "/api/v1/admin/org-units", tag = "admin", security(("bearer" = [])), request_body = OrgUnitIn,
    responses((status = 200, body = OrgUnitRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<OrgUnitIn>,
) -> ApiResult<Json<OrgUnitRow>> {
    require_admin(&who)?;
    let kind = OrgKind::parse(&req.kind).ok_or_else(|| AppError::invalid(format!("单位类型“{}”无效", req.kind)))?;
    let name = text("name", &req.name, 100)?;
    let code = text("code", &req.code, 64)?;
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(parent) = org_units::get(c, req.parent_id)?.filter(|p| admin.owns(&p.path)) else {
            return Ok(Outcome::NotFound("上级单位"));
        };
        if let Some(off) = org_units::inactive_on_path(c, &parent.path)? {
            return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
        }
        if !parent.kind.may_contain(kind) {
            return Ok(Outcome::Invalid(format!(
                "“{}”（{}）下不能设立{}",
                parent.name,
                parent.kind.as_str(),
                kind.as_str()
            )));
        }
        if org_units::by_code(c, &code)?.is_some() {
            return Ok(Outcome::Conflict(format!("单位代码 {code} 已被使用")));
        }
        let unit = org_units::insert(c, Some(&parent), kind, &name, &code, &at)?;
        admin.audit_row(c, &at, Entity::OrgUnit, unit.id, "admin.org_unit.create", unit.name.clone())?;
        Ok(Outcome::Done(unit))
    })
    .await
}

/// Renames a unit, changes its code, deactivates / reactivates it, or moves it under another unit.
#[utoipa::path(patch, path = "/api/v1/admin/org-units/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path, description = "org unit id")), request_body = OrgUnitPatch,
    responses((status = 200, body = OrgUnitRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_unit(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<OrgUnitPatch>,
) -> ApiResult<Json<OrgUnitRow>> {
    require_admin(&who)?;
    let name = req.name.as_deref().map(|n| text("name", n, 100)).transpose()?;
    let code = req.code.as_deref().map(|n| text("code", n, 64)).transpose()?;
    let name_or_code = name.is_some() || code.is_some() || (req.active.is_none() && req.parent_id.is_none());
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(mut unit) = org_units::get(c, id)?.filter(|u| admin.owns(&u.path)) else {
            return Ok(Outcome::NotFound("单位"));
        };
        if let Some(code) = &code {
            if org_units::by_code(c, code)?.is_some_and(|u| u.id != id) {
                return Ok(Outcome::Conflict(format!("单位代码 {code} 已被使用")));
            }
            unit.code = code.clone();
        }
        if let Some(name) = name {
            unit.name = name;
        }
        let toggled = req.active.filter(|a| *a != unit.active);
        if let Some(active) = toggled {
            if let Some(message) = unit_state::check_toggle(c, &unit, active)? {
                return Ok(Outcome::Conflict(message));
            }
        }
        let mut moved = None;
        if let Some(parent_id) = req.parent_id.filter(|p| Some(*p) != unit.parent_id) {
            let Some(parent) = org_units::get(c, parent_id)?.filter(|p| admin.owns(&p.path)) else {
                return Ok(Outcome::NotFound("上级单位"));
            };
            if toggled.is_some() {
                return Ok(Outcome::Invalid("移动和停用/启用请分两次操作".into()));
            }
            if let Some(off) = org_units::inactive_on_path(c, &unit.path)? {
                return Ok(Outcome::Conflict(format!("“{}”已停用，不能移动", off.name)));
            }
            if let Some(off) = org_units::inactive_on_path(c, &parent.path)? {
                return Ok(Outcome::Conflict(unit_state::inactive_message(&off)));
            }
            if let Some(message) = unit_move::refusal(&unit, &parent, &admin.scope) {
                return Ok(Outcome::Invalid(message));
            }
            let from = unit.parent_id.map(|p| org_units::get(c, p)).transpose()?.flatten().map(|p| p.name);
            let (row, n) = unit_move::move_unit(c, &unit, &parent, &at)?;
            unit.path = row.path;
            unit.parent_id = row.parent_id;
            moved = Some(format!("{} → {}：{}", from.unwrap_or_default(), parent.name, n.describe()));
        }
        if let Some(active) = toggled {
            unit.active = active;
        }
        org_units::update(c, id, &unit.name, &unit.code, unit.active, &at)?;
        if name_or_code {
            admin.audit(c, &at, "admin.org_unit.update", format!("org_unit:{id}"), unit.name.clone())?;
        }
        if let Some(active) = toggled {
            let action = if active { "admin.org_unit.reactivate" } else { "admin.org_unit.deactivate" };
            admin.audit(c, &at, action, format!("org_unit:{id}"), unit.name.clone())?;
        }
        if let Some(detail) = moved {
            admin.audit(c, &at, "admin.org_unit.move", format!("org_unit:{id}"), detail)?;
        }
        Ok(Outcome::Done(unit))
    })
    .await
}
