//! The deadline watch (督办 that runs by itself): what the server must do about one case now.
//!
//! [`plan`] looks at a case, its jurisdiction's policies, the calendar and the time, and returns
//! the commands the server issues as the system, each through the ordinary case workflow (so every
//! automatic action is an ordinary event of the case):
//!
//! - **超期预警** ([`CaseCommand::Warn`]) once per deadline, when the running deadline enters the
//!   at-risk window ([`EscalationPolicy::at_risk_until`], `at_risk_within` working days);
//! - **催办** ([`CaseCommand::Urge`]) on the first working day after the due date, then again every
//!   [`WatchPolicy::remind_every_working_days`] working days while the case stays overdue;
//! - **督办升级** ([`CaseCommand::Escalate`] on the overdue basis) straight to the rung
//!   [`escalation::assess`] requires.
//!
//! # Working hours
//!
//! The watch acts only inside the jurisdiction's working hours ([`WatchPolicy`]: 08:30–17:30 local
//! time by default) on working days of the statutory calendar. What falls due at night, on a
//! weekend or over a holiday happens at the start of the next working morning, never at midnight.
//!
//! # Idempotent and catching up
//!
//! "Already done" is derived from the case itself, which is the fold of its events: the deadline the
//! last warning was about ([`Case::warned_due`]), the deadline and overdue count of the last 催办
//! ([`Case::last_urge`], so a reminder period is known), and the escalation rung. Planning again
//! after the commands were applied gives nothing, whatever the number of restarts or processes. A
//! watch that was down looks at the case as it stands now: one warning or reminder for the current
//! period and one escalation to the rung now required, not one per missed day. Each planned command
//! also carries a [`Planned::key`] naming the deadline and period it is for, which the server uses
//! as the command's id, so a second process planning the same action is answered "duplicate".

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, DeadlineRules, Stage, MAX_DEADLINE_DAYS};
use crate::case::machine::{Case, CaseCommand, EscalationBasis, PolicyContext};
use crate::escalation::{self, DeadlineStatus};

/// When the deadline watch acts and how often it reminds (part of a jurisdiction's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchPolicy {
    /// Local time the working day starts (the watch's first action of a day).
    pub work_starts: NaiveTime,
    /// Local time the working day ends (nothing from then on).
    pub work_ends: NaiveTime,
    /// 催办 again every this many working days while a case stays overdue (0: only once per
    /// deadline, on the first working day after it).
    pub remind_every_working_days: u32,
}

impl Default for WatchPolicy {
    /// 08:30–17:30, a reminder every 5 working days (a 12345 centre's rhythm: a 催办通知书 the day
    /// after the due date, a written criticism five working days later).
    fn default() -> Self {
        WatchPolicy {
            work_starts: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or(NaiveTime::MIN),
            work_ends: NaiveTime::from_hms_opt(17, 30, 0).unwrap_or(NaiveTime::MIN),
            remind_every_working_days: 5,
        }
    }
}

impl WatchPolicy {
    /// Checks what an administrator sets; the message names the field (Chinese).
    pub fn validate(&self) -> Result<(), String> {
        if self.work_starts >= self.work_ends {
            return Err("watch.work_starts 应早于 watch.work_ends（工作时间）".into());
        }
        if self.remind_every_working_days > MAX_DEADLINE_DAYS {
            return Err(format!("watch.remind_every_working_days 不能超过 {MAX_DEADLINE_DAYS} 个工作日"));
        }
        Ok(())
    }

    /// Whether `now` lies inside working hours on a working day of the jurisdiction.
    pub fn is_working_time(&self, calendar: &Calendar, rules: &DeadlineRules, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&rules.offset());
        calendar.is_working_day(local.date_naive()) && local.time() >= self.work_starts && local.time() < self.work_ends
    }

    /// The reminder period a case `working_days_overdue` (1 or more) late is in: 0 from the first
    /// working day after the due date, 1 from `remind_every_working_days` later, and so on.
    pub fn reminder_period(&self, working_days_overdue: u32) -> u32 {
        match self.remind_every_working_days {
            0 => 0,
            n => working_days_overdue.saturating_sub(1) / n,
        }
    }
}

