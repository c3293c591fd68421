//! `rating_stats`: the statistics of each closed month, kept by the server and replicated like any
//! row (see [`hcp_protocol::RatingStatRow`]), and `stat_months`: which months they are kept for.
//!
//! A replica holds its window of ratings in full (`hcp_protocol::Window`) and every earlier month
//! as these rows. They are computed from the ratings with the rules the published KPIs use
//! (`hcp_stats::rules`), so the replica's figures of an old month equal `GET /api/v1/kpis`:
//!
//! - [`roll_up_closed`] rolls up every closed month not rolled up yet (the server does it at start
//!   and every hour; the seeds at their end): one scan of the month's ratings.
//! - Afterwards the month's rows follow every write that changes what a rating contributes, in the
//!   write's transaction: a late rating ([`super::ratings`]), a case leaving or rejoining the
//!   statistics ([`super::cases::update`]), an integrity verdict ([`super::integrity_flags`]), a
//!   unit move ([`super::unit_move`]). Each recounts the (month, unit) it touched and writes only
//!   the rows whose counts changed, each with its change entry.
//!
//! Writes are serialised on both engines (see [`super`]), so a roll-up and a late rating cannot
//! race: whichever commits first is seen by the other.

use std::collections::{BTreeMap, BTreeSet};

use hcp_domain::calendar::month_bounds;
use hcp_domain::OrgKind;
use hcp_protocol::{ChangeOp, Entity, RatingStatRow, Window};
use hcp_stats::rules::{self, Dialect as RuleDialect};

use super::{args, changes, Conn, DbError, DbResult, Dialect, Value};

pub use hcp_store::entities::rating_stat::SERVER_DDL as DDL;

/// The months rolled up, and when.
pub const MONTHS_DDL: &str = "
CREATE TABLE stat_months (
    month     TEXT PRIMARY KEY,
    rolled_at TEXT NOT NULL
);
";

/// A row's key within its month: (unit, path, staff member or 0, level or '', channel or 0).
type Key = (i64, String, i64, String, i64);
/// A row's counts: (rated, real name, excluded).
type Counts = (i64, i64, i64);

/// The dialect `hcp_stats::rules` writes for this connection.
pub(in crate::db) fn rule_dialect(conn: &Conn<'_>) -> RuleDialect {
    match conn.dialect() {
        Dialect::Postgres => RuleDialect::Postgres,
        Dialect::Sqlite => RuleDialect::Sqlite,
    }
}

/// The month's counts from its ratings (`?1`..`?2` the month's instants; `?3` a unit, when
/// `one_unit`), per rated unit (a hall, at its own path: a rating given at one of its windows
/// counts there too): a unit's rows per level, its counted ratings per channel (a channel whose
/// every rating is excluded has none), a member's rows per level. Only jurisdictions that contain
/// whole halls replicate within a window (see [`window`]), so the hall's path is fine enough.
fn counts_sql(d: RuleDialect, one_unit: bool) -> String {
    let unit = if one_unit { " AND r.unit_id = ?3" } else { "" };
    format!(
        "WITH x AS (SELECT r.unit_id, o.path AS unit_path, coalesce(r.staff_id, 0) AS staff_id, r.level, r.channel,
                           CASE WHEN r.real_name <> 0 THEN 1 ELSE 0 END AS real_name,
                           CASE WHEN {excluded} THEN 1 ELSE 0 END AS excluded
                      FROM ratings r JOIN org_units o ON o.id = r.unit_id
                     WHERE r.rated_at >= ?1 AND r.rated_at < ?2{unit})
         SELECT unit_id, unit_path, 0, level, 0,
                sum(1 - excluded), sum(real_name * (1 - excluded)), sum(excluded)
           FROM x GROUP BY unit_id, unit_path, level
         UNION ALL
         SELECT unit_id, unit_path, 0, '', channel, sum(1 - excluded), 0, 0
           FROM x GROUP BY unit_id, unit_path, channel HAVING sum(1 - excluded) > 0
         UNION ALL
         SELECT unit_id, unit_path, staff_id, level, 0,
                sum(1 - excluded), sum(real_name * (1 - excluded)), sum(excluded)
           FROM x WHERE staff_id <> 0 GROUP BY unit_id, unit_path, staff_id, level",
        excluded = rules::rating_excluded(d, "r"),
    )
}

fn bounds(month: &str) -> DbResult<(String, String)> {
    month_bounds(month).ok_or_else(|| DbError::Corrupt(format!("statistics month '{month}'")))
}

/// The month's counts as the ratings give them now (of one unit, or of all).
fn fresh(conn: &Conn<'_>, month: &str, unit: Option<i64>) -> DbResult<BTreeMap<Key, Counts>> {
    let (from, to) = bounds(month)?;
    let sql = counts_sql(rule_dialect(conn), unit.is_some());
    let mut values = args![from, to];
    if let Some(u) = unit {
        values.push(Value::Int(u));
    }
    let mut out = BTreeMap::new();
    conn.each(&sql, values, |r| {
        out.insert((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?), (r.get(5)?, r.get(6)?, r.get(7)?));
        Ok(())
    })?;
    Ok(out)
}

