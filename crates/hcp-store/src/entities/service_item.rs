//! `service_items`: the 事项 a unit offers, with their promised working days.

use hcp_protocol::{Entity, EntityRow, ServiceItemRow};

use crate::{args, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE service_items (
    id                    INTEGER PRIMARY KEY,
    unit_id               INTEGER NOT NULL REFERENCES org_units(id),
    unit_path             TEXT NOT NULL,
    code                  TEXT NOT NULL,
    name                  TEXT NOT NULL,
    promised_working_days INTEGER,
    active                INTEGER NOT NULL DEFAULT 1,
    UNIQUE (unit_id, code)
);
CREATE INDEX service_items_path ON service_items(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<ServiceItemRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX service_items_path ON service_items(unit_path);
";

pub const TABLE: &str = "service_items";

impl Replicated for ServiceItemRow {
    const ENTITY: Entity = Entity::ServiceItem;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str = "id, unit_id, unit_path, code, name, promised_working_days, active";

    fn from_row(r: &Row) -> DbResult<Self> {
        Ok(ServiceItemRow {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            unit_path: r.get(2)?,
            code: r.get(3)?,
            name: r.get(4)?,
            promised_working_days: r.get(5)?,
            active: r.get(6)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.unit_id,
            &self.unit_path,
            &self.code,
            &self.name,
            self.promised_working_days,
            self.active
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::ServiceItem(self)
    }
}
