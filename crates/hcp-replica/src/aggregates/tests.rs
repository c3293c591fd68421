//! The aggregates stay equal to a full rebuild whatever the changes, and the KPIs read from them
//! equal `hcp_domain::kpi` over `hcp-stats`' facts of the same replica.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hcp_domain::case::machine::evolve;
use hcp_domain::kpi::{kpis, kpis_by, GroupBy, KpiParams, Period, Subject};
use hcp_domain::{Actor, CaseEvent, CaseSource, CaseState, EventPayload, Level, Role, ScopePath};
use hcp_protocol::{CaseEventRow, CaseRow, Change, ChangeOp, Counts, Entity, EntityRow, RatingRow};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use rusqlite::Connection;

use crate::{Replica, ReplicaKey, Settlement};

/// (unit id, unit path): 4 lies under 2.
const UNITS: [(i64, &str); 3] = [(2, "/1/2/"), (3, "/1/3/"), (4, "/1/2/4/")];
const SCOPES: [&str; 4] = ["/1/", "/1/2/", "/1/3/", "/1/2/4/"];

fn open(dir: &std::path::Path) -> Replica {
    let mut r = Replica::open(&dir.join("r.db"), &ReplicaKey::from_bytes([3; 32])).expect("open");
    let b = r.begin_bootstrap("/1/").expect("begin");
    b.finish(0, &Counts::default(), "2026-11-01T00:00:00Z").expect("finish");
    r
}

/// An instant between 2026-10-20 and 2026-11-12, often near local midnight (16:00 UTC), written
/// in one of the RFC 3339 forms the server might use.
fn instant(rng: &mut impl Rng) -> String {
    let base = Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).single().expect("base");
    let day = rng.gen_range(0..24);
    let secs = if rng.gen_bool(0.4) { 16 * 3600 + rng.gen_range(-90..90) } else { rng.gen_range(0..86_400) };
    let t = base + Duration::days(day) + Duration::seconds(secs);
    match rng.gen_range(0..4) {
        0 => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        1 => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        2 => t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("tz")).to_rfc3339(),
        _ => t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
    }
}

fn rating(rng: &mut impl Rng, id: i64) -> RatingRow {
    let (unit_id, path) = UNITS[rng.gen_range(0..UNITS.len())];
    RatingRow {
        id,
        source: "hall-device".into(),
        service_record_no: format!("SR{id}"),
        rating_count: 1,
        unit_id,
        unit_path: path.into(),
        department_id: None,
        window_id: None,
        staff_id: if rng.gen_bool(0.8) { Some(rng.gen_range(1..5)) } else { None },
        item_code: "X1".into(),
        item_name: "居民身份证换领".into(),
        channel: rng.gen_range(1..9),
        level: Level::ALL[rng.gen_range(0..5)],
        content_codes: vec![],
        comment: String::new(),
        evaluator_masked: "张*".into(),
        real_name: rng.gen_bool(0.5),
        rated_at: instant(rng),
    }
}

fn aggregate(unit: &str, at: DateTime<Utc>, real_name: bool, excluded: bool) -> hcp_domain::Case {
    let created = CaseEvent {
        version: 1,
        at,
        actor: Actor { user_id: 1, role: Role::HallManager, scope: ScopePath::root(1) },
        payload: EventPayload::Created {
            source: CaseSource::BadReview,
            unit: ScopePath::try_from(unit.to_owned()).expect("path"),
            rated_staff_id: None,
            real_name,
            summary: "排队太久".into(),
            content_codes: vec![],
            verify_due: None,
            service_item_id: None,
        },
    };
    let mut c = evolve(None, &created).expect("created");
    c.excluded_from_stats = excluded;
    c
}

