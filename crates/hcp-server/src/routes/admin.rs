//! Reference data, for administrators of a jurisdiction: the organisation tree, staff, users and
//! their roles, service items, the working-day calendar and each jurisdiction's policy.
//!
//! Every write stays inside the administrator's jurisdiction (anything outside answers 404, as if
//! it did not exist), goes into the change feed so desktop clients receive it, and is audited.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::{Calendar, OrgKind, Role};
use hcp_protocol::{
    setting_keys, ChangeOp, Entity, ErrorBody, ErrorCode, JurisdictionPolicy, OrgUnitRow, ServiceItemRow, SettingRow,
    StaffRow,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{hash_password, AuthUser};
use crate::db::{
    audit_log, case_events, cases, changes, org_units, service_items, settings, staff, tokens, users, Conn, DbError,
    DbResult,
};
use crate::error::{ApiResult, AppError, Json, Path};
use crate::{unit_move, unit_state, AppState};

fn require_admin(who: &AuthUser) -> ApiResult<()> {
    if who.user.role == Role::Administrator {
        Ok(())
    } else {
        Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有系统管理员可以维护基础数据"))
    }
}

fn not_found(what: &str) -> AppError {
    AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{what}不存在或不在您的辖区内"))
}

fn conflict(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
}

/// Checks a free-text field: trimmed, 1..=max characters, no control characters.
fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n == 0 || n > max {
        return Err(AppError::invalid(format!("{field} 应为 1–{max} 个字符")));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(format!("{field} 不能包含控制字符")));
    }
    Ok(v.to_owned())
}

/// The outcome of an administrative write, mapped to a response after the transaction.
enum Outcome<T> {
    Done(T),
    NotFound(&'static str),
    Conflict(String),
    Invalid(String),
}

impl<T> Outcome<T> {
    fn into_result(self) -> ApiResult<T> {
        match self {
            Outcome::Done(v) => Ok(v),
            Outcome::NotFound(what) => Err(not_found(what)),
            Outcome::Conflict(m) => Err(conflict(m)),
            Outcome::Invalid(m) => Err(AppError::invalid(m)),
        }
    }
}

/// What an administrator is, as the audit log records them.
#[derive(Clone)]
struct Admin {
    id: i64,
    name: String,
    scope: String,
    client_id: Option<String>,
}

impl Admin {
    fn of(who: &AuthUser) -> Admin {
        Admin {
            id: who.user.id,
            name: who.user.display_name.clone(),
            scope: who.user.scope_path.clone(),
            client_id: who.client_id.clone(),
        }
    }

    fn owns(&self, path: &str) -> bool {
        path.starts_with(&self.scope)
    }

