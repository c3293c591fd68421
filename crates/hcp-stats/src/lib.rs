//! The facts the statistics are computed from, read from a database with the `ratings`, `cases`
//! and `case_events` tables: the central server's (SQLite or PostgreSQL) and the desktop
//! replica's have the same shape, so the published figures and the dashboard's come from the same
//! facts and the same maths (`hcp_domain::kpi`).
//!
//! Exclusions come from the cases' aggregates (malicious/mistaken reviews, overturned appeals);
//! handling and return visits from the case events. Every query takes a jurisdiction (a unit path).
//! The queries run through [`FactSource`], implemented here for an SQLite connection and by the
//! server for its storage interface.

use chrono::{DateTime, NaiveDate, Utc};
use hcp_domain::kpi::{CaseFact, RatingFact};
use hcp_domain::Level;
use rusqlite::Connection;

/// A fact that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Source(String),
    #[error("corrupt fact: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StatsError>;

/// One column value of a fact row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// Where the facts are read from.
pub trait FactSource {
    /// Whether the database speaks PostgreSQL's SQL (it differs only in JSON access here).
    fn is_postgres(&self) -> bool;
    /// Runs `sql` (numbered `?N` text parameters) and feeds each row to `f`.
    fn each_row(&self, sql: &str, args: &[&str], f: &mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<()>;
}

impl FactSource for Connection {
    fn is_postgres(&self) -> bool {
        false
    }

    fn each_row(&self, sql: &str, args: &[&str], f: &mut dyn FnMut(&[Cell]) -> Result<()>) -> Result<()> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.prepare_cached(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let mut cells = Vec::with_capacity(n);
        while let Some(r) = rows.next()? {
            cells.clear();
            for i in 0..n {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(_) => return Err(StatsError::Corrupt(format!("column {i} is a blob"))),
                });
            }
            f(&cells)?;
        }
        Ok(())
    }
}

fn int(cells: &[Cell], i: usize) -> Result<Option<i64>> {
    match cells.get(i) {
        Some(Cell::Null) => Ok(None),
        Some(Cell::Int(v)) => Ok(Some(*v)),
        other => Err(StatsError::Corrupt(format!("column {i}: expected an integer, found {other:?}"))),
    }
}

fn req_int(cells: &[Cell], i: usize) -> Result<i64> {
    int(cells, i)?.ok_or_else(|| StatsError::Corrupt(format!("column {i} is NULL")))
}

fn text(cells: &[Cell], i: usize) -> Result<Option<&str>> {
    match cells.get(i) {
        Some(Cell::Null) => Ok(None),
        Some(Cell::Text(v)) => Ok(Some(v)),
        other => Err(StatsError::Corrupt(format!("column {i}: expected text, found {other:?}"))),
    }
}

fn req_text(cells: &[Cell], i: usize) -> Result<&str> {
    text(cells, i)?.ok_or_else(|| StatsError::Corrupt(format!("column {i} is NULL")))
}

