//! 问责 (the accountability register) for discipline-inspection liaisons and supervisors, read
//! from the replica so it works offline: the cases at the accountability rung (追责问责) and every
//! case with a recorded decision (`accountability_recorded` events, and the user's own decisions
//! still in the outbox), each decision with who, when, why, the subject staff member, the evidence
//! lines and the evidence chain's verification state; the 差评比较集中的部门和人员 (staff and units
//! with repeated upheld bad reviews in a period) from the replica's aggregates; and the printable
//! 问责决定记录.
//!
//! The evidence chain is verified by the server (`GET /api/v1/audit/evidence/verify`, online); the
//! last answer is kept in the replica's meta table with the time it was checked, so the badges show
//! offline too. A decision is 已验证 when a check after it found the chain intact, 链条断裂 when the
//! last check found it broken, and 未验证 when no check has run since it was recorded.
//!
//! Hall managers do not see the register: accountability decisions are the discipline-inspection
//! liaison's (`CommandKind::RecordAccountability`), supervised by the supervision office, and the
//! server answers the chain's verification to those two roles (and administrators) only.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};
use hcp_domain::case::machine::AccountabilityKind;
use hcp_domain::{CaseCommand, EscalationLevel, Role};
use hcp_replica::Replica;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::cases;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// The replica meta key of the last evidence-chain check.
pub const CHAIN_CHECK: &str = "evidence_chain_check";

/// The roles that open the register.
pub fn may_view(role: Role) -> bool {
    matches!(role, Role::DisciplineLiaison | Role::Supervisor)
}

fn forbidden(role: Role) -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        format!(
            "问责台账由纪检监察联络员和督查人员查看，{}不能查看；问责决定可在工单详情的时间线中查看",
            role.label_zh()
        ),
    )
}

fn db(e: rusqlite::Error) -> ApiError {
    ApiError::from(hcp_replica::ReplicaError::from(e))
}

/// The filters of the register. Dates are `YYYY-MM-DD` (Beijing), both ends included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LedgerQuery {
    /// Cases of this unit or below it.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub unit_id: Option<i64>,
    /// Decisions about this staff member (of the roster), or cases about them.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub staff_id: Option<i64>,
    /// `deducted_points`, `loss_of_annual_award`, `admonition`, `referral_to_discipline_inspection`,
    /// or `awaiting` (at the accountability rung without a decision).
    pub decision: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The evidence chain as the server last verified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ChainCheck {
    pub valid: bool,
    /// Entries in the chain.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub length: i64,
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub first_broken_seq: Option<i64>,
    /// RFC 3339
    pub checked_at: String,
}

/// A decision's badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ChainBadge {
    /// A check after the decision found the chain intact (已验证).
    Verified,
    /// The last check found the chain broken (链条断裂).
    Broken,
    /// No check since the decision was recorded (未验证; offline: 未验证·离线).
    Unverified,
    /// Still in the outbox: not on the server's chain yet (待同步).
    Pending,
}

/// One accountability decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LedgerDecision {
    pub decision: AccountabilityKind,
    /// 扣减绩效分（3分）, 诫勉谈话, …
    pub decision_label: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub subject_staff_id: i64,
    /// Name, staff number and unit as the roster has them (or the id when the roster lacks them).
    pub subject_name: String,
    pub subject_no: Option<String>,
    pub subject_unit: Option<String>,
    pub reason: String,
    pub evidence: Vec<String>,
    pub decided_by: String,
    /// RFC 3339
    pub decided_at: String,
    pub badge: ChainBadge,
}

/// One case of the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LedgerCase {
    /// The case as the inbox shows it (with the user's pending commands applied); the case
    /// drawer opens from it.
    pub item: hcp_replica::CaseListItem,
    /// At the accountability rung and no decision yet (待问责决定).
    pub awaiting: bool,
    pub decisions: Vec<LedgerDecision>,
}