    fn audit(&self, c: &Conn<'_>, at: &str, action: &str, target: String, detail: String) -> DbResult<()> {
        audit_log::record(
            c,
            &audit_log::Entry {
                id: 0,
                at: at.to_owned(),
                user_id: Some(self.id),
                user_name: self.name.clone(),
                unit_path: self.scope.clone(),
                client_id: self.client_id.clone(),
                action: action.to_owned(),
                target,
                outcome: "ok".into(),
                detail,
            },
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------- organisation tree

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
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let rows = state
        .db
        .read(move |c| {
            c.query_map(
                "SELECT id FROM org_units WHERE path >= ?1 AND path < ?2 ORDER BY path",
                [scope.clone(), format!("{scope}~")],
                |r| r.get::<i64>(0),
            )?
            .into_iter()
            .filter_map(|id| org_units::get(c, id).transpose())
            .collect::<DbResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(rows))
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
    let out = state
        .db
        .write(move |c| {
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
            let unit = org_units::insert(c, Some(&parent), kind, &name, &code)?;
            changes::record(c, Entity::OrgUnit, unit.id, &unit.path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.org_unit.create", format!("org_unit:{}", unit.id), unit.name.clone())?;
            Ok(Outcome::Done(unit))
        })
        .await?;
    Ok(Json(out.into_result()?))
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
    let out = state
        .db
        .write(move |c| {
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
            c.execute(
                "UPDATE org_units SET name = ?2, code = ?3 WHERE id = ?1",
                crate::args![id, &unit.name, &unit.code],
            )?;
            if let Some(active) = toggled {
                org_units::set_active(c, id, active)?;
                unit.active = active;
            }
            changes::record(c, Entity::OrgUnit, id, &unit.path, ChangeOp::Upsert, &at)?;
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
        .await?;
    Ok(Json(out.into_result()?))
}

// ---------------------------------------------------------------- staff

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
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let rows = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            staff::in_scope(c, &scope, &format!("{scope}~"), |r| {
                out.push(r);
                Ok(())
            })?;
            Ok(out)
        })
        .await?;
    Ok(Json(rows))
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
    let out = state
        .db
        .write(move |c| {
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
            row.id = staff::insert(c, &row)?;
            if let Some(hash) = req.cert.as_deref().and_then(crate::integrity::cert_hash) {
                c.execute("UPDATE staff SET cert_hash = ?2 WHERE id = ?1", crate::args![row.id, hash])?;
            }
            changes::record(c, Entity::Staff, row.id, &row.unit_path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.staff.create", format!("staff:{}", row.id), row.employee_no.clone())?;
            Ok(Outcome::Done(row))
        })
        .await?;
    Ok(Json(out.into_result()?))
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
    let out = state
        .db
        .write(move |c| {
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
            c.execute(
                "UPDATE staff SET name = ?2, department_id = ?3, window_id = ?4 WHERE id = ?1",
                crate::args![id, &row.name, row.department_id, row.window_id],
            )?;
            if let Some(hash) = req.cert.as_deref().and_then(crate::integrity::cert_hash) {
                c.execute("UPDATE staff SET cert_hash = ?2 WHERE id = ?1", crate::args![id, hash])?;
            }
            changes::record(c, Entity::Staff, id, &row.unit_path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.staff.update", format!("staff:{id}"), row.employee_no.clone())?;
            Ok(Outcome::Done(row))
        })
        .await?;
    Ok(Json(out.into_result()?))
}

// ---------------------------------------------------------------- users

/// An account as administrators see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub active: bool,
}

impl From<users::User> for AdminUser {
    fn from(u: users::User) -> AdminUser {
        AdminUser {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().to_owned(),
            unit_id: u.unit_id,
            unit_name: u.unit_name,
            active: u.active,
        }
    }
}

/// A new account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub username: String,
    pub display_name: String,
    /// At least 8 characters; stored only as an argon2 hash.
    pub password: String,
    /// `hall_manager`, `supervisor`, `discipline_liaison`, `department_handler`, `staff_member`
    /// or `administrator`.
    pub role: String,
    pub unit_id: i64,
    /// For `staff_member` accounts: their staff record, so bad reviews of their service name them.
    pub staff_id: Option<i64>,
}

/// Changes to an account; absent fields stay as they are. A change of role, unit, password or a
/// deactivation ends the user's sessions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub unit_id: Option<i64>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

fn check_username(u: &str) -> ApiResult<String> {
    let u = u.trim();
    let ok = (3..=64).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(u.to_owned())
    } else {
        Err(AppError::invalid("用户名应为 3–64 位小写字母、数字或 . _ -"))
    }
}

fn check_password(p: &str) -> ApiResult<String> {
    let n = p.chars().count();
    if (8..=128).contains(&n) {
        hash_password(p).map_err(AppError::internal)
    } else {
        Err(AppError::invalid("密码应为 8–128 个字符"))
    }
}

fn parse_role(r: &str) -> ApiResult<Role> {
    Role::parse(r).ok_or_else(|| AppError::invalid(format!("角色“{r}”无效")))
}

/// The accounts whose unit lies in the jurisdiction.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = [AdminUser]), (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<Vec<AdminUser>>> {
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let rows = state
        .db
        .read(move |c| {
            let ids = c.query_map(
                "SELECT u.id FROM users u JOIN org_units o ON o.id = u.unit_id
                  WHERE o.path >= ?1 AND o.path < ?2 ORDER BY u.id",
                [scope.clone(), format!("{scope}~")],
                |r| r.get::<i64>(0),
            )?;
            ids.into_iter().filter_map(|id| users::by_id(c, id).transpose()).map(|u| u.map(AdminUser::from)).collect()
        })
        .await?;
    Ok(Json(rows))
}

/// Creates an account in a unit of the jurisdiction.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), request_body = UserIn,
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<UserIn>,
) -> ApiResult<Json<AdminUser>> {
    require_admin(&who)?;
    let username = check_username(&req.username)?;
    let display_name = text("display_name", &req.display_name, 50)?;
    let role = parse_role(&req.role)?;
    let hash =
        tokio::task::spawn_blocking(move || check_password(&req.password)).await.map_err(AppError::internal)??;
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    let (unit_id, staff_id) = (req.unit_id, req.staff_id);
    let out = state
        .db
        .write(move |c| {
            let Some(unit) = org_units::get(c, unit_id)?.filter(|u| admin.owns(&u.path)) else {
                return Ok(Outcome::NotFound("单位"));
            };
            if let Some(off) = org_units::inactive_on_path(c, &unit.path)? {
                return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
            }
            if users::by_username(c, &username)?.is_some() {
                return Ok(Outcome::Conflict(format!("用户名 {username} 已被使用")));
            }
            let staff = match staff_id {
                None => None,
                Some(sid) => match staff::get(c, sid)?.filter(|s| s.unit_path.starts_with(&unit.path)) {
                    Some(s) => Some(s),
                    None => return Ok(Outcome::Invalid("工作人员记录不存在或不属于该单位".into())),
                },
            };
            let id = users::insert(
                c,
                &users::NewUser {
                    username: &username,
                    display_name: &display_name,
                    password_hash: &hash,
                    role,
                    unit_id: unit.id,
                    created_at: &at,
                },
            )?;
            if let Some(s) = staff {
                users::link_staff(c, id, s.id)?;
            }
            changes::record(c, Entity::User, id, &unit.path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.user.create", format!("user:{id}"), format!("{username} {}", role.as_str()))?;
            match users::by_id(c, id)? {
                Some(u) => Ok(Outcome::Done(AdminUser::from(u))),
                None => Ok(Outcome::NotFound("用户")),
            }
        })
        .await?;
    Ok(Json(out.into_result()?))
}

/// Changes an account: name, role, unit, password, or deactivation. Refused (409) for the
/// administrator's own deactivation, role or unit, and for the last active administrator of a
/// jurisdiction.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path, description = "user id")), request_body = UserPatch,
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<UserPatch>,
) -> ApiResult<Json<AdminUser>> {
    require_admin(&who)?;
    let display_name = req.display_name.as_deref().map(|n| text("display_name", n, 50)).transpose()?;
    let role = req.role.as_deref().map(parse_role).transpose()?;
    // Administrators never lock themselves out: not their own deactivation, another role or
    // another unit (a form that sends their unchanged role and unit along is fine).
    if id == who.user.id
        && (req.active == Some(false)
            || role.is_some_and(|r| r != who.user.role)
            || req.unit_id.is_some_and(|u| u != who.user.unit_id))
    {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            "不能停用自己的账号，也不能修改自己的角色或所属单位：请由另一位系统管理员操作",
        ));
    }
    let hash = match req.password {
        Some(p) => Some(tokio::task::spawn_blocking(move || check_password(&p)).await.map_err(AppError::internal)??),
        None => None,
    };
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    let (unit_id, active) = (req.unit_id, req.active);
    let out = state
        .db
        .write(move |c| {
            let Some(before) = users::by_id(c, id)?.filter(|u| admin.owns(&u.scope_path)) else {
                return Ok(Outcome::NotFound("用户"));
            };
            // The last active administrator of a jurisdiction stays one (checked here, inside the
            // write transaction: two administrators deactivating each other at once leave one).
            let leaves_admins = before.role == Role::Administrator
                && before.active
                && (active == Some(false)
                    || role.is_some_and(|r| r != Role::Administrator)
                    || unit_id.is_some_and(|u| u != before.unit_id));
            if leaves_admins && users::active_admins_covering(c, &before.scope_path, id)? == 0 {
                return Ok(Outcome::Conflict(format!(
                    "“{}”是管理该辖区的最后一个启用的系统管理员账号，不能停用、降级或调走",
                    before.display_name
                )));
            }
            let unit = match unit_id {
                None => None,
                Some(uid) => match org_units::get(c, uid)?.filter(|u| admin.owns(&u.path)) {
                    Some(u) => Some(u),
                    None => return Ok(Outcome::NotFound("单位")),
                },
            };
            // An account moved to, or reactivated in, a deactivated unit would work there again.
            let home = unit.as_ref().map_or(before.scope_path.as_str(), |u| u.path.as_str());
            let arrives =
                unit.as_ref().is_some_and(|u| u.id != before.unit_id) || (active == Some(true) && !before.active);
            if arrives {
                if let Some(off) = org_units::inactive_on_path(c, home)? {
                    return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
                }
            }
            c.execute(
                "UPDATE users SET display_name = coalesce(?2, display_name), role = coalesce(?3, role),
                        unit_id = coalesce(?4, unit_id), active = coalesce(?5, active),
                        password_hash = coalesce(?6, password_hash)
                  WHERE id = ?1",
                crate::args![id, &display_name, role.map(|r| r.as_str()), unit.as_ref().map(|u| u.id), active, &hash],
            )?;
            let ends_sessions = role.is_some_and(|r| r != before.role)
                || unit.as_ref().is_some_and(|u| u.id != before.unit_id)
                || active == Some(false)
                || hash.is_some();
            if ends_sessions {
                tokens::revoke_all(c, id, &at)?;
            }
            if let Some(u) = unit.as_ref().filter(|u| u.id != before.unit_id) {
                // The old jurisdiction drops the account; the new one receives it.
                changes::record(c, Entity::User, id, &before.scope_path, ChangeOp::Delete, &at)?;
                changes::record(c, Entity::User, id, &u.path, ChangeOp::Upsert, &at)?;
            } else {
                changes::record(c, Entity::User, id, &before.scope_path, ChangeOp::Upsert, &at)?;
            }
            let mut what = Vec::new();
            for (changed, label) in [
                (role.is_some(), "role"),
                (unit.is_some(), "unit"),
                (active.is_some(), "active"),
                (hash.is_some(), "password"),
                (display_name.is_some(), "name"),
            ] {
                if changed {
                    what.push(label);
                }
            }
            admin.audit(c, &at, "admin.user.update", format!("user:{id}"), what.join(","))?;
            match users::by_id(c, id)? {
                Some(u) => Ok(Outcome::Done(AdminUser::from(u))),
                None => Ok(Outcome::NotFound("用户")),
            }
        })
        .await?;
    Ok(Json(out.into_result()?))
}

