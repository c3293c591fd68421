//! 自我评价 (a hall's quarterly self-assessment) and 第三方评价 (imported survey results), for the
//! screen 自我评价.
//!
//! The hall manager drafts the form offline (saved in the replica, `self_assessment_drafts`),
//! submits it (queued in the outbox, sent to `POST /api/v1/self-assessments` by the sync engine),
//! and after a return revises the same draft and submits again. A supervisor reviews a submitted
//! form from the replica, offline too (the review is queued likewise). The rules are
//! `hcp_domain::self_assessment`, applied here against the replica and again by the server.
//!
//! Survey results arrive through the replica (read-only) and are shown with the citizens' own
//! satisfaction rate for the same unit and month beside them, never mixed in. Importing a file
//! needs the server: [`read_survey_file`] reads a CSV or XLSX file into the table the server
//! checks.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use hcp_domain::league::LeaguePeriod;
use hcp_domain::self_assessment::{self as sa, Entry, Form, Heading, Refusal, ReviewDecision, Status};
use hcp_domain::{Role, ScopePath};
use hcp_protocol::outbox::{QueuedReview, QueuedSubmission};
use hcp_protocol::ClientCommand;
use hcp_protocol::{SelfAssessmentRow, SurveyImportLine, SurveyResultRow};
use hcp_replica::{OutboxItem, Replica};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, ErrorCode};

/// One heading of the form as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct EntryView {
    /// e.g. `item_list`.
    pub heading: String,
    /// e.g. 事项清单管理.
    pub label: String,
    pub max_points: u32,
    pub score: Option<u32>,
    pub text: String,
}

/// One heading as the screen sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryIn {
    pub heading: String,
    pub score: Option<u32>,
    pub text: String,
}

/// A hall's self-assessment for a quarter as this user sees it: the server's record, the local
/// draft and what waits in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SelfAssessmentItem {
    /// The server's id, once it has the form.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub id: Option<i64>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
    /// `2026-Q4` (the screen writes it in the user's language).
    pub period: String,
    /// `none` (nothing yet), `draft` (草稿), `queued` (已提交，待同步), `submitted` (已提交),
    /// `returned` (已退回) or `approved` (已通过).
    pub state: String,
    /// The form shown: the draft while editable, else the submitted one.
    pub entries: Vec<EntryView>,
    pub total: u32,
    pub max_total: u32,
    pub submitted_by_name: Option<String>,
    pub submitted_at: Option<String>,
    pub submissions: u32,
    pub reviewed_by_name: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
    /// When the local draft was last saved.
    pub draft_saved_at: Option<String>,
    /// A review this user queued (`approve` / `return`), not yet confirmed by the server.
    pub pending_review: Option<String>,
    /// The server's refusal of this user's last submission or review, if it refused one.
    pub refused: Option<String>,
    /// The hall manager may edit the draft and submit it now.
    pub may_edit: bool,
    /// A supervisor may approve or return it now.
    pub may_review: bool,
}

/// The 自我评价 screen's data for one quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SelfAssessmentScreen {
    pub period: String,
    /// The quarters offered (`2026-Q4`): the current one and the four before it (and any with a
    /// draft or a record).
    pub periods: Vec<String>,
    /// A hall manager's own hall; supervisors see every hall of the jurisdiction.
    pub items: Vec<SelfAssessmentItem>,
    /// Whether this user drafts and submits (a hall manager of a hall).
    pub is_hall: bool,
    /// Whether this user reviews (a supervisor).
    pub is_reviewer: bool,
}

fn today(now: DateTime<Utc>) -> chrono::NaiveDate {
    hcp_domain::calendar::beijing_date(now)
}

/// The quarter containing today.
pub fn current_quarter(now: DateTime<Utc>) -> LeaguePeriod {
    use chrono::Datelike;
    let d = today(now);
    LeaguePeriod::Quarter { year: d.year(), quarter: (d.month() - 1) / 3 + 1 }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::NotAllowed(m) => ApiError::new(ErrorCode::Forbidden, m),
        Refusal::WrongState(m) => ApiError::new(ErrorCode::Conflict, m),
        Refusal::Invalid(m) => ApiError::new(ErrorCode::InvalidInput, m),
    }
}

fn path(s: &str) -> ApiResult<ScopePath> {
    ScopePath::try_from(s.to_owned()).map_err(|e| ApiError::new(ErrorCode::Internal, format!("单位路径无效：{e}")))
}