/// The register.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    pub cases: Vec<LedgerCase>,
    /// The last check of the evidence chain, if one ever ran on this laptop.
    pub chain: Option<ChainCheck>,
    /// The staff members named in the register's decisions and cases, for the staff filter.
    pub staff: Vec<cases::StaffOption>,
}

/// One staff member or unit with repeated upheld bad reviews.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Concentration {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub name: String,
    /// The staff number (staff only).
    pub employee_no: Option<String>,
    /// The unit (staff: where they work; units: the unit's parent path shown as the unit's name).
    pub unit_name: String,
    /// Upheld (not excluded) bad reviews and complaints in the period.
    pub count: u32,
    /// Of which late (rectified after the deadline) or still open.
    pub open: u32,
}

/// 差评比较集中的部门和人员 for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Concentrations {
    /// `YYYY-MM`, both included.
    pub from_month: String,
    pub to_month: String,
    /// The least count listed.
    pub min_count: u32,
    pub staff: Vec<Concentration>,
    pub units: Vec<Concentration>,
}

/// The badge of a decision recorded at `decided_at` given the last check.
pub fn badge(decided_at: &str, pending: bool, check: Option<&ChainCheck>) -> ChainBadge {
    if pending {
        return ChainBadge::Pending;
    }
    match check {
        None => ChainBadge::Unverified,
        Some(c) if !c.valid => ChainBadge::Broken,
        Some(c) => {
            let after = match (DateTime::parse_from_rfc3339(&c.checked_at), DateTime::parse_from_rfc3339(decided_at)) {
                (Ok(checked), Ok(decided)) => checked >= decided,
                _ => false,
            };
            if after && c.length > 0 {
                ChainBadge::Verified
            } else {
                ChainBadge::Unverified
            }
        }
    }
}

/// The last check kept in the replica.
pub fn cached_check(r: &Replica) -> ApiResult<Option<ChainCheck>> {
    Ok(r.meta(CHAIN_CHECK)?.and_then(|j| serde_json::from_str(&j).ok()))
}

/// Keeps a check (the server's answer and when it came).
pub fn store_check(r: &Replica, check: &ChainCheck) -> ApiResult<()> {
    let json = serde_json::to_string(check).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    r.set_meta(CHAIN_CHECK, &json)?;
    Ok(())
}

/// The label of a decision, with the points for a deduction.
pub fn decision_label(k: AccountabilityKind) -> String {
    match k {
        AccountabilityKind::DeductedPoints { points } => format!("扣减绩效分（{points}分）"),
        other => other.label_zh().to_owned(),
    }
}

fn decision_key(k: AccountabilityKind) -> &'static str {
    match k {
        AccountabilityKind::DeductedPoints { .. } => "deducted_points",
        AccountabilityKind::LossOfAnnualAward => "loss_of_annual_award",
        AccountabilityKind::Admonition => "admonition",
        AccountabilityKind::ReferralToDisciplineInspection => "referral_to_discipline_inspection",
    }
}

const DECISION_KEYS: [&str; 5] =
    ["deducted_points", "loss_of_annual_award", "admonition", "referral_to_discipline_inspection", "awaiting"];

fn check_date(what: &str, d: &Option<String>) -> ApiResult<()> {
    if let Some(d) = d.as_deref().filter(|d| !d.is_empty()) {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ApiError::new(ErrorCode::InvalidInput, format!("{what}“{d}”不是有效日期（应为 YYYY-MM-DD）"))
        })?;
    }
    Ok(())
}

/// The Beijing date of an RFC 3339 time, `YYYY-MM-DD`.
fn local_day(at: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|d| hcp_domain::calendar::beijing_date(d.with_timezone(&Utc)).format("%Y-%m-%d").to_string())
}

fn in_period(day: Option<&str>, q: &LedgerQuery) -> bool {
    let Some(day) = day else { return q.from.is_none() && q.to.is_none() };
    q.from.as_deref().filter(|f| !f.is_empty()).is_none_or(|f| day >= f)
        && q.to.as_deref().filter(|t| !t.is_empty()).is_none_or(|t| day <= t)
}