// ---------------------------------------------------------------- service items

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
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let rows = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            service_items::in_scope(c, &scope, &format!("{scope}~"), |r| {
                out.push(r);
                Ok(())
            })?;
            Ok(out)
        })
        .await?;
    Ok(Json(rows))
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
    let out = state
        .db
        .write(move |c| {
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
            let Some(id) = service_items::insert(c, &row)? else {
                return Ok(Outcome::Conflict(format!("“{}”已有编码为 {} 的事项", unit.name, row.code)));
            };
            row.id = id;
            changes::record(c, Entity::ServiceItem, id, &row.unit_path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.item.create", format!("service_item:{id}"), row.code.clone())?;
            Ok(Outcome::Done(row))
        })
        .await?;
    Ok(Json(out.into_result()?))
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
    let out = state
        .db
        .write(move |c| {
            let Some(mut row) = service_items::get(c, id)?.filter(|r| admin.owns(&r.unit_path)) else {
                return Ok(Outcome::NotFound("服务事项"));
            };
            if let Some(name) = name {
                row.name = name;
            }
            row.promised_working_days = days.or(row.promised_working_days);
            row.active = req.active.unwrap_or(row.active);
            service_items::update(c, &row)?;
            changes::record(c, Entity::ServiceItem, id, &row.unit_path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.item.update", format!("service_item:{id}"), row.code.clone())?;
            Ok(Outcome::Done(row))
        })
        .await?;
    Ok(Json(out.into_result()?))
}

// ---------------------------------------------------------------- calendar and policies

/// The working-day calendar in force.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarOut {
    /// `distributed` (set through this API) or `bundled` (the statutory calendar built in).
    pub source: String,
    /// The calendar data (`hcp_domain::Calendar` JSON: years, holidays, make-up working days).
    #[schema(value_type = Object)]
    pub calendar: serde_json::Value,
    /// The years with an official arrangement (a State Council notice), ascending.
    pub covered_years: Vec<i32>,
    /// The years counted on the provisional arrangement (statutory holidays only), ascending.
    pub provisional_years: Vec<i32>,
    /// The provisional arrangements (`hcp_domain::CalendarYear` JSON, without notices).
    #[schema(value_type = Vec<Object>)]
    pub provisional: serde_json::Value,
    /// The year whose official arrangement is due but missing today (Beijing date): the current
    /// year, or from October on the next one. None when nothing is missing.
    pub missing_year: Option<i32>,
    /// What the administrator should do about `missing_year` (Chinese), for the workbench banner.
    pub warning: Option<String>,
}

