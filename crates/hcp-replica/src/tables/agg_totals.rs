//! `agg_rating_totals`, `agg_case_totals` and `agg_channel_totals`: the rows of
//! [`super::agg_rating_units`], [`super::agg_case_units`] and [`super::agg_rating_channels`] under
//! the replica's own scope (`meta.scope`), summed over units, per
//! grain and bucket. The jurisdiction's own figures (the dashboard's totals, the month before,
//! the twelve-month trend, the channel mix) read a handful of rows here instead of every hall's: a province holds
//! thousands of halls, and summing them for each figure cost more than the rest of its dashboard.
//!
//! Triggers on the unit tables keep the totals equal to those sums as rows are added, changed and
//! deleted; bulk writers (a rebuild, a fresh bootstrap, an image import) set them aside with
//! [`paused`] and sum the totals once at the end ([`fill`]).

use rusqlite::Connection;

use crate::Result;

/// The tables, each with the trigger that deletes a total once its counts are all zero (as the
/// unit tables do), from [`SUMS`].
pub fn ddl() -> String {
    let mut ddl = String::new();
    for s in &SUMS {
        let key_type = if s.key == "channel" { "INTEGER" } else { "TEXT" };
        let counts = s.counts.iter().map(|c| format!("    {c} INTEGER NOT NULL,\n")).collect::<String>();
        let zero = s.counts.iter().map(|c| format!("NEW.{c} = 0")).collect::<Vec<_>>().join(" AND ");
        ddl.push_str(&format!(
            "CREATE TABLE {t} (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    {key} {key_type} NOT NULL,
{counts}    PRIMARY KEY (grain, bucket, {key})
) WITHOUT ROWID;
CREATE TRIGGER {t}_zero AFTER UPDATE ON {t}
WHEN {zero}
BEGIN
    DELETE FROM {t} WHERE grain = NEW.grain AND bucket = NEW.bucket AND {key} = NEW.{key};
END;
",
            t = s.table,
            key = s.key,
        ));
    }
    ddl
}

/// The totals' tables (aggregates: purged, rebuilt, copied and compared with the others).
pub const TABLES: [&str; 3] = [RATINGS, CASES, CHANNELS];
/// The ratings' totals (per level), the cases' (per open due date) and the channels'.
pub const RATINGS: &str = "agg_rating_totals";
pub const CASES: &str = "agg_case_totals";
pub const CHANNELS: &str = "agg_channel_totals";

/// One total: its table, the unit table it sums, its key column beside grain and bucket, and its
/// counts.
struct Sum {
    table: &'static str,
    units: &'static str,
    key: &'static str,
    counts: &'static [&'static str],
}

const SUMS: [Sum; 3] = [
    Sum { table: "agg_channel_totals", units: "agg_rating_channels", key: "channel", counts: &["n"] },
    Sum {
        table: "agg_rating_totals",
        units: "agg_rating_units",
        key: "level",
        counts: &["n_rated", "n_real_name", "n_excluded"],
    },
    Sum {
        table: "agg_case_totals",
        units: "agg_case_units",
        key: "open_due",
        counts: &[
            "n_cases",
            "n_excluded",
            "n_on_time",
            "n_late",
            "n_open",
            "n_closed",
            "n_rectified",
            "n_visited",
            "n_satisfied",
            "n_rn_bad",
            "n_rn_bad_visited",
        ],
    },
];

/// `row`'s unit path (`NEW` or `OLD`, or a column) lies under the replica's scope.
fn in_scope(path: &str) -> String {
    format!(
        "substr({path}, 1, length((SELECT value FROM meta WHERE key = '{scope}'))) = \
         (SELECT value FROM meta WHERE key = '{scope}')",
        scope = super::meta::SCOPE
    )
}

