use chrono::Duration;

use super::*;
use crate::case::machine::test_support::*;
use crate::case::machine::{apply, Actor, EventPayload};
use crate::org::ScopePath;
use crate::role::Role;

/// The server acting as the system: a supervisor over the whole city.
fn system() -> Actor {
    Actor { user_id: 0, role: Role::Supervisor, scope: ScopePath::root(1) }
}

/// What happened, as `2026-02-24 08:30 urged 1` (Beijing time; the overdue count, or the rung reached).
fn line(at: DateTime<Utc>, payload: &EventPayload) -> String {
    let when = crate::calendar::beijing_time(at).format("%Y-%m-%d %H:%M");
    match payload {
        EventPayload::Warned { due_date, working_days_left } => format!("{when} warned {due_date} {working_days_left}"),
        EventPayload::Urged { working_days_overdue, .. } => format!("{when} urged {working_days_overdue}"),
        EventPayload::Escalated { to, .. } => format!("{when} escalated {}", to.as_str()),
        other => format!("{when} {}", other.kind()),
    }
}

/// Runs the watch every `step` minutes in `[from, to)`, applying what it plans as the system. After
/// each pass it plans again at the same instant (a restart, or a second process) and must find
/// nothing; every action must fall in working hours.
fn walk(
    case: &mut Case,
    ctx: &PolicyContext<'_>,
    watch: &WatchPolicy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: i64,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        for p in plan(case, ctx, watch, t) {
            let (next, event) =
                apply(Some(case), &system(), &p.command, t, ctx).unwrap_or_else(|e| panic!("{} at {t}: {e}", p.key));
            assert!(watch.is_working_time(ctx.calendar, &ctx.deadlines, t), "acted outside working hours at {t}");
            *case = next;
            out.push(line(t, &event.payload));
        }
        assert_eq!(plan(case, ctx, watch, t), vec![], "nothing twice at {t}");
        t += Duration::minutes(step);
    }
    out
}

#[test]
fn spring_festival_2026_warnings_reminders_and_escalations_on_working_mornings() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let watch = WatchPolicy::default();
    // Assigned on Monday 9 February; 5 working days end on Saturday 14 February, a makeup workday
    // (调休上班) before the holiday of 15–23 February.
    let mut case = assigned_case(bj(2026, 2, 9, 10, 0));
    assert_eq!(case.due_date, Some(d(2026, 2, 14)));
    let got = walk(&mut case, &ctx, &watch, bj(2026, 2, 9, 10, 0), bj(2026, 3, 14, 0, 0), 30);
    assert_eq!(
        got,
        [
            // One working day left: warned on Friday morning, not again on the due day.
            "2026-02-13 08:30 warned 2026-02-14 1",
            // Due on the 14th; the holiday passes silently; the first working morning after it:
            // the first reminder and the coordination office.
            "2026-02-24 08:30 urged 1",
            "2026-02-24 08:30 escalated coordination_office",
            "2026-02-26 08:30 escalated government_inspection",
            // Saturday 28 February is a makeup workday: 5 working days overdue, still period 0.
            "2026-03-02 08:30 urged 6",
            // A first-time case reaches accountability only at 10 working days.
            "2026-03-06 08:30 escalated accountability",
            "2026-03-09 08:30 urged 11",
        ]
    );
    assert_eq!(case.urge_count, 3);
}

#[test]
fn national_day_2026_and_a_catch_up_after_downtime() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let watch = WatchPolicy::default();
    // Assigned Thursday 24 September at 15:00: 25–27 September are the Mid-Autumn holiday and 1–7
    // October National Day, so 28, 29, 30 September and 8, 9 October make the 5 working days.
    let start = bj(2026, 9, 24, 15, 0);
    let mut case = assigned_case(start);
    assert_eq!(case.due_date, Some(d(2026, 10, 9)));
    let mut running = case.clone();
    let got = walk(&mut running, &ctx, &watch, start, bj(2026, 10, 17, 0, 0), 15);
    assert_eq!(
        got,
        [
            // Two working days left on 30 September; the warning waits for the first working
            // morning after the holiday, when one is left.
            "2026-10-08 08:30 warned 2026-10-09 1",
            // Saturday 10 October is a makeup workday: the first day overdue.
            "2026-10-10 08:30 urged 1",
            "2026-10-10 08:30 escalated coordination_office",
            "2026-10-13 08:30 escalated government_inspection",
            "2026-10-16 08:30 urged 6",
        ]
    );
    // The same case, the server down from the evening of 29 September to 10:00 on 13 October:
    // nothing before, then one reminder for the current period and one escalation straight to the
    // rung now required; no warning (the case is already overdue) and nothing per missed day.
    assert_eq!(walk(&mut case, &ctx, &watch, start, bj(2026, 9, 29, 18, 0), 15), Vec::<String>::new());
    let got = walk(&mut case, &ctx, &watch, bj(2026, 10, 13, 10, 0), bj(2026, 10, 14, 0, 0), 15);
    assert_eq!(got, ["2026-10-13 10:00 urged 3", "2026-10-13 10:00 escalated government_inspection"]);
    assert_eq!(case.warned_due, None);
}

