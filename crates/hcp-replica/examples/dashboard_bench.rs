//! How fast the dashboard reads on a large replica: loads synthetic ratings, cases and case events
//! into a fresh encrypted replica through the bootstrap path, then times every statement the
//! dashboard runs (and, for comparison, the old path that read every fact), the inbox, and pulled
//! pages that keep the aggregates current. Prints timings; asserts nothing about them.
//!
//! ```sh
//! cargo run -p hcp-replica --example dashboard_bench --release -- 1000000
//! ```
//! The argument is the number of ratings (default 1,000,000); about one in ten is a bad review
//! that opens a case.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hcp_domain::case::machine::evolve;
use hcp_domain::kpi::{GroupBy, Period, Subject};
use hcp_domain::{Actor, CaseEvent, CaseSource, CaseState, EventPayload, Level, OrgKind, Role, ScopePath};
use hcp_protocol::{
    CaseEventRow, CaseRow, Change, ChangeOp, Counts, Entity, EntityRow, OrgUnitRow, RatingRow, StaffRow,
};
use hcp_replica::{CaseQuery, Replica, ReplicaKey};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const HALLS: i64 = 24;
const STAFF_PER_HALL: i64 = 80;
const DAYS: i64 = 365;

fn hall_path(h: i64) -> String {
    format!("/1/{}/", 100 + h)
}

fn aggregate(unit: &str, at: DateTime<Utc>, real_name: bool, excluded: bool) -> anyhow::Result<hcp_domain::Case> {
    let created = CaseEvent {
        version: 1,
        at,
        actor: Actor { user_id: 1, role: Role::HallManager, scope: ScopePath::root(1) },
        payload: EventPayload::Created {
            source: CaseSource::BadReview,
            unit: ScopePath::try_from(unit.to_owned()).map_err(|e| anyhow::anyhow!("{e}"))?,
            rated_staff_id: None,
            real_name,
            summary: "窗口办理时间过长".into(),
            content_codes: vec![],
            verify_due: None,
            service_item_id: None,
        },
    };
    let mut c = evolve(None, &created).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    c.excluded_from_stats = excluded;
    Ok(c)
}

/// p50, p95 and max of `runs` calls of `f`.
fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<()> {
    let mut samples: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    report(label, samples);
    Ok(())
}

