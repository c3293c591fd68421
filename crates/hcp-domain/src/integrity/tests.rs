use chrono::{FixedOffset, TimeZone};

use super::*;

fn bj(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2026, 10, d, h, mi, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ev(id: i64, at: DateTime<Utc>, level: Level) -> RatingEvidence {
    RatingEvidence {
        rating_id: id,
        rated_at: at,
        level,
        staff_id: Some(7),
        rater_staff_id: None,
        device_id: None,
        phone_hash: None,
        certificate_hash: None,
        service_record_no: Some(format!("R{id:03}")),
        text: None,
    }
}

fn kinds(flags: &[Flag]) -> Vec<(FlagKind, Vec<i64>)> {
    flags.iter().map(|f| (f.kind, f.rating_ids.clone())).collect()
}

#[test]
fn nothing_suspicious_raises_nothing() {
    let ratings: Vec<_> = (1..=20).map(|i| ev(i, bj(8, 9, 0) + Duration::hours(i), Level::Satisfied)).collect();
    assert!(detect(&ratings, &[], &IntegrityParams::default()).is_empty());
    assert!(detect(&[], &[], &IntegrityParams::default()).is_empty());
}

#[test]
fn device_bursts_need_the_count_within_the_window_and_merge_when_overlapping() {
    let p = IntegrityParams::default();
    let dev = |id: i64, at| RatingEvidence { device_id: Some("dev-1".into()), ..ev(id, at, Level::VerySatisfied) };
    // Five within exactly ten minutes: flagged (inclusive window).
    let five: Vec<_> = (0..5).map(|i| dev(i + 1, bj(8, 10, 0) + Duration::minutes(i * 5 / 2))).collect();
    let at_edge = vec![
        dev(1, bj(8, 10, 0)),
        dev(2, bj(8, 10, 2)),
        dev(3, bj(8, 10, 5)),
        dev(4, bj(8, 10, 8)),
        dev(5, bj(8, 10, 10)),
    ];
    assert_eq!(kinds(&detect(&five, &[], &p)), vec![(FlagKind::BurstSameDevice, vec![1, 2, 3, 4, 5])]);
    assert_eq!(kinds(&detect(&at_edge, &[], &p)).len(), 1);
    // Four within ten minutes, the fifth a minute too late: nothing.
    let spread = vec![
        dev(1, bj(8, 10, 0)),
        dev(2, bj(8, 10, 2)),
        dev(3, bj(8, 10, 5)),
        dev(4, bj(8, 10, 8)),
        dev(5, bj(8, 10, 11)),
    ];
    assert!(detect(&spread, &[], &p).is_empty());
    // Seven ratings two minutes apart: overlapping qualifying windows make one flag.
    let seven: Vec<_> = (0..7).map(|i| dev(10 + i, bj(8, 14, 0) + Duration::minutes(2 * i))).collect();
    let flags = detect(&seven, &[], &p);
    assert_eq!(kinds(&flags), vec![(FlagKind::BurstSameDevice, (10..17).collect())]);
    assert_eq!(
        flags[0].explanation_zh,
        "同一评价设备（dev-1）于 2026-10-08 14:00 至 2026-10-08 14:12（12 分钟内）提交 7 条评价，达到阈值（10 分钟内 5 条），疑似集中刷评。"
    );
    // Different devices never add up.
    let mixed: Vec<_> = (0..6)
        .map(|i| RatingEvidence {
            device_id: Some(format!("dev-{}", i % 2)),
            ..ev(i, bj(8, 9, 0) + Duration::minutes(i), Level::Satisfied)
        })
        .collect();
    assert!(detect(&mixed, &[], &p).is_empty());
}

#[test]
fn phone_and_certificate_bursts_never_reveal_the_evaluator() {
    let p = IntegrityParams::default();
    let rs: Vec<_> = (0..3)
        .map(|i| RatingEvidence {
            phone_hash: Some("secret-phone-hash".into()),
            certificate_hash: Some("secret-cert-hash".into()),
            ..ev(i + 1, bj(9, 9, 0) + Duration::minutes(10 * i), Level::VerySatisfied)
        })
        .collect();
    let flags = detect(&rs, &[], &p);
    assert_eq!(
        kinds(&flags),
        vec![(FlagKind::BurstSamePhone, vec![1, 2, 3]), (FlagKind::BurstSameCertificate, vec![1, 2, 3])]
    );
    for f in &flags {
        assert!(!f.explanation_zh.contains("secret"), "{}", f.explanation_zh);
        assert!(f.explanation_zh.contains("已脱敏"));
    }
}

#[test]
fn self_rating_by_the_rated_staff_or_a_handler_of_the_record() {
    let own = RatingEvidence { rater_staff_id: Some(7), ..ev(1, bj(9, 9, 0), Level::VerySatisfied) };
    let colleague_handled = RatingEvidence {
        rater_staff_id: Some(8),
        service_record_no: Some("R-X".into()),
        ..ev(2, bj(9, 10, 0), Level::VerySatisfied)
    };
    let colleague_unrelated = RatingEvidence { rater_staff_id: Some(9), ..ev(3, bj(9, 11, 0), Level::Satisfied) };
    let records = vec![ServiceRecord { record_no: "R-X".into(), staff_ids: vec![7, 8] }];
    let flags = detect(&[own, colleague_handled, colleague_unrelated], &records, &IntegrityParams::default());
    assert_eq!(kinds(&flags), vec![(FlagKind::SelfRating, vec![1]), (FlagKind::SelfRating, vec![2])]);
    assert_eq!(flags[0].severity, Severity::High);
    assert_eq!(
        flags[1].explanation_zh,
        "评价人证件与本单位一名在册工作人员的登记证件一致（身份已脱敏），评价的是该工作人员经办的办件（办件编号 R-X），评价等级“非常满意”，属于自评，不应计入统计。"
    );
    // The evaluator (staff member 8) is not named: the rated staff member is another person.
    assert!(flags.iter().all(|f| !f.explanation_zh.contains("工号")), "{flags:?}");
}

#[test]
fn a_first_rating_and_a_follow_up_are_allowed_a_third_is_not() {
    let rec = |id, at| RatingEvidence { service_record_no: Some("R-1".into()), ..ev(id, at, Level::Satisfied) };
    let two = vec![rec(1, bj(9, 9, 0)), rec(2, bj(12, 9, 0))];
    assert!(detect(&two, &[], &IntegrityParams::default()).is_empty());
    let three = vec![rec(3, bj(9, 9, 0)), rec(1, bj(12, 9, 0)), rec(2, bj(15, 9, 0))];
    let flags = detect(&three, &[], &IntegrityParams::default());
    assert_eq!(kinds(&flags), vec![(FlagKind::ManyRatingsOneRecord, vec![1, 2, 3])]);
    assert_eq!(
        flags[0].explanation_zh,
        "办件 R-1 共收到 3 条评价，超过“一事一评”允许的 2 条（含追评），疑似重复或代评。"
    );
}

#[test]
fn near_duplicate_texts_group_transitively_and_ignore_short_or_distinct_texts() {
    let t = |id, text: &str| RatingEvidence {
        text: Some(text.into()),
        ..ev(id, bj(9, 9, 0) + Duration::days(id), Level::VerySatisfied)
    };
    let rs = vec![
        t(1, "窗口工作人员服务热情，办事效率很高！"),
        t(2, "窗口工作人员服务很热情，办事效率很高"),
        t(3, "服务好"),
        t(4, "服务好"),
        t(5, "材料一次性告知，少跑了好几趟，点赞"),
        t(6, "  Very GOOD service, thanks!!  "),
        t(7, "very good service thanks"),
    ];
    let flags = detect(&rs, &[], &IntegrityParams::default());
    // 1–2: bigram Jaccard 14/17 = 0.82; 6–7 identical after normalisation; 3–4 are too short.
    assert_eq!(
        kinds(&flags),
        vec![(FlagKind::NearDuplicateText, vec![1, 2]), (FlagKind::NearDuplicateText, vec![6, 7])]
    );
    assert_eq!(
        flags[0].explanation_zh,
        "2 条评价的文字高度雷同（字符二元组 Jaccard 相似度 0.82–0.82，阈值 0.80），疑似复制粘贴：“窗口工作人员服务热情，办事效率很高！”。"
    );
    assert_eq!(flags[0].severity, Severity::Low);
}

#[test]
fn one_evaluator_clustering_bad_reviews_on_one_staff_member() {
    let p = IntegrityParams::default();
    let bad = |id, day, staff, level| RatingEvidence {
        certificate_hash: Some("c1".into()),
        staff_id: Some(staff),
        ..ev(id, bj(day, 9, 0), level)
    };
    // Three bad reviews of staff 7 within 14 days; the good one and the one of staff 8 do not count.
    let rs = vec![
        bad(1, 1, 7, Level::Dissatisfied),
        bad(2, 8, 7, Level::VeryDissatisfied),
        bad(3, 9, 7, Level::Satisfied),
        bad(4, 15, 7, Level::Dissatisfied),
        bad(5, 15, 8, Level::Dissatisfied),
    ];
    let flags = detect(&rs, &[], &p);
    assert_eq!(kinds(&flags), vec![(FlagKind::EvaluatorClusterOnStaff, vec![1, 2, 4])]);
    assert_eq!(
        flags[0].explanation_zh,
        "同一评价人（身份已脱敏）于 2026-10-01 至 2026-10-15（14 天内）对工作人员（工号 7）给出 3 条差评，达到阈值（30 天内 3 条），疑似恶意差评。"
    );
    // Spread over more than the window: no flag.
    let spread = IntegrityParams { evaluator_window_days: 10, ..p };
    assert!(detect(&rs, &[], &spread).is_empty());
}

#[test]
fn flags_are_deterministic_whatever_the_input_order() {
    let mut rs: Vec<_> = (0..6)
        .map(|i| RatingEvidence {
            device_id: Some("d".into()),
            phone_hash: Some("p".into()),
            text: Some("排队时间太长了，希望增加窗口数量".into()),
            service_record_no: Some("R".into()),
            ..ev(i, bj(9, 9, 0) + Duration::minutes(i), Level::Satisfied)
        })
        .collect();
    let a = detect(&rs, &[], &IntegrityParams::default());
    rs.reverse();
    let b = detect(&rs, &[], &IntegrityParams::default());
    assert_eq!(a, b);
    assert_eq!(
        a.iter().map(Flag::fingerprint).collect::<Vec<_>>(),
        vec![
            "burst_same_device:0,1,2,3,4,5",
            "burst_same_phone:0,1,2,3,4,5",
            "many_ratings_one_record:0,1,2,3,4,5",
            "near_duplicate_text:0,1,2,3,4,5",
        ]
    );
}

#[test]
fn verdicts_and_labels() {
    assert!(FlagVerdict::ConfirmedFake.excludes_from_stats());
    assert!(FlagVerdict::ConfirmedMalicious.excludes_from_stats());
    assert!(!FlagVerdict::Dismissed.excludes_from_stats());
    for k in FlagKind::ALL {
        assert_eq!(FlagKind::parse(k.as_str()), Some(k));
        assert!(!k.label_zh().is_empty());
    }
    // Degenerate thresholds do not panic: a count of 0 is read as 2.
    let p =
        IntegrityParams { device_burst: BurstRule { min_count: 0, window_minutes: 0 }, ..IntegrityParams::default() };
    let rs = vec![
        RatingEvidence { device_id: Some("d".into()), ..ev(1, bj(9, 9, 0), Level::Satisfied) },
        RatingEvidence { device_id: Some("d".into()), ..ev(2, bj(9, 9, 0), Level::Satisfied) },
    ];
    assert_eq!(kinds(&detect(&rs, &[], &p)), vec![(FlagKind::BurstSameDevice, vec![1, 2])]);
}

#[test]
fn a_verdict_needs_a_deciding_role_a_note_and_an_open_flag() {
    use crate::{ErrorCode, Role};
    assert_eq!(check_verdict(Role::HallManager, "  调取监控核实  ", None), Ok("调取监控核实"));
    assert_eq!(check_verdict(Role::Supervisor, "核实", None), Ok("核实"));
    let refused = check_verdict(Role::DisciplineLiaison, "核实", None).expect_err("role");
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    assert_eq!(refused.to_string(), "只有大厅负责人和督查人员可以核实异常评价线索");
    assert_eq!(check_verdict(Role::HallManager, " 查 ", None), Err(VerdictRefusal::NoteLength));
    assert_eq!(check_verdict(Role::HallManager, &"查".repeat(501), None), Err(VerdictRefusal::NoteLength));
    let decided = check_verdict(Role::HallManager, "核实", Some(("陈主任", None))).expect_err("decided");
    assert_eq!(decided.code(), ErrorCode::AlreadyDecided);
    assert_eq!(decided.to_string(), "该线索已由陈主任核实，不能重复核实");
    let decided = check_verdict(Role::HallManager, "核实", Some(("陈主任", Some("2026-12-01")))).expect_err("decided");
    assert_eq!(decided.to_string(), "该线索已由陈主任于 2026-12-01 核实，不能重复核实");
}