fn calendar_json(cal: &Calendar) -> ApiResult<serde_json::Value> {
    serde_json::from_str(&cal.to_json()).map_err(AppError::internal)
}

/// The warning shown to administrators and supervisors while `year`'s notice is missing.
fn missing_warning(year: i32) -> String {
    format!(
        "工作日历缺少 {year} 年国务院办公厅放假安排：{year} 年的整改时限暂按法定节假日推算（标注“暂定”），\
         请在通知发布后由市级系统管理员导入，届时将自动重算暂定时限"
    )
}

/// The calendar deadlines are counted on, and whether next year's arrangement is missing
/// (administrators and supervisors).
#[utoipa::path(get, path = "/api/v1/admin/calendar", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = CalendarOut), (status = 403, body = ErrorBody)))]
pub async fn get_calendar(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<CalendarOut>> {
    if !matches!(who.user.role, Role::Administrator | Role::Supervisor) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "只有系统管理员和督办人员可以查看工作日历",
        ));
    }
    let bundled = state.calendar.clone();
    let (distributed, cal) = state
        .db
        .read(move |c| {
            let distributed =
                c.query_opt("SELECT id FROM settings WHERE key = ?1 LIMIT 1", [setting_keys::CALENDAR], |r| {
                    r.get::<i64>(0)
                })?;
            Ok((distributed.is_some(), settings::calendar(c, &bundled)?))
        })
        .await?;
    let missing_year = cal.missing_schedule(hcp_domain::calendar::beijing_date(state.clock.now()));
    Ok(Json(CalendarOut {
        source: if distributed { "distributed" } else { "bundled" }.into(),
        calendar: calendar_json(&cal)?,
        covered_years: cal.covered_years(),
        provisional_years: cal.provisional_years(),
        provisional: serde_json::to_value(cal.provisional_arrangements()).map_err(AppError::internal)?,
        missing_year,
        warning: missing_year.map(missing_warning),
    }))
}

