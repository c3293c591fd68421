//! `changes`: the change feed. Every write to a replicated table appends a row here in the same
//! transaction; `seq` orders the feed. Write transactions are serialised on both engines (SQLite's
//! one writer, PostgreSQL's write lock: see [`super`]), so sequence numbers commit in order and a
//! reader may serve everything up to the highest committed `seq` without skipping.

use super::{args, cases, parse_col, Conn, DbError, DbResult, Row};
use hcp_store::{EntityVisitor, Replicated};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use hcp_protocol::{Change, ChangeOp, Entity, EntityRow};

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

/// Records that a row changed, inside the transaction that changed it. Only the table modules
/// call it, from the functions that write their rows: writing a replicated row records its change
/// in the same call, so no write can forget it.
pub(in crate::db) fn record(
    conn: &Conn<'_>,
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
    conn.insert(
        "INSERT INTO changes (entity, entity_id, unit_path, op, at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING seq",
        args![entity.as_str(), entity_id, unit_path, op, at],
    )
}

/// Records that many rows of one entity changed (one multi-row statement per chunk), in the order
/// given: `(entity id, unit path)`. Call inside the transaction that changed them (table modules
/// only, as [`record`]).
pub(in crate::db) fn record_many(
    conn: &Conn<'_>,
    entity: Entity,
    rows: &[(i64, &str)],
    op: ChangeOp,
    at: &str,
) -> DbResult<()> {
    let op = match op {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Delete => "delete",
    };
    for chunk in super::sql::chunks(rows) {
        let sql = format!(
            "INSERT INTO changes (entity, entity_id, unit_path, op, at) VALUES {}",
            super::sql::marks(chunk.len(), 5)
        );
        let values: Vec<super::Value> =
            chunk.iter().flat_map(|(id, path)| args![entity.as_str(), *id, *path, op, at]).collect();
        conn.execute(&sql, values)?;
    }
    Ok(())
}

/// Sends a row again as it is now, at the path it is replicated by (a case's visibility path,
/// every other row's unit path): for rows changed by statements outside the table modules, such as
/// a test's or an operator's repair. Returns whether the row exists.
pub fn republish(conn: &Conn<'_>, entity: Entity, id: i64, at: &str) -> DbResult<bool> {
    let path = match load(conn, entity, id)? {
        None => return Ok(false),
        Some(EntityRow::Case(c)) => cases::scope_path(conn, id)?.unwrap_or(c.unit_path),
        Some(row) => row.unit_path().to_owned(),
    };
    record(conn, entity, id, &path, ChangeOp::Upsert, at)?;
    Ok(true)
}

/// The highest committed sequence number (0 when the feed is empty).
pub fn head(conn: &Conn<'_>) -> DbResult<i64> {
    conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", (), |r| r.get(0))
}

/// Loads the current state of a row.
pub fn load(conn: &Conn<'_>, entity: Entity, id: i64) -> DbResult<Option<EntityRow>> {
    struct Load<'a, 'c> {
        conn: &'a Conn<'c>,
        id: i64,
    }
    impl EntityVisitor for Load<'_, '_> {
        type Out = DbResult<Option<EntityRow>>;
        fn visit<T: Replicated>(self) -> Self::Out {
            Ok(hcp_store::get::<T>(self.conn, self.id)?.map(T::into_entity))
        }
        fn own_code(self, entity: Entity) -> Self::Out {
            let Load { conn, id } = self;
            Ok(match entity {
                Entity::User => super::users::row(conn, id)?.map(EntityRow::User),
                Entity::Case => cases::get(conn, id)?.map(EntityRow::Case),
                _ => super::integrity_flags::get(conn, id)?.map(EntityRow::IntegrityFlag),
            })
        }
    }
    hcp_store::visit(entity, Load { conn, id })
}

/// Whether a row of `entity` at `path` belongs to the jurisdiction `scope` (upper bound `upper`):
/// its units and everything below, plus, for org units and settings, the scope's ancestors (which
/// the snapshot also sends). The rule of [`page`]'s query, for a row's current path.
pub fn reaches(scope: &str, upper: &str, entity: Entity, path: &str) -> bool {
    (path >= scope && path < upper)
        || (matches!(entity, Entity::OrgUnit | Entity::Setting) && scope.as_bytes().starts_with(path.as_bytes()))
}

