//! Replica images: a bootstrap that copies a ready file instead of inserting rows.
//!
//! The server builds a *plain* (unencrypted) replica of a large jurisdiction with this crate's own
//! schema and bootstrap code ([`Replica::open_plain`], then the usual [`Replica::begin_bootstrap`] /
//! [`Bootstrap::insert`](crate::Bootstrap::insert) / `finish`, then [`Replica::seal_plain`]): rows,
//! statistics aggregates, full-text index and secondary indexes, at one change-feed cursor.
//!
//! The client decompresses it into a private file next to its replica ([`plain_path`]) and
//! [`Replica::import_image`] copies the mirrored tables into the encrypted replica in one
//! transaction: `ATTACH … KEY ''` (SQLCipher's way to attach a plain file) and one
//! `INSERT INTO main.t SELECT * FROM plain.t` per table. With identical schemas SQLite copies the
//! records and the index entries as they are (its transfer optimisation: no decoding, indexes
//! filled in order), so the cost is writing (and encrypting) the pages. The replica's own tables
//! (outbox, notifications, document numbers, drafts) are kept, as in a streamed bootstrap.
//!
//! The plain file must not outlive the import: the caller deletes it, and [`remove_leftovers`]
//! (run whenever an encrypted replica is opened) deletes any that a crashed process left.

use std::path::{Path, PathBuf};

use hcp_protocol::{Counts, Entity};
use rusqlite::Connection;

use crate::tables::meta;
use crate::{aggregates, indexes, table, ReplicaError, Result};

/// The schema version of a replica this build writes (`PRAGMA user_version`): an image is only
/// imported by a client of the same version.
pub fn schema_version() -> i64 {
    crate::MIGRATIONS.len() as i64
}

/// The mirrored tables an image carries, in copy order: the entities' tables, the flags' ratings,
/// the full-text index's own tables (FTS5 keeps its index in ordinary tables: copying them copies
/// the index) and the statistics aggregates.
fn image_tables() -> Vec<&'static str> {
    let mut t: Vec<&'static str> = Entity::ALL.into_iter().map(table).collect();
    t.push("flag_ratings");
    t.extend(["case_text_data", "case_text_idx", "case_text_content", "case_text_docsize", "case_text_config"]);
    t.extend(aggregates::TABLES);
    t
}

const PLAIN_INFIX: &str = ".image-";
const PLAIN_SUFFIX: &str = ".plain";

/// Where this process decompresses an image for the replica at `replica`: a file in the
/// replica's own folder, named after it and this process (so a leftover of another, crashed,
/// process is recognised by [`remove_leftovers`]).
pub fn plain_path(replica: &Path) -> PathBuf {
    let name = replica.file_name().map_or_else(|| "replica.db".into(), |n| n.to_string_lossy().into_owned());
    replica.with_file_name(format!("{name}{PLAIN_INFIX}{}{PLAIN_SUFFIX}", std::process::id()))
}

/// The plain image files (and their journals) of other processes next to `replica`: what a
/// crash during an image bootstrap left. Returns the paths found.
pub fn leftovers(replica: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (replica.parent(), replica.file_name()) else { return Vec::new() };
    let prefix = format!("{}{PLAIN_INFIX}", name.to_string_lossy());
    let mine = plain_path(replica);
    let mine = mine.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let plain = n.strip_prefix(&prefix).is_some_and(|rest| rest.contains(PLAIN_SUFFIX));
            (plain && !n.starts_with(&mine)).then(|| e.path())
        })
        .collect()
}

/// Deletes what [`leftovers`] finds (a plain-text copy of the jurisdiction must not stay on disk).
pub fn remove_leftovers(replica: &Path) {
    for p in leftovers(replica) {
        match std::fs::remove_file(&p) {
            Ok(()) => {
                tracing::warn!(file = %p.display(), "a plain replica image left by an interrupted bootstrap was deleted")
            }
            Err(e) => {
                tracing::warn!(file = %p.display(), error = %e, "a plain replica image left behind could not be deleted")
            }
        }
    }
}