fn case(rng: &mut impl Rng, id: i64) -> CaseRow {
    let (unit_id, path) = UNITS[rng.gen_range(0..UNITS.len())];
    let created_at = instant(rng);
    let at = DateTime::parse_from_rfc3339(&created_at).expect("instant").with_timezone(&Utc);
    let deadline = if rng.gen_bool(0.7) {
        Some((NaiveDate::from_ymd_opt(2026, 10, 22).expect("d") + Duration::days(rng.gen_range(0..20))).to_string())
    } else {
        None
    };
    let state = [CaseState::New, CaseState::Assigned, CaseState::Rectified, CaseState::Closed][rng.gen_range(0..4)];
    CaseRow {
        id,
        case_no: format!("CP-2026-{id:06}"),
        source: CaseSource::BadReview,
        rating_id: if rng.gen_bool(0.8) { Some(rng.gen_range(1..25)) } else { None },
        unit_id,
        unit_path: path.into(),
        department_id: None,
        staff_id: if rng.gen_bool(0.7) { Some(rng.gen_range(1..5)) } else { None },
        level: Some(Level::Dissatisfied),
        channel: Some(4),
        item_name: None,
        summary: "排队太久".into(),
        state,
        escalation_level: 0,
        handler_user_id: None,
        created_at,
        deadline,
        deadline_provisional: false,
        stage_deadline: None,
        version: rng.gen_range(1..5),
        updated_at: "2026-11-20T00:00:00Z".into(),
        aggregate: if rng.gen_bool(0.9) {
            Some(Box::new(aggregate(path, at, rng.gen_bool(0.5), rng.gen_bool(0.35))))
        } else {
            None
        },
    }
}

fn event(rng: &mut impl Rng, id: i64) -> CaseEventRow {
    let kind = ["rectification_reported", "resolved_on_spot", "return_visited", "assigned"][rng.gen_range(0..4)];
    let data = if kind == "return_visited" {
        serde_json::json!({"payload": {"kind": kind, "satisfied": rng.gen_bool(0.6)}})
    } else {
        serde_json::json!({"payload": {"kind": kind}})
    };
    CaseEventRow {
        id,
        case_id: rng.gen_range(1..16),
        unit_path: "/1/2/".into(),
        kind: kind.into(),
        actor_user_id: Some(1),
        actor_name: "张三".into(),
        at: instant(rng),
        data,
    }
}

/// A random change: mostly upserts, with exclusion flips (case upserts) and deletes.
fn change(rng: &mut impl Rng, seq: i64) -> Change {
    let (entity, id) = match rng.gen_range(0..10) {
        0..=3 => (Entity::Rating, rng.gen_range(1..25)),
        4..=6 => (Entity::Case, rng.gen_range(1..16)),
        _ => (Entity::CaseEvent, rng.gen_range(1..40)),
    };
    if rng.gen_bool(0.15) {
        return Change { seq, op: ChangeOp::Delete, entity, entity_id: id, row: None };
    }
    let row = match entity {
        Entity::Rating => EntityRow::Rating(rating(rng, id)),
        Entity::Case => EntityRow::Case(case(rng, id)),
        _ => EntityRow::CaseEvent(event(rng, id)),
    };
    Change { seq, op: ChangeOp::Upsert, entity, entity_id: id, row: Some(row) }
}

/// The rows `sql` selects, every column as it is stored.
fn rows(r: &Replica, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let mut stmt = r.conn().prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |row| (0..n).map(|i| row.get::<_, rusqlite::types::Value>(i)).collect())
        .expect("query")
        .collect::<rusqlite::Result<Vec<Vec<_>>>>()
        .expect("rows")
}

/// Every aggregate table's rows, in key order.
fn tables(r: &Replica) -> BTreeMap<&'static str, Vec<Vec<rusqlite::types::Value>>> {
    super::TABLES.into_iter().map(|t| (t, rows(r, &super::tests_order_by_key(r.conn(), t)))).collect()
}

fn rebuilt(r: &mut Replica) -> BTreeMap<&'static str, Vec<Vec<rusqlite::types::Value>>> {
    r.conn.execute_batch("SAVEPOINT check_rebuild").expect("savepoint");
    super::rebuild(r.conn()).expect("rebuild");
    let t = tables(r);
    r.conn.execute_batch("ROLLBACK TO check_rebuild; RELEASE check_rebuild").expect("rollback");
    t
}

fn periods() -> Vec<Period> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
    vec![
        Period::month(2026, 11).expect("month"),
        Period::month(2026, 10).expect("month"),
        Period::new(d(10, 25), d(11, 15)),
        Period::day(d(11, 1)),
        Period::new(d(10, 1), d(12, 31)),
        Period::new(d(10, 15), d(12, 10)),
        Period::new(d(9, 30), d(11, 30)),
    ]
}

