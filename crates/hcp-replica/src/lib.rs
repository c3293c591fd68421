//! The desktop client's replica of its jurisdiction: an SQLCipher-encrypted SQLite file.
//!
//! Mirrored rows are written only by the sync engine (snapshot and change feed); screens read them
//! through the query functions here. The file is encrypted at rest with a random 256-bit key that
//! the caller keeps in the OS keyring; a wrong or lost key surfaces as [`ReplicaError::BadKey`] so
//! the caller can discard the file and bootstrap afresh.

pub mod aggregates;
pub mod board;
mod digest;
pub mod files;
pub mod image;
mod indexes;
pub mod query;
pub mod tables;

use std::path::{Path, PathBuf};

use hcp_protocol::{CaseEventRow, CaseRow, Change, ChangeOp, Counts, Entity, EntityRow, Window};
use rusqlite::{Connection, ErrorCode};

pub use query::{CaseListItem, CasePage, CaseQuery, CaseSort, DueWindow};
pub use tables::outbox::{CancelRefusal, NewClientCommand, NewCommand, OutboxItem};
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
    /// The laptop's reserved document numbers (文号) do not cover the notices to issue.
    #[error("本机预留的文号不足（需要 {needed} 个，剩余 {left} 个）")]
    NoDocNumbers { needed: u32, left: u32 },
    #[error("无法访问本地数据文件 {path}：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file was written by a newer version of the app (a schema version this one does not
    /// know): it is left exactly as it is, never migrated, written or discarded.
    #[error(
        "本地数据由更新版本的好差评督办写入（数据版本 {found}，本程序最高支持 {known}），此版本无法打开；请安装最新版本。本地数据未作任何改动"
    )]
    NewerSchema { found: i64, known: i64 },
    /// A period that starts or ends inside a month before the replication window: those months
    /// are held as whole-month statistics only.
    #[error("本机只保存 {month} 以后的逐日评价；更早的月份只有整月统计，请按整月查询")]
    OutsideWindow { month: String },
}

pub type Result<T> = std::result::Result<T, ReplicaError>;

impl From<hcp_store::DbError> for ReplicaError {
    fn from(e: hcp_store::DbError) -> ReplicaError {
        match e {
            hcp_store::DbError::Sqlite(e) => ReplicaError::Sqlite(e),
            other => ReplicaError::Corrupt(other.to_string()),
        }
    }
}

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
    /// DDL built at run time (a replicated entity's table, derived from the server's).
    Built(fn() -> String),
    /// Data derived from the rows already there (e.g. aggregates for a replica that predates them).
    Rust(fn(&Connection) -> Result<()>),
}

/// Migrations in order; `PRAGMA user_version` records how many ran. One entry per table module.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(meta::DDL),
    Migration::Built(org_units::ddl),
    Migration::Built(staff::ddl),
    Migration::Built(ratings::ddl),
    Migration::Sql(cases::DDL),
    Migration::Built(case_events::ddl),
    Migration::Sql(outbox::DDL),
    Migration::Sql(users::DDL),
    Migration::Built(service_items::ddl),
    Migration::Built(settings::ddl),
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
    Migration::Sql(tables::integrity_flags::DDL),
    Migration::Sql(tables::integrity_flags::STATS_DDL),
    Migration::Sql(tables::notices::DDL),
    Migration::Sql(cases::ESCALATION_INDEX),
    Migration::Rust(cases::create_deadline_order_index),
    // The channel mix leaves out excluded ratings since this version: rebuilt from the rows.
    Migration::Rust(aggregates::rebuild),
    // The notification list (the header's bell) and the events-by-time index it reads.
    Migration::Sql(tables::notifications::DDL),
    // Every stage has a clock: the current stage's deadline, and the inbox's order over it.
    Migration::Rust(cases::add_stage_deadline),
    Migration::Rust(aggregates::rebuild),
    // Deactivated org units (已停用).
    Migration::Sql(org_units::ACTIVE_DDL),
    // Two earlier entries (notifications, the stage deadline) were inserted before the then last
    // rebuild instead of after it, so a replica of those versions skipped them: made good here.
    Migration::Rust(repair_skipped),
    // Must stay last (the aggregates' migration test steps back one version). New migrations go
    // after this entry, with a new rebuild after them: entries already shipped never move.
    Migration::Rust(aggregates::rebuild),
    // 服务明星 / 办事能手.
    Migration::Built(tables::awards::ddl),
    // 自我评价 and 第三方评价 (replicated read-only) and the hall manager's local drafts.
    Migration::Built(tables::self_assessments::ddl),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
    // Evidence files on cases (metadata only).
    Migration::Built(tables::attachments::ddl),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
    // The statistics views defined from `hcp_stats::rules`, the server's own definitions.
    Migration::Rust(aggregates::define_views),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
    // The replication window: the server's month statistics, and `stat_ratings` within the window.
    Migration::Built(tables::rating_stats::ddl),
    Migration::Rust(aggregates::define_views),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
    // The jurisdiction's totals per month and day, kept by triggers on the units' tables.
    Migration::Built(tables::agg_totals::ddl),
    Migration::Rust(tables::agg_totals::create_triggers),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
    // The staff's month statistics read where they are (not folded into agg_rating_staff).
    Migration::Sql(tables::rating_stats::MONTH_STAFF_INDEX),
    // Must stay last (see above).
    Migration::Rust(aggregates::rebuild),
];

