//! `staff`: the members of staff ratings name (窗口人员). Replicated by their unit's path.

use hcp_protocol::{Entity, EntityRow, StaffRow};

use crate::{args, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES org_units(id),
    department_id INTEGER REFERENCES org_units(id),
    window_id     INTEGER REFERENCES org_units(id),
    name          TEXT NOT NULL,
    employee_no   TEXT NOT NULL UNIQUE,
    unit_path     TEXT NOT NULL
);
CREATE INDEX staff_path ON staff(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<StaffRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
";

pub const TABLE: &str = "staff";

impl Replicated for StaffRow {
    const ENTITY: Entity = Entity::Staff;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str = "id, unit_id, department_id, window_id, name, employee_no, unit_path";

    fn from_row(r: &Row) -> DbResult<Self> {
        Ok(StaffRow {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            department_id: r.get(2)?,
            window_id: r.get(3)?,
            name: r.get(4)?,
            employee_no: r.get(5)?,
            unit_path: r.get(6)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.unit_id,
            self.department_id,
            self.window_id,
            &self.name,
            &self.employee_no,
            &self.unit_path
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::Staff(self)
    }
}