/// A recorded decision from an event's data (the payload, or `{payload}`).
fn from_event(data: &serde_json::Value) -> Option<(AccountabilityKind, i64, String, Vec<String>)> {
    let p = data.get("payload").filter(|p| p.is_object()).unwrap_or(data);
    let decision: AccountabilityKind = serde_json::from_value(p.get("decision")?.clone()).ok()?;
    let subject = p.get("subject_staff_id")?.as_i64()?;
    let reason = p.get("reason").and_then(|r| r.as_str()).unwrap_or_default().to_owned();
    let evidence = p
        .get("evidence")
        .and_then(|e| e.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Some((decision, subject, reason, evidence))
}

/// A decision as the register reads it from an event or the outbox.
struct Recorded {
    decision: AccountabilityKind,
    subject: i64,
    reason: String,
    evidence: Vec<String>,
    by: String,
    at: String,
    pending: bool,
}

/// The register of the user's jurisdiction (works offline).
pub fn register(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    q: &LedgerQuery,
    calendar: &hcp_domain::Calendar,
    now: DateTime<Utc>,
) -> ApiResult<Ledger> {
    if !may_view(user.role) {
        return Err(forbidden(user.role));
    }
    check_date("开始日期", &q.from)?;
    check_date("结束日期", &q.to)?;
    if let Some(d) = q.decision.as_deref().filter(|d| !d.is_empty()) {
        if !DECISION_KEYS.contains(&d) {
            return Err(ApiError::new(ErrorCode::InvalidInput, format!("未知的问责方式“{d}”")));
        }
    }
    let conn = r.conn();
    let unit_path: Option<String> = match q.unit_id {
        Some(id) => {
            let path: Option<String> = conn
                .query_row("SELECT path FROM org_units WHERE id = ?1", [id], |row| row.get(0))
                .optional()
                .map_err(db)?;
            let path = path
                .filter(|p| p.starts_with(&user.scope_path))
                .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("单位 {id} 不在您的辖区内")))?;
            Some(path)
        }
        None => None,
    };
    let check = cached_check(r)?;

    // The candidates: at the rung, with a decision on record, or with a pending command.
    let mut ids: Vec<i64> = Vec::new();
    {
        let mut stmt = conn
            .prepare(
                "SELECT id FROM cases WHERE escalation_level = ?1
                 UNION SELECT case_id FROM case_events WHERE kind = 'accountability_recorded'",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([i64::from(EscalationLevel::Accountability.index())], |row| row.get::<_, i64>(0))
            .map_err(db)?;
        for id in rows {
            ids.push(id.map_err(db)?);
        }
    }
    let pending = r.pending(10_000)?;
    let mut pending_decisions: HashMap<i64, Vec<Recorded>> = HashMap::new();
    for p in &pending {
        let Some(case_id) = p.case_id else { continue };
        if !ids.contains(&case_id) {
            ids.push(case_id);
        }
        if let Ok(CaseCommand::RecordAccountability { decision, subject_staff_id, reason, evidence }) =
            serde_json::from_str::<CaseCommand>(&p.command)
        {
            pending_decisions.entry(case_id).or_default().push(Recorded {
                decision,
                subject: subject_staff_id,
                reason,
                evidence,
                by: user.display_name.clone(),
                at: p.created_at.clone(),
                pending: true,
            });
        }
    }
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(item) = r.case_item(*id)? {
            items.push(item);
        }
    }
    cases::overlay(r, &mut items, &cases::actor(user)?, calendar, now)?;

    let mut staff_ids: Vec<i64> = Vec::new();
    let mut out = Vec::new();
    for item in items {
        let row = match r.case(item.id)? {
            Some(row) => row,
            None => continue,
        };
        if let Some(base) = &unit_path {
            if !row.unit_path.starts_with(base.as_str()) {
                continue;
            }
        }
        let mut decisions = Vec::new();
        for e in r.case_events(item.id)?.into_iter().filter(|e| e.kind == "accountability_recorded") {
            if let Some((decision, subject, reason, evidence)) = from_event(&e.data) {
                decisions.push(Recorded {
                    decision,
                    subject,
                    reason,
                    evidence,
                    by: e.actor_name.clone(),
                    at: e.at.clone(),
                    pending: false,
                });
            }
        }
        decisions.extend(pending_decisions.remove(&item.id).unwrap_or_default());
        let awaiting = decisions.is_empty();
        if awaiting && item.escalation != EscalationLevel::Accountability {
            // A pending command that is not about accountability.
            continue;
        }
        // Filters: decision type, staff, period (decisions by their date; awaiting cases by creation).
        let decisions: Vec<_> = decisions
            .into_iter()
            .filter(|d| match q.decision.as_deref().filter(|d| !d.is_empty()) {
                None | Some("awaiting") => true,
                Some(k) => decision_key(d.decision) == k,
            })
            .filter(|d| q.staff_id.is_none_or(|s| d.subject == s || row.staff_id == Some(s)))
            .filter(|d| in_period(local_day(&d.at).as_deref(), q))
            .collect();
        let keep = if awaiting {
            q.decision.as_deref().filter(|d| !d.is_empty()).is_none_or(|d| d == "awaiting")
                && q.staff_id.is_none_or(|s| row.staff_id == Some(s))
                && in_period(local_day(&item.created_at).as_deref(), q)
        } else {
            q.decision.as_deref() != Some("awaiting") && !decisions.is_empty()
        };
        if !keep {
            continue;
        }
        staff_ids.extend(decisions.iter().map(|d| d.subject));
        staff_ids.extend(row.staff_id);
        out.push((item, decisions, awaiting));
    }
    staff_ids.sort_unstable();
    staff_ids.dedup();
    let roster: BTreeMap<i64, cases::StaffOption> =
        r.staff_by_ids(&staff_ids)?.into_iter().map(|s| (s.id, cases::StaffOption::from(s))).collect();
    let mut cases_out: Vec<LedgerCase> = out
        .into_iter()
        .map(|(item, decisions, awaiting)| {
            let decisions = decisions
                .into_iter()
                .map(|Recorded { decision, subject, reason, evidence, by, at, pending }| {
                    let s = roster.get(&subject);
                    LedgerDecision {
                        decision,
                        decision_label: decision_label(decision),
                        subject_staff_id: subject,
                        subject_name: s.map_or_else(|| format!("工作人员 {subject}"), |s| s.name.clone()),
                        subject_no: s.map(|s| s.employee_no.clone()),
                        subject_unit: s.map(|s| s.unit.clone()),
                        reason,
                        evidence,
                        decided_by: by,
                        badge: badge(&at, pending, check.as_ref()),
                        decided_at: at,
                    }
                })
                .collect();
            LedgerCase { item, awaiting, decisions }
        })
        .collect();
    // Awaiting cases first (the work to do), then the newest decisions.
    cases_out.sort_by(|a, b| {
        let last = |c: &LedgerCase| c.decisions.iter().map(|d| d.decided_at.clone()).max().unwrap_or_default();
        b.awaiting
            .cmp(&a.awaiting)
            .then_with(|| last(b).cmp(&last(a)))
            .then_with(|| b.item.created_at.cmp(&a.item.created_at))
    });
    Ok(Ledger { cases: cases_out, chain: check, staff: roster.into_values().collect() })
}