/// One command the watch issues on a case, with the key that names what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub command: CaseCommand,
    /// Unique per case for one deadline and period: `warn:2026-03-16`, `urge:2026-03-16:0`,
    /// `escalate:2026-03-16:2` (the rung's number), `urge:visit:2026-03-20:0` (a stage's own clock).
    pub key: String,
}

/// The commands the watch must issue on `case` at `now` (empty outside working hours and when
/// nothing is due), in the order to apply them.
pub fn plan(case: &Case, ctx: &PolicyContext<'_>, watch: &WatchPolicy, now: DateTime<Utc>) -> Vec<Planned> {
    if !watch.is_working_time(ctx.calendar, &ctx.deadlines, now) {
        return Vec::new();
    }
    let assessment = escalation::assess(case, ctx.calendar, &ctx.deadlines, &ctx.escalation, now);
    let mut out = Vec::new();
    match assessment.status {
        DeadlineStatus::AtRisk { due, .. } if case.warned_due != Some(due) => {
            out.push(Planned { command: CaseCommand::Warn, key: format!("warn:{}{due}", stage_key(case)) });
        }
        DeadlineStatus::Overdue { due, working_days_overdue } if working_days_overdue > 0 => {
            let period = watch.reminder_period(working_days_overdue);
            let reminded = case.last_urge.is_some_and(|m| {
                m.due_date == Some(due)
                    && m.working_days_overdue > 0
                    && watch.reminder_period(m.working_days_overdue) >= period
            });
            if !reminded {
                out.push(Planned {
                    command: CaseCommand::Urge { note: reminder_note(case.state.stage(), due, working_days_overdue) },
                    key: format!("urge:{}{due}:{period}", stage_key(case)),
                });
            }
            if let Some(to) = assessment.escalation_due {
                out.push(Planned {
                    command: CaseCommand::Escalate { basis: EscalationBasis::Overdue },
                    key: format!("escalate:{}{due}:{}", stage_key(case), to.index()),
                });
            }
        }
        _ => {}
    }
    out
}

/// The stage part of a planned command's key: empty while the running deadline is the
/// rectification deadline (the keys it had before other stages had clocks, and one warning for it
/// whether the case is accepted yet or not), `verify:`, `accept:` or `visit:` for the stages'
/// own clocks. Keys stay short: the command id they end up in has at most 64 characters.
fn stage_key(case: &Case) -> String {
    match case.deadline() {
        Some((Stage::Accept | Stage::Rectify, due)) if case.due_date == Some(due) => String::new(),
        Some((Stage::Verify, _)) => "verify:".into(),
        Some((Stage::Accept, _)) => "accept:".into(),
        Some((Stage::ReturnVisit, _)) => "visit:".into(),
        Some((Stage::Rectify, _)) | None => String::new(),
    }
}

/// The note of an automatic 催办, asking for what the stage is late with.
fn reminder_note(stage: Option<Stage>, due: NaiveDate, working_days_overdue: u32) -> String {
    let (what, ask) = match stage {
        Some(Stage::Verify) => ("核实处置期限", "请立即核实并处置（当场解决或交办）"),
        Some(Stage::Accept) => ("签收期限", "请立即签收并开展整改"),
        Some(Stage::ReturnVisit) => ("回访期限", "请立即回访办事群众"),
        Some(Stage::Rectify) | None => ("办理期限", "请立即整改并报送整改情况"),
    };
    format!("{what} {} 已过，已逾期 {working_days_overdue} 个工作日，{ask}（系统自动催办）", due.format("%Y年%m月%d日"))
}

#[cfg(test)]
mod tests;
