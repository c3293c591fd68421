use super::test_support::*;
use super::*;
use proptest::prelude::*;

const T0: (i32, u32, u32, u32, u32) = (2026, 3, 9, 10, 0);

fn t0() -> DateTime<Utc> {
    bj(T0.0, T0.1, T0.2, T0.3, T0.4)
}

fn verify_genuine() -> CaseCommand {
    CaseCommand::Verify { outcome: VerifyOutcome::Genuine, reason: String::new() }
}

fn text(s: &str) -> String {
    s.to_owned()
}

fn try_apply(
    case: Option<&Case>,
    who: &Actor,
    cmd: CaseCommand,
    at: DateTime<Utc>,
    ctx: &PolicyContext<'_>,
) -> Result<(Case, CaseEvent), TransitionError> {
    apply(case, who, &cmd, at, ctx)
}

fn other(role: Role, user_id: i64) -> Actor {
    Actor { user_id, ..actor(role) }
}

/// Setups in which each kind of command is legal for the roles allowed to issue it.
fn fixture(kind: CommandKind) -> (Vec<(Role, CaseCommand)>, CaseCommand) {
    use Role::*;
    let create = (HallManager, create_cmd(false));
    let verify = (HallManager, verify_genuine());
    let assign = (HallManager, assign_cmd());
    let accept = (DepartmentHandler, CaseCommand::Accept);
    let report = (
        DepartmentHandler,
        CaseCommand::ReportRectification {
            measures: text("已补正材料并向群众致歉"), evidence: vec![text("file:1")]
        },
    );
    let malicious = (
        HallManager,
        CaseCommand::Verify { outcome: VerifyOutcome::Malicious, reason: text("同一设备一分钟内连续差评") },
    );
    let request =
        (DepartmentHandler, CaseCommand::RequestExtension { reason: text("需跨部门会商"), extra_working_days: 3 });
    let escalate = (Supervisor, CaseCommand::Escalate { basis: EscalationBasis::Manual { reason: text("多次差评") } });
    match kind {
        CommandKind::Create => (vec![], create_cmd(false)),
        CommandKind::Verify => (vec![create], verify_genuine()),
        CommandKind::ApproveExclusion => {
            (vec![create, malicious], CaseCommand::ApproveExclusion { comment: String::new() })
        }
        CommandKind::RejectExclusion => {
            (vec![create, malicious], CaseCommand::RejectExclusion { reason: text("证据不足") })
        }
        CommandKind::ResolveOnSpot => {
            (vec![create, verify], CaseCommand::ResolveOnSpot { explanation: text("现场解释政策") })
        }
        CommandKind::Assign => (vec![create, verify], assign_cmd()),
        CommandKind::Accept => (vec![create, verify, assign], CaseCommand::Accept),
        CommandKind::RequestExtension => (vec![create, verify, assign, accept], request.1),
        CommandKind::ApproveExtension => {
            (vec![create, verify, assign, accept, request], CaseCommand::ApproveExtension { comment: String::new() })
        }
        CommandKind::RejectExtension => {
            (vec![create, verify, assign, accept, request], CaseCommand::RejectExtension { reason: text("无正当理由") })
        }
        CommandKind::ReportRectification => (vec![create, verify, assign, accept], report.1),
        CommandKind::ReturnVisit => (
            vec![create, verify, assign, accept, report],
            CaseCommand::ReturnVisit { method: VisitMethod::Phone, satisfied: true, note: String::new() },
        ),
        CommandKind::Close => {
            (vec![create, verify, assign, accept, report], CaseCommand::Close { note: text("匿名差评，无法回访") })
        }
        CommandKind::Reopen => (
            vec![create, verify, assign, accept, report.clone(), {
                (
                    HallManager,
                    CaseCommand::ReturnVisit { method: VisitMethod::Sms, satisfied: true, note: String::new() },
                )
            }],
            CaseCommand::Reopen { reason: text("群众再次投诉") },
        ),
        CommandKind::Escalate => (vec![create, verify, assign], escalate.1),
        CommandKind::Urge => (vec![create, verify, assign], CaseCommand::Urge { note: text("请抓紧整改") }),
        CommandKind::Warn => (
            vec![
                create,
                verify,
                (
                    HallManager,
                    CaseCommand::Assign {
                        department_id: DEPARTMENT,
                        handler_id: HANDLER,
                        due_date: Some(d(T0.0, T0.1, T0.2)),
                    },
                ),
            ],
            CaseCommand::Warn,
        ),
        CommandKind::Appeal => (vec![create, verify], CaseCommand::Appeal { reason: text("系统故障导致超时") }),
        CommandKind::DecideAppeal => (
            vec![create, verify, (StaffMember, CaseCommand::Appeal { reason: text("系统故障导致超时") })],
            CaseCommand::DecideAppeal { decision: AppealDecision::Upheld, reason: text("超时属实") },
        ),
        CommandKind::RecordInterview => (
            vec![(Supervisor, assessment_case()), (Supervisor, verify_genuine())],
            CaseCommand::RecordInterview {
                held_on: d(T0.0, T0.1, T0.2),
                interviewee: text("张三（窗口负责人）"),
                content: text("连续两月排名末位，要求一周内提交整改方案"),
            },
        ),
        CommandKind::RecordAccountability => (
            vec![create, verify, assign, escalate.clone(), escalate.clone(), escalate],
            CaseCommand::RecordAccountability {
                decision: AccountabilityKind::DeductedPoints { points: 2 },
                subject_staff_id: STAFF,
                reason: text("多次无故超时"),
                evidence: vec![text("doc:17")],
            },
        ),
    }
}

/// The role × command table, written out independently of `allowed_roles`.
fn expected_roles(kind: CommandKind) -> Vec<Role> {
    use Role::*;
    match kind {
        CommandKind::Create => vec![HallManager, Supervisor],
        CommandKind::Verify => vec![HallManager, Supervisor],
        CommandKind::ApproveExclusion => vec![Supervisor],
        CommandKind::RejectExclusion => vec![Supervisor],
        CommandKind::ResolveOnSpot => vec![HallManager],
        CommandKind::Assign => vec![HallManager, Supervisor],
        CommandKind::Accept => vec![DepartmentHandler],
        CommandKind::RequestExtension => vec![DepartmentHandler],
        CommandKind::ApproveExtension => vec![Supervisor],
        CommandKind::RejectExtension => vec![Supervisor],
        CommandKind::ReportRectification => vec![DepartmentHandler],
        CommandKind::ReturnVisit => vec![HallManager, Supervisor],
        CommandKind::Close => vec![HallManager, Supervisor],
        CommandKind::Reopen => vec![HallManager, Supervisor],
        CommandKind::Escalate => vec![Supervisor],
        CommandKind::Urge => vec![Supervisor],
        CommandKind::Warn => vec![Supervisor],
        CommandKind::Appeal => vec![StaffMember],
        CommandKind::DecideAppeal => vec![Supervisor],
        CommandKind::RecordAccountability => vec![DisciplineLiaison],
        CommandKind::RecordInterview => vec![Supervisor],
    }
}

