//! The desktop client's replica of its jurisdiction: an SQLCipher-encrypted SQLite file.
//!
//! Mirrored rows are written only by the sync engine (snapshot and change feed); screens read them
//! through the query functions here. The file is encrypted at rest with a random 256-bit key that
//! the caller keeps in the OS keyring; a wrong or lost key surfaces as [`ReplicaError::BadKey`] so
//! the caller can discard the file and bootstrap afresh.

pub mod aggregates;
mod digest;
pub mod query;
pub mod tables;

use std::path::{Path, PathBuf};

use hcp_protocol::{CaseEventRow, CaseRow, Change, ChangeOp, Counts, Entity, EntityRow};
use rusqlite::{Connection, ErrorCode, Transaction};

pub use query::{CaseListItem, CasePage, CaseQuery, CaseSort, DueWindow};
pub use tables::outbox::{NewCommand, OutboxItem};
use tables::{
    agg_case_staff, agg_case_units, agg_rating_channels, agg_rating_staff, agg_rating_units, case_events, cases, meta,
    org_units, outbox, ratings, service_items, settings, staff, users,
};

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The key does not open the file (or the file is not a database at all).
    #[error("本地数据文件无法用当前密钥打开")]
    BadKey,
    #[error("本地数据库错误：{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("快照数据不完整：{0}")]
    CountMismatch(String),
    #[error("本地数据损坏：{0}")]
    Corrupt(String),
    #[error("无法访问本地数据文件 {path}：{source}")]
    Io { path: PathBuf, source: std::io::Error },
}

pub type Result<T> = std::result::Result<T, ReplicaError>;

/// A 256-bit replica encryption key.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplicaKey([u8; 32]);

impl ReplicaKey {
    pub fn from_bytes(bytes: [u8; 32]) -> ReplicaKey {
        ReplicaKey(bytes)
    }
    /// Parses the hex form kept in the keyring.
    pub fn from_hex(s: &str) -> Option<ReplicaKey> {
        let v = hex::decode(s.trim()).ok()?;
        let arr: [u8; 32] = v.try_into().ok()?;
        Some(ReplicaKey(arr))
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for ReplicaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplicaKey(…)")
    }
}

/// One schema step.
enum Migration {
    Sql(&'static str),
    /// Data derived from the rows already there (e.g. aggregates for a replica that predates them).
    Rust(fn(&Connection) -> Result<()>),
}

/// Migrations in order; `PRAGMA user_version` records how many ran. One entry per table module.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(meta::DDL),
    Migration::Sql(org_units::DDL),
    Migration::Sql(staff::DDL),
    Migration::Sql(ratings::DDL),
    Migration::Sql(cases::DDL),
    Migration::Sql(case_events::DDL),
    Migration::Sql(outbox::DDL),
    Migration::Sql(users::DDL),
    Migration::Sql(service_items::DDL),
    Migration::Sql(settings::DDL),
    Migration::Sql(tables::case_text::DDL),
    Migration::Sql(cases::FILTER_INDEXES),
    Migration::Sql(cases::INDEXES),
    Migration::Sql(aggregates::VIEWS_DDL),
    Migration::Sql(agg_rating_units::DDL),
    Migration::Sql(agg_rating_staff::DDL),
    Migration::Sql(agg_rating_channels::DDL),
    Migration::Sql(agg_case_units::DDL),
    Migration::Sql(agg_case_staff::DDL),
    Migration::Rust(aggregates::rebuild),
];

pub struct Replica {
    conn: Connection,
    path: PathBuf,
    key: ReplicaKey,
}

