//! `agg_rating_staff`: ratings per staff member × unit × local day (grain `d`) or month (grain `m`)
//! × level, for staff-level KPIs and rankings (ratings without a staff member are not in it). The
//! counts mean what they mean in [`super::agg_rating_units`]; zero rows are deleted by a trigger.

use rusqlite::Connection;

use crate::Result;

pub const DDL: &str = "
CREATE TABLE agg_rating_staff (
    grain       TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    staff_id    INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL,
    unit_path   TEXT NOT NULL,
    level       TEXT NOT NULL,
    n_rated     INTEGER NOT NULL,
    n_real_name INTEGER NOT NULL,
    n_excluded  INTEGER NOT NULL,
    PRIMARY KEY (grain, bucket, staff_id, unit_id, unit_path, level)
) WITHOUT ROWID;
CREATE INDEX agg_rating_staff_staff ON agg_rating_staff(staff_id, grain, bucket);
CREATE TRIGGER agg_rating_staff_zero AFTER UPDATE ON agg_rating_staff
WHEN NEW.n_rated = 0 AND NEW.n_real_name = 0 AND NEW.n_excluded = 0
BEGIN
    DELETE FROM agg_rating_staff
     WHERE grain = NEW.grain AND bucket = NEW.bucket AND staff_id = NEW.staff_id AND unit_id = NEW.unit_id
       AND unit_path = NEW.unit_path AND level = NEW.level;
END;
";

/// The statement [`fold`] runs.
pub(crate) fn fold_sql(filter: &str) -> String {
    format!(
        "WITH {}
         INSERT INTO agg_rating_staff (grain, bucket, staff_id, unit_id, unit_path, level, n_rated, n_real_name,
                                       n_excluded)
         SELECT grain, bucket, staff_id, unit_id, unit_path, level,
                ?1 * sum(NOT excluded), ?1 * sum(real_name AND NOT excluded), ?1 * sum(excluded)
           FROM g
          WHERE staff_id IS NOT NULL
          GROUP BY grain, bucket, staff_id, unit_id, unit_path, level
         ON CONFLICT (grain, bucket, staff_id, unit_id, unit_path, level) DO UPDATE SET
             n_rated = n_rated + excluded.n_rated,
             n_real_name = n_real_name + excluded.n_real_name,
             n_excluded = n_excluded + excluded.n_excluded",
        super::agg_rating_units::ratings_by_grain(filter)
    )
}

/// Adds `sign` × the ratings with a staff member of `stat_ratings` that pass `filter`.
pub fn fold(conn: &Connection, sign: i64, filter: &str, arg: &str) -> Result<()> {
    conn.prepare_cached(&fold_sql(filter))?.execute(rusqlite::params![sign, arg])?;
    Ok(())
}