/// The changes of a page: after `?1`, up to the head, in the scope `?2`..`?3`, at most `?4`, each
/// row with the head beside it; one row with the head alone (the rest NULL) when none is found.
/// One statement for both: on PostgreSQL every statement is a round trip.
const PAGE_SQL: &str = "SELECT p.seq, p.entity, p.entity_id, p.op, h.head
  FROM (SELECT coalesce(max(seq), 0) AS head FROM changes) h
  LEFT JOIN (SELECT seq, entity, entity_id, op FROM changes
              WHERE seq > ?1 AND seq <= (SELECT coalesce(max(seq), 0) FROM changes)
                AND ((unit_path >= ?2 AND unit_path < ?3)
                     OR (entity IN ('org_unit', 'setting') AND substr(?2, 1, length(unit_path)) = unit_path))
              ORDER BY seq LIMIT ?4) p ON 1 = 1
  ORDER BY p.seq";

/// A change a page names: (seq, entity, entity id, op).
type Found = (i64, Entity, i64, ChangeOp);

/// The head and the changes of a page (see [`PAGE_SQL`]), at most `limit` of them.
fn found_page(conn: &Conn<'_>, scope: &str, upper: &str, after: i64, limit: usize) -> DbResult<(i64, Vec<Found>)> {
    let mut head = 0;
    let mut found = Vec::new();
    conn.each(PAGE_SQL, args![after, scope, upper, limit], |r| {
        head = r.get(4)?;
        if r.get::<Option<i64>>(0)?.is_some() {
            found.push(found_change(&r)?);
        }
        Ok(())
    })?;
    Ok((head, found))
}

/// A row of [`PAGE_SQL`] that names a change.
fn found_change(r: &Row) -> DbResult<Found> {
    let entity: String = r.get(1)?;
    let op: String = r.get(3)?;
    Ok((
        r.get(0)?,
        parse_col(&entity, "changes.entity", Entity::parse)?,
        r.get(2)?,
        match op.as_str() {
            "upsert" => ChangeOp::Upsert,
            "delete" => ChangeOp::Delete,
            other => return Err(DbError::Corrupt(format!("changes.op = '{other}'"))),
        },
    ))
}

/// A page of the change feed for one scope (its units and everything below, plus the scope's
/// ancestor units and their settings, which the snapshot also sends), after `after`, up to the
/// head as of this call, as `role` may read it (see [`super::integrity_flags::for_role`]).
/// A change is found by the path it was recorded at, but sends the row as it is now: a row that
/// has since left the scope (an account moved to another jurisdiction) is not sent, as the move
/// recorded its delete at the old path.
/// A rating rated before the replication window starting at `since` (`""`: none) is not sent unless
/// it opened a case (the snapshot's rule, `hcp_store::Replicated::windowed`).
/// Returns the changes, the cursor to continue from, and whether more remain.
pub fn page(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    role: hcp_domain::Role,
    after: i64,
    limit: usize,
    since: &str,
) -> DbResult<(Vec<Change>, i64, bool)> {
    let (head, mut found) = found_page(conn, scope, upper, after, limit + 1)?;
    let has_more = found.len() > limit;
    found.truncate(limit);
    let cursor = if has_more { found.last().map_or(after, |c| c.0) } else { head.max(after) };
    let rows = PageRows::read(conn, &found)?;
    let before_window = rows.ratings_before(conn, since)?;
    let mut changes = Vec::with_capacity(found.len());
    // The calendar in force, read once for the page if it holds a case (to mark provisional deadlines).
    let mut calendar: Option<hcp_domain::Calendar> = None;
    for (seq, entity, entity_id, op) in found {
        let row = match op {
            ChangeOp::Upsert => match rows.row(entity, entity_id) {
                // The row is gone: its delete is a later change (every delete records one), and a
                // replica refuses an upsert without a row.
                None => continue,
                // A case is seen where its visibility path is (it follows its handler's department),
                // not where it was rated; its events carry that path already.
                Some(EntityRow::Case(mut c)) => {
                    if !rows.case_scope(entity_id).is_some_and(|p| reaches(scope, upper, entity, p)) {
                        continue;
                    }
                    if calendar.is_none() {
                        calendar = Some(super::settings::calendar(conn, super::settings::bundled_calendar())?);
                    }
                    if let Some(cal) = &calendar {
                        cases::mark_provisional(&mut c, cal);
                    }
                    Some(EntityRow::Case(c))
                }
                Some(row) if !reaches(scope, upper, entity, row.unit_path()) => continue,
                Some(EntityRow::Rating(r)) if before_window.contains(&r.id) => continue,
                Some(EntityRow::IntegrityFlag(f)) => match super::integrity_flags::for_role(f, role) {
                    Some(f) => Some(EntityRow::IntegrityFlag(f)),
                    None => continue,
                },
                row => row,
            },
            ChangeOp::Delete => None,
        };
        changes.push(Change { seq, op, entity, entity_id, row });
    }
    Ok((changes, cursor, has_more))
}