fn views(form: &Form) -> Vec<EntryView> {
    Heading::ALL
        .into_iter()
        .map(|h| {
            let e = form.entry(h);
            EntryView {
                heading: h.as_str().to_owned(),
                label: h.label_zh().to_owned(),
                max_points: h.max_points(),
                score: e.and_then(|e| e.score),
                text: e.map(|e| e.text.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

/// Reads the screen's entries into a form (unknown headings refused).
pub fn form_of(entries: &[EntryIn]) -> ApiResult<Form> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let heading = Heading::parse(&e.heading)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, format!("未知的评价项目：{}", e.heading)))?;
        out.push(Entry { heading, score: e.score, text: e.text.clone() });
    }
    Ok(Form { entries: out })
}

/// The outbox's self-assessment commands, read.
struct Queued {
    submissions: Vec<(OutboxItem, QueuedSubmission)>,
    reviews: Vec<(OutboxItem, QueuedReview)>,
}

fn queued(r: &Replica) -> ApiResult<Queued> {
    let mut q = Queued { submissions: Vec::new(), reviews: Vec::new() };
    for item in r.outbox()? {
        match item.client_command() {
            Ok(ClientCommand::SubmitSelfAssessment(s)) => q.submissions.push((item, s)),
            Ok(ClientCommand::ReviewSelfAssessment(v)) => q.reviews.push((item, v)),
            _ => {}
        }
    }
    Ok(q)
}

impl Queued {
    /// The last submission queued for the hall and quarter.
    fn submission(&self, unit_id: i64, period: &str) -> Option<&(OutboxItem, QueuedSubmission)> {
        self.submissions.iter().rev().find(|(_, s)| s.unit_id == unit_id && s.period == period)
    }

    fn review(&self, id: i64) -> Option<&(OutboxItem, QueuedReview)> {
        self.reviews.iter().rev().find(|(_, v)| v.assessment_id == id)
    }
}

/// What the user sees of one hall's quarter.
fn item(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    unit_id: i64,
    unit_name: String,
    period: LeaguePeriod,
    q: &Queued,
) -> ApiResult<SelfAssessmentItem> {
    let key = period.key();
    let server: Option<SelfAssessmentRow> = r.self_assessment_of(unit_id, &key)?;
    let own_hall = user.role == Role::HallManager && user.unit_id == unit_id;
    let draft = if own_hall { r.self_assessment_draft(unit_id, &key)? } else { None };
    let sub = if own_hall { q.submission(unit_id, &key) } else { None };
    let rev = match (&server, user.role) {
        (Some(s), Role::Supervisor) => q.review(s.id),
        _ => None,
    };
    let pending_sub = sub.filter(|(i, _)| i.status == "pending");
    let refused_sub = sub.filter(|(i, _)| i.status == "rejected");
    let pending_rev = rev.filter(|(i, _)| i.status == "pending");
    let refused_rev = rev.filter(|(i, _)| i.status == "rejected");
    // A submission the server confirmed leaves the outbox; one still queued is what the hall sent
    // last, newer than the server's record.
    let (state, form) = if let Some((_, s)) = pending_sub {
        ("queued", s.form.clone())
    } else {
        match &server {
            Some(s) if s.status != Status::Returned => (s.status.as_str(), s.form.clone()),
            Some(s) => ("returned", draft.as_ref().map_or_else(|| s.form.clone(), |(f, _)| f.clone())),
            None => match &draft {
                Some((f, _)) => ("draft", f.clone()),
                None => ("none", Form::default()),
            },
        }
    };
    let editable_state = matches!(state, "none" | "draft" | "returned");
    let may_edit = own_hall && editable_state && sa::period_open(period, today(Utc::now()));
    let may_review = match &server {
        Some(s) if user.role == Role::Supervisor && pending_rev.is_none() => {
            s.status == Status::Submitted && s.unit_path.starts_with(&user.scope_path)
        }
        _ => false,
    };
    let refused = refused_sub
        .map(|(i, _)| i)
        .or(refused_rev.map(|(i, _)| i))
        .map(|i| format!("服务器拒绝了该操作：{}", i.message.clone().unwrap_or_default()));
    Ok(SelfAssessmentItem {
        id: server.as_ref().map(|s| s.id),
        unit_id,
        unit_name,
        period: key,
        state: state.to_owned(),
        entries: views(&form),
        total: form.total(),
        max_total: sa::MAX_TOTAL,
        submitted_by_name: server.as_ref().map(|s| s.submitted_by_name.clone()),
        submitted_at: server.as_ref().map(|s| s.submitted_at.clone()),
        submissions: server.as_ref().map_or(0, |s| s.submissions),
        reviewed_by_name: server.as_ref().and_then(|s| s.reviewed_by_name.clone()),
        reviewed_at: server.as_ref().and_then(|s| s.reviewed_at.clone()),
        review_comment: server.as_ref().and_then(|s| s.review_comment.clone()),
        draft_saved_at: draft.map(|(_, at)| at),
        pending_review: pending_rev.map(|(_, v)| v.decision.as_str().to_owned()),
        refused,
        may_edit,
        may_review,
    })
}

fn parse_quarter(period: Option<&str>, now: DateTime<Utc>) -> ApiResult<LeaguePeriod> {
    match period.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(current_quarter(now)),
        Some(p) => sa::parse_period(p).map_err(refusal),
    }
}