/// The KPIs, months, trend and channel mix from the aggregates equal those from the facts.
fn assert_same_kpis(r: &Replica, as_of: DateTime<Utc>, context: &str) {
    let params = KpiParams::beijing(as_of);
    for scope in SCOPES {
        let ratings = hcp_stats::rating_facts(r.conn(), scope).expect("rating facts");
        let cases = hcp_stats::case_facts(r.conn(), scope).expect("case facts");
        for period in periods() {
            let what = format!("{context}, scope {scope}, {period:?}");
            let mut subjects = vec![Subject::All];
            subjects.extend(UNITS.iter().map(|(u, _)| Subject::Unit(*u)));
            subjects.extend((1..5).map(Subject::Staff));
            for subject in subjects {
                assert_eq!(
                    r.kpis(scope, subject, &period, as_of).expect("kpis"),
                    kpis(&ratings, &cases, subject, &period, &params),
                    "{what}, {subject:?}"
                );
            }
            for group in [GroupBy::Unit, GroupBy::Staff] {
                assert_eq!(
                    r.kpis_by(scope, group, &period, as_of).expect("kpis_by"),
                    kpis_by(&ratings, &cases, group, &period, &params),
                    "{what}, by {group:?}"
                );
            }
            let volume = r.monthly_volume(scope, &period).expect("volume");
            for (month, rated, bad) in &volume {
                let (y, m) = month.split_once('-').expect("month");
                let whole = Period::month(y.parse().expect("y"), m.parse().expect("m")).expect("month");
                let clipped = Period::new(whole.first.max(period.first), whole.last.min(period.last));
                let k = kpis(&ratings, &cases, Subject::All, &clipped, &params);
                assert_eq!((k.rated, k.bad), (*rated, *bad), "{what}: trend {month}");
            }
            let total: u64 = volume.iter().map(|(_, rated, _)| rated).sum();
            assert_eq!(total, kpis(&ratings, &cases, Subject::All, &period, &params).rated, "{what}: trend total");
            // The channel mix is the domain's: non-excluded ratings, adding up to `rated`.
            let mix: Vec<(u8, u64)> =
                hcp_domain::kpi::channel_counts(&ratings, Subject::All, &period, &params).into_iter().collect();
            assert_eq!(r.channel_counts(scope, &period).expect("channels"), mix, "{what}: channels");
        }
        let mut months: Vec<String> =
            ratings.iter().map(|f| super::local_date(f.rated_at).format("%Y-%m").to_string()).collect();
        months.sort();
        months.dedup();
        months.reverse();
        assert_eq!(r.rating_months(scope).expect("months"), months, "{context}, scope {scope}: months");
    }
}

#[test]
fn random_changes_keep_the_aggregates_equal_to_a_rebuild_and_the_kpis_equal_to_the_facts() {
    let mut covered = [0u64; 9];
    for seed in 0..12u64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = open(dir.path());
        let mut rng = StdRng::seed_from_u64(seed);
        let mut seq = 0;
        for step in 0..60 {
            if rng.gen_bool(0.1) {
                // The server's answer to a pushed command carries the case as it now is.
                let id = rng.gen_range(1..16);
                let c = case(&mut rng, id);
                r.settle(&[Settlement::Applied { command_id: format!("cmd-{seed}-{step}"), case: Some(Box::new(c)) }])
                    .expect("settle");
            } else {
                let page: Vec<Change> = (0..rng.gen_range(1..6))
                    .map(|_| {
                        seq += 1;
                        change(&mut rng, seq)
                    })
                    .collect();
                r.apply_changes(&page, seq).expect("apply");
            }
            assert_eq!(tables(&r), rebuilt(&mut r), "seed {seed}, step {step}: incremental == rebuild");
            if step % 15 == 14 {
                assert_same_kpis(&r, as_of(&mut rng), &format!("seed {seed}, step {step}"));
            }
        }
        let n: i64 = r.conn().query_row("SELECT count(*) FROM agg_case_units", [], |x| x.get(0)).expect("count");
        assert!(n > 0, "seed {seed}: the sequence left cases to compare");
        // The jurisdiction's totals (kept by triggers, compared with a rebuild above) were there to
        // compare, and the scope's KPIs read them.
        for t in super::agg_totals::TABLES {
            let n: i64 = r.conn().query_row(&format!("SELECT count(*) FROM {t}"), [], |x| x.get(0)).expect("count");
            assert!(n > 0, "seed {seed}: {t} is empty");
        }
        assert_eq!(r.scope().expect("scope").as_deref(), Some("/1/"), "the totals cover the scope read below");
        let wide = Period::new(
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("d"),
            NaiveDate::from_ymd_opt(2026, 12, 31).expect("d"),
        );
        let k = r.kpis("/1/", Subject::All, &wide, as_of(&mut rng)).expect("kpis");
        for (i, v) in [
            k.rated,
            k.excluded_ratings,
            k.excluded_cases,
            k.timeliness.numerator,
            k.timeliness.denominator - k.timeliness.numerator - k.overdue_open,
            k.overdue_open,
            k.rectification_rate.numerator,
            k.return_visit_satisfaction.numerator,
            k.real_name_visit_coverage.numerator,
        ]
        .into_iter()
        .enumerate()
        {
            covered[i] += v;
        }
    }
    assert!(covered.iter().all(|v| *v > 0), "every kind of count occurs in the random runs: {covered:?}");
}

