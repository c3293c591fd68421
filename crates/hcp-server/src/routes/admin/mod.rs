//! Reference data, for administrators of a jurisdiction: the organisation tree, staff, users and
//! their roles, service items, the working-day calendar and each jurisdiction's policy.
//!
//! Every write stays inside the administrator's jurisdiction (anything outside answers 404, as if
//! it did not exist), goes into the change feed so desktop clients receive it, and is audited.

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::{Calendar, OrgKind, Role};
use hcp_protocol::{
    setting_keys, Entity, ErrorBody, ErrorCode, JurisdictionPolicy, OrgUnitRow, ServiceItemRow, SettingRow, StaffRow,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{hash_password, AuthUser};
use crate::db::unit_move;
use crate::db::{
    audit_log, case_events, cases, org_units, service_items, settings, staff, tokens, users, Conn, DbError, DbResult,
};
use crate::error::{ApiResult, AppError, Json, Path};
use crate::{unit_state, AppState};

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

    /// The audit entry of a write of a replicated row (`action` on `{entity}:{id}`); the write
    /// itself recorded the row's change.
    fn audit_row(&self, c: &Conn<'_>, at: &str, entity: Entity, id: i64, action: &str, detail: String) -> DbResult<()> {
        self.audit(c, at, action, format!("{}:{id}", entity.as_str()), detail)
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

/// Runs an administrative write in one transaction and answers with its outcome.
async fn write<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Conn<'_>) -> DbResult<Outcome<T>> + Send + 'static,
) -> ApiResult<Json<T>> {
    Ok(Json(state.db.write(f).await?.into_result()?))
}

/// The rows of the administrator's jurisdiction that `read` collects (given the scope and its
/// upper bound).
async fn list<T: Send + 'static>(
    state: &AppState,
    who: &AuthUser,
    read: impl FnOnce(&Conn<'_>, &str, &str) -> DbResult<Vec<T>> + Send + 'static,
) -> ApiResult<Json<Vec<T>>> {
    require_admin(who)?;
    let scope = who.user.scope_path.clone();
    Ok(Json(state.db.read(move |c| read(c, &scope, &format!("{scope}~"))).await?))
}

mod accounts;
mod calendar_policy;
mod items;
mod staff_members;
mod units;

pub use accounts::*;
pub use calendar_policy::*;
pub use items::*;
pub use staff_members::*;
pub use units::*;
