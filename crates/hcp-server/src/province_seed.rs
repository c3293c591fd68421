//! The `province` seed profile (issue 23): a province of synthetic cities below one root unit, the
//! ratings of its last closed month in full (by default 14 M, Guangdong's July 2023), and a year of
//! month statistics before it, bulk-loaded into an empty database in one transaction.
//!
//! - Each city is an `hcp-synth` city of its own seed, its month of ratings and its cases (every
//!   bad review opens one) placed after the cities before it ([`crate::bench_seed::Placement`]).
//! - The month itself is rolled up from its ratings by the server's own roll-up
//!   ([`crate::db::rating_stats::roll_up`]).
//! - The eleven months before it have no ratings here (a province's server would hold them; the
//!   profile leaves them out to keep the load to one month): their statistics are that month's
//!   rows, scaled per month, written as the roll-up would have written them.
//! - The province's replication policy holds the current month in full: the loaded month lies
//!   outside every laptop's window, which is what the benchmark measures.
//!
//! Users: `province.admin` and `province.supervisor` at the root, and each city's own accounts
//! with its prefix (`P00.city.supervisor`, `P03.donghu.manager`, …), all with the demo password.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hcp_domain::{OrgKind, Role};
use hcp_protocol::{setting_keys, Entity, JurisdictionPolicy, RatingRow, ReplicationPolicy};
use hcp_synth::{Profile, Synth};

use crate::auth::hash_password;
use crate::bench_seed::{change, load, mark_scanned, move_sequences, synth_error, Placement, CHANGE_COLS};
use crate::db::evidence::GENESIS;
use crate::db::{rating_stats, settings, users, Conn, Db, DbError, DbResult, Dialect, Value};
use crate::seed::{SeedReport, DEMO_PASSWORD};

/// What to generate.
#[derive(Debug, Clone)]
pub struct ProvinceOptions {
    /// Ratings of the loaded month, over all cities.
    pub evaluations: u64,
    pub cities: u32,
    pub seed: u64,
    /// The server's today: the month before its month is loaded.
    pub today: NaiveDate,
}

impl ProvinceOptions {
    /// Guangdong's ratings of July 2023.
    pub const EVALUATIONS: u64 = 14_000_000;
    pub const CITIES: u32 = 20;
}

/// The root unit's id and path.
const ROOT: (i64, &str) = (1, "/1/");
/// Months of statistics before the loaded month.
const EARLIER_MONTHS: u32 = 11;