/// A deadline the import of an official arrangement moved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecountedDeadline {
    pub case_id: i64,
    pub case_no: String,
    /// YYYY-MM-DD, as counted on the calendar before.
    pub old_deadline: String,
    /// YYYY-MM-DD, as counted on the calendar now in force.
    pub new_deadline: String,
}

/// The calendar published, with the running deadlines it moved.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CalendarPublished {
    pub setting: SettingRow,
    /// Every case whose deadline moved (each also audited and sent through the change feed).
    pub recounted: Vec<RecountedDeadline>,
}

/// Only the city's (root jurisdiction's) administrators publish the calendar.
fn require_city_admin(who: &AuthUser) -> ApiResult<()> {
    require_admin(who)?;
    if who.user.scope_path.matches('/').count() != 2 {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "只有市级系统管理员可以发布工作日历"));
    }
    Ok(())
}

/// Replaces the working-day calendar for every jurisdiction (administrators of the root unit
/// only). The calendar is validated first; clients receive it through the change feed. Running
/// deadlines the new calendar counts differently (provisional ones, when the official arrangement
/// replaces the estimate) are re-counted, audited and listed.
#[utoipa::path(put, path = "/api/v1/admin/calendar", tag = "admin", security(("bearer" = [])),
    request_body(content = Object, description = "hcp_domain::Calendar JSON"),
    responses((status = 200, body = CalendarPublished), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_calendar(
    State(state): State<AppState>,
    who: AuthUser,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Json<CalendarPublished>> {
    require_city_admin(&who)?;
    let data: hcp_domain::calendar::CalendarData =
        crate::strict_json::from_value(&body).map_err(|e| AppError::invalid(format!("工作日历无效：{}", e.0)))?;
    let cal = Calendar::from_data(data).map_err(|e| AppError::invalid(format!("工作日历无效：{e}")))?;
    Ok(Json(publish_calendar(&state, &who, move |_| Ok(cal)).await?))
}

/// One year's official arrangement in the holiday-cn format, with the notice it comes from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYearIn {
    /// The State Council notice (`number` such as `国办发明电〔2026〕号`, `title`, `url`).
    #[schema(value_type = Object)]
    pub notice: hcp_domain::calendar::Notice,
    /// `{"year", "days": [{"name", "date", "isOffDay"}]}` as the holiday-cn data set has it.
    #[schema(value_type = Object)]
    pub holiday_cn: serde_json::Value,
}

/// Adds (or replaces) one year's official arrangement in the calendar in force, like
/// `PUT /api/v1/admin/calendar` with that year changed.
#[utoipa::path(post, path = "/api/v1/admin/calendar/years", tag = "admin", security(("bearer" = [])),
    request_body = CalendarYearIn,
    responses((status = 200, body = CalendarPublished), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_calendar_year(
    State(state): State<AppState>,
    who: AuthUser,
    Json(body): Json<CalendarYearIn>,
) -> ApiResult<Json<CalendarPublished>> {
    require_city_admin(&who)?;
    let year = hcp_domain::calendar::CalendarYear::from_holiday_cn(&body.holiday_cn.to_string(), body.notice)
        .map_err(|e| AppError::invalid(format!("放假安排无效：{e}")))?;
    let out = publish_calendar(&state, &who, move |current| current.with_year(year)).await?;
    Ok(Json(out))
}

/// Publishes the calendar `make` builds from the one in force, in one transaction: the setting,
/// its change, the audit entry, and the re-counted deadlines.
async fn publish_calendar(
    state: &AppState,
    who: &AuthUser,
    make: impl FnOnce(&Calendar) -> Result<Calendar, hcp_domain::CalendarError> + Send + 'static,
) -> ApiResult<CalendarPublished> {
    let admin = Admin::of(who);
    let (unit_id, now, bundled) = (who.user.unit_id, state.clock.now(), state.calendar.clone());
    let at = state.clock.now_rfc3339();
    let out = state
        .db
        .write(move |c| {
            let old = settings::calendar(c, &bundled)?;
            let new = match make(&old) {
                Ok(cal) => cal,
                Err(e) => return Ok(Outcome::Invalid(format!("工作日历无效：{e}"))),
            };
            let id = settings::put(c, unit_id, &admin.scope, setting_keys::CALENDAR, &new.to_json(), &at)?;
            changes::record(c, Entity::Setting, id, &admin.scope, ChangeOp::Upsert, &at)?;
            let years = new.covered_years();
            let detail = match (years.first(), years.last()) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                _ => String::new(),
            };
            admin.audit(c, &at, "admin.calendar.put", format!("setting:{id}"), detail)?;
            let recounted = recount_deadlines(c, &old, &new, &admin, now, &at)?;
            let setting =
                settings::get(c, id)?.ok_or_else(|| DbError::Corrupt("the calendar setting vanished".into()))?;
            Ok(Outcome::Done(CalendarPublished { setting, recounted }))
        })
        .await?;
    out.into_result()
}

/// Re-counts the deadlines of the cases whose clock runs (or is paused for an extension) from
/// the first day `old` and `new` count differently: each moved deadline is counted again on `new`
/// from the day it was set (see `Calendar::recount`), written to the case, sent through the change
/// feed and audited.
fn recount_deadlines(
    c: &Conn<'_>,
    old: &Calendar,
    new: &Calendar,
    admin: &Admin,
    now: chrono::DateTime<chrono::Utc>,
    at: &str,
) -> DbResult<Vec<RecountedDeadline>> {
    let Some(first) = old.first_difference(new, chrono::NaiveDate::MIN) else {
        return Ok(Vec::new());
    };
    // Every case a clock may run for: the rectification deadline (running or paused) and the
    // other stages' own clocks (核实处置, 签收, 回访).
    let states: Vec<String> = hcp_domain::CaseState::ALL
        .into_iter()
        .filter(|s| s.stage().is_some())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let ids: Vec<i64> =
        c.query_map(&format!("SELECT id FROM cases WHERE state IN ({}) ORDER BY id", states.join(", ")), (), |r| {
            r.get(0)
        })?;
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut moved = Vec::new();
    for id in ids {
        let Some(mut row) = cases::get(c, id)? else { continue };
        let Some(mut aggregate) = row.aggregate.take() else {
            return Err(DbError::Corrupt(format!("case {id} has no aggregate")));
        };
        let rules = settings::policy(c, &row.unit_path)?.deadlines;
        let mut changed: Vec<(chrono::NaiveDate, chrono::NaiveDate)> = Vec::new();
        let rectifying = matches!(
            aggregate.state,
            hcp_domain::CaseState::Assigned
                | hcp_domain::CaseState::InRectification
                | hcp_domain::CaseState::ExtensionRequested
        );
        if let Some(due) = aggregate.due_date.filter(|d| rectifying && *d >= first) {
            let set = deadline_set_at(c, id, &["due_date"])?.unwrap_or(aggregate.created_at);
            let recounted = old.recount(new, rules.local_date(set.min(now)), due);
            if recounted != due {
                aggregate.due_date = Some(recounted);
                changed.push((due, recounted));
            }
        }
        if let Some(due) = aggregate.stage_due.filter(|d| *d >= first) {
            let set =
                deadline_set_at(c, id, &["verify_due", "accept_due", "visit_due"])?.unwrap_or(aggregate.created_at);
            let recounted = old.recount(new, rules.local_date(set.min(now)), due);
            if recounted != due {
                aggregate.stage_due = Some(recounted);
                changed.push((due, recounted));
            }
        }
        if changed.is_empty() {
            row.aggregate = Some(aggregate);
            continue;
        }
        row.set_deadlines(&aggregate);
        row.updated_at = at.to_owned();
        row.aggregate = Some(aggregate);
        cases::mark_provisional(&mut row, new);
        cases::update(c, &row)?;
        let path = cases::scope_path(c, id)?.unwrap_or_else(|| row.unit_path.clone());
        changes::record(c, Entity::Case, id, &path, ChangeOp::Upsert, at)?;
        for (old_due, new_due) in changed {
            let (old_deadline, new_deadline) = (day(old_due), day(new_due));
            admin.audit(
                c,
                at,
                "case.deadline.recount",
                format!("case:{id}"),
                format!("{old_deadline} → {new_deadline}"),
            )?;
            moved.push(RecountedDeadline { case_id: id, case_no: row.case_no.clone(), old_deadline, new_deadline });
        }
    }
    Ok(moved)
}

/// When a deadline of the case was last set: the time of its latest event that carries one of
/// `keys` (the payload fields holding that deadline).
fn deadline_set_at(c: &Conn<'_>, case_id: i64, keys: &[&str]) -> DbResult<Option<chrono::DateTime<chrono::Utc>>> {
    for event_id in case_events::ids_of_case(c, case_id)?.into_iter().rev() {
        let Some(event) = case_events::get(c, event_id)? else { continue };
        let payload = event.data.get("payload").unwrap_or(&event.data);
        if keys.iter().any(|k| payload.get(*k).is_some_and(|d| d.is_string())) {
            let at = chrono::DateTime::parse_from_rfc3339(&event.at)
                .map_err(|e| DbError::Corrupt(format!("case_events.at: {e}")))?;
            return Ok(Some(at.with_timezone(&chrono::Utc)));
        }
    }
    Ok(None)
}

/// A jurisdiction's policy and the unit it comes from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyOut {
    pub policy: JurisdictionPolicy,
    /// The unit whose setting applies (none: the defaults).
    pub set_at_unit_id: Option<i64>,
}