impl Replica {
    /// Opens or creates the encrypted replica at `path`.
    pub fn open(path: &Path, key: &ReplicaKey) -> Result<Replica> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ReplicaError::Io { path: dir.to_owned(), source })?;
        }
        let mut conn = Connection::open(path)?;
        // The key must be the first statement on the connection. Hex is safe to inline.
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
                return Err(ReplicaError::BadKey)
            }
            Err(e) => return Err(e.into()),
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Rows purged when a jurisdiction is revoked are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut conn)?;
        Ok(Replica { conn, path: path.to_owned(), key: key.clone() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A second connection to the same file: a long write (a bootstrap) on it leaves this one
    /// free, and readers here keep seeing the last committed state (WAL) until it commits.
    pub fn reopen(&self) -> Result<Replica> {
        Replica::open(&self.path, &self.key)
    }

    /// Read access for queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The change-feed cursor this replica has applied up to (None before the first bootstrap).
    pub fn cursor(&self) -> Result<Option<i64>> {
        Ok(meta::get(&self.conn, meta::CURSOR)?.and_then(|v| v.parse().ok()))
    }

    /// The scope the replica holds (the user's unit path) once bootstrapped.
    pub fn scope(&self) -> Result<Option<String>> {
        meta::get(&self.conn, meta::SCOPE)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        meta::get(&self.conn, key)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        meta::set(&self.conn, key, value)
    }

    /// Starts replacing the whole replica with a snapshot. Nothing is visible until
    /// [`Bootstrap::finish`] commits; dropping the bootstrap rolls everything back.
    pub fn begin_bootstrap(&mut self, scope: &str) -> Result<Bootstrap<'_>> {
        bulk_load_cache(&self.conn, true)?;
        let tx = self.conn.transaction()?;
        for t in
            ["case_events", "cases", "case_text", "ratings", "users", "staff", "service_items", "settings", "org_units"]
                .into_iter()
                .chain(aggregates::TABLES)
        {
            tx.execute(&format!("DELETE FROM {t}"), [])?;
        }
        meta::delete(&tx, meta::CURSOR)?;
        meta::set(&tx, meta::SCOPE, scope)?;
        Ok(Bootstrap { tx, counts: Counts::default() })
    }

    /// Applies one page of the change feed and advances the cursor in the same transaction, with
    /// the aggregates adjusted for every rating and case the page affects.
    pub fn apply_changes(&mut self, changes: &[Change], cursor: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut touched = aggregates::Touched::default();
        for c in changes {
            touched.note(&tx, c.entity, c.entity_id, c.row.as_ref())?;
        }
        touched.retract(&tx)?;
        for c in changes {
            match (c.op, &c.row) {
                (ChangeOp::Upsert, Some(row)) => upsert(&tx, row)?,
                (ChangeOp::Upsert, None) => {
                    return Err(ReplicaError::Corrupt(format!("change {} has no row", c.seq)));
                }
                (ChangeOp::Delete, _) => delete(&tx, c.entity, c.entity_id)?,
            }
        }
        touched.restore(&tx)?;
        meta::set(&tx, meta::CURSOR, &cursor.to_string())?;
        tx.commit()?;
        Ok(())
    }

    /// The digest of every row held (see `hcp_protocol::digest`); equal to the server's digest of
    /// the same jurisdiction once the replica has caught up.
    pub fn scope_digest(&self) -> Result<String> {
        digest::scope_digest(&self.conn)
    }

    /// The JSON of the nearest `key` setting (`calendar`, `policy`) at or above the unit at `path`.
    pub fn setting(&self, key: &str, path: &str) -> Result<Option<String>> {
        settings::nearest(&self.conn, key, path)
    }

    /// Rows held per entity.
    pub fn counts(&self) -> Result<Counts> {
        let mut c = Counts::default();
        for e in Entity::ALL {
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {}", table(e)), [], |r| r.get(0))?;
            c.add(e, n as u64);
        }
        Ok(c)
    }

    /// Active users with `role` under a unit path: (id, name, unit id).
    pub fn users_with_role(&self, role: hcp_domain::Role, under: &str) -> Result<Vec<(i64, String, i64)>> {
        users::with_role_under(&self.conn, role.as_str(), under)
    }

    /// One inbox row by id.
    pub fn case_item(&self, id: i64) -> Result<Option<CaseListItem>> {
        query::case_item(&self.conn, id)
    }

    /// The rating behind a case, as the case page shows it (the evaluator masked).
    pub fn rating_summary(&self, id: i64) -> Result<Option<RatingSummary>> {
        ratings::summary(&self.conn, id)
    }

    /// The name and kind of an org unit.
    pub fn unit(&self, id: i64) -> Result<Option<(String, String)>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached("SELECT name, kind FROM org_units WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// The name of an org unit.
    /// The units at or below `under` that cases can belong to (districts, parks, towns, halls and
    /// their departments), in tree order: (id, name, kind, depth below `under`).
    pub fn units_under(&self, under: &str) -> Result<Vec<(i64, String, String, u32)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, kind, path FROM org_units
              WHERE path >= ?1 AND path < ?1 || '~' AND kind NOT IN ('window', 'community')
              ORDER BY path",
        )?;
        let base = under.matches('/').count();
        let rows = stmt.query_map([under], |r| {
            let path: String = r.get(3)?;
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, path.matches('/').count().saturating_sub(base) as u32))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn unit_name(&self, id: i64) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM org_units WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// A case with its aggregate.
    pub fn case(&self, id: i64) -> Result<Option<CaseRow>> {
        cases::get(&self.conn, id)
    }

    /// A case's timeline.
    pub fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRow>> {
        case_events::for_case(&self.conn, case_id)
    }

    /// Queues a command; returns its `client_seq`.
    pub fn enqueue(&self, c: &NewCommand<'_>) -> Result<i64> {
        outbox::enqueue(&self.conn, c)
    }

    /// Pending commands in `client_seq` order.
    pub fn pending(&self, limit: usize) -> Result<Vec<OutboxItem>> {
        outbox::pending(&self.conn, limit)
    }

    /// Pending commands of one case, oldest first.
    pub fn pending_for_case(&self, case_id: i64) -> Result<Vec<OutboxItem>> {
        outbox::pending_for_case(&self.conn, case_id)
    }

    /// Everything still in the outbox (pending and rejected).
    pub fn outbox(&self) -> Result<Vec<OutboxItem>> {
        outbox::all(&self.conn)
    }

    pub fn outbox_item(&self, command_id: &str) -> Result<Option<OutboxItem>> {
        outbox::get(&self.conn, command_id)
    }

    /// (pending, rejected)
    pub fn outbox_counts(&self) -> Result<(u32, u32)> {
        outbox::counts(&self.conn)
    }

    pub fn note_attempt(&mut self, command_ids: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        outbox::note_attempt(&tx, command_ids)?;
        tx.commit()?;
        Ok(())
    }

    /// Records the server's answers to a push in one transaction: applied (or duplicate) commands
    /// leave the outbox and the case the server returned is stored; rejected ones stay, marked.
    pub fn settle(&mut self, results: &[Settlement]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut touched = aggregates::Touched::default();
        for s in results {
            if let Settlement::Applied { case: Some(case), .. } = s {
                touched.note(&tx, Entity::Case, case.id, Some(&EntityRow::Case((**case).clone())))?;
            }
        }
        touched.retract(&tx)?;
        for s in results {
            match s {
                Settlement::Applied { command_id, case } => {
                    outbox::remove(&tx, command_id)?;
                    if let Some(case) = case {
                        // Never step back: keep whichever version is newer.
                        let stored: Option<i64> = tx
                            .prepare_cached("SELECT version FROM cases WHERE id = ?1")?
                            .query_row([case.id], |r| r.get(0))
                            .ok();
                        if stored.is_none_or(|v| v <= case.version) {
                            cases::upsert(&tx, case)?;
                        }
                    }
                }
                Settlement::Rejected { command_id, code, message } => {
                    if !outbox::reject(&tx, command_id, code, message)? {
                        tracing::warn!("a refused command was no longer in the outbox");
                    }
                }
            }
        }
        touched.restore(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Drops a command the server refused and the user gave up on. Pending commands cannot be
    /// recalled (one may already be on its way to the server); returns false for them.
    pub fn discard(&mut self, command_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM outbox WHERE command_id = ?1 AND status = 'rejected'")?
            .execute([command_id])?
            > 0)
    }

    /// The inbox query.
    pub fn list_cases(&self, q: &CaseQuery) -> Result<CasePage> {
        query::list_cases(&self.conn, q)
    }

    /// The KPIs of `subject` under `scope` over `period` as of `as_of`, from the aggregates.
    pub fn kpis(
        &self,
        scope: &str,
        subject: hcp_domain::kpi::Subject,
        period: &hcp_domain::kpi::Period,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<hcp_domain::kpi::Kpis> {
        aggregates::kpis(&self.conn, scope, subject, period, as_of)
    }

    /// The KPIs of every unit or staff member under `scope` with a fact in `period`, from the aggregates.
    pub fn kpis_by(
        &self,
        scope: &str,
        group: hcp_domain::kpi::GroupBy,
        period: &hcp_domain::kpi::Period,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeMap<i64, hcp_domain::kpi::Kpis>> {
        aggregates::kpis_by(&self.conn, scope, group, period, as_of)
    }

    /// Non-excluded ratings and bad reviews per month (`YYYY-MM`) under `scope` over `period`.
    pub fn monthly_volume(&self, scope: &str, period: &hcp_domain::kpi::Period) -> Result<Vec<(String, u64, u64)>> {
        aggregates::monthly_volume(&self.conn, scope, period)
    }

    /// The months with ratings under `scope`, newest first.
    pub fn rating_months(&self, scope: &str) -> Result<Vec<String>> {
        aggregates::rating_months(&self.conn, scope)
    }

    /// Ratings per channel under `scope` over `period` (excluded ones too).
    pub fn channel_counts(&self, scope: &str, period: &hcp_domain::kpi::Period) -> Result<Vec<(u8, u64)>> {
        aggregates::channel_counts(&self.conn, scope, period)
    }
}

/// The rating behind a case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RatingSummary {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub rating_id: i64,
    /// e.g. `张*（138****5678）` or `匿名用户`.
    pub evaluator_masked: String,
    pub real_name: bool,
    pub comment: String,
    pub rated_at: String,
    pub channel: u8,
    pub content_codes: Vec<u16>,
}

/// The server's answer to one pushed command.
#[derive(Debug, Clone)]
pub enum Settlement {
    Applied { command_id: String, case: Option<Box<CaseRow>> },
    Rejected { command_id: String, code: String, message: String },
}

fn table(e: Entity) -> &'static str {
    match e {
        Entity::OrgUnit => "org_units",
        Entity::Staff => "staff",
        Entity::User => "users",
        Entity::Rating => "ratings",
        Entity::Case => "cases",
        Entity::CaseEvent => "case_events",
        Entity::ServiceItem => "service_items",
        Entity::Setting => "settings",
    }
}

fn upsert(tx: &Connection, row: &EntityRow) -> Result<()> {
    match row {
        EntityRow::OrgUnit(r) => org_units::upsert(tx, r),
        EntityRow::Staff(r) => staff::upsert(tx, r),
        EntityRow::User(r) => users::upsert(tx, r),
        EntityRow::Rating(r) => ratings::upsert(tx, r),
        EntityRow::Case(r) => cases::upsert(tx, r),
        EntityRow::CaseEvent(r) => case_events::upsert(tx, r),
        EntityRow::ServiceItem(r) => service_items::upsert(tx, r),
        EntityRow::Setting(r) => settings::upsert(tx, r),
    }
}

fn delete(tx: &Connection, e: Entity, id: i64) -> Result<()> {
    tx.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table(e)))?.execute([id])?;
    if e == Entity::Case {
        tables::case_text::remove(tx, id)?;
    }
    Ok(())
}

