//! Incremental aggregates for the dashboards (统计分析) and the monthly report.
//!
//! # Design
//!
//! Two views define, once, what one rating and one case contribute to the statistics. They are
//! written from `hcp_stats::rules`, the definitions `hcp-stats` reads the server's facts with (so
//! the replica's figures equal the server's published ones; see [`views_ddl`]):
//!
//! - `stat_ratings`: a rating's local day (Beijing time), unit, staff member, level, channel, real
//!   name, and whether its case left the statistics (恶意/误评 confirmed, appeal overturned);
//! - `stat_cases`: a case's local day of creation, due date, state, real name, exclusion, the local
//!   day it was handled (rectification reported or resolved on the spot) and its last return visit,
//!   from the case row and its events; [`crate::tables::agg_case_units`] derives the KPI flags from these
//!   (counted/excluded, handled on time or late, still open with a due date, closed, rectified,
//!   visited, satisfied, real-name bad review with or without a return visit).
//!
//! Five tables sum those views per key, each at two grains (`d`: a local day, `m`: a month, so a
//! period reads its whole months from month rows and only its ragged ends from day rows):
//! [`crate::tables::agg_rating_units`] unit × level, [`crate::tables::agg_rating_staff`] staff ×
//! unit × level, [`crate::tables::agg_rating_channels`] unit × channel (non-excluded ratings),
//! [`crate::tables::agg_case_units`] unit × open due date and [`crate::tables::agg_case_staff`]
//! staff × unit × open due date. They are built with set-based SQL at the end of a bootstrap
//! ([`rebuild`]) and kept current in the transaction of every change ([`Touched`]): before a batch
//! of changes the contributions of every rating and case it can affect are taken out, after it they
//! are put back as the views now compute them. A case change touches its rating (old and new
//! `rating_id`) because the case decides the rating's exclusion, in both directions; a case event
//! touches its case. Because contributions are functions of the stored rows only, the tables equal
//! a fresh [`rebuild`] after any sequence of changes.
//!
//! The KPIs are finished by `hcp_domain::kpi` ([`hcp_domain::kpi::Cell::kpis`]) from the sums, so
//! the maths is the domain's; timeliness of open cases is resolved against `as_of` at read time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::calendar::BEIJING_UTC_OFFSET_MINUTES;
use hcp_domain::kpi::{Cell, GroupBy, Kpis, Period, Subject};
use hcp_domain::{DeadlineRules, Level};
use hcp_protocol::{Entity, EntityRow};
use rusqlite::{Connection, OptionalExtension};

use crate::tables::{
    agg_case_staff, agg_case_units, agg_rating_channels, agg_rating_staff, agg_rating_units, agg_totals,
};
use crate::{ReplicaError, Result};

/// The time zone the aggregates' days are local to (the jurisdiction's; Beijing).
pub const UTC_OFFSET_MINUTES: i16 = BEIJING_UTC_OFFSET_MINUTES;

/// The views every aggregate is computed from. `+480 minutes` is [`UTC_OFFSET_MINUTES`]; SQLite's
/// `date()` reads RFC 3339 instants (with `Z` or `±HH:MM`) and shifts them to the local day. The
/// folds materialize a view's rows before using them, so its subqueries run once per row; a
/// partial index holds the excluded cases, so the exclusion probe per rating is cheap.
pub const VIEWS_DDL: &str = "
CREATE INDEX cases_excluded_rating ON cases(rating_id) WHERE json_extract(aggregate, '$.excluded_from_stats') = 1;
CREATE VIEW stat_ratings AS
SELECT r.id, r.unit_id, r.unit_path, r.staff_id, date(r.rated_at, '+480 minutes') AS day, r.level, r.channel,
       r.real_name <> 0 AS real_name,
       EXISTS (SELECT 1 FROM cases c WHERE c.rating_id = r.id
                  AND json_extract(c.aggregate, '$.excluded_from_stats') = 1) AS excluded
  FROM ratings r;
CREATE VIEW stat_cases AS
SELECT c.id, c.unit_id, c.unit_path, c.staff_id, c.rating_id,
       date(c.created_at, '+480 minutes') AS day,
       CASE WHEN date(c.deadline) = c.deadline THEN c.deadline END AS due,
       c.state = 'closed' AS closed,
       coalesce(json_extract(c.aggregate, '$.real_name'), 0) <> 0 AS real_name,
       coalesce(json_extract(c.aggregate, '$.excluded_from_stats'), 0) <> 0 AS excl,
       (SELECT date(max(e.at), '+480 minutes') FROM case_events e
         WHERE e.case_id = c.id AND e.kind IN ('rectification_reported', 'resolved_on_spot')) AS handled_day,
       (SELECT json_extract(e.data, '$.payload.satisfied') FROM case_events e
         WHERE e.case_id = c.id AND e.kind = 'return_visited' ORDER BY e.at DESC, e.id DESC LIMIT 1) AS visit
  FROM cases c;
";

/// The statistics views as this version defines them, from `hcp_stats::rules` (the definitions the
/// server's facts are read with): what `stat_ratings` and `stat_cases` hold is written nowhere
/// else. `stat_ratings` holds the ratings of the replication window only (all of them when there is
/// none): the months before it come from the server's month rows (`rating_stats`: the units' and
/// channels' folded by [`crate::tables::rating_stats::fold`], the staff's read where they are), so
/// a rating kept because it opened a case is not counted twice. [`VIEWS_DDL`] and `STATS_DDL` are the earlier versions' own, kept as shipped migrations.
pub fn views_ddl() -> String {
    use hcp_stats::rules::{self, Dialect::Sqlite};
    let local_day = |instant: &str| format!("date({instant}, '+{UTC_OFFSET_MINUTES} minutes')");
    format!(
        "DROP VIEW IF EXISTS stat_ratings;
DROP VIEW IF EXISTS stat_cases;
CREATE VIEW stat_ratings AS
SELECT r.id, r.unit_id, r.unit_path, r.staff_id, {rating_day} AS day, r.level, r.channel,
       r.real_name <> 0 AS real_name,
       {rating_excluded} AS excluded
  FROM ratings r
 WHERE r.rated_at >= coalesce((SELECT value FROM meta WHERE key = '{window_since}'), '');
CREATE VIEW stat_cases AS
SELECT c.id, c.unit_id, c.unit_path, c.staff_id, c.rating_id,
       {case_day} AS day,
       CASE WHEN date(c.deadline) = c.deadline THEN c.deadline END AS due,
       c.state = 'closed' AS closed,
       {real_name} <> 0 AS real_name,
       {case_excluded} <> 0 AS excl,
       {handled_day} AS handled_day,
       {visit} AS visit
  FROM cases c;
",
        rating_day = local_day("r.rated_at"),
        rating_excluded = rules::rating_excluded(Sqlite, "r"),
        case_day = local_day("c.created_at"),
        real_name = rules::case_real_name(Sqlite, "c"),
        case_excluded = rules::case_excluded(Sqlite, "c"),
        handled_day = local_day(&rules::handled_at("c")),
        visit = rules::last_visit(Sqlite, "c"),
        window_since = crate::tables::meta::WINDOW_SINCE,
    )
}

