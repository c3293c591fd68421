//! 倒逼: the consequences of ranking at the bottom month after month.
//!
//! A jurisdiction's policy may carry a bottom rule (`assessment.bottom_rule`: the last `bottom`
//! of the monthly staff or window league, `months` months running). In its first working hours of
//! a month the server computes that jurisdiction's leagues of the months before
//! ([`hcp_domain::league::bottom_streaks`]: the same leagues as `GET /api/v1/rankings`) and opens
//! one 限期整改 case ([`CaseSource::Assessment`]) against each member whose run reached the rule's
//! length, as the system, through the one case workflow. The case then lives like any other: it is
//! verified, assigned, rectified and watched by the deadline watch. Its command id names the rule,
//! the member and the month, so a restart, a second process or the next day records nothing twice.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hcp_domain::calendar::beijing_date;
use hcp_domain::kpi::{kpis_by, GroupBy, KpiParams};
use hcp_domain::league::{bottom_streaks, BottomRule, LeagueOf, LeaguePeriod, LeagueTable};
use hcp_domain::{Calendar, CaseCommand, CaseSource, ScopePath};
use hcp_protocol::{setting_keys, CommandEnvelope, CommandStatus, ErrorCode, JurisdictionPolicy};
use serde::Serialize;

use crate::db::{settings, Conn, Db, DbError, DbResult};
use crate::workflow::{self, Origin, Principal, SYSTEM_ID_PREFIX};

/// What one evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConsequenceReport {
    /// Jurisdictions with a bottom rule.
    pub rules: u64,
    /// Of them, outside their working hours now (evaluated at a later tick).
    pub waiting: u64,
    /// 限期整改 cases opened.
    pub opened: u64,
    /// Already opened before (a restart, another process).
    pub duplicates: u64,
    /// Refused by the workflow (logged).
    pub refused: u64,
    /// Why, per refused case: `key: code message`.
    pub refusals: Vec<String>,
    /// The jurisdictions evaluated (their paths).
    pub evaluated: Vec<String>,
}

/// The policies that carry a bottom rule: (jurisdiction path, policy).
fn rules(c: &Conn<'_>) -> DbResult<Vec<(String, JurisdictionPolicy)>> {
    let rows = c.query_map(
        "SELECT unit_path, value FROM settings WHERE key = ?1 ORDER BY unit_path",
        [setting_keys::POLICY],
        |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?)),
    )?;
    let mut out = Vec::new();
    for (path, value) in rows {
        let policy: JurisdictionPolicy =
            serde_json::from_str(&value).map_err(|e| DbError::Corrupt(format!("policy setting: {e}")))?;
        if policy.assessment.bottom_rule.is_some() {
            out.push((path, policy));
        }
    }
    Ok(out)
}

/// The monthly leagues of `rule.of` under `scope` for the `rule.months + 1` months before `now`'s
/// month, oldest first.
fn leagues(
    c: &Conn<'_>,
    scope: &str,
    policy: &JurisdictionPolicy,
    rule: &BottomRule,
    now: DateTime<Utc>,
) -> DbResult<Vec<LeagueTable>> {
    let wrap = |e: hcp_stats::StatsError| DbError::Corrupt(e.to_string());
    let ratings = hcp_stats::rating_facts(c, scope).map_err(wrap)?;
    let cases = hcp_stats::case_facts(c, scope).map_err(wrap)?;
    let mut month = LeaguePeriod::month_of(beijing_date(now));
    let mut out = Vec::new();
    for _ in 0..=rule.months {
        let Some(previous) = month.previous() else { break };
        month = previous;
        let Some(dates) = month.dates() else { break };
        let by_staff = kpis_by(&ratings, &cases, GroupBy::Staff, &dates, &KpiParams::beijing(now));
        if let Some(t) = hcp_stats::league(c, rule.of, scope, month, &policy.assessment, &by_staff).map_err(wrap)? {
            out.push(t);
        }
    }
    out.reverse();
    Ok(out)
}

/// Where a member's case is opened, and the staff member it names: a staff member's own unit, or
/// the window itself.
fn target(c: &Conn<'_>, of: LeagueOf, id: i64) -> DbResult<Option<(String, Option<i64>)>> {
    Ok(match of {
        LeagueOf::Staff => c
            .query_opt("SELECT unit_path FROM staff WHERE id = ?1", [id], |r| r.get::<String>(0))?
            .map(|path| (path, Some(id))),
        LeagueOf::Window => c
            .query_opt("SELECT path FROM org_units WHERE id = ?1 AND kind = 'window'", [id], |r| r.get::<String>(0))?
            .map(|path| (path, None)),
    })
}

