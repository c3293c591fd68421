//! The escalation ladder (督办) and the deadline watch.
//!
//! A case moves up a ladder: first line (the hall and the responsible department) → coordination
//! or supervision office (协调督办) → government inspection (政府督查) → accountability (追责问责).
//! Supervisors escalate by hand with a reason at any time; the policy below says when an overdue
//! case *must* be escalated, and [`assess`] tells what is due, at risk and overdue.
//!
//! # Default thresholds ([`EscalationPolicy::default`])
//!
//! | working days overdue | required level |
//! | --- | --- |
//! | 1 or more | coordination office |
//! | 3 or more | government inspection |
//! | 5 or more, and the case is a repeat (reopened at least once after an unsatisfied return visit or a reopening) | accountability |
//! | 10 or more, repeat or not (two whole rectification periods late) | accountability |
//!
//! Without the last row a first-time case stayed at government inspection however late it was:
//! 51 working days overdue, the overdue escalation was refused as "not required".
//!
//! A case is **at risk** when its due date is today or within the next `at_risk_within` working
//! days (1 by default). "Overdue by N working days" counts the working days after the due date up
//! to and including today ([`Calendar::working_days_between`]`(due, today)`): on the first working
//! day after the due date a case is 1 working day overdue. A case whose due date passed over a
//! weekend only is overdue by 0 working days and needs no escalation yet. The clock runs only in
//! the states [`CaseState::has_running_deadline`] names, on the current stage's deadline
//! ([`Case::deadline`]: 核实处置, 签收, 整改 or 回访); it is paused while an extension waits.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, DeadlineRules};
use crate::case::machine::Case;
use crate::case::CaseState;

/// The rungs of the escalation ladder, lowest first.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationLevel {
    /// 一线处置: the hall and the responsible department.
    #[default]
    FirstLine,
    /// 协调督办: the coordination or supervision office.
    CoordinationOffice,
    /// 政府督查: government inspection.
    GovernmentInspection,
    /// 追责问责: accountability.
    Accountability,
}

crate::str_enum!(EscalationLevel {
    FirstLine => "first_line",
    CoordinationOffice => "coordination_office",
    GovernmentInspection => "government_inspection",
    Accountability => "accountability",
});

impl EscalationLevel {
    /// The next rung up, or `None` at the top.
    pub fn next(self) -> Option<EscalationLevel> {
        match self {
            EscalationLevel::FirstLine => Some(EscalationLevel::CoordinationOffice),
            EscalationLevel::CoordinationOffice => Some(EscalationLevel::GovernmentInspection),
            EscalationLevel::GovernmentInspection => Some(EscalationLevel::Accountability),
            EscalationLevel::Accountability => None,
        }
    }

    /// The rung's number on the wire and in the stores: 0 first line … 3 accountability.
    pub fn index(self) -> u8 {
        match self {
            EscalationLevel::FirstLine => 0,
            EscalationLevel::CoordinationOffice => 1,
            EscalationLevel::GovernmentInspection => 2,
            EscalationLevel::Accountability => 3,
        }
    }

    /// The rung with this number ([`EscalationLevel::index`]).
    pub fn from_index(i: u8) -> Option<EscalationLevel> {
        EscalationLevel::ALL.into_iter().find(|l| l.index() == i)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EscalationLevel::FirstLine => "一线处置",
            EscalationLevel::CoordinationOffice => "协调督办",
            EscalationLevel::GovernmentInspection => "政府督查",
            EscalationLevel::Accountability => "追责问责",
        }
    }
}

/// When an overdue case must move up the ladder (see the module doc for the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EscalationPolicy {
    /// Working days overdue from which the coordination office takes over.
    pub coordination_office_after: u32,
    /// Working days overdue from which government inspection takes over.
    pub government_inspection_after: u32,
    /// Working days overdue from which accountability is required.
    pub accountability_after: u32,
    /// Whether accountability also requires a repeat case (reopened at least once).
    pub accountability_requires_repeat: bool,
    /// Working days overdue from which accountability is required even for a first-time case
    /// (when [`Self::accountability_requires_repeat`] holds; 0 = never).
    pub accountability_regardless_after: u32,
    /// A case is at risk when due within this many working days (0 = due today only).
    pub at_risk_within: u32,
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        EscalationPolicy {
            coordination_office_after: 1,
            government_inspection_after: 3,
            accountability_after: 5,
            accountability_requires_repeat: true,
            accountability_regardless_after: 10,
            at_risk_within: 1,
        }
    }
}

