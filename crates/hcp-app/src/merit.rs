//! 服务明星 / 办事能手 and the 绩效考核 score sheets of the user's jurisdiction, offline from the
//! replica: the period's candidates by the policy's rule (`hcp_domain::merit`, over the same staff
//! league as the 排名考核 screen), a supervisor's confirmation queued in the outbox like every other
//! action (the server proposes again and records it), the list and certificates as PDFs, and the
//! score sheets (per unit and per member of staff) with every point traced to its case or award,
//! exported as XLSX.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hcp_domain::league::{AssessmentPolicy, LeagueEntry, LeagueOf, LeaguePeriod};
use hcp_domain::merit::{self, AwardKind, Fact, FactKind, ScoreSheet, StarRule, Subject};
use hcp_protocol::AwardRow;
use hcp_replica::Replica;
use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// The outbox kind of a confirmation.
pub const CONFIRM_AWARD: &str = hcp_protocol::outbox::CONFIRM_AWARD;

/// One line of the star board: a candidate, a queued confirmation or a confirmed award.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StarLine {
    pub kind: AwardKind,
    /// 服务明星 or 办事能手.
    pub kind_label: String,
    pub entry: LeagueEntry,
    pub reason: String,
    /// `candidate`, `pending` (confirmation waiting to be sent) or `confirmed`.
    pub status: String,
    pub confirmed_by_name: Option<String>,
    pub confirmed_at: Option<String>,
}

/// The period's candidates and awards.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StarBoard {
    pub period: String,
    pub period_label: String,
    pub rule: StarRule,
    pub lines: Vec<StarLine>,
    /// Whether this user confirms awards (supervisors).
    pub may_confirm: bool,
}

/// Reads an award kind: `star` (服务明星) or `able` (办事能手).
pub fn parse_kind(s: &str) -> ApiResult<AwardKind> {
    AwardKind::parse(s).ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, format!("无效的表彰类别：{s}")))
}

fn bad_period(period: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, format!("期间“{period}”无效，应形如 2026-11、2026-Q4 或 2026"))
}

/// The confirmations this user queued and the server has not answered: (period, staff id) → kind.
fn pending(r: &Replica) -> ApiResult<Vec<(String, i64, AwardKind)>> {
    let mut out = Vec::new();
    for i in r.outbox()? {
        if let (true, Ok(hcp_protocol::ClientCommand::ConfirmAward(a))) = (i.status == "pending", i.client_command()) {
            out.push((a.period, a.staff_id, a.kind));
        }
    }
    Ok(out)
}

