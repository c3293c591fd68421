//! `case_events`: the append-only history of every case. Replicated by the case's visibility path
//! at the time of the event.

use hcp_protocol::{CaseEventRow, Entity, EntityRow};

use crate::{args, DbError, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    unit_path     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id),
    actor_name    TEXT NOT NULL,
    at            TEXT NOT NULL,
    data          TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id);
CREATE INDEX case_events_path ON case_events(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<CaseEventRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX case_events_case ON case_events(case_id, at);
";

pub const TABLE: &str = "case_events";

impl Replicated for CaseEventRow {
    const ENTITY: Entity = Entity::CaseEvent;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str = "id, case_id, unit_path, kind, actor_user_id, actor_name, at, data";

    fn from_row(r: &Row) -> DbResult<Self> {
        let data: String = r.get(7)?;
        Ok(CaseEventRow {
            id: r.get(0)?,
            case_id: r.get(1)?,
            unit_path: r.get(2)?,
            kind: r.get(3)?,
            actor_user_id: r.get(4)?,
            actor_name: r.get(5)?,
            at: r.get(6)?,
            data: serde_json::from_str(&data).map_err(|e| DbError::Corrupt(format!("case_events.data: {e}")))?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.case_id,
            &self.unit_path,
            &self.kind,
            self.actor_user_id,
            &self.actor_name,
            &self.at,
            self.data.to_string()
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::CaseEvent(self)
    }
}