/// The current rows a page's upserts name, read with one `id IN (…)` statement per entity and
/// chunk instead of one statement per change: on PostgreSQL every statement is a round trip to
/// the server, and a page of 100 ratings was 100 of them.
struct PageRows {
    rows: HashMap<(Entity, i64), EntityRow>,
    /// The visibility paths of the page's cases (see [`cases::scope_path`]).
    case_scopes: HashMap<i64, String>,
}

impl PageRows {
    fn read(conn: &Conn<'_>, found: &[Found]) -> DbResult<PageRows> {
        struct Many<'a, 'c> {
            conn: &'a Conn<'c>,
            ids: &'a [i64],
            page: &'a mut PageRows,
        }
        impl EntityVisitor for Many<'_, '_> {
            type Out = DbResult<()>;
            fn visit<T: Replicated>(self) -> DbResult<()> {
                for r in hcp_store::get_many::<T>(self.conn, self.ids)? {
                    self.page.rows.insert((T::ENTITY, r.id()), r.into_entity());
                }
                Ok(())
            }
            fn own_code(self, entity: Entity) -> DbResult<()> {
                let Many { conn, ids, page } = self;
                if entity == Entity::Case {
                    for (c, scope) in cases::get_many_with_scope(conn, ids)? {
                        page.case_scopes.insert(c.id, scope);
                        page.rows.insert((entity, c.id), EntityRow::Case(c));
                    }
                    return Ok(());
                }
                // Accounts and integrity flags are rare in a page: read one by one.
                for id in ids {
                    if let Some(row) = load(conn, entity, *id)? {
                        page.rows.insert((entity, *id), row);
                    }
                }
                Ok(())
            }
        }
        let mut wanted: BTreeMap<Entity, BTreeSet<i64>> = BTreeMap::new();
        for (_, entity, id, op) in found {
            if *op == ChangeOp::Upsert {
                wanted.entry(*entity).or_default().insert(*id);
            }
        }
        let mut page = PageRows { rows: HashMap::new(), case_scopes: HashMap::new() };
        for (entity, ids) in wanted {
            let ids: Vec<i64> = ids.into_iter().collect();
            hcp_store::visit(entity, Many { conn, ids: &ids, page: &mut page })?;
        }
        Ok(page)
    }

    /// The page's ratings rated before `since` that opened no case: outside the window.
    fn ratings_before(&self, conn: &Conn<'_>, since: &str) -> DbResult<BTreeSet<i64>> {
        if since.is_empty() {
            return Ok(BTreeSet::new());
        }
        let mut old: BTreeSet<i64> = self
            .rows
            .values()
            .filter_map(|r| match r {
                EntityRow::Rating(r) if r.rated_at.as_str() < since => Some(r.id),
                _ => None,
            })
            .collect();
        if old.is_empty() {
            return Ok(old);
        }
        let ids: Vec<i64> = old.iter().copied().collect();
        for opened in hcp_store::by_column(conn, "SELECT rating_id FROM cases", "rating_id", &ids, |r| r.get::<i64>(0))?
        {
            old.remove(&opened);
        }
        Ok(old)
    }

    /// The row of a change (cloned when the page names it again later).
    fn row(&self, entity: Entity, id: i64) -> Option<EntityRow> {
        self.rows.get(&(entity, id)).cloned()
    }

    fn case_scope(&self, id: i64) -> Option<&str> {
        self.case_scopes.get(&id).map(String::as_str)
    }
}

pub(crate) use hcp_store::by_ids;

/// Runs a scope query (`?1` = scope path, `?2` = its upper bound) and feeds each row to `f`.
pub fn scan<T>(
    conn: &Conn<'_>,
    sql: &str,
    scope: &str,
    upper: &str,
    from_row: impl Fn(&Row) -> DbResult<T>,
    mut f: impl FnMut(T) -> DbResult<()>,
) -> DbResult<()> {
    conn.each(sql, [scope, upper], |r| f(from_row(&r)?))
}