/// A 限期整改 case the assessment rules opened.
fn assessment_case() -> CaseCommand {
    match create_cmd(false) {
        CaseCommand::Create { unit, rated_staff_id, content_codes, .. } => CaseCommand::Create {
            source: CaseSource::Assessment,
            unit,
            rated_staff_id,
            real_name: false,
            summary: text("连续两个月排名末位，限期整改"),
            content_codes,
            service_item_id: None,
        },
        _ => unreachable!("create_cmd creates"),
    }
}

#[test]
fn interviews_attach_to_assessment_cases_with_who_and_what_and_no_future_date() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let sup = actor(Role::Supervisor);
    let (case, _) = run(&[(Role::Supervisor, assessment_case())], t0(), &ctx);
    let talk = |held_on, who: &str, what: &str| CaseCommand::RecordInterview {
        held_on,
        interviewee: text(who),
        content: text(what),
    };
    let (next, ev) =
        try_apply(Some(&case), &sup, talk(d(2026, 3, 9), " 张三 ", "要求限期整改"), t0(), &ctx).expect("recorded");
    assert_eq!(next.state, case.state, "a talk changes nothing but the record");
    assert_eq!(
        ev.payload,
        EventPayload::InterviewRecorded {
            held_on: d(2026, 3, 9),
            interviewee: text("张三"),
            content: text("要求限期整改")
        }
    );
    assert_eq!(ev.payload.kind(), "interview_recorded");
    let err = try_apply(Some(&case), &sup, talk(d(2026, 3, 10), "张三", "x"), t0(), &ctx).expect_err("future");
    assert_eq!(err.code(), "interview_in_future");
    let err = try_apply(Some(&case), &sup, talk(d(2026, 3, 9), " ", "x"), t0(), &ctx).expect_err("who");
    assert_eq!(err, TransitionError::ReasonRequired { field: "被约谈人" });
    // An ordinary bad review takes no 约谈 record, and the button is not offered.
    let (review, _) = run(&[(Role::HallManager, create_cmd(false))], t0(), &ctx);
    let err = try_apply(Some(&review), &sup, talk(d(2026, 3, 9), "张三", "x"), t0(), &ctx).expect_err("not assessment");
    assert_eq!(err.code(), "interview_not_applicable");
    assert!(!available_commands(Some(&review), &sup).contains(&CommandKind::RecordInterview));
    assert!(available_commands(Some(&case), &sup).contains(&CommandKind::RecordInterview));
}