/// A day to read the KPIs for, around and after the deadlines of the random cases.
fn as_of(rng: &mut impl Rng) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 25, 16, 0, 0).single().expect("as_of") + Duration::hours(rng.gen_range(0..24 * 24))
}

/// Case 1 is a real-name bad review; its rating leaves the statistics when the case is excluded
/// and comes back when the exclusion is lifted.
#[test]
fn an_exclusion_takes_the_rating_out_and_lifting_it_brings_it_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = open(dir.path());
    let mut rng = StdRng::seed_from_u64(7);
    let mut bad = rating(&mut rng, 1);
    (bad.unit_id, bad.unit_path, bad.level, bad.real_name) = (2, "/1/2/".into(), Level::VeryDissatisfied, true);
    bad.rated_at = "2026-11-03T02:00:00Z".into();
    let mut good = rating(&mut rng, 2);
    (good.unit_id, good.unit_path, good.level) = (2, "/1/2/".into(), Level::Satisfied);
    good.rated_at = "2026-11-04T02:00:00Z".into();
    let at = Utc.with_ymd_and_hms(2026, 11, 3, 3, 0, 0).single().expect("at");
    let mut c = case(&mut rng, 1);
    (c.rating_id, c.unit_id, c.unit_path, c.created_at) = (Some(1), 2, "/1/2/".into(), at.to_rfc3339());
    c.aggregate = Some(Box::new(aggregate("/1/2/", at, true, false)));
    let upsert = |seq, row| Change { seq, op: ChangeOp::Upsert, entity: Entity::Rating, entity_id: 0, row: Some(row) };
    let mut page = vec![upsert(1, EntityRow::Rating(bad)), upsert(2, EntityRow::Rating(good))];
    page[1].entity_id = 2;
    page[0].entity_id = 1;
    page.push(Change {
        seq: 3,
        op: ChangeOp::Upsert,
        entity: Entity::Case,
        entity_id: 1,
        row: Some(EntityRow::Case(c.clone())),
    });
    r.apply_changes(&page, 3).expect("apply");
    let nov = Period::month(2026, 11).expect("month");
    let as_of = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single().expect("as_of");
    let k = r.kpis("/1/", Subject::All, &nov, as_of).expect("kpis");
    assert_eq!((k.rated, k.bad, k.real_name_bad, k.excluded_ratings, k.cases), (2, 1, 1, 0, 1));

    // Malicious review confirmed (or appeal overturned): the case is excluded.
    let mut excluded = c.clone();
    excluded.aggregate = Some(Box::new(aggregate("/1/2/", at, true, true)));
    let flip = |seq, row: &CaseRow| Change {
        seq,
        op: ChangeOp::Upsert,
        entity: Entity::Case,
        entity_id: 1,
        row: Some(EntityRow::Case(row.clone())),
    };
    r.apply_changes(&[flip(4, &excluded)], 4).expect("exclude");
    let k = r.kpis("/1/", Subject::All, &nov, as_of).expect("kpis");
    assert_eq!((k.rated, k.bad, k.real_name_bad, k.excluded_ratings, k.cases, k.excluded_cases), (1, 0, 0, 1, 0, 1));
    assert_eq!(tables(&r), rebuilt(&mut r));

    // The exclusion is lifted again: everything is back.
    r.apply_changes(&[flip(5, &c)], 5).expect("re-include");
    let k = r.kpis("/1/", Subject::All, &nov, as_of).expect("kpis");
    assert_eq!((k.rated, k.bad, k.real_name_bad, k.excluded_ratings, k.cases, k.excluded_cases), (2, 1, 1, 0, 1, 0));
    assert_eq!(tables(&r), rebuilt(&mut r));
    assert_same_kpis(&r, as_of, "exclusion lifted");
}