/// The statistics' definitions, written once as SQL over the `ratings`, `cases`, `case_events`
/// and `flag_ratings` tables: which ratings and cases leave the statistics, when a case was
/// handled, how its return visit went. The facts read here ([`rating_facts`], [`case_facts`]) and
/// the replica's statistics views (`hcp_replica::aggregates::views_ddl`) are both built from them,
/// so the published figures and the dashboard's cannot drift apart.
pub mod rules {
    /// The SQL a definition is written in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Dialect {
        Sqlite,
        Postgres,
    }

    /// A boolean kept in a JSON text column, as 0/1 or NULL.
    pub fn json_bool(d: Dialect, column: &str, path: &[&str]) -> String {
        match d {
            Dialect::Postgres => format!("(({column})::jsonb #>> '{{{}}}')::boolean::int", path.join(",")),
            Dialect::Sqlite => format!("json_extract({column}, '$.{}')", path.join(".")),
        }
    }

    /// Whether the rating whose id is `rating` was confirmed fake or malicious (an integrity
    /// flag's verdict took it out of the statistics).
    pub fn flagged(rating: &str) -> String {
        format!("EXISTS (SELECT 1 FROM flag_ratings fr WHERE fr.rating_id = {rating} AND fr.excluded = 1)")
    }

    /// Whether the case row `c` (an alias) is excluded in its own aggregate (恶意/误评 confirmed,
    /// appeal overturned), as 0/1 or NULL.
    pub fn case_self_excluded(d: Dialect, c: &str) -> String {
        json_bool(d, &format!("{c}.aggregate"), &["excluded_from_stats"])
    }

    /// Whether the rating row `r` (an alias) left the statistics: the case it opened was
    /// excluded, or a flag's verdict took it out.
    pub fn rating_excluded(d: Dialect, r: &str) -> String {
        format!(
            "(EXISTS (SELECT 1 FROM cases xc WHERE xc.rating_id = {r}.id AND {} = 1) OR {})",
            case_self_excluded(d, "xc"),
            flagged(&format!("{r}.id"))
        )
    }

    /// The ids of every rating that may have left the statistics (a superset, read through the
    /// exclusions' partial indexes; [`rating_excluded`] decides).
    pub fn excluded_rating_ids(d: Dialect) -> String {
        format!(
            "SELECT rating_id FROM cases WHERE {} = 1 UNION SELECT rating_id FROM flag_ratings WHERE excluded = 1",
            json_bool(d, "aggregate", &["excluded_from_stats"])
        )
    }

    /// Whether the case row `c` (an alias) left the statistics: excluded itself, or its rating was
    /// confirmed fake or malicious. 0 or 1.
    pub fn case_excluded(d: Dialect, c: &str) -> String {
        format!(
            "(CASE WHEN coalesce({}, 0) = 1 OR {} THEN 1 ELSE 0 END)",
            case_self_excluded(d, c),
            flagged(&format!("{c}.rating_id"))
        )
    }

    /// Whether the case row `c` (an alias) concerns a real-name rating. 0 or 1.
    pub fn case_real_name(d: Dialect, c: &str) -> String {
        format!("coalesce({}, 0)", json_bool(d, &format!("{c}.aggregate"), &["real_name"]))
    }

    /// The events that count as handling a case.
    pub const HANDLED_BY: [&str; 2] = ["rectification_reported", "resolved_on_spot"];

    /// When the case row `c` (an alias) was handled: the time of its last handling event, or NULL.
    pub fn handled_at(c: &str) -> String {
        let kinds: Vec<String> = HANDLED_BY.iter().map(|k| format!("'{k}'")).collect();
        format!(
            "(SELECT max(he.at) FROM case_events he WHERE he.case_id = {c}.id AND he.kind IN ({}))",
            kinds.join(", ")
        )
    }

    /// How the last return visit of the case row `c` (an alias) went: 1 satisfied, 0 not, NULL
    /// when there was none.
    pub fn last_visit(d: Dialect, c: &str) -> String {
        format!(
            "(SELECT {} FROM case_events ve WHERE ve.case_id = {c}.id AND ve.kind = 'return_visited'
               ORDER BY ve.at DESC, ve.id DESC LIMIT 1)",
            json_bool(d, "ve.data", &["payload", "satisfied"])
        )
    }

    /// Whether a case in `state` (its stored name) is closed.
    pub fn is_closed(state: &str) -> bool {
        state == "closed"
    }
}

use rules::Dialect;

fn dialect(src: &(impl FactSource + ?Sized)) -> Dialect {
    if src.is_postgres() {
        Dialect::Postgres
    } else {
        Dialect::Sqlite
    }
}

/// The exclusive upper bound of the unit paths under `scope`.
fn upper(scope: &str) -> String {
    format!("{scope}~")
}

fn time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StatsError::Corrupt(format!("time '{s}': {e}")))
}

/// Every rating under `scope`, with `excluded` set when its case left the statistics or an
/// integrity flag's verdict took it out.
pub fn rating_facts(src: &(impl FactSource + ?Sized), scope: &str) -> Result<Vec<RatingFact>> {
    let sql = format!(
        "SELECT r.id, r.unit_id, r.staff_id, r.rated_at, r.level, r.real_name, r.channel,
                CASE WHEN {} THEN 1 ELSE 0 END
           FROM ratings r WHERE r.unit_path >= ?1 AND r.unit_path < ?2",
        rules::rating_excluded(dialect(src), "r")
    );
    let mut out = Vec::new();
    src.each_row(&sql, &[scope, &upper(scope)], &mut |r| {
        out.push(RatingFact {
            id: req_int(r, 0)?,
            unit_id: req_int(r, 1)?,
            staff_id: int(r, 2)?,
            rated_at: time(req_text(r, 3)?)?,
            level: Level::parse(req_text(r, 4)?).map_err(|e| StatsError::Corrupt(e.to_string()))?,
            channel: u8::try_from(req_int(r, 6)?).map_err(|e| StatsError::Corrupt(format!("channel: {e}")))?,
            real_name: req_int(r, 5)? != 0,
            excluded: req_int(r, 7)? != 0,
        });
        Ok(())
    })?;
    Ok(out)
}

/// Every case under `scope`, with when it was handled and how the return visit went; a case is
/// excluded when it left the statistics or its rating was confirmed fake or malicious.
pub fn case_facts(src: &(impl FactSource + ?Sized), scope: &str) -> Result<Vec<CaseFact>> {
    let d = dialect(src);
    let sql = format!(
        "SELECT c.id, c.unit_id, c.staff_id, c.rating_id, c.created_at, c.deadline, c.state,
                {real_name}, {excluded}, {handled_at}, {visit}
           FROM cases c WHERE c.unit_path >= ?1 AND c.unit_path < ?2",
        real_name = rules::case_real_name(d, "c"),
        excluded = rules::case_excluded(d, "c"),
        handled_at = rules::handled_at("c"),
        visit = rules::last_visit(d, "c"),
    );
    let mut out = Vec::new();
    src.each_row(&sql, &[scope, &upper(scope)], &mut |r| {
        let state = req_text(r, 6)?;
        let handled_at = text(r, 9)?.map(time).transpose()?;
        out.push(CaseFact {
            id: req_int(r, 0)?,
            unit_id: req_int(r, 1)?,
            staff_id: int(r, 2)?,
            rating_id: int(r, 3)?,
            created_at: time(req_text(r, 4)?)?,
            due_date: text(r, 5)?.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            handled_at,
            closed: rules::is_closed(state),
            rectified: rules::is_closed(state) && handled_at.is_some(),
            return_visit: int(r, 10)?.map(|v| v != 0),
            real_name: req_int(r, 7)? != 0,
            excluded: req_int(r, 8)? != 0,
        });
        Ok(())
    })?;
    Ok(out)
}