/// The screen for a quarter (the current one when `None`). Works offline.
pub fn screen(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<SelfAssessmentScreen> {
    let is_hall = user.role == Role::HallManager && r.unit(user.unit_id)?.is_some_and(|(_, kind)| kind == "hall");
    let is_reviewer = user.role == Role::Supervisor;
    if !is_hall && !is_reviewer {
        return Err(ApiError::new(ErrorCode::Forbidden, "自我评价由大厅负责人填报、督查人员审核"));
    }
    let period = parse_quarter(period, now)?;
    let mut keys: Vec<LeaguePeriod> = Vec::new();
    let mut p = current_quarter(now);
    for _ in 0..5 {
        keys.push(p);
        match p.previous() {
            Some(prev) => p = prev,
            None => break,
        }
    }
    let mut extra: Vec<String> = r.self_assessments(&user.scope_path, None)?.into_iter().map(|s| s.period).collect();
    if is_hall {
        extra.extend(r.self_assessment_draft_periods(user.unit_id)?);
    }
    extra.push(period.key());
    for k in extra {
        if let Ok(p) = sa::parse_period(&k) {
            if !keys.contains(&p) {
                keys.push(p);
            }
        }
    }
    keys.sort_by_key(|p| std::cmp::Reverse(p.key()));
    let q = queued(r)?;
    let mut items = Vec::new();
    if is_hall {
        let name = r.unit_name(user.unit_id)?.unwrap_or_default();
        items.push(item(r, user, user.unit_id, name, period, &q)?);
    } else {
        for (id, name, kind, _) in r.units_under(&user.scope_path)? {
            if kind == "hall" {
                items.push(item(r, user, id, name, period, &q)?);
            }
        }
    }
    Ok(SelfAssessmentScreen {
        period: period.key(),
        periods: keys.into_iter().map(|p| p.key()).collect(),
        items,
        is_hall,
        is_reviewer,
    })
}

/// The hall manager's own hall and its record for the quarter, checked as submitting would be.
fn own_hall(r: &Replica, user: &hcp_protocol::UserInfo, period: LeaguePeriod, now: DateTime<Utc>) -> ApiResult<()> {
    if user.role != Role::HallManager || r.unit(user.unit_id)?.is_none_or(|(_, kind)| kind != "hall") {
        return Err(ApiError::new(ErrorCode::Forbidden, "只有大厅负责人可以填报本大厅的自我评价"));
    }
    if !sa::period_open(period, today(now)) {
        return Err(ApiError::new(ErrorCode::InvalidInput, format!("{}尚未开始，不能填报", period.label_zh())));
    }
    let q = queued(r)?;
    if q.submission(user.unit_id, &period.key()).is_some_and(|(i, _)| i.status == "pending") {
        return Err(ApiError::new(ErrorCode::Conflict, "本期自我评价已提交，正在等待同步"));
    }
    let existing = r.self_assessment_of(user.unit_id, &period.key())?.map(|s| s.status);
    let me = path(&user.scope_path)?;
    sa::may_submit(user.role, &me, &me, existing).map_err(refusal)
}

fn problems_text(p: &[sa::FormProblem]) -> String {
    p.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("；")
}

/// Saves the hall manager's draft (incomplete is fine; a score over its maximum is not). Offline.
pub fn save_draft(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    entries: &[EntryIn],
    now: DateTime<Utc>,
) -> ApiResult<SelfAssessmentItem> {
    let period = sa::parse_period(period).map_err(refusal)?;
    own_hall(r, user, period, now)?;
    let form = form_of(entries)?;
    let problems = form.draft_problems();
    if !problems.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidInput, problems_text(&problems)));
    }
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    r.save_self_assessment_draft(user.unit_id, &period.key(), &form.normalized(), &at)?;
    let name = r.unit_name(user.unit_id)?.unwrap_or_default();
    item(r, user, user.unit_id, name, period, &queued(r)?)
}