/// A replica that predates the aggregates gets them built by the migration.
#[test]
fn the_migration_builds_the_aggregates_of_an_existing_replica() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = open(dir.path());
    let mut rng = StdRng::seed_from_u64(99);
    let page: Vec<Change> = (1..=40).map(|s| change(&mut rng, s)).collect();
    r.apply_changes(&page, 40).expect("apply");
    let expected = tables(&r);
    assert!(expected.values().any(|rows| !rows.is_empty()));
    // Back to the schema version before the aggregates, with the aggregate tables empty.
    let before = super::super::MIGRATIONS.len() - 1;
    for t in super::TABLES {
        r.conn().execute(&format!("DELETE FROM {t}"), []).expect("empty");
    }
    r.conn().pragma_update(None, "user_version", before as i64).expect("version");
    drop(r);
    let r = Replica::open(&dir.path().join("r.db"), &ReplicaKey::from_bytes([3; 32])).expect("reopen");
    assert_eq!(tables(&r), expected);
}

/// A re-bootstrap (a new jurisdiction, or a fresh start) replaces the aggregates with the new
/// snapshot's, built in bulk; a snapshot that fails leaves the old ones untouched.
#[test]
fn a_rebootstrap_replaces_the_aggregates_and_a_failed_one_keeps_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = open(dir.path());
    let mut rng = StdRng::seed_from_u64(3);
    let page: Vec<Change> = (1..=60).map(|s| change(&mut rng, s)).collect();
    r.apply_changes(&page, 60).expect("apply");
    let old = tables(&r);

    // A snapshot cut short rolls back: the aggregates are as they were.
    let mut b = r.begin_bootstrap("/1/3/").expect("begin");
    b.insert(&EntityRow::Rating(rating(&mut rng, 1))).expect("row");
    assert!(b.finish(9, &Counts { rating: 2, ..Counts::default() }, "2026-11-21T00:00:00Z").is_err());
    assert_eq!(tables(&r), old);

    // The jurisdiction moves to /1/3/: only its rows, and their aggregates, remain.
    let mut b = r.begin_bootstrap("/1/3/").expect("begin");
    let mut counts = Counts::default();
    for id in 1..=30 {
        let mut row = rating(&mut rng, id);
        (row.unit_id, row.unit_path) = (3, "/1/3/".into());
        b.insert(&EntityRow::Rating(row)).expect("rating");
        counts.rating += 1;
    }
    for id in 1..=10 {
        let mut row = case(&mut rng, id);
        (row.unit_id, row.unit_path) = (3, "/1/3/".into());
        b.insert(&EntityRow::Case(row)).expect("case");
        counts.case += 1;
    }
    for id in 1..=20 {
        let mut row = event(&mut rng, id);
        row.case_id = rng.gen_range(1..=10);
        b.insert(&EntityRow::CaseEvent(row)).expect("event");
        counts.case_event += 1;
    }
    // A confirmed integrity flag takes three ratings out (the fold counted them in as they came).
    b.insert(&EntityRow::IntegrityFlag(hcp_protocol::IntegrityFlagRow {
        id: 1,
        unit_id: 3,
        unit_path: "/1/3/".into(),
        kind: hcp_domain::integrity::FlagKind::BurstSameDevice,
        severity: hcp_domain::integrity::Severity::High,
        explanation: "同一评价器短时间内集中评价".into(),
        rating_ids: vec![4, 5, 6],
        status: hcp_protocol::FlagStatus::ConfirmedFake,
        decided_by: Some(1),
        decided_by_name: Some("王科长".into()),
        decided_at: Some("2026-11-20T02:00:00Z".into()),
        decision_note: Some("核实为刷评".into()),
        detected_at: "2026-11-19T02:00:00Z".into(),
        version: 2,
    }))
    .expect("flag");
    counts.integrity_flag += 1;
    b.finish(70, &counts, "2026-11-21T00:00:00Z").expect("finish");
    let excluded: i64 =
        r.conn().query_row("SELECT sum(n_excluded) FROM agg_rating_units", [], |x| x.get(0)).expect("excluded");
    assert!(excluded >= 3, "the flag's ratings are excluded ({excluded})");
    let now = tables(&r);
    assert_ne!(now, old);
    assert_eq!(now, rebuilt(&mut r));
    for t in super::TABLES.into_iter().filter(|t| !super::agg_totals::TABLES.contains(t)) {
        let outside: i64 = r
            .conn()
            .query_row(&format!("SELECT count(*) FROM {t} WHERE unit_path <> '/1/3/'"), [], |x| x.get(0))
            .expect("count");
        assert_eq!(outside, 0, "{t} holds nothing of the old jurisdiction");
    }
    let as_of = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single().expect("as_of");
    assert_same_kpis(&r, as_of, "after the re-bootstrap");
}