/// Migration: (re)defines the statistics views from [`views_ddl`].
pub fn define_views(conn: &Connection) -> Result<()> {
    conn.execute_batch(&views_ddl())?;
    Ok(())
}

/// The aggregate tables, for purges and comparisons.
pub const TABLES: [&str; 8] = [
    "agg_rating_units",
    "agg_rating_staff",
    "agg_rating_channels",
    "agg_case_units",
    "agg_case_staff",
    agg_totals::RATINGS,
    agg_totals::CASES,
    agg_totals::CHANNELS,
];

const ALL: &str = "true";
const IDS: &str = "id IN (SELECT value FROM json_each(?2))";

/// Rebuilds every aggregate table from the rows (the end of a bootstrap, a migration).
///
/// The incremental path ([`Touched`]) folds a few rows at a time with `INSERT … SELECT … GROUP BY`;
/// over a whole jurisdiction that means one sort per table and grain (five tables, a million
/// ratings twice each). Here each view is scanned once instead, summed in memory per day (months
/// are summed from the days), and every table is written in its key order, so each B-tree is filled
/// by appends. The views' columns and the KPI flags are still computed by the SQL the folds use, so
/// the sums are the folds' sums: the tables equal what the folds build.
pub fn rebuild(conn: &Connection) -> Result<()> {
    rebuild_with(conn, None)
}

/// The ratings of a fresh snapshot summed as they are loaded, so that [`rebuild_with`] need not
/// scan them again. Each rating is counted as `stat_ratings` would describe it, but as included:
/// exclusions depend on cases and flags that arrive later, and are settled at the end through
/// their partial indexes. A rating whose instant is not in the strict RFC 3339 form (where
/// SQLite's `date()` and this fold are known to agree), or a row that is not new (ids not
/// ascending), makes the fold give up, and the rebuild scans the view instead.
#[derive(Default)]
pub struct RatingFold {
    sums: rebuild::RatingSums,
    given_up: bool,
    last_id: Option<i64>,
    /// The window's first instant (`""`: none): earlier ratings are not summed, as `stat_ratings`
    /// leaves them out.
    since: String,
}

impl RatingFold {
    /// Sums only the ratings of the window starting at `since` (as `stat_ratings` does).
    pub fn set_since(&mut self, since: &str) {
        since.clone_into(&mut self.since);
    }

    pub fn add(&mut self, r: &hcp_protocol::RatingRow) {
        if self.given_up || r.rated_at.as_str() < self.since.as_str() {
            return;
        }
        let day = match local_day(&r.rated_at) {
            Some(day) if self.last_id.is_none_or(|last| r.id > last) => day,
            _ => {
                tracing::debug!(rating = r.id, "bootstrap aggregates: falling back to a scan");
                self.given_up = true;
                self.sums = rebuild::RatingSums::default();
                return;
            }
        };
        self.last_id = Some(r.id);
        let day = std::str::from_utf8(&day).unwrap_or_default();
        self.sums.add(
            day,
            r.unit_id,
            &r.unit_path,
            r.staff_id,
            r.level.as_str(),
            i64::from(r.channel),
            r.real_name,
            false,
        );
    }

    fn into_sums(self) -> Option<rebuild::RatingSums> {
        (!self.given_up).then_some(self.sums)
    }
}

/// The local day (`YYYY-MM-DD`, Beijing) of an instant written `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`,
/// as `date(instant, '+480 minutes')` gives it; `None` for any other form, or a fraction SQLite
/// would round (more than three significant digits).
fn local_day(instant: &str) -> Option<[u8; 10]> {
    let b = instant.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19)
        && b[17] < b'6';
    if !shape {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || b[start..i].iter().skip(3).any(|d| *d != b'0') {
            return None;
        }
    }
    let zone_ok = match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => i + 6 == b.len() && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6),
        _ => false,
    };
    if !zone_ok {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(instant).ok()?.with_timezone(&Utc);
    let local = at + chrono::Duration::minutes(i64::from(UTC_OFFSET_MINUTES));
    local.format("%Y-%m-%d").to_string().as_bytes().try_into().ok()
}

/// [`rebuild`], with the ratings' sums already folded while a snapshot loaded (when `folded` is
/// given and did not give up).
pub fn rebuild_with(conn: &Connection, folded: Option<RatingFold>) -> Result<()> {
    agg_totals::paused(conn, || rebuild_tables(conn, folded))
}

/// [`rebuild_with`], the totals' triggers set aside (the totals are summed once at the end).
fn rebuild_tables(conn: &Connection, folded: Option<RatingFold>) -> Result<()> {
    let totals = agg_totals::exists(conn)?;
    for t in TABLES.into_iter().filter(|t| totals || !agg_totals::TABLES.contains(t)) {
        conn.execute(&format!("DELETE FROM {t}"), [])?;
    }
    // Secondary indexes are dropped and built again after the bulk insert: one sort instead of a
    // random insert per row.
    let indexes: Vec<(String, String)> = conn
        .prepare(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('{}')",
            TABLES.join("', '")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &indexes {
        conn.execute(&format!("DROP INDEX {name}"), [])?;
    }
    let started = std::time::Instant::now();
    let sums = match folded.and_then(RatingFold::into_sums) {
        Some(mut sums) => {
            rebuild::settle_exclusions(conn, &mut sums)?;
            sums
        }
        None => rebuild::scan_ratings(conn)?,
    };
    rebuild::write_ratings(conn, sums)?;
    // The months before the window, from the server's month rows (a replica migrating from a
    // version before them rebuilds first without them, then again once the table exists).
    if crate::tables::rating_stats::exists(conn)? {
        crate::tables::rating_stats::fold(conn, 1, ALL, "")?;
    }
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "rating aggregates built");
    let started = std::time::Instant::now();
    rebuild::cases(conn)?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "case aggregates built");
    for (_, sql) in &indexes {
        conn.execute(sql, [])?;
    }
    Ok(())
}

/// The in-memory sums behind [`rebuild`].
mod rebuild {
    use std::collections::HashMap;
    use std::hash::Hash;