#[test]
fn every_role_and_command_pair() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let mut checked = 0;
    for kind in CommandKind::ALL {
        let (setup, cmd) = fixture(kind);
        assert_eq!(cmd.kind(), kind);
        let case = if setup.is_empty() { None } else { Some(run(&setup, t0(), &ctx).0) };
        let expected = expected_roles(kind);
        let mut from_table = kind.allowed_roles().to_vec();
        from_table.sort_by_key(|r| r.as_str());
        let mut sorted = expected.clone();
        sorted.sort_by_key(|r| r.as_str());
        assert_eq!(from_table, sorted, "{kind:?}");
        for role in Role::ALL {
            let result = apply(case.as_ref(), &actor(role), &cmd, t0(), &ctx);
            if expected.contains(&role) {
                let (next, event) = result.unwrap_or_else(|e| panic!("{role:?} {kind:?} should pass: {e}"));
                assert_eq!(event.payload.command_kind(), kind);
                assert_eq!(next.version, case.as_ref().map_or(0, |c| c.version) + 1);
                assert_eq!(next.check_invariants(), Ok(()));
            } else {
                let err = result.err().unwrap_or_else(|| panic!("{role:?} {kind:?} should be refused"));
                assert_eq!(err.code(), "role_not_allowed", "{role:?} {kind:?}");
                assert!(err.to_string().contains(role.label_zh()), "{err}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, CommandKind::ALL.len() * 6);
}

#[test]
fn the_administrator_handles_no_case() {
    for kind in CommandKind::ALL {
        assert!(!kind.allowed_roles().contains(&Role::Administrator));
    }
}

#[test]
fn the_full_lifecycle_produces_one_event_per_step_and_replays() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (setup, cmd) = fixture(CommandKind::ReturnVisit);
    let (case, mut log) = run(&setup, t0(), &ctx);
    assert_eq!(case.state, CaseState::Rectified);
    assert_eq!(case.rectified_on_time, Some(true));
    let (closed, event) = apply(Some(&case), &actor(Role::HallManager), &cmd, t0(), &ctx).expect("visit");
    log.push(event);
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(closed.closed_at, Some(t0()));
    assert_eq!(closed.version, log.len() as u64);
    let kinds: Vec<_> = log.iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, ["created", "verified", "assigned", "accepted", "rectification_reported", "return_visited"]);
    assert_eq!(replay(&log), Ok(closed.clone()));
    // The log survives JSON.
    let json = serde_json::to_string(&log).expect("json");
    let back: Vec<CaseEvent> = serde_json::from_str(&json).expect("parse");
    assert_eq!(replay(&back), Ok(closed));
}

#[test]
fn commands_and_events_have_a_plain_json_shape() {
    let cmd: CaseCommand =
        serde_json::from_str(r#"{"type":"assign","department_id":300,"handler_id":40,"due_date":"2026-03-16"}"#)
            .expect("parse");
    assert_eq!(cmd, CaseCommand::Assign { department_id: 300, handler_id: 40, due_date: Some(d(2026, 3, 16)) });
    let accept: CaseCommand = serde_json::from_str(r#"{"type":"accept"}"#).expect("parse");
    assert_eq!(accept, CaseCommand::Accept);
    let create: CaseCommand =
        serde_json::from_str(r#"{"type":"create","source":"supervision","unit":"/1/4/","content_codes":[110]}"#)
            .expect("parse");
    assert_eq!(create.kind(), CommandKind::Create);
    assert!(serde_json::from_str::<CaseCommand>(
        r#"{"type":"create","source":"bad_review","unit":"/1/4/","content_codes":[910]}"#
    )
    .is_err());
    let acc = CaseCommand::RecordAccountability {
        decision: AccountabilityKind::DeductedPoints { points: 2 },
        subject_staff_id: 50,
        reason: text("r"),
        evidence: vec![text("e")],
    };
    let json = serde_json::to_value(&acc).expect("json");
    assert_eq!(json["type"], "record_accountability");
    assert_eq!(json["decision"]["type"], "deducted_points");
    assert_eq!(json["decision"]["points"], 2);
    let esc = serde_json::to_value(CaseCommand::Escalate { basis: EscalationBasis::Overdue }).expect("json");
    assert_eq!(esc["basis"]["type"], "overdue");
    for kind in CommandKind::ALL {
        assert_eq!(CommandKind::parse(kind.as_str()), Some(kind));
        let (_, cmd) = fixture(kind);
        let v = serde_json::to_value(&cmd).expect("json");
        assert_eq!(v["type"], kind.as_str());
        assert_eq!(serde_json::from_value::<CaseCommand>(v).ok(), Some(cmd));
    }
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (_, log) = run(&fixture(CommandKind::Accept).0, t0(), &ctx);
    let v = serde_json::to_value(&log[2]).expect("json");
    assert_eq!(v["payload"]["kind"], "assigned");
    assert_eq!(v["payload"]["due_date"], "2026-03-16");
    assert_eq!(v["actor"]["role"], "hall_manager");
    assert_eq!(v["version"], 3);
}

#[test]
fn exclusion_needs_a_reason_and_a_second_person() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&[(Role::Supervisor, create_cmd(false))], t0(), &ctx);
    let sup = actor(Role::Supervisor);
    let no_reason = CaseCommand::Verify { outcome: VerifyOutcome::Mistaken, reason: text("  ") };
    let err = apply(Some(&case), &sup, &no_reason, t0(), &ctx).expect_err("needs a reason");
    assert_eq!(err.code(), "reason_required");
    assert_eq!(err.to_string(), "剔除理由不能为空");
    let (requested, _) = try_apply(
        Some(&case),
        &sup,
        CaseCommand::Verify { outcome: VerifyOutcome::Mistaken, reason: text("群众误操作") },
        t0(),
        &ctx,
    )
    .expect("verify");
    assert_eq!(requested.state, CaseState::ExclusionRequested);
    assert_eq!(requested.exclusion_requested_by, Some(SUPERVISOR));
    let approve = CaseCommand::ApproveExclusion { comment: String::new() };
    let err = apply(Some(&requested), &sup, &approve, t0(), &ctx).expect_err("same person");
    assert_eq!(err.code(), "same_person_approval");
    assert!(err.to_string().contains("批准剔除"));
    let (excluded, _) =
        apply(Some(&requested), &other(Role::Supervisor, 21), &approve, t0(), &ctx).expect("second person");
    assert_eq!(excluded.state, CaseState::Excluded);
    assert!(excluded.excluded_from_stats);
    assert!(excluded.state.is_terminal());
    // Rejecting instead sends the case on as genuine.
    let (kept, _) =
        try_apply(Some(&requested), &sup, CaseCommand::RejectExclusion { reason: text("经调查属实") }, t0(), &ctx)
            .expect("reject");
    assert_eq!(kept.state, CaseState::Verified);
    assert_eq!(kept.verification, Some(VerifyOutcome::Genuine));
    assert!(!kept.excluded_from_stats);
}

#[test]
fn extensions_pause_the_clock_and_push_the_deadline() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (setup, _) = fixture(CommandKind::RequestExtension);
    // Assigned Monday 9 March 2026 10:00: due Monday 16 March.
    let (case, _) = run(&setup, t0(), &ctx);
    assert_eq!(case.due_date, Some(d(2026, 3, 16)));
    let handler = actor(Role::DepartmentHandler);
    let ask =
        |days: u32| CaseCommand::RequestExtension { reason: text("需跨部门会商"), extra_working_days: days };
    for bad in [0, 11] {
        let err = apply(Some(&case), &handler, &ask(bad), t0(), &ctx).expect_err("bad length");
        assert_eq!(err.code(), "invalid_extension");
        assert_eq!(err.to_string(), "延期天数应为 1–10 个工作日");
    }
    // Asked Wednesday 11 March, decided Friday 13 March: Thursday and Friday were paused.
    let (waiting, _) = apply(Some(&case), &handler, &ask(3), bj(2026, 3, 11, 10, 0), &ctx).expect("request");
    assert_eq!(waiting.state, CaseState::ExtensionRequested);
    assert!(!waiting.state.has_running_deadline());
    let sup = actor(Role::Supervisor);
    let (approved, event) = try_apply(
        Some(&waiting),
        &sup,
        CaseCommand::ApproveExtension { comment: String::new() },
        bj(2026, 3, 13, 16, 0),
        &ctx,
    )
    .expect("approve");
    assert_eq!(
        event.payload,
        EventPayload::ExtensionApproved {
            comment: String::new(),
            paused_working_days: 2,
            granted_working_days: 3,
            due_date: d(2026, 3, 23),
        }
    );
    assert_eq!(approved.state, CaseState::InRectification);
    assert_eq!(approved.due_date, Some(d(2026, 3, 23)));
    assert_eq!(approved.paused_working_days, 2);
    assert_eq!(approved.extension_working_days_granted, 3);
    // Rejected: only the paused days come back.
    let (rejected, _) = try_apply(
        Some(&waiting),
        &sup,
        CaseCommand::RejectExtension { reason: text("理由不充分") },
        bj(2026, 3, 13, 16, 0),
        &ctx,
    )
    .expect("reject");
    assert_eq!(rejected.due_date, Some(d(2026, 3, 18)));
    // A request waiting over a holiday pauses working days only: asked Wednesday 30 Sep 2026,
    // decided Thursday 8 Oct, the first working day after National Day.
    // Assigned Monday 28 Sep: 29, 30 Sep, then 8, 9 and Saturday 10 Oct (makeup).
    let (autumn, _) = run(&setup, bj(2026, 9, 28, 9, 0), &ctx);
    assert_eq!(autumn.due_date, Some(d(2026, 10, 10)));
    let (waiting, _) = apply(Some(&autumn), &handler, &ask(1), bj(2026, 9, 30, 9, 0), &ctx).expect("request");
    let (approved, _) = try_apply(
        Some(&waiting),
        &sup,
        CaseCommand::ApproveExtension { comment: String::new() },
        bj(2026, 10, 8, 9, 0),
        &ctx,
    )
    .expect("approve");
    assert_eq!(approved.paused_working_days, 1);
    // 10 Oct + 1 paused + 1 granted: Monday 12 Oct, Tuesday 13 Oct.
    assert_eq!(approved.due_date, Some(d(2026, 10, 13)));
}

#[test]
fn only_the_assignee_works_on_the_case() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Accept).0, t0(), &ctx);
    // Another handler of the same department (in scope, not the assignee).
    let colleague = other(Role::DepartmentHandler, 41);
    let mut in_scope = colleague.clone();
    in_scope.scope = district();
    let err = apply(Some(&case), &in_scope, &CaseCommand::Accept, t0(), &ctx).expect_err("no");
    assert_eq!(err.code(), "not_assignee");
    // A handler elsewhere has no link to the case at all.
    let err = apply(Some(&case), &colleague, &CaseCommand::Accept, t0(), &ctx).expect_err("no");
    assert_eq!(err.code(), "out_of_scope");
    // Reassigning before acceptance keeps the running deadline.
    let (reassigned, _) = try_apply(
        Some(&case),
        &actor(Role::HallManager),
        CaseCommand::Assign { department_id: DEPARTMENT, handler_id: 41, due_date: None },
        bj(2026, 3, 11, 10, 0),
        &ctx,
    )
    .expect("reassign");
    assert_eq!(reassigned.assignee_id, Some(41));
    assert_eq!(reassigned.due_date, case.due_date);
    assert!(apply(Some(&reassigned), &colleague, &CaseCommand::Accept, t0(), &ctx).is_ok());
}