impl EscalationPolicy {
    /// Checks the thresholds an administrator sets: in order (协调办 ≤ 政府督查 ≤ 问责) and each
    /// within [`crate::calendar::MAX_DEADLINE_DAYS`] working days. The message is Chinese.
    pub fn validate(&self) -> Result<(), String> {
        let max = crate::calendar::MAX_DEADLINE_DAYS;
        let all = [self.coordination_office_after, self.government_inspection_after, self.accountability_after];
        if all.iter().chain([&self.at_risk_within]).any(|n| *n > max) {
            return Err(format!("升级阈值和预警天数不能超过 {max} 个工作日"));
        }
        if !(all[0] <= all[1] && all[1] <= all[2]) {
            return Err("升级阈值应依次不减：协调办 ≤ 政府督查 ≤ 问责".into());
        }
        Ok(())
    }

    /// The level an overdue case must have reached.
    pub fn required_level(&self, working_days_overdue: u32, repeat: bool) -> EscalationLevel {
        let n = working_days_overdue;
        let at_least = |threshold: u32| threshold > 0 && n >= threshold;
        let accountable = at_least(self.accountability_after)
            && (repeat || !self.accountability_requires_repeat || at_least(self.accountability_regardless_after));
        if accountable {
            EscalationLevel::Accountability
        } else if at_least(self.government_inspection_after) {
            EscalationLevel::GovernmentInspection
        } else if at_least(self.coordination_office_after) {
            EscalationLevel::CoordinationOffice
        } else {
            EscalationLevel::FirstLine
        }
    }

    /// The last due date that is at risk on `today`: a case whose deadline runs is at risk when
    /// it is due between `today` and this date, both included (the rule [`deadline_status`]
    /// applies to one case, for lists that filter by date).
    pub fn at_risk_until(&self, calendar: &Calendar, today: NaiveDate) -> NaiveDate {
        let first_on_track = calendar.add_working_days(today, self.at_risk_within.saturating_add(1));
        first_on_track.pred_opt().unwrap_or(first_on_track)
    }
}

/// Where a case stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// No deadline runs (closed, excluded, or a stage without a clock).
    NotRunning,
    /// An extension waits for approval: the clock is paused.
    Paused { due: NaiveDate },
    /// Due later than the at-risk window.
    OnTrack { due: NaiveDate, working_days_left: u32 },
    /// Due today or within the at-risk window.
    AtRisk { due: NaiveDate, working_days_left: u32 },
    /// The due date has passed.
    Overdue { due: NaiveDate, working_days_overdue: u32 },
}

/// What the deadline watch says about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub status: DeadlineStatus,
    /// The level the policy requires given how overdue the case is.
    pub required_level: EscalationLevel,
    /// `Some(level)` when the policy requires a higher level than the case has.
    pub escalation_due: Option<EscalationLevel>,
}

/// A repeat case: the citizen was not satisfied, or the case was reopened, at least once.
pub fn is_repeat(case: &Case) -> bool {
    case.reopen_count > 0
}

/// Where the case stands against its deadline at `now`.
pub fn deadline_status(
    case: &Case,
    calendar: &Calendar,
    rules: &DeadlineRules,
    policy: &EscalationPolicy,
    now: DateTime<Utc>,
) -> DeadlineStatus {
    let Some((_, due)) = case.deadline() else {
        return DeadlineStatus::NotRunning;
    };
    if case.state == CaseState::ExtensionRequested {
        return DeadlineStatus::Paused { due };
    }
    if !case.state.has_running_deadline() {
        return DeadlineStatus::NotRunning;
    }
    let today = rules.local_date(now);
    if today > due {
        let n = calendar.working_days_between(due, today);
        DeadlineStatus::Overdue { due, working_days_overdue: u32::try_from(n).unwrap_or(u32::MAX) }
    } else {
        let left = u32::try_from(calendar.working_days_between(today, due)).unwrap_or(u32::MAX);
        if left <= policy.at_risk_within {
            DeadlineStatus::AtRisk { due, working_days_left: left }
        } else {
            DeadlineStatus::OnTrack { due, working_days_left: left }
        }
    }
}

