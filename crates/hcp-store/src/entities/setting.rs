//! `settings`: a jurisdiction's policy values (deadlines, calendar, assessment rules), inherited
//! downwards. Replicated by the unit's path, and to every scope below it.

use hcp_protocol::{Entity, EntityRow, SettingRow};

use crate::{args, DbError, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE settings (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES org_units(id),
    unit_path  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (unit_id, key)
);
CREATE INDEX settings_path ON settings(unit_path);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<SettingRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX settings_key ON settings(key, unit_path);
";

pub const TABLE: &str = "settings";

impl Replicated for SettingRow {
    const ENTITY: Entity = Entity::Setting;
    const TABLE: &'static str = TABLE;
    const REACHES_ANCESTORS: bool = true;
    const COLUMNS: &'static str = "id, unit_id, unit_path, key, value, updated_at";

    fn from_row(r: &Row) -> DbResult<Self> {
        let value: String = r.get(4)?;
        Ok(SettingRow {
            id: r.get(0)?,
            unit_id: r.get(1)?,
            unit_path: r.get(2)?,
            key: r.get(3)?,
            value: serde_json::from_str(&value).map_err(|e| DbError::Corrupt(format!("settings.value: {e}")))?,
            updated_at: r.get(5)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![self.id, self.unit_id, &self.unit_path, &self.key, self.value.to_string(), &self.updated_at])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::Setting(self)
    }
}
