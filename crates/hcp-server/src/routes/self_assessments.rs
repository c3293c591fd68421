//! 自我评价 (a hall's quarterly self-assessment: submitted by the hall's manager, reviewed by a
//! supervisor of the jurisdiction) and 第三方评价 (survey results imported from a file by a
//! supervisor or administrator). Both replicate read-only; the rules are
//! `hcp_domain::self_assessment` and `hcp_domain::survey`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use hcp_domain::self_assessment::{self as sa, Refusal};
use hcp_domain::survey::{self, SurveyRecord};
use hcp_domain::{OrgKind, Role, ScopePath};
use hcp_protocol::{
    ErrorBody, ErrorCode, SelfAssessmentReviewRequest, SelfAssessmentRow, SelfAssessmentSubmitRequest,
    SurveyImportReport, SurveyImportRequest, SurveyProblem,
};

use crate::auth::AuthUser;
use crate::db::self_assessments::{self as db, NewSurvey, Review, Submission};
use crate::db::{audit_log, org_units, Conn, DbError, DbResult};
use crate::error::{ApiResult, AppError, Json, Path};
use crate::AppState;

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::NotAllowed(m) => AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, m),
        Refusal::WrongState(m) => AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict, m),
        Refusal::Invalid(m) => AppError::invalid(m),
    }
}

fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "自我评价不存在或不在您的辖区内")
}

fn check_command_id(id: &str) -> Result<String, AppError> {
    let id = id.trim();
    if id.is_empty() || id.chars().count() > 64 {
        return Err(AppError::invalid("command_id 应为 1–64 个字符"));
    }
    Ok(id.to_owned())
}

fn scope_path(s: &str) -> Result<ScopePath, AppError> {
    ScopePath::try_from(s.to_owned()).map_err(|e| AppError::internal(format!("scope path '{s}': {e}")))
}

fn corrupt(what: &str) -> DbError {
    DbError::Corrupt(format!("{what} vanished"))
}

/// The hall manager submits the hall's self-assessment for a quarter (or submits it again after
/// the supervisor returned it). One per hall and quarter; only the hall's own manager; every
/// heading scored (within its maximum) and described. The same `command_id` again gets the same
/// answer.
#[utoipa::path(post, path = "/api/v1/self-assessments", tag = "self-assessment", security(("bearer" = [])),
    request_body = SelfAssessmentSubmitRequest,
    responses((status = 200, body = SelfAssessmentRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, unit_id = req.unit_id))]
pub async fn submit(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<SelfAssessmentSubmitRequest>,
) -> ApiResult<Json<SelfAssessmentRow>> {
    if who.user.role != Role::HallManager {
        return Err(refused(Refusal::NotAllowed("只有大厅负责人可以提交本大厅的自我评价".into())));
    }
    let command_id = check_command_id(&req.command_id)?;
    let period = sa::parse_period(&req.period).map_err(refused)?;
    let now = state.clock.now();
    if !sa::period_open(period, hcp_domain::calendar::beijing_date(now)) {
        return Err(AppError::invalid(format!("{}尚未开始，不能提交该期自我评价", period.label_zh())));
    }
    let problems = req.form.submit_problems();
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().take(3).map(|p| p.message.clone()).collect();
        return Err(AppError::invalid(format!("自我评价未填写完整：{}", list.join("；"))));
    }
    let form = req.form.normalized();
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let user_scope = scope_path(&who.user.scope_path)?;
    let unit_id = req.unit_id;
    let key = period.key();
    let out = state
        .db
        .write(move |c| -> DbResult<Result<SelfAssessmentRow, AppError>> {
            if let Some(id) = db::by_command(c, &command_id)? {
                return Ok(db::get(c, id)?.ok_or_else(not_found));
            }
            let Some(unit) = org_units::get(c, unit_id)?.filter(|u| u.path.starts_with(&actor.scope_path)) else {
                return Ok(Err(AppError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::NotFound,
                    "大厅不存在或不在您的辖区内",
                )));
            };
            if unit.kind != OrgKind::Hall {
                return Ok(Err(AppError::invalid(format!("“{}”不是政务服务大厅，不能填报自我评价", unit.name))));
            }
            if let Some(off) = org_units::inactive_on_path(c, &unit.path)? {
                return Ok(Err(AppError::new(
                    StatusCode::CONFLICT,
                    ErrorCode::UnitInactive,
                    format!("“{}”已停用，不能提交自我评价", off.name),
                )));
            }
            let hall_path = match ScopePath::try_from(unit.path.clone()) {
                Ok(p) => p,
                Err(e) => return Err(DbError::Corrupt(format!("org_units.path: {e}"))),
            };
            let existing = db::of(c, unit.id, &key)?;
            if let Err(r) = sa::may_submit(actor.role, &user_scope, &hall_path, existing.as_ref().map(|e| e.status)) {
                return Ok(Err(refused(r)));
            }
            let id = db::submit(
                c,
                existing.as_ref().map(|e| e.id),
                &Submission {
                    unit_id: unit.id,
                    unit_path: &unit.path,
                    period: &key,
                    form: &form,
                    user_id: actor.id,
                    user_name: &actor.display_name,
                    at: &at,
                    command_id: &command_id,
                },
            )?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "self_assessment.submit",
                format!("self_assessment:{id}"),
            );
            e.detail = format!("{} {}；自评 {} 分", unit.name, key, form.total());
            audit_log::record(c, &e)?;
            Ok(Ok(db::get(c, id)?.ok_or_else(|| corrupt("self-assessment"))?))
        })
        .await?;
    Ok(Json(out?))
}

