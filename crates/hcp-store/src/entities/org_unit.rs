//! `org_units`: the tree of jurisdictions, halls, departments and windows. Replicated by its own path
//! (to every scope at or below it; a snapshot also sends the scope's ancestors).

use hcp_domain::OrgKind;
use hcp_protocol::{Entity, EntityRow, OrgUnitRow};

use crate::{args, parse_col, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE org_units (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES org_units(id),
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    code      TEXT NOT NULL,
    path      TEXT NOT NULL UNIQUE
);
CREATE INDEX org_units_parent ON org_units(parent_id);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<OrgUnitRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
";

pub const TABLE: &str = "org_units";

impl Replicated for OrgUnitRow {
    const ENTITY: Entity = Entity::OrgUnit;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str = "id, parent_id, kind, name, code, path, active";
    const PATH: &'static str = "path";
    const REACHES_ANCESTORS: bool = true;

    fn from_row(r: &Row) -> DbResult<Self> {
        let kind: String = r.get(2)?;
        Ok(OrgUnitRow {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            kind: parse_col(&kind, "org_units.kind", OrgKind::parse)?,
            name: r.get(3)?,
            code: r.get(4)?,
            path: r.get(5)?,
            active: r.get(6)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![self.id, self.parent_id, self.kind.as_str(), &self.name, &self.code, &self.path, self.active])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::OrgUnit(self)
    }
}