/// The star board of `period` for the user's jurisdiction.
pub fn board(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<StarBoard> {
    let key = LeaguePeriod::parse(period).ok_or_else(|| bad_period(period))?;
    let table = crate::rankings::league(r, LeagueOf::Staff, period, policy, now)?;
    let scope = r.scope()?.unwrap_or_else(|| user.scope_path.clone());
    let awards = r.awards(&scope, &[key.key()])?;
    let queued = pending(r)?;
    let mut lines = Vec::new();
    let mut shown = BTreeSet::new();
    for a in &awards {
        shown.insert(a.staff_id);
        let mut entry = entry_of(a);
        entry.unit_name = r.unit_name(a.unit_id)?;
        lines.push(StarLine {
            kind: a.kind,
            kind_label: a.kind.label_zh().to_owned(),
            entry,
            reason: a.reason.clone(),
            status: "confirmed".into(),
            confirmed_by_name: Some(a.confirmed_by_name.clone()),
            confirmed_at: Some(a.confirmed_at.clone()),
        });
    }
    for c in merit::candidates(&table, &policy.stars) {
        if !shown.insert(c.entry.id) {
            continue;
        }
        let is_pending = queued.iter().any(|(p, id, k)| *p == key.key() && *id == c.entry.id && *k == c.kind);
        lines.push(StarLine {
            kind: c.kind,
            kind_label: c.kind.label_zh().to_owned(),
            entry: c.entry,
            reason: c.reason,
            status: if is_pending { "pending" } else { "candidate" }.into(),
            confirmed_by_name: None,
            confirmed_at: None,
        });
    }
    lines.sort_by(|a, b| {
        a.kind.cmp(&b.kind).then(b.entry.score.unwrap_or(0.0).total_cmp(&a.entry.score.unwrap_or(0.0)))
    });
    Ok(StarBoard {
        period: key.key(),
        period_label: key.label_zh(),
        rule: policy.stars,
        lines,
        may_confirm: user.role.may_confirm_awards(),
    })
}

/// A confirmed award as a league line (its figures as confirmed).
fn entry_of(a: &AwardRow) -> LeagueEntry {
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    LeagueEntry {
        id: a.staff_id,
        name: a.staff_name.clone(),
        code: a.employee_no.clone(),
        unit_id: Some(a.unit_id),
        unit_name: None,
        rank: None,
        score: Some(a.score),
        sample_size: n(a.sample_size),
        satisfied: n(a.satisfied),
        raw_rate: (a.sample_size > 0).then(|| a.satisfied as f64 / a.sample_size as f64),
        bad_reviews: 0,
    }
}

/// Checks a confirmation against the replica (the same rule and league) and queues it; returns the
/// board as it now stands. Works offline.
pub fn confirm(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    kind: AwardKind,
    staff_id: i64,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<StarBoard> {
    let (mut after, _) = queue(r, user, period, kind, staff_id, policy, now)?;
    if let Some(line) = after.lines.iter_mut().find(|l| l.entry.id == staff_id) {
        line.status = "pending".into();
    }
    Ok(after)
}

/// [`confirm`]'s check and queueing; returns the board as it was read for the check and the
/// command's id.
fn queue(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    kind: AwardKind,
    staff_id: i64,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<(StarBoard, String)> {
    if !user.role.may_confirm_awards() {
        return Err(ApiError::new(ErrorCode::Forbidden, "只有督查人员可以确认服务明星、办事能手"));
    }
    let before = board(r, user, period, policy, now)?;
    let line = before.lines.iter().find(|l| l.entry.id == staff_id).ok_or_else(|| {
        ApiError::new(ErrorCode::Conflict, format!("该工作人员不是{}的候选人，请刷新后再试", before.period_label))
    })?;
    match line.status.as_str() {
        "confirmed" => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "{}已由{}确认为{}",
                    line.entry.name,
                    line.confirmed_by_name.as_deref().unwrap_or("他人"),
                    line.kind_label
                ),
            ))
        }
        "pending" => return Err(ApiError::new(ErrorCode::Conflict, "该确认已在待同步队列中")),
        _ => {}
    }
    if line.kind != kind {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("{}是{}候选人，不是{}候选人", line.entry.name, line.kind_label, kind.label_zh()),
        ));
    }
    let queued = hcp_protocol::ClientCommand::ConfirmAward(hcp_protocol::outbox::QueuedAward {
        kind,
        period: before.period.clone(),
        staff_id,
    });
    let command_id = crate::cases::queue(r, None, None, &queued, now)?;
    Ok((before, command_id))
}

/// A refused confirmation issued again (checked against the league as it stands now); returns the
/// new command's id.
pub fn reissue(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    a: &hcp_protocol::outbox::QueuedAward,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    Ok(queue(r, user, &a.period, a.kind, a.staff_id, policy, now)?.1)
}

/// Which document to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum AwardDocument {
    /// 名单: one table.
    List,
    /// 荣誉证书: one page each.
    Certificates,
}

