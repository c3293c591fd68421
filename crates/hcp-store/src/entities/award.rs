//! `awards`: confirmed 服务明星 / 办事能手 of members of staff, one per member and period, with the
//! league figures they were confirmed on. Replicated by the member's unit path.

use hcp_domain::merit::AwardKind;
use hcp_protocol::{AwardRow, Entity, EntityRow};

use crate::{args, parse_col, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE awards (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    period            TEXT NOT NULL,
    staff_id          INTEGER NOT NULL REFERENCES staff(id),
    staff_name        TEXT NOT NULL,
    employee_no       TEXT NOT NULL,
    unit_id           INTEGER NOT NULL REFERENCES org_units(id),
    unit_path         TEXT NOT NULL,
    league_path       TEXT NOT NULL,
    score             REAL NOT NULL,
    sample_size       INTEGER NOT NULL,
    satisfied         INTEGER NOT NULL,
    reason            TEXT NOT NULL,
    confirmed_by      INTEGER NOT NULL REFERENCES users(id),
    confirmed_by_name TEXT NOT NULL,
    confirmed_at      TEXT NOT NULL,
    command_id        TEXT NOT NULL UNIQUE,
    UNIQUE (staff_id, period)
);
CREATE INDEX awards_path ON awards(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<AwardRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX awards_period ON awards(period, unit_path);
";

pub const TABLE: &str = "awards";

impl Replicated for AwardRow {
    const ENTITY: Entity = Entity::Award;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, kind, period, staff_id, staff_name, employee_no, unit_id, unit_path, league_path, score,
    sample_size, satisfied, reason, confirmed_by, confirmed_by_name, confirmed_at";

    fn from_row(r: &Row) -> DbResult<Self> {
        let kind: String = r.get(1)?;
        Ok(AwardRow {
            id: r.get(0)?,
            kind: parse_col(&kind, "awards.kind", AwardKind::parse)?,
            period: r.get(2)?,
            staff_id: r.get(3)?,
            staff_name: r.get(4)?,
            employee_no: r.get(5)?,
            unit_id: r.get(6)?,
            unit_path: r.get(7)?,
            league_path: r.get(8)?,
            score: r.get(9)?,
            sample_size: r.get(10)?,
            satisfied: r.get(11)?,
            reason: r.get(12)?,
            confirmed_by: r.get(13)?,
            confirmed_by_name: r.get(14)?,
            confirmed_at: r.get(15)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.kind.as_str(),
            &self.period,
            self.staff_id,
            &self.staff_name,
            &self.employee_no,
            self.unit_id,
            &self.unit_path,
            &self.league_path,
            self.score,
            self.sample_size,
            self.satisfied,
            &self.reason,
            self.confirmed_by,
            &self.confirmed_by_name,
            &self.confirmed_at
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::Award(self)
    }
}