/// The deadline and escalation policy in force for a unit (its own, the nearest above, or the defaults).
#[utoipa::path(get, path = "/api/v1/admin/policies/{unit_id}", tag = "admin", security(("bearer" = [])),
    params(("unit_id" = i64, Path, description = "org unit id")),
    responses((status = 200, body = PolicyOut), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    State(state): State<AppState>,
    who: AuthUser,
    Path(unit_id): Path<i64>,
) -> ApiResult<Json<PolicyOut>> {
    require_admin(&who)?;
    let scope = who.user.scope_path.clone();
    let out = state
        .db
        .read(move |c| {
            let Some(unit) = org_units::get(c, unit_id)?.filter(|u| u.path.starts_with(&scope)) else {
                return Ok(None);
            };
            let row = settings::nearest(c, setting_keys::POLICY, &unit.path)?;
            Ok(Some((settings::policy(c, &unit.path)?, row.map(|r| r.unit_id))))
        })
        .await?
        .ok_or_else(|| not_found("单位"))?;
    Ok(Json(PolicyOut { policy: out.0, set_at_unit_id: out.1 }))
}

/// Where `value` differs in shape from `reference`: an object key missing or unknown (objects are
/// compared key by key, recursively; other values only by being there).
fn shape_error(value: &serde_json::Value, reference: &serde_json::Value, at: &str) -> Option<String> {
    let (Some(got), Some(want)) = (value.as_object(), reference.as_object()) else { return None };
    let name = |k: &str| if at.is_empty() { k.to_owned() } else { format!("{at}.{k}") };
    if let Some(k) = want.keys().find(|k| !got.contains_key(*k)) {
        return Some(format!("缺少字段 {}", name(k)));
    }
    if let Some(k) = got.keys().find(|k| !want.contains_key(*k)) {
        return Some(format!("未知字段 {}", name(k)));
    }
    want.iter().find_map(|(k, w)| shape_error(&got[k], w, &name(k)))
}