/// The month's rows as stored (of one unit, or of all): key → (id, counts).
fn stored(conn: &Conn<'_>, month: &str, unit: Option<i64>) -> DbResult<BTreeMap<Key, (i64, Counts)>> {
    let mut sql = "SELECT id, unit_id, staff_id, level, channel, unit_path, n_rated, n_real_name, n_excluded
                     FROM rating_stats WHERE month = ?1"
        .to_owned();
    let mut values = args![month];
    if let Some(u) = unit {
        sql.push_str(" AND unit_id = ?2");
        values.push(Value::Int(u));
    }
    let mut out = BTreeMap::new();
    conn.each(&sql, values, |r| {
        out.insert(
            (r.get(1)?, r.get(5)?, r.get(2)?, r.get(3)?, r.get(4)?),
            (r.get(0)?, (r.get(6)?, r.get(7)?, r.get(8)?)),
        );
        Ok(())
    })?;
    Ok(out)
}

/// Makes the month's stored rows (of one unit, or of all) equal its fresh counts, writing and
/// announcing only the rows that differ. Returns how many rows changed.
fn reconcile(conn: &Conn<'_>, month: &str, unit: Option<i64>, at: &str) -> DbResult<usize> {
    let fresh = fresh(conn, month, unit)?;
    let mut stored = stored(conn, month, unit)?;
    let mut inserts: Vec<(&Key, &Counts)> = Vec::new();
    let mut upserted: Vec<(i64, String)> = Vec::new();
    for (key, counts) in &fresh {
        match stored.remove(key) {
            Some((_, old)) if old == *counts => {}
            Some((id, _)) => {
                let (rated, real_name, excluded) = counts;
                conn.execute(
                    "UPDATE rating_stats SET n_rated = ?2, n_real_name = ?3, n_excluded = ?4 WHERE id = ?1",
                    args![id, *rated, *real_name, *excluded],
                )?;
                upserted.push((id, key.1.clone()));
            }
            None => inserts.push((key, counts)),
        }
    }
    let mut changed = upserted.len();
    // What is stored but no longer counted (its every rating left the month or the unit).
    let gone: Vec<(i64, String)> = stored.into_iter().map(|(key, (id, _))| (id, key.1)).collect();
    for (id, _) in &gone {
        conn.execute("DELETE FROM rating_stats WHERE id = ?1", [*id])?;
    }
    changed += gone.len();
    let gone: Vec<(i64, &str)> = gone.iter().map(|(id, p)| (*id, p.as_str())).collect();
    changes::record_many(conn, Entity::RatingStat, &gone, ChangeOp::Delete, at)?;
    for chunk in super::sql::chunks(&inserts) {
        let sql = format!(
            "INSERT INTO rating_stats (month, unit_id, unit_path, staff_id, level, channel, n_rated, n_real_name,
                                       n_excluded) VALUES {} RETURNING id, unit_path",
            super::sql::marks(chunk.len(), 9)
        );
        let values: Vec<Value> = chunk
            .iter()
            .flat_map(|((unit, path, member, level, channel), (rated, real_name, excluded))| {
                args![month, *unit, path, *member, level, *channel, *rated, *real_name, *excluded]
            })
            .collect();
        conn.each(&sql, values, |r| {
            upserted.push((r.get(0)?, r.get(1)?));
            Ok(())
        })?;
    }
    changed += inserts.len();
    let upserted: Vec<(i64, &str)> = upserted.iter().map(|(id, p)| (*id, p.as_str())).collect();
    changes::record_many(conn, Entity::RatingStat, &upserted, ChangeOp::Upsert, at)?;
    Ok(changed)
}

/// The months rolled up, oldest first.
pub fn rolled_months(conn: &Conn<'_>) -> DbResult<Vec<String>> {
    conn.query_map("SELECT month FROM stat_months ORDER BY month", (), |r| r.get(0))
}

/// Rolls up `month` (its rows computed from its ratings; rows already there are reconciled) and
/// marks it rolled up. Returns the rows written.
pub fn roll_up(conn: &Conn<'_>, month: &str, at: &str) -> DbResult<usize> {
    let n = reconcile(conn, month, None, at)?;
    conn.execute(
        "INSERT INTO stat_months (month, rolled_at) VALUES (?1, ?2) ON CONFLICT (month) DO NOTHING",
        args![month, at],
    )?;
    Ok(n)
}

/// The Beijing month (`YYYY-MM`) of an RFC 3339 instant.
fn month_of(instant: &str) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(instant).ok()?.with_timezone(&chrono::Utc);
    Some(hcp_domain::calendar::beijing_date(at).format("%Y-%m").to_string())
}

fn next_month(month: &str) -> Option<String> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    Some(first.checked_add_months(chrono::Months::new(1))?.format("%Y-%m").to_string())
}