    use rusqlite::types::ValueRef;
    use rusqlite::{params, Connection};

    use crate::tables::agg_case_units::cases_by_grain;
    use crate::{ReplicaError, Result};

    /// A unit's key: (unit id, unit path, level or open due date), strings numbered.
    type UnitKey = (i64, u32, u32);
    /// A staff member's key: (staff id, unit id, unit path, level or open due date).
    type StaffKey = (i64, i64, u32, u32);
    /// A channel's key: (unit id, unit path, channel).
    type ChannelKey = (i64, u32, i64);
    /// Sums per (day or month, key).
    type Sums<K, const N: usize> = HashMap<(u32, K), [i64; N]>;
    /// Rows to write: (grain, bucket, key, counts).
    type Rows<K, V> = Vec<(&'static str, u32, K, V)>;

    /// Strings seen in a scan, numbered (days, months, unit paths, levels, due dates).
    #[derive(Default)]
    struct Strings {
        ids: HashMap<Box<str>, u32>,
        names: Vec<Box<str>>,
    }

    impl Strings {
        fn id(&mut self, s: &str) -> u32 {
            if let Some(&i) = self.ids.get(s) {
                return i;
            }
            let i = self.names.len() as u32;
            self.names.push(s.into());
            self.ids.insert(s.into(), i);
            i
        }
        fn name(&self, i: u32) -> &str {
            &self.names[i as usize]
        }
    }

    fn text<'a>(v: ValueRef<'a>, what: &str) -> Result<&'a str> {
        match v {
            ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| ReplicaError::Corrupt(format!("{what}: {e}"))),
            other => Err(ReplicaError::Corrupt(format!("{what} is {:?}, not text", other.data_type()))),
        }
    }

    /// 0 for NULL, like `sum` skipping it.
    fn int(v: ValueRef<'_>) -> i64 {
        match v {
            ValueRef::Integer(i) => i,
            ValueRef::Real(f) => f as i64,
            _ => 0,
        }
    }

    /// The month (`substr(day, 1, 7)`) of every day id.
    fn months(strings: &mut Strings, days: impl IntoIterator<Item = u32>) -> HashMap<u32, u32> {
        let mut out = HashMap::new();
        for d in days {
            out.entry(d).or_insert_with(|| {
                let day = strings.name(d).to_owned();
                let month: String = day.chars().take(7).collect();
                strings.id(&month)
            });
        }
        out
    }

    /// Adds the day rows' sums into month rows: `(day, rest) → counts` gives `(month, rest) → counts`.
    fn by_month<K: Copy + Eq + Hash, const N: usize>(days: &Sums<K, N>, month_of: &HashMap<u32, u32>) -> Sums<K, N> {
        let mut out: Sums<K, N> = HashMap::with_capacity(days.len() / 8);
        for ((day, rest), v) in days {
            let e = out.entry((month_of[day], *rest)).or_insert([0; N]);
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
        out
    }

    /// The rating aggregates' sums per day: (day, (unit, path, level)) → (rated, real name,
    /// excluded); the same with the staff member first; (day, (unit, path, channel)) → ratings.
    #[derive(Default)]
    pub struct RatingSums {
        s: Strings,
        units: Sums<UnitKey, 3>,
        staff: Sums<StaffKey, 3>,
        channels: Sums<ChannelKey, 1>,
    }

    impl RatingSums {
        /// Adds one rating as `stat_ratings` describes it.
        #[allow(clippy::too_many_arguments)]
        pub(super) fn add(
            &mut self,
            day: &str,
            unit: i64,
            path: &str,
            member: Option<i64>,
            level: &str,
            channel: i64,
            real_name: bool,
            excluded: bool,
        ) {
            let (day, path, level) = (self.s.id(day), self.s.id(path), self.s.id(level));
            // sum(NOT excluded), sum(real_name AND NOT excluded), sum(excluded)
            let add = [i64::from(!excluded), i64::from(real_name && !excluded), i64::from(excluded)];
            plus(self.units.entry((day, (unit, path, level))).or_insert([0; 3]), add);
            if let Some(m) = member {
                plus(self.staff.entry((day, (m, unit, path, level))).or_insert([0; 3]), add);
            }
            self.channels.entry((day, (unit, path, channel))).or_insert([0])[0] += i64::from(!excluded);
        }

        /// Moves a rating counted as included to excluded (its exclusion became known later).
        #[allow(clippy::too_many_arguments)]
        fn exclude(
            &mut self,
            day: &str,
            unit: i64,
            path: &str,
            member: Option<i64>,
            level: &str,
            channel: i64,
            real_name: bool,
        ) {
            let (day, path, level) = (self.s.id(day), self.s.id(path), self.s.id(level));
            let delta = [-1, -i64::from(real_name), 1];
            plus(self.units.entry((day, (unit, path, level))).or_insert([0; 3]), delta);
            if let Some(m) = member {
                plus(self.staff.entry((day, (m, unit, path, level))).or_insert([0; 3]), delta);
            }
            self.channels.entry((day, (unit, path, channel))).or_insert([0])[0] -= 1;
        }
    }

    fn plus<const N: usize>(e: &mut [i64; N], add: [i64; N]) {
        for (a, b) in e.iter_mut().zip(add) {
            *a += b;
        }
    }

    /// The day rows of `days` and the month rows summed from them.
    fn day_and_month_rows<K: Copy + Eq + Hash, const N: usize>(
        days: &Sums<K, N>,
        month_of: &HashMap<u32, u32>,
    ) -> Rows<K, [i64; N]> {
        let mut out: Rows<K, [i64; N]> = Vec::new();
        for (grain, map) in [("d", days), ("m", &by_month(days, month_of))] {
            out.extend(map.iter().map(|((b, k), v)| (grain, *b, *k, *v)));
        }
        out
    }

    /// A unit table's rows in its key order: grain, bucket, unit, path, level or open due date.
    fn unit_rows<const N: usize>(
        s: &Strings,
        days: &Sums<UnitKey, N>,
        month_of: &HashMap<u32, u32>,
    ) -> Rows<UnitKey, [i64; N]> {
        let mut out = day_and_month_rows(days, month_of);
        out.sort_unstable_by(|a, b| {
            (a.0, s.name(a.1), a.2 .0, s.name(a.2 .1), s.name(a.2 .2)).cmp(&(
                b.0,
                s.name(b.1),
                b.2 .0,
                s.name(b.2 .1),
                s.name(b.2 .2),
            ))
        });
        out
    }

    /// A staff table's rows in its key order: grain, bucket, staff member, unit, path, level or
    /// open due date.
    fn staff_rows<const N: usize>(
        s: &Strings,
        days: &Sums<StaffKey, N>,
        month_of: &HashMap<u32, u32>,
    ) -> Rows<StaffKey, [i64; N]> {
        let mut out = day_and_month_rows(days, month_of);
        out.sort_unstable_by(|a, b| {
            (a.0, s.name(a.1), a.2 .0, a.2 .1, s.name(a.2 .2), s.name(a.2 .3)).cmp(&(
                b.0,
                s.name(b.1),
                b.2 .0,
                b.2 .1,
                s.name(b.2 .2),
                s.name(b.2 .3),
            ))
        });
        out
    }

    /// Calls `f` with every row of `stat_ratings` (a day known) matching `filter`: day, unit, unit
    /// path, staff member, level, channel, real name, excluded.
    fn each_stat_rating(
        conn: &Connection,
        filter: &str,
        mut f: impl FnMut(&str, i64, &str, Option<i64>, &str, i64, bool, bool),
    ) -> Result<()> {
        let mut stmt = conn.prepare(&format!(
            "SELECT day, unit_id, unit_path, staff_id, level, channel, real_name, excluded
               FROM stat_ratings WHERE day IS NOT NULL AND {filter}"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(
                text(r.get_ref(0)?, "stat_ratings.day")?,
                r.get(1)?,
                text(r.get_ref(2)?, "stat_ratings.unit_path")?,
                r.get(3)?,
                text(r.get_ref(4)?, "stat_ratings.level")?,
                r.get(5)?,
                int(r.get_ref(6)?) != 0,
                int(r.get_ref(7)?) != 0,
            );
        }
        Ok(())
    }

    /// Sums `stat_ratings` in one scan.
    pub(super) fn scan_ratings(conn: &Connection) -> Result<RatingSums> {
        let mut sums = RatingSums::default();
        each_stat_rating(conn, "true", |day, unit, path, member, level, channel, real_name, excluded| {
            sums.add(day, unit, path, member, level, channel, real_name, excluded)
        })?;
        Ok(sums)
    }

    /// Completes sums folded from the rows as they were loaded (every one counted as included):
    /// the ratings `stat_ratings` now says are excluded, found through the partial indexes of the
    /// exclusions rather than a scan, move to the excluded column.
    pub(super) fn settle_exclusions(conn: &Connection, sums: &mut RatingSums) -> Result<()> {
        let candidates = hcp_stats::rules::excluded_rating_ids(hcp_stats::rules::Dialect::Sqlite);
        each_stat_rating(
            conn,
            &format!("excluded AND id IN ({candidates})"),
            |day, unit, path, member, level, channel, real_name, _| {
                sums.exclude(day, unit, path, member, level, channel, real_name)
            },
        )
    }

    /// Writes the sums into `agg_rating_units`, `agg_rating_staff` and `agg_rating_channels`.
    pub(super) fn write_ratings(conn: &Connection, sums: RatingSums) -> Result<()> {
        let RatingSums { mut s, units, staff, channels } = sums;
        let month_of = months(&mut s, units.keys().map(|k| k.0));

        // Key order: grain, bucket, then the key columns as the primary key orders them.
        let out = unit_rows(&s, &units, &month_of);
        let mut ins = conn.prepare(
            "INSERT INTO agg_rating_units (grain, bucket, unit_id, unit_path, level, n_rated, n_real_name, n_excluded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (grain, b, (unit, path, level), v) in out {
            ins.execute(params![grain, s.name(b), unit, s.name(path), s.name(level), v[0], v[1], v[2]])?;
        }

        let out = staff_rows(&s, &staff, &month_of);
        let mut ins = conn.prepare(
            "INSERT INTO agg_rating_staff (grain, bucket, staff_id, unit_id, unit_path, level, n_rated, n_real_name,
                                           n_excluded)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for (grain, b, (member, unit, path, level), v) in out {
            ins.execute(params![grain, s.name(b), member, unit, s.name(path), s.name(level), v[0], v[1], v[2]])?;
        }

        let mut out: Rows<ChannelKey, i64> = Vec::new();
        for (grain, map) in [("d", &channels), ("m", &by_month(&channels, &month_of))] {
            // A channel whose every rating is excluded has no row (as the folds leave none).
            out.extend(map.iter().filter(|(_, v)| v[0] != 0).map(|((b, k), v)| (grain, *b, *k, v[0])));
        }
        out.sort_unstable_by(|a, b| {
            (a.0, s.name(a.1), a.2 .0, s.name(a.2 .1), a.2 .2).cmp(&(b.0, s.name(b.1), b.2 .0, s.name(b.2 .1), b.2 .2))
        });
        let mut ins = conn.prepare(
            "INSERT INTO agg_rating_channels (grain, bucket, unit_id, unit_path, channel, n)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (grain, b, (unit, path, channel), n) in out {
            ins.execute(params![grain, s.name(b), unit, s.name(path), channel, n])?;
        }
        Ok(())
    }

    /// The case flags in the order of the tables' counts (see `agg_case_units::COUNTS`).
    const FLAGS: usize = 11;

    /// One scan of `stat_cases` (with the folds' flags) into `agg_case_units` and `agg_case_staff`.
    pub(super) fn cases(conn: &Connection) -> Result<()> {
        let mut s = Strings::default();
        // (day, (unit, path, open due)) → flags; the same with the staff member first.
        let mut units: Sums<UnitKey, FLAGS> = HashMap::new();
        let mut staff: Sums<StaffKey, FLAGS> = HashMap::new();
        let sql = format!(
            "WITH {} SELECT day, unit_id, unit_path, staff_id, open_due, counted, excluded, on_time, late,
                    open_due <> '', closed, rectified, visited, satisfied, rn_bad, rn_bad_visited FROM f",
            cases_by_grain(super::ALL)
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(params![1, ""])?;
        while let Some(r) = rows.next()? {
            let day = s.id(text(r.get_ref(0)?, "stat_cases.day")?);
            let unit: i64 = r.get(1)?;
            let path = s.id(text(r.get_ref(2)?, "stat_cases.unit_path")?);
            let member: Option<i64> = r.get(3)?;
            let due = s.id(text(r.get_ref(4)?, "stat_cases.open_due")?);
            let mut add = [0i64; FLAGS];
            for (i, a) in add.iter_mut().enumerate() {
                *a = int(r.get_ref(5 + i)?);
            }
            let plus = |e: &mut [i64; FLAGS]| {
                for (a, b) in e.iter_mut().zip(add) {
                    *a += b;
                }
            };
            plus(units.entry((day, (unit, path, due))).or_insert([0; FLAGS]));
            if let Some(m) = member {
                plus(staff.entry((day, (m, unit, path, due))).or_insert([0; FLAGS]));
            }
        }
        drop(rows);
        drop(stmt);
        let month_of = months(&mut s, units.keys().map(|k| k.0));
        let cols = super::agg_case_units::COUNTS;

        let out = unit_rows(&s, &units, &month_of);
        let mut ins = conn.prepare(&format!(
            "INSERT INTO agg_case_units (grain, bucket, unit_id, unit_path, open_due, {cols})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))?;
        for (grain, b, (unit, path, due), v) in out {
            let head: [&dyn rusqlite::ToSql; 5] = [&grain, &s.name(b), &unit, &s.name(path), &s.name(due)];
            let args: Vec<&dyn rusqlite::ToSql> =
                head.into_iter().chain(v.iter().map(|x| x as &dyn rusqlite::ToSql)).collect();
            ins.execute(args.as_slice())?;
        }

        let out = staff_rows(&s, &staff, &month_of);
        let mut ins = conn.prepare(&format!(
            "INSERT INTO agg_case_staff (grain, bucket, staff_id, unit_id, unit_path, open_due, {cols})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
        ))?;
        for (grain, b, (member, unit, path, due), v) in out {
            let head: [&dyn rusqlite::ToSql; 6] = [&grain, &s.name(b), &member, &unit, &s.name(path), &s.name(due)];
            let args: Vec<&dyn rusqlite::ToSql> =
                head.into_iter().chain(v.iter().map(|x| x as &dyn rusqlite::ToSql)).collect();
            ins.execute(args.as_slice())?;
        }
        Ok(())
    }
}

/// The ratings and cases a batch of changes can affect, noted before the batch is applied.
///
/// Use: [`Touched::note`] every change (before any is applied), [`Touched::retract`], apply the
/// changes, [`Touched::restore`], all in one transaction.
#[derive(Debug, Default)]
pub struct Touched {
    ratings: BTreeSet<i64>,
    cases: BTreeSet<i64>,
    /// The server's month rows (folded only for the months before the window).
    stats: BTreeSet<i64>,
}

impl Touched {
    /// Notes what a change to `entity` `id` (with its new `row`, if any) can affect.
    pub fn note(&mut self, conn: &Connection, entity: Entity, id: i64, row: Option<&EntityRow>) -> Result<()> {
        match entity {
            Entity::Rating => {
                self.ratings.insert(id);
            }
            Entity::Case => {
                self.cases.insert(id);
                // The case decides whether its rating counts: the rating it named and the one it names.
                let old: Option<i64> = conn
                    .prepare_cached("SELECT rating_id FROM cases WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?
                    .flatten();
                self.ratings.extend(old);
                if let Some(EntityRow::Case(c)) = row {
                    self.ratings.extend(c.rating_id);
                }
            }
            Entity::CaseEvent => {
                let old: Option<i64> = conn
                    .prepare_cached("SELECT case_id FROM case_events WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                self.cases.extend(old);
                if let Some(EntityRow::CaseEvent(e)) = row {
                    self.cases.insert(e.case_id);
                }
            }
            Entity::IntegrityFlag => {
                // A verdict decides whether the flag's ratings, and the cases they opened, count.
                let mut ratings = crate::tables::integrity_flags::rating_ids(conn, id)?;
                if let Some(EntityRow::IntegrityFlag(f)) = row {
                    ratings.extend(f.rating_ids.iter().copied());
                }
                let mut case_of = conn.prepare_cached("SELECT id FROM cases WHERE rating_id = ?1")?;
                for r in ratings {
                    self.ratings.insert(r);
                    let cases = case_of.query_map([r], |row| row.get::<_, i64>(0))?;
                    for c in cases {
                        self.cases.insert(c?);
                    }
                }
            }
            Entity::OrgUnit
            | Entity::Staff
            | Entity::User
            | Entity::ServiceItem
            | Entity::Setting
            | Entity::Award
            | Entity::SelfAssessment
            | Entity::SurveyResult => {}
            Entity::Attachment => {}
            Entity::RatingStat => {
                self.stats.insert(id);
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty() && self.cases.is_empty() && self.stats.is_empty()
    }

    /// Takes the noted rows' current contributions out of the aggregates.
    pub fn retract(&self, conn: &Connection) -> Result<()> {
        self.fold(conn, -1)
    }

    /// Puts the noted rows' contributions, as they are now, back into the aggregates.
    pub fn restore(&self, conn: &Connection) -> Result<()> {
        self.fold(conn, 1)
    }

    fn fold(&self, conn: &Connection, sign: i64) -> Result<()> {
        let json = |ids: &BTreeSet<i64>| serde_json::Value::from(ids.iter().copied().collect::<Vec<_>>()).to_string();
        if !self.ratings.is_empty() {
            let ids = json(&self.ratings);
            agg_rating_units::fold(conn, sign, IDS, &ids)?;
            agg_rating_staff::fold(conn, sign, IDS, &ids)?;
            agg_rating_channels::fold(conn, sign, IDS, &ids)?;
        }
        if !self.cases.is_empty() {
            let ids = json(&self.cases);
            agg_case_units::fold(conn, sign, IDS, &ids)?;
            agg_case_staff::fold(conn, sign, IDS, &ids)?;
        }
        if !self.stats.is_empty() {
            crate::tables::rating_stats::fold(conn, sign, IDS, &json(&self.stats))?;
        }
        Ok(())
    }
}

/// The local date of an instant, as the aggregates' days are counted.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    DeadlineRules { utc_offset_minutes: UTC_OFFSET_MINUTES, ..DeadlineRules::default() }.local_date(at)
}

/// The unit paths under `scope`: `[scope, scope~)`.
fn bounds(scope: &str) -> (String, String) {
    (scope.to_owned(), format!("{scope}~"))
}

/// The rows a period reads: `(grain, first bucket, last bucket)`, whole months from month rows and
/// the ragged ends from day rows.
fn spans(period: &Period) -> Vec<(&'static str, String, String)> {
    use chrono::Datelike;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: NaiveDate| month_start(d).checked_add_months(chrono::Months::new(1));
    let mut out = Vec::new();
    if period.first > period.last {
        return out;
    }
    // The first whole month starts on or after `first`; the last ends on or before `last`.
    let whole_from = if period.first.day() == 1 { Some(period.first) } else { next_month(period.first) };
    let whole_to = next_month(period.last).and_then(|n| n.pred_opt()).and_then(|end_of_last| {
        if end_of_last == period.last {
            Some(month_start(period.last))
        } else {
            month_start(period.last).checked_sub_months(chrono::Months::new(1))
        }
    });
    match (whole_from, whole_to) {
        (Some(from), Some(to)) if from <= to => {
            if period.first < from {
                out.push(("d", day(period.first), day(from.pred_opt().unwrap_or(from))));
            }
            out.push(("m", from.format("%Y-%m").to_string(), to.format("%Y-%m").to_string()));
            if let Some(after) = next_month(to).filter(|a| *a <= period.last) {
                out.push(("d", day(after), day(period.last)));
            }
        }
        _ => out.push(("d", day(period.first), day(period.last))),
    }
    out
}

/// [`spans`], checked against the replication window: before its first month only whole months
/// can be read (the server's month rows), so a period that starts or ends inside such a month is
/// refused with the reason.
fn spans_in(conn: &Connection, period: &Period) -> Result<Vec<(&'static str, String, String)>> {
    let spans = spans(period);
    let Some(window) = crate::tables::meta::get(conn, crate::tables::meta::WINDOW_MONTH)? else { return Ok(spans) };
    let first_day = format!("{window}-01");
    if spans.iter().any(|(grain, first, _)| *grain == "d" && *first < first_day) {
        return Err(ReplicaError::OutsideWindow { month: window });
    }
    Ok(spans)
}

fn count(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| ReplicaError::Corrupt(format!("统计汇总出现负数 {v}")))
}

fn level_index(level: &str) -> Result<usize> {
    let l = Level::parse(level).map_err(|_| ReplicaError::Corrupt(format!("统计汇总的评价等级 {level}")))?;
    Level::ALL.iter().position(|x| *x == l).ok_or_else(|| ReplicaError::Corrupt(format!("统计汇总的评价等级 {level}")))
}

/// Which rows of the aggregate tables one KPI query reads.
struct Filter {
    sql: &'static str,
    key: Option<i64>,
}

impl Filter {
    /// The filter and the rating and case tables that hold `subject`'s grain. `totals`: the scope
    /// is the replica's own, whose totals are kept apart (see [`agg_totals`]).
    fn subject(subject: Subject, totals: bool) -> (Filter, &'static str, &'static str) {
        match subject {
            Subject::All if totals => (Filter { sql: "", key: None }, agg_totals::RATINGS, agg_totals::CASES),
            Subject::All => (Filter { sql: "", key: None }, "agg_rating_units", "agg_case_units"),
            Subject::Unit(u) => {
                (Filter { sql: " AND unit_id = ?6", key: Some(u) }, "agg_rating_units", "agg_case_units")
            }
            // One member's rows are few among all members' of a month: read them through the index.
            Subject::Staff(s) => (
                Filter { sql: " AND staff_id = ?6", key: Some(s) },
                staff_ratings(true),
                "agg_case_staff INDEXED BY agg_case_staff_staff",
            ),
        }
    }
}

/// The staff's rating rows: `agg_rating_staff` (the window's ratings) and the server's month rows
/// of the months before the window, as they are (`crate::tables::rating_stats::staff_rows`).
/// `one_member`: read the aggregate through its index by member.
fn staff_ratings(one_member: bool) -> &'static str {
    static ALL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| staff_ratings_sql(""));
    static ONE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| staff_ratings_sql(" INDEXED BY agg_rating_staff_staff"));
    if one_member {
        ONE.as_str()
    } else {
        ALL.as_str()
    }
}

fn staff_ratings_sql(hint: &str) -> String {
    format!(
        "(SELECT grain, bucket, staff_id, unit_id, unit_path, level, n_rated, n_real_name, n_excluded
            FROM agg_rating_staff{hint}
          UNION ALL {})",
        crate::tables::rating_stats::staff_rows()
    )
}

/// Adds one rating-aggregate row (level, rated, real name, excluded) to `cell`.
fn add_rating_row(cell: &mut Cell, level: &str, rated: i64, real_name: i64, excluded: i64) -> Result<()> {
    let i = level_index(level)?;
    cell.level_counts[i] += count(rated)?;
    if Level::ALL[i].is_bad() {
        cell.real_name_bad += count(real_name)?;
    }
    cell.excluded_ratings += count(excluded)?;
    Ok(())
}

/// Adds one case-aggregate row (see `CASE_SUMS`, from column `at`) to `cell`.
fn add_case_row(cell: &mut Cell, r: &rusqlite::Row<'_>, at: usize) -> Result<()> {
    let v = |i: usize| -> Result<u64> { count(r.get::<_, i64>(at + i)?) };
    cell.cases += v(1)?;
    cell.excluded_cases += v(2)?;
    cell.handled_on_time += v(3)?;
    cell.handled_late += v(4)?;
    let open = v(5)?;
    if open > 0 {
        // Read in place (a province's month has tens of thousands of these rows).
        let open_due =
            r.get_ref(at)?.as_str().map_err(|e| ReplicaError::Corrupt(format!("统计汇总的办理期限：{e}")))?;
        let due = open_due
            .parse::<NaiveDate>()
            .map_err(|e| ReplicaError::Corrupt(format!("统计汇总的办理期限 {open_due}：{e}")))?;
        *cell.open_by_due_date.entry(due).or_insert(0) += open;
    }
    cell.closed += v(6)?;
    cell.closed_rectified += v(7)?;
    cell.visited += v(8)?;
    cell.visit_satisfied += v(9)?;
    cell.real_name_bad_cases += v(10)?;
    cell.real_name_bad_cases_visited += v(11)?;
    Ok(())
}

/// The columns [`add_case_row`] reads, as stored.
const CASE_COLUMNS: &str = "open_due, n_cases, n_excluded, n_on_time, n_late, n_open, n_closed, n_rectified, n_visited,
        n_satisfied, n_rn_bad, n_rn_bad_visited";

const CASE_SUMS: &str = "open_due, sum(n_cases), sum(n_excluded), sum(n_on_time), sum(n_late), sum(n_open),
        sum(n_closed), sum(n_rectified), sum(n_visited), sum(n_satisfied), sum(n_rn_bad), sum(n_rn_bad_visited)";

/// Rows of one span (`?1` grain, `?2`..`?3` buckets) under a scope (`?4`..`?5`).
const SPAN: &str = "grain = ?1 AND bucket >= ?2 AND bucket <= ?3 AND unit_path >= ?4 AND unit_path < ?5";

/// [`SPAN`] in a table of the replica's totals (which are all under its scope: `?4`, `?5` unused).
const TOTAL_SPAN: &str = "grain = ?1 AND bucket >= ?2 AND bucket <= ?3 AND ?4 IS NOT NULL AND ?5 IS NOT NULL";

/// The span condition for `table`.
fn span(table: &str) -> &'static str {
    if agg_totals::TABLES.contains(&table) {
        TOTAL_SPAN
    } else {
        SPAN
    }
}