/// `YYYY-MM` checked.
fn month(what: &str, m: &str) -> ApiResult<String> {
    let shaped =
        m.len() == 7 && m.as_bytes()[4] == b'-' && m.bytes().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit());
    match chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d") {
        Ok(_) if shaped => Ok(m.to_owned()),
        _ => Err(ApiError::new(ErrorCode::InvalidInput, format!("{what}“{m}”不是有效月份（应为 YYYY-MM）"))),
    }
}

/// Staff and units with at least `min_count` upheld bad reviews (cases not excluded) between the
/// months `from` and `to` (`YYYY-MM`, both included), from the replica's monthly aggregates.
pub fn concentrations(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    from: &str,
    to: &str,
    min_count: u32,
) -> ApiResult<Concentrations> {
    if !may_view(user.role) {
        return Err(forbidden(user.role));
    }
    let (from, to) = (month("开始月份", from)?, month("结束月份", to)?);
    if from > to {
        return Err(ApiError::new(ErrorCode::InvalidInput, "开始月份不能晚于结束月份"));
    }
    if !(1..=1000).contains(&min_count) {
        return Err(ApiError::new(ErrorCode::InvalidInput, "最少次数应在 1 到 1000 之间"));
    }
    let conn = r.conn();
    let scope = user.scope_path.as_str();
    let mut stmt = conn
        .prepare(
            "SELECT a.staff_id, s.name, s.employee_no, coalesce(o.name, ''), sum(a.n_cases), sum(a.n_open + a.n_late)
               FROM agg_case_staff a
               LEFT JOIN staff s ON s.id = a.staff_id
               LEFT JOIN org_units o ON o.id = a.unit_id
              WHERE a.grain = 'm' AND a.bucket >= ?1 AND a.bucket <= ?2
                AND a.unit_path >= ?3 AND a.unit_path < ?3 || '~'
              GROUP BY a.staff_id
             HAVING sum(a.n_cases) >= ?4
              ORDER BY sum(a.n_cases) DESC, a.staff_id
              LIMIT 200",
        )
        .map_err(db)?;
    let staff = stmt
        .query_map(params![from, to, scope, min_count], |row| {
            let id: i64 = row.get(0)?;
            Ok(Concentration {
                id,
                name: row.get::<_, Option<String>>(1)?.unwrap_or_else(|| format!("工作人员 {id}")),
                employee_no: row.get(2)?,
                unit_name: row.get(3)?,
                count: row.get::<_, i64>(4)?.clamp(0, i64::from(u32::MAX)) as u32,
                open: row.get::<_, i64>(5)?.clamp(0, i64::from(u32::MAX)) as u32,
            })
        })
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    let mut stmt = conn
        .prepare(
            "SELECT a.unit_id, coalesce(o.name, ''), coalesce(p.name, ''), sum(a.n_cases), sum(a.n_open + a.n_late)
               FROM agg_case_units a
               LEFT JOIN org_units o ON o.id = a.unit_id
               LEFT JOIN org_units p ON p.id = o.parent_id
              WHERE a.grain = 'm' AND a.bucket >= ?1 AND a.bucket <= ?2
                AND a.unit_path >= ?3 AND a.unit_path < ?3 || '~'
              GROUP BY a.unit_id
             HAVING sum(a.n_cases) >= ?4
              ORDER BY sum(a.n_cases) DESC, a.unit_id
              LIMIT 200",
        )
        .map_err(db)?;
    let units = stmt
        .query_map(params![from, to, scope, min_count], |row| {
            Ok(Concentration {
                id: row.get(0)?,
                name: row.get(1)?,
                employee_no: None,
                unit_name: row.get(2)?,
                count: row.get::<_, i64>(3)?.clamp(0, i64::from(u32::MAX)) as u32,
                open: row.get::<_, i64>(4)?.clamp(0, i64::from(u32::MAX)) as u32,
            })
        })
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    Ok(Concentrations { from_month: from, to_month: to, min_count, staff, units })
}