/// Saves the draft and queues its submission (every heading scored and described). Offline: it
/// reaches the server with the next sync.
pub fn submit(
    r: &mut Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    entries: &[EntryIn],
    now: DateTime<Utc>,
) -> ApiResult<SelfAssessmentItem> {
    let (period, _) = queue_submission(r, user, period, entries, now)?;
    let name = r.unit_name(user.unit_id)?.unwrap_or_default();
    item(r, user, user.unit_id, name, period, &queued(r)?)
}

/// [`submit`]'s checks and queueing; returns the quarter and the command's id.
fn queue_submission(
    r: &mut Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    entries: &[EntryIn],
    now: DateTime<Utc>,
) -> ApiResult<(LeaguePeriod, String)> {
    let period = sa::parse_period(period).map_err(refusal)?;
    own_hall(r, user, period, now)?;
    let form = form_of(entries)?.normalized();
    let problems = form.submit_problems();
    if !problems.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("自我评价未填写完整：{}", problems_text(&problems)),
        ));
    }
    let queued_cmd = ClientCommand::SubmitSelfAssessment(QueuedSubmission {
        unit_id: user.unit_id,
        period: period.key(),
        form: form.clone(),
    });
    let command_id = uuid::Uuid::now_v7().to_string();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    r.submit_self_assessment_draft(
        user.unit_id,
        &period.key(),
        &form,
        &hcp_replica::NewClientCommand {
            command_id: &command_id,
            case_id: None,
            base_version: None,
            command: &queued_cmd,
            created_at: &at,
        },
    )?;
    Ok((period, command_id))
}

/// Reads a decision: `approve` or `return`.
pub fn parse_decision(s: &str) -> ApiResult<ReviewDecision> {
    match s {
        "approve" => Ok(ReviewDecision::Approve),
        "return" => Ok(ReviewDecision::Return),
        other => Err(ApiError::new(ErrorCode::InvalidInput, format!("无效的审核结论：{other}"))),
    }
}

/// Checks a supervisor's review against the replica and queues it. Offline.
pub fn review(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    id: i64,
    decision: ReviewDecision,
    comment: &str,
    now: DateTime<Utc>,
) -> ApiResult<SelfAssessmentItem> {
    let (row, _) = queue_review(r, user, id, decision, comment, now)?;
    let period = sa::parse_period(&row.period).map_err(refusal)?;
    let name = r.unit_name(row.unit_id)?.unwrap_or_default();
    item(r, user, row.unit_id, name, period, &queued(r)?)
}

/// [`review`]'s checks and queueing; returns the self-assessment and the command's id.
fn queue_review(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    id: i64,
    decision: ReviewDecision,
    comment: &str,
    now: DateTime<Utc>,
) -> ApiResult<(SelfAssessmentRow, String)> {
    let row = r
        .self_assessment(id)?
        .filter(|s| s.unit_path.starts_with(&user.scope_path))
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "本地没有该自我评价，请同步后再试"))?;
    let q = queued(r)?;
    if q.review(id).is_some_and(|(i, _)| i.status == "pending") {
        return Err(ApiError::new(ErrorCode::Conflict, "该自我评价的审核结论已在待同步队列中"));
    }
    sa::may_review(user.role, &path(&user.scope_path)?, &path(&row.unit_path)?, row.status, decision, comment)
        .map_err(refusal)?;
    let queued_cmd = ClientCommand::ReviewSelfAssessment(QueuedReview {
        assessment_id: id,
        decision,
        comment: comment.trim().to_owned(),
    });
    let command_id = crate::cases::queue(r, None, Some(row.version), &queued_cmd, now)?;
    Ok((row, command_id))
}

/// A refused submission or review issued again, as it stands now; the refused one is given up
/// only once the new one is queued (a refusal now keeps it in the outbox). Returns the new id.
pub fn reissue_submission(
    r: &mut Replica,
    user: &hcp_protocol::UserInfo,
    item: &OutboxItem,
    s: &QueuedSubmission,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let entries: Vec<EntryIn> = s
        .form
        .entries
        .iter()
        .map(|e| EntryIn { heading: e.heading.as_str().to_owned(), score: e.score, text: e.text.clone() })
        .collect();
    let (_, command_id) = queue_submission(r, user, &s.period, &entries, now)?;
    r.discard(&item.command_id)?;
    Ok(command_id)
}

