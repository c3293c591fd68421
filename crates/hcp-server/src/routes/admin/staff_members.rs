//! Staff of the jurisdiction's halls (the people citizens rate).

use super::*;

/// A staff member of a hall.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffIn {
    /// The hall.
    pub unit_id: i64,
    pub department_id: Option<i64>,
    pub window_id: Option<i64>,
    pub name: String,
    pub employee_no: String,
    /// The staff member's certificate number (证件号码), to recognise staff rating their own
    /// service; only its hash is kept.
    #[serde(default)]
    pub cert: Option<String>,
}

/// Changes to a staff member; absent fields stay as they are.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    pub name: Option<String>,
    pub department_id: Option<i64>,
    pub window_id: Option<i64>,
    /// A new certificate number (only its hash is kept).
    pub cert: Option<String>,
}

/// The staff of the jurisdiction's halls.
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [StaffRow]), (status = 403, body = ErrorBody)))]
pub async fn list_staff(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<Vec<StaffRow>>> {
    list(&state, &who, |c, scope, upper| {
        let mut out = Vec::new();
        hcp_store::in_scope_after(c, scope, upper, 0, "", false, |r: hcp_protocol::StaffRow| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    })
    .await
}

/// Checks that a department or window lies inside the hall (or is absent).
fn inside(c: &Conn<'_>, hall: &OrgUnitRow, id: Option<i64>, kind: OrgKind) -> DbResult<bool> {
    Ok(match id {
        None => true,
        Some(id) => org_units::get(c, id)?.is_some_and(|u| u.kind == kind && u.path.starts_with(&hall.path)),
    })
}

/// Adds a staff member to a hall of the jurisdiction.
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "admin", security(("bearer" = [])), request_body = StaffIn,
    responses((status = 200, body = StaffRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_staff(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<StaffIn>,
) -> ApiResult<Json<StaffRow>> {
    require_admin(&who)?;
    let name = text("name", &req.name, 50)?;
    let employee_no = text("employee_no", &req.employee_no, 32)?;
    if let Some(cert) = &req.cert {
        text("cert", cert, 32)?;
    }
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(hall) = org_units::get(c, req.unit_id)?.filter(|u| admin.owns(&u.path)) else {
            return Ok(Outcome::NotFound("大厅"));
        };
        if hall.kind != OrgKind::Hall {
            return Ok(Outcome::Invalid(format!("“{}”不是政务服务大厅", hall.name)));
        }
        if let Some(off) = org_units::inactive_on_path(c, &hall.path)? {
            return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
        }
        if !inside(c, &hall, req.department_id, OrgKind::Department)?
            || !inside(c, &hall, req.window_id, OrgKind::Window)?
        {
            return Ok(Outcome::Invalid("部门或窗口不属于该大厅".into()));
        }
        if staff::by_employee_no(c, &employee_no)?.is_some() {
            return Ok(Outcome::Conflict(format!("工号 {employee_no} 已被使用")));
        }
        let mut row = StaffRow {
            id: 0,
            unit_id: hall.id,
            department_id: req.department_id,
            window_id: req.window_id,
            name,
            employee_no,
            unit_path: hall.path.clone(),
        };
        row.id = staff::insert(c, &row, &at)?;
        if let Some(hash) = req.cert.as_deref().and_then(crate::integrity::cert_hash) {
            staff::set_cert_hash(c, row.id, &hash)?;
        }
        admin.audit_row(c, &at, Entity::Staff, row.id, "admin.staff.create", row.employee_no.clone())?;
        Ok(Outcome::Done(row))
    })
    .await
}

/// Renames a staff member or moves them to another department or window of their hall.
#[utoipa::path(patch, path = "/api/v1/admin/staff/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path, description = "staff id")), request_body = StaffPatch,
    responses((status = 200, body = StaffRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_staff(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<StaffPatch>,
) -> ApiResult<Json<StaffRow>> {
    require_admin(&who)?;
    let name = req.name.as_deref().map(|n| text("name", n, 50)).transpose()?;
    if let Some(cert) = &req.cert {
        text("cert", cert, 32)?;
    }
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    write(&state, move |c| {
        let Some(mut row) = staff::get(c, id)?.filter(|s| admin.owns(&s.unit_path)) else {
            return Ok(Outcome::NotFound("工作人员"));
        };
        let Some(hall) = org_units::get(c, row.unit_id)? else { return Ok(Outcome::NotFound("大厅")) };
        if !inside(c, &hall, req.department_id, OrgKind::Department)?
            || !inside(c, &hall, req.window_id, OrgKind::Window)?
        {
            return Ok(Outcome::Invalid("部门或窗口不属于该大厅".into()));
        }
        if let Some(name) = name {
            row.name = name;
        }
        row.department_id = req.department_id.or(row.department_id);
        row.window_id = req.window_id.or(row.window_id);
        staff::update_placement(c, &row, &at)?;
        if let Some(hash) = req.cert.as_deref().and_then(crate::integrity::cert_hash) {
            staff::set_cert_hash(c, id, &hash)?;
        }
        admin.audit_row(c, &at, Entity::Staff, id, "admin.staff.update", row.employee_no.clone())?;
        Ok(Outcome::Done(row))
    })
    .await
}
