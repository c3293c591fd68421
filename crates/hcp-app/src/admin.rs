//! 系统管理 (administration) for administrators: the organisation tree, staff, accounts, service
//! items, the working-day calendar and each jurisdiction's deadline and escalation policy.
//!
//! Online only: every read and write goes to the server's `/api/v1/admin/*` endpoints, which check
//! the jurisdiction and audit each change; the replica receives the changes through the feed.
//! Offline, every call answers `network` with a message saying so.

use std::collections::BTreeMap;

use hcp_domain::{OrgKind, Role};
use hcp_protocol::{JurisdictionPolicy, OrgUnitRow, ServiceItemRow, StaffRow};
use hcp_sync::Method;
use serde::{Deserialize, Serialize};

use crate::calendar_import::{self, CalendarImportPreview, CalendarYearView};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::{online_only, App};

const WHAT: &str = "系统管理";

/// One unit of the jurisdiction's organisation tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdminUnit {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub parent_id: Option<i64>,
    /// `city`, `district`, `park`, `town`, `community`, `hall`, `department` or `window`.
    pub kind: String,
    pub name: String,
    pub code: String,
    /// Depth below the administrator's own unit (0 for it).
    pub depth: u32,
    /// The kinds a unit may be added below this one.
    pub child_kinds: Vec<String>,
    /// False once deactivated (已停用): kept for the history, offered for nothing new.
    pub active: bool,
}

/// A new unit, or (with `id`) a renamed / re-coded one.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UnitInput {
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub parent_id: i64,
    pub kind: String,
    pub name: String,
    pub code: String,
}

/// A staff member (工作人员) of a hall.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdminStaff {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub name: String,
    pub employee_no: String,
}

/// A new staff member, or (with `id`) changes to one (the hall and the employee number stay).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffInput {
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub department_id: Option<i64>,
    pub name: String,
    pub employee_no: String,
    /// The certificate number (only its hash is kept by the server); empty: none / unchanged.
    pub cert: Option<String>,
}

/// An account as administrators see it (never a password).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdminAccount {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    pub active: bool,
}

/// A new account (`id` null, `password` required), or changes to one: a new display name, role,
/// unit, a password reset, (de)activation. The server ends the user's sessions on a change of
/// role, unit or password and on deactivation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountInput {
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub active: bool,
    /// Required for a new account; for an existing one, a reset when given.
    pub password: Option<String>,
}

/// A service item (政务服务事项).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AdminItem {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    pub code: String,
    pub name: String,
    pub promised_working_days: Option<u32>,
    pub active: bool,
}

/// A new service item, or (with `id`) changes to one (the unit and code stay).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemInput {
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub promised_working_days: Option<u32>,
    pub active: bool,
}

/// The working-day calendar in force, by year.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CalendarOverview {
    /// `distributed` (published through 系统管理) or `bundled` (built into the server).
    pub source: String,
    pub years: Vec<CalendarYearView>,
    pub missing_year: Option<i32>,
    pub warning: Option<String>,
    /// Whether this administrator may import a year (the city's administrators only).
    pub may_import: bool,
}

/// A deadline the import moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct MovedDeadline {
    pub case_no: String,
    pub old_deadline: String,
    pub new_deadline: String,
}

/// What the import of a year did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CalendarImported {
    pub year: i32,
    pub moved: Vec<MovedDeadline>,
}