#[test]
fn nothing_at_night_on_weekends_or_holidays() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let watch = WatchPolicy::default();
    // Due on 14 February, overdue through the Spring Festival holiday.
    let case = assigned_case(bj(2026, 2, 9, 10, 0));
    for quiet in [
        bj(2026, 2, 15, 10, 0),  // holiday (Sunday)
        bj(2026, 2, 20, 10, 0),  // holiday (Friday)
        bj(2026, 2, 24, 0, 0),   // midnight of the first working day
        bj(2026, 2, 24, 8, 29),  // one minute before work
        bj(2026, 2, 24, 17, 30), // closing time
        bj(2026, 3, 1, 10, 0),   // Sunday
    ] {
        assert_eq!(plan(&case, &ctx, &watch, quiet), vec![], "{quiet}");
    }
    let keys: Vec<String> = plan(&case, &ctx, &watch, bj(2026, 2, 24, 8, 30)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["urge:2026-02-14:0", "escalate:2026-02-14:coordination_office"]);
    // Working hours are the jurisdiction's: a later start moves the morning's work.
    let late = WatchPolicy { work_starts: chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("time"), ..watch };
    assert_eq!(plan(&case, &ctx, &late, bj(2026, 2, 24, 8, 30)), vec![]);
}

#[test]
fn a_manual_reminder_counts_and_a_new_deadline_gets_its_own_warning() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let watch = WatchPolicy { remind_every_working_days: 0, ..WatchPolicy::default() };
    let mut case = assigned_case(bj(2026, 3, 9, 10, 0));
    assert_eq!(case.due_date, Some(d(2026, 3, 16)));
    // A supervisor urged by hand on the first overdue morning: the watch only escalates.
    let sup = actor(Role::Supervisor);
    let t = bj(2026, 3, 17, 8, 0);
    case = apply(Some(&case), &sup, &CaseCommand::Urge { note: "请今日报送".into() }, t, &ctx).expect("urge").0;
    let keys: Vec<String> = plan(&case, &ctx, &watch, bj(2026, 3, 17, 9, 0)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["escalate:2026-03-16:coordination_office"]);
    // With reminders only once per deadline, none follows however late the case gets.
    let mut later = case.clone();
    let got = walk(&mut later, &ctx, &watch, bj(2026, 3, 17, 9, 0), bj(2026, 4, 3, 0, 0), 60);
    assert!(got.iter().all(|l| l.contains("escalated")), "{got:?}");
    // Warned about one deadline, then given a new one (a reassignment with a due date): warned again.
    let mut case = assigned_case(bj(2026, 3, 9, 10, 0));
    let warn_at = bj(2026, 3, 13, 9, 0);
    case = apply(Some(&case), &system(), &CaseCommand::Warn, warn_at, &ctx).expect("warn").0;
    assert_eq!(plan(&case, &ctx, &watch, warn_at), vec![]);
    let reassign =
        CaseCommand::Assign { department_id: DEPARTMENT, handler_id: HANDLER, due_date: Some(d(2026, 3, 17)) };
    case = apply(Some(&case), &actor(Role::HallManager), &reassign, warn_at, &ctx).expect("reassign").0;
    assert_eq!(plan(&case, &ctx, &watch, bj(2026, 3, 16, 9, 0)).len(), 1);
}

#[test]
fn the_policy_is_validated_and_periods_count_from_the_first_overdue_day() {
    let w = WatchPolicy::default();
    assert_eq!(w.validate(), Ok(()));
    assert_eq!((w.reminder_period(1), w.reminder_period(5), w.reminder_period(6), w.reminder_period(11)), (0, 0, 1, 2));
    let backwards = WatchPolicy { work_starts: w.work_ends, work_ends: w.work_starts, ..w };
    assert!(backwards.validate().expect_err("order").contains("work_starts"));
    let long = WatchPolicy { remind_every_working_days: 1000, ..w };
    assert!(long.validate().is_err());
    let json = serde_json::to_value(w).expect("json");
    assert_eq!(json["work_starts"], "08:30:00");
    assert!(serde_json::from_str::<WatchPolicy>(r#"{"work_start":"08:00:00"}"#).is_err(), "unknown fields refused");
}