/// A supervisor of the hall's jurisdiction approves (通过) or returns (退回, with the reason) a
/// submitted self-assessment. The same `command_id` again gets the same answer.
#[utoipa::path(post, path = "/api/v1/self-assessments/{id}/review", tag = "self-assessment", security(("bearer" = [])),
    params(("id" = i64, Path, description = "self-assessment id")), request_body = SelfAssessmentReviewRequest,
    responses((status = 200, body = SelfAssessmentRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, assessment_id = id))]
pub async fn review(
    State(state): State<AppState>,
    who: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<SelfAssessmentReviewRequest>,
) -> ApiResult<Json<SelfAssessmentRow>> {
    if who.user.role != Role::Supervisor {
        return Err(refused(Refusal::NotAllowed("只有督查人员可以审核自我评价".into())));
    }
    let command_id = check_command_id(&req.command_id)?;
    let comment = req.comment.trim().to_owned();
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let user_scope = scope_path(&who.user.scope_path)?;
    let decision = req.decision;
    let out = state
        .db
        .write(move |c| -> DbResult<Result<SelfAssessmentRow, AppError>> {
            let Some(row) = db::get(c, id)?.filter(|r| r.unit_path.starts_with(&actor.scope_path)) else {
                return Ok(Err(not_found()));
            };
            if db::by_command(c, &command_id)? == Some(id) {
                return Ok(Ok(row));
            }
            let hall_path = match ScopePath::try_from(row.unit_path.clone()) {
                Ok(p) => p,
                Err(e) => return Err(DbError::Corrupt(format!("self_assessments.unit_path: {e}"))),
            };
            if let Err(r) = sa::may_review(actor.role, &user_scope, &hall_path, row.status, decision, &comment) {
                return Ok(Err(refused(r)));
            }
            let status = decision.outcome();
            db::review(
                c,
                id,
                &Review {
                    status,
                    user_id: actor.id,
                    user_name: &actor.display_name,
                    at: &at,
                    comment: (!comment.is_empty()).then_some(comment.as_str()),
                    command_id: &command_id,
                },
            )?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "self_assessment.review",
                format!("self_assessment:{id}"),
            );
            e.detail = format!("{}：{}", row.period, status.label_zh());
            audit_log::record(c, &e)?;
            Ok(Ok(db::get(c, id)?.ok_or_else(|| corrupt("self-assessment"))?))
        })
        .await?;
    Ok(Json(out?))
}

/// What importing the checked rows does: each row's unit, and whether it creates, changes or
/// repeats a stored result.
struct Plan {
    report: SurveyImportReport,
    rows: Vec<(SurveyRecord, i64, String, Option<i64>)>,
}

fn plan(
    c: &Conn<'_>,
    scope: &str,
    this_month: &str,
    records: Vec<SurveyRecord>,
    report: SurveyImportReport,
) -> DbResult<Plan> {
    let mut report = report;
    let codes: Vec<&str> = {
        let mut v: Vec<&str> = records.iter().map(|r| r.unit_code.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut units: BTreeMap<String, hcp_protocol::OrgUnitRow> = BTreeMap::new();
    for u in org_units::by_codes(c, &codes)? {
        units.entry(u.code.clone()).or_insert(u);
    }
    let mut rows = Vec::new();
    for rec in records {
        let Some(unit) = units.get(&rec.unit_code) else {
            report.problems.push(SurveyProblem {
                line: rec.line,
                column: "单位编码".into(),
                reason: format!("单位编码“{}”不存在", rec.unit_code),
            });
            continue;
        };
        if !unit.path.starts_with(scope) {
            report.problems.push(SurveyProblem {
                line: rec.line,
                column: "单位编码".into(),
                reason: format!("单位“{}”（{}）不在您的辖区内", unit.name, rec.unit_code),
            });
            continue;
        }
        if rec.period.as_str() > this_month {
            report.problems.push(SurveyProblem {
                line: rec.line,
                column: "期间".into(),
                reason: format!("期间 {} 晚于本月，测评结果不能早于测评期间", rec.period),
            });
            continue;
        }
        let existing = db::survey_by_key(c, unit.id, &rec.period, rec.method, &rec.agency)?;
        let new = new_survey(&rec, unit.id, &unit.path, "", 0, "", "");
        match &existing {
            None => report.created += 1,
            Some(e) if db::same_values(e, &new) => report.unchanged += 1,
            Some(_) => report.updated += 1,
        }
        rows.push((rec, unit.id, unit.path.clone(), existing.map(|e| e.id)));
    }
    report.problems.sort_by_key(|p| p.line);
    Ok(Plan { report, rows })
}

fn new_survey<'a>(
    rec: &'a SurveyRecord,
    unit_id: i64,
    unit_path: &'a str,
    file_name: &'a str,
    user_id: i64,
    user_name: &'a str,
    at: &'a str,
) -> NewSurvey<'a> {
    NewSurvey {
        unit_id,
        unit_path,
        period: &rec.period,
        method: rec.method,
        agency: &rec.agency,
        respondents: rec.respondents,
        satisfaction_centi: rec.satisfaction_centi,
        levels: rec.levels,
        note: &rec.note,
        file_name,
        user_id,
        user_name,
        at,
    }
}