/// The halls' names by id.
pub fn unit_names(src: &(impl FactSource + ?Sized)) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    src.each_row("SELECT id, name FROM org_units WHERE kind = 'hall' ORDER BY path", &[], &mut |r| {
        out.push((req_int(r, 0)?, req_text(r, 1)?.to_owned()));
        Ok(())
    })?;
    Ok(out)
}

/// The windows or staff members under `scope` a league lists (see `hcp_domain::league`): a window
/// with the hall above it, a member of staff with the unit they work in.
pub fn league_members(
    src: &(impl FactSource + ?Sized),
    of: hcp_domain::league::LeagueOf,
    scope: &str,
) -> Result<Vec<hcp_domain::league::LeagueMember>> {
    use hcp_domain::league::{LeagueMember, LeagueOf};
    let sql = match of {
        LeagueOf::Window => {
            "SELECT w.id, w.name, w.code, p.id, p.name FROM org_units w LEFT JOIN org_units p ON p.id = w.parent_id
              WHERE w.kind = 'window' AND w.path >= ?1 AND w.path < ?2 ORDER BY w.path"
        }
        LeagueOf::Staff => {
            "SELECT s.id, s.name, s.employee_no, u.id, u.name FROM staff s LEFT JOIN org_units u ON u.id = s.unit_id
              WHERE s.unit_path >= ?1 AND s.unit_path < ?2 ORDER BY s.id"
        }
    };
    let mut out = Vec::new();
    src.each_row(sql, &[scope, &upper(scope)], &mut |r| {
        out.push(LeagueMember {
            id: req_int(r, 0)?,
            name: req_text(r, 1)?.to_owned(),
            code: req_text(r, 2)?.to_owned(),
            unit_id: int(r, 3)?,
            unit_name: text(r, 4)?.map(str::to_owned),
        });
        Ok(())
    })?;
    Ok(out)
}

/// The league of `of` under `scope` for `period` from the staff members' KPIs of the period (the
/// server's from facts, the replica's from its aggregates): members and windows read here, the
/// maths in `hcp_domain::league`. `None` for a period without dates.
pub fn league(
    src: &(impl FactSource + ?Sized),
    of: hcp_domain::league::LeagueOf,
    scope: &str,
    period: hcp_domain::league::LeaguePeriod,
    policy: &hcp_domain::league::AssessmentPolicy,
    by_staff: &std::collections::BTreeMap<i64, hcp_domain::Kpis>,
) -> Result<Option<hcp_domain::league::LeagueTable>> {
    use hcp_domain::league::{self, LeagueOf};
    let tallies = match of {
        LeagueOf::Staff => league::tallies(by_staff),
        LeagueOf::Window => {
            let mut posts = Vec::new();
            src.each_row(
                "SELECT id, window_id FROM staff WHERE window_id IS NOT NULL AND unit_path >= ?1 AND unit_path < ?2",
                &[scope, &upper(scope)],
                &mut |r| {
                    posts.push((req_int(r, 0)?, req_int(r, 1)?));
                    Ok(())
                },
            )?;
            league::window_tallies(by_staff, &posts)
        }
    };
    let members = league_members(src, of, scope)?;
    Ok(league::table(of, period, policy, &tallies, &members))
}

/// The org unit whose path is `scope` (the root of a jurisdiction): (id, name, kind).
pub fn scope_unit(src: &(impl FactSource + ?Sized), scope: &str) -> Result<Option<(i64, String, String)>> {
    let mut out = None;
    src.each_row("SELECT id, name, kind FROM org_units WHERE path = ?1", &[scope], &mut |r| {
        out = Some((req_int(r, 0)?, req_text(r, 1)?.to_owned(), req_text(r, 2)?.to_owned()));
        Ok(())
    })?;
    Ok(out)
}

/// How a document names the jurisdiction its figures cover: 全市 for a city, else the unit's own
/// name (东湖区, 东湖区政务服务中心), so a district's report never speaks of the whole city.
pub fn scope_name_zh(unit: Option<&(i64, String, String)>) -> String {
    match unit {
        Some((_, _, kind)) if kind == "city" => "全市".to_owned(),
        Some((_, name, _)) => name.clone(),
        None => "本辖区".to_owned(),
    }
}