#[test]
fn scope_is_checked_for_every_jurisdiction_role() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Verify).0, t0(), &ctx);
    let elsewhere = Actor { user_id: 11, role: Role::HallManager, scope: ScopePath::root(1).child(5) };
    let err = apply(Some(&case), &elsewhere, &verify_genuine(), t0(), &ctx).expect_err("scope");
    assert_eq!(err.code(), "out_of_scope");
    assert!(err.to_string().contains("不在您的辖区"));
    // Creating a case outside one's jurisdiction fails too.
    let err = try_apply(None, &elsewhere, create_cmd(false), t0(), &ctx).expect_err("scope");
    assert_eq!(err.code(), "out_of_scope");
    // The city's supervisor sees everything below.
    let city = Actor { user_id: 22, role: Role::Supervisor, scope: ScopePath::root(1) };
    assert!(apply(Some(&case), &city, &verify_genuine(), t0(), &ctx).is_ok());
    assert!(available_commands(Some(&case), &elsewhere).is_empty());
}

#[test]
fn creation_rules() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let supervision = CaseCommand::Create {
        source: CaseSource::Supervision,
        unit: window(),
        rated_staff_id: None,
        real_name: false,
        summary: text("体验式办理发现超时"),
        content_codes: vec![],
        service_item_id: Some(12),
    };
    let err = apply(None, &actor(Role::HallManager), &supervision, t0(), &ctx).expect_err("supervisor only");
    assert_eq!(err.code(), "role_not_allowed");
    let (case, event) = apply(None, &actor(Role::Supervisor), &supervision, t0(), &ctx).expect("supervisor");
    assert_eq!(case.source, CaseSource::Supervision);
    assert_eq!(case.state, CaseState::New);
    assert_eq!(event.version, 1);
    // A finding's service item travels in the event; without one, neither the command nor the
    // event carries the field, so older commands, events and their hashes stay as they were.
    assert!(matches!(event.payload, EventPayload::Created { service_item_id: Some(12), .. }), "{:?}", event.payload);
    let json = serde_json::to_value(&event.payload).expect("json");
    assert_eq!(json["service_item_id"], 12);
    let (_, plain) = apply(None, &actor(Role::HallManager), &create_cmd(false), t0(), &ctx).expect("rated case");
    let json = serde_json::to_string(&plain.payload).expect("json");
    assert!(!json.contains("service_item_id"), "{json}");
    assert!(!serde_json::to_string(&create_cmd(false)).expect("json").contains("service_item_id"));
    let old: CaseCommand = serde_json::from_str(
        r#"{"type":"create","source":"supervision","unit":"/1/2/","summary":"旧版客户端的发现","content_codes":[]}"#,
    )
    .expect("a command without the field");
    assert!(matches!(old, CaseCommand::Create { service_item_id: None, .. }));
    let err = apply(Some(&case), &actor(Role::Supervisor), &supervision, t0(), &ctx).expect_err("exists");
    assert_eq!(err.code(), "case_already_exists");
    let err = apply(None, &actor(Role::HallManager), &verify_genuine(), t0(), &ctx).expect_err("no case");
    assert_eq!(err.code(), "case_not_created");
}

#[test]
fn states_refuse_commands_out_of_order() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Verify).0, t0(), &ctx);
    let err = apply(Some(&case), &actor(Role::HallManager), &assign_cmd(), t0(), &ctx).expect_err("not verified");
    assert_eq!(err.code(), "illegal_state");
    assert_eq!(err.to_string(), "工单当前状态为“待核实”，不能执行“交办”操作");
    // An explicit due date in the past is refused.
    let (verified, _) = run(&fixture(CommandKind::Assign).0, t0(), &ctx);
    let err = try_apply(
        Some(&verified),
        &actor(Role::HallManager),
        CaseCommand::Assign { department_id: DEPARTMENT, handler_id: HANDLER, due_date: Some(d(2026, 3, 8)) },
        t0(),
        &ctx,
    )
    .expect_err("past");
    assert_eq!(err.code(), "invalid_deadline");
    // An explicit due date is taken as given.
    let (assigned, _) = try_apply(
        Some(&verified),
        &actor(Role::Supervisor),
        CaseCommand::Assign { department_id: DEPARTMENT, handler_id: HANDLER, due_date: Some(d(2026, 3, 31)) },
        t0(),
        &ctx,
    )
    .expect("explicit");
    assert_eq!(assigned.due_date, Some(d(2026, 3, 31)));
}