/// A refused review issued again, as it stands now (see [`reissue_submission`]).
pub fn reissue_review(
    r: &mut Replica,
    user: &hcp_protocol::UserInfo,
    item: &OutboxItem,
    v: &QueuedReview,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let (_, command_id) = queue_review(r, user, v.assessment_id, v.decision, &v.comment, now)?;
    r.discard(&item.command_id)?;
    Ok(command_id)
}

/// A survey result as the screen shows it, with the citizens' own figures for the same unit and
/// month beside it (never mixed in).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SurveyView {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub unit_name: String,
    /// `2026-11`.
    pub period: String,
    /// `on_site`, `phone`, `online`, `other`.
    pub method: String,
    pub method_label: String,
    pub agency: String,
    pub respondents: u32,
    /// `95.50`.
    pub satisfaction: String,
    /// Respondents per level (非常满意 … 非常不满意), when given.
    pub levels: Option<Vec<u32>>,
    pub note: String,
    pub file_name: String,
    pub imported_by_name: String,
    pub imported_at: String,
    /// The citizens' ratings of the unit (and below) in that month, from the replica.
    pub citizens_rated: u32,
    /// The citizens' satisfaction rate (基本满意 or better) in percent, `None` without ratings.
    pub citizens_satisfaction: Option<f64>,
}

/// The survey results of the jurisdiction for a month or year prefix (`2026-11`, `2026`; all when
/// `None`), newest first. Works offline.
pub fn surveys(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<SurveyView>> {
    let period = period.map(str::trim).filter(|p| !p.is_empty());
    let rows: Vec<SurveyResultRow> = r.survey_results(&user.scope_path, period)?;
    let mut citizens: BTreeMap<(String, String), (u32, Option<f64>)> = BTreeMap::new();
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let key = (s.unit_path.clone(), s.period.clone());
        if !citizens.contains_key(&key) {
            let figures = match LeaguePeriod::parse(&s.period).and_then(LeaguePeriod::dates) {
                Some(p) => {
                    let k = r.kpis(&s.unit_path, hcp_domain::kpi::Subject::All, &p, now)?;
                    (k.rated as u32, k.satisfaction_rate.value().map(|v| (v * 10_000.0).round() / 100.0))
                }
                None => (0, None),
            };
            citizens.insert(key.clone(), figures);
        }
        let (citizens_rated, citizens_satisfaction) = citizens.get(&key).copied().unwrap_or((0, None));
        let unit_name = match names.get(&s.unit_id) {
            Some(n) => n.clone(),
            None => {
                let n = r.unit_name(s.unit_id)?.unwrap_or_default();
                names.insert(s.unit_id, n.clone());
                n
            }
        };
        out.push(SurveyView {
            id: s.id,
            unit_name,
            period: s.period,
            method: s.method.as_str().to_owned(),
            method_label: s.method.label_zh().to_owned(),
            agency: s.agency,
            respondents: s.respondents,
            satisfaction: hcp_domain::survey::centi_text(s.satisfaction_centi),
            levels: s.levels.map(|l| l.to_vec()),
            note: s.note,
            file_name: s.file_name,
            imported_by_name: s.imported_by_name,
            imported_at: s.imported_at,
            citizens_rated,
            citizens_satisfaction,
        });
    }
    Ok(out)
}

/// One problem of a survey file, for the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SurveyProblemView {
    pub line: u32,
    /// The column's name; empty for the whole row.
    pub column: String,
    pub reason: String,
}

/// What an import did (or, tried first, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SurveyImportView {
    pub file_name: String,
    pub dry_run: bool,
    /// Data rows in the file.
    pub rows: u32,
    pub problems: Vec<SurveyProblemView>,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Whether the file was stored.
    pub applied: bool,
}

impl SurveyImportView {
    pub fn of(file_name: String, r: hcp_protocol::SurveyImportReport) -> SurveyImportView {
        SurveyImportView {
            file_name,
            dry_run: r.dry_run,
            rows: r.rows,
            problems: r
                .problems
                .into_iter()
                .map(|p| SurveyProblemView { line: p.line, column: p.column, reason: p.reason })
                .collect(),
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            applied: r.applied,
        }
    }
}

/// A survey file read into cells: the header (line 1) and every non-empty row with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyTable {
    pub file_name: String,
    pub header: Vec<String>,
    pub rows: Vec<SurveyImportLine>,
}

