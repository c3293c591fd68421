//! `changes`: the change feed. Every write to a replicated table appends a row here in the same
//! transaction; `seq` orders the feed. SQLite has one writer, so sequence numbers commit in order
//! and a reader may serve everything up to the highest committed `seq` without skipping.

use hcp_protocol::{Change, ChangeOp, Entity, EntityRow};
use rusqlite::{params, Connection, Row};

use super::{case_events, cases, org_units, parse_col, ratings, staff, DbError, DbResult};

pub const DDL: &str = "
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    entity    TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    unit_path TEXT NOT NULL,
    op        TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX changes_path_seq ON changes(unit_path, seq);
";

/// Records that a row changed. Call inside the transaction that changed it.
pub fn record(
    conn: &Connection,
    entity: Entity,
    entity_id: i64,
    unit_path: &str,
    op: ChangeOp,
    at: &str,
) -> DbResult<i64> {
    let op = match op {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Delete => "delete",
    };
    conn.prepare_cached("INSERT INTO changes (entity, entity_id, unit_path, op, at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![entity.as_str(), entity_id, unit_path, op, at])?;
    Ok(conn.last_insert_rowid())
}

/// The highest committed sequence number (0 when the feed is empty).
pub fn head(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| r.get(0))?)
}

/// Loads the current state of a row.
pub fn load(conn: &Connection, entity: Entity, id: i64) -> DbResult<Option<EntityRow>> {
    Ok(match entity {
        Entity::OrgUnit => org_units::get(conn, id)?.map(EntityRow::OrgUnit),
        Entity::Staff => staff::get(conn, id)?.map(EntityRow::Staff),
        Entity::User => super::users::row(conn, id)?.map(EntityRow::User),
        Entity::Rating => ratings::get(conn, id)?.map(EntityRow::Rating),
        Entity::Case => cases::get(conn, id)?.map(EntityRow::Case),
        Entity::CaseEvent => case_events::get(conn, id)?.map(EntityRow::CaseEvent),
    })
}

/// A page of the change feed for one scope (its units and everything below, plus the scope's
/// ancestor units, which the snapshot also sends), after `after`, up to the head as of this call.
/// Returns the changes, the cursor to continue from, and whether more remain.
pub fn page(
    conn: &mut Connection,
    scope: &str,
    upper: &str,
    after: i64,
    limit: usize,
) -> DbResult<(Vec<Change>, i64, bool)> {
    let tx = conn.transaction()?;
    let head = head(&tx)?;
    let mut found: Vec<(i64, Entity, i64, ChangeOp)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, entity, entity_id, op FROM changes
              WHERE seq > ?1 AND seq <= ?2
                AND ((unit_path >= ?3 AND unit_path < ?4)
                     OR (entity = 'org_unit' AND substr(?3, 1, length(unit_path)) = unit_path))
              ORDER BY seq LIMIT ?5",
        )?;
        let mut rows = stmt.query(params![after, head, scope, upper, limit as i64 + 1])?;
        while let Some(r) = rows.next()? {
            let entity: String = r.get(1)?;
            let op: String = r.get(3)?;
            found.push((
                r.get(0)?,
                parse_col(&entity, "changes.entity", Entity::parse)?,
                r.get(2)?,
                match op.as_str() {
                    "upsert" => ChangeOp::Upsert,
                    "delete" => ChangeOp::Delete,
                    other => return Err(DbError::Corrupt(format!("changes.op = '{other}'"))),
                },
            ));
        }
    }
    let has_more = found.len() > limit;
    found.truncate(limit);
    let cursor = if has_more { found.last().map_or(after, |c| c.0) } else { head.max(after) };
    let mut changes = Vec::with_capacity(found.len());
    for (seq, entity, entity_id, op) in found {
        let row = match op {
            ChangeOp::Upsert => load(&tx, entity, entity_id)?,
            ChangeOp::Delete => None,
        };
        changes.push(Change { seq, op, entity, entity_id, row });
    }
    tx.commit()?;
    Ok((changes, cursor, has_more))
}

/// Runs a scope query (`?1` = scope path, `?2` = its upper bound) and feeds each row to `f`.
pub fn scan<T>(
    conn: &Connection,
    sql: &str,
    scope: &str,
    upper: &str,
    from_row: impl Fn(&Row<'_>) -> rusqlite::Result<T>,
    mut f: impl FnMut(T) -> DbResult<()>,
) -> DbResult<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params![scope, upper])?;
    while let Some(r) = rows.next()? {
        f(from_row(r)?)?;
    }
    Ok(())
}

/// Rows in scope per entity (the snapshot's expected counts).
pub fn count_in_scope(conn: &Connection, table: &str, scope: &str, upper: &str) -> DbResult<u64> {
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE unit_path >= ?1 AND unit_path < ?2"),
        params![scope, upper],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}
