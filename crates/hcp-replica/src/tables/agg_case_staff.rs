//! `agg_case_staff`: the case-side KPI counts of [`super::agg_case_units`] per staff member × unit
//! × local day (grain `d`) or month (grain `m`) × open due date, for staff-level KPIs (cases
//! without a staff member are not in it). Zero rows are deleted by a trigger.

use rusqlite::Connection;

use super::agg_case_units::{cases_by_grain, ADD_COUNTS, COUNTS, FLAG_SUMS};
use crate::Result;

pub const DDL: &str = "
CREATE TABLE agg_case_staff (
    grain            TEXT NOT NULL,
    bucket           TEXT NOT NULL,
    staff_id         INTEGER NOT NULL,
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
    PRIMARY KEY (grain, bucket, staff_id, unit_id, unit_path, open_due)
) WITHOUT ROWID;
CREATE INDEX agg_case_staff_staff ON agg_case_staff(staff_id, grain, bucket);
CREATE TRIGGER agg_case_staff_zero AFTER UPDATE ON agg_case_staff
WHEN NEW.n_cases = 0 AND NEW.n_excluded = 0 AND NEW.n_on_time = 0 AND NEW.n_late = 0 AND NEW.n_open = 0
 AND NEW.n_closed = 0 AND NEW.n_rectified = 0 AND NEW.n_visited = 0 AND NEW.n_satisfied = 0
 AND NEW.n_rn_bad = 0 AND NEW.n_rn_bad_visited = 0
BEGIN
    DELETE FROM agg_case_staff
     WHERE grain = NEW.grain AND bucket = NEW.bucket AND staff_id = NEW.staff_id AND unit_id = NEW.unit_id
       AND unit_path = NEW.unit_path AND open_due = NEW.open_due;
END;
";

/// The statement [`fold`] runs.
pub(crate) fn fold_sql(filter: &str) -> String {
    format!(
        "WITH {}
         INSERT INTO agg_case_staff (grain, bucket, staff_id, unit_id, unit_path, open_due, {COUNTS})
         SELECT grain, bucket, staff_id, unit_id, unit_path, open_due, {FLAG_SUMS}
           FROM g
          WHERE staff_id IS NOT NULL
          GROUP BY grain, bucket, staff_id, unit_id, unit_path, open_due
         ON CONFLICT (grain, bucket, staff_id, unit_id, unit_path, open_due) DO UPDATE SET {ADD_COUNTS}",
        cases_by_grain(filter)
    )
}

/// Adds `sign` × the cases with a staff member of `stat_cases` that pass `filter`.
pub fn fold(conn: &Connection, sign: i64, filter: &str, arg: &str) -> Result<()> {
    conn.prepare_cached(&fold_sql(filter))?.execute(rusqlite::params![sign, arg])?;
    Ok(())
}
