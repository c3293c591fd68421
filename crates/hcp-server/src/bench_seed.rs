//! The `bench` seed profile: a synthetic jurisdiction from `hcp-synth` (by default a year of
//! 1 M ratings and 100 k cases with their events) bulk-loaded into an empty database in one
//! transaction: prepared statements on SQLite, `COPY` on PostgreSQL. Every row also gets its
//! change-log entry, and appeal and accountability events their evidence-chain entries, so the
//! result serves snapshots, pulls and the evidence check like data that arrived through the API.

use chrono::NaiveDate;
use hcp_protocol::{CaseEventRow, CaseRow, Entity};
use hcp_synth::{Profile, Synth, SynthCase};

pub use crate::province_seed::{seed_province, ProvinceOptions};

use crate::auth::hash_password;
use crate::db::evidence::{self, GENESIS};
use crate::db::{users, Conn, Db, DbError, DbResult, Dialect, Value};
use crate::seed::{SeedReport, DEMO_PASSWORD};

/// What to generate.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub evaluations: u64,
    pub seed: u64,
    /// The day the data leads up to (the year before it is generated).
    pub today: NaiveDate,
}

/// Cases written per batch (with their events and change-log entries).
const CASE_BATCH: usize = 5_000;
/// Ratings written per batch.
const RATING_BATCH: usize = 20_000;

pub(crate) fn synth_error(e: impl std::fmt::Display) -> DbError {
    DbError::Config(format!("synthetic data: {e}"))
}

pub(crate) fn change(entity: Entity, id: i64, path: &str, at: &str) -> Vec<Value> {
    vec![entity.as_str().into(), id.into(), path.into(), "upsert".into(), at.into()]
}

pub(crate) const CHANGE_COLS: &[&str] = &["entity", "entity_id", "unit_path", "op", "at"];

/// Loads the bench jurisdiction into an empty database. Refuses a database that holds users.
pub fn seed_bench(db: &Db, opts: &BenchOptions) -> Result<SeedReport, DbError> {
    let profile = Profile { seed: opts.seed, ..Profile::leading_up_to(opts.today).scaled(opts.evaluations) };
    let synth = Synth::new(profile).map_err(synth_error)?;
    let hashed = hash_password(DEMO_PASSWORD).map_err(|e| DbError::Config(format!("hash: {e}")))?;
    let dialect = db.dialect();
    db.write_blocking(move |c| {
        if users::count(c)? > 0 {
            return Err(DbError::Config("the database already holds data; seed only an empty database".into()));
        }
        let mut chain_head = GENESIS.to_owned();
        let report = load(c, &synth, &hashed, &Placement::as_generated(), &mut chain_head, |_| {})?;
        mark_scanned(c)?;
        if dialect == Dialect::Postgres {
            move_sequences(c, &["org_units", "staff", "users", "ratings", "cases", "case_events"])?;
        }
        Ok(report)
    })
}

/// Where one synthetic city's rows go: as generated (the `bench` city), or after the cities loaded
/// before it and below a province's root (`province`): ids moved past theirs, unit paths below the
/// root, and the names that must be unique (unit codes, employee numbers, user names, record and
/// case numbers) prefixed.
pub(crate) struct Placement {
    /// The province's root unit (its id and path), for a city placed below it.
    pub root: Option<(i64, String)>,
    /// Prefix of codes, employee numbers, user names and record and case numbers.
    pub prefix: String,
    /// Added to the city's ids of each table.
    pub units: i64,
    pub staff: i64,
    pub users: i64,
    pub ratings: i64,
    pub cases: i64,
    pub events: i64,
}

impl Placement {
    pub fn as_generated() -> Placement {
        Placement { root: None, prefix: String::new(), units: 0, staff: 0, users: 0, ratings: 0, cases: 0, events: 0 }
    }

    fn unit(&self, id: i64) -> i64 {
        id + self.units
    }

    fn path(&self, path: &str) -> String {
        match &self.root {
            None => path.to_owned(),
            Some((_, root)) => {
                path.split('/').filter_map(|p| p.parse::<i64>().ok()).fold(root.clone(), |mut out, id| {
                    out.push_str(&format!("{}/", self.unit(id)));
                    out
                })
            }
        }
    }