/// A jurisdiction's deadline and escalation policy as a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyForm {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    /// The unit whose setting applies now (null: the defaults); read-only.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub set_at_unit_id: Option<i64>,
    /// `working_days` or `calendar_days`.
    pub deadline_kind: String,
    pub deadline_days: u32,
    /// `HH:MM`: work arriving from then on counts from the next working day.
    pub cutoff: String,
    pub max_extension_working_days: u32,
    pub coordination_office_after: u32,
    pub government_inspection_after: u32,
    pub accountability_after: u32,
    pub accountability_requires_repeat: bool,
    pub accountability_regardless_after: u32,
    pub at_risk_within: u32,
    /// `HH:MM`.
    pub work_starts: String,
    /// `HH:MM`.
    pub work_ends: String,
    pub remind_every_working_days: u32,
    /// 核实处置 within this many working days of arrival (null: no clock).
    pub verify_within_working_days: Option<u32>,
    /// 签收 within this many working days of assignment (null: no clock).
    pub accept_within_working_days: Option<u32>,
    /// The rectification deadline counts from `assignment` or from the bad review's `arrival`.
    pub rectify_from: hcp_domain::RectifyFrom,
    /// 回访 within this many working days of the rectification report (null: no clock).
    pub return_visit_within_working_days: Option<u32>,
    /// 排名考核: ratings a window or staff member needs in a period to be ranked.
    pub min_sample: u32,
    /// 倒逼: the last `bottom` of the monthly league `months` months running get a 限期整改 case.
    pub bottom_rule: Option<hcp_domain::league::BottomRule>,
    /// 服务明星 / 办事能手: who the staff league proposes.
    pub stars: hcp_domain::merit::StarRule,
    /// 绩效考核: the score sheet's points.
    pub score: hcp_domain::merit::ScoreFormula,
    /// 本机数据: months of ratings the jurisdiction's laptops hold in full (the current one
    /// included); earlier months come as the server's month statistics.
    pub window_months: u32,
}

#[derive(Deserialize)]
struct AdminUserWire {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    unit_id: i64,
    unit_name: String,
    active: bool,
}

#[derive(Deserialize)]
struct CalendarWire {
    source: String,
    calendar: serde_json::Value,
    missing_year: Option<i32>,
    warning: Option<String>,
}

#[derive(Deserialize)]
struct PolicyWire {
    policy: JurisdictionPolicy,
    set_at_unit_id: Option<i64>,
}

#[derive(Deserialize)]
struct PublishedWire {
    recounted: Vec<RecountedWire>,
}

#[derive(Deserialize)]
struct RecountedWire {
    case_no: String,
    old_deadline: String,
    new_deadline: String,
}

fn hhmm(t: chrono::NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn parse_hhmm(field: &str, s: &str) -> ApiResult<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| ApiError::new(ErrorCode::InvalidInput, format!("{field}应为 时:分（如 17:00）")))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, message)
}

/// The units as a tree in path order, with depth and the kinds allowed below each.
pub fn units_view(rows: Vec<OrgUnitRow>) -> Vec<AdminUnit> {
    let base = rows.iter().map(|u| u.path.matches('/').count()).min().unwrap_or(0);
    rows.into_iter()
        .map(|u| AdminUnit {
            depth: (u.path.matches('/').count() - base) as u32,
            child_kinds: KINDS.iter().filter(|k| u.kind.may_contain(**k)).map(|k| k.as_str().to_owned()).collect(),
            id: u.id,
            parent_id: u.parent_id,
            kind: u.kind.as_str().to_owned(),
            name: u.name,
            code: u.code,
            active: u.active,
        })
        .collect()
}

const KINDS: [OrgKind; 8] = [
    OrgKind::City,
    OrgKind::District,
    OrgKind::Park,
    OrgKind::Town,
    OrgKind::Community,
    OrgKind::Hall,
    OrgKind::Department,
    OrgKind::Window,
];

/// The policy as the form shows it.
pub fn policy_form(unit_id: i64, set_at_unit_id: Option<i64>, p: &JurisdictionPolicy) -> PolicyForm {
    let (kind, days) = match p.deadlines.policy {
        hcp_domain::DeadlinePolicy::WorkingDays(n) => ("working_days", n),
        hcp_domain::DeadlinePolicy::CalendarDays(n) => ("calendar_days", n),
    };
    PolicyForm {
        unit_id,
        set_at_unit_id,
        deadline_kind: kind.to_owned(),
        deadline_days: days,
        cutoff: hhmm(p.deadlines.cutoff),
        max_extension_working_days: p.deadlines.max_extension_working_days,
        coordination_office_after: p.escalation.coordination_office_after,
        government_inspection_after: p.escalation.government_inspection_after,
        accountability_after: p.escalation.accountability_after,
        accountability_requires_repeat: p.escalation.accountability_requires_repeat,
        accountability_regardless_after: p.escalation.accountability_regardless_after,
        at_risk_within: p.escalation.at_risk_within,
        work_starts: hhmm(p.watch.work_starts),
        work_ends: hhmm(p.watch.work_ends),
        remind_every_working_days: p.watch.remind_every_working_days,
        verify_within_working_days: p.deadlines.verify_within_working_days,
        accept_within_working_days: p.deadlines.accept_within_working_days,
        rectify_from: p.deadlines.rectify_from,
        return_visit_within_working_days: p.deadlines.return_visit_within_working_days,
        min_sample: p.assessment.min_sample,
        bottom_rule: p.assessment.bottom_rule,
        stars: p.assessment.stars,
        score: p.assessment.score,
        window_months: p.replication.window_months,
    }
}