/// Applies what a replica may have skipped when a migration was inserted before the then last
/// aggregates rebuild: the notification list (a replica of the version that ended with two
/// rebuilds) and the cases' stage deadline (one of the version that ended with the notifications
/// and a rebuild). Does nothing on a replica that has them.
fn repair_skipped(conn: &Connection) -> Result<()> {
    if !tables::table_exists(conn, "notifications")? {
        tracing::info!("replica repair: the notification list was skipped; created");
        conn.execute_batch(tables::notifications::DDL)?;
    }
    let stage: i64 =
        conn.query_row("SELECT count(*) FROM pragma_table_info('cases') WHERE name = 'stage_deadline'", [], |r| {
            r.get(0)
        })?;
    if stage == 0 {
        tracing::info!("replica repair: the stage deadline was skipped; added");
        cases::add_stage_deadline(conn)?;
    }
    Ok(())
}

pub struct Replica {
    conn: Connection,
    path: PathBuf,
    /// `None` for a plain (unencrypted) replica image built by the server (see [`image`]).
    key: Option<ReplicaKey>,
}

impl Replica {
    /// Opens or creates the encrypted replica at `path`.
    pub fn open(path: &Path, key: &ReplicaKey) -> Result<Replica> {
        Replica::open_with(path, Some(key))
    }

