//! The [`Replicated`] trait, the registry of entities that implement it, and the reads and writes
//! written once over it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use hcp_protocol::{Entity, EntityRow};

use crate::sql::{marks, Conn, Row, Value};
use crate::{args, DbResult, Dialect};

/// A replicated entity: a row the server keeps, sends through the snapshot and the change feed,
/// and the replica keeps a copy of, column for column.
pub trait Replicated: Sized {
    /// The entity's name in the change feed and the snapshot.
    const ENTITY: Entity;
    /// The table, the same name on the server and in the replica.
    const TABLE: &'static str;
    /// The columns both tables hold, id first, in the order [`Replicated::from_row`] reads and
    /// [`Replicated::values`] writes. The server's table may hold more (who sent the command, …).
    const COLUMNS: &'static str;
    /// The column holding the jurisdiction path the row is replicated by.
    const PATH: &'static str = "unit_path";
    /// Whether a jurisdiction also holds the rows at its ancestors' paths (the units above it and
    /// the settings they set, which apply to it).
    const REACHES_ANCESTORS: bool = false;
    /// For an entity a replica holds only within its replication window (`hcp_protocol::Window`):
    /// the SQL condition (in `dialect`) a row meets to be held, `?4` being the window's first
    /// instant. `None`: held whatever its age.
    fn windowed(_dialect: crate::Dialect) -> Option<&'static str> {
        None
    }

    /// The row read from [`Replicated::COLUMNS`] (on either side).
    fn from_row(r: &Row) -> DbResult<Self>;
    /// The values of [`Replicated::COLUMNS`], in order.
    fn values(&self) -> DbResult<Vec<Value>>;
    fn id(&self) -> i64;
    /// The row as the feed and the snapshot carry it.
    fn into_entity(self) -> EntityRow;
}

/// Code written once over [`Replicated`], run for an entity named at run time by [`visit`].
pub trait EntityVisitor {
    type Out;
    fn visit<T: Replicated>(self) -> Self::Out;
    /// The entities whose two sides still differ (a case's visibility path and provisional
    /// deadlines, an account's joined names, a flag's role filter and side table): each side reads
    /// and writes them with its own code.
    fn own_code(self, entity: Entity) -> Self::Out;
}

/// The registry: which type each entity is. Adding an entity adds its line here.
pub fn visit<V: EntityVisitor>(entity: Entity, v: V) -> V::Out {
    use hcp_protocol::{
        AttachmentRow, AwardRow, CaseEventRow, OrgUnitRow, RatingRow, RatingStatRow, SelfAssessmentRow, ServiceItemRow,
        SettingRow, StaffRow, SurveyResultRow,
    };
    match entity {
        Entity::OrgUnit => v.visit::<OrgUnitRow>(),
        Entity::Staff => v.visit::<StaffRow>(),
        Entity::Rating => v.visit::<RatingRow>(),
        Entity::CaseEvent => v.visit::<CaseEventRow>(),
        Entity::ServiceItem => v.visit::<ServiceItemRow>(),
        Entity::Setting => v.visit::<SettingRow>(),
        Entity::Award => v.visit::<AwardRow>(),
        Entity::SelfAssessment => v.visit::<SelfAssessmentRow>(),
        Entity::SurveyResult => v.visit::<SurveyResultRow>(),
        Entity::Attachment => v.visit::<AttachmentRow>(),
        Entity::RatingStat => v.visit::<RatingStatRow>(),
        Entity::Case | Entity::User | Entity::IntegrityFlag => v.own_code(entity),
    }
}

/// The statements of one entity, built once per process (a replica applies millions of rows
/// through the same upsert).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Statement {
    Select,
    Upsert,
}

fn statement<T: Replicated>(which: Statement) -> &'static str {
    static BUILT: OnceLock<Mutex<HashMap<(&'static str, Statement), &'static str>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    built.entry((T::TABLE, which)).or_insert_with(|| {
        let sql = match which {
            Statement::Select => format!("SELECT {} FROM {}", T::COLUMNS, T::TABLE),
            Statement::Upsert => {
                let n = T::COLUMNS.split(',').count();
                format!("INSERT OR REPLACE INTO {} ({}) VALUES ({})", T::TABLE, T::COLUMNS, marks(n, 1))
            }
        };
        Box::leak(sql.into_boxed_str())
    })
}

/// One row by id.
pub fn get<T: Replicated>(conn: &Conn<'_>, id: i64) -> DbResult<Option<T>> {
    conn.query_opt(&format!("{} WHERE id = ?1", statement::<T>(Statement::Select)), [id], T::from_row)
}

