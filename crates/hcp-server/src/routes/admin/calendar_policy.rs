//! The working-day calendar (and the recount of deadlines its import moves) and each
//! jurisdiction's policy.

use super::*;

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
        .read(move |c| Ok((settings::is_set_anywhere(c, setting_keys::CALENDAR)?, settings::calendar(c, &bundled)?)))
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
    let Json(published) = write(state, move |c| {
        let old = settings::calendar(c, &bundled)?;
        let new = match make(&old) {
            Ok(cal) => cal,
            Err(e) => return Ok(Outcome::Invalid(format!("工作日历无效：{e}"))),
        };
        let id = settings::put(c, unit_id, &admin.scope, setting_keys::CALENDAR, &new.to_json(), &at)?;
        let years = new.covered_years();
        let detail = match (years.first(), years.last()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => String::new(),
        };
        admin.audit_row(c, &at, Entity::Setting, id, "admin.calendar.put", detail)?;
        let recounted = recount_deadlines(c, &old, &new, &admin, now, &at)?;
        let setting = hcp_store::get::<hcp_protocol::SettingRow>(c, id)?
            .ok_or_else(|| DbError::Corrupt("the calendar setting vanished".into()))?;
        Ok(Outcome::Done(CalendarPublished { setting, recounted }))
    })
    .await?;
    Ok(published)
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
    let states: Vec<hcp_domain::CaseState> =
        hcp_domain::CaseState::ALL.into_iter().filter(|s| s.stage().is_some()).collect();
    let ids = cases::ids_in_states(c, &states)?;
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
        cases::update(c, &row, at)?;
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
        let Some(event) = hcp_store::get::<hcp_protocol::CaseEventRow>(c, event_id)? else { continue };
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
        for part in ["watch", "assessment", "replication"] {
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
    policy.replication.validate().map_err(AppError::invalid)?;
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
    write(&state, move |c| {
        let Some(unit) = org_units::get(c, unit_id)?.filter(|u| admin.owns(&u.path)) else {
            return Ok(Outcome::NotFound("单位"));
        };
        let id = settings::put(c, unit.id, &unit.path, setting_keys::POLICY, &value, &at)?;
        admin.audit_row(c, &at, Entity::Setting, id, "admin.policy.put", format!("org_unit:{}", unit.id))?;
        match hcp_store::get::<hcp_protocol::SettingRow>(c, id)? {
            Some(row) => Ok(Outcome::Done(row)),
            None => Ok(Outcome::NotFound("设置")),
        }
    })
    .await
}