/// The loaded month's shape, to write the earlier months' statistics from, with the roll-up's
/// keys: a unit's ratings per path and level, its counted ratings per path and channel, a member's
/// per path and level, as (ratings, real-name ratings).
#[derive(Default)]
struct Shape {
    units: HashMap<(i64, String, &'static str), (i64, i64)>,
    channels: HashMap<(i64, String, u8), (i64, i64)>,
    staff: HashMap<(i64, String, i64, &'static str), (i64, i64)>,
}

impl Shape {
    fn add(&mut self, r: &RatingRow) {
        let real = i64::from(r.real_name);
        let add = |e: &mut (i64, i64)| {
            e.0 += 1;
            e.1 += real;
        };
        let path = hall_path(&r.unit_path, r.unit_id);
        add(self.units.entry((r.unit_id, path.clone(), r.level.as_str())).or_default());
        add(self.channels.entry((r.unit_id, path.clone(), r.channel)).or_default());
        if let Some(m) = r.staff_id {
            add(self.staff.entry((r.unit_id, path, m, r.level.as_str())).or_default());
        }
    }
}

/// The rated unit's own path within the path a rating was given at (its window's, below it), as
/// the roll-up keeps the month rows.
fn hall_path(path: &str, unit: i64) -> String {
    let mut out = String::from("/");
    for id in path.split('/').filter(|p| !p.is_empty()) {
        out.push_str(id);
        out.push('/');
        if id.parse::<i64>().ok() == Some(unit) {
            break;
        }
    }
    out
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Loads the province into an empty database. Refuses a database that holds users.
pub fn seed_province(db: &Db, opts: &ProvinceOptions) -> Result<SeedReport, DbError> {
    if opts.cities == 0 || opts.evaluations < u64::from(opts.cities) {
        return Err(DbError::Config("a province needs at least one city and a rating per city".into()));
    }
    let this_month = month_start(opts.today);
    let loaded = this_month
        .checked_sub_months(chrono::Months::new(1))
        .ok_or_else(|| DbError::Config(format!("no month before {this_month}")))?;
    let hashed = hash_password(DEMO_PASSWORD).map_err(|e| DbError::Config(format!("hash: {e}")))?;
    let opts = opts.clone();
    let dialect = db.dialect();
    db.write_blocking(move |c| {
        if users::count(c)? > 0 {
            return Err(DbError::Config("the database already holds data; seed only an empty database".into()));
        }
        let at = hcp_domain::calendar::beijing_start(this_month).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut report = root(c, &hashed, &at)?;
        let mut place = Placement {
            root: Some((ROOT.0, ROOT.1.to_owned())),
            prefix: String::new(),
            units: report.org_units as i64,
            staff: 0,
            users: report.users as i64,
            ratings: 0,
            cases: 0,
            events: 0,
        };
        let mut chain_head = GENESIS.to_owned();
        let mut shape = Shape::default();
        let per_city = opts.evaluations / u64::from(opts.cities);
        for i in 0..opts.cities {
            let evaluations =
                if i + 1 == opts.cities { opts.evaluations - per_city * u64::from(opts.cities - 1) } else { per_city };
            let bad = (evaluations as f64 * Profile::BENCH_BAD_SHARE).round() as u64;
            let profile = Profile {
                seed: opts.seed + u64::from(i),
                year: loaded.year(),
                from: Some(loaded),
                as_of: Some(this_month),
                evaluations,
                // Every bad review opens a case; a tenth more come from the hotline and findings.
                cases: bad + bad / 10,
                bad_share: Profile::BENCH_BAD_SHARE,
            };
            let synth = Synth::new(profile).map_err(synth_error)?;
            place.prefix = format!("P{i:02}.");
            let city = load(c, &synth, &hashed, &place, &mut chain_head, |r| shape.add(r))?;
            let j = synth.jurisdiction();
            place.units += j.units.len() as i64;
            place.staff += j.staff.len() as i64;
            place.users += j.users.len() as i64;
            place.ratings += city.ratings as i64;
            place.cases += city.cases as i64;
            place.events += city.case_events as i64;
            report.org_units += city.org_units;
            report.staff += city.staff;
            report.users += city.users;
            report.ratings += city.ratings;
            report.cases += city.cases;
            report.case_events += city.case_events;
            tracing::info!(city = i, ratings = report.ratings, "province: city loaded");
        }
        mark_scanned(c)?;
        let stats = earlier_months(c, &shape, loaded, opts.seed, &at)?;
        if dialect == Dialect::Postgres {
            move_sequences(c, &["org_units", "staff", "users", "ratings", "cases", "case_events", "rating_stats"])?;
            // The planner's statistics of the bulk-loaded tables, before the roll-up reads them.
            c.batch("ANALYZE")?;
        }
        let month = loaded.format("%Y-%m").to_string();
        let started = std::time::Instant::now();
        let rolled = rating_stats::roll_up(c, &month, &at)?;
        tracing::info!(
            month,
            rows = rolled,
            earlier = stats,
            seconds = started.elapsed().as_secs_f64(),
            "province: statistics"
        );
        let policy = JurisdictionPolicy { replication: ReplicationPolicy { window_months: 1 }, ..Default::default() };
        let value = serde_json::to_string(&policy).map_err(|e| DbError::Corrupt(e.to_string()))?;
        settings::put(c, ROOT.0, ROOT.1, setting_keys::POLICY, &value, &at)?;
        Ok(report)
    })
}

/// The root unit and the province's own accounts.
fn root(c: &Conn<'_>, password_hash: &str, at: &str) -> DbResult<SeedReport> {
    let (id, path) = ROOT;
    c.bulk_insert(
        "org_units",
        &["id", "parent_id", "kind", "name", "code", "path"],
        // The organisation model's top level is the city: the province's root is one.
        [vec![
            id.into(),
            Value::Null,
            OrgKind::City.as_str().into(),
            "全省（基准）".into(),
            "PROV".into(),
            path.into(),
        ]],
    )?;
    let accounts: [(i64, &str, &str, Role); 2] = [
        (1, "province.admin", "省级管理员", Role::Administrator),
        (2, "province.supervisor", "省级督办员", Role::Supervisor),
    ];
    c.bulk_insert(
        "users",
        &["id", "username", "display_name", "password_hash", "role", "unit_id", "active", "created_at"],
        accounts.iter().map(|(uid, name, display, role)| {
            vec![
                (*uid).into(),
                (*name).into(),
                (*display).into(),
                password_hash.into(),
                role.as_str().into(),
                id.into(),
                true.into(),
                at.into(),
            ]
        }),
    )?;
    let mut feed = vec![change(Entity::OrgUnit, id, path, at)];
    feed.extend(accounts.iter().map(|(uid, ..)| change(Entity::User, *uid, path, at)));
    c.bulk_insert("changes", CHANGE_COLS, feed)?;
    Ok(SeedReport { org_units: 1, users: accounts.len(), ..SeedReport::default() })
}

/// Writes the statistics of the [`EARLIER_MONTHS`] months before `loaded`: the loaded month's rows
/// scaled by a factor of 0.8–1.2 per month, marked rolled up. Returns the rows written.
fn earlier_months(c: &Conn<'_>, shape: &Shape, loaded: NaiveDate, seed: u64, at: &str) -> DbResult<usize> {
    let mut id = 0i64;
    let mut written = 0;
    for back in 1..=EARLIER_MONTHS {
        let Some(first) = loaded.checked_sub_months(chrono::Months::new(back)) else { break };
        let month = first.format("%Y-%m").to_string();
        let factor = 0.8 + 0.4 * (((u64::from(back) * 7_919 + seed) % 100) as f64 / 100.0);
        let scaled = |(n, real): (i64, i64)| {
            let n = (n as f64 * factor).round() as i64;
            (n, ((real as f64 * factor).round() as i64).min(n))
        };
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut feed: Vec<Vec<Value>> = Vec::new();
        let mut row = |unit: i64, path: &str, member: i64, level: &str, channel: i64, (n, real): (i64, i64)| {
            if n == 0 {
                return;
            }
            id += 1;
            feed.push(change(Entity::RatingStat, id, path, at));
            rows.push(vec![
                id.into(),
                month.as_str().into(),
                unit.into(),
                path.into(),
                member.into(),
                level.into(),
                channel.into(),
                n.into(),
                real.into(),
                0i64.into(),
            ]);
        };
        for ((unit, path, level), counts) in &shape.units {
            row(*unit, path, 0, level, 0, scaled(*counts));
        }
        for ((unit, path, channel), counts) in &shape.channels {
            let (n, _) = scaled(*counts);
            row(*unit, path, 0, "", i64::from(*channel), (n, 0));
        }
        for ((unit, path, member, level), counts) in &shape.staff {
            row(*unit, path, *member, level, 0, scaled(*counts));
        }
        written += c.bulk_insert(
            "rating_stats",
            &[
                "id",
                "month",
                "unit_id",
                "unit_path",
                "staff_id",
                "level",
                "channel",
                "n_rated",
                "n_real_name",
                "n_excluded",
            ],
            rows,
        )? as usize;
        c.bulk_insert("changes", CHANGE_COLS, feed)?;
        c.bulk_insert("stat_months", &["month", "rolled_at"], [vec![month.as_str().into(), at.into()]])?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Backend, TestDb};

    /// A small province loads on both engines: cities below the root, the month rolled up from
    /// its ratings equal to what the roll-up computes again, the earlier months' statistics, the
    /// window at the current month, every loaded row in the feed, and the accounts sign in.
    fn check(backend: Backend) {
        let Some(store) = TestDb::new(backend) else { return };
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).expect("date");
        let opts = ProvinceOptions { evaluations: 9_000, cities: 3, seed: 5, today };
        let report = seed_province(&store.db, &opts).expect("seed");
        assert_eq!(report.ratings, 9_000);
        let (units_below, months, window, unfed, november) = store
            .db
            .write_blocking(|c| {
                let n = |sql: &str| c.query_row(sql, (), |r| r.get::<i64>(0));
                let november = rating_stats::of_month(c, "2026-11")?;
                // Rolling the month up again finds nothing to change.
                let again = rating_stats::roll_up(c, "2026-11", "2026-12-07T00:00:00Z")?;
                assert_eq!(again, 0, "the month's statistics equal its ratings");
                Ok((
                    n("SELECT count(*) FROM org_units WHERE path LIKE '/1/%/'")?,
                    rating_stats::rolled_months(c)?,
                    rating_stats::window(c, "/1/", today)?,
                    n("SELECT count(*) FROM ratings r WHERE NOT EXISTS
                         (SELECT 1 FROM changes x WHERE x.entity = 'rating' AND x.entity_id = r.id)")?,
                    november,
                ))
            })
            .expect("read");
        assert!(units_below > 3, "three cities below the root");
        assert_eq!(months.len(), 12, "a year of months: {months:?}");
        assert_eq!(months.last().map(String::as_str), Some("2026-11"));
        assert_eq!(window.map(|w| w.month).as_deref(), Some("2026-12"), "the loaded month lies outside the window");
        assert_eq!(unfed, 0, "every rating is in the feed");
        let stray: i64 = store
            .db
            .read_blocking(|c| {
                c.query_row(
                    "SELECT count(*) FROM rating_stats s JOIN org_units o ON o.id = s.unit_id WHERE o.path <> s.unit_path",
                    (),
                    |r| r.get(0),
                )
            })
            .expect("paths");
        assert_eq!(stray, 0, "every month's rows are kept at the rated unit's own path");
        let rated: i64 =
            november.iter().filter(|r| r.staff_id == 0 && r.level.is_some()).map(|r| r.n_rated + r.n_excluded).sum();
        assert_eq!(rated, 9_000, "the month's unit rows count every rating once");
        let supervisor = store.db.read_blocking(|c| users::by_username(c, "province.supervisor")).expect("read");
        assert_eq!(supervisor.map(|u| u.scope_path).as_deref(), Some("/1/"));
        let city = store.db.read_blocking(|c| users::by_username(c, "P02.city.supervisor")).expect("read");
        assert!(city.is_some_and(|u| u.scope_path.starts_with("/1/") && u.scope_path.len() > 3));
    }

    #[test]
    fn a_ratings_hall_path_is_cut_at_its_unit() {
        assert_eq!(hall_path("/1/2/7/31/", 7), "/1/2/7/");
        assert_eq!(hall_path("/1/2/7/", 7), "/1/2/7/");
    }

    #[test]
    fn the_province_profile_loads_on_sqlite() {
        check(Backend::Sqlite);
    }

    #[test]
    fn the_province_profile_loads_on_postgres() {
        check(Backend::Postgres);
    }
}
