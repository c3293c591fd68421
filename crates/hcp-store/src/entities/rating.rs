//! `ratings`: every evaluation, its evaluator masked. Replicated by the rated unit's path.

use hcp_domain::Level;
use hcp_protocol::{Entity, EntityRow, RatingRow};

use crate::{args, parse_col, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE ratings (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL,
    service_record_no TEXT NOT NULL,
    rating_count      INTEGER NOT NULL,
    unit_id           INTEGER NOT NULL REFERENCES org_units(id),
    unit_path         TEXT NOT NULL,
    department_id     INTEGER REFERENCES org_units(id),
    window_id         INTEGER REFERENCES org_units(id),
    staff_id          INTEGER REFERENCES staff(id),
    item_code         TEXT NOT NULL,
    item_name         TEXT NOT NULL,
    channel           INTEGER NOT NULL,
    level             TEXT NOT NULL,
    content_codes     TEXT NOT NULL,
    comment           TEXT NOT NULL,
    evaluator_masked  TEXT NOT NULL,
    evaluator_name    TEXT,
    evaluator_phone   TEXT,
    evaluator_cert    TEXT,
    real_name         INTEGER NOT NULL,
    rated_at          TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    UNIQUE (source, service_record_no, rating_count)
);
CREATE INDEX ratings_path ON ratings(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<RatingRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX ratings_unit_time ON ratings(unit_id, rated_at);
";

pub const TABLE: &str = "ratings";

impl Replicated for RatingRow {
    const ENTITY: Entity = Entity::Rating;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, source, service_record_no, rating_count, unit_id, unit_path, department_id, window_id,
    staff_id, item_code, item_name, channel, level, content_codes, comment, evaluator_masked, real_name, rated_at";
    /// Rated inside the window, or opened a case (bad reviews stay whatever their age). Both terms
    /// are index lookups (`ratings_rated_at`, the ids of the cases' ratings), so a province's
    /// window is read without scanning its months of ratings.
    ///
    /// PostgreSQL takes every id as one array and reads them through the primary key, in id
    /// order. Not `rated_at >= ?4 OR id = ANY(…)`: that becomes a bitmap heap scan whose bitmap
    /// goes lossy past `work_mem`, and then every row of every lossy page is checked against the
    /// array one element at a time (a 14 M-rating province's count ran for over ten minutes; this
    /// form takes about a second).
    fn windowed(dialect: crate::Dialect) -> Option<&'static str> {
        Some(match dialect {
            crate::Dialect::Postgres => {
                "id = ANY(ARRAY(SELECT id FROM ratings WHERE rated_at >= ?4 AND unit_path >= ?1 AND unit_path < ?2 \
                 UNION ALL SELECT rating_id FROM cases WHERE rating_id IS NOT NULL))"
            }
            crate::Dialect::Sqlite => {
                "(rated_at >= ?4 OR id IN (SELECT rating_id FROM cases WHERE rating_id IS NOT NULL))"
            }
        })
    }

    fn from_row(r: &Row) -> DbResult<Self> {
        let level: String = r.get(12)?;
        let codes: String = r.get(13)?;
        Ok(RatingRow {
            id: r.get(0)?,
            source: r.get(1)?,
            service_record_no: r.get(2)?,
            rating_count: r.get(3)?,
            unit_id: r.get(4)?,
            unit_path: r.get(5)?,
            department_id: r.get(6)?,
            window_id: r.get(7)?,
            staff_id: r.get(8)?,
            item_code: r.get(9)?,
            item_name: r.get(10)?,
            channel: r.get(11)?,
            level: parse_col(&level, "ratings.level", |s| Level::parse(s).ok())?,
            content_codes: codes.split(',').filter_map(|c| c.trim().parse().ok()).collect(),
            comment: r.get(14)?,
            evaluator_masked: r.get(15)?,
            real_name: r.get(16)?,
            rated_at: r.get(17)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        let codes: Vec<String> = self.content_codes.iter().map(u16::to_string).collect();
        Ok(args![
            self.id,
            &self.source,
            &self.service_record_no,
            self.rating_count,
            self.unit_id,
            &self.unit_path,
            self.department_id,
            self.window_id,
            self.staff_id,
            &self.item_code,
            &self.item_name,
            &self.channel,
            self.level.as_str(),
            codes.join(","),
            &self.comment,
            &self.evaluator_masked,
            self.real_name,
            &self.rated_at
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::Rating(self)
    }
}