/// The confirmed awards of `period` as the list or the certificates, a PDF under `out_dir`.
pub fn print(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    what: AwardDocument,
    now: DateTime<Utc>,
    out_dir: &std::path::Path,
) -> ApiResult<crate::PrintedFile> {
    let key = LeaguePeriod::parse(period).ok_or_else(|| bad_period(period))?;
    let scope = r.scope()?.unwrap_or_else(|| user.scope_path.clone());
    let mut awards = r.awards(&scope, &[key.key()])?;
    if awards.is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("{}尚无已确认的服务明星、办事能手", key.label_zh()),
        ));
    }
    awards.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.score.total_cmp(&a.score)).then(a.staff_name.cmp(&b.staff_name)));
    let mut lines = Vec::with_capacity(awards.len());
    for a in &awards {
        lines.push(hcp_report::awards::AwardInput {
            title: a.kind.label_zh().to_owned(),
            name: a.staff_name.clone(),
            employee_no: a.employee_no.clone(),
            unit_name: r.unit_name(a.unit_id)?.unwrap_or_default(),
            score: a.score,
            sample_size: a.sample_size,
        });
    }
    let input = hcp_report::awards::AwardsInput {
        period_label: key.label_zh(),
        issuer: crate::dashboard::issuing_unit(r, user)?,
        issue_date: hcp_domain::calendar::beijing_date(now),
        awards: lines,
    };
    let fonts = crate::print::document_fonts()?;
    let (pdf, name) = match what {
        AwardDocument::List => (hcp_report::awards::render_list(fonts, &input), "服务明星名单"),
        AwardDocument::Certificates => (hcp_report::awards::render_certificates(fonts, &input), "荣誉证书"),
    };
    let pdf = pdf.map_err(|e| ApiError::new(ErrorCode::Internal, format!("生成失败：{e}")))?;
    let path = crate::exports::save_new_pdf(out_dir, &format!("{name}-{}", key.key()), now, &pdf)?;
    Ok(crate::PrintedFile { path: path.display().to_string(), count: awards.len() as u32 })
}

/// The two score sheets of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ScoreSheets {
    pub period: String,
    pub period_label: String,
    /// Per hall or department the cases were opened against.
    pub units: ScoreSheet,
    /// Per member of staff a case or award names.
    pub staff: ScoreSheet,
}

/// The score sheets of `period` under the user's jurisdiction, by the policy's formula: the
/// period's cases (opened in it, excluded ones left out) and its confirmed awards.
pub fn score_sheets(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    period: &str,
    policy: &AssessmentPolicy,
    now: DateTime<Utc>,
) -> ApiResult<ScoreSheets> {
    let key = LeaguePeriod::parse(period).ok_or_else(|| bad_period(period))?;
    let dates = key.dates().ok_or_else(|| bad_period(period))?;
    let scope = r.scope()?.unwrap_or_else(|| user.scope_path.clone());
    let today = hcp_domain::calendar::beijing_date(now).format("%Y-%m-%d").to_string();
    let cases = r.score_cases(&scope, &dates)?;
    // A quarter's or a year's awards are those of its months and of itself.
    let mut keys = vec![key.key()];
    let mut d = dates.first;
    while d <= dates.last {
        let m = LeaguePeriod::month_of(d).key();
        if !keys.contains(&m) {
            keys.push(m);
        }
        d = d.checked_add_months(chrono::Months::new(1)).unwrap_or(dates.last + chrono::Days::new(1));
    }
    let awards = r.awards(&scope, &keys)?;

    let mut unit_facts = Vec::new();
    let mut staff_facts = Vec::new();
    for c in &cases {
        let mut add = |kind: FactKind, note: String| {
            let f = Fact { subject: c.unit_id, kind, case_id: Some(c.id), reference: c.case_no.clone(), note };
            if let Some(s) = c.staff_id {
                staff_facts.push(Fact { subject: s, ..f.clone() });
            }
            unit_facts.push(f);
        };
        if c.bad_review {
            add(FactKind::BadReview, format!("{} 差评立案", c.day));
        }
        if c.overdue(&today) {
            let note = match &c.handled_day {
                Some(done) => format!("办理期限 {}，{} 办结", c.due.as_deref().unwrap_or(""), done),
                None => format!("办理期限 {}，截至 {} 未办结", c.due.as_deref().unwrap_or(""), today),
            };
            add(FactKind::Overdue, note);
        }
        if c.visit_satisfied == Some(false) {
            add(FactKind::UnsatisfiedVisit, "回访结果：不满意".into());
        }
    }
    for a in &awards {
        let label = LeaguePeriod::parse(&a.period).map_or_else(|| a.period.clone(), LeaguePeriod::label_zh);
        let f = Fact {
            subject: a.staff_id,
            kind: FactKind::Award,
            case_id: None,
            reference: format!("{}{}", label, a.kind.label_zh()),
            note: format!("{}，{}确认", a.reason, a.confirmed_by_name),
        };
        unit_facts.push(Fact { subject: a.unit_id, note: format!("{}：{}", a.staff_name, f.note), ..f.clone() });
        staff_facts.push(f);
    }

    let staff_subjects: Vec<Subject> = hcp_stats::league_members(r.conn(), LeagueOf::Staff, &scope)
        .map_err(crate::dashboard::stats_error)?
        .into_iter()
        .map(|m| Subject { id: m.id, name: m.name, code: m.code, unit_name: m.unit_name.unwrap_or_default() })
        .collect();
    let unit_subjects = r
        .units_of_kinds(&scope, &["hall", "department"])?
        .into_iter()
        .map(|(id, name, code)| Subject { id, name, code, unit_name: String::new() })
        .collect::<Vec<_>>();
    let formula = policy.score;
    Ok(ScoreSheets {
        period: key.key(),
        period_label: key.label_zh(),
        units: merit::sheet(&formula, &unit_subjects, &unit_facts),
        staff: merit::sheet(&formula, &staff_subjects, &staff_facts),
    })
}

fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The score sheets as one workbook: 说明 (the formula), 单位考核, 人员考核 and 扣加分明细 (every
/// item with its case number, so each number can be traced).
pub fn sheets_xlsx(s: &ScoreSheets) -> ApiResult<Vec<u8>> {
    use hcp_report::export::Sheet;
    let f = &s.units.formula;
    let strs = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let about = Sheet {
        name: "说明".into(),
        headers: strs(&["项目", "分值"]),
        widths: vec![36.0, 12.0],
        rows: vec![
            vec!["考核期间".into(), s.period_label.clone()],
            vec!["基础分".into(), points(f.base)],
            vec!["每条成立的差评扣分".into(), points(f.per_bad_review)],
            vec!["每件超期办理扣分".into(), points(f.per_overdue)],
            vec!["每次回访不满意扣分".into(), points(f.per_unsatisfied_visit)],
            vec!["每项表彰（服务明星、办事能手）加分".into(), points(f.per_award)],
            vec!["得分 = 基础分 − 扣分 + 加分（不低于 0）".into(), String::new()],
        ],
    };
    let lines = |sheet: &ScoreSheet, staff: bool| -> Vec<Vec<String>> {
        sheet
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut row = vec![(i + 1).to_string(), l.name.clone(), l.code.clone()];
                if staff {
                    row.push(l.unit_name.clone());
                }
                row.extend([
                    l.bad_reviews.to_string(),
                    l.overdue.to_string(),
                    l.unsatisfied_visits.to_string(),
                    l.awards.to_string(),
                    points(l.deducted),
                    points(l.added),
                    points(l.score),
                ]);
                row
            })
            .collect()
    };
    let counts = ["差评", "超期", "回访不满意", "表彰", "扣分", "加分", "得分"];
    let mut unit_headers = strs(&["序号", "单位", "代码"]);
    unit_headers.extend(strs(&counts));
    let mut staff_headers = strs(&["序号", "姓名", "工号", "单位"]);
    staff_headers.extend(strs(&counts));
    let items = |who: &str, sheet: &ScoreSheet| -> Vec<Vec<String>> {
        sheet
            .items
            .iter()
            .map(|i| {
                vec![
                    who.to_owned(),
                    i.subject_name.clone(),
                    i.kind_label.clone(),
                    i.reference.clone(),
                    i.note.clone(),
                    points(i.points),
                ]
            })
            .collect()
    };
    let mut detail = items("单位", &s.units);
    detail.extend(items("人员", &s.staff));
    let sheets = [
        about,
        Sheet {
            name: "单位考核".into(),
            headers: unit_headers,
            widths: vec![6.0, 28.0, 12.0, 8.0, 8.0, 10.0, 8.0, 8.0, 8.0, 8.0],
            rows: lines(&s.units, false),
        },
        Sheet {
            name: "人员考核".into(),
            headers: staff_headers,
            widths: vec![6.0, 12.0, 12.0, 28.0, 8.0, 8.0, 10.0, 8.0, 8.0, 8.0, 8.0],
            rows: lines(&s.staff, true),
        },
        Sheet {
            name: "扣加分明细".into(),
            headers: strs(&["对象", "名称", "事项", "工单编号/表彰", "说明", "分值"]),
            widths: vec![8.0, 28.0, 14.0, 24.0, 48.0, 8.0],
            rows: detail,
        },
    ];
    hcp_report::export::workbook_xlsx(&sheets).map_err(|e| ApiError::new(ErrorCode::Internal, format!("导出失败：{e}")))
}