    fn named(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn user(&self, id: i64) -> i64 {
        if id > 0 {
            id + self.users
        } else {
            id
        }
    }

    /// A case's aggregate with its unit path and the ids it names placed.
    fn case(&self, r: &CaseRow) -> DbResult<CaseRow> {
        let mut r = r.clone();
        r.id += self.cases;
        r.case_no = self.named(&r.case_no);
        r.rating_id = r.rating_id.map(|id| id + self.ratings);
        r.unit_id = self.unit(r.unit_id);
        r.unit_path = self.path(&r.unit_path);
        r.department_id = r.department_id.map(|id| self.unit(id));
        r.staff_id = r.staff_id.map(|id| id + self.staff);
        r.handler_user_id = r.handler_user_id.map(|id| self.user(id));
        if let Some(a) = r.aggregate.as_mut() {
            a.unit = hcp_domain::ScopePath::try_from(self.path(a.unit.as_str()))
                .map_err(|e| DbError::Corrupt(format!("case {}: {e}", r.id)))?;
            a.created_by = self.user(a.created_by);
            a.rated_staff_id = a.rated_staff_id.map(|id| id + self.staff);
            a.exclusion_requested_by = a.exclusion_requested_by.map(|id| self.user(id));
            a.department_id = a.department_id.map(|id| self.unit(id));
            a.assignee_id = a.assignee_id.map(|id| self.user(id));
            a.extension_requested_by = a.extension_requested_by.map(|id| self.user(id));
            a.appellant_id = a.appellant_id.map(|id| self.user(id));
        }
        Ok(r)
    }

    fn event(&self, e: &CaseEventRow) -> CaseEventRow {
        let mut e = e.clone();
        e.id += self.events;
        e.case_id += self.cases;
        e.unit_path = self.path(&e.unit_path);
        e.actor_user_id = e.actor_user_id.map(|id| self.user(id));
        e
    }
}

/// The synthetic integrity detection is not run over the loaded ratings (the benchmarks measure
/// intake and sync, not a first scan of millions of ratings): they are marked as looked at.
pub(crate) fn mark_scanned(c: &Conn<'_>) -> DbResult<()> {
    let last: i64 = c.query_row("SELECT coalesce(max(id), 0) FROM ratings", (), |r| r.get(0))?;
    crate::db::integrity_flags::set_scanned_up_to(c, last)
}

/// Rows came with their ids: moves PostgreSQL's identity sequences of `tables` past them.
pub(crate) fn move_sequences(c: &Conn<'_>, tables: &[&str]) -> DbResult<()> {
    for table in tables {
        c.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            ),
            (),
        )?;
    }
    Ok(())
}