fn rating_kpi_sql(table: &str, filter: &str) -> String {
    format!(
        "SELECT level, sum(n_rated), sum(n_real_name), sum(n_excluded) FROM {table}
          WHERE {} AND ?6 IS NOT NULL{filter}
          GROUP BY level",
        span(table)
    )
}

fn case_kpi_sql(table: &str, filter: &str) -> String {
    format!(
        "SELECT {CASE_SUMS} FROM {table}
          WHERE {} AND ?6 IS NOT NULL{filter}
          GROUP BY open_due",
        span(table)
    )
}

fn by_sql(group: GroupBy) -> (String, String) {
    let (key, ratings, cases) = match group {
        GroupBy::Unit => ("unit_id", "agg_rating_units", "agg_case_units"),
        GroupBy::Staff => ("staff_id", staff_ratings(false), "agg_case_staff"),
    };
    // The rows as stored, summed per key by the caller: a month's rows are already one per key
    // (and unit path), and `GROUP BY` sorted a province's tens of thousands of rows first — twice
    // the time of reading them.
    (
        format!("SELECT {key}, level, n_rated, n_real_name, n_excluded FROM {ratings} WHERE {SPAN}"),
        format!("SELECT {key}, {CASE_COLUMNS} FROM {cases} WHERE {SPAN}"),
    )
}