/// The triggers: a unit row's counts added to (`sign` 1) or taken from (-1) its total.
fn triggers_ddl() -> String {
    let mut ddl = String::new();
    for s in &SUMS {
        let cols = s.counts.join(", ");
        // `row` is NEW or OLD; `sign` 1 or -1.
        let add = |row: &str, sign: &str| {
            let values = s.counts.iter().map(|c| format!("{sign} * {row}.{c}")).collect::<Vec<_>>().join(", ");
            let set = s.counts.iter().map(|c| format!("{c} = {c} + excluded.{c}")).collect::<Vec<_>>().join(", ");
            format!(
                "INSERT INTO {t} (grain, bucket, {key}, {cols})
                 SELECT {row}.grain, {row}.bucket, {row}.{key}, {values} WHERE {cond}
                 ON CONFLICT (grain, bucket, {key}) DO UPDATE SET {set};",
                t = s.table,
                key = s.key,
                cond = in_scope(&format!("{row}.unit_path")),
            )
        };
        ddl.push_str(&format!(
            "CREATE TRIGGER {t}_insert AFTER INSERT ON {u} BEGIN {new} END;
             CREATE TRIGGER {t}_update AFTER UPDATE ON {u} BEGIN {old} {new} END;
             CREATE TRIGGER {t}_delete AFTER DELETE ON {u} BEGIN {old} END;\n",
            t = s.table,
            u = s.units,
            new = add("NEW", "1"),
            old = add("OLD", "-1"),
        ));
    }
    ddl
}

fn drop_triggers(conn: &Connection) -> Result<()> {
    for s in &SUMS {
        for what in ["insert", "update", "delete"] {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {}_{what}", s.table))?;
        }
    }
    Ok(())
}

/// Sums the totals from the unit tables (after a bulk write).
pub fn fill(conn: &Connection) -> Result<()> {
    for s in &SUMS {
        let cols = s.counts.join(", ");
        let sums = s.counts.iter().map(|c| format!("sum({c})")).collect::<Vec<_>>().join(", ");
        let nonzero = s.counts.iter().map(|c| format!("sum({c}) <> 0")).collect::<Vec<_>>().join(" OR ");
        conn.execute(&format!("DELETE FROM {}", s.table), [])?;
        conn.execute(
            &format!(
                "INSERT INTO {t} (grain, bucket, {key}, {cols})
                 SELECT grain, bucket, {key}, {sums} FROM {u} WHERE {cond}
                  GROUP BY grain, bucket, {key} HAVING {nonzero}",
                t = s.table,
                key = s.key,
                u = s.units,
                cond = in_scope("unit_path"),
            ),
            [],
        )?;
    }
    Ok(())
}

/// Runs a bulk write of the aggregates (or of the scope) with the triggers set aside, then sums
/// the totals afresh and puts the triggers back: one `GROUP BY` instead of a trigger per row, and
/// an image's tables still copied record by record (SQLite's transfer optimisation does not apply
/// to a table with triggers).
pub fn paused<T>(conn: &Connection, write: impl FnOnce() -> Result<T>) -> Result<T> {
    drop_triggers(conn)?;
    if !exists(conn)? {
        // A migration older than the totals rebuilding the other tables.
        return write();
    }
    let out = write().and_then(|v| fill(conn).map(|()| v));
    // Put back even after a failure: the caller's rollback may not be the end of the connection.
    let restored = conn.execute_batch(&triggers_ddl());
    let v = out?;
    restored?;
    Ok(v)
}

/// Migration: the triggers (the tables come from [`ddl`], the sums from the rebuild after it).
pub fn create_triggers(conn: &Connection) -> Result<()> {
    drop_triggers(conn)?;
    conn.execute_batch(&triggers_ddl())?;
    Ok(())
}

/// Whether figures of `scope` may be read from the totals: it is the replica's own scope.
pub fn covers(conn: &Connection, scope: &str) -> Result<bool> {
    Ok(super::meta::get(conn, super::meta::SCOPE)?.as_deref() == Some(scope))
}

/// Whether the totals' tables exist yet (the migrations before them rebuild the other tables).
pub fn exists(conn: &Connection) -> Result<bool> {
    super::table_exists(conn, RATINGS)
}