/// How a time is printed on the record (Beijing time).
fn printed_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|d| {
            let bj = d.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| d.offset().to_owned()));
            format!("{} {}", hcp_report::notice::fmt_date(bj.date_naive()), bj.format("%H:%M"))
        })
        .unwrap_or_else(|_| at.to_owned())
}

fn badge_text(b: ChainBadge, check: Option<&ChainCheck>) -> String {
    let when = check.map(|c| printed_time(&c.checked_at)).unwrap_or_default();
    match b {
        ChainBadge::Verified => format!("已验证（{when} 校验，证据链完整）"),
        ChainBadge::Broken => format!("链条断裂（{when} 校验发现证据链不完整）"),
        ChainBadge::Unverified => "未验证（记录后尚未联网校验证据链）".to_owned(),
        ChainBadge::Pending => "待同步（尚未提交至服务器）".to_owned(),
    }
}

/// The 问责决定记录 of one case (every decision, one per page) as a PDF under `out_dir`.
///
/// A record without 文号: the document-number register numbers the notices the supervision
/// office and the halls issue under their own names, and the liaison's role reserves no numbers;
/// the decision itself is numbered by the discipline-inspection organ in its own register. The
/// record documents what was entered against the case.
pub fn decision_record(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    case_id: i64,
    calendar: &hcp_domain::Calendar,
    now: DateTime<Utc>,
    out_dir: &Path,
    photos: &crate::print_photos::Photos,
) -> ApiResult<crate::PrintedFile> {
    let ledger = register(r, user, &LedgerQuery::default(), calendar, now)?;
    let case = ledger
        .cases
        .into_iter()
        .find(|c| c.item.id == case_id)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("问责台账中没有工单 {case_id}")))?;
    if case.decisions.is_empty() {
        return Err(ApiError::new(
            ErrorCode::IllegalState,
            format!("工单 {} 尚无问责决定，记录问责决定后才能打印问责决定记录", case.item.case_no),
        ));
    }
    let unit = r.unit_name(user.unit_id)?.unwrap_or_else(|| user.unit_name.clone());
    let today = hcp_domain::calendar::beijing_date(now);
    let files = &photos.files;
    let inputs: Vec<hcp_report::decision::DecisionInput> = case
        .decisions
        .iter()
        .map(|d| hcp_report::decision::DecisionInput {
            recording_unit: unit.clone(),
            case_no: case.item.case_no.clone(),
            unit_name: case.item.department_name.clone().unwrap_or_else(|| case.item.unit_name.clone()),
            item_name: case.item.item_name.clone(),
            case_summary: case.item.summary.clone(),
            decision: d.decision_label.clone(),
            subject: match (&d.subject_no, &d.subject_unit) {
                (Some(no), Some(u)) => format!("{}（{no}，{u}）", d.subject_name),
                _ => d.subject_name.clone(),
            },
            reason: d.reason.clone(),
            evidence: d.evidence.clone(),
            decided_by: d.decided_by.clone(),
            decided_at: printed_time(&d.decided_at),
            chain_state: badge_text(d.badge, ledger.chain.as_ref()),
            issue_date: today,
            attachments: files.clone(),
            appendix: Vec::new(),
            appendix_missing: 0,
        })
        .collect();
    // The photos go once, after the last decision's page.
    let mut inputs = inputs;
    if let Some(last) = inputs.last_mut() {
        last.appendix = photos.images.clone();
        last.appendix_missing = photos.missing;
    }
    let fonts = crate::print::document_fonts()?;
    let pdf = hcp_report::decision::render(fonts, &inputs)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("问责决定记录生成失败：{e}")))?;
    let with_photos = if photos.images.is_empty() && photos.missing == 0 { "" } else { "-含附图" };
    let stem = format!("问责决定记录-{}{with_photos}", case.item.case_no);
    let path = crate::exports::save_new_pdf(out_dir, &stem, now, &pdf)?;
    tracing::info!(count = inputs.len(), "accountability record saved");
    Ok(crate::PrintedFile { path: path.display().to_string(), count: inputs.len() as u32 })
}