/// Loads one synthetic city where `place` puts it, chaining its evidence after `chain_head`;
/// `rating` sees every rating row as written.
pub(crate) fn load(
    c: &Conn<'_>,
    synth: &Synth,
    password_hash: &str,
    place: &Placement,
    chain_head: &mut String,
    mut rating: impl FnMut(&hcp_protocol::RatingRow),
) -> DbResult<SeedReport> {
    let j = synth.jurisdiction();
    let at = synth.as_of().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut report = SeedReport::default();
    let mut feed: Vec<Vec<Value>> = Vec::new();

    report.org_units = c.bulk_insert(
        "org_units",
        &["id", "parent_id", "kind", "name", "code", "path"],
        j.units.iter().map(|u| {
            let (id, path) = (place.unit(u.id), place.path(&u.path));
            feed.push(change(Entity::OrgUnit, id, &path, &at));
            let parent = u.parent_id.map(|p| place.unit(p)).or(place.root.as_ref().map(|r| r.0));
            let name = match (&place.root, u.parent_id) {
                (Some(_), None) => format!("{}{}", u.name, place.prefix.trim_end_matches('.')),
                _ => u.name.clone(),
            };
            vec![
                id.into(),
                parent.into(),
                u.kind.as_str().into(),
                name.into(),
                place.named(&u.code).into(),
                path.into(),
            ]
        }),
    )? as usize;
    report.staff = c.bulk_insert(
        "staff",
        &["id", "unit_id", "department_id", "window_id", "name", "employee_no", "unit_path"],
        j.staff.iter().map(|s| {
            let (id, path) = (s.id + place.staff, place.path(&s.unit_path));
            feed.push(change(Entity::Staff, id, &path, &at));
            vec![
                id.into(),
                place.unit(s.unit_id).into(),
                s.department_id.map(|d| place.unit(d)).into(),
                s.window_id.map(|w| place.unit(w)).into(),
                (&s.name).into(),
                place.named(&s.employee_no).into(),
                path.into(),
            ]
        }),
    )? as usize;
    report.users = c.bulk_insert(
        "users",
        &["id", "username", "display_name", "password_hash", "role", "unit_id", "active", "created_at", "staff_id"],
        j.users.iter().map(|u| {
            let id = place.user(u.row.id);
            feed.push(change(Entity::User, id, &place.path(&u.row.unit_path), &at));
            vec![
                id.into(),
                place.named(&u.username).into(),
                (&u.row.display_name).into(),
                password_hash.into(),
                u.row.role.as_str().into(),
                place.unit(u.row.unit_id).into(),
                u.row.active.into(),
                (&at).into(),
                u.staff_id.map(|s| s + place.staff).into(),
            ]
        }),
    )? as usize;
    c.bulk_insert("changes", CHANGE_COLS, feed.drain(..))?;

    // Ratings, in batches, each followed by its change-log entries.
    let mut ratings = synth.ratings();
    loop {
        let mut batch = Vec::with_capacity(RATING_BATCH);
        for r in ratings.by_ref().take(RATING_BATCH) {
            let mut s = r.map_err(synth_error)?;
            let r = &mut s.row;
            r.id += place.ratings;
            r.service_record_no = place.named(&r.service_record_no);
            r.unit_id = place.unit(r.unit_id);
            r.unit_path = place.path(&r.unit_path);
            r.department_id = r.department_id.map(|d| place.unit(d));
            r.window_id = r.window_id.map(|w| place.unit(w));
            r.staff_id = r.staff_id.map(|m| m + place.staff);
            rating(r);
            batch.push(s);
        }
        if batch.is_empty() {
            break;
        }
        report.ratings += c.bulk_insert(
            "ratings",
            &[
                "id",
                "source",
                "service_record_no",
                "rating_count",
                "unit_id",
                "unit_path",
                "department_id",
                "window_id",
                "staff_id",
                "item_code",
                "item_name",
                "channel",
                "level",
                "content_codes",
                "comment",
                "evaluator_masked",
                "evaluator_name",
                "evaluator_phone",
                "evaluator_cert",
                "real_name",
                "rated_at",
                "received_at",
            ],
            batch.iter().map(|s| {
                let r = &s.row;
                feed.push(change(Entity::Rating, r.id, &r.unit_path, &s.received_at));
                let codes: Vec<String> = r.content_codes.iter().map(|c| c.to_string()).collect();
                vec![
                    r.id.into(),
                    (&r.source).into(),
                    (&r.service_record_no).into(),
                    r.rating_count.into(),
                    r.unit_id.into(),
                    (&r.unit_path).into(),
                    r.department_id.into(),
                    r.window_id.into(),
                    r.staff_id.into(),
                    (&r.item_code).into(),
                    (&r.item_name).into(),
                    r.channel.into(),
                    r.level.as_str().into(),
                    codes.join(",").into(),
                    (&r.comment).into(),
                    (&r.evaluator_masked).into(),
                    (&s.evaluator.name).into(),
                    (&s.evaluator.phone).into(),
                    (&s.evaluator.cert).into(),
                    r.real_name.into(),
                    (&r.rated_at).into(),
                    (&s.received_at).into(),
                ]
            }),
        )? as usize;
        c.bulk_insert("changes", CHANGE_COLS, feed.drain(..))?;
    }

    // Cases with their events, the evidence chain, and their change-log entries.
    let mut cases = synth.cases();
    loop {
        let mut batch: Vec<(CaseRow, Vec<CaseEventRow>)> = Vec::with_capacity(CASE_BATCH);
        for s in cases.by_ref().take(CASE_BATCH) {
            let s: SynthCase = s.map_err(synth_error)?;
            batch.push((place.case(&s.row)?, s.events.iter().map(|e| place.event(e)).collect()));
        }
        if batch.is_empty() {
            break;
        }
        let mut case_rows = Vec::with_capacity(batch.len());
        for (row, _) in &batch {
            feed.push(change(Entity::Case, row.id, &row.unit_path, &row.updated_at));
            case_rows.push(case_values(row)?);
        }
        report.cases += c.bulk_insert(
            "cases",
            &[
                "id",
                "case_no",
                "source",
                "rating_id",
                "unit_id",
                "unit_path",
                "department_id",
                "staff_id",
                "level",
                "channel",
                "item_name",
                "summary",
                "state",
                "escalation_level",
                "handler_user_id",
                "created_at",
                "deadline",
                "version",
                "updated_at",
                "aggregate",
                "scope_path",
            ],
            case_rows,
        )? as usize;
        let mut evidence_rows = Vec::new();
        let events = batch.iter().flat_map(|(_, events)| events.iter());
        report.case_events += c.bulk_insert(
            "case_events",
            &["id", "case_id", "unit_path", "kind", "actor_user_id", "actor_name", "at", "data"],
            events
                .map(|e| {
                    feed.push(change(Entity::CaseEvent, e.id, &e.unit_path, &e.at));
                    if matches!(e.kind.as_str(), "appealed" | "appeal_decided" | "accountability_recorded") {
                        evidence_rows.push(chain(chain_head, e));
                    }
                    event_values(e)
                })
                .collect::<Vec<_>>(),
        )? as usize;
        c.bulk_insert(
            "evidence_chain",
            &["case_id", "event_id", "kind", "actor_id", "at", "payload", "prev_hash", "hash"],
            evidence_rows,
        )?;
        c.bulk_insert("changes", CHANGE_COLS, feed.drain(..))?;
    }
    tracing::info!(?report, "synthetic city loaded");
    Ok(report)
}