/// The form applied to the policy in force (fields the form does not show, such as the time zone,
/// stay), checked with the domain's rules so the user hears what is wrong before anything is sent.
pub fn policy_from_form(current: &JurisdictionPolicy, f: &PolicyForm) -> ApiResult<JurisdictionPolicy> {
    let mut p = *current;
    p.deadlines.policy = match f.deadline_kind.as_str() {
        "working_days" => hcp_domain::DeadlinePolicy::WorkingDays(f.deadline_days),
        "calendar_days" => hcp_domain::DeadlinePolicy::CalendarDays(f.deadline_days),
        other => return Err(invalid(format!("无效的时限类型：{other}"))),
    };
    p.deadlines.cutoff = parse_hhmm("截止时间", &f.cutoff)?;
    p.deadlines.max_extension_working_days = f.max_extension_working_days;
    p.escalation.coordination_office_after = f.coordination_office_after;
    p.escalation.government_inspection_after = f.government_inspection_after;
    p.escalation.accountability_after = f.accountability_after;
    p.escalation.accountability_requires_repeat = f.accountability_requires_repeat;
    p.escalation.accountability_regardless_after = f.accountability_regardless_after;
    p.escalation.at_risk_within = f.at_risk_within;
    p.watch.work_starts = parse_hhmm("上班时间", &f.work_starts)?;
    p.watch.work_ends = parse_hhmm("下班时间", &f.work_ends)?;
    p.watch.remind_every_working_days = f.remind_every_working_days;
    p.deadlines.verify_within_working_days = f.verify_within_working_days;
    p.deadlines.accept_within_working_days = f.accept_within_working_days;
    p.deadlines.rectify_from = f.rectify_from;
    p.deadlines.return_visit_within_working_days = f.return_visit_within_working_days;
    p.assessment.min_sample = f.min_sample;
    p.assessment.bottom_rule = f.bottom_rule;
    p.assessment.stars = f.stars;
    p.assessment.score = f.score;
    p.replication.window_months = f.window_months;
    p.deadlines.validate().map_err(invalid)?;
    p.escalation.validate().map_err(invalid)?;
    p.watch.validate().map_err(invalid)?;
    p.assessment.validate().map_err(invalid)?;
    p.replication.validate().map_err(invalid)?;
    Ok(p)
}

