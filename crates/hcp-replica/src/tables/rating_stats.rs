//! `rating_stats`: the server's statistics of each closed month (see
//! [`hcp_protocol::RatingStatRow`]). The rows of the months before the replica's window are folded
//! into the aggregates ([`crate::aggregates`]); those of later months wait until the window moves
//! past them.

/// The table (derived from the server's, see `hcp_store::replica_table`).
pub use hcp_store::entities::rating_stat::replica_ddl as ddl;

/// Migration: the month index extended by the member of staff (see [`staff_rows`]).
pub const MONTH_STAFF_INDEX: &str = "
DROP INDEX IF EXISTS rating_stats_month;
CREATE INDEX rating_stats_month ON rating_stats(month, staff_id);
";

/// The staff's rows of the months before the window, as the staff aggregate's month rows would
/// hold them (one per month, member, unit, path and level). They are read from here as they are,
/// not folded into `agg_rating_staff`: a province holds millions of them, and a copy (with that
/// table's index by member) took 313 MB of a 1.3 GB replica.
pub(crate) fn staff_rows() -> String {
    format!(
        "SELECT 'm' AS grain, month AS bucket, staff_id, unit_id, unit_path, level, n_rated, n_real_name, n_excluded
           FROM rating_stats
          WHERE staff_id <> 0 AND month < coalesce((SELECT value FROM meta WHERE key = '{}'), '')",
        super::meta::WINDOW_MONTH
    )
}

/// The statements [`crate::aggregates`] folds the rows of the months before the window with
/// (`?1` the sign, `?2` the argument of `filter`, an SQL condition on the table's columns): the
/// units' rows per level into the units' month rows, the channels' rows into the channels'. Each
/// row has the key of the month row it adds to. The staff rows stay where they are
/// ([`staff_rows`]).
pub(crate) fn fold_sql(filter: &str) -> [String; 2] {
    let before = format!(
        "month < coalesce((SELECT value FROM meta WHERE key = '{}'), '') AND ({filter}) AND ?2 IS NOT NULL",
        super::meta::WINDOW_MONTH
    );
    [
        format!(
            "INSERT INTO agg_rating_units (grain, bucket, unit_id, unit_path, level, n_rated, n_real_name, n_excluded)
             SELECT 'm', month, unit_id, unit_path, level, ?1 * n_rated, ?1 * n_real_name, ?1 * n_excluded
               FROM rating_stats WHERE staff_id = 0 AND level <> '' AND {before}
             ON CONFLICT (grain, bucket, unit_id, unit_path, level) DO UPDATE SET
                 n_rated = n_rated + excluded.n_rated,
                 n_real_name = n_real_name + excluded.n_real_name,
                 n_excluded = n_excluded + excluded.n_excluded"
        ),
        format!(
            "INSERT INTO agg_rating_channels (grain, bucket, unit_id, unit_path, channel, n)
             SELECT 'm', month, unit_id, unit_path, channel, ?1 * n_rated
               FROM rating_stats WHERE staff_id = 0 AND level = '' AND {before}
             ON CONFLICT (grain, bucket, unit_id, unit_path, channel) DO UPDATE SET n = n + excluded.n"
        ),
    ]
}

/// Adds `sign` × the rows of the months before the window that pass `filter` to the aggregates.
pub fn fold(conn: &rusqlite::Connection, sign: i64, filter: &str, arg: &str) -> crate::Result<()> {
    for sql in fold_sql(filter) {
        conn.prepare_cached(&sql)?.execute(rusqlite::params![sign, arg])?;
    }
    Ok(())
}

/// Whether the table exists yet (an older replica's migrations rebuild the aggregates before it).
pub fn exists(conn: &rusqlite::Connection) -> crate::Result<bool> {
    super::table_exists(conn, "rating_stats")
}

/// The months the rows cover under `scope` (`YYYY-MM`).
pub fn months(conn: &rusqlite::Connection, scope: &str) -> crate::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT month FROM rating_stats WHERE unit_path >= ?1 AND unit_path < ?1 || '~' ORDER BY month",
    )?;
    let rows = stmt.query_map([scope], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
