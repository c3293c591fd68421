//! The hand-computed fixture (tests/fixtures/hall_2026_10.rs): expected KPIs, rankings and flags.

#[path = "fixtures/hall_2026_10.rs"]
mod fixture;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use hcp_domain::integrity::FlagVerdict;
use hcp_domain::{
    detect, kpis, kpis_by, rank, Aggregate, Calendar, CaseFact, DeadlineRules, Flag, FlagKind, GroupBy,
    IntegrityParams, KpiParams, Kpis, Period, RatingEvidence, RatingFact, Ratio, ServiceRecord, Severity, Subject,
    UnitScore,
};

fn bj(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .and_then(|o| o.with_ymd_and_hms(2026, month, day, h, m, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap_or_default()
}

fn october() -> Period {
    Period::new(date(10, 1), date(10, 31))
}

fn as_of() -> DateTime<Utc> {
    let (mo, d, h, mi) = fixture::AS_OF;
    bj(mo, d, h, mi)
}

fn params() -> KpiParams {
    KpiParams::beijing(as_of())
}

fn unit_of(staff: i64) -> i64 {
    staff / 10
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// Every rating as first recorded: nothing excluded yet.
fn raw_ratings() -> Vec<RatingFact> {
    fixture::RATINGS
        .iter()
        .map(|&(id, staff, day, h, m, lvl)| RatingFact {
            id,
            unit_id: unit_of(staff),
            staff_id: Some(staff),
            rated_at: bj(10, day, h, m),
            level: fixture::level(lvl),
            channel: 4,
            real_name: fixture::REAL_NAME.contains(&id),
            excluded: false,
        })
        .collect()
}

fn raw_cases() -> Vec<CaseFact> {
    fixture::CASES
        .iter()
        .map(|&(id, unit, staff, rating, (d, h, m), (dm, dd), handled, closed, rectified, visit, real_name)| CaseFact {
            id,
            unit_id: unit,
            staff_id: Some(staff),
            rating_id: (rating != 0).then_some(rating),
            created_at: bj(10, d, h, m),
            due_date: Some(date(dm, dd)),
            handled_at: handled.map(|(mo, d, h, m)| bj(mo, d, h, m)),
            closed,
            rectified,
            return_visit: visit,
            real_name,
            excluded: false,
        })
        .collect()
}

fn evidence() -> Vec<RatingEvidence> {
    raw_ratings()
        .iter()
        .map(|r| {
            let extra = fixture::EXTRAS.iter().find(|e| e.0 == r.id);
            let (device, phone, cert, record, text, rater) = match extra {
                Some(&(_, d, p, c, rec, t, rater)) => {
                    (opt(d), opt(p), opt(c), opt(rec), opt(t), (rater != 0).then_some(rater))
                }
                None => (None, None, None, Some(format!("R{:03}", r.id)), None, None),
            };
            RatingEvidence {
                rating_id: r.id,
                rated_at: r.rated_at,
                level: r.level,
                staff_id: r.staff_id,
                rater_staff_id: rater,
                device_id: device,
                phone_hash: phone,
                certificate_hash: cert,
                service_record_no: record,
                text,
            }
        })
        .collect()
}

fn service_records() -> Vec<ServiceRecord> {
    fixture::SERVICE_RECORDS
        .iter()
        .map(|(no, staff)| ServiceRecord { record_no: (*no).to_owned(), staff_ids: staff.to_vec() })
        .collect()
}

/// The hall manager's verdict on each flag, by fingerprint.
fn verdict(flag: &Flag) -> FlagVerdict {
    match flag.kind {
        FlagKind::BurstSameCertificate | FlagKind::ManyRatingsOneRecord => FlagVerdict::Dismissed,
        FlagKind::EvaluatorClusterOnStaff => FlagVerdict::ConfirmedMalicious,
        _ => FlagVerdict::ConfirmedFake,
    }
}

fn excluded_ids() -> BTreeSet<i64> {
    let flags = detect(&evidence(), &service_records(), &IntegrityParams::default());
    let mut ids: BTreeSet<i64> =
        flags.iter().filter(|f| verdict(f).excludes_from_stats()).flat_map(|f| f.rating_ids.iter().copied()).collect();
    ids.extend(fixture::APPEAL_OVERTURNED);
    ids
}

/// The facts after the verdicts and the appeal: excluded ratings and their cases leave the statistics.
fn facts() -> (Vec<RatingFact>, Vec<CaseFact>) {
    let excluded = excluded_ids();
    let ratings = raw_ratings().into_iter().map(|r| RatingFact { excluded: excluded.contains(&r.id), ..r }).collect();
    let cases = raw_cases()
        .into_iter()
        .map(|c| CaseFact { excluded: c.rating_id.is_some_and(|id| excluded.contains(&id)), ..c })
        .collect();
    (ratings, cases)
}

#[allow(clippy::too_many_arguments)]
fn expected(
    levels: [u64; 5],
    excluded_ratings: u64,
    real_name_bad: u64,
    cases: u64,
    excluded_cases: u64,
    overdue_open: u64,
    timeliness: (u64, u64),
    rectification: (u64, u64),
    visit: (u64, u64),
    coverage: (u64, u64),
) -> Kpis {
    let rated: u64 = levels.iter().sum();
    let bad = levels[3] + levels[4];
    Kpis {
        rated,
        level_counts: levels,
        bad,
        real_name_bad,
        excluded_ratings,
        cases,
        excluded_cases,
        overdue_open,
        bad_rate: Ratio::new(bad, rated),
        satisfaction_rate: Ratio::new(rated - bad, rated),
        good_rate: Ratio::new(levels[0] + levels[1], rated),
        timeliness: Ratio::new(timeliness.0, timeliness.1),
        rectification_rate: Ratio::new(rectification.0, rectification.1),
        return_visit_satisfaction: Ratio::new(visit.0, visit.1),
        real_name_visit_coverage: Ratio::new(coverage.0, coverage.1),
    }
}

#[test]
fn the_fixture_is_what_its_comments_say() {
    assert_eq!(fixture::RATINGS.len(), 60);
    let ids: BTreeSet<i64> = fixture::RATINGS.iter().map(|r| r.0).collect();
    assert_eq!(ids, (1..=60).collect());
    let staff: BTreeSet<i64> = fixture::RATINGS.iter().map(|r| r.1).collect();
    assert_eq!(staff.len(), 6);
    // Due dates are Chongqing's 5 working days on the bundled 2026 calendar.
    let calendar = Calendar::bundled();
    let rules = DeadlineRules::default();
    for c in raw_cases() {
        assert_eq!(Some(rules.due_date(&calendar, c.created_at)), c.due_date, "case {}", c.id);
    }
}

#[test]
fn expected_flags_with_their_explanations() {
    let flags = detect(&evidence(), &service_records(), &IntegrityParams::default());
    let got: Vec<(FlagKind, Vec<i64>, Severity, &str)> =
        flags.iter().map(|f| (f.kind, f.rating_ids.clone(), f.severity, f.explanation_zh.as_str())).collect();
    let want: Vec<(FlagKind, Vec<i64>, Severity, &str)> = vec![
        // 14:00, 14:02, 14:04, 14:06, 14:08: 5 ratings in 8 minutes ≥ 5 in 10.
        (
            FlagKind::BurstSameDevice,
            vec![45, 46, 47, 48, 49],
            Severity::Medium,
            "同一评价设备（dev-12-01）于 2026-10-20 14:00 至 2026-10-20 14:08（8 分钟内）提交 5 条评价，达到阈值（10 分钟内 5 条），疑似集中刷评。",
        ),
        // 09:00, 09:05, 09:10, 09:15: 4 ratings in 15 minutes ≥ 3 in 30.
        (
            FlagKind::BurstSamePhone,
            vec![31, 32, 33, 34],
            Severity::Medium,
            "同一手机号（已脱敏）于 2026-10-15 09:00 至 2026-10-15 09:15（15 分钟内）提交 4 条评价，达到阈值（30 分钟内 3 条），疑似集中刷评。",
        ),
        // 10:00, 10:10, 10:20: 3 ratings in 20 minutes ≥ 3 in 30 (cert-X's 27–29 are days apart: no burst).
        (
            FlagKind::BurstSameCertificate,
            vec![11, 12, 13],
            Severity::Medium,
            "同一证件（已脱敏）于 2026-10-22 10:00 至 2026-10-22 10:20（20 分钟内）提交 3 条评价，达到阈值（30 分钟内 3 条），疑似集中刷评。",
        ),
        (
            FlagKind::SelfRating,
            vec![50],
            Severity::High,
            "评价人证件与本单位一名在册工作人员的登记证件一致（身份已脱敏），评价的是该工作人员本人提供的服务（办件编号 R050），评价等级“非常满意”，属于自评，不应计入统计。",
        ),
        // R-12-0300: 3 ratings > 2 (first + follow-up).
        (
            FlagKind::ManyRatingsOneRecord,
            vec![51, 52, 53],
            Severity::Medium,
            "办件 R-12-0300 共收到 3 条评价，超过“一事一评”允许的 2 条（含追评），疑似重复或代评。",
        ),
        // 31, 32, 33 normalise to the same 16 characters (15 bigrams): Jaccard 1.00. 34 adds 很:
        // 16 bigrams, 14 shared with the others, union 17 → 14/17 = 0.82.
        (
            FlagKind::NearDuplicateText,
            vec![31, 32, 33, 34],
            Severity::Medium,
            "4 条评价的文字高度雷同（字符二元组 Jaccard 相似度 0.82–1.00，阈值 0.80），疑似复制粘贴：“窗口工作人员服务热情，办事效率很高！”。",
        ),
        // cert-X: bad reviews of 112 on 10/12, 10/19, 10/26: 3 within 14 days ≥ 3 in 30.
        (
            FlagKind::EvaluatorClusterOnStaff,
            vec![27, 28, 29],
            Severity::High,
            "同一评价人（身份已脱敏）于 2026-10-12 至 2026-10-26（14 天内）对工作人员（工号 112）给出 3 条差评，达到阈值（30 天内 3 条），疑似恶意差评。",
        ),
    ];
    assert_eq!(got, want);
    // Exclusions: confirmed flags (45–49, 31–34, 50, 27–29) plus the overturned appeal (15) = 14 ratings.
    let expected_excluded: BTreeSet<i64> = [15, 27, 28, 29, 31, 32, 33, 34, 45, 46, 47, 48, 49, 50].into();
    assert_eq!(excluded_ids(), expected_excluded);
}

#[test]
fn hall_kpis_before_and_after_verification() {
    // Before any verdict: 60 ratings, bad = 15, 27, 28, 29, 30, 43, 44, 56 = 8 → 8/60.
    let raw = kpis(&raw_ratings(), &raw_cases(), Subject::All, &october(), &params());
    assert_eq!(raw.rated, 60);
    assert_eq!(raw.bad_rate, Ratio::new(8, 60));

    let (ratings, cases) = facts();
    let hall = kpis(&ratings, &cases, Subject::All, &october(), &params());
    // Levels of the 46 remaining ratings:
    //   非常满意 27 = 111: 1–10 (10) + 112: 16–23 (8) + 121: 35–39 (5) + 122: 51 (1) + 13: 58–60 (3)
    //   满意     11 = 111: 11–13 (3) + 112: 24–25 (2) + 121: 40–41 (2) + 122: 52, 53, 54, 57 (4)
    //   基本满意  4 = 14, 26, 42, 55
    //   不满意    3 = 30, 43, 56
    //   非常不满意 1 = 44
    // bad 4/46 = 8.70 %, satisfaction 42/46 = 91.30 %, good (非常满意+满意) 38/46.
    // Real-name bad ratings: 30, 44, 56 = 3 (43 is anonymous).
    // Cases: 1001–1004 excluded with their ratings; 1005–1009 remain (5).
    //   timeliness: 1005 on time, 1006 late, 1007 overdue (due 10/29 < 11/2), 1008 on time,
    //               1009 due 11/2 = today → not yet overdue, not counted → 2/4, 1 overdue open.
    //   rectification: closed 1005 (rectified), 1006 (explanation only) → 1/2.
    //   return visits: 1005 satisfied, 1008 not → 1/2.
    //   real-name bad-review cases: 1005 (visited), 1007 (not), 1008 (visited) → 2/3.
    let want = expected([27, 11, 4, 3, 1], 14, 3, 5, 4, 1, (2, 4), (1, 2), (1, 2), (2, 3));
    assert_eq!(hall, want);
    assert_eq!(hall.bad_rate.label_zh(), "8.70%（4/46）");
    assert_eq!(hall.timeliness.label_zh(), "50.00%（2/4）");
    assert_eq!(hall.real_name_visit_coverage.label_zh(), "66.67%（2/3）");
}

fn expected_units() -> BTreeMap<i64, Kpis> {
    BTreeMap::from([
        // Window 11: 111 (1–14) + 112 (16–26, 30); excluded 15, 27, 28, 29.
        //   levels [10+8, 3+2, 1+1, 1, 0] = [18, 5, 2, 1, 0], 26 rated, bad 1/26 (30, real name).
        //   cases: 1005 only (1001–1004 excluded): on time 1/1, rectified 1/1, visit 1/1, coverage 1/1.
        (11, expected([18, 5, 2, 1, 0], 4, 1, 1, 4, 0, (1, 1), (1, 1), (1, 1), (1, 1))),
        // Window 12: 121 (35–44) + 122 (51–57); excluded 31–34, 45–50 (10).
        //   levels [5+1, 2+4, 1+1, 1+1, 1] = [6, 6, 2, 2, 1], 17 rated, bad 3/17; real-name bad 44, 56.
        //   cases 1006 (late), 1007 (overdue), 1008 (on time): timeliness 1/3, 1 overdue open;
        //   closed 1006 not rectified → 0/1; visit 1008 unsatisfied → 0/1; real-name 1007, 1008 → 1/2.
        (12, expected([6, 6, 2, 2, 1], 10, 2, 3, 0, 1, (1, 3), (0, 1), (0, 1), (1, 2))),
        // Window 13: 58–60, all 非常满意; case 1009 open and not yet due: every case rate is 0/0 → None.
        (13, expected([3, 0, 0, 0, 0], 0, 0, 1, 0, 0, (0, 0), (0, 0), (0, 0), (0, 0))),
    ])
}

fn expected_staff() -> BTreeMap<i64, Kpis> {
    BTreeMap::from([
        // 111: 1–10 非常满意, 11–13 满意, 14 基本满意; 15 excluded with case 1001.
        (111, expected([10, 3, 1, 0, 0], 1, 0, 0, 1, 0, (0, 0), (0, 0), (0, 0), (0, 0))),
        // 112: 16–23, 24–25, 26, 30; 27–29 excluded with cases 1002–1004; case 1005 as for window 11.
        (112, expected([8, 2, 1, 1, 0], 3, 1, 1, 3, 0, (1, 1), (1, 1), (1, 1), (1, 1))),
        // 121: 35–39, 40–41, 42, 43, 44; 31–34 excluded. Cases 1006 (late), 1007 (overdue): 0/2;
        //   closed 1006 not rectified 0/1; no visits; real-name 1007 not visited 0/1.
        (121, expected([5, 2, 1, 1, 1], 4, 1, 2, 0, 1, (0, 2), (0, 1), (0, 0), (0, 1))),
        // 122: 51, 52–54 + 57, 55, 56; 45–50 excluded. Case 1008: on time 1/1, not closed,
        //   visit unsatisfied 0/1, real-name visited 1/1.
        (122, expected([1, 4, 1, 1, 0], 6, 1, 1, 0, 0, (1, 1), (0, 0), (0, 1), (1, 1))),
        (131, expected([2, 0, 0, 0, 0], 0, 0, 0, 0, 0, (0, 0), (0, 0), (0, 0), (0, 0))),
        // 132: rating 60 and the hotline case 1009 (not yet due).
        (132, expected([1, 0, 0, 0, 0], 0, 0, 1, 0, 0, (0, 0), (0, 0), (0, 0), (0, 0))),
    ])
}

#[test]
fn unit_and_staff_kpis() {
    let (ratings, cases) = facts();
    assert_eq!(kpis_by(&ratings, &cases, GroupBy::Unit, &october(), &params()), expected_units());
    assert_eq!(kpis_by(&ratings, &cases, GroupBy::Staff, &october(), &params()), expected_staff());
    // The units add up to the hall.
    let sum: u64 = expected_units().values().map(|k| k.rated).sum();
    assert_eq!(sum, 46);
    // No zero denominator is NaN.
    assert_eq!(expected_units()[&13].timeliness.value(), None);
}

#[test]
fn the_replica_aggregate_gives_the_same_numbers() {
    let (ratings, cases) = facts();
    let direct_hall = kpis(&ratings, &cases, Subject::All, &october(), &params());

    // Built in one go.
    let agg = Aggregate::from_facts(&ratings, &cases, 480);
    assert_eq!(agg.kpis(Subject::All, &october(), as_of()), direct_hall);
    assert_eq!(agg.kpis_by(GroupBy::Unit, &october(), as_of()), expected_units());
    assert_eq!(agg.kpis_by(GroupBy::Staff, &october(), as_of()), expected_staff());

    // Built as the replica sees it: raw facts arrive in two sync batches, then the verdicts and the
    // appeal decision update the ratings and cases one by one.
    let (raw_r, raw_c) = (raw_ratings(), raw_cases());
    let mut first = Aggregate::new(480);
    let mut second = Aggregate::new(480);
    for r in &raw_r {
        if r.id % 2 == 0 {
            first.add_rating(r)
        } else {
            second.add_rating(r)
        }
    }
    for c in &raw_c {
        second.add_case(c);
    }
    assert_eq!(first.merge(&second), Ok(()));
    for (old, new) in raw_r.iter().zip(&ratings) {
        if old != new {
            assert_eq!(first.update_rating(old, new), Ok(()));
        }
    }
    for (old, new) in raw_c.iter().zip(&cases) {
        if old != new {
            assert_eq!(first.update_case(old, new), Ok(()));
        }
    }
    assert_eq!(first, agg);
    for subject in [Subject::All, Subject::Unit(11), Subject::Unit(12), Subject::Unit(13), Subject::Staff(121)] {
        assert_eq!(first.kpis(subject, &october(), as_of()), kpis(&ratings, &cases, subject, &october(), &params()));
    }
}

#[test]
fn rankings_with_sample_sizes() {
    let (ratings, cases) = facts();
    // Prior: pooled satisfaction 42/46 = 0.913043, strength 10 → k·m = 9.130435.
    let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-6);

    let units: Vec<UnitScore> = kpis_by(&ratings, &cases, GroupBy::Unit, &october(), &params())
        .iter()
        .map(|(id, k)| UnitScore::satisfaction(*id, k))
        .collect();
    let table = rank(&units);
    // window 11: (25 + 9.130435) / (26 + 10) = 0.948068   (raw 25/26 = 0.961538)
    // window 13: ( 3 + 9.130435) / ( 3 + 10) = 0.933110   (raw  3/3  = 1.000000, would top the raw table)
    // window 12: (14 + 9.130435) / (17 + 10) = 0.856683   (raw 14/17 = 0.823529)
    let rows: Vec<(i64, Option<u32>, u64)> = table.iter().map(|r| (r.unit_id, r.rank, r.sample_size)).collect();
    assert_eq!(rows, vec![(11, Some(1), 26), (13, Some(2), 3), (12, Some(3), 17)]);
    assert!(close(table[0].score, 0.948068));
    assert!(close(table[1].score, 0.933110));
    assert!(close(table[2].score, 0.856683));
    assert_eq!(table[1].raw_rate, Some(1.0));
    assert_eq!(table[1].summary_zh(), "第 2 名 · 校正得分 93.31% · 原始 100.00%（3/3）· 样本 3 条");

    let staff: Vec<UnitScore> = kpis_by(&ratings, &cases, GroupBy::Staff, &october(), &params())
        .iter()
        .map(|(id, k)| UnitScore::satisfaction(*id, k))
        .collect();
    let table = rank(&staff);
    // 111: (14 + 9.130435) / 24 = 0.963768   (14/14)
    // 131: ( 2 + 9.130435) / 12 = 0.927536   ( 2/2)
    // 132: ( 1 + 9.130435) / 11 = 0.920949   ( 1/1)
    // 112: (11 + 9.130435) / 22 = 0.915020   (11/12)
    // 122: ( 6 + 9.130435) / 17 = 0.890026   ( 6/7)
    // 121: ( 8 + 9.130435) / 20 = 0.856522   ( 8/10)
    let rows: Vec<(i64, Option<u32>, u64)> = table.iter().map(|r| (r.unit_id, r.rank, r.sample_size)).collect();
    assert_eq!(
        rows,
        vec![
            (111, Some(1), 14),
            (131, Some(2), 2),
            (132, Some(3), 1),
            (112, Some(4), 12),
            (122, Some(5), 7),
            (121, Some(6), 10)
        ]
    );
    for (row, score) in table.iter().zip([0.963768, 0.927536, 0.920949, 0.915020, 0.890026, 0.856522]) {
        assert!(close(row.score, score), "{row:?}");
    }
}

#[test]
fn an_overturned_appeal_leaves_the_kpis_but_not_the_history() {
    let (mut ratings, mut cases) = facts();
    // Undo the appeal on 15: 111 would have one bad review of 15 and case 1001 would count.
    for r in ratings.iter_mut().filter(|r| r.id == 15) {
        r.excluded = false;
    }
    for c in cases.iter_mut().filter(|c| c.id == 1001) {
        c.excluded = false;
    }
    let upheld = kpis(&ratings, &cases, Subject::Staff(111), &october(), &params());
    assert_eq!(upheld.bad_rate, Ratio::new(1, 15));
    assert_eq!(upheld.timeliness, Ratio::new(1, 1));
    let (ratings, cases) = facts();
    let overturned = kpis(&ratings, &cases, Subject::Staff(111), &october(), &params());
    assert_eq!(overturned.bad_rate, Ratio::new(0, 14));
    assert_eq!(overturned.excluded_ratings, 1);
    assert_eq!(overturned.excluded_cases, 1);
}