/// Rolls up every closed month (before `today`'s, Beijing) that has ratings and is not rolled up
/// yet: from the oldest rolled-up month on (from the oldest rating's month the first time). Returns
/// the months rolled up.
pub fn roll_up_closed(conn: &Conn<'_>, today: chrono::NaiveDate, at: &str) -> DbResult<Vec<String>> {
    let current = today.format("%Y-%m").to_string();
    let rolled: BTreeSet<String> = rolled_months(conn)?.into_iter().collect();
    let first = match rolled.first() {
        Some(m) => Some(m.clone()),
        None => conn
            .query_row("SELECT min(rated_at) FROM ratings", (), |r| r.get::<Option<String>>(0))?
            .as_deref()
            .and_then(month_of),
    };
    let mut done = Vec::new();
    let mut month = first;
    while let Some(m) = month.filter(|m| *m < current) {
        if !rolled.contains(&m) {
            let rows = roll_up(conn, &m, at)?;
            tracing::info!(month = %m, rows, "rating statistics rolled up");
            done.push(m.clone());
        }
        month = next_month(&m);
    }
    Ok(done)
}

/// Keeps the rows of rolled-up months current after ratings were written or changed what they
/// contribute: `ratings` as (rated at, unit). A month before every rolled-up month (a very late
/// rating) is rolled up whole; a rolled-up month is recounted for the units touched; the current
/// month and any other not rolled up are left to [`roll_up_closed`].
pub fn ratings_changed(conn: &Conn<'_>, ratings: &[(String, i64)], at: &str) -> DbResult<()> {
    let touched: BTreeSet<(String, i64)> =
        ratings.iter().filter_map(|(rated_at, unit)| Some((month_of(rated_at)?, *unit))).collect();
    if touched.is_empty() {
        return Ok(());
    }
    let rolled = rolled_months(conn)?;
    let Some(oldest) = rolled.first() else { return Ok(()) };
    let rolled: BTreeSet<&String> = rolled.iter().collect();
    let mut whole = BTreeSet::new();
    for (month, unit) in &touched {
        if rolled.contains(month) {
            reconcile(conn, month, Some(*unit), at)?;
        } else if month < oldest && whole.insert(month.clone()) {
            roll_up(conn, month, at)?;
        }
    }
    Ok(())
}

/// [`ratings_changed`] for ratings named by id.
pub fn ratings_changed_by_id(conn: &Conn<'_>, ids: &[i64], at: &str) -> DbResult<()> {
    if ids.is_empty() || rolled_months(conn)?.is_empty() {
        return Ok(());
    }
    let found =
        super::changes::by_ids(conn, "SELECT rated_at, unit_id FROM ratings", ids, |r| Ok((r.get(0)?, r.get(1)?)))?;
    ratings_changed(conn, &found, at)
}

/// The replication window of the jurisdiction at `path` on the Beijing date `today`: its policy's
/// months, moved earlier to the first month not rolled up yet (a replica must find every month
/// before its window in these rows). `None` (the whole history) while nothing is rolled up, and
/// for a jurisdiction inside a hall (a department's or a window's: a few ratings, while the month
/// rows are kept per hall).
pub fn window(conn: &Conn<'_>, path: &str, today: chrono::NaiveDate) -> DbResult<Option<Window>> {
    // The unit's kind, its policy and the rolled-up months in one statement (a row per month, or
    // one with no month): the pull reads the window for every page.
    let sql = format!(
        "SELECT u.kind, p.value, m.month
           FROM (SELECT (SELECT kind FROM org_units WHERE path = ?2) AS kind) u
           LEFT JOIN (SELECT value FROM settings {}) p ON 1 = 1
           LEFT JOIN stat_months m ON 1 = 1
          ORDER BY m.month",
        super::settings::NEAREST
    );
    let mut kind: Option<String> = None;
    let mut policy: Option<String> = None;
    let mut rolled: Vec<String> = Vec::new();
    conn.each(&sql, [hcp_protocol::setting_keys::POLICY, path], |r| {
        kind = r.get(0)?;
        policy = r.get(1)?;
        rolled.extend(r.get::<Option<String>>(2)?);
        Ok(())
    })?;
    if kind.as_deref().is_some_and(|k| k == OrgKind::Department.as_str() || k == OrgKind::Window.as_str()) {
        return Ok(None);
    }
    let Some(oldest) = rolled.first().cloned() else { return Ok(None) };
    let months = super::settings::policy_of(policy.as_deref())?.replication.window_months;
    let (mut first, _) = hcp_domain::calendar::month_window(today, months);
    // The first gap in the rolled-up months, from the oldest on.
    let rolled: BTreeSet<String> = rolled.into_iter().collect();
    let mut m = Some(oldest);
    while let Some(month) = m.filter(|m| *m < first) {
        if !rolled.contains(&month) {
            first = month;
            break;
        }
        m = next_month(&month);
    }
    let (since, _) = bounds(&first)?;
    Ok(Some(Window { month: first, since }))
}

/// All rows of `month`, for tests and checks.
pub fn of_month(conn: &Conn<'_>, month: &str) -> DbResult<Vec<RatingStatRow>> {
    use hcp_store::Replicated;
    conn.query_map(
        &format!("SELECT {} FROM rating_stats WHERE month = ?1 ORDER BY id", RatingStatRow::COLUMNS),
        [month],
        RatingStatRow::from_row,
    )
}