#[test]
fn on_the_spot_resolution_and_return_visits() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::ResolveOnSpot).0, t0(), &ctx);
    let hall = actor(Role::HallManager);
    let err = try_apply(Some(&case), &hall, CaseCommand::ResolveOnSpot { explanation: String::new() }, t0(), &ctx)
        .expect_err("explanation");
    assert_eq!(err.to_string(), "解释说明不能为空");
    let (resolved, _) =
        try_apply(Some(&case), &hall, CaseCommand::ResolveOnSpot { explanation: text("当场解释收费依据") }, t0(), &ctx)
            .expect("resolve");
    assert_eq!(resolved.state, CaseState::Rectified);
    assert!(resolved.resolved_on_spot);
    // Not satisfied and never assigned: back to verified, to be assigned.
    let visit = |satisfied| CaseCommand::ReturnVisit { method: VisitMethod::Wechat, satisfied, note: String::new() };
    let (again, _) = apply(Some(&resolved), &hall, &visit(false), t0(), &ctx).expect("visit");
    assert_eq!(again.state, CaseState::Verified);
    assert_eq!(again.reopen_count, 1);
    assert_eq!(again.due_date, None);
    // Assigned and not satisfied: back to rectification with a fresh deadline.
    let (rectified, _) = run(&fixture(CommandKind::ReturnVisit).0, t0(), &ctx);
    let later = bj(2026, 3, 20, 9, 0);
    let (reworked, _) = apply(Some(&rectified), &hall, &visit(false), later, &ctx).expect("visit");
    assert_eq!(reworked.state, CaseState::InRectification);
    assert_eq!(reworked.due_date, Some(d(2026, 3, 27)));
    assert!(escalation::is_repeat(&reworked));
}

#[test]
fn closing_and_reopening() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let hall = actor(Role::HallManager);
    let close = CaseCommand::Close { note: text("匿名差评，无法回访") };
    // A real-name bad review must be visited.
    let mut steps = fixture(CommandKind::Close).0;
    steps[0] = (Role::HallManager, create_cmd(true));
    let (real_name, _) = run(&steps, t0(), &ctx);
    let err = apply(Some(&real_name), &hall, &close, t0(), &ctx).expect_err("visit first");
    assert_eq!(err.code(), "return_visit_required");
    assert_eq!(err.to_string(), "实名差评须经回访方可办结");
    let (anonymous, _) = run(&fixture(CommandKind::Close).0, t0(), &ctx);
    let (closed, _) = apply(Some(&anonymous), &hall, &close, t0(), &ctx).expect("close");
    assert_eq!(closed.state, CaseState::Closed);
    let err =
        try_apply(Some(&closed), &hall, CaseCommand::Reopen { reason: String::new() }, t0(), &ctx).expect_err("reason");
    assert_eq!(err.code(), "reason_required");
    let (reopened, _) = try_apply(
        Some(&closed),
        &hall,
        CaseCommand::Reopen { reason: text("群众再次投诉") },
        bj(2026, 3, 20, 9, 0),
        &ctx,
    )
    .expect("reopen");
    assert_eq!(reopened.state, CaseState::InRectification);
    assert_eq!(reopened.closed_at, None);
    assert_eq!(reopened.due_date, Some(d(2026, 3, 27)));
    assert_eq!(reopened.check_invariants(), Ok(()));
}

#[test]
fn escalation_by_hand_and_by_policy() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Escalate).0, t0(), &ctx);
    let sup = actor(Role::Supervisor);
    let manual = |reason: &str| CaseCommand::Escalate { basis: EscalationBasis::Manual { reason: text(reason) } };
    let overdue = CaseCommand::Escalate { basis: EscalationBasis::Overdue };
    let err = apply(Some(&case), &sup, &manual(""), t0(), &ctx).expect_err("reason");
    assert_eq!(err.to_string(), "督办理由不能为空");
    // Not overdue yet: the policy requires nothing.
    let err = apply(Some(&case), &sup, &overdue, t0(), &ctx).expect_err("not due");
    assert_eq!(err.code(), "escalation_not_required");
    // Thursday 19 March: 3 working days overdue → straight to government inspection.
    let (inspected, event) = apply(Some(&case), &sup, &overdue, bj(2026, 3, 19, 9, 0), &ctx).expect("overdue");
    assert_eq!(inspected.escalation, EscalationLevel::GovernmentInspection);
    assert_eq!(inspected.state, case.state);
    assert_eq!(
        event.payload,
        EventPayload::Escalated {
            from: EscalationLevel::FirstLine,
            to: EscalationLevel::GovernmentInspection,
            basis: EscalationBasis::Overdue
        }
    );
    let (top, _) = apply(Some(&inspected), &sup, &manual("多部门推诿"), t0(), &ctx).expect("manual");
    assert_eq!(top.escalation, EscalationLevel::Accountability);
    let err = apply(Some(&top), &sup, &manual("再升级"), t0(), &ctx).expect_err("top");
    assert_eq!(err.code(), "escalation_exhausted");
    assert!(!available_commands(Some(&top), &sup).contains(&CommandKind::Escalate));
}

#[test]
fn a_first_time_case_long_overdue_reaches_accountability_by_the_overdue_rule() {
    // Issue 15 item 4: a case at government inspection, 51 working days overdue, was refused the
    // overdue escalation ("未达到督办规则要求的逾期程度") because accountability needed a repeat.
    use chrono::Datelike;
    let cal = Calendar::bundled();
    let mut ctx = PolicyContext::new(&cal);
    // The rectification clock alone (the acceptance clock, earlier, would count more days overdue).
    ctx.deadlines.accept_within_working_days = None;
    let (case, _) = run(&fixture(CommandKind::Escalate).0, t0(), &ctx);
    assert_eq!(case.reopen_count, 0);
    let due = case.due_date.expect("a deadline runs");
    let sup = actor(Role::Supervisor);
    let overdue = CaseCommand::Escalate { basis: EscalationBasis::Overdue };
    let (inspected, _) = apply(Some(&case), &sup, &overdue, bj(2026, 3, 19, 9, 0), &ctx).expect("3 days overdue");
    assert_eq!(inspected.escalation, EscalationLevel::GovernmentInspection);
    // 9 working days overdue: still government inspection for a first-time case.
    let nine = cal.add_working_days(due, 9);
    let at = |day: chrono::NaiveDate| bj(2026, day.month(), day.day(), 9, 0);
    let err = apply(Some(&inspected), &sup, &overdue, at(nine), &ctx).expect_err("not yet");
    assert_eq!(err.code(), "escalation_not_required");
    // 51 working days overdue: accountability, straight from government inspection.
    let late = cal.add_working_days(due, 51);
    let (top, event) = apply(Some(&inspected), &sup, &overdue, at(late), &ctx).expect("51 days overdue");
    assert_eq!(top.escalation, EscalationLevel::Accountability);
    assert_eq!(
        event.payload,
        EventPayload::Escalated {
            from: EscalationLevel::GovernmentInspection,
            to: EscalationLevel::Accountability,
            basis: EscalationBasis::Overdue
        }
    );
    assert_eq!(top.check_invariants(), Ok(()));
}

