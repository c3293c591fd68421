//! `agg_rating_channels`: non-excluded ratings per unit × local day (grain `d`) or month (grain `m`)
//! × channel (评价渠道分布). Like every other figure (`hcp_domain::kpi::channel_counts`), the mix
//! leaves out the excluded ratings, so it adds up to the ratings counted (参评数); an exclusion
//! touches the rating, whose contribution is folded out and back in. Zero rows are deleted by a
//! trigger.

use rusqlite::Connection;

use crate::Result;

pub const DDL: &str = "
CREATE TABLE agg_rating_channels (
    grain     TEXT NOT NULL,
    bucket    TEXT NOT NULL,
    unit_id   INTEGER NOT NULL,
    unit_path TEXT NOT NULL,
    channel   INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (grain, bucket, unit_id, unit_path, channel)
) WITHOUT ROWID;
CREATE TRIGGER agg_rating_channels_zero AFTER UPDATE ON agg_rating_channels
WHEN NEW.n = 0
BEGIN
    DELETE FROM agg_rating_channels
     WHERE grain = NEW.grain AND bucket = NEW.bucket AND unit_id = NEW.unit_id AND unit_path = NEW.unit_path
       AND channel = NEW.channel;
END;
";

/// The statement [`fold`] runs.
pub(crate) fn fold_sql(filter: &str) -> String {
    format!(
        "WITH {}
         INSERT INTO agg_rating_channels (grain, bucket, unit_id, unit_path, channel, n)
         SELECT grain, bucket, unit_id, unit_path, channel, ?1 * count(*)
           FROM g
          WHERE NOT excluded
          GROUP BY grain, bucket, unit_id, unit_path, channel
         ON CONFLICT (grain, bucket, unit_id, unit_path, channel) DO UPDATE SET n = n + excluded.n",
        super::agg_rating_units::ratings_by_grain(filter)
    )
}

/// Adds `sign` × the ratings of `stat_ratings` that pass `filter`.
pub fn fold(conn: &Connection, sign: i64, filter: &str, arg: &str) -> Result<()> {
    conn.prepare_cached(&fold_sql(filter))?.execute(rusqlite::params![sign, arg])?;
    Ok(())
}