fn report(label: &str, mut samples: Vec<Duration>) {
    let runs = samples.len();
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1e3;
    tracing::info!(
        "{label:<44} p50 {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms  ({runs} runs)",
        p(0.5),
        p(0.95),
        p(1.0)
    );
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .without_time()
        .init();
    let ratings: i64 = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let mut replica = Replica::open(&dir.path().join("bench.db"), &ReplicaKey::from_bytes([5; 32]))?;
    let mut rng = StdRng::seed_from_u64(2026);
    let start = Utc.with_ymd_and_hms(2025, 11, 30, 16, 0, 0).single().context("start")?;

    let load = Instant::now();
    let mut counts = Counts::default();
    let mut boot = replica.begin_bootstrap("/1/")?;
    let mut put = |row: EntityRow, counts: &mut Counts| -> anyhow::Result<()> {
        counts.add(row.entity(), 1);
        boot.insert(&row)?;
        Ok(())
    };
    put(
        EntityRow::OrgUnit(OrgUnitRow {
            id: 1,
            parent_id: None,
            kind: OrgKind::City,
            name: "江城市".into(),
            code: "420100".into(),
            path: "/1/".into(),
            active: true,
        }),
        &mut counts,
    )?;
    for h in 0..HALLS {
        put(
            EntityRow::OrgUnit(OrgUnitRow {
                id: 100 + h,
                parent_id: Some(1),
                kind: OrgKind::Hall,
                name: format!("第{h}政务服务大厅"),
                code: format!("H{h}"),
                path: hall_path(h),
                active: true,
            }),
            &mut counts,
        )?;
        for s in 0..STAFF_PER_HALL {
            let id = 1 + h * STAFF_PER_HALL + s;
            put(
                EntityRow::Staff(StaffRow {
                    id,
                    unit_id: 100 + h,
                    department_id: None,
                    window_id: None,
                    name: format!("工作人员{id}"),
                    employee_no: format!("E{id}"),
                    unit_path: hall_path(h),
                }),
                &mut counts,
            )?;
        }
    }
    let (mut case_id, mut event_id) = (0i64, 0i64);
    for id in 1..=ratings {
        let h = rng.gen_range(0..HALLS);
        let at = start + chrono::Duration::seconds(rng.gen_range(0..DAYS * 86_400));
        let roll = rng.gen_range(0..100);
        let level = match roll {
            0..=59 => Level::VerySatisfied,
            60..=81 => Level::Satisfied,
            82..=89 => Level::BasicallySatisfied,
            90..=96 => Level::Dissatisfied,
            _ => Level::VeryDissatisfied,
        };
        let staff = 1 + h * STAFF_PER_HALL + rng.gen_range(0..STAFF_PER_HALL);
        let real_name = rng.gen_bool(0.6);
        put(
            EntityRow::Rating(RatingRow {
                id,
                source: "hall-device".into(),
                service_record_no: format!("SR{id:09}"),
                rating_count: 1,
                unit_id: 100 + h,
                unit_path: hall_path(h),
                department_id: None,
                window_id: None,
                staff_id: Some(staff),
                item_code: "11420100MB0001".into(),
                item_name: "居民身份证换领".into(),
                channel: rng.gen_range(1..9),
                level,
                content_codes: vec![],
                comment: String::new(),
                evaluator_masked: "张*".into(),
                real_name,
                rated_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            &mut counts,
        )?;
        if !level.is_bad() {
            continue;
        }
        case_id += 1;
        let due = (at + chrono::Duration::days(7)).date_naive();
        let handled = rng.gen_bool(0.85);
        let closed = handled && rng.gen_bool(0.8);
        let created_at = at + chrono::Duration::minutes(5);
        put(
            EntityRow::Case(CaseRow {
                id: case_id,
                case_no: format!("CP-2026-{case_id:06}"),
                source: CaseSource::BadReview,
                rating_id: Some(id),
                unit_id: 100 + h,
                unit_path: hall_path(h),
                department_id: None,
                staff_id: Some(staff),
                level: Some(level),
                channel: Some(4),
                item_name: Some("居民身份证换领".into()),
                summary: "窗口办理时间过长".into(),
                state: if closed { CaseState::Closed } else { CaseState::Assigned },
                escalation_level: 0,
                handler_user_id: None,
                created_at: created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                deadline: Some(due.to_string()),
                deadline_provisional: false,
                stage_deadline: None,
                version: 3,
                updated_at: created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                aggregate: Some(Box::new(aggregate(&hall_path(h), created_at, real_name, rng.gen_bool(0.03))?)),
            }),
            &mut counts,
        )?;
        let mut event = |kind: &str, at: DateTime<Utc>, data: serde_json::Value, counts: &mut Counts| {
            event_id += 1;
            put(
                EntityRow::CaseEvent(CaseEventRow {
                    id: event_id,
                    case_id,
                    unit_path: hall_path(h),
                    kind: kind.into(),
                    actor_user_id: Some(1),
                    actor_name: "张三".into(),
                    at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    data,
                }),
                counts,
            )
        };
        event("created", created_at, serde_json::json!({"payload": {"kind": "created"}}), &mut counts)?;
        event("assigned", created_at + chrono::Duration::hours(2), serde_json::json!({}), &mut counts)?;
        if handled {
            let t = created_at + chrono::Duration::hours(rng.gen_range(4..240));
            event("rectification_reported", t, serde_json::json!({}), &mut counts)?;
            if rng.gen_bool(0.7) {
                let data = serde_json::json!({"payload": {"kind": "return_visited", "satisfied": rng.gen_bool(0.8)}});
                event("return_visited", t + chrono::Duration::hours(24), data, &mut counts)?;
            }
        }
    }
    let inserted = load.elapsed();
    let finish = Instant::now();
    boot.finish(1, &counts, "2026-11-30T00:00:00Z")?;
    tracing::info!(
        "bootstrap of {} ratings, {} cases, {} case events: rows inserted in {:.1} s, finish (aggregates built + commit) {:.1} s",
        counts.rating,
        counts.case,
        counts.case_event,
        inserted.as_secs_f64(),
        finish.elapsed().as_secs_f64()
    );
    let rebuild = Instant::now();
    replica.conn().execute_batch("BEGIN")?;
    hcp_replica::aggregates::rebuild(replica.conn())?;
    replica.conn().execute_batch("ROLLBACK")?;
    tracing::info!("aggregates rebuilt alone in {:.1} s", rebuild.elapsed().as_secs_f64());
    for t in hcp_replica::aggregates::TABLES {
        let n: i64 = replica.conn().query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
        tracing::info!("{t:<22} {n:>9} rows");
    }

    // The dashboard of 2026-11, as `hcp_app::dashboard` reads it.
    let now = Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).single().context("now")?;
    let month = Period::month(2026, 11).context("month")?;
    let previous = Period::month(2026, 10).context("month")?;
    let year = Period::new(NaiveDate::from_ymd_opt(2025, 12, 1).context("d")?, month.last);
    let r = &replica;
    let runs = 30;
    time("months with ratings", runs, || Ok(r.rating_months("/1/")?))?;
    time("KPIs, whole jurisdiction, month", runs, || Ok(r.kpis("/1/", Subject::All, &month, now)?))?;
    time("KPIs, whole jurisdiction, previous month", runs, || Ok(r.kpis("/1/", Subject::All, &previous, now)?))?;
    time("KPIs, whole jurisdiction, 12 months", runs, || Ok(r.kpis("/1/", Subject::All, &year, now)?))?;
    time("KPIs per hall, month (ranking)", runs, || Ok(r.kpis_by("/1/", GroupBy::Unit, &month, now)?))?;
    time("trend, 12 months", runs, || Ok(r.monthly_volume("/1/", &year)?))?;
    time("channel mix, month", runs, || Ok(r.channel_counts("/1/", &month)?))?;
    time("KPIs, one hall, month", runs, || Ok(r.kpis("/1/", Subject::Unit(105), &month, now)?))?;
    time("KPIs per staff member, month", runs, || Ok(r.kpis_by("/1/", GroupBy::Staff, &month, now)?))?;
    time("KPIs, one staff member, 12 months", runs, || Ok(r.kpis("/1/", Subject::Staff(42), &year, now)?))?;
    time("whole dashboard (all of the above but staff)", runs, || {
        r.rating_months("/1/")?;
        r.kpis("/1/", Subject::All, &month, now)?;
        r.kpis("/1/", Subject::All, &previous, now)?;
        r.kpis_by("/1/", GroupBy::Unit, &month, now)?;
        r.monthly_volume("/1/", &year)?;
        Ok(r.channel_counts("/1/", &month)?)
    })?;
    time("inbox, first page", runs, || Ok(r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() })?))?;
    time("inbox, last page", runs, || {
        let total = r.list_cases(&CaseQuery { limit: 1, ..CaseQuery::default() })?.total;
        Ok(r.list_cases(&CaseQuery { limit: 20, offset: total.saturating_sub(20), ..CaseQuery::default() })?)
    })?;
    time("inbox, state filter", runs, || {
        Ok(r.list_cases(&CaseQuery { state: Some(CaseState::Assigned), limit: 50, ..CaseQuery::default() })?)
    })?;
    time("old path: read every fact + domain KPIs", 3, || {
        let ratings = hcp_stats::rating_facts(r.conn(), "/1/")?;
        let cases = hcp_stats::case_facts(r.conn(), "/1/")?;
        Ok(hcp_domain::kpi::kpis(&ratings, &cases, Subject::All, &month, &hcp_domain::KpiParams::beijing(now)))
    })?;

    // Pulled pages: 100 changes each (new ratings, and case exclusion flips), aggregates kept current.
    let mut seq = 1;
    let mut next_rating = ratings;
    let mut samples = Vec::new();
    for _ in 0..20 {
        let mut page = Vec::with_capacity(100);
        for i in 0..100 {
            seq += 1;
            if i % 4 == 0 {
                let id = rng.gen_range(1..=case_id);
                let mut c = replica.case(id)?.with_context(|| format!("case {id}"))?;
                if let Some(a) = c.aggregate.as_mut() {
                    a.excluded_from_stats = !a.excluded_from_stats;
                }
                page.push(Change {
                    seq,
                    op: ChangeOp::Upsert,
                    entity: Entity::Case,
                    entity_id: id,
                    row: Some(EntityRow::Case(c)),
                });
            } else {
                next_rating += 1;
                let h = rng.gen_range(0..HALLS);
                let row = RatingRow {
                    id: next_rating,
                    source: "hall-device".into(),
                    service_record_no: format!("SR{next_rating:09}"),
                    rating_count: 1,
                    unit_id: 100 + h,
                    unit_path: hall_path(h),
                    department_id: None,
                    window_id: None,
                    staff_id: Some(1 + h * STAFF_PER_HALL),
                    item_code: "11420100MB0001".into(),
                    item_name: "居民身份证换领".into(),
                    channel: 3,
                    level: Level::Satisfied,
                    content_codes: vec![],
                    comment: String::new(),
                    evaluator_masked: "李*".into(),
                    real_name: false,
                    rated_at: "2026-11-29T02:00:00Z".into(),
                };
                page.push(Change {
                    seq,
                    op: ChangeOp::Upsert,
                    entity: Entity::Rating,
                    entity_id: row.id,
                    row: Some(EntityRow::Rating(row)),
                });
            }
        }
        let t = Instant::now();
        replica.apply_changes(&page, seq)?;
        samples.push(t.elapsed());
    }
    report("pull page of 100 changes (aggregates kept)", samples);
    Ok(())
}