/// Imports third-party survey results (第三方评价 / 满意度测评) read from a CSV or XLSX file. With
/// `dry_run` it checks every row (its line, column and reason for each problem) and changes
/// nothing. Otherwise the whole file is stored or, with any problem, nothing (422); a result
/// already stored under the same unit, month, method and agency is replaced, so importing a file
/// again does not double it. Supervisors and administrators, for units of their jurisdiction.
#[utoipa::path(post, path = "/api/v1/surveys/import", tag = "self-assessment", security(("bearer" = [])),
    request_body = SurveyImportRequest,
    responses((status = 200, body = SurveyImportReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, rows = req.rows.len(), dry_run = req.dry_run))]
pub async fn import_surveys(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<SurveyImportRequest>,
) -> ApiResult<Json<SurveyImportReport>> {
    if !matches!(who.user.role, Role::Supervisor | Role::Administrator) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "只有督查人员和系统管理员可以导入第三方评价",
        ));
    }
    let file_name = req.file_name.trim().to_owned();
    if file_name.is_empty() || file_name.chars().count() > 200 {
        return Err(AppError::invalid("file_name 应为 1–200 个字符"));
    }
    if req.rows.len() > survey::MAX_ROWS {
        return Err(AppError::invalid(format!(
            "数据行过多（{} 行）：一次最多导入 {} 行",
            req.rows.len(),
            survey::MAX_ROWS
        )));
    }
    // Line 1 is the header; a line number beyond what the document promises (int32) is no file's.
    if let Some(bad) = req.rows.iter().find(|l| l.line < 2 || l.line > i32::MAX as u32) {
        return Err(AppError::invalid(format!("行号 {} 无效：数据行从第 2 行起", bad.line)));
    }
    let rows: Vec<(u32, Vec<String>)> = req.rows.into_iter().map(|l| (l.line, l.cells)).collect();
    let (records, problems) = survey::read_table(&req.header, &rows);
    let report = SurveyImportReport {
        dry_run: req.dry_run,
        rows: rows.len() as u32,
        problems: problems
            .into_iter()
            .map(|p| SurveyProblem { line: p.line, column: p.column, reason: p.reason })
            .collect(),
        ..SurveyImportReport::default()
    };
    let scope = who.user.scope_path.clone();
    let now = state.clock.now();
    let this_month = hcp_domain::league::LeaguePeriod::month_of(hcp_domain::calendar::beijing_date(now)).key();
    if req.dry_run {
        let out = state.db.read(move |c| plan(c, &scope, &this_month, records, report)).await?;
        return Ok(Json(out.report));
    }
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let out = state
        .db
        .write(move |c| -> DbResult<SurveyImportReport> {
            let Plan { mut report, rows } = plan(c, &scope, &this_month, records, report)?;
            if !report.problems.is_empty() {
                return Ok(report);
            }
            for (rec, unit_id, unit_path, existing) in &rows {
                let new = new_survey(rec, *unit_id, unit_path, &file_name, actor.id, &actor.display_name, &at);
                match existing {
                    None => {
                        db::insert_survey(c, &new)?;
                    }
                    Some(id) => {
                        let old = db::survey(c, *id)?.ok_or_else(|| corrupt("survey result"))?;
                        if !db::same_values(&old, &new) {
                            db::update_survey(c, *id, &new)?;
                        }
                    }
                }
            }
            let mut e =
                audit_log::Entry::by(&actor, client.as_deref(), &at, "survey.import", format!("file:{file_name}"));
            e.detail = format!(
                "{} 行：新增 {}，更新 {}，未变 {}",
                report.rows, report.created, report.updated, report.unchanged
            );
            audit_log::record(c, &e)?;
            report.applied = true;
            Ok(report)
        })
        .await?;
    if !out.applied {
        let first: Vec<String> = out
            .problems
            .iter()
            .take(3)
            .map(|p| {
                if p.column.is_empty() {
                    format!("第 {} 行：{}", p.line, p.reason)
                } else {
                    format!("第 {} 行“{}”：{}", p.line, p.column, p.reason)
                }
            })
            .collect();
        return Err(AppError::invalid(format!(
            "文件有 {} 处问题，未导入任何数据（请先试导入查看全部问题）：{}",
            out.problems.len(),
            first.join("；")
        )));
    }
    Ok(Json(out))
}