/// Like [`scan`] for a query whose third parameter is the id to resume after (`id > ?3`).
pub fn scan_after<T>(
    conn: &Conn<'_>,
    sql: &str,
    scope: &str,
    upper: &str,
    after: i64,
    from_row: impl Fn(&Row) -> DbResult<T>,
    mut f: impl FnMut(T) -> DbResult<()>,
) -> DbResult<()> {
    conn.each(sql, args![scope, upper, after], |r| f(from_row(&r)?))
}

/// Whether `rows` rows in scope above id `after` are at least half of the table's ids above it.
pub fn dense_in_scope(conn: &Conn<'_>, table: &str, rows: u64, after: i64) -> DbResult<bool> {
    let max: Option<i64> = conn.query_row(&format!("SELECT max(id) FROM {table}"), (), |r| r.get(0))?;
    Ok(max.is_some_and(|m| rows.saturating_mul(2) >= u64::try_from(m.saturating_sub(after)).unwrap_or(0)))
}

/// The column a table's rows are replicated by: a case's visibility path (see
/// [`cases::SCOPE_DDL`]), every other row's unit path.
fn path_column(table: &str) -> &'static str {
    if table == "cases" {
        "scope_path"
    } else {
        "unit_path"
    }
}

/// Rows in scope with an id above `after` (a resumed snapshot's expected counts).
pub fn count_in_scope_after(conn: &Conn<'_>, table: &str, scope: &str, upper: &str, after: i64) -> DbResult<u64> {
    let col = path_column(table);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE {col} >= ?1 AND {col} < ?2 AND id > ?3"),
        args![scope, upper, after],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Rows in scope per entity (the snapshot's expected counts).
pub fn count_in_scope(conn: &Conn<'_>, table: &str, scope: &str, upper: &str) -> DbResult<u64> {
    let col = path_column(table);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE {col} >= ?1 AND {col} < ?2"),
        [scope, upper],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{seed_demo, SeedOptions};
    use crate::testing::{Backend, TestDb};
    use hcp_domain::Role;

    /// The page as it was read before rows were batched: one [`load`] (and, for a case, one
    /// [`cases::scope_path`]) per change, the same rules after it.
    fn page_row_by_row(conn: &Conn<'_>, scope: &str, upper: &str, role: Role, after: i64, limit: usize) -> Vec<Change> {
        let (_, found) = found_page(conn, scope, upper, after, limit).expect("changes");
        let calendar =
            super::super::settings::calendar(conn, super::super::settings::bundled_calendar()).expect("calendar");
        let mut out = Vec::new();
        for (seq, entity, entity_id, op) in found {
            let row = match op {
                ChangeOp::Delete => None,
                ChangeOp::Upsert => match load(conn, entity, entity_id).expect("load") {
                    None => continue,
                    Some(EntityRow::Case(mut c)) => {
                        let p = cases::scope_path(conn, entity_id).expect("scope").expect("a case's scope");
                        if !reaches(scope, upper, entity, &p) {
                            continue;
                        }
                        cases::mark_provisional(&mut c, &calendar);
                        Some(EntityRow::Case(c))
                    }
                    Some(row) if !reaches(scope, upper, entity, row.unit_path()) => continue,
                    Some(EntityRow::IntegrityFlag(f)) => match super::super::integrity_flags::for_role(f, role) {
                        Some(f) => Some(EntityRow::IntegrityFlag(f)),
                        None => continue,
                    },
                    row => row,
                },
            };
            out.push(Change { seq, op, entity, entity_id, row });
        }
        out
    }

    /// A row deleted after its upsert was recorded (a month's statistics row no longer counted, an
    /// account moved away) is not sent as an upsert without a row, which a replica refuses (its
    /// sync would stop at that page): only its delete is.
    #[test]
    fn an_upsert_whose_row_is_gone_is_not_sent() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(store) = TestDb::new(backend) else { continue };
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
            seed_demo(&store.db, &SeedOptions { evaluations: 20, seed: 7, today }).expect("seed");
            let at = "2026-11-20T08:00:00+08:00";
            let (city, after, id) = store
                .db
                .write_blocking(|c| {
                    let (unit, city): (i64, String) =
                        c.query_row("SELECT id, path FROM org_units WHERE parent_id IS NULL", (), |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })?;
                    let after = head(c)?;
                    let id = super::super::settings::put(c, unit, &city, "test.gone", "1", at)?;
                    Ok((city, after, id))
                })
                .expect("a setting");
            store
                .db
                .write_blocking(|c| {
                    c.execute("DELETE FROM settings WHERE id = ?1", [id])?;
                    record(c, Entity::Setting, id, &city, ChangeOp::Delete, at)
                })
                .expect("deleted");
            let (changes, _, _) = store
                .db
                .read_blocking(|c| page(c, &city, &format!("{city}~"), Role::Supervisor, after, 100, ""))
                .expect("page");
            let ops: Vec<ChangeOp> =
                changes.iter().filter(|c| c.entity == Entity::Setting && c.entity_id == id).map(|c| c.op).collect();
            assert_eq!(ops, [ChangeOp::Delete], "{backend:?}");
            assert!(changes.iter().all(|c| c.op == ChangeOp::Delete || c.row.is_some()), "{backend:?}");
        }
    }

    /// Pages of every size read their rows a table at a time and send exactly what reading each
    /// change's row on its own sends (ratings, cases with their visibility, events, units, users,
    /// settings), on both engines, for the whole city and a district.
    #[test]
    fn batched_pages_send_what_row_by_row_reads_send() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(store) = TestDb::new(backend) else { continue };
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
            seed_demo(&store.db, &SeedOptions { evaluations: 300, seed: 7, today }).expect("seed");
            store
                .db
                .read_blocking(|c| {
                    let city: String =
                        c.query_row("SELECT path FROM org_units WHERE parent_id IS NULL", (), |r| r.get(0))?;
                    let district: String = c.query_row(
                        "SELECT path FROM org_units WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1",
                        (),
                        |r| r.get(0),
                    )?;
                    let total: i64 = c.query_row("SELECT count(*) FROM changes", (), |r| r.get(0))?;
                    assert!(total > 300, "the demo city fills the feed: {total}");
                    for scope in [&city, &district] {
                        for limit in [1, 7, 100, 1_500] {
                            let mut after = 0;
                            let mut pages = 0;
                            loop {
                                let upper = format!("{scope}~");
                                let (changes, cursor, more) =
                                    page(c, scope, &upper, Role::Supervisor, after, limit, "")?;
                                let again = page_row_by_row(c, scope, &upper, Role::Supervisor, after, limit);
                                assert_eq!(changes, again, "a batched page equals the row-by-row page");
                                assert!(changes.len() <= limit);
                                after = cursor;
                                pages += 1;
                                if !more || pages > 40 {
                                    break;
                                }
                            }
                        }
                    }
                    Ok(())
                })
                .expect("pages");
        }
    }

    /// More ids than one statement names, repeated and missing ones: each existing row once.
    #[test]
    fn rows_by_ids_come_once_each_across_chunks() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let Some(store) = TestDb::new(backend) else { continue };
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
            seed_demo(&store.db, &SeedOptions { evaluations: 1_200, seed: 3, today }).expect("seed");
            store
                .db
                .read_blocking(|c| {
                    let max: i64 = c.query_row("SELECT max(id) FROM ratings", (), |r| r.get(0))?;
                    assert!(max as usize > hcp_store::BY_IDS_MAX, "more ratings than one statement names: {max}");
                    // Every id, a missing one past the end, in reverse order.
                    let ids: Vec<i64> = (1..=max + 3).rev().collect();
                    let mut got: Vec<i64> =
                        hcp_store::get_many::<hcp_protocol::RatingRow>(c, &ids)?.into_iter().map(|r| r.id).collect();
                    got.sort_unstable();
                    assert_eq!(got, (1..=max).collect::<Vec<_>>());
                    let three = hcp_store::get_many::<hcp_protocol::RatingRow>(c, &[5, 2, 9])?;
                    assert_eq!(three.len(), 3);
                    for r in three {
                        assert_eq!(Some(&r), hcp_store::get::<hcp_protocol::RatingRow>(c, r.id)?.as_ref());
                    }
                    assert!(hcp_store::get_many::<hcp_protocol::RatingRow>(c, &[])?.is_empty());
                    Ok(())
                })
                .expect("by ids");
        }
    }
}