/// Ratings and bad reviews per month of a span, from `table` (the units', or the totals').
fn monthly_sql(table: &str) -> String {
    format!(
        "SELECT substr(bucket, 1, 7) AS month, sum(n_rated),
                sum(CASE WHEN level IN ('dissatisfied', 'very_dissatisfied') THEN n_rated ELSE 0 END)
           FROM {table}
          WHERE {}
          GROUP BY month",
        span(table)
    )
}

const MONTHS_SQL: &str =
    "SELECT max(bucket) FROM agg_rating_units WHERE grain = 'm' AND bucket < ?1 AND unit_path >= ?2 AND unit_path < ?3";

/// Non-excluded ratings per channel of a span, from `table` (the units', or the totals').
fn channels_sql(table: &str) -> String {
    format!("SELECT channel, sum(n) FROM {table} WHERE {} GROUP BY channel", span(table))
}

/// `SELECT *` of an aggregate table in the order of its key (its primary key's columns), for
/// comparing tables.
#[cfg(test)]
pub(crate) fn tests_order_by_key(conn: &Connection, table: &str) -> String {
    let key: Vec<String> = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{table}') WHERE pk > 0 ORDER BY pk"))
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    format!("SELECT * FROM {table} ORDER BY {}", key.join(", "))
}

/// Every statement the dashboard reads with, for query-plan checks.
#[cfg(test)]
pub(crate) fn dashboard_statements() -> Vec<String> {
    let mut out = vec![MONTHS_SQL.to_owned()];
    for totals in [false, true] {
        for subject in [Subject::All, Subject::Unit(1), Subject::Staff(1)] {
            let (f, ratings, cases) = Filter::subject(subject, totals);
            out.push(rating_kpi_sql(ratings, f.sql));
            out.push(case_kpi_sql(cases, f.sql));
        }
        out.push(monthly_sql(if totals { agg_totals::RATINGS } else { "agg_rating_units" }));
        out.push(channels_sql(if totals { agg_totals::CHANNELS } else { "agg_rating_channels" }));
    }
    for group in [GroupBy::Unit, GroupBy::Staff] {
        let (r, c) = by_sql(group);
        out.extend([r, c]);
    }
    out
}