impl crate::App {
    /// 问责: the accountability register of the user's jurisdiction, from the replica with the
    /// user's queued decisions and the last evidence-chain check (works offline).
    pub async fn accountability_register(&self, query: LedgerQuery) -> ApiResult<Ledger> {
        self.with_replica(move |r, a, cal| register(r, &a.user, &query, cal, Utc::now())).await
    }

    /// Asks the server to verify the evidence chain (online) and keeps the answer in the replica
    /// with the time of the check, for the badges offline.
    pub async fn verify_evidence_chain(&self) -> ApiResult<ChainCheck> {
        let active = self.active()?;
        if !may_view(active.user.role) {
            return Err(forbidden(active.user.role));
        }
        active.require_online("校验证据链")?;
        let report =
            active.client.verify_evidence(&active.token).await.map_err(|e| crate::online_only(e, "校验证据链"))?;
        let check = ChainCheck {
            valid: report.valid,
            length: report.length,
            first_broken_seq: report.first_broken_seq,
            checked_at: crate::now_rfc3339(),
        };
        let kept = check.clone();
        let altered = report.altered_attachments.clone();
        self.with_replica(move |r, _, _| {
            crate::attachments::store_altered(r, &altered)?;
            store_check(r, &kept)
        })
        .await?;
        tracing::info!(valid = check.valid, length = check.length, "evidence chain checked");
        Ok(check)
    }