/// Evaluates every jurisdiction's bottom rule now (blocking), but those in `done` (evaluated
/// already today); see the module doc.
pub fn evaluate(
    db: &Db,
    bundled: &Calendar,
    now: DateTime<Utc>,
    done: &BTreeSet<String>,
) -> DbResult<ConsequenceReport> {
    let mut report = ConsequenceReport::default();
    let (calendar, rules) = db.read_blocking(|c| Ok((settings::calendar(c, bundled)?, rules(c)?)))?;
    report.rules = rules.len() as u64;
    for (scope, policy) in rules {
        let Some(rule) = policy.assessment.bottom_rule else { continue };
        if done.contains(&scope) {
            continue;
        }
        if !policy.watch.is_working_time(&calendar, &policy.deadlines, now) {
            report.waiting += 1;
            continue;
        }
        report.evaluated.push(scope.clone());
        let streaks = db.read_blocking(|c| Ok(bottom_streaks(&leagues(c, &scope, &policy, &rule, now)?, &rule)))?;
        let Ok(jurisdiction) = ScopePath::try_from(scope.clone()) else { continue };
        for s in streaks {
            let Some(month) = s.months.last().map(|(m, _, _)| m.clone()) else { continue };
            let what = match rule.of {
                LeagueOf::Staff => "工作人员",
                LeagueOf::Window => "窗口",
            };
            let who = match &s.unit_name {
                Some(unit) => format!("{}（{unit}）", s.name),
                None => s.name.clone(),
            };
            let summary = format!(
                "排名考核限期整改：{who}在{what}满意度排名中连续{}个月位列后{}位（{}）。请查找原因、限期整改，并报送整改情况。",
                rule.months,
                rule.bottom,
                s.ranks_zh()
            );
            let id = format!("{SYSTEM_ID_PREFIX}assess:{}:{}:{month}", rule.of.as_str(), s.id);
            let result = db.write_blocking(|c| {
                let Some((path, staff)) = target(c, rule.of, s.id)? else { return Ok(None) };
                let Ok(unit) = ScopePath::try_from(path) else { return Ok(None) };
                let env = CommandEnvelope {
                    command_id: id.clone(),
                    client_seq: None,
                    case_id: None,
                    base_version: None,
                    attachments: Vec::new(),
                    command: CaseCommand::Create {
                        source: CaseSource::Assessment,
                        unit,
                        // A user account; the roster's staff member goes into the case's origin.
                        rated_staff_id: None,
                        real_name: false,
                        summary: summary.clone(),
                        content_codes: vec![],
                        service_item_id: None,
                    },
                };
                let origin = Origin { staff_id: staff, ..Origin::default() };
                let system = Principal::system(jurisdiction.clone());
                workflow::execute(c, &system, &env, None, Some(&origin), now, bundled).map(Some)
            })?;
            match result.map(|r| (r.status, r.code, r.message)) {
                Some((CommandStatus::Applied, _, _)) => {
                    report.opened += 1;
                    tracing::info!(key = %id, "限期整改 case opened by the bottom rule");
                }
                Some((CommandStatus::Duplicate, _, _)) => report.duplicates += 1,
                Some((CommandStatus::Rejected, code, message)) => {
                    report.refused += 1;
                    tracing::warn!(key = %id, ?code, "bottom rule: the case was refused");
                    report.refusals.push(format!(
                        "{id}: {} {}",
                        code.map_or("", ErrorCode::as_str),
                        message.unwrap_or_default()
                    ));
                }
                None => {
                    report.refused += 1;
                    report.refusals.push(format!("{id}: the member is gone"));
                }
            }
        }
    }
    Ok(report)
}

/// Which jurisdictions were evaluated today (Beijing day): each once a day, inside its own
/// working hours; the evaluation stops running once none is left waiting.
#[derive(Debug, Default)]
pub struct Schedule {
    day: Option<chrono::NaiveDate>,
    done: BTreeSet<String>,
    finished: bool,
}

impl Schedule {
    /// The jurisdictions already evaluated today, or `None` when nothing is left to do today.
    pub fn pending(&mut self, now: DateTime<Utc>) -> Option<BTreeSet<String>> {
        let today = beijing_date(now);
        if self.day != Some(today) {
            *self = Schedule { day: Some(today), ..Schedule::default() };
        }
        (!self.finished).then(|| self.done.clone())
    }

    pub fn record(&mut self, report: &ConsequenceReport) {
        self.done.extend(report.evaluated.iter().cloned());
        self.finished = report.waiting == 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_jurisdiction_is_evaluated_once_a_day_and_the_evaluation_stops_when_none_waits() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        let mut s = Schedule::default();
        let monday = at("2026-12-07T01:00:00Z");
        assert_eq!(s.pending(monday), Some(BTreeSet::new()));
        // One jurisdiction evaluated, another outside its working hours: only the second is left.
        s.record(&ConsequenceReport { evaluated: vec!["/1/2/".into()], waiting: 1, ..Default::default() });
        assert_eq!(s.pending(monday), Some(BTreeSet::from(["/1/2/".to_owned()])));
        s.record(&ConsequenceReport { evaluated: vec!["/1/3/".into()], ..Default::default() });
        assert_eq!(s.pending(monday), None, "nothing left today");
        // 16:30 UTC is already Tuesday in Beijing: everything is due again.
        assert_eq!(s.pending(at("2026-12-07T16:30:00Z")), Some(BTreeSet::new()));
    }
}
