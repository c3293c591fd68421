//! Accounts and their roles.

use super::*;

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
    list(&state, &who, |c, scope, upper| {
        let ids = users::ids_in_scope(c, scope, upper)?;
        ids.into_iter().filter_map(|id| users::by_id(c, id).transpose()).map(|u| u.map(AdminUser::from)).collect()
    })
    .await
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
    write(&state, move |c| {
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
        admin.audit_row(c, &at, Entity::User, id, "admin.user.create", format!("{username} {}", role.as_str()))?;
        match users::by_id(c, id)? {
            Some(u) => Ok(Outcome::Done(AdminUser::from(u))),
            None => Ok(Outcome::NotFound("用户")),
        }
    })
    .await
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
    write(&state, move |c| {
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
        let arrives = unit.as_ref().is_some_and(|u| u.id != before.unit_id) || (active == Some(true) && !before.active);
        if arrives {
            if let Some(off) = org_units::inactive_on_path(c, home)? {
                return Ok(Outcome::Invalid(unit_state::inactive_message(&off)));
            }
        }
        users::update(
            c,
            id,
            &users::Patch {
                display_name: display_name.as_deref(),
                role,
                unit_id: unit.as_ref().map(|u| u.id),
                active,
                password_hash: hash.as_deref(),
            },
            &at,
        )?;
        let ends_sessions = role.is_some_and(|r| r != before.role)
            || unit.as_ref().is_some_and(|u| u.id != before.unit_id)
            || active == Some(false)
            || hash.is_some();
        if ends_sessions {
            tokens::revoke_all(c, id, &at)?;
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
    .await
}
