//! `org_units`: the organisation tree with materialised paths.

use hcp_domain::OrgKind;
use hcp_protocol::{ChangeOp, Entity, OrgUnitRow};

use super::{args, Conn, DbResult};
use hcp_store::Replicated;

pub use hcp_store::entities::org_unit::SERVER_DDL as DDL;

/// Units can be deactivated (已停用): they keep their history but receive nothing new.
pub const ACTIVE_DDL: &str = "
ALTER TABLE org_units ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
";

const COLS: &str = OrgUnitRow::COLUMNS;

/// Inserts a unit; its path is computed from the parent's.
pub fn insert(
    conn: &Conn<'_>,
    parent: Option<&OrgUnitRow>,
    kind: OrgKind,
    name: &str,
    code: &str,
    at: &str,
) -> DbResult<OrgUnitRow> {
    // A unique placeholder path until the id is known.
    let id = conn.insert(
        "INSERT INTO org_units (parent_id, kind, name, code, path) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        args![parent.map(|p| p.id), kind.as_str(), name, code, format!("new:{code}:{name}")],
    )?;
    let path = match parent {
        Some(p) => format!("{}{id}/", p.path),
        None => format!("/{id}/"),
    };
    conn.execute("UPDATE org_units SET path = ?1 WHERE id = ?2", args![&path, id])?;
    super::changes::record(conn, Entity::OrgUnit, id, &path, ChangeOp::Upsert, at)?;
    Ok(OrgUnitRow {
        id,
        parent_id: parent.map(|p| p.id),
        kind,
        name: name.to_owned(),
        code: code.to_owned(),
        path,
        active: true,
    })
}

pub fn get(conn: &Conn<'_>, id: i64) -> DbResult<Option<OrgUnitRow>> {
    hcp_store::get(conn, id)
}

/// Units in scope (the scope unit and below) plus the scope unit's ancestors, root first.
pub fn in_scope(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    mut f: impl FnMut(OrgUnitRow) -> DbResult<()>,
) -> DbResult<()> {
    let ancestors: Vec<i64> = scope.split('/').filter_map(|s| s.parse().ok()).collect();
    for id in &ancestors[..ancestors.len().saturating_sub(1)] {
        if let Some(r) = get(conn, *id)? {
            f(r)?;
        }
    }
    conn.each(
        &format!("SELECT {COLS} FROM org_units WHERE path >= ?1 AND path < ?2 ORDER BY path"),
        [scope, upper],
        |r| f(OrgUnitRow::from_row(&r)?),
    )
}

pub fn count_in_scope(conn: &Conn<'_>, scope: &str, upper: &str) -> DbResult<u64> {
    let below: i64 =
        conn.query_row("SELECT count(*) FROM org_units WHERE path >= ?1 AND path < ?2", [scope, upper], |r| r.get(0))?;
    let ancestors = scope.split('/').filter(|s| !s.is_empty()).count().saturating_sub(1);
    Ok(below as u64 + ancestors as u64)
}

/// The units with these codes, the first (lowest id) of each code, as [`by_code`] picks it.
pub fn by_codes(conn: &Conn<'_>, codes: &[&str]) -> DbResult<Vec<OrgUnitRow>> {
    let mut out: Vec<OrgUnitRow> = Vec::new();
    for chunk in super::sql::chunks(codes) {
        let sql =
            format!("SELECT {COLS} FROM org_units WHERE code IN ({}) ORDER BY id", super::sql::marks(chunk.len(), 1));
        out.extend(conn.query_map(
            &sql,
            chunk.iter().map(|c| super::sql::Value::from(*c)).collect::<Vec<_>>(),
            OrgUnitRow::from_row,
        )?);
    }
    out.sort_by_key(|u| u.id);
    Ok(out)
}

/// The units with these ids.
pub fn by_ids(conn: &Conn<'_>, ids: &[i64]) -> DbResult<Vec<OrgUnitRow>> {
    super::changes::by_ids(conn, &format!("SELECT {COLS} FROM org_units"), ids, OrgUnitRow::from_row)
}

/// The unit with this code (行政区划代码 or internal code).
pub fn by_code(conn: &Conn<'_>, code: &str) -> DbResult<Option<OrgUnitRow>> {
    conn.query_opt(
        &format!("SELECT {COLS} FROM org_units WHERE code = ?1 ORDER BY id LIMIT 1"),
        [code],
        OrgUnitRow::from_row,
    )
}

/// The first deactivated unit on `path` (the unit at `path` or one of its ancestors), root first:
/// nothing new may be recorded at or below a deactivated unit.
pub fn inactive_on_path(conn: &Conn<'_>, path: &str) -> DbResult<Option<OrgUnitRow>> {
    conn.query_opt(
        &format!(
            "SELECT {COLS} FROM org_units WHERE active = 0 AND substr(?1, 1, length(path)) = path
              ORDER BY length(path) LIMIT 1"
        ),
        [path],
        OrgUnitRow::from_row,
    )
}

/// Sets a unit's `active` flag.
/// The ids of the units in the scope `scope`..`upper`, ordered by path.
pub fn ids_in_scope(conn: &Conn<'_>, scope: &str, upper: &str) -> DbResult<Vec<i64>> {
    conn.query_map("SELECT id FROM org_units WHERE path >= ?1 AND path < ?2 ORDER BY path", [scope, upper], |r| {
        r.get(0)
    })
}

/// Sets a unit's name and code.
/// Sets a unit's name, code and whether it is active, and records its change at its path.
pub fn update(conn: &Conn<'_>, id: i64, name: &str, code: &str, active: bool, at: &str) -> DbResult<()> {
    let path: String = conn.query_row(
        "UPDATE org_units SET name = ?2, code = ?3, active = ?4 WHERE id = ?1 RETURNING path",
        args![id, name, code, active],
        |r| r.get(0),
    )?;
    super::changes::record(conn, Entity::OrgUnit, id, &path, ChangeOp::Upsert, at)?;
    Ok(())
}

/// What still lives at or below a unit, which its deactivation would strand.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy {
    /// Active units below it.
    pub units: i64,
    /// Cases not closed or excluded attributed to it, or worked by a handler there.
    pub open_cases: i64,
    /// Active accounts of it or below.
    pub accounts: i64,
}

impl Occupancy {
    pub fn is_empty(&self) -> bool {
        *self == Occupancy::default()
    }
}

/// Counts what would keep the unit at `path` from being deactivated.
pub fn occupancy(conn: &Conn<'_>, path: &str) -> DbResult<Occupancy> {
    let upper = format!("{path}~");
    let units: i64 = conn.query_row(
        "SELECT count(*) FROM org_units WHERE path > ?1 AND path < ?2 AND active = 1",
        [path, upper.as_str()],
        |r| r.get(0),
    )?;
    let open_cases: i64 = conn.query_row(
        "SELECT count(*) FROM cases
          WHERE ((unit_path >= ?1 AND unit_path < ?2) OR (scope_path >= ?1 AND scope_path < ?2))
            AND state NOT IN ('closed', 'excluded')",
        [path, upper.as_str()],
        |r| r.get(0),
    )?;
    let accounts: i64 = conn.query_row(
        "SELECT count(*) FROM users u JOIN org_units o ON o.id = u.unit_id
          WHERE o.path >= ?1 AND o.path < ?2 AND u.active = 1",
        [path, upper.as_str()],
        |r| r.get(0),
    )?;
    Ok(Occupancy { units, open_cases, accounts })
}