#[test]
fn appeals_by_the_rated_staff_member() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Appeal).0, t0(), &ctx);
    let appeal = CaseCommand::Appeal { reason: text("系统故障导致超时") };
    // A colleague at the same window may not appeal for the rated staff member.
    let err = apply(Some(&case), &other(Role::StaffMember, 51), &appeal, t0(), &ctx).expect_err("not rated");
    assert_eq!(err.code(), "not_rated_staff");
    let staff = actor(Role::StaffMember);
    let (pending, _) = apply(Some(&case), &staff, &appeal, t0(), &ctx).expect("appeal");
    assert_eq!(pending.appeal, AppealState::Pending);
    assert_eq!(pending.state, case.state);
    let err = apply(Some(&pending), &staff, &appeal, t0(), &ctx).expect_err("twice");
    assert_eq!(err.code(), "appeal_already_filed");
    let decide = |decision| CaseCommand::DecideAppeal { decision, reason: text("经核查系统日志") };
    let sup = actor(Role::Supervisor);
    let err = apply(Some(&case), &sup, &decide(AppealDecision::Upheld), t0(), &ctx).expect_err("nothing pending");
    assert_eq!(err.code(), "no_pending_appeal");
    let (overturned, _) = apply(Some(&pending), &sup, &decide(AppealDecision::Overturned), t0(), &ctx).expect("decide");
    assert_eq!(overturned.appeal, AppealState::Overturned);
    assert!(overturned.excluded_from_stats);
    assert_eq!(overturned.state, CaseState::Verified);
    let (upheld, _) = apply(Some(&pending), &sup, &decide(AppealDecision::Upheld), t0(), &ctx).expect("decide");
    assert_eq!(upheld.appeal, AppealState::Upheld);
    assert!(!upheld.excluded_from_stats);
    // An excluded case has nothing left to appeal.
    let (excluded, _) = run(
        &[
            (Role::HallManager, create_cmd(false)),
            (Role::HallManager, CaseCommand::Verify { outcome: VerifyOutcome::Malicious, reason: text("刷差评") }),
            (Role::Supervisor, CaseCommand::ApproveExclusion { comment: String::new() }),
        ],
        t0(),
        &ctx,
    );
    let err = apply(Some(&excluded), &staff, &appeal, t0(), &ctx).expect_err("excluded");
    assert_eq!(err.code(), "illegal_state");
}

#[test]
fn accountability_decisions_need_the_top_rung_a_reason_and_evidence() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let liaison = actor(Role::DisciplineLiaison);
    let record = |decision, evidence: Vec<String>| CaseCommand::RecordAccountability {
        decision,
        subject_staff_id: STAFF,
        reason: text("多次无故超时"),
        evidence,
    };
    let (low, _) = run(&fixture(CommandKind::Escalate).0, t0(), &ctx);
    let err = apply(Some(&low), &liaison, &record(AccountabilityKind::Admonition, vec![text("doc:1")]), t0(), &ctx)
        .expect_err("not escalated");
    assert_eq!(err.code(), "accountability_not_escalated");
    let (case, _) = run(&fixture(CommandKind::RecordAccountability).0, t0(), &ctx);
    let err = apply(Some(&case), &liaison, &record(AccountabilityKind::Admonition, vec![text(" ")]), t0(), &ctx)
        .expect_err("evidence");
    assert_eq!(err.code(), "evidence_required");
    let err = apply(
        Some(&case),
        &liaison,
        &record(AccountabilityKind::DeductedPoints { points: 0 }, vec![text("doc:1")]),
        t0(),
        &ctx,
    )
    .expect_err("points");
    assert_eq!(err.code(), "invalid_points");
    let mut current = case;
    for kind in [
        AccountabilityKind::DeductedPoints { points: 3 },
        AccountabilityKind::LossOfAnnualAward,
        AccountabilityKind::Admonition,
        AccountabilityKind::ReferralToDisciplineInspection,
    ] {
        let (next, event) =
            apply(Some(&current), &liaison, &record(kind, vec![text("doc:1")]), t0(), &ctx).expect("record");
        assert_eq!(next.state, current.state);
        assert!(matches!(event.payload, EventPayload::AccountabilityRecorded { subject_staff_id: STAFF, .. }));
        assert!(!kind.label_zh().is_empty());
        current = next;
    }
    assert_eq!(current.accountability_decisions, 4);
}

#[test]
fn available_commands_follow_role_state_and_person() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (case, _) = run(&fixture(CommandKind::Accept).0, t0(), &ctx);
    assert_eq!(available_commands(Some(&case), &actor(Role::DepartmentHandler)), vec![CommandKind::Accept]);
    assert_eq!(available_commands(Some(&case), &actor(Role::HallManager)), vec![CommandKind::Assign]);
    assert_eq!(available_commands(Some(&case), &actor(Role::StaffMember)), vec![CommandKind::Appeal]);
    assert!(available_commands(Some(&case), &actor(Role::Administrator)).is_empty());
    assert_eq!(available_commands(None, &actor(Role::Supervisor)), vec![CommandKind::Create]);
}