/// The deadline rules' fields a policy body may leave out (the defaults apply).
const STAGE_CLOCK_FIELDS: [&str; 4] =
    ["verify_within_working_days", "accept_within_working_days", "rectify_from", "return_visit_within_working_days"];

/// A policy body: every field given (a typo or an empty body must not silently reset a
/// jurisdiction to the defaults), none unknown, each value within the domain's bounds. Stored
/// policies are read leniently (see `settings::policy`); this is the wire's strictness.
fn policy_from(mut body: serde_json::Value) -> ApiResult<JurisdictionPolicy> {
    let reference = serde_json::to_value(JurisdictionPolicy::default()).map_err(AppError::internal)?;
    // The watch's settings came later than deadlines and escalation: a body without them keeps
    // the defaults (a body with them is checked field by field like the rest).
    // Likewise the stage clocks (核实处置, 签收, 回访, and from when rectification counts), which
    // came later than the other deadline rules; `null` turns a stage's clock off.
    if let Some(obj) = body.as_object_mut() {
        // The assessment rules (minimum sample of the staff and window leagues) came later still.
        for part in ["watch", "assessment"] {
            if !obj.contains_key(part) {
                obj.insert(part.into(), reference[part].clone());
            }
        }
        // A bottom rule (倒逼) is optional within the assessment rules.
        if let Some(assessment) = obj.get_mut("assessment").and_then(|a| a.as_object_mut()) {
            assessment.entry("bottom_rule").or_insert(serde_json::Value::Null);
            // The award rule and the score formula came with 服务明星 and 绩效考核.
            for key in ["stars", "score"] {
                assessment.entry(key).or_insert_with(|| reference["assessment"][key].clone());
            }
        }
        if let Some(deadlines) = obj.get_mut("deadlines").and_then(|d| d.as_object_mut()) {
            for key in STAGE_CLOCK_FIELDS {
                if !deadlines.contains_key(key) {
                    deadlines.insert(key.into(), reference["deadlines"][key].clone());
                }
            }
        }
    }
    if let Some(e) = shape_error(&body, &reference, "") {
        return Err(AppError::invalid(format!("策略内容不完整或有误：{e}（须给出完整的 deadlines 和 escalation）")));
    }
    if !body.is_object() {
        return Err(AppError::invalid("策略内容须为 JSON 对象（含 deadlines 和 escalation）"));
    }
    let policy: JurisdictionPolicy = crate::strict_json::from_value(&body)
        .map_err(|e| AppError::invalid(format!("请求数据不符合接口要求：{}", e.0)))?;
    policy.deadlines.validate().map_err(AppError::invalid)?;
    policy.escalation.validate().map_err(AppError::invalid)?;
    policy.watch.validate().map_err(AppError::invalid)?;
    policy.assessment.validate().map_err(AppError::invalid)?;
    Ok(policy)
}