/// The KPIs of `subject` under `scope` (a unit path) over `period` as of `as_of`, from the
/// aggregates; equal to `hcp_domain::kpi::kpis` over `hcp-stats`' facts of the same scope.
pub fn kpis(conn: &Connection, scope: &str, subject: Subject, period: &Period, as_of: DateTime<Utc>) -> Result<Kpis> {
    let (lo, hi) = bounds(scope);
    let (f, ratings, cases) = Filter::subject(subject, agg_totals::covers(conn, scope)?);
    let key = f.key.unwrap_or(0);
    let mut cell = Cell::default();
    for (grain, first, last) in spans_in(conn, period)? {
        let args = rusqlite::params![grain, first, last, lo, hi, key];
        let mut stmt = conn.prepare_cached(&rating_kpi_sql(ratings, f.sql))?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            let level: String = r.get(0)?;
            add_rating_row(&mut cell, &level, r.get(1)?, r.get(2)?, r.get(3)?)?;
        }
        let mut stmt = conn.prepare_cached(&case_kpi_sql(cases, f.sql))?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            add_case_row(&mut cell, r, 0)?;
        }
    }
    Ok(cell.kpis(local_date(as_of)))
}

/// The KPIs of every unit (or staff member) under `scope` with a fact in `period`; equal to
/// `hcp_domain::kpi::kpis_by` over `hcp-stats`' facts of the same scope.
pub fn kpis_by(
    conn: &Connection,
    scope: &str,
    group: GroupBy,
    period: &Period,
    as_of: DateTime<Utc>,
) -> Result<BTreeMap<i64, Kpis>> {
    let (lo, hi) = bounds(scope);
    let (rating_sql, case_sql) = by_sql(group);
    let mut cells: BTreeMap<i64, Cell> = BTreeMap::new();
    for (grain, first, last) in spans_in(conn, period)? {
        let args = rusqlite::params![grain, first, last, lo, hi];
        let mut stmt = conn.prepare_cached(&rating_sql)?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            let level: String = r.get(1)?;
            add_rating_row(cells.entry(r.get(0)?).or_default(), &level, r.get(2)?, r.get(3)?, r.get(4)?)?;
        }
        let mut stmt = conn.prepare_cached(&case_sql)?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            add_case_row(cells.entry(r.get(0)?).or_default(), r, 1)?;
        }
    }
    let today = local_date(as_of);
    Ok(cells.into_iter().map(|(k, c)| (k, c.kpis(today))).collect())
}