#[test]
fn error_codes_are_distinct_and_messages_are_chinese() {
    use TransitionError as E;
    let errors = [
        E::RoleNotAllowed { role: Role::Administrator, command: CommandKind::Assign },
        E::OutOfScope { scope: district(), unit: window(), command: CommandKind::Assign },
        E::IllegalState { state: CaseState::New, command: CommandKind::Assign },
        E::CaseNotCreated { command: CommandKind::Assign },
        E::CaseAlreadyExists,
        E::SamePersonApproval { command: CommandKind::ApproveExclusion },
        E::ReasonRequired { field: "理由" },
        E::NotAssignee { command: CommandKind::Accept },
        E::NotRatedStaff,
        E::AppealAlreadyFiled,
        E::NoPendingAppeal,
        E::ReturnVisitRequired,
        E::InvalidExtension { max: 10 },
        E::InvalidDeadline { due: d(2026, 1, 1), today: d(2026, 1, 2) },
        E::EscalationExhausted,
        E::EscalationNotRequired { current: EscalationLevel::FirstLine },
        E::AccountabilityNotEscalated,
        E::EvidenceRequired,
        E::InvalidPoints,
        E::DeadlineNotAtRisk,
        E::InterviewNotApplicable,
        E::InterviewInFuture { held_on: d(2026, 1, 2), today: d(2026, 1, 1) },
    ];
    let mut codes: Vec<_> = errors.iter().map(|e| e.code().as_str()).collect();
    for e in &errors {
        let code = e.code().as_str();
        assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
        assert!(e.to_string().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    assert_eq!(errors[0].to_string(), "系统管理员无权执行“交办”操作");
}

#[test]
fn replay_refuses_broken_logs() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let (_, log) = run(&fixture(CommandKind::ReportRectification).0, t0(), &ctx);
    assert_eq!(replay(&[]), Err(ReplayError::Empty));
    assert_eq!(replay(&log[1..]), Err(ReplayError::NotCreatedFirst));
    let mut gap = log.clone();
    gap.remove(2);
    assert_eq!(replay(&gap), Err(ReplayError::VersionGap { expected: 3, found: 4 }));
    let mut twice = log.clone();
    let mut again = log[0].clone();
    again.version = 5;
    twice.push(again);
    assert_eq!(replay(&twice), Err(ReplayError::CreatedTwice));
    let mut out_of_order = log[..2].to_vec();
    let mut accepted = log[3].clone();
    accepted.version = 3;
    out_of_order.push(accepted);
    assert!(matches!(
        replay(&out_of_order),
        Err(ReplayError::IllegalEvent { state: CaseState::Verified, kind: "accepted" })
    ));
    assert!(replay(&out_of_order).err().map(|e| e.to_string()).unwrap_or_default().contains("待处置"));
}

// ---- property: random commands by random people ----

/// The people who act in the property test: two of each role in the district, plus a hall
/// manager and a supervisor of another district.
fn people() -> Vec<Actor> {
    let mut all = Vec::new();
    for role in Role::ALL {
        let a = actor(role);
        all.push(a.clone());
        all.push(Actor { user_id: a.user_id + 1, ..a });
    }
    for role in [Role::HallManager, Role::Supervisor] {
        all.push(Actor { user_id: 90, role, scope: ScopePath::root(1).child(5) });
    }
    all
}

/// The `n`-th of the people whose role may issue `cmd`, or of everybody when `anyone`.
fn pick(people: &[Actor], cmd: &CaseCommand, n: usize, anyone: bool) -> Actor {
    let allowed: Vec<&Actor> =
        people.iter().filter(|a| anyone || cmd.kind().allowed_roles().contains(&a.role)).collect();
    allowed.get(n % allowed.len().max(1)).map_or_else(|| actor(Role::Administrator), |a| (*a).clone())
}

fn reason() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 1 => Just(text("  ")), 6 => Just(text("理由"))]
}