/// Deletes a plain image file and any journal SQLite may have put beside it.
pub fn remove_plain(path: &Path) -> std::io::Result<()> {
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(s));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What an image holds, read from its `meta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageImport {
    pub scope: String,
    pub cursor: i64,
    /// Rows per entity now in the replica.
    pub counts: Counts,
}

/// A read-only, immutable URI for attaching `path` (no journal, no locks on the plain file).
fn read_only_uri(path: &Path) -> String {
    let mut p = path.to_string_lossy().replace('\\', "/");
    if !p.starts_with('/') {
        // Windows drive paths (`C:/…`) take a leading slash in a URI.
        p.insert(0, '/');
    }
    let escaped = p.replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    format!("file:{escaped}?mode=ro&immutable=1")
}

fn columns(conn: &Connection, schema: &str, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info(?1, '{schema}') ORDER BY cid"))?;
    let cols = stmt.query_map([table], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(cols)
}

impl crate::Replica {
    /// Opens or creates an unencrypted replica file: the server's replica images.
    pub fn open_plain(path: &Path) -> Result<crate::Replica> {
        crate::Replica::open_with(path, None)
    }

    /// Makes a plain image one self-contained file (rollback journal, no WAL beside it), ready to
    /// be compressed. Only for files opened with [`Replica::open_plain`](crate::Replica::open_plain).
    pub fn seal_plain(self) -> Result<()> {
        if self.key.is_some() {
            return Err(ReplicaError::Corrupt("an encrypted replica is not an image".into()));
        }
        self.conn.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    }

    /// Replaces the mirrored rows (and their statistics) with those of the plain image at `plain`,
    /// which must hold `scope`, in one transaction: nothing changes when it fails. The image's
    /// cursor becomes the replica's, `now` its bootstrap time; an interrupted streamed bootstrap is
    /// forgotten. The replica's own tables (outbox, notifications, document numbers, drafts) stay.
    pub fn import_image(&mut self, plain: &Path, scope: &str, now: &str) -> Result<ImageImport> {
        if self.key.is_none() {
            return Err(ReplicaError::Corrupt("an image is imported into an encrypted replica only".into()));
        }
        self.conn.execute("ATTACH DATABASE ?1 AS plain KEY ''", [read_only_uri(plain)])?;
        let imported = self.import_attached(scope, now);
        if let Err(e) = self.conn.execute_batch("DETACH DATABASE plain") {
            tracing::warn!(error = %e, "the plain image could not be detached");
        }
        imported
    }

    fn import_attached(&mut self, scope: &str, now: &str) -> Result<ImageImport> {
        let conn = &self.conn;
        let readable = conn.query_row("SELECT count(*) FROM plain.sqlite_master", [], |r| r.get::<_, i64>(0));
        if let Err(e) = readable {
            return Err(ReplicaError::Corrupt(format!("副本镜像无法读取：{e}")));
        }
        let version: i64 = conn.query_row("PRAGMA plain.user_version", [], |r| r.get(0))?;
        if version != schema_version() {
            return Err(ReplicaError::Corrupt(format!(
                "副本镜像的数据版本 {version} 与本程序的 {} 不同",
                schema_version()
            )));
        }
        let get = |key: &str| -> Result<Option<String>> {
            use rusqlite::OptionalExtension;
            Ok(conn.query_row("SELECT value FROM plain.meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        };
        let image_scope = get(meta::SCOPE)?;
        if image_scope.as_deref() != Some(scope) {
            return Err(ReplicaError::Corrupt(format!("副本镜像的辖区 {image_scope:?} 不是 {scope}")));
        }
        let cursor: i64 = get(meta::CURSOR)?
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ReplicaError::Corrupt("副本镜像没有变更位置".into()))?;
        // The window the image was cut to.
        let window = (get(meta::WINDOW_MONTH)?, get(meta::WINDOW_SINCE)?);
        let tables = image_tables();
        let mut plans = Vec::with_capacity(tables.len());
        for t in &tables {
            let (ours, theirs) = (columns(conn, "main", t)?, columns(conn, "plain", t)?);
            if ours.is_empty() || ours.iter().any(|c| !theirs.contains(c)) {
                return Err(ReplicaError::Corrupt(format!("副本镜像的表 {t} 与本地结构不同")));
            }
            plans.push(if ours == theirs {
                // Identical tables: SQLite copies records and index entries as they are.
                format!("INSERT INTO main.{t} SELECT * FROM plain.{t}")
            } else {
                let cols = ours.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
                format!("INSERT INTO main.{t} ({cols}) SELECT {cols} FROM plain.{t}")
            });
        }
        let started = std::time::Instant::now();
        let cache: i64 = conn.query_row("PRAGMA main.cache_size", [], |r| r.get(0))?;
        conn.pragma_update(Some("main"), "cache_size", -crate::BULK_LOAD_CACHE_KIB)?;
        let copied = (|| -> Result<ImageImport> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            // The scope first: the jurisdiction's totals are summed under it after the copy.
            meta::set(conn, meta::SCOPE, scope)?;
            crate::tables::agg_totals::paused(conn, || {
                for t in &tables {
                    conn.execute(&format!("DELETE FROM main.{t}"), [])?;
                }
                for plan in &plans {
                    conn.execute(plan, [])?;
                }
                Ok(())
            })?;
            // Indexes an interrupted streamed bootstrap set aside are built again over the rows.
            indexes::restore(conn)?;
            let mut counts = Counts::default();
            for e in Entity::ALL {
                let t = table(e);
                let (held, sent): (i64, i64) = conn.query_row(
                    &format!("SELECT (SELECT count(*) FROM main.{t}), (SELECT count(*) FROM plain.{t})"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if held != sent {
                    return Err(ReplicaError::CountMismatch(format!("{t}: 本地 {held}，镜像 {sent}")));
                }
                counts.add(e, held as u64);
            }
            meta::delete(conn, meta::BOOTSTRAP_RESUME)?;
            meta::set(conn, meta::SCOPE, scope)?;
            meta::set(conn, meta::CURSOR, &cursor.to_string())?;
            meta::set(conn, meta::BOOTSTRAPPED_AT, now)?;
            for (key, value) in [(meta::WINDOW_MONTH, &window.0), (meta::WINDOW_SINCE, &window.1)] {
                match value {
                    Some(v) => meta::set(conn, key, v)?,
                    None => meta::delete(conn, key)?,
                }
            }
            conn.execute_batch("COMMIT")?;
            Ok(ImageImport { scope: scope.to_owned(), cursor, counts })
        })();
        if copied.is_err() && !conn.is_autocommit() {
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "image import rollback failed");
            }
        }
        conn.pragma_update(Some("main"), "cache_size", cache)?;
        if copied.is_ok() {
            // The copy went through the WAL (as large as the replica): give the space back now.
            if let Err(e) = conn.query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "the WAL after an image import was not truncated");
            }
        }
        tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "replica image copied");
        copied
    }
}

#[cfg(test)]
mod tests;
