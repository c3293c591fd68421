//! `agg_case_units`: the case-side KPI counts per unit × local day of creation (grain `d`) or month
//! (grain `m`) × open due date (及时率, 整改率, 回访满意率, 实名差评回访率).
//!
//! Timeliness of an unhandled case depends on the day the KPIs are read for, so non-excluded
//! unhandled cases with a due date are kept apart by that due date (`open_due`; `''` for every
//! other case) and counted as overdue at read time. Each count is the number of cases with that
//! flag (see [`cases_by_grain`]); zero rows are deleted by a trigger.

use rusqlite::Connection;

use crate::Result;

pub const DDL: &str = "
CREATE TABLE agg_case_units (
    grain            TEXT NOT NULL,
    bucket           TEXT NOT NULL,
    unit_id          INTEGER NOT NULL,
    unit_path        TEXT NOT NULL,
    open_due         TEXT NOT NULL,
    n_cases          INTEGER NOT NULL,
    n_excluded       INTEGER NOT NULL,
    n_on_time        INTEGER NOT NULL,
    n_late           INTEGER NOT NULL,
    n_open           INTEGER NOT NULL,
    n_closed         INTEGER NOT NULL,
    n_rectified      INTEGER NOT NULL,
    n_visited        INTEGER NOT NULL,
    n_satisfied      INTEGER NOT NULL,
    n_rn_bad         INTEGER NOT NULL,
    n_rn_bad_visited INTEGER NOT NULL,
    PRIMARY KEY (grain, bucket, unit_id, unit_path, open_due)
) WITHOUT ROWID;
CREATE TRIGGER agg_case_units_zero AFTER UPDATE ON agg_case_units
WHEN NEW.n_cases = 0 AND NEW.n_excluded = 0 AND NEW.n_on_time = 0 AND NEW.n_late = 0 AND NEW.n_open = 0
 AND NEW.n_closed = 0 AND NEW.n_rectified = 0 AND NEW.n_visited = 0 AND NEW.n_satisfied = 0
 AND NEW.n_rn_bad = 0 AND NEW.n_rn_bad_visited = 0
BEGIN
    DELETE FROM agg_case_units
     WHERE grain = NEW.grain AND bucket = NEW.bucket AND unit_id = NEW.unit_id AND unit_path = NEW.unit_path
       AND open_due = NEW.open_due;
END;
";

/// The cases of `stat_cases` that pass `filter`, once per day and once per month, with the KPI
/// flags of each, as `hcp-stats` and `hcp_domain::kpi` define them: a case counts unless excluded;
/// with a due date it was handled on time (local handling day on or before the due date), late,
/// or is still open (overdue once the reading day is after the due date); closed and rectified
/// (closed with a handling event); visited and satisfied (its last return visit); a real-name bad
/// review (it has a rating) visited or not. `stat_cases` is materialized first so that its
/// subqueries run once per case.
pub(crate) fn cases_by_grain(filter: &str) -> String {
    format!(
        "b AS MATERIALIZED (SELECT * FROM stat_cases WHERE day IS NOT NULL AND ({filter}) AND ?2 IS NOT NULL),
         f AS (SELECT day, unit_id, unit_path, staff_id,
                      CASE WHEN NOT excl AND due IS NOT NULL AND handled_day IS NULL THEN due ELSE '' END AS open_due,
                      NOT excl AS counted,
                      excl AS excluded,
                      (NOT excl AND due IS NOT NULL AND handled_day IS NOT NULL AND handled_day <= due) AS on_time,
                      (NOT excl AND due IS NOT NULL AND handled_day IS NOT NULL AND handled_day > due) AS late,
                      (NOT excl AND closed) AS closed,
                      (NOT excl AND closed AND handled_day IS NOT NULL) AS rectified,
                      (NOT excl AND visit IS NOT NULL) AS visited,
                      (NOT excl AND visit IS NOT NULL AND visit <> 0) AS satisfied,
                      (NOT excl AND real_name AND rating_id IS NOT NULL) AS rn_bad,
                      (NOT excl AND real_name AND rating_id IS NOT NULL AND visit IS NOT NULL) AS rn_bad_visited
                 FROM b),
         g AS (SELECT 'd' AS grain, day AS bucket, * FROM f UNION ALL SELECT 'm', substr(day, 1, 7), * FROM f)"
    )
}

/// The sums of the case flags, in the column order of the tables' counts.
pub(crate) const FLAG_SUMS: &str = "?1 * sum(counted), ?1 * sum(excluded), ?1 * sum(on_time), ?1 * sum(late),
    ?1 * sum(open_due <> ''), ?1 * sum(closed), ?1 * sum(rectified), ?1 * sum(visited), ?1 * sum(satisfied),
    ?1 * sum(rn_bad), ?1 * sum(rn_bad_visited)";

/// The counts' columns and their update on conflict.
pub(crate) const COUNTS: &str = "n_cases, n_excluded, n_on_time, n_late, n_open, n_closed, n_rectified, n_visited,
    n_satisfied, n_rn_bad, n_rn_bad_visited";
pub(crate) const ADD_COUNTS: &str = "n_cases = n_cases + excluded.n_cases,
    n_excluded = n_excluded + excluded.n_excluded,
    n_on_time = n_on_time + excluded.n_on_time,
    n_late = n_late + excluded.n_late,
    n_open = n_open + excluded.n_open,
    n_closed = n_closed + excluded.n_closed,
    n_rectified = n_rectified + excluded.n_rectified,
    n_visited = n_visited + excluded.n_visited,
    n_satisfied = n_satisfied + excluded.n_satisfied,
    n_rn_bad = n_rn_bad + excluded.n_rn_bad,
    n_rn_bad_visited = n_rn_bad_visited + excluded.n_rn_bad_visited";

/// The statement [`fold`] runs.
pub(crate) fn fold_sql(filter: &str) -> String {
    format!(
        "WITH {}
         INSERT INTO agg_case_units (grain, bucket, unit_id, unit_path, open_due, {COUNTS})
         SELECT grain, bucket, unit_id, unit_path, open_due, {FLAG_SUMS}
           FROM g
          WHERE true
          GROUP BY grain, bucket, unit_id, unit_path, open_due
         ON CONFLICT (grain, bucket, unit_id, unit_path, open_due) DO UPDATE SET {ADD_COUNTS}",
        cases_by_grain(filter)
    )
}

/// Adds `sign` × the cases of `stat_cases` that pass `filter`.
pub fn fold(conn: &Connection, sign: i64, filter: &str, arg: &str) -> Result<()> {
    conn.prepare_cached(&fold_sql(filter))?.execute(rusqlite::params![sign, arg])?;
    Ok(())
}