    /// Opens or creates a replica file, encrypted with `key` or plain without one.
    fn open_with(path: &Path, key: Option<&ReplicaKey>) -> Result<Replica> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ReplicaError::Io { path: dir.to_owned(), source })?;
        }
        if key.is_some() {
            // A plain image a crash left behind in the replica's folder goes at the next start.
            image::remove_leftovers(path);
        }
        let mut conn = Connection::open(path)?;
        if let Some(key) = key {
            // The key must be the first statement on the connection. Hex is safe to inline.
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
        }
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
                return Err(ReplicaError::BadKey)
            }
            Err(e) => return Err(e.into()),
        }
        // Before anything writes to the file (journal mode, parked indexes, migrations).
        refuse_newer(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // Rows purged when a jurisdiction is revoked are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A bootstrap's one big transaction (an image's copy: the whole replica) grows the WAL to
        // the replica's size; without a limit the file keeps that size after the checkpoint.
        conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        bulk_load_cache(&conn, false)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Only performance depends on it, so a replica that cannot take the write lock now (a
        // bootstrap of another connection holds it) still opens.
        if let Err(e) = restore_parked_indexes(&conn) {
            tracing::warn!(error = %e, "the indexes an unfinished bootstrap set aside could not be rebuilt yet");
        }
        migrate(&mut conn)?;
        Ok(Replica { conn, path: path.to_owned(), key: key.cloned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A second connection to the same file: a long write (a bootstrap) on it leaves this one
    /// free, and readers here keep seeing the last committed state (WAL) until it commits.
    pub fn reopen(&self) -> Result<Replica> {
        Replica::open_with(&self.path, self.key.as_ref())
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

    /// Starts replacing the whole replica with a snapshot, in one transaction: nothing is
    /// visible until [`Bootstrap::finish`] commits; dropping the bootstrap rolls everything back.
    pub fn begin_bootstrap(&mut self, scope: &str) -> Result<Bootstrap<'_>> {
        Bootstrap::fresh(&mut self.conn, scope, None)
    }

    /// Starts replacing the whole replica with a snapshot whose rows are consistent with
    /// `cursor`, committing every `chunk_rows` rows with a [`ResumePoint`] so that an interrupted
    /// download can go on where it stopped ([`Replica::resume_bootstrap`]). The old rows are
    /// cleared in the first chunk's transaction and the cursor only comes back with
    /// [`Bootstrap::finish`]: until then the replica does not count as bootstrapped.
    pub fn begin_resumable_bootstrap(&mut self, scope: &str, cursor: i64, chunk_rows: u64) -> Result<Bootstrap<'_>> {
        Bootstrap::fresh(&mut self.conn, scope, Some((cursor, chunk_rows.max(1))))
    }

    /// Forgets where the replica stands in the change feed (and any interrupted download), so the
    /// next sync downloads the whole jurisdiction again. The rows stay readable until that
    /// download replaces them; the outbox is untouched.
    pub fn forget_cursor(&self) -> Result<()> {
        meta::delete(&self.conn, meta::CURSOR)?;
        meta::delete(&self.conn, meta::BOOTSTRAP_RESUME)?;
        Ok(())
    }

    /// Continues the interrupted bootstrap recorded at `point` (which must be the replica's
    /// current [`Replica::resume_point`]) with the rest of the snapshot.
    pub fn resume_bootstrap(&mut self, point: &ResumePoint, chunk_rows: u64) -> Result<Bootstrap<'_>> {
        Bootstrap::resumed(&mut self.conn, point, chunk_rows.max(1))
    }

    /// Where an interrupted bootstrap stopped, if one did (and the replica has no cursor).
    pub fn resume_point(&self) -> Result<Option<ResumePoint>> {
        if self.cursor()?.is_some() {
            return Ok(None);
        }
        Ok(meta::get(&self.conn, meta::BOOTSTRAP_RESUME)?.and_then(|json| match serde_json::from_str(&json) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!(error = %e, "an unreadable bootstrap resume point: starting afresh");
                None
            }
        }))
    }

    /// Forgets an interrupted bootstrap: the next one starts from the beginning (and clears
    /// what the interrupted one kept).
    pub fn discard_resume_point(&self) -> Result<()> {
        meta::delete(&self.conn, meta::BOOTSTRAP_RESUME)?;
        restore_parked_indexes(&self.conn)
    }

    /// Applies one page of the change feed and advances the cursor in the same transaction, with
    /// the aggregates adjusted for every rating and case the page affects.
    pub fn apply_changes(&mut self, changes: &[Change], cursor: i64) -> Result<()> {
        self.apply_page(changes, cursor, None).map(|_| ())
    }

    /// [`Replica::apply_changes`] for a page that states the replication window (`None`: the page
    /// says nothing of it, the window stays). A window that starts later than the replica's moves
    /// it in the same transaction: the ratings that left it (except those that opened a case) are
    /// purged and the aggregates rebuilt. A window that starts earlier cannot be served from the
    /// rows held: the cursor is forgotten instead, so the next sync downloads the jurisdiction
    /// again, and `false` is returned (the page is not applied).
    pub fn apply_page(&mut self, changes: &[Change], cursor: i64, window: Option<&Window>) -> Result<bool> {
        if let Some(w) = window {
            let held = self.window()?;
            if changes.is_empty() && self.cursor()? == Some(cursor) && held.as_ref() == Some(w) {
                // An idle pull that restates the window: no write transaction.
                return Ok(true);
            }
            if held.is_some_and(|held| w.month < held.month) {
                tracing::info!(month = %w.month, "the replication window now starts earlier: downloading again");
                self.forget_cursor()?;
                return Ok(false);
            }
        }
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
        if let Some(w) = window {
            move_window(&tx, w)?;
        }
        meta::set(&tx, meta::CURSOR, &cursor.to_string())?;
        tx.commit()?;
        Ok(true)
    }

    /// The replication window the replica holds (`None`: the whole history).
    pub fn window(&self) -> Result<Option<Window>> {
        let month = meta::get(&self.conn, meta::WINDOW_MONTH)?;
        let since = meta::get(&self.conn, meta::WINDOW_SINCE)?;
        Ok(month.zip(since).map(|(month, since)| Window { month, since }))
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

    /// The integrity flags under `scope`, open ones first, then newest first.
    pub fn integrity_flags(
        &self,
        scope: &str,
        status: Option<hcp_protocol::FlagStatus>,
    ) -> Result<Vec<hcp_protocol::IntegrityFlagRow>> {
        tables::integrity_flags::list(&self.conn, scope, status)
    }

    pub fn integrity_flag(&self, id: i64) -> Result<Option<hcp_protocol::IntegrityFlagRow>> {
        tables::integrity_flags::get(&self.conn, id)
    }

    /// The ratings of a flag the replica holds.
    pub fn flagged_ratings(&self, ids: &[i64]) -> Result<Vec<tables::integrity_flags::FlaggedRating>> {
        tables::integrity_flags::ratings(&self.conn, ids)
    }

    /// The self-assessments under `scope` for a quarter (all when `None`).
    pub fn self_assessments(&self, scope: &str, period: Option<&str>) -> Result<Vec<hcp_protocol::SelfAssessmentRow>> {
        tables::self_assessments::list(&self.conn, scope, period)
    }

    pub fn self_assessment(&self, id: i64) -> Result<Option<hcp_protocol::SelfAssessmentRow>> {
        tables::self_assessments::get(&self.conn, id)
    }

    /// A hall's self-assessment for a quarter, as the server holds it.
    pub fn self_assessment_of(&self, unit_id: i64, period: &str) -> Result<Option<hcp_protocol::SelfAssessmentRow>> {
        tables::self_assessments::of(&self.conn, unit_id, period)
    }

    /// The hall manager's draft of a quarter's form, with when it was saved.
    pub fn self_assessment_draft(
        &self,
        unit_id: i64,
        period: &str,
    ) -> Result<Option<(hcp_domain::self_assessment::Form, String)>> {
        tables::self_assessments::draft(&self.conn, unit_id, period)
    }

    pub fn save_self_assessment_draft(
        &self,
        unit_id: i64,
        period: &str,
        form: &hcp_domain::self_assessment::Form,
        at: &str,
    ) -> Result<()> {
        tables::self_assessments::save_draft(&self.conn, unit_id, period, form, at)
    }

    /// The quarters with a draft for this hall, newest first.
    pub fn self_assessment_draft_periods(&self, unit_id: i64) -> Result<Vec<String>> {
        tables::self_assessments::draft_periods(&self.conn, unit_id)
    }

    /// Saves a draft and queues its submission in one transaction.
    pub fn submit_self_assessment_draft(
        &mut self,
        unit_id: i64,
        period: &str,
        form: &hcp_domain::self_assessment::Form,
        command: &outbox::NewClientCommand<'_>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tables::self_assessments::save_draft(&tx, unit_id, period, form, command.created_at)?;
        let seq = outbox::enqueue_command(&tx, command)?;
        tx.commit()?;
        Ok(seq)
    }

    /// Third-party survey results under `scope` whose month starts with `period` (all when `None`).
    pub fn survey_results(&self, scope: &str, period: Option<&str>) -> Result<Vec<hcp_protocol::SurveyResultRow>> {
        tables::self_assessments::surveys(&self.conn, scope, period)
    }

    /// Open integrity flags under `scope`.
    pub fn open_flag_count(&self, scope: &str) -> Result<u64> {
        tables::integrity_flags::open_count(&self.conn, scope)
    }

    /// Active users with `role` under a unit path: (id, name, unit id).
    pub fn users_with_role(&self, role: hcp_domain::Role, under: &str) -> Result<Vec<(i64, String, i64)>> {
        users::with_role_under(&self.conn, role.as_str(), under)
    }

    /// The departments at or below a unit path, each with its active handlers.
    pub fn departments_under(&self, under: &str) -> Result<Vec<tables::users::DepartmentHandlers>> {
        users::departments_under(&self.conn, under)
    }

    /// The staff roster at or below a unit path (for pickers), by staff number.
    pub fn staff_under(&self, under: &str) -> Result<Vec<tables::staff::StaffEntry>> {
        tables::staff::under(&self.conn, under)
    }

    /// Staff members by id, those the replica holds.
    pub fn staff_by_ids(&self, ids: &[i64]) -> Result<Vec<tables::staff::StaffEntry>> {
        tables::staff::by_ids(&self.conn, ids)
    }

    /// The open integrity leads that hold a rating.
    pub fn open_flags_for_rating(&self, rating_id: i64) -> Result<Vec<hcp_protocol::IntegrityFlagRow>> {
        tables::integrity_flags::open_for_rating(&self.conn, rating_id)
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

    /// The active org units of the given kinds under `scope`: (id, name, code), by path.
    pub fn units_of_kinds(&self, scope: &str, kinds: &[&str]) -> Result<Vec<(i64, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, name, code FROM org_units WHERE path >= ?1 AND path < ?2 AND kind = ?3 AND active ORDER BY path",
        )?;
        let mut out = Vec::new();
        for k in kinds {
            let rows = stmt.query_map(rusqlite::params![scope, format!("{scope}~"), k], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            out.extend(rows.collect::<rusqlite::Result<Vec<_>>>()?);
        }
        Ok(out)
    }

    /// The evidence files of a case (metadata; the bytes are on the server).
    pub fn attachments_of_case(&self, case_id: i64) -> Result<Vec<hcp_protocol::AttachmentRow>> {
        tables::attachments::of_case(&self.conn, case_id)
    }

    /// The confirmed awards of the period keys `periods` under `scope`.
    pub fn awards(&self, scope: &str, periods: &[String]) -> Result<Vec<hcp_protocol::AwardRow>> {
        tables::awards::list(&self.conn, scope, periods)
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

    /// The events that happened at or after `at` (RFC 3339), oldest first, at most `limit`.
    pub fn case_events_since(&self, at: &str, limit: u32) -> Result<Vec<CaseEventRow>> {
        case_events::since(&self.conn, at, limit)
    }

    /// The 督办 board's cases: running deadlines due on or before `due_until`, paused ones, and
    /// open escalated cases, each with its last `urge_kind` event (see [`board::board_rows`]).
    pub fn board_rows(&self, due_until: &str, urge_kind: &str) -> Result<Vec<board::BoardRow>> {
        board::board_rows(&self.conn, due_until, urge_kind)
    }

    /// A case's last `urge_kind` event (its last 催办) and how many it had.
    pub fn last_urge(&self, case_id: i64, urge_kind: &str) -> Result<Option<board::LastUrge>> {
        board::last_urge(&self.conn, case_id, urge_kind)
    }

    /// Records the notifications not recorded before; returns the new ones.
    pub fn record_notifications(
        &self,
        rows: &[tables::notifications::NotificationRow],
    ) -> Result<Vec<tables::notifications::NotificationRow>> {
        tables::notifications::record(&self.conn, rows)
    }

    /// Whether the notification with this key was already recorded.
    pub fn notification_known(&self, id: &str) -> Result<bool> {
        tables::notifications::known(&self.conn, id)
    }

    /// The newest `limit` notifications and how many are unread.
    pub fn notifications(&self, limit: u32) -> Result<(Vec<tables::notifications::NotificationRow>, u32)> {
        tables::notifications::recent(&self.conn, limit)
    }

    /// Marks notifications read (all when `ids` is `None`).
    pub fn mark_notifications_read(&self, ids: Option<&[String]>) -> Result<()> {
        tables::notifications::mark_read(&self.conn, ids)
    }

    /// Queues a command given as its stored kind and payload; returns its `client_seq`.
    pub fn enqueue(&self, c: &NewCommand<'_>) -> Result<i64> {
        outbox::enqueue(&self.conn, c)
    }

    /// Queues a typed command; returns its `client_seq`.
    pub fn enqueue_command(&self, c: &outbox::NewClientCommand<'_>) -> Result<i64> {
        outbox::enqueue_command(&self.conn, c)
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

    /// What the next push sends: reads up to `limit` pending commands in `client_seq` order, keeps
    /// the first `prefix(batch)` of them and counts an attempt on each in the same transaction.
    /// From then on they are in flight: [`Replica::cancel`] refuses them.
    pub fn claim_pending(
        &mut self,
        limit: usize,
        prefix: impl FnOnce(&[OutboxItem]) -> usize,
    ) -> Result<Vec<OutboxItem>> {
        let tx = self.conn.transaction()?;
        let mut batch = outbox::pending(&tx, limit)?;
        batch.truncate(prefix(&batch));
        let ids: Vec<String> = batch.iter().map(|i| i.command_id.clone()).collect();
        outbox::note_attempt(&tx, &ids)?;
        tx.commit()?;
        for item in &mut batch {
            item.attempts += 1;
            item.cancellable = false;
        }
        Ok(batch)
    }

    /// Takes back a queued command before any push claimed it (see [`outbox::cancel`]); its
    /// projection goes with it, as projections read the pending commands.
    pub fn cancel(&mut self, command_id: &str) -> Result<std::result::Result<OutboxItem, CancelRefusal>> {
        let tx = self.conn.transaction()?;
        let out = outbox::cancel(&tx, command_id)?;
        tx.commit()?;
        Ok(out)
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
                    if !outbox::reject(&tx, command_id, *code, message)? {
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

    /// Non-excluded ratings per channel under `scope` over `period` (they add up to `rated`).
    pub fn channel_counts(&self, scope: &str, period: &hcp_domain::kpi::Period) -> Result<Vec<(u8, u64)>> {
        aggregates::channel_counts(&self.conn, scope, period)
    }

    /// The content codes of the non-excluded bad reviews under `scope` rated in `period`, with how
    /// many bad reviews carry each, most frequent first (突出问题).
    pub fn bad_review_content_codes(&self, scope: &str, period: &hcp_domain::kpi::Period) -> Result<Vec<(u16, u64)>> {
        aggregates::bad_review_content_codes(&self.conn, scope, period)
    }

    /// What citizens wrote with the period's bad reviews (see [`aggregates::bad_review_texts`]).
    pub fn bad_review_texts(
        &self,
        scope: &str,
        period: &hcp_domain::kpi::Period,
    ) -> Result<Vec<(String, i64, String)>> {
        aggregates::bad_review_texts(&self.conn, scope, period)
    }

    /// The period's cases as the 绩效考核 score sheet counts them (see [`aggregates::score_cases`]).
    pub fn score_cases(&self, scope: &str, period: &hcp_domain::kpi::Period) -> Result<Vec<aggregates::ScoreCase>> {
        aggregates::score_cases(&self.conn, scope, period)
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
    /// Each content code with its meaning (`hcp_domain::ContentCode`), in the order of `content_codes`.
    pub content_code_meanings: Vec<ContentCodeMeaning>,
}

/// A content code and what it means, in both languages of the UI.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ContentCodeMeaning {
    pub code: u16,
    /// e.g. `110 超过法定（承诺）办理时限`
    pub zh: String,
    /// e.g. `110 Exceeded the legal (promised) processing time`
    pub en: String,
}

impl ContentCodeMeaning {
    pub fn of(code: u16) -> ContentCodeMeaning {
        match hcp_domain::ContentCode::new(code) {
            Ok(c) => ContentCodeMeaning { code, zh: c.describe_zh(), en: c.describe_en() },
            Err(_) => {
                ContentCodeMeaning {
                    code, zh: format!("{code}（无效代码）"), en: format!("{code} (invalid code)")
                }
            }
        }
    }
}

/// Moves the replica's window to `w` when it starts later than the one held (or none was): the
/// ratings rated before it that opened no case are purged, and the aggregates rebuilt (the month
/// leaving the window now comes from the server's month rows). Inside the caller's transaction.
fn move_window(conn: &Connection, w: &Window) -> Result<()> {
    let held = meta::get(conn, meta::WINDOW_MONTH)?;
    if held.as_deref().is_some_and(|h| h >= w.month.as_str()) {
        return Ok(());
    }
    meta::set(conn, meta::WINDOW_MONTH, &w.month)?;
    meta::set(conn, meta::WINDOW_SINCE, &w.since)?;
    let purged = purge_before_window(conn)?;
    aggregates::rebuild(conn)?;
    tracing::info!(month = %w.month, purged, "replication window moved");
    Ok(())
}

/// Deletes the ratings rated before the window that opened no case; returns how many.
fn purge_before_window(conn: &Connection) -> Result<usize> {
    let Some(since) = meta::get(conn, meta::WINDOW_SINCE)? else { return Ok(0) };
    Ok(conn.execute(
        "DELETE FROM ratings WHERE rated_at < ?1
            AND id NOT IN (SELECT rating_id FROM cases WHERE rating_id IS NOT NULL)",
        [since],
    )?)
}

/// The server's answer to one pushed command.
#[derive(Debug, Clone)]
pub enum Settlement {
    Applied { command_id: String, case: Option<Box<CaseRow>> },
    Rejected { command_id: String, code: hcp_protocol::ErrorCode, message: String },
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
        Entity::IntegrityFlag => "integrity_flags",
        Entity::Award => "awards",
        Entity::SelfAssessment => "self_assessments",
        Entity::SurveyResult => "survey_results",
        Entity::Attachment => "attachments",
        Entity::RatingStat => "rating_stats",
    }
}

fn upsert(tx: &Connection, row: &EntityRow) -> Result<()> {
    let conn = hcp_store::Conn::sqlite(tx);
    match row {
        EntityRow::OrgUnit(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::Staff(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::User(r) => users::upsert(tx, r)?,
        EntityRow::Rating(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::Case(r) => cases::upsert(tx, r)?,
        EntityRow::CaseEvent(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::ServiceItem(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::Setting(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::IntegrityFlag(r) => tables::integrity_flags::upsert(tx, r)?,
        EntityRow::Award(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::SelfAssessment(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::SurveyResult(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::Attachment(r) => hcp_store::upsert(&conn, r)?,
        EntityRow::RatingStat(r) => hcp_store::upsert(&conn, r)?,
    }
    Ok(())
}

fn delete(tx: &Connection, e: Entity, id: i64) -> Result<()> {
    tx.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", table(e)))?.execute([id])?;
    if e == Entity::Case {
        tables::case_text::remove(tx, id)?;
    }
    if e == Entity::IntegrityFlag {
        tables::integrity_flags::remove(tx, id)?;
    }
    Ok(())
}

/// Page cache of a connection loading a snapshot, in KiB: enough to hold the secondary indexes
/// (ratings by unit and time, the cases' filter indexes, the events by case, the full-text index)
/// of a city's million ratings while they are filled, so that index pages are not spilled to the
/// WAL and read back (and decrypted) again and again during the one big transaction.
const BULK_LOAD_CACHE_KIB: i64 = 256 * 1024;
/// The page cache otherwise, in KiB (SQLite's default is 2,000): a province's dashboard reads a
/// month's rows of every hall (a few MB of pages), which the default cache cannot keep, so each
/// dashboard read and decrypted them from the file again.
const DEFAULT_CACHE_KIB: i64 = 32 * 1024;

/// Raises (or restores) the page cache for a bulk load.
fn bulk_load_cache(conn: &Connection, on: bool) -> Result<()> {
    let kib = if on { BULK_LOAD_CACHE_KIB } else { DEFAULT_CACHE_KIB };
    conn.pragma_update(None, "cache_size", -kib)?;
    Ok(())
}

/// Builds the indexes a bootstrap set aside (see [`indexes`]) when it was abandoned: no place to
/// resume from is left (a resumable one keeps them aside until it finishes, or until
/// [`Replica::discard_resume_point`]). Migrations of mirrored tables' indexes must therefore not
/// assume they exist (`IF EXISTS`).
fn restore_parked_indexes(conn: &Connection) -> Result<()> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta || !indexes::any_parked(conn)? || meta::get(conn, meta::BOOTSTRAP_RESUME)?.is_some() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let built = indexes::restore(conn)?;
    tracing::info!(
        built,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "indexes of an unfinished bootstrap rebuilt"
    );
    Ok(())
}

/// Brings the schema to the current version. A replica from a newer version of the app (a higher
/// `user_version` than [`MIGRATIONS`] knows) is refused with [`ReplicaError::NewerSchema`] and
/// left untouched: this version would not know what the newer one's tables mean.
fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// [`ReplicaError::NewerSchema`] when the file's schema version is one this build does not know.
fn refuse_newer(conn: &Connection) -> Result<i64> {
    let have: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if have > known {
        return Err(ReplicaError::NewerSchema { found: have, known });
    }
    Ok(have)
}

/// Runs the migrations up to version `target` (the tests build replicas of earlier versions).
fn migrate_to(conn: &mut Connection, target: usize) -> Result<()> {
    let have = refuse_newer(conn)?;
    let tx = conn.transaction()?;
    for (i, step) in MIGRATIONS.iter().enumerate().take(target) {
        let v = i as i64 + 1;
        if v > have {
            match step {
                Migration::Sql(ddl) => tx.execute_batch(ddl)?,
                Migration::Built(ddl) => tx.execute_batch(&ddl())?,
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

/// Where an interrupted bootstrap stopped: the snapshot's scope and cursor, the last row kept
/// (entities arrive in the order of [`Entity::ALL`], each by id) and the rows kept so far.
/// Stored in `meta` in the same transaction as those rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumePoint {
    pub scope: String,
    /// The cursor of the first attempt: the replica pulls from it once the bootstrap finishes.
    pub cursor: i64,
    pub entity: Entity,
    pub after_id: i64,
    /// Rows kept per entity over every attempt so far.
    pub kept: Counts,
}

impl ResumePoint {
    /// Rows kept so far.
    pub fn rows(&self) -> u64 {
        self.kept.total()
    }
}

/// Chunked commits of a resumable bootstrap.
struct Chunks {
    scope: String,
    cursor: i64,
    every: u64,
    /// Rows inserted since the last commit.
    pending: u64,
    /// The rows arrived in snapshot order so far: a place to resume from is well defined.
    ordered: bool,
}

/// A snapshot being written: rows go in through prepared statements inside large transactions
/// (one, or one per chunk for a resumable bootstrap).
pub struct Bootstrap<'a> {
    conn: &'a mut Connection,
    /// A transaction is open (rolled back on drop).
    open: bool,
    /// Rows inserted by this attempt.
    counts: Counts,
    /// Rows kept by earlier attempts.
    kept: Counts,
    /// The last row inserted (or kept by an earlier attempt).
    last: Option<(Entity, i64)>,
    /// What this attempt's stream announced (its `begin` line).
    expected: Option<Counts>,
    chunks: Option<Chunks>,
    /// The ratings' statistics summed as they arrive (a fresh bootstrap only).
    fold: Option<aggregates::RatingFold>,
}

fn entity_rank(e: Entity) -> usize {
    Entity::ALL.iter().position(|x| *x == e).unwrap_or(usize::MAX)
}

const MIRRORED: [&str; 15] = [
    "case_events",
    "cases",
    "case_text",
    "ratings",
    "users",
    "staff",
    "service_items",
    "settings",
    "org_units",
    "flag_ratings",
    "integrity_flags",
    "awards",
    "self_assessments",
    "survey_results",
    "rating_stats",
];

impl<'a> Bootstrap<'a> {
    fn begin(conn: &'a mut Connection) -> Result<Bootstrap<'a>> {
        // A large page cache while the rows go in (restored by `finish` or on drop).
        bulk_load_cache(conn, true)?;
        // Write at once (waiting for the app's own short writes) rather than upgrading later.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(Bootstrap {
            conn,
            open: true,
            counts: Counts::default(),
            kept: Counts::default(),
            last: None,
            expected: None,
            chunks: None,
            fold: None,
        })
    }

    fn fresh(conn: &'a mut Connection, scope: &str, chunks: Option<(i64, u64)>) -> Result<Bootstrap<'a>> {
        let mut b = Bootstrap::begin(conn)?;
        tables::agg_totals::paused(b.conn, || {
            for t in MIRRORED.into_iter().chain(aggregates::TABLES) {
                b.conn.execute(&format!("DELETE FROM {t}"), [])?;
            }
            Ok(())
        })?;
        meta::delete(b.conn, meta::CURSOR)?;
        meta::delete(b.conn, meta::BOOTSTRAP_RESUME)?;
        meta::delete(b.conn, meta::WINDOW_MONTH)?;
        meta::delete(b.conn, meta::WINDOW_SINCE)?;
        meta::set(b.conn, meta::SCOPE, scope)?;
        indexes::park(b.conn, &MIRRORED)?;
        b.fold = Some(aggregates::RatingFold::default());
        b.chunks =
            chunks.map(|(cursor, every)| Chunks { scope: scope.to_owned(), cursor, every, pending: 0, ordered: true });
        Ok(b)
    }

    fn resumed(conn: &'a mut Connection, point: &ResumePoint, every: u64) -> Result<Bootstrap<'a>> {
        let mut b = Bootstrap::begin(conn)?;
        let stored: Option<ResumePoint> =
            meta::get(b.conn, meta::BOOTSTRAP_RESUME)?.and_then(|json| serde_json::from_str(&json).ok());
        let cursor = meta::get(b.conn, meta::CURSOR)?;
        if stored.as_ref() != Some(point) || cursor.is_some() {
            return Err(ReplicaError::Corrupt("续传位置与本地记录不一致".into()));
        }
        indexes::park(b.conn, &MIRRORED)?;
        b.kept = point.kept.clone();
        b.last = Some((point.entity, point.after_id));
        b.chunks = Some(Chunks { scope: point.scope.clone(), cursor: point.cursor, every, pending: 0, ordered: true });
        Ok(b)
    }

    /// What this attempt's stream announced in its `begin` line: [`Bootstrap::finish`] checks
    /// the rows received against it.
    pub fn expect(&mut self, expected: &Counts) {
        self.expected = Some(expected.clone());
    }

    /// The replication window the snapshot was cut to (its `begin` line), before any row.
    pub fn set_window(&mut self, w: &Window) -> Result<()> {
        meta::set(self.conn, meta::WINDOW_MONTH, &w.month)?;
        meta::set(self.conn, meta::WINDOW_SINCE, &w.since)?;
        if let Some(fold) = &mut self.fold {
            fold.set_since(&w.since);
        }
        Ok(())
    }

    pub fn insert(&mut self, row: &EntityRow) -> Result<()> {
        upsert(self.conn, row)?;
        if let (Some(fold), EntityRow::Rating(r)) = (&mut self.fold, row) {
            fold.add(r);
        }
        let (entity, id) = (row.entity(), row.id());
        self.counts.add(entity, 1);
        if let Some(c) = &mut self.chunks {
            let in_order = self.last.is_none_or(|(e, last)| {
                let (r, lr) = (entity_rank(entity), entity_rank(e));
                r > lr || (r == lr && id > last)
            });
            if c.ordered && !in_order {
                // Without the snapshot order no place to resume from is well defined: the rest of
                // this attempt goes into one transaction.
                tracing::warn!(
                    entity = entity.as_str(),
                    "snapshot rows out of order: no resume points for this attempt"
                );
                c.ordered = false;
            }
            c.pending += 1;
        }
        self.last = Some((entity, id));
        if self.chunks.as_ref().is_some_and(|c| c.ordered && c.pending >= c.every) {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Rows inserted by this attempt so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Rows kept by earlier attempts plus this one's.
    pub fn total(&self) -> Counts {
        let mut t = self.kept.clone();
        for e in Entity::ALL {
            t.add(e, self.counts.get(e));
        }
        t
    }

    /// Commits the rows so far with the place to resume from, and goes on in a new transaction.
    fn checkpoint(&mut self) -> Result<()> {
        let (Some(c), Some((entity, after_id))) = (&mut self.chunks, self.last) else { return Ok(()) };
        if !c.ordered || c.pending == 0 || !self.open {
            return Ok(());
        }
        let mut kept = self.kept.clone();
        for e in Entity::ALL {
            kept.add(e, self.counts.get(e));
        }
        let point = ResumePoint { scope: c.scope.clone(), cursor: c.cursor, entity, after_id, kept };
        let json = serde_json::to_string(&point).map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
        meta::set(self.conn, meta::BOOTSTRAP_RESUME, &json)?;
        self.open = false;
        self.conn.execute_batch("COMMIT")?;
        c.pending = 0;
        tracing::debug!(rows = point.rows(), entity = entity.as_str(), after_id, "bootstrap chunk committed");
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.open = true;
        Ok(())
    }

    /// The stream broke: keeps what arrived (when a place to resume from is well defined) so the
    /// next attempt goes on from there. Without chunks this rolls back, as dropping does.
    pub fn keep_partial(mut self) -> Result<Option<ResumePoint>> {
        if self.chunks.as_ref().is_none_or(|c| !c.ordered) {
            return Ok(None);
        }
        self.checkpoint()?;
        Ok(meta::get(self.conn, meta::BOOTSTRAP_RESUME)?.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// Checks the rows received against the snapshot's trailer, then commits with the cursor.
    pub fn finish(self, cursor: i64, expected: &Counts, now: &str) -> Result<()> {
        self.finish_with(cursor, expected, now, || {})
    }

    /// [`Bootstrap::finish`], calling `building` when the rows are checked and the statistics
    /// aggregates are about to be built (a progress phase of its own on a large replica).
    ///
    /// Checks: this attempt's rows equal the trailer's counts and the `begin` line's expectation;
    /// every row kept over all attempts is in the tables (the ranges of the attempts never
    /// overlap, so the totals are well defined even when the server changed in between).
    /// The cursor committed is the first attempt's when resumed (the older one is always safe).
    pub fn finish_with(mut self, cursor: i64, expected: &Counts, now: &str, building: impl FnOnce()) -> Result<()> {
        if &self.counts != expected {
            return Err(ReplicaError::CountMismatch(format!("收到 {:?}，应为 {:?}", self.counts, expected)));
        }
        if let Some(begin) = &self.expected {
            if &self.counts != begin {
                return Err(ReplicaError::CountMismatch(format!("收到 {:?}，开始时预告 {:?}", self.counts, begin)));
            }
        }
        let cursor = self.chunks.as_ref().map_or(cursor, |c| c.cursor.min(cursor));
        building();
        // The indexes first: the counts below then read them instead of whole tables.
        let started = std::time::Instant::now();
        let built = indexes::restore(self.conn)?;
        tracing::debug!(built, elapsed_ms = started.elapsed().as_millis() as u64, "indexes built");
        let total = self.total();
        let mut held = Counts::default();
        for e in Entity::ALL {
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {}", table(e)), [], |r| r.get(0))?;
            held.add(e, n as u64);
        }
        if held != total {
            return Err(ReplicaError::CountMismatch(format!("本地共有 {held:?}，各次下载合计 {total:?}")));
        }
        if self.kept.total() > 0 {
            // An earlier attempt may have kept ratings of a window that has since moved on.
            purge_before_window(self.conn)?;
        }
        let started = std::time::Instant::now();
        aggregates::rebuild_with(self.conn, self.fold.take())?;
        tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "statistics aggregates built");
        meta::set(self.conn, meta::CURSOR, &cursor.to_string())?;
        meta::set(self.conn, meta::BOOTSTRAPPED_AT, now)?;
        meta::delete(self.conn, meta::BOOTSTRAP_RESUME)?;
        bulk_load_cache(self.conn, false)?;
        self.open = false;
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }
}

impl Drop for Bootstrap<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "bootstrap rollback failed");
            }
        }
        if let Err(e) = bulk_load_cache(self.conn, false) {
            tracing::warn!(error = %e, "could not restore the page cache after a bootstrap");
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod migration_tests;