/// The deadline status and the escalation the policy requires.
pub fn assess(
    case: &Case,
    calendar: &Calendar,
    rules: &DeadlineRules,
    policy: &EscalationPolicy,
    now: DateTime<Utc>,
) -> Assessment {
    let status = deadline_status(case, calendar, rules, policy, now);
    let required_level = match status {
        DeadlineStatus::Overdue { working_days_overdue, .. } => {
            policy.required_level(working_days_overdue, is_repeat(case))
        }
        _ => EscalationLevel::FirstLine,
    };
    Assessment { status, required_level, escalation_due: (required_level > case.escalation).then_some(required_level) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::machine::test_support::{assigned_case, bj, d};
    use chrono::Datelike;

    #[test]
    fn the_ladder_goes_up_one_rung_at_a_time() {
        let mut level = EscalationLevel::FirstLine;
        let mut seen = vec![level];
        while let Some(next) = level.next() {
            assert!(next > level);
            level = next;
            seen.push(level);
        }
        assert_eq!(seen, EscalationLevel::ALL.to_vec());
        for l in EscalationLevel::ALL {
            assert_eq!(EscalationLevel::parse(l.as_str()), Some(l));
        }
    }

    #[test]
    fn rungs_round_trip_through_their_numbers() {
        for (i, l) in EscalationLevel::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(l.index()), i, "the wire number is the rung's place on the ladder");
            assert_eq!(EscalationLevel::from_index(l.index()), Some(l));
        }
        assert_eq!(EscalationLevel::from_index(4), None);
    }

    #[test]
    fn at_risk_until_agrees_with_the_deadline_status_of_every_due_date() {
        let cal = Calendar::bundled();
        let rules = DeadlineRules::default();
        // Assigned Monday 9 March 2026: due Monday 16 March; and a case over the National Day
        // holiday (due dates are looked at from 28 September, before 国庆 and its makeup day).
        let case = assigned_case(bj(2026, 3, 9, 10, 0));
        for within in [0, 1, 2, 5] {
            let policy = EscalationPolicy { at_risk_within: within, ..EscalationPolicy::default() };
            for today in [d(2026, 3, 9), d(2026, 3, 13), d(2026, 9, 28), d(2026, 9, 30), d(2026, 10, 9)] {
                let until = policy.at_risk_until(&cal, today);
                assert!(until >= today);
                for offset in 0..30 {
                    let due = today + chrono::Duration::days(offset);
                    let c = Case { due_date: Some(due), ..case.clone() };
                    let now = bj(today.year(), today.month(), today.day(), 12, 0);
                    let at_risk =
                        matches!(deadline_status(&c, &cal, &rules, &policy, now), DeadlineStatus::AtRisk { .. });
                    assert_eq!(at_risk, due <= until, "within {within}, today {today}, due {due}");
                }
            }
        }
    }

    #[test]
    fn default_thresholds() {
        let p = EscalationPolicy::default();
        assert_eq!(p.required_level(0, true), EscalationLevel::FirstLine);
        assert_eq!(p.required_level(1, false), EscalationLevel::CoordinationOffice);
        assert_eq!(p.required_level(2, false), EscalationLevel::CoordinationOffice);
        assert_eq!(p.required_level(3, false), EscalationLevel::GovernmentInspection);
        assert_eq!(p.required_level(9, false), EscalationLevel::GovernmentInspection);
        // However late a first-time case is, it reaches accountability at last.
        assert_eq!(p.required_level(10, false), EscalationLevel::Accountability);
        assert_eq!(p.required_level(51, false), EscalationLevel::Accountability);
        let never = EscalationPolicy { accountability_regardless_after: 0, ..p };
        assert_eq!(never.required_level(51, false), EscalationLevel::GovernmentInspection);
        // The regardless threshold never comes before the accountability threshold itself.
        let early = EscalationPolicy { accountability_regardless_after: 2, ..p };
        assert_eq!(early.required_level(3, false), EscalationLevel::GovernmentInspection);
        assert_eq!(p.required_level(5, true), EscalationLevel::Accountability);
        let lenient = EscalationPolicy { accountability_requires_repeat: false, ..p };
        assert_eq!(lenient.required_level(5, false), EscalationLevel::Accountability);
        let off = EscalationPolicy {
            coordination_office_after: 0,
            government_inspection_after: 0,
            accountability_after: 0,
            ..p
        };
        assert_eq!(off.required_level(100, true), EscalationLevel::FirstLine);
    }

    #[test]
    fn due_at_risk_and_overdue_in_working_days() {
        let cal = Calendar::bundled();
        let rules = DeadlineRules::default();
        let policy = EscalationPolicy::default();
        // Assigned Monday 9 March 2026 10:00: due Monday 16 March.
        let case = assigned_case(bj(2026, 3, 9, 10, 0));
        assert_eq!(case.due_date, Some(d(2026, 3, 16)));
        let at = |y, m, day, h| assess(&case, &cal, &rules, &policy, bj(y, m, day, h, 0));
        assert_eq!(at(2026, 3, 10, 9).status, DeadlineStatus::OnTrack { due: d(2026, 3, 16), working_days_left: 4 });
        // Friday 13 March: one working day left (Monday).
        assert_eq!(at(2026, 3, 13, 9).status, DeadlineStatus::AtRisk { due: d(2026, 3, 16), working_days_left: 1 });
        // Monday 16 March, 23:00: due today, still not overdue.
        let due_day = at(2026, 3, 16, 23);
        assert!(matches!(due_day.status, DeadlineStatus::AtRisk { working_days_left: 0, .. }));
        assert_eq!(due_day.escalation_due, None);
        // Tuesday 17 March: 1 working day overdue → coordination office.
        let tue = at(2026, 3, 17, 9);
        assert_eq!(tue.status, DeadlineStatus::Overdue { due: d(2026, 3, 16), working_days_overdue: 1 });
        assert_eq!(tue.escalation_due, Some(EscalationLevel::CoordinationOffice));
        // Thursday 19 March: 3 overdue → government inspection.
        assert_eq!(at(2026, 3, 19, 9).escalation_due, Some(EscalationLevel::GovernmentInspection));
        // Monday 23 March: 5 overdue but no repeat → still government inspection.
        let late = at(2026, 3, 23, 9);
        assert!(matches!(late.status, DeadlineStatus::Overdue { working_days_overdue: 5, .. }));
        assert_eq!(late.required_level, EscalationLevel::GovernmentInspection);
        // A repeat case 5 overdue requires accountability.
        let mut repeat = case.clone();
        repeat.reopen_count = 1;
        assert_eq!(
            assess(&repeat, &cal, &rules, &policy, bj(2026, 3, 23, 9, 0)).escalation_due,
            Some(EscalationLevel::Accountability)
        );
        // Already escalated far enough: nothing more is due.
        let mut escalated = case.clone();
        escalated.escalation = EscalationLevel::GovernmentInspection;
        assert_eq!(assess(&escalated, &cal, &rules, &policy, bj(2026, 3, 23, 9, 0)).escalation_due, None);
    }

    #[test]
    fn a_deadline_passed_over_a_weekend_only_is_zero_working_days_overdue() {
        let cal = Calendar::bundled();
        let rules = DeadlineRules::default();
        let policy = EscalationPolicy::default();
        // Assigned Friday 6 March 2026: due Friday 13 March; Saturday 14 March is past it.
        let case = assigned_case(bj(2026, 3, 6, 10, 0));
        assert_eq!(case.due_date, Some(d(2026, 3, 13)));
        let sat = assess(&case, &cal, &rules, &policy, bj(2026, 3, 14, 10, 0));
        assert!(matches!(sat.status, DeadlineStatus::Overdue { working_days_overdue: 0, .. }));
        assert_eq!(sat.escalation_due, None);
    }

    #[test]
    fn the_clock_only_runs_while_work_is_due() {
        let cal = Calendar::bundled();
        let rules = DeadlineRules::default();
        let policy = EscalationPolicy::default();
        let mut case = assigned_case(bj(2026, 3, 9, 10, 0));
        let later = bj(2026, 4, 30, 10, 0);
        case.state = CaseState::ExtensionRequested;
        assert!(matches!(deadline_status(&case, &cal, &rules, &policy, later), DeadlineStatus::Paused { .. }));
        for state in [CaseState::Rectified, CaseState::Closed, CaseState::Excluded] {
            case.state = state;
            let a = assess(&case, &cal, &rules, &policy, later);
            assert_eq!(a.status, DeadlineStatus::NotRunning);
            assert_eq!(a.escalation_due, None);
        }
    }
}