/// Page cache of a connection loading a snapshot, in KiB: enough to hold the secondary indexes
/// (ratings by unit and time, the cases' filter indexes, the events by case, the full-text index)
/// of a city's million ratings while they are filled, so that index pages are not spilled to the
/// WAL and read back (and decrypted) again and again during the one big transaction.
const BULK_LOAD_CACHE_KIB: i64 = 256 * 1024;
/// SQLite's default page cache (2,000 KiB), restored once the load is done.
const DEFAULT_CACHE_KIB: i64 = 2_000;

/// Raises (or restores) the page cache for a bulk load.
fn bulk_load_cache(conn: &Connection, on: bool) -> Result<()> {
    let kib = if on { BULK_LOAD_CACHE_KIB } else { DEFAULT_CACHE_KIB };
    conn.pragma_update(None, "cache_size", -kib)?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let have: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let tx = conn.transaction()?;
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if v > have {
            match step {
                Migration::Sql(ddl) => tx.execute_batch(ddl)?,
                Migration::Rust(run) => {
                    let started = std::time::Instant::now();
                    run(&tx)?;
                    tracing::info!(
                        version = v,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "replica data migrated"
                    );
                }
            }
            tx.pragma_update(None, "user_version", v)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A snapshot being written: rows go in through prepared statements inside one transaction.
pub struct Bootstrap<'a> {
    tx: Transaction<'a>,
    counts: Counts,
}

impl Bootstrap<'_> {
    pub fn insert(&mut self, row: &EntityRow) -> Result<()> {
        upsert(&self.tx, row)?;
        self.counts.add(row.entity(), 1);
        Ok(())
    }

    /// Rows inserted so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Checks the rows received against the snapshot's trailer, then commits with the cursor.
    pub fn finish(self, cursor: i64, expected: &Counts, now: &str) -> Result<()> {
        if &self.counts != expected {
            return Err(ReplicaError::CountMismatch(format!("收到 {:?}，应为 {:?}", self.counts, expected)));
        }
        let started = std::time::Instant::now();
        aggregates::rebuild(&self.tx)?;
        tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "statistics aggregates built");
        meta::set(&self.tx, meta::CURSOR, &cursor.to_string())?;
        meta::set(&self.tx, meta::BOOTSTRAPPED_AT, now)?;
        bulk_load_cache(&self.tx, false)?;
        self.tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