/// The rows with these ids (those that exist), in no particular order: a change page's rows of
/// one entity, read with one statement per [`BY_IDS_MAX`] ids.
pub fn get_many<T: Replicated>(conn: &Conn<'_>, ids: &[i64]) -> DbResult<Vec<T>> {
    by_ids(conn, statement::<T>(Statement::Select), ids, T::from_row)
}

/// Runs `select` (`SELECT … FROM table`) for the rows whose `id` is in `ids` (see [`by_column`]).
pub fn by_ids<T>(
    conn: &Conn<'_>,
    select: &str,
    ids: &[i64],
    from_row: impl Fn(&Row) -> DbResult<T>,
) -> DbResult<Vec<T>> {
    by_column(conn, select, "id", ids, from_row)
}

/// Runs `select` (`SELECT … FROM table`, no `WHERE`) for the rows whose integer `column` is one of
/// `values`: one statement for up to [`BY_IDS_MAX`] values, so a change page of any size is one
/// round trip. On PostgreSQL the list is one array parameter (`column = ANY(?1)`): one statement
/// shape, planned once per connection (a list of parameters was planned again on every call,
/// which cost the server as much as running it). On SQLite it is an `IN` list padded to a power
/// of two by repeating the last value, so a connection prepares few statement shapes.
pub fn by_column<T>(
    conn: &Conn<'_>,
    select: &str,
    column: &str,
    values: &[i64],
    from_row: impl Fn(&Row) -> DbResult<T>,
) -> DbResult<Vec<T>> {
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(BY_IDS_MAX) {
        let Some(last) = chunk.last() else { continue };
        let (sql, args) = match conn.dialect() {
            Dialect::Postgres => (format!("{select} WHERE {column} = ANY(?1)"), vec![Value::Ints(chunk.to_vec())]),
            Dialect::Sqlite => {
                let width = chunk.len().next_power_of_two();
                let args = chunk.iter().chain(std::iter::repeat(last)).take(width).map(|v| Value::Int(*v)).collect();
                (format!("{select} WHERE {column} IN ({})", marks(width, 1)), args)
            }
        };
        conn.each(&sql, args, |r| {
            out.push(from_row(&r)?);
            Ok(())
        })?;
    }
    Ok(out)
}

/// The most ids [`by_ids`] names in one statement.
pub const BY_IDS_MAX: usize = 1024;

/// The condition "`column` in scope" (`?1` the scope, `?2` its upper bound) for a scan by id.
/// When most of the table is in scope (`dense`), reading the table in id order and skipping the
/// rest beats reading the path index and then sorting every row by id (which on SQLite also
/// fetches each row at random); the concatenation keeps either engine from using the path index.
pub fn path_range(column: &str, dense: bool) -> String {
    if dense {
        format!("{column} || '' >= ?1 AND {column} || '' < ?2")
    } else {
        format!("{column} >= ?1 AND {column} < ?2")
    }
}

/// The condition "in scope" of `T` (`?1` the scope, `?2` its upper bound): its path range, and
/// the scope's ancestors for an entity that reaches them; and, for an entity held within a window
/// when there is one (`since` not empty), in the window starting at `?4`. With its arguments (the
/// id bound `?3` being `after`).
fn scope_condition<T: Replicated>(
    conn: &Conn<'_>,
    dense: bool,
    scope: &str,
    upper: &str,
    after: i64,
    since: &str,
) -> (String, Vec<Value>) {
    let range = path_range(T::PATH, dense);
    let mut sql =
        if T::REACHES_ANCESTORS { format!("(({range}) OR substr(?1, 1, length({0})) = {0})", T::PATH) } else { range };
    let mut args = args![scope, upper, after];
    if let Some(held) = T::windowed(conn.dialect()).filter(|_| !since.is_empty()) {
        sql = format!("{sql} AND {held}");
        args.push(Value::Text(since.to_owned()));
    }
    (sql, args)
}

/// Feeds the rows in scope (`scope` up to `upper`) with an id above `after` (0: all of them) to
/// `f`, by id: a snapshot, or the rest of an interrupted one. `since`: the first instant of the
/// replication window (`""`: the whole history; see [`Replicated::windowed`]). `dense`: see
/// [`path_range`].
#[allow(clippy::too_many_arguments)]
pub fn in_scope_after<T: Replicated>(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    since: &str,
    dense: bool,
    mut f: impl FnMut(T) -> DbResult<()>,
) -> DbResult<()> {
    let (cond, args) = scope_condition::<T>(conn, dense, scope, upper, after, since);
    let sql = format!("{} WHERE {cond} AND id > ?3 ORDER BY id", statement::<T>(Statement::Select));
    conn.each(&sql, args, |r| f(T::from_row(&r)?))
}

