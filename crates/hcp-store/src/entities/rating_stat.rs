//! `rating_stats`: the server's statistics of each closed month (评价统计月汇总), replicated by the
//! path the ratings were given at, so a replica that holds only its window of ratings in full still shows every
//! earlier month (see [`hcp_protocol::RatingStatRow`] for the two kinds of row). The server keeps
//! them (`hcp-server`'s `db::rating_stats`); the replica folds the rows of the months before its
//! window into its aggregates.

use hcp_domain::Level;
use hcp_protocol::{Entity, EntityRow, RatingStatRow};

use crate::{args, parse_col, DbResult, Replicated, Row, Value};

/// The server's table.
pub const SERVER_DDL: &str = "
CREATE TABLE rating_stats (
    id          INTEGER PRIMARY KEY,
    month       TEXT NOT NULL,
    unit_id     INTEGER NOT NULL,
    unit_path   TEXT NOT NULL,
    staff_id    INTEGER NOT NULL,
    level       TEXT NOT NULL,
    channel     INTEGER NOT NULL,
    n_rated     INTEGER NOT NULL,
    n_real_name INTEGER NOT NULL,
    n_excluded  INTEGER NOT NULL,
    UNIQUE (month, unit_id, unit_path, staff_id, level, channel)
);
CREATE INDEX rating_stats_path ON rating_stats(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<RatingStatRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

/// By month, and a member of staff's rows within it: the replica reads its staff figures of the
/// months before its window from these rows as they are (see `hcp_replica::aggregates`).
const REPLICA_INDEXES: &str = "
CREATE INDEX rating_stats_month ON rating_stats(month, staff_id);
";

pub const TABLE: &str = "rating_stats";

impl Replicated for RatingStatRow {
    const ENTITY: Entity = Entity::RatingStat;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, month, unit_id, unit_path, staff_id, level, channel, n_rated, n_real_name, n_excluded";

    fn from_row(r: &Row) -> DbResult<Self> {
        let level: String = r.get(5)?;
        Ok(RatingStatRow {
            id: r.get(0)?,
            month: r.get(1)?,
            unit_id: r.get(2)?,
            unit_path: r.get(3)?,
            staff_id: r.get(4)?,
            // A channel's row keeps its (absent) level as ''.
            level: match level.as_str() {
                "" => None,
                l => Some(parse_col(l, "rating_stats.level", |s| Level::parse(s).ok())?),
            },
            channel: r.get(6)?,
            n_rated: r.get(7)?,
            n_real_name: r.get(8)?,
            n_excluded: r.get(9)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            &self.month,
            self.unit_id,
            &self.unit_path,
            self.staff_id,
            self.level.map_or("", Level::as_str),
            &self.channel,
            self.n_rated,
            self.n_real_name,
            self.n_excluded
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::RatingStat(self)
    }
}