fn case_values(r: &CaseRow) -> DbResult<Vec<Value>> {
    let aggregate = r
        .aggregate
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("case aggregate: {e}")))?;
    Ok(vec![
        r.id.into(),
        (&r.case_no).into(),
        r.source.as_str().into(),
        r.rating_id.into(),
        r.unit_id.into(),
        (&r.unit_path).into(),
        r.department_id.into(),
        r.staff_id.into(),
        r.level.map(|l| l.as_str()).into(),
        r.channel.into(),
        (&r.item_name).into(),
        (&r.summary).into(),
        r.state.as_str().into(),
        r.escalation_level.into(),
        r.handler_user_id.into(),
        (&r.created_at).into(),
        (&r.deadline).into(),
        r.version.into(),
        (&r.updated_at).into(),
        aggregate.into(),
        // Synthetic cases are visible at their own unit (no cross-department assignment).
        (&r.unit_path).into(),
    ])
}

fn event_values(e: &CaseEventRow) -> Vec<Value> {
    vec![
        e.id.into(),
        e.case_id.into(),
        (&e.unit_path).into(),
        (&e.kind).into(),
        e.actor_user_id.into(),
        (&e.actor_name).into(),
        (&e.at).into(),
        e.data.to_string().into(),
    ]
}

/// The evidence-chain row of an event, chained after `head` (which moves to it).
fn chain(head: &mut String, e: &CaseEventRow) -> Vec<Value> {
    let payload = e.data.to_string();
    let entry = evidence::Entry {
        case_id: e.case_id,
        event_id: e.id,
        kind: &e.kind,
        actor_id: e.actor_user_id.unwrap_or(0),
        at: &e.at,
        payload: &payload,
    };
    let hash = evidence::chain_hash(head, &entry);
    let row = vec![
        e.case_id.into(),
        e.id.into(),
        (&e.kind).into(),
        entry.actor_id.into(),
        (&e.at).into(),
        payload.clone().into(),
        head.clone().into(),
        (&hash).into(),
    ];
    *head = hash;
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::evidence::verify;
    use crate::testing::{Backend, TestDb};

    fn check(backend: Backend) {
        let Some(store) = TestDb::new(backend) else { return };
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let report = seed_bench(&store.db, &BenchOptions { evaluations: 20_000, seed: 7, today }).expect("seed");
        assert_eq!(report.ratings, 20_000);
        assert_eq!(report.cases, 2_000);
        let (ratings, cases, events, changes, chain) = store
            .db
            .read_blocking(|c| {
                let n = |sql: &str| c.query_row(sql, (), |r| r.get::<i64>(0));
                let chain = verify(c)?;
                Ok((
                    n("SELECT count(*) FROM ratings")?,
                    n("SELECT count(*) FROM cases")?,
                    n("SELECT count(*) FROM case_events")?,
                    n("SELECT count(*) FROM changes")?,
                    chain,
                ))
            })
            .expect("counts");
        assert_eq!((ratings, cases, events as usize), (20_000, 2_000, report.case_events));
        assert_eq!(
            changes as usize,
            report.org_units + report.staff + report.users + report.ratings + report.cases + report.case_events,
            "every row is in the change feed"
        );
        assert!(chain.valid && chain.length > 0, "the evidence chain verifies: {chain:?}");
        // The seeded database takes new rows after the loaded ones (identity sequences moved on).
        let id = crate::seed::demo_bad_review(&store.db, "AFTER-BENCH", "测试事项", "加载后新增").expect("a new case");
        assert!(id > 2_000, "the new case follows the loaded ones: {id}");
        // The demo accounts sign in with the demo password.
        let admin = store.db.read_blocking(|c| users::by_username(c, "donghu.manager")).expect("read").expect("user");
        assert!(crate::auth::verify_password(DEMO_PASSWORD, &admin.password_hash));
        // Refuses to seed twice.
        assert!(seed_bench(&store.db, &BenchOptions { evaluations: 100, seed: 7, today }).is_err());
    }

    #[test]
    fn the_bench_profile_loads_on_sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn the_bench_profile_loads_on_postgres() {
        check(Backend::Postgres);
    }
}