/// How many rows [`in_scope_after`] gives.
pub fn count_in_scope_after<T: Replicated>(
    conn: &Conn<'_>,
    scope: &str,
    upper: &str,
    after: i64,
    since: &str,
) -> DbResult<u64> {
    let (cond, args) = scope_condition::<T>(conn, false, scope, upper, after, since);
    let sql = format!("SELECT count(*) FROM {} WHERE {cond} AND id > ?3", T::TABLE);
    let n: i64 = conn.query_row(&sql, args, |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Writes the row as it is on the server (the replica's copy; SQLite).
pub fn upsert<T: Replicated>(conn: &Conn<'_>, row: &T) -> DbResult<()> {
    conn.execute(statement::<T>(Statement::Upsert), row.values()?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcp_protocol::AwardRow;

    fn award(id: i64, path: &str) -> AwardRow {
        AwardRow {
            id,
            kind: hcp_domain::merit::AwardKind::Star,
            period: "2026-11".into(),
            staff_id: 7,
            staff_name: "王敏".into(),
            employee_no: "A-007".into(),
            unit_id: 3,
            unit_path: path.into(),
            league_path: "/1/".into(),
            score: 0.98,
            sample_size: 41,
            satisfied: 40,
            reason: "样本 41，满意度 98%".into(),
            confirmed_by: 2,
            confirmed_by_name: "李督办".into(),
            confirmed_at: "2026-12-01T02:00:00Z".into(),
        }
    }

    /// A row written through the trait reads back equal, by id, by ids and by scope, and an
    /// upsert replaces it.
    #[test]
    fn a_row_round_trips_through_the_trait() {
        let c = rusqlite::Connection::open_in_memory().expect("db");
        let conn = Conn::sqlite(&c);
        conn.batch(&crate::entities::award::replica_ddl()).expect("ddl");
        let rows = [award(1, "/1/2/"), award(2, "/1/3/"), award(3, "/1/2/5/")];
        for r in &rows {
            upsert(&conn, r).expect("upsert");
        }
        assert_eq!(get::<AwardRow>(&conn, 2).expect("get"), Some(rows[1].clone()));
        assert_eq!(get::<AwardRow>(&conn, 9).expect("get"), None);
        let mut many = get_many::<AwardRow>(&conn, &[3, 1, 1, 8]).expect("many");
        many.sort_by_key(|r| r.id);
        assert_eq!(many, vec![rows[0].clone(), rows[2].clone()]);
        for dense in [false, true] {
            let mut seen = Vec::new();
            in_scope_after::<AwardRow>(&conn, "/1/2/", "/1/2/~", 0, "", dense, |r| {
                seen.push(r.id);
                Ok(())
            })
            .expect("scan");
            assert_eq!(seen, vec![1, 3]);
        }
        assert_eq!(count_in_scope_after::<AwardRow>(&conn, "/1/2/", "/1/2/~", 1, "").expect("count"), 1);
        let mut changed = rows[0].clone();
        changed.reason = "复核后确认".into();
        upsert(&conn, &changed).expect("replace");
        assert_eq!(get::<AwardRow>(&conn, 1).expect("get"), Some(changed));
        assert_eq!(count_in_scope_after::<AwardRow>(&conn, "/", "/~", 0, "").expect("count"), 3);
    }

    /// Every entity the registry names by type has a table and columns that start with the id.
    #[test]
    fn the_registry_names_each_entity_once() {
        struct Name;
        impl EntityVisitor for Name {
            type Out = Option<(Entity, &'static str)>;
            fn visit<T: Replicated>(self) -> Self::Out {
                assert!(T::COLUMNS.starts_with("id,"), "{}", T::TABLE);
                Some((T::ENTITY, T::TABLE))
            }
            fn own_code(self, _: Entity) -> Self::Out {
                None
            }
        }
        let mut tables = std::collections::BTreeSet::new();
        for e in Entity::ALL {
            if let Some((named, table)) = visit(e, Name) {
                assert_eq!(named, e, "{table} is registered under another entity");
                assert!(tables.insert(table), "{table} twice");
            }
        }
        assert_eq!(tables.len(), 11);
    }
}
