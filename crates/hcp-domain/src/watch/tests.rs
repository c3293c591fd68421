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
        EventPayload::Warned { due_date, working_days_left, .. } => {
            format!("{when} warned {due_date} {working_days_left}")
        }
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
            // The server's command id is `sys:watch:{case id}:{key}`, at most 64 characters.
            assert!(p.key.len() <= 64 - "sys:watch::".len() - 19, "{} is too long for a command id", p.key);
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
    assert_eq!(keys, ["urge:2026-02-14:0", "escalate:2026-02-14:1"]);
    // Working hours are the jurisdiction's: a later start moves the morning's work.
    let late = WatchPolicy { work_starts: chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("time"), ..watch };
    assert_eq!(plan(&case, &ctx, &late, bj(2026, 2, 24, 8, 30)), vec![]);
}

#[test]
fn a_manual_reminder_counts_and_a_new_deadline_gets_its_own_warning() {
    let cal = Calendar::bundled();
    let mut ctx = PolicyContext::new(&cal);
    // The rectification clock alone (a reassignment would otherwise start an acceptance clock).
    ctx.deadlines.accept_within_working_days = None;
    let watch = WatchPolicy { remind_every_working_days: 0, ..WatchPolicy::default() };
    let mut case = assigned_case(bj(2026, 3, 9, 10, 0));
    assert_eq!(case.due_date, Some(d(2026, 3, 16)));
    // A supervisor urged by hand on the first overdue morning: the watch only escalates.
    let sup = actor(Role::Supervisor);
    let t = bj(2026, 3, 17, 8, 0);
    case = apply(Some(&case), &sup, &CaseCommand::Urge { note: "请今日报送".into() }, t, &ctx).expect("urge").0;
    let keys: Vec<String> = plan(&case, &ctx, &watch, bj(2026, 3, 17, 9, 0)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["escalate:2026-03-16:1"]);
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

/// The stage of the case's running clock and its due date, as `verify 2026-12-08`.
fn clock(case: &Case) -> String {
    case.clock().map_or("none".into(), |(stage, due)| format!("{} {due}", stage.as_str()))
}

#[test]
fn every_stage_has_a_clock_and_the_watch_keeps_each() {
    use crate::case::machine::{VerifyOutcome, VisitMethod};
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let watch = WatchPolicy::default();
    let hall = actor(Role::HallManager);
    // A bad review arrives on Monday 7 December 2026 at 10:00: verified and disposed of within 1
    // working day (the default), so due on Tuesday 8 December.
    let created = bj(2026, 12, 7, 10, 0);
    let (mut case, _) = run(&[(Role::HallManager, create_cmd(true))], created, &ctx);
    assert_eq!(clock(&case), "verify 2026-12-08");
    // Nobody verifies it: warned at once (1 working day left), reminded and escalated from the
    // first working morning after the due date, on the verification clock.
    let got = walk(&mut case, &ctx, &watch, created, bj(2026, 12, 10, 12, 0), 30);
    assert_eq!(
        got,
        [
            "2026-12-07 10:00 warned 2026-12-08 1",
            "2026-12-09 08:30 urged 1",
            "2026-12-09 08:30 escalated coordination_office",
        ]
    );
    // Still unverified on 16 December, 6 working days late: the second reminder period.
    let urged = plan(&case, &ctx, &watch, bj(2026, 12, 16, 9, 0));
    assert_eq!(urged.first().map(|p| p.key.as_str()), Some("urge:verify:2026-12-08:1"));
    match &urged[0].command {
        CaseCommand::Urge { note } => assert!(note.contains("核实处置期限"), "{note}"),
        other => panic!("{other:?}"),
    }
    // Verified and assigned on Thursday 10 December at 14:00: the handler signs for it by Friday
    // 11 December; rectification is due 5 working days after assignment, on 17 December.
    let at = bj(2026, 12, 10, 14, 0);
    let verify = CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() };
    case = apply(Some(&case), &hall, &verify, at, &ctx).expect("verify").0;
    assert_eq!(clock(&case), "verify 2026-12-08", "the verification clock runs until the case is disposed of");
    case = apply(Some(&case), &hall, &assign_cmd(), at, &ctx).expect("assign").0;
    assert_eq!(case.due_date, Some(d(2026, 12, 17)));
    assert_eq!(clock(&case), "accept 2026-12-11");
    let keys: Vec<String> = plan(&case, &ctx, &watch, bj(2026, 12, 14, 9, 0)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["urge:accept:2026-12-11:0"], "late to sign for it: reminded, the rung already reached");
    // Accepted: the rectification clock runs.
    case = apply(Some(&case), &actor(Role::DepartmentHandler), &CaseCommand::Accept, bj(2026, 12, 14, 10, 0), &ctx)
        .expect("accept")
        .0;
    assert_eq!(clock(&case), "rectify 2026-12-17");
    // Rectification reported on 16 December: the return visit is due within 3 working days.
    let report = CaseCommand::ReportRectification { measures: "已整改".into(), evidence: vec![] };
    case =
        apply(Some(&case), &actor(Role::DepartmentHandler), &report, bj(2026, 12, 16, 10, 0), &ctx).expect("report").0;
    assert_eq!(clock(&case), "return_visit 2026-12-21");
    let keys: Vec<String> = plan(&case, &ctx, &watch, bj(2026, 12, 22, 9, 0)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["urge:visit:2026-12-21:0"]);
    // The return visit closes the case: no clock any more.
    let visit = CaseCommand::ReturnVisit { method: VisitMethod::Phone, satisfied: true, note: String::new() };
    case = apply(Some(&case), &hall, &visit, bj(2026, 12, 22, 10, 0), &ctx).expect("visit").0;
    assert_eq!(clock(&case), "none");
    assert_eq!(plan(&case, &ctx, &watch, bj(2026, 12, 23, 9, 0)), vec![]);
}

