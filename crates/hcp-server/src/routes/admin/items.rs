//! Service items (办事事项) of halls and departments.

use super::*;

/// A service item of a hall or department.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemIn {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub promised_working_days: Option<i64>,
}

/// Changes to a service item; absent fields stay as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    pub name: Option<String>,
    pub promised_working_days: Option<i64>,
    pub active: Option<bool>,
}

fn check_days(d: Option<i64>) -> ApiResult<Option<i64>> {
    match d {
        Some(n) if !(0..=365).contains(&n) => Err(AppError::invalid("承诺时限应为 0–365 个工作日")),
        other => Ok(other),
    }
}

/// The service items of the jurisdiction.
#[utoipa::path(get, path = "/api/v1/admin/items", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [ServiceItemRow]), (status = 403, body = ErrorBody)))]
pub async fn list_items(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<Vec<ServiceItemRow>>> {
    list(&state, &who, |c, scope, upper| {
        let mut out = Vec::new();
        hcp_store::in_scope_after(c, scope, upper, 0, "", false, |r: hcp_protocol::ServiceItemRow| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    })
    .await
}

/// Adds a service item to a hall or department of the jurisdiction.
#[utoipa::path(post, path = "/api/v1/admin/items", tag = "admin", security(("bearer" = [])), request_body = ItemIn,
    responses((status = 200, body = ServiceItemRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_item(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<ItemIn>,
) -> ApiResult<Json<ServiceItemRow>> {
    require_admin(&who)?;
    let code = text("code", &req.code, 64)?;
    let name = text("name", &req.name, 200)?;
    let days = check_days(req.promised_working_days)?;
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(unit) = org_units::get(c, req.unit_id)?.filter(|u| admin.owns(&u.path)) else {
            return Ok(Outcome::NotFound("单位"));
        };
        if !matches!(unit.kind, OrgKind::Hall | OrgKind::Department) {
            return Ok(Outcome::Invalid("服务事项应属于大厅或部门".into()));
        }
        if let Some(off) = org_units::inactive_on_path(c, &unit.path)? {
            return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
        }
        let mut row = ServiceItemRow {
            id: 0,
            unit_id: unit.id,
            unit_path: unit.path.clone(),
            code,
            name,
            promised_working_days: days,
            active: true,
        };
        let Some(id) = service_items::insert(c, &row, &at)? else {
            return Ok(Outcome::Conflict(format!("“{}”已有编码为 {} 的事项", unit.name, row.code)));
        };
        row.id = id;
        admin.audit_row(c, &at, Entity::ServiceItem, id, "admin.item.create", row.code.clone())?;
        Ok(Outcome::Done(row))
    })
    .await
}

/// Renames, re-times or retires a service item.
#[utoipa::path(patch, path = "/api/v1/admin/items/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path, description = "service item id")), request_body = ItemPatch,
    responses((status = 200, body = ServiceItemRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_item(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<ItemPatch>,
) -> ApiResult<Json<ServiceItemRow>> {
    require_admin(&who)?;
    let name = req.name.as_deref().map(|n| text("name", n, 200)).transpose()?;
    let days = check_days(req.promised_working_days)?;
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(mut row) = service_items::get(c, id)?.filter(|r| admin.owns(&r.unit_path)) else {
            return Ok(Outcome::NotFound("服务事项"));
        };
        if let Some(name) = name {
            row.name = name;
        }
        row.promised_working_days = days.or(row.promised_working_days);
        row.active = req.active.unwrap_or(row.active);
        service_items::update(c, &row, &at)?;
        admin.audit_row(c, &at, Entity::ServiceItem, id, "admin.item.update", row.code.clone())?;
        Ok(Outcome::Done(row))
    })
    .await
}
