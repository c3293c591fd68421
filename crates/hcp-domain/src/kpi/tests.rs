use chrono::{FixedOffset, TimeZone};
use proptest::prelude::*;

use super::*;

fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .and_then(|o| o.with_ymd_and_hms(y, mo, d, h, mi, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn rating(id: i64, unit_id: i64, staff_id: Option<i64>, at: DateTime<Utc>, level: Level) -> RatingFact {
    RatingFact { id, unit_id, staff_id, rated_at: at, level, channel: 4, real_name: false, excluded: false }
}

fn case(id: i64, unit_id: i64, created_at: DateTime<Utc>) -> CaseFact {
    CaseFact {
        id,
        unit_id,
        staff_id: None,
        rating_id: None,
        created_at,
        due_date: None,
        handled_at: None,
        closed: false,
        rectified: false,
        return_visit: None,
        real_name: false,
        excluded: false,
    }
}

fn october() -> Period {
    Period::month(2026, 10).unwrap_or(Period::day(date(2026, 10, 1)))
}

#[test]
fn months_and_labels() {
    assert_eq!(Period::month(2026, 2), Some(Period::new(date(2026, 2, 1), date(2026, 2, 28))));
    assert_eq!(Period::month(2026, 12), Some(Period::new(date(2026, 12, 1), date(2026, 12, 31))));
    assert_eq!(Period::month(2026, 13), None);
    assert_eq!(october().label_zh(), "2026年10月");
    assert_eq!(october().label_en(), "October 2026");
    assert_eq!(Period::new(date(2026, 10, 1), date(2026, 10, 15)).label_zh(), "2026年10月1日至2026年10月15日");
}

#[test]
fn zero_denominators_are_none_never_nan() {
    let k = kpis(&[], &[], Subject::All, &october(), &KpiParams::beijing(bj(2026, 11, 1, 0, 0)));
    assert_eq!(k, Kpis::default());
    for r in [
        k.bad_rate,
        k.satisfaction_rate,
        k.good_rate,
        k.timeliness,
        k.rectification_rate,
        k.return_visit_satisfaction,
        k.real_name_visit_coverage,
    ] {
        assert_eq!(r.value(), None);
        assert_eq!(r.label_zh(), "—（0/0）");
    }
    assert_eq!(Ratio::new(1, 4).label_zh(), "25.00%（1/4）");
}

#[test]
fn excluded_ratings_leave_numerator_and_denominator() {
    let at = bj(2026, 10, 8, 9, 0);
    let mut rs = vec![
        rating(1, 1, Some(10), at, Level::VerySatisfied),
        rating(2, 1, Some(10), at, Level::Satisfied),
        rating(3, 1, Some(10), at, Level::Dissatisfied),
        rating(4, 1, Some(10), at, Level::VeryDissatisfied),
    ];
    let params = KpiParams::beijing(bj(2026, 11, 1, 0, 0));
    let before = kpis(&rs, &[], Subject::Unit(1), &october(), &params);
    assert_eq!(before.bad_rate, Ratio::new(2, 4));
    // The appeal on rating 4 is overturned: it leaves the KPIs but stays in the history count.
    rs[3].excluded = true;
    let after = kpis(&rs, &[], Subject::Unit(1), &october(), &params);
    assert_eq!(after.bad_rate, Ratio::new(1, 3));
    assert_eq!(after.excluded_ratings, 1);
    assert_eq!(after.count(Level::VeryDissatisfied), 0);
    assert_eq!(after.good_rate, Ratio::new(2, 3));
}

#[test]
fn periods_use_the_local_date() {
    // 2026-10-31 23:30 Beijing is 15:30 UTC: October locally. 2026-11-01 00:30 Beijing is October in UTC.
    let rs = vec![
        rating(1, 1, None, bj(2026, 10, 31, 23, 30), Level::Satisfied),
        rating(2, 1, None, bj(2026, 11, 1, 0, 30), Level::Satisfied),
    ];
    let k = kpis(&rs, &[], Subject::All, &october(), &KpiParams::beijing(bj(2026, 11, 2, 0, 0)));
    assert_eq!(k.rated, 1);
    let utc = KpiParams { as_of: bj(2026, 11, 2, 0, 0), utc_offset_minutes: 0 };
    assert_eq!(kpis(&rs, &[], Subject::All, &october(), &utc).rated, 2);
}

#[test]
fn timeliness_counts_handled_and_overdue_cases_only() {
    let created = bj(2026, 10, 12, 9, 0);
    let due = date(2026, 10, 16);
    let mut on_time = case(1, 1, created);
    on_time.due_date = Some(due);
    // Handled at 23:59 local on the due date: still on time.
    on_time.handled_at = Some(bj(2026, 10, 16, 23, 59));
    let mut late = case(2, 1, created);
    late.due_date = Some(due);
    late.handled_at = Some(bj(2026, 10, 17, 0, 1));
    let mut open = case(3, 1, created);
    open.due_date = Some(due);
    let mut no_due = case(4, 1, created);
    no_due.handled_at = Some(created);
    let cases = vec![on_time, late, open, no_due];
    // On the due date the open case is not overdue yet.
    let on_due_day = kpis(&[], &cases, Subject::All, &october(), &KpiParams::beijing(bj(2026, 10, 16, 20, 0)));
    assert_eq!(on_due_day.timeliness, Ratio::new(1, 2));
    assert_eq!(on_due_day.overdue_open, 0);
    let next_day = kpis(&[], &cases, Subject::All, &october(), &KpiParams::beijing(bj(2026, 10, 17, 0, 0)));
    assert_eq!(next_day.timeliness, Ratio::new(1, 3));
    assert_eq!(next_day.overdue_open, 1);
    assert_eq!(next_day.cases, 4);
    let agg = Aggregate::from_facts(&[], &cases, BEIJING_UTC_OFFSET_MINUTES);
    assert_eq!(agg.kpis(Subject::All, &october(), bj(2026, 10, 16, 20, 0)), on_due_day);
    assert_eq!(agg.kpis(Subject::All, &october(), bj(2026, 10, 17, 0, 0)), next_day);
}

#[test]
fn case_rates_follow_their_definitions() {
    let at = bj(2026, 10, 12, 9, 0);
    let mut a = case(1, 1, at);
    a.closed = true;
    a.rectified = true;
    a.return_visit = Some(true);
    a.real_name = true;
    a.rating_id = Some(100);
    let mut b = case(2, 1, at);
    b.closed = true;
    b.return_visit = Some(false);
    let mut c = case(3, 1, at);
    c.real_name = true;
    c.rating_id = Some(101);
    // A real-name hotline complaint is not a real-name bad review.
    let mut d = case(4, 1, at);
    d.real_name = true;
    let mut e = case(5, 1, at);
    e.excluded = true;
    e.closed = true;
    let k = kpis(&[], &[a, b, c, d, e], Subject::All, &october(), &KpiParams::beijing(at));
    assert_eq!(k.cases, 4);
    assert_eq!(k.excluded_cases, 1);
    assert_eq!(k.rectification_rate, Ratio::new(1, 2));
    assert_eq!(k.return_visit_satisfaction, Ratio::new(1, 2));
    assert_eq!(k.real_name_visit_coverage, Ratio::new(1, 2));
}

#[test]
fn aggregate_updates_follow_an_appeal_and_refuse_unknown_facts() {
    let at = bj(2026, 10, 20, 10, 0);
    let good = rating(1, 1, Some(10), at, Level::VerySatisfied);
    let bad = RatingFact { real_name: true, ..rating(2, 1, Some(10), at, Level::Dissatisfied) };
    let mut agg = Aggregate::default();
    agg.add_rating(&good);
    agg.add_rating(&bad);
    assert_eq!(agg.kpis(Subject::Staff(10), &october(), at).bad_rate, Ratio::new(1, 2));
    let overturned = RatingFact { excluded: true, ..bad.clone() };
    assert_eq!(agg.update_rating(&bad, &overturned), Ok(()));
    let k = agg.kpis(Subject::Staff(10), &october(), at);
    assert_eq!(k.bad_rate, Ratio::new(0, 1));
    assert_eq!(k.excluded_ratings, 1);
    assert_eq!(k.real_name_bad, 0);
    // Removing what is not there changes nothing.
    let before = agg.clone();
    assert_eq!(agg.remove_rating(&bad), Err(AggregateError::NotPresent { kind: "评价", id: 2 }));
    assert_eq!(agg, before);
    let stranger = rating(3, 9, None, at, Level::Satisfied);
    assert!(agg.remove_rating(&stranger).is_err());
    assert_eq!(agg, before);
    // Removing everything leaves an empty aggregate.
    assert_eq!(agg.remove_rating(&good), Ok(()));
    assert_eq!(agg.remove_rating(&overturned), Ok(()));
    assert!(agg.is_empty());
}

#[test]
fn aggregates_with_different_time_zones_do_not_merge() {
    let mut a = Aggregate::new(480);
    let b = Aggregate::new(0);
    assert_eq!(a.merge(&b), Err(AggregateError::OffsetMismatch(480, 0)));
}

// ---- property: merged incremental aggregates give exactly the KPIs computed from the facts ----

fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    // 2026-09-28 .. 2026-11-04 in UTC, minute resolution: periods and month edges are crossed.
    let start = bj(2026, 9, 28, 0, 0).timestamp();
    (0i64..(38 * 24 * 60)).prop_map(move |m| DateTime::from_timestamp(start + m * 60, 0).unwrap_or_default())
}

fn arb_level() -> impl Strategy<Value = Level> {
    (0usize..5).prop_map(|i| Level::ALL[i])
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..38).prop_map(|d| date(2026, 9, 28) + chrono::Duration::days(d))
}