/// Non-excluded ratings and bad reviews per month (`YYYY-MM`) under `scope` over `period`, for the
/// trend chart; months without a rating are left out.
pub fn monthly_volume(conn: &Connection, scope: &str, period: &Period) -> Result<Vec<(String, u64, u64)>> {
    let (lo, hi) = bounds(scope);
    let mut months: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let table = if agg_totals::covers(conn, scope)? { agg_totals::RATINGS } else { "agg_rating_units" };
    let mut stmt = conn.prepare_cached(&monthly_sql(table))?;
    for (grain, first, last) in spans_in(conn, period)? {
        let mut rows = stmt.query(rusqlite::params![grain, first, last, lo, hi])?;
        while let Some(r) = rows.next()? {
            let e = months.entry(r.get(0)?).or_default();
            e.0 += count(r.get(1)?)?;
            e.1 += count(r.get(2)?)?;
        }
    }
    Ok(months.into_iter().map(|(m, (rated, bad))| (m, rated, bad)).collect())
}

/// The months (`YYYY-MM`, newest first) with at least one rating under `scope`, excluded or not.
pub fn rating_months(conn: &Connection, scope: &str) -> Result<Vec<String>> {
    let (lo, hi) = bounds(scope);
    // One probe per month: the primary key orders month rows by month.
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(MONTHS_SQL)?;
    let mut before = "9999".to_owned();
    while let Some(m) = stmt.query_row(rusqlite::params![before, lo, hi], |r| r.get::<_, Option<String>>(0))? {
        before = m.clone();
        out.push(m);
    }
    Ok(out)
}