#[test]
fn a_period_reads_whole_months_from_month_rows_and_its_ends_from_day_rows() {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
    let s = |g: &str, a: &str, b: &str| (g.to_owned(), a.to_owned(), b.to_owned());
    let spans = |p: Period| super::spans(&p).into_iter().map(|(g, a, b)| (g.to_owned(), a, b)).collect::<Vec<_>>();
    assert_eq!(spans(Period::month(2026, 11).expect("month")), vec![s("m", "2026-11", "2026-11")]);
    assert_eq!(
        spans(Period::new(d(10, 15), d(12, 10))),
        vec![s("d", "2026-10-15", "2026-10-31"), s("m", "2026-11", "2026-11"), s("d", "2026-12-01", "2026-12-10")]
    );
    assert_eq!(spans(Period::new(d(10, 25), d(11, 15))), vec![s("d", "2026-10-25", "2026-11-15")]);
    assert_eq!(
        spans(Period::new(d(1, 1), d(12, 31))),
        vec![s("m", "2026-01", "2026-12")],
        "a whole year is twelve month rows per key"
    );
    assert_eq!(spans(Period::new(d(2, 1), d(2, 27))), vec![s("d", "2026-02-01", "2026-02-27")]);
    assert!(spans(Period::new(d(3, 2), d(3, 1))).is_empty());
}

/// The bootstrap's fold computes the local day in Rust: wherever it does, it agrees with the
/// view's `date(instant, '+480 minutes')`, and it declines every form it is not sure of.
#[test]
fn the_folded_local_day_agrees_with_sqlite_or_declines() {
    let conn = Connection::open_in_memory().expect("memory");
    let sqlite = |s: &str| -> Option<String> {
        conn.query_row("SELECT date(?1, '+480 minutes')", [s], |r| r.get(0)).expect("date")
    };
    let mut rng = StdRng::seed_from_u64(9);
    let mut agreed = 0;
    let mut forms: Vec<String> = (0..2_000).map(|_| instant(&mut rng)).collect();
    forms.extend(
        [
            "2026-11-20T15:59:59Z",
            "2026-11-20T16:00:00Z",
            "2026-11-20T23:59:59.999-08:00",
            "2026-11-20T00:00:00.000000+14:00",
            "2026-12-31T16:00:00.5Z",
            "2026-02-28T16:00:00Z",
            "2028-02-28T16:00:00Z",
        ]
        .map(str::to_owned),
    );
    for s in &forms {
        let ours = super::local_day(s).map(|d| String::from_utf8(d.to_vec()).expect("ascii"));
        assert_eq!(ours.as_deref(), sqlite(s).as_deref(), "{s}");
        agreed += 1;
    }
    assert_eq!(agreed, forms.len());
    for s in [
        "2026-11-20 16:00:00",
        "2026-11-20T16:00:00",
        "2026-11-20t16:00:00z",
        "2026-11-20T15:59:59.9999Z",
        "2026-02-30T08:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T16:00:60Z",
        "9999-12-31T20:00:00Z",
        "2026-11-20T16:00:00+0800",
        "2026-11-20T16:00:00.Z",
        "",
        "2026",
        "２０２６-11-20T16:00:00Z",
    ] {
        assert_eq!(super::local_day(s), None, "{s} is declined (the rebuild scans the view instead)");
    }
}

/// The statistics views written from `hcp_stats::rules` hold exactly what the definitions shipped
/// before them held (the views of the verdicts' migration), row for row, after random changes.
#[test]
fn the_views_from_the_shared_rules_equal_the_shipped_ones() {
    let views = |r: &Replica| {
        [rows(r, "SELECT * FROM stat_ratings ORDER BY id"), rows(r, "SELECT * FROM stat_cases ORDER BY id")]
    };
    for seed in 0..4u64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = open(dir.path());
        let mut rng = StdRng::seed_from_u64(seed);
        let page: Vec<Change> = (1..=120).map(|seq| change(&mut rng, seq)).collect();
        r.apply_changes(&page, 120).expect("apply");
        let ours = views(&r);
        assert!(ours.iter().all(|v| v.len() > 5), "seed {seed}: rows of both views to compare");
        r.conn.execute_batch("SAVEPOINT shipped").expect("savepoint");
        r.conn.execute_batch(crate::tables::integrity_flags::STATS_DDL).expect("the shipped views");
        let shipped = views(&r);
        r.conn.execute_batch("ROLLBACK TO shipped; RELEASE shipped").expect("rollback");
        assert_eq!(ours, shipped, "seed {seed}");
    }
}