prop_compose! {
    fn arb_rating()(id in 0i64..1_000_000, unit_id in 1i64..4, staff in proptest::option::of(1i64..6),
                    rated_at in arb_instant(), level in arb_level(), real_name in any::<bool>(),
                    excluded in proptest::bool::weighted(0.2)) -> RatingFact {
        RatingFact { id, unit_id, staff_id: staff, rated_at, level, channel: (id % 8) as u8 + 1, real_name, excluded }
    }
}

prop_compose! {
    fn arb_case()(id in 0i64..1_000_000, unit_id in 1i64..4, staff in proptest::option::of(1i64..6),
                  rating_id in proptest::option::of(0i64..100), created_at in arb_instant(),
                  due_date in proptest::option::of(arb_date()), handled_at in proptest::option::of(arb_instant()),
                  closed in any::<bool>(), rectified in any::<bool>(),
                  return_visit in proptest::option::of(any::<bool>()), real_name in any::<bool>(),
                  excluded in proptest::bool::weighted(0.2)) -> CaseFact {
        CaseFact { id, unit_id, staff_id: staff, rating_id, created_at, due_date, handled_at, closed, rectified,
                   return_visit, real_name, excluded }
    }
}

fn arb_period() -> impl Strategy<Value = Period> {
    (arb_date(), 0i64..40).prop_map(|(first, len)| Period::new(first, first + chrono::Duration::days(len)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merged_aggregates_equal_direct_kpis(
        ratings in proptest::collection::vec(arb_rating(), 0..60),
        cases in proptest::collection::vec(arb_case(), 0..30),
        split in proptest::collection::vec(any::<bool>(), 90),
        period in arb_period(),
        as_of in arb_instant(),
        offset in prop_oneof![Just(480i16), Just(0i16), Just(-300i16)],
    ) {
        // Two shards, merged.
        let mut a = Aggregate::new(offset);
        let mut b = Aggregate::new(offset);
        for (i, r) in ratings.iter().enumerate() {
            if split.get(i).copied().unwrap_or(false) { a.add_rating(r) } else { b.add_rating(r) }
        }
        for (i, c) in cases.iter().enumerate() {
            if split.get(60 + i).copied().unwrap_or(false) { a.add_case(c) } else { b.add_case(c) }
        }
        prop_assert_eq!(a.merge(&b), Ok(()));
        prop_assert_eq!(&a, &Aggregate::from_facts(&ratings, &cases, offset));

        let params = KpiParams { as_of, utc_offset_minutes: offset };
        let mut subjects = vec![Subject::All];
        subjects.extend((1..4).map(Subject::Unit));
        subjects.extend((1..6).map(Subject::Staff));
        for s in subjects {
            prop_assert_eq!(a.kpis(s, &period, as_of), kpis(&ratings, &cases, s, &period, &params));
        }
        for g in [GroupBy::Unit, GroupBy::Staff] {
            prop_assert_eq!(a.kpis_by(g, &period, as_of), kpis_by(&ratings, &cases, g, &period, &params));
        }
        // Cells summed elsewhere (the replica's tables) and finished by `Cell::kpis` give the same.
        let mut sum = Cell::default();
        for (key, cell) in a.cells() {
            if period.contains(key.day) {
                sum.add(cell);
            }
        }
        prop_assert_eq!(
            sum.kpis(local_date(as_of, offset)),
            kpis(&ratings, &cases, Subject::All, &period, &params)
        );
        // The channel mix adds up to the ratings counted, exclusions and all.
        for s in [Subject::All, Subject::Unit(1), Subject::Staff(2)] {
            let mix: u64 = channel_counts(&ratings, s, &period, &params).values().sum();
            prop_assert_eq!(mix, kpis(&ratings, &cases, s, &period, &params).rated);
        }
    }

    #[test]
    fn removing_facts_equals_never_adding_them(
        ratings in proptest::collection::vec(arb_rating(), 0..40),
        cases in proptest::collection::vec(arb_case(), 0..20),
        keep in proptest::collection::vec(any::<bool>(), 60),
        period in arb_period(),
        as_of in arb_instant(),
    ) {
        let mut agg = Aggregate::from_facts(&ratings, &cases, 480);
        let mut kept_ratings = Vec::new();
        for (i, r) in ratings.iter().enumerate() {
            if keep.get(i).copied().unwrap_or(true) {
                kept_ratings.push(r.clone());
            } else {
                prop_assert_eq!(agg.remove_rating(r), Ok(()));
            }
        }
        let mut kept_cases = Vec::new();
        for (i, c) in cases.iter().enumerate() {
            if keep.get(40 + i).copied().unwrap_or(true) {
                kept_cases.push(c.clone());
            } else {
                prop_assert_eq!(agg.remove_case(c), Ok(()));
            }
        }
        prop_assert_eq!(&agg, &Aggregate::from_facts(&kept_ratings, &kept_cases, 480));
        let params = KpiParams::beijing(as_of);
        prop_assert_eq!(agg.kpis(Subject::All, &period, as_of), kpis(&kept_ratings, &kept_cases, Subject::All, &period, &params));
    }
}