/// Non-excluded ratings per channel code under `scope` whose local day falls in `period`
/// (`hcp_domain::kpi::channel_counts`): they add up to the period's `rated`.
pub fn channel_counts(conn: &Connection, scope: &str, period: &Period) -> Result<Vec<(u8, u64)>> {
    let (lo, hi) = bounds(scope);
    let mut channels: BTreeMap<u8, u64> = BTreeMap::new();
    let table = if agg_totals::covers(conn, scope)? { agg_totals::CHANNELS } else { "agg_rating_channels" };
    let mut stmt = conn.prepare_cached(&channels_sql(table))?;
    for (grain, first, last) in spans_in(conn, period)? {
        let mut rows = stmt.query(rusqlite::params![grain, first, last, lo, hi])?;
        while let Some(r) = rows.next()? {
            *channels.entry(r.get(0)?).or_insert(0) += count(r.get(1)?)?;
        }
    }
    Ok(channels.into_iter().collect())
}

/// The content codes of the non-excluded bad reviews under `scope` whose local day falls in
/// `period`, with the number of bad reviews carrying each, most frequent first (ties by code).
/// Every bad review opens a case, so the (few) cases lead to their ratings: no scan of the ratings.
pub fn bad_review_content_codes(conn: &Connection, scope: &str, period: &Period) -> Result<Vec<(u16, u64)>> {
    let (lo, hi) = bounds(scope);
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT r.content_codes FROM cases c
           JOIN stat_ratings s ON s.id = c.rating_id
           JOIN ratings r ON r.id = c.rating_id
          WHERE c.unit_path >= ?3 AND c.unit_path < ?4 AND s.day >= ?1 AND s.day <= ?2 AND NOT s.excluded
            AND s.level IN ('dissatisfied', 'very_dissatisfied')
          GROUP BY r.id",
    )?;
    let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
    let mut rows = stmt.query(rusqlite::params![day(period.first), day(period.last), lo, hi])?;
    while let Some(r) = rows.next()? {
        let codes: String = r.get(0)?;
        let distinct: BTreeSet<u16> = codes.split(',').filter_map(|c| c.trim().parse().ok()).collect();
        for c in distinct {
            *counts.entry(c).or_insert(0) += 1;
        }
    }
    let mut out: Vec<(u16, u64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// A case as the 绩效考核 score sheet counts it (excluded cases are left out before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreCase {
    pub id: i64,
    pub case_no: String,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    /// Opened by a bad review (the rating it names stands: the case is not excluded).
    pub bad_review: bool,
    /// Local day it was opened.
    pub day: String,
    /// Its due date, if its deadline runs in days.
    pub due: Option<String>,
    /// The local day it was handled (rectification reported or resolved on the spot).
    pub handled_day: Option<String>,
    /// The last return visit's answer (`Some(false)`: not satisfied).
    pub visit_satisfied: Option<bool>,
}

impl ScoreCase {
    /// Handled after its due date, or still unhandled after it as of `today` (`YYYY-MM-DD`).
    pub fn overdue(&self, today: &str) -> bool {
        match (&self.due, &self.handled_day) {
            (Some(due), Some(done)) => done > due,
            (Some(due), None) => today > due.as_str(),
            (None, _) => false,
        }
    }
}

/// The cases opened in `period` under `scope` that count (not excluded), with what the score
/// sheet reads of them, by id.
pub fn score_cases(conn: &Connection, scope: &str, period: &Period) -> Result<Vec<ScoreCase>> {
    let (lo, hi) = bounds(scope);
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, c.case_no, s.unit_id, s.staff_id, s.rating_id IS NOT NULL, s.day, s.due, s.handled_day, s.visit
           FROM stat_cases s JOIN cases c ON c.id = s.id
          WHERE s.unit_path >= ?3 AND s.unit_path < ?4 AND s.day >= ?1 AND s.day <= ?2 AND NOT s.excl
          ORDER BY s.id",
    )?;
    let rows = stmt.query_map(rusqlite::params![day(period.first), day(period.last), lo, hi], |r| {
        Ok(ScoreCase {
            id: r.get(0)?,
            case_no: r.get(1)?,
            unit_id: r.get(2)?,
            staff_id: r.get(3)?,
            bad_review: r.get(4)?,
            day: r.get(5)?,
            due: r.get(6)?,
            handled_day: r.get(7)?,
            visit_satisfied: r.get::<_, Option<i64>>(8)?.map(|v| v != 0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// What citizens wrote with the bad reviews of `period` under `scope` (excluded ratings left out),
/// and the texts of the complaints received in it: (service item, unit id, text), non-empty texts only.
pub fn bad_review_texts(conn: &Connection, scope: &str, period: &Period) -> Result<Vec<(String, i64, String)>> {
    let (lo, hi) = bounds(scope);
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT r.item_name, r.unit_id, r.comment FROM stat_ratings s JOIN ratings r ON r.id = s.id
          WHERE r.unit_path >= ?3 AND r.unit_path < ?4 AND s.day >= ?1 AND s.day <= ?2 AND NOT s.excluded
            AND s.level IN ('dissatisfied', 'very_dissatisfied') AND r.comment <> ''
          ORDER BY r.id",
    )?;
    let mut rows = stmt.query(rusqlite::params![day(period.first), day(period.last), lo, hi])?;
    while let Some(r) = rows.next()? {
        out.push((r.get(0)?, r.get(1)?, r.get(2)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
