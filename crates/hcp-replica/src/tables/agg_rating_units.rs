//! `agg_rating_units`: ratings per unit × local day × level, and the same per unit × month × level,
//! the grain of every unit-level and jurisdiction-level dashboard figure (参评数, 差评数/差评率,
//! 满意率, the monthly trend, rankings).
//!
//! `grain` is `d` (`bucket` a local day, `YYYY-MM-DD`) or `m` (`bucket` a month, `YYYY-MM`, the sum
//! of its days), so that a period reads whole months from month rows and only its ragged ends from
//! day rows. Each row sums the `stat_ratings` rows (see [`crate::aggregates`]) that share its key:
//! `n_rated` non-excluded ratings, `n_real_name` of them with a real name, `n_excluded` ratings whose
//! case left the statistics. Rows whose counts all fall to zero are deleted by a trigger, so the
//! table equals a fresh rebuild whatever the order of the changes that led to it.

use rusqlite::Connection;

use crate::Result;

pub const DDL: &str = "
CREATE TABLE agg_rating_units (
    grain       TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    unit_id     INTEGER NOT NULL,
    unit_path   TEXT NOT NULL,
    level       TEXT NOT NULL,
    n_rated     INTEGER NOT NULL,
    n_real_name INTEGER NOT NULL,
    n_excluded  INTEGER NOT NULL,
    PRIMARY KEY (grain, bucket, unit_id, unit_path, level)
) WITHOUT ROWID;
CREATE TRIGGER agg_rating_units_zero AFTER UPDATE ON agg_rating_units
WHEN NEW.n_rated = 0 AND NEW.n_real_name = 0 AND NEW.n_excluded = 0
BEGIN
    DELETE FROM agg_rating_units
     WHERE grain = NEW.grain AND bucket = NEW.bucket AND unit_id = NEW.unit_id AND unit_path = NEW.unit_path
       AND level = NEW.level;
END;
";

/// The ratings of `stat_ratings` that pass `filter` (an SQL condition on the view's columns that
/// may use `?2`), once per day and once per month, with each view column evaluated once per rating.
pub(crate) fn ratings_by_grain(filter: &str) -> String {
    format!(
        "x AS MATERIALIZED (SELECT day, unit_id, unit_path, staff_id, level, channel, real_name, excluded
                              FROM stat_ratings WHERE day IS NOT NULL AND ({filter}) AND ?2 IS NOT NULL),
         g AS (SELECT 'd' AS grain, day AS bucket, * FROM x UNION ALL SELECT 'm', substr(day, 1, 7), * FROM x)"
    )
}

/// The statement [`fold`] runs.
pub(crate) fn fold_sql(filter: &str) -> String {
    format!(
        "WITH {}
         INSERT INTO agg_rating_units (grain, bucket, unit_id, unit_path, level, n_rated, n_real_name, n_excluded)
         SELECT grain, bucket, unit_id, unit_path, level,
                ?1 * sum(NOT excluded), ?1 * sum(real_name AND NOT excluded), ?1 * sum(excluded)
           FROM g
          WHERE true
          GROUP BY grain, bucket, unit_id, unit_path, level
         ON CONFLICT (grain, bucket, unit_id, unit_path, level) DO UPDATE SET
             n_rated = n_rated + excluded.n_rated,
             n_real_name = n_real_name + excluded.n_real_name,
             n_excluded = n_excluded + excluded.n_excluded",
        ratings_by_grain(filter)
    )
}

/// Adds `sign` × the ratings of `stat_ratings` that pass `filter`.
pub fn fold(conn: &Connection, sign: i64, filter: &str, arg: &str) -> Result<()> {
    conn.prepare_cached(&fold_sql(filter))?.execute(rusqlite::params![sign, arg])?;
    Ok(())
}