fn some_text(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl App {
    async fn admin_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> ApiResult<T> {
        let a = self.active()?;
        a.require_online(WHAT)?;
        a.client.get_json(&a.token, path, &[]).await.map_err(|e| online_only(e, WHAT))
    }

    async fn admin_send<B: Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> ApiResult<T> {
        let a = self.active()?;
        a.require_online(WHAT)?;
        let out = a.client.send_json(&a.token, method, path, body).await.map_err(|e| online_only(e, WHAT))?;
        // The change reaches the replica through the feed: fetch it now.
        self.wake_sync();
        Ok(out)
    }

    /// The organisation tree of the administrator's jurisdiction.
    pub async fn admin_units(&self) -> ApiResult<Vec<AdminUnit>> {
        Ok(units_view(self.admin_get("/api/v1/admin/org-units").await?))
    }

    /// Adds a unit (no `id`) or renames / re-codes one.
    pub async fn admin_save_unit(&self, input: UnitInput) -> ApiResult<AdminUnit> {
        let row: OrgUnitRow = match input.id {
            None => {
                let body = serde_json::json!({
                    "parent_id": input.parent_id, "kind": input.kind, "name": input.name.trim(), "code": input.code.trim()
                });
                self.admin_send(Method::POST, "/api/v1/admin/org-units", &body).await?
            }
            Some(id) => {
                let body = serde_json::json!({ "name": input.name.trim(), "code": input.code.trim() });
                self.admin_send(Method::PATCH, &format!("/api/v1/admin/org-units/{id}"), &body).await?
            }
        };
        Ok(units_view(vec![row]).remove(0))
    }

    /// Deactivates (已停用) or reactivates a unit. The server refuses while active units, open
    /// cases or active accounts remain at or below it, and reactivation below a deactivated
    /// parent; its message says what is left.
    pub async fn admin_set_unit_active(&self, id: i64, active: bool) -> ApiResult<AdminUnit> {
        let body = serde_json::json!({ "active": active });
        let row: OrgUnitRow = self.admin_send(Method::PATCH, &format!("/api/v1/admin/org-units/{id}"), &body).await?;
        Ok(units_view(vec![row]).remove(0))
    }

    /// Moves a unit, with everything below it, under another unit of the jurisdiction (移动). The
    /// server rewrites every path below it in one transaction and the replicas follow through
    /// the change feed.
    pub async fn admin_move_unit(&self, id: i64, parent_id: i64) -> ApiResult<AdminUnit> {
        let body = serde_json::json!({ "parent_id": parent_id });
        let row: OrgUnitRow = self.admin_send(Method::PATCH, &format!("/api/v1/admin/org-units/{id}"), &body).await?;
        Ok(units_view(vec![row]).remove(0))
    }

    /// The staff of the jurisdiction's halls, with their hall's and department's names.
    pub async fn admin_staff(&self) -> ApiResult<Vec<AdminStaff>> {
        let rows: Vec<StaffRow> = self.admin_get("/api/v1/admin/staff").await?;
        let names = self.unit_names().await?;
        Ok(rows.into_iter().map(|s| staff_view(s, &names)).collect())
    }

    /// Adds a staff member (no `id`) or changes one.
    pub async fn admin_save_staff(&self, input: StaffInput) -> ApiResult<AdminStaff> {
        let cert = some_text(&input.cert);
        let row: StaffRow = match input.id {
            None => {
                let body = serde_json::json!({
                    "unit_id": input.unit_id, "department_id": input.department_id, "window_id": null,
                    "name": input.name.trim(), "employee_no": input.employee_no.trim(), "cert": cert
                });
                self.admin_send(Method::POST, "/api/v1/admin/staff", &body).await?
            }
            Some(id) => {
                let mut body = serde_json::json!({ "name": input.name.trim(), "department_id": input.department_id });
                if let Some(c) = cert {
                    body["cert"] = serde_json::Value::String(c);
                }
                self.admin_send(Method::PATCH, &format!("/api/v1/admin/staff/{id}"), &body).await?
            }
        };
        let names = self.unit_names().await?;
        Ok(staff_view(row, &names))
    }

    /// The accounts of the jurisdiction.
    pub async fn admin_accounts(&self) -> ApiResult<Vec<AdminAccount>> {
        let rows: Vec<AdminUserWire> = self.admin_get("/api/v1/admin/users").await?;
        rows.into_iter().map(account_view).collect()
    }

    /// Adds an account (no `id`; a password of at least 8 characters) or changes one (a password
    /// given resets it).
    pub async fn admin_save_account(&self, input: AccountInput) -> ApiResult<AdminAccount> {
        let password = input.password.as_deref().filter(|p| !p.is_empty()).map(str::to_owned);
        if let Some(p) = &password {
            if p.chars().count() < 8 {
                return Err(invalid("密码至少 8 位"));
            }
        }
        let row: AdminUserWire = match input.id {
            None => {
                let Some(password) = password else {
                    return Err(invalid("请为新账号设置初始密码（至少 8 位）"));
                };
                let body = serde_json::json!({
                    "username": input.username.trim(), "display_name": input.display_name.trim(),
                    "password": password, "role": input.role.as_str(), "unit_id": input.unit_id, "staff_id": null
                });
                let created: AdminUserWire = self.admin_send(Method::POST, "/api/v1/admin/users", &body).await?;
                if input.active {
                    created
                } else {
                    let off = serde_json::json!({ "active": false });
                    self.admin_send(Method::PATCH, &format!("/api/v1/admin/users/{}", created.id), &off).await?
                }
            }
            Some(id) => {
                let mut body = serde_json::json!({
                    "display_name": input.display_name.trim(), "role": input.role.as_str(),
                    "unit_id": input.unit_id, "active": input.active
                });
                if let Some(p) = password {
                    body["password"] = serde_json::Value::String(p);
                }
                self.admin_send(Method::PATCH, &format!("/api/v1/admin/users/{id}"), &body).await?
            }
        };
        account_view(row)
    }

    /// The service items of the jurisdiction.
    pub async fn admin_items(&self) -> ApiResult<Vec<AdminItem>> {
        let rows: Vec<ServiceItemRow> = self.admin_get("/api/v1/admin/items").await?;
        let names = self.unit_names().await?;
        Ok(rows.into_iter().map(|i| item_view(i, &names)).collect())
    }

    /// Adds a service item (no `id`) or changes one.
    pub async fn admin_save_item(&self, input: ItemInput) -> ApiResult<AdminItem> {
        let row: ServiceItemRow = match input.id {
            None => {
                let body = serde_json::json!({
                    "unit_id": input.unit_id, "code": input.code.trim(), "name": input.name.trim(),
                    "promised_working_days": input.promised_working_days
                });
                let created: ServiceItemRow = self.admin_send(Method::POST, "/api/v1/admin/items", &body).await?;
                if input.active {
                    created
                } else {
                    let off = serde_json::json!({ "active": false });
                    self.admin_send(Method::PATCH, &format!("/api/v1/admin/items/{}", created.id), &off).await?
                }
            }
            Some(id) => {
                let body = serde_json::json!({
                    "name": input.name.trim(), "promised_working_days": input.promised_working_days, "active": input.active
                });
                self.admin_send(Method::PATCH, &format!("/api/v1/admin/items/{id}"), &body).await?
            }
        };
        let names = self.unit_names().await?;
        Ok(item_view(row, &names))
    }

    /// The working-day calendar in force, year by year.
    pub async fn admin_calendar(&self) -> ApiResult<CalendarOverview> {
        let wire: CalendarWire = self.admin_get("/api/v1/admin/calendar").await?;
        let a = self.active()?;
        let calendar = hcp_domain::Calendar::from_json(&wire.calendar.to_string())
            .map_err(|e| ApiError::new(ErrorCode::Server, format!("服务器的工作日历无法读取：{e}")))?;
        Ok(CalendarOverview {
            source: wire.source,
            years: calendar_import::years_view(&calendar),
            missing_year: wire.missing_year,
            warning: wire.warning,
            may_import: a.user.role == Role::Administrator && a.user.scope_path.matches('/').count() == 2,
        })
    }

    /// What importing the pasted State Council notice (its text or table, or holiday-cn JSON)
    /// would change in the calendar in force; nothing is sent.
    pub async fn admin_preview_calendar_year(&self, text: String) -> ApiResult<CalendarImportPreview> {
        let wire: CalendarWire = self.admin_get("/api/v1/admin/calendar").await?;
        let calendar = hcp_domain::Calendar::from_json(&wire.calendar.to_string())
            .map_err(|e| ApiError::new(ErrorCode::Server, format!("服务器的工作日历无法读取：{e}")))?;
        calendar_import::preview(&calendar, &text)
    }

    /// Imports the pasted notice as its year's official arrangement (the city's administrators);
    /// the server re-counts the running deadlines it moves and lists them.
    pub async fn admin_import_calendar_year(&self, text: String) -> ApiResult<CalendarImported> {
        let parsed = calendar_import::parse(&text)?;
        let body = serde_json::json!({ "notice": parsed.notice, "holiday_cn": parsed.holiday_cn_json() });
        let out: PublishedWire = self.admin_send(Method::POST, "/api/v1/admin/calendar/years", &body).await?;
        Ok(CalendarImported {
            year: parsed.year,
            moved: out
                .recounted
                .into_iter()
                .map(|r| MovedDeadline {
                    case_no: r.case_no,
                    old_deadline: r.old_deadline,
                    new_deadline: r.new_deadline,
                })
                .collect(),
        })
    }

    /// The deadline and escalation policy in force for a unit, as a form.
    pub async fn admin_policy(&self, unit_id: i64) -> ApiResult<PolicyForm> {
        let wire: PolicyWire = self.admin_get(&format!("/api/v1/admin/policies/{unit_id}")).await?;
        Ok(policy_form(unit_id, wire.set_at_unit_id, &wire.policy))
    }

    /// Sets a unit's policy from the form (checked first); returns it as now in force.
    pub async fn admin_save_policy(&self, form: PolicyForm) -> ApiResult<PolicyForm> {
        let wire: PolicyWire = self.admin_get(&format!("/api/v1/admin/policies/{}", form.unit_id)).await?;
        let policy = policy_from_form(&wire.policy, &form)?;
        let _: serde_json::Value =
            self.admin_send(Method::PUT, &format!("/api/v1/admin/policies/{}", form.unit_id), &policy).await?;
        self.admin_policy(form.unit_id).await
    }

    async fn unit_names(&self) -> ApiResult<BTreeMap<i64, String>> {
        let units: Vec<OrgUnitRow> = self.admin_get("/api/v1/admin/org-units").await?;
        Ok(units.into_iter().map(|u| (u.id, u.name)).collect())
    }
}

fn staff_view(s: StaffRow, names: &BTreeMap<i64, String>) -> AdminStaff {
    AdminStaff {
        unit_name: names.get(&s.unit_id).cloned().unwrap_or_default(),
        department_name: s.department_id.and_then(|d| names.get(&d).cloned()),
        id: s.id,
        unit_id: s.unit_id,
        department_id: s.department_id,
        name: s.name,
        employee_no: s.employee_no,
    }
}

fn account_view(u: AdminUserWire) -> ApiResult<AdminAccount> {
    let role = Role::parse(&u.role).ok_or_else(|| ApiError::new(ErrorCode::Server, format!("未知角色：{}", u.role)))?;
    Ok(AdminAccount {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        unit_id: u.unit_id,
        unit_name: u.unit_name,
        active: u.active,
    })
}

fn item_view(i: ServiceItemRow, names: &BTreeMap<i64, String>) -> AdminItem {
    AdminItem {
        unit_name: names.get(&i.unit_id).cloned().unwrap_or_default(),
        id: i.id,
        unit_id: i.unit_id,
        code: i.code,
        name: i.name,
        promised_working_days: i.promised_working_days.and_then(|d| u32::try_from(d).ok()),
        active: i.active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_form_round_trips_and_refuses_nonsense() {
        let p = JurisdictionPolicy::default();
        let f = policy_form(7, None, &p);
        assert_eq!(f.deadline_kind, "working_days");
        assert_eq!(f.cutoff, "17:00");
        assert_eq!(policy_from_form(&p, &f).expect("same"), p);

        let mut g = f.clone();
        g.deadline_kind = "calendar_days".into();
        g.deadline_days = 15;
        g.at_risk_within = 2;
        let q = policy_from_form(&p, &g).expect("valid");
        assert_eq!(q.deadlines.policy, hcp_domain::DeadlinePolicy::CalendarDays(15));
        assert_eq!(q.escalation.at_risk_within, 2);
        assert_eq!(q.deadlines.utc_offset_minutes, p.deadlines.utc_offset_minutes, "fields off the form stay");

        let mut bad = f.clone();
        bad.cutoff = "5pm".into();
        assert_eq!(policy_from_form(&p, &bad).expect_err("time").code, ErrorCode::InvalidInput);
        let mut bad = f.clone();
        bad.work_starts = "18:00".into();
        assert!(policy_from_form(&p, &bad).is_err(), "the working day must start before it ends");
        let mut bad = f.clone();
        bad.deadline_kind = "weeks".into();
        assert!(policy_from_form(&p, &bad).is_err());
        let mut window = f.clone();
        window.window_months = 13;
        assert_eq!(policy_from_form(&p, &window).expect("a year and a month").replication.window_months, 13);
        let mut bad = f;
        bad.window_months = 0;
        assert!(policy_from_form(&p, &bad).expect_err("no month").message.contains("1 到 120"));
    }

    #[test]
    fn units_come_with_depth_and_the_kinds_allowed_below() {
        let row = |id, parent, kind, path: &str| OrgUnitRow {
            id,
            parent_id: parent,
            kind,
            name: format!("u{id}"),
            code: String::new(),
            path: path.into(),
            active: true,
        };
        let v = units_view(vec![
            row(2, Some(1), OrgKind::District, "/1/2/"),
            row(3, Some(2), OrgKind::Hall, "/1/2/3/"),
            row(4, Some(3), OrgKind::Department, "/1/2/3/4/"),
        ]);
        assert_eq!(v.iter().map(|u| u.depth).collect::<Vec<_>>(), [0, 1, 2]);
        assert!(v[1].child_kinds.contains(&"department".to_owned()));
        assert!(!v[2].child_kinds.contains(&"district".to_owned()));
    }
}