#[test]
fn rectification_counted_from_arrival_and_stages_without_a_clock() {
    use crate::calendar::RectifyFrom;
    use crate::case::machine::VerifyOutcome;
    let cal = Calendar::bundled();
    let mut ctx = PolicyContext::new(&cal);
    // Chongqing: rectified within 5 working days of the bad review's arrival.
    ctx.deadlines.rectify_from = RectifyFrom::Arrival;
    let created = bj(2026, 12, 7, 10, 0);
    let verify = CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() };
    let (case, _) = run(&[(Role::HallManager, create_cmd(true)), (Role::HallManager, verify.clone())], created, &ctx);
    let case =
        apply(Some(&case), &actor(Role::HallManager), &assign_cmd(), bj(2026, 12, 10, 9, 0), &ctx).expect("assign").0;
    assert_eq!(case.due_date, Some(d(2026, 12, 14)), "5 working days from 7 December, not from the 10th");
    // A policy without verification and acceptance clocks: nothing runs until assignment, then
    // the rectification deadline.
    ctx.deadlines.rectify_from = RectifyFrom::Assignment;
    ctx.deadlines.verify_within_working_days = None;
    ctx.deadlines.accept_within_working_days = None;
    let (case, _) = run(&[(Role::HallManager, create_cmd(true))], created, &ctx);
    assert_eq!(clock(&case), "none");
    assert_eq!(plan(&case, &ctx, &WatchPolicy::default(), bj(2026, 12, 21, 9, 0)), vec![]);
    let case = apply(Some(&case), &actor(Role::HallManager), &verify, created, &ctx).expect("verify").0;
    let case = apply(Some(&case), &actor(Role::HallManager), &assign_cmd(), created, &ctx).expect("assign").0;
    // Without an acceptance clock, signing for the case is due by the rectification deadline.
    assert_eq!(clock(&case), "accept 2026-12-14");
    let keys: Vec<String> =
        plan(&case, &ctx, &WatchPolicy::default(), bj(2026, 12, 15, 9, 0)).into_iter().map(|p| p.key).collect();
    assert_eq!(keys, ["urge:2026-12-14:0", "escalate:2026-12-14:1"]);
    // The policy is validated: a stage clock longer than a year is refused, naming the field.
    let rules = DeadlineRules { return_visit_within_working_days: Some(1000), ..DeadlineRules::default() };
    assert!(rules.validate().expect_err("too long").contains("return_visit_within_working_days"));
}