/// Reads a CSV (UTF-8, with or without BOM; GBK too) or XLSX/XLS file (its first sheet).
pub fn read_survey_file(path: &Path) -> ApiResult<SurveyTable> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let grid: Vec<Vec<String>> = match ext.as_str() {
        "csv" | "txt" => read_csv(path)?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_sheet(path)?,
        _ => {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!("不支持的文件类型“{file_name}”：请选择 CSV 或 XLSX 文件"),
            ))
        }
    };
    let mut lines = grid.into_iter().enumerate().map(|(i, cells)| (i as u32 + 1, cells));
    let header = lines.next().map(|(_, h)| h).filter(|h| h.iter().any(|c| !c.trim().is_empty())).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidInput, "文件是空的：第一行应为列名（单位编码、期间、测评方式……）")
    })?;
    let rows = lines
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(line, cells)| SurveyImportLine { line, cells })
        .collect();
    Ok(SurveyTable { file_name, header, rows })
}

fn read_csv(path: &Path) -> ApiResult<Vec<Vec<String>>> {
    let bytes =
        std::fs::read(path).map_err(|e| ApiError::new(ErrorCode::InvalidInput, format!("无法读取文件：{e}")))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "CSV 文件不是 UTF-8 编码：请在 Excel 中另存为“CSV UTF-8”或直接选择 XLSX 文件",
            ))
        }
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec =
            rec.map_err(|e| ApiError::new(ErrorCode::InvalidInput, format!("CSV 第 {} 行无法读取：{e}", i + 1)))?;
        out.push(rec.iter().map(str::to_owned).collect());
    }
    Ok(out)
}

fn read_sheet(path: &Path) -> ApiResult<Vec<Vec<String>>> {
    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb = open_workbook_auto(path)
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, format!("无法读取表格文件：{e}")))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, "表格文件中没有工作表"))?
        .map_err(|e| ApiError::new(ErrorCode::InvalidInput, format!("无法读取第一个工作表：{e}")))?;
    // Rows start at the sheet's first used row; line numbers follow the sheet (1-based).
    let first_row = range.start().map_or(0, |(r, _)| r);
    let mut out: Vec<Vec<String>> = vec![Vec::new(); first_row as usize];
    for row in range.rows() {
        out.push(
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => float_text(*f),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => excel_date(d.as_f64()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e:?}"),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// A spreadsheet number as written: `12`, `95.5`.
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An Excel serial date (days since 1899-12-30) as `2026-11-20`.
fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    base.checked_add_days(chrono::Days::new(serial.floor().max(0.0) as u64))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_files_are_read_with_their_line_numbers_and_blank_rows_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("测评.csv");
        std::fs::write(&p, "\u{feff}单位编码,期间,测评方式\n430304,2026-11,电话测评\n,,\n430305,\"2026-11\",其他\n")
            .expect("write");
        let t = read_survey_file(&p).expect("read");
        assert_eq!(t.file_name, "测评.csv");
        assert_eq!(t.header, vec!["单位编码", "期间", "测评方式"]);
        assert_eq!(t.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4]);
        assert_eq!(t.rows[1].cells, vec!["430305", "2026-11", "其他"]);
        let gbk = dir.path().join("gbk.csv");
        std::fs::write(&gbk, [0xb5u8, 0xa5, 0xce, 0xbb, b'\n']).expect("write");
        assert_eq!(read_survey_file(&gbk).expect_err("gbk").code, ErrorCode::InvalidInput);
        let other = dir.path().join("x.pdf");
        std::fs::write(&other, "x").expect("write");
        assert!(read_survey_file(&other).expect_err("pdf").message.contains("CSV 或 XLSX"));
    }

    #[test]
    fn xlsx_files_are_read_from_their_first_sheet() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("测评.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["单位编码", "期间", "样本数", "满意度"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).expect("h");
        }
        ws.write_string(1, 0, "430304").expect("c");
        ws.write_string(1, 1, "2026-11").expect("c");
        ws.write_number(1, 2, 200.0).expect("c");
        ws.write_number(1, 3, 95.1).expect("c");
        ws.write_string(3, 0, "430305").expect("c");
        wb.save(&p).expect("save");
        let t = read_survey_file(&p).expect("read");
        assert_eq!(t.header, vec!["单位编码", "期间", "样本数", "满意度"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[0].cells, vec!["430304", "2026-11", "200", "95.1"]);
        assert_eq!(t.rows[1].line, 4, "the blank row 3 is skipped, the numbering kept");
        assert_eq!(excel_date(46346.0), "2026-11-20");
    }
}