    /// 差评比较集中的部门和人员 between two months (`YYYY-MM`), from the replica (works offline).
    pub async fn bad_review_concentrations(
        &self,
        from: String,
        to: String,
        min_count: u32,
    ) -> ApiResult<Concentrations> {
        self.with_replica(move |r, a, _| concentrations(r, &a.user, &from, &to, min_count)).await
    }

    /// The 问责决定记录 of a case as a PDF under `<data dir>/reports/` (works offline), with the
    /// case's photos as 附图 pages when `with_photos` (those on this computer, or downloaded when
    /// online; the appendix says how many could not be had).
    pub async fn accountability_record(&self, case_id: i64, with_photos: bool) -> ApiResult<crate::PrintedFile> {
        let out = self.data_dir().join("reports");
        let photos = self.case_photos(case_id, with_photos).await?;
        self.with_replica(move |r, a, cal| decision_record(r, &a.user, case_id, cal, Utc::now(), &out, &photos)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(valid: bool, at: &str) -> ChainCheck {
        ChainCheck { valid, length: 3, first_broken_seq: None, checked_at: at.into() }
    }

    #[test]
    fn badges_follow_the_last_check() {
        let at = "2026-12-06T02:00:00Z";
        assert_eq!(badge(at, true, Some(&check(true, "2026-12-06T03:00:00Z"))), ChainBadge::Pending);
        assert_eq!(badge(at, false, None), ChainBadge::Unverified);
        assert_eq!(badge(at, false, Some(&check(true, "2026-12-06T03:00:00Z"))), ChainBadge::Verified);
        assert_eq!(badge(at, false, Some(&check(true, "2026-12-06T01:00:00Z"))), ChainBadge::Unverified);
        assert_eq!(badge(at, false, Some(&check(false, "2026-12-06T01:00:00Z"))), ChainBadge::Broken);
        assert_eq!(badge("2026-12-06T10:00:00+08:00", false, Some(&check(true, at))), ChainBadge::Verified);
    }

    #[test]
    fn decisions_are_read_from_either_event_shape() {
        let payload = serde_json::json!({"kind": "accountability_recorded", "decision": {"type": "deducted_points", "points": 3},
            "subject_staff_id": 7, "reason": "未整改", "evidence": ["谈话记录"]});
        let (k, s, reason, ev) = from_event(&payload).expect("payload");
        assert_eq!((decision_label(k), s, reason.as_str(), ev.len()), ("扣减绩效分（3分）".into(), 7, "未整改", 1));
        assert!(from_event(&serde_json::json!({"payload": payload})).is_some());
        assert!(from_event(&serde_json::json!({"reason": "x"})).is_none());
    }
}