/// Sets a unit's deadline and escalation policy; it applies to the unit and everything below
/// that has no policy of its own. Cases opened afterwards get deadlines by it.
#[utoipa::path(put, path = "/api/v1/admin/policies/{unit_id}", tag = "admin", security(("bearer" = [])),
    params(("unit_id" = i64, Path, description = "org unit id")), request_body = JurisdictionPolicy,
    responses((status = 200, body = SettingRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn put_policy(
    State(state): State<AppState>,
    who: AuthUser,
    Path(unit_id): Path<i64>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Json<SettingRow>> {
    require_admin(&who)?;
    let policy = policy_from(body)?;
    let value = serde_json::to_string(&policy).map_err(AppError::internal)?;
    let admin = Admin::of(&who);
    let at = state.clock.now_rfc3339();
    let out = state
        .db
        .write(move |c| {
            let Some(unit) = org_units::get(c, unit_id)?.filter(|u| admin.owns(&u.path)) else {
                return Ok(Outcome::NotFound("单位"));
            };
            let id = settings::put(c, unit.id, &unit.path, setting_keys::POLICY, &value, &at)?;
            changes::record(c, Entity::Setting, id, &unit.path, ChangeOp::Upsert, &at)?;
            admin.audit(c, &at, "admin.policy.put", format!("setting:{id}"), format!("org_unit:{}", unit.id))?;
            match settings::get(c, id)? {
                Some(row) => Ok(Outcome::Done(row)),
                None => Ok(Outcome::NotFound("设置")),
            }
        })
        .await?;
    Ok(Json(out.into_result()?))
}