fn command() -> impl Strategy<Value = CaseCommand> {
    let outcome =
        prop_oneof![Just(VerifyOutcome::Genuine), Just(VerifyOutcome::Malicious), Just(VerifyOutcome::Mistaken)];
    let method = prop_oneof![
        Just(VisitMethod::Phone),
        Just(VisitMethod::Sms),
        Just(VisitMethod::Wechat),
        Just(VisitMethod::InPerson)
    ];
    let accountability = prop_oneof![
        (0u32..4).prop_map(|points| AccountabilityKind::DeductedPoints { points }),
        Just(AccountabilityKind::LossOfAnnualAward),
        Just(AccountabilityKind::Admonition),
        Just(AccountabilityKind::ReferralToDisciplineInspection)
    ];
    prop_oneof![
        any::<bool>().prop_map(create_cmd),
        (outcome, reason()).prop_map(|(outcome, reason)| CaseCommand::Verify { outcome, reason }),
        reason().prop_map(|comment| CaseCommand::ApproveExclusion { comment }),
        reason().prop_map(|reason| CaseCommand::RejectExclusion { reason }),
        reason().prop_map(|explanation| CaseCommand::ResolveOnSpot { explanation }),
        (HANDLER..HANDLER + 2).prop_map(|handler_id| CaseCommand::Assign {
            department_id: DEPARTMENT,
            handler_id,
            due_date: None
        }),
        Just(CaseCommand::Accept),
        (reason(), 0u32..13)
            .prop_map(|(reason, extra_working_days)| { CaseCommand::RequestExtension { reason, extra_working_days } }),
        reason().prop_map(|comment| CaseCommand::ApproveExtension { comment }),
        reason().prop_map(|reason| CaseCommand::RejectExtension { reason }),
        reason().prop_map(|measures| CaseCommand::ReportRectification { measures, evidence: vec![] }),
        (method, any::<bool>(), reason())
            .prop_map(|(method, satisfied, note)| { CaseCommand::ReturnVisit { method, satisfied, note } }),
        reason().prop_map(|note| CaseCommand::Close { note }),
        reason().prop_map(|reason| CaseCommand::Reopen { reason }),
        reason().prop_map(|reason| CaseCommand::Escalate { basis: EscalationBasis::Manual { reason } }),
        Just(CaseCommand::Escalate { basis: EscalationBasis::Overdue }),
        reason().prop_map(|note| CaseCommand::Urge { note }),
        Just(CaseCommand::Warn),
        reason().prop_map(|reason| CaseCommand::Appeal { reason }),
        (any::<bool>(), reason()).prop_map(|(overturn, reason)| CaseCommand::DecideAppeal {
            decision: if overturn { AppealDecision::Overturned } else { AppealDecision::Upheld },
            reason
        }),
        (reason(), reason()).prop_map(|(interviewee, content)| CaseCommand::RecordInterview {
            held_on: d(2026, 3, 9),
            interviewee,
            content
        }),
        (accountability, reason(), any::<bool>()).prop_map(|(decision, reason, with_evidence)| {
            CaseCommand::RecordAccountability {
                decision,
                subject_staff_id: STAFF,
                reason,
                evidence: if with_evidence { vec![text("doc:1")] } else { vec![] },
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_keep_the_case_valid_and_the_log_complete(
        steps in proptest::collection::vec((0usize..14, prop::bool::weighted(0.2), command(), 0i64..80), 1..120),
        start_day in 0i64..2900,
    ) {
        let cal = Calendar::bundled();
        let ctx = PolicyContext::new(&cal);
        let who = people();
        let mut now = bj(2019, 1, 2, 9, 0) + chrono::Duration::days(start_day);
        let mut case: Option<Case> = None;
        let mut log: Vec<CaseEvent> = Vec::new();
        let mut first = true;
        for (person, anyone, cmd, hours) in steps {
            now += chrono::Duration::hours(hours);
            // Every run starts with a creation so that the case exists for most commands; then
            // mostly someone whose role may issue the command acts, sometimes anyone at all.
            let (actor, cmd) = if first {
                first = false;
                (actor(Role::HallManager), create_cmd(false))
            } else {
                (pick(&who, &cmd, person, anyone), cmd)
            };
            match apply(case.as_ref(), &actor, &cmd, now, &ctx) {
                Ok((next, event)) => {
                    prop_assert!(cmd.kind().allowed_roles().contains(&actor.role));
                    prop_assert_eq!(event.payload.command_kind(), cmd.kind());
                    prop_assert_eq!(event.version, next.version);
                    prop_assert_eq!(next.version, log.len() as u64 + 1);
                    prop_assert_eq!(event.at, now);
                    prop_assert_eq!(next.check_invariants(), Ok(()));
                    if let Some(prev) = &case {
                        prop_assert!(next.escalation >= prev.escalation);
                        prop_assert!(next.excluded_from_stats || !prev.excluded_from_stats);
                        prop_assert!(!prev.state.is_terminal() || prev.state == CaseState::Closed
                            || next.state == prev.state);
                    }
                    log.push(event);
                    case = Some(next);
                }
                Err(e) => {
                    prop_assert!(!e.code().as_str().is_empty());
                    if !cmd.kind().allowed_roles().contains(&actor.role) {
                        prop_assert_eq!(e.code(), "role_not_allowed");
                    }
                }
            }
        }
        let case = case.expect("created first");
        prop_assert_eq!(replay(&log), Ok(case.clone()));
        let json = serde_json::to_string(&log).expect("json");
        let back: Vec<CaseEvent> = serde_json::from_str(&json).expect("parse");
        prop_assert_eq!(replay(&back), Ok(case));
    }
}

/// Commands come from the wire: a field the command does not have is refused, never ignored
/// (a `verify` carrying `as_user` must not be applied as if it were a plain one). Serde lets
/// fields through on commands without any (`accept`): `hcp_protocol::CommandEnvelope` refuses those.
#[test]
fn commands_with_unknown_fields_do_not_parse() {
    let parse = |j: &str| serde_json::from_str::<CaseCommand>(j);
    assert_eq!(parse(r#"{"type":"verify","outcome":"genuine"}"#).ok(), Some(verify_genuine()));
    for bad in [
        r#"{"type":"verify","outcome":"genuine","as_user":1}"#,
        r#"{"type":"escalate","basis":{"type":"manual","reason":"跨部门","level":3}}"#,
        r#"{"type":"record_accountability","decision":{"type":"deducted_points","points":1,"x":1},"subject_user_id":1,"reason":"r","evidence":[]}"#,
    ] {
        assert!(parse(bad).is_err(), "{bad} parsed");
    }
    assert!(parse(r#"{"type":"accept"}"#).is_ok());
}

#[test]
fn urging_and_warning_need_a_running_deadline() {
    let cal = Calendar::bundled();
    let ctx = PolicyContext::new(&cal);
    let sup = actor(Role::Supervisor);
    // Assigned on Monday 2026-03-09, due Monday 2026-03-16 (5 working days).
    let case = assigned_case(t0());
    assert_eq!(case.due_date, Some(d(2026, 3, 16)));
    let urge = |note: &str| CaseCommand::Urge { note: text(note) };
    let err = apply(Some(&case), &sup, &urge("  "), t0(), &ctx).expect_err("note required");
    assert_eq!(err.code(), "reason_required");
    // Before the due date: a plain reminder, 0 working days overdue.
    let (urged, ev) = apply(Some(&case), &sup, &urge(" 请按期整改 "), t0(), &ctx).expect("urge");
    assert_eq!(
        ev.payload,
        EventPayload::Urged {
            note: text("请按期整改"),
            due_date: Some(d(2026, 3, 16)),
            working_days_overdue: 0,
            stage: Some(Stage::Accept)
        }
    );
    assert_eq!(urged.state, case.state);
    assert_eq!(urged.urge_count, 1);
    assert_eq!(urged.last_urge, Some(UrgeMark { due_date: Some(d(2026, 3, 16)), working_days_overdue: 0 }));
    // Two working days after the due date.
    let late = bj(2026, 3, 18, 9, 0);
    let (_, ev) = apply(Some(&urged), &sup, &urge("已超期"), late, &ctx).expect("urge");
    assert!(matches!(ev.payload, EventPayload::Urged { working_days_overdue: 2, .. }));
    // Only supervisors urge; the handler cannot urge himself.
    let err = apply(Some(&case), &actor(Role::HallManager), &urge("x"), t0(), &ctx).expect_err("role");
    assert_eq!(err.code(), "role_not_allowed");
    // A warning only inside the at-risk window: not a week ahead, yes on the day before.
    let err = apply(Some(&case), &sup, &CaseCommand::Warn, t0(), &ctx).expect_err("not at risk");
    assert_eq!(err.code(), "deadline_not_at_risk");
    let (warned, ev) = apply(Some(&case), &sup, &CaseCommand::Warn, bj(2026, 3, 13, 9, 0), &ctx).expect("warn");
    assert_eq!(
        ev.payload,
        EventPayload::Warned { due_date: d(2026, 3, 16), working_days_left: 1, stage: Some(Stage::Accept) }
    );
    assert_eq!(warned.warned_due, Some(d(2026, 3, 16)));
    // The warning is automatic: never offered as a button; 催办 is.
    let offered = available_commands(Some(&case), &sup);
    assert!(offered.contains(&CommandKind::Urge) && !offered.contains(&CommandKind::Warn), "{offered:?}");
    // Once rectified the return visit's clock runs (and may be urged); none once closed.
    let (setup, _) = fixture(CommandKind::ReturnVisit);
    let (rectified, _) = run(&setup, t0(), &ctx);
    assert_eq!(rectified.clock().map(|(s, _)| s), Some(Stage::ReturnVisit));
    apply(Some(&rectified), &sup, &urge("请尽快回访"), t0(), &ctx).expect("urge the return visit");
    let (setup, _) = fixture(CommandKind::Reopen);
    let (closed, _) = run(&setup, t0(), &ctx);
    assert_eq!(closed.clock(), None);
    let err = apply(Some(&closed), &sup, &urge("x"), t0(), &ctx).expect_err("no clock");
    assert_eq!(err.code(), "illegal_state");
    // Replay keeps the marks.
    let (_, mut log) = run(&fixture(CommandKind::Urge).0, t0(), &ctx);
    let (c, _) = {
        let base = replay(&log).expect("replay");
        let (next, ev) = apply(Some(&base), &sup, &urge("催"), t0(), &ctx).expect("urge");
        log.push(ev.clone());
        (next, ev)
    };
    assert_eq!(replay(&log), Ok(c));
}
