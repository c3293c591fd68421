//! The local file store of evidence files: a second SQLCipher database next to the replica,
//! opened with the replica's key, so captured files and downloaded ones are never plain bytes on
//! disk. The replica holds the metadata that replicates (`attachments`); this store holds bytes:
//!
//! * [`uploads`]: files captured here for a case, queued until the server holds them;
//! * [`cache`]: files fetched from the server (or uploaded from here), up to a size cap, least
//!   recently opened evicted first;
//! * [`chunks`]: the bytes of both, in chunks of [`CHUNK_SIZE`], stored once per content, each
//!   sealed (AES-256-GCM) in a file of its own in the folder beside the store;
//! * [`citations`]: the files a queued command cites (the sync sends it once they are declared).
//!
//! Every change is one SQLite transaction: a crash at any point loses nothing and leaves no half
//! rows (a capture is all there or not at all; a download keeps whole chunks to resume from). A
//! chunk's file is written before its row commits and removed after its row's deletion commits.

pub mod cache;
pub mod chunks;
pub mod citations;
pub mod uploads;

use std::io::Read;
use std::path::{Path, PathBuf};

use hcp_protocol::filetype;
use rusqlite::{Connection, ErrorCode, OptionalExtension};
use sha2::{Digest, Sha256};

pub use uploads::Upload;

use crate::{ReplicaError, ReplicaKey, Result};

/// Bytes per stored chunk (the server's chunk size too).
pub const CHUNK_SIZE: usize = 1 << 20;

/// The server's default limits, used until it tells its own.
pub const DEFAULT_LIMITS: Limits = Limits { max_file_bytes: 20 << 20, max_case_bytes: 200 << 20 };

/// The default size cap of the download cache: 500 MB.
pub const DEFAULT_CACHE_CAP: i64 = 500 << 20;

/// How large files may be, per file and per case (the server's, last known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: i64,
    pub max_case_bytes: i64,
}

/// 2: the chunks' bytes moved out of the database into sealed files.
const SCHEMA_VERSION: i64 = 2;

/// The temporary key a capture writes its chunks under until the content's hash is known.
const CAPTURING: &str = "~capturing";

/// `12.3 MB`, as the server writes sizes.
pub fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// How many chunks of [`CHUNK_SIZE`] a content of `size` bytes has.
pub fn chunk_count(size: i64) -> i64 {
    let c = CHUNK_SIZE as i64;
    (size.max(0) + c - 1) / c
}

pub struct FileStore {
    conn: Connection,
    path: PathBuf,
    blobs: chunks::Blobs,
}

/// Reads until `buf` is full or the reader ends; returns the bytes read.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl FileStore {
    /// Opens or creates the encrypted store at `path` with the replica's key.
    pub fn open(path: &Path, key: &ReplicaKey) -> Result<FileStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| ReplicaError::Io { path: dir.to_owned(), source })?;
        }
        let conn = Connection::open(path)?;
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
                return Err(ReplicaError::BadKey)
            }
            Err(e) => return Err(e.into()),
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(ReplicaError::Corrupt(format!(
                "本机附件库由较新版本的客户端创建（版本 {version}），请升级客户端"
            )));
        }
        let blobs = chunks::Blobs::open(path, key)?;
        if version < 1 {
            conn.execute_batch(&format!(
                "BEGIN;
                 CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 {}{}{}{}
                 PRAGMA user_version = {SCHEMA_VERSION};
                 COMMIT;",
                chunks::DDL,
                uploads::DDL,
                cache::DDL,
                citations::DDL
            ))?;
        } else if version < 2 {
            move_chunks_out(&conn, &blobs)?;
        }
        blobs.sweep(&conn)?;
        Ok(FileStore { conn, path: path.to_owned(), blobs })
    }

    /// Removes a store and its chunk files (nothing is left when it does not exist).
    pub fn destroy(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        let _ = std::fs::remove_dir_all(chunks::dir_of(path));
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", [key, value])?;
        Ok(())
    }

    /// The server's limits as last told, else [`DEFAULT_LIMITS`].
    pub fn limits(&self) -> Result<Limits> {
        let get = |k: &str| -> Result<Option<i64>> { Ok(self.meta(k)?.and_then(|v| v.parse().ok())) };
        Ok(Limits {
            max_file_bytes: get("max_file_bytes")?.unwrap_or(DEFAULT_LIMITS.max_file_bytes),
            max_case_bytes: get("max_case_bytes")?.unwrap_or(DEFAULT_LIMITS.max_case_bytes),
        })
    }

    pub fn set_limits(&self, l: &Limits) -> Result<()> {
        self.set_meta("max_file_bytes", &l.max_file_bytes.to_string())?;
        self.set_meta("max_case_bytes", &l.max_case_bytes.to_string())
    }

    /// Captures a file for a case: reads it chunk by chunk (hashing as it goes) into the store and
    /// queues it, all in one transaction. `on_case` are the files the case already has on the
    /// server (sha256, size). Refused (`Ok(Err(reason))`, in Chinese, nothing stored) when it is
    /// empty, over the per-file or per-case limit, or not an accepted type by its content.
    pub fn capture(
        &mut self,
        case_id: i64,
        name: &str,
        reader: &mut dyn Read,
        on_case: &[(String, i64)],
        now: &str,
    ) -> Result<std::result::Result<Upload, String>> {
        let limits = self.limits()?;
        let tx = self.conn.transaction()?;
        let mut written = chunks::Written::new(&self.blobs);
        chunks::delete(&tx, CAPTURING)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK_SIZE];
        let (mut size, mut idx) = (0i64, 0i64);
        let (mut first, mut last) = (Vec::new(), Vec::new());
        loop {
            let n = fill(reader, &mut buf).map_err(|source| ReplicaError::Io { path: PathBuf::from(name), source })?;
            if n == 0 {
                break;
            }
            size += n as i64;
            if size > limits.max_file_bytes {
                return Ok(Err(format!("文件“{name}”大小超过单个文件上限 {}，未上传", mb(limits.max_file_bytes))));
            }
            let data = &buf[..n];
            if idx == 0 {
                if let Some(why) = filetype::refusal(&filetype::sniff(data)) {
                    return Ok(Err(format!("“{name}”：{why}")));
                }
                first = data.to_vec();
            }
            hasher.update(data);
            chunks::put(&tx, &mut written, CAPTURING, idx, data, true)?;
            last = data.to_vec();
            idx += 1;
            if n < CHUNK_SIZE {
                break;
            }
        }
        if size == 0 {
            return Ok(Err(format!("文件“{name}”是空的，未上传")));
        }
        let mime = match filetype::sniff(&first) {
            filetype::Sniffed::Accepted(m) => m,
            _ => match filetype::zip_kind(&first, &last) {
                Some(m) => m,
                None => {
                    return Ok(Err(format!(
                        "“{name}”：压缩包不是 OFD 或 Office 文档，不能作为证据材料上传；请上传图片、PDF、OFD 或 Office 文档"
                    )))
                }
            },
        };
        let sha256 = hex::encode(hasher.finalize());
        // The case's files: those on the server and those queued here, each content once.
        let mut on = std::collections::BTreeMap::new();
        for (s, n) in on_case.iter().cloned().chain(uploads::unsent_bytes_of_case(&tx, case_id)?) {
            on.insert(s, n);
        }
        if !on.contains_key(&sha256) {
            let total: i64 = on.values().sum();
            if total + size > limits.max_case_bytes {
                return Ok(Err(format!(
                    "本案件已有附件 {}，加上“{name}”（{}）将超过每个案件 {} 的上限，未上传",
                    mb(total),
                    mb(size),
                    mb(limits.max_case_bytes)
                )));
            }
        }
        if chunks::held(&tx, &sha256)? == (idx, size) {
            chunks::delete(&tx, CAPTURING)?;
        } else {
            chunks::delete(&tx, &sha256)?;
            chunks::rename(&tx, CAPTURING, &sha256)?;
        }
        // A download of the same content that was under way is now whole.
        if cache::get(&tx, &sha256)?.is_some_and(|(_, complete)| !complete) {
            cache::set_complete(&tx, &sha256, now)?;
        }
        let shown: String =
            name.rsplit(['/', '\\']).next().unwrap_or(name).chars().filter(|c| !c.is_control()).collect();
        let id = uploads::insert(&tx, &sha256, case_id, &shown, size, mime, idx, now)?;
        let row = uploads::get(&tx, case_id, &sha256)?
            .filter(|u| u.id == id)
            .ok_or_else(|| ReplicaError::Corrupt("captured file vanished".into()))?;
        tx.commit()?;
        written.keep();
        self.blobs.reap(&self.conn)?;
        Ok(Ok(row))
    }

    /// Local files of a case (queued, failed and done), oldest first.
    pub fn uploads_of_case(&self, case_id: i64) -> Result<Vec<Upload>> {
        uploads::of_case(&self.conn, case_id)
    }

    pub fn upload(&self, case_id: i64, sha256: &str) -> Result<Option<Upload>> {
        uploads::get(&self.conn, case_id, sha256)
    }

    /// Files still to send, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<Upload>> {
        uploads::pending(&self.conn)
    }

    pub fn set_declared(&self, id: i64, at: &str) -> Result<()> {
        uploads::set_declared(&self.conn, id, at)
    }

    pub fn set_uploaded(&self, sha256: &str, chunks_held: i64) -> Result<()> {
        uploads::set_uploaded(&self.conn, sha256, chunks_held)
    }

    /// The server holds the file: the row is done and its bytes join the cache (evictable).
    pub fn upload_done(&mut self, id: i64, now: &str, cache_cap: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        let sha: Option<String> =
            tx.query_row("SELECT sha256 FROM uploads WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        uploads::set_done(&tx, id)?;
        if let Some(sha) = sha {
            let size: i64 = tx.query_row("SELECT size FROM uploads WHERE id = ?1", [id], |r| r.get(0))?;
            cache::begin(&tx, &sha, size, now)?;
            cache::set_complete(&tx, &sha, now)?;
        }
        evict(&tx, cache_cap)?;
        tx.commit()?;
        self.blobs.reap(&self.conn)
    }

    pub fn note_error(&self, id: i64, error: &str, failed: bool) -> Result<()> {
        uploads::note_error(&self.conn, id, error, failed)
    }

    /// A failed file back in the queue; false when there is none.
    pub fn retry(&self, case_id: i64, sha256: &str) -> Result<bool> {
        uploads::retry(&self.conn, case_id, sha256)
    }

    /// Removes a local file from the queue (and its bytes, unless the cache or another case keeps
    /// them). Returns the removed row.
    pub fn remove(&mut self, case_id: i64, sha256: &str) -> Result<Option<Upload>> {
        let tx = self.conn.transaction()?;
        let Some(row) = uploads::get(&tx, case_id, sha256)? else { return Ok(None) };
        uploads::delete(&tx, row.id)?;
        gc(&tx, sha256)?;
        tx.commit()?;
        self.blobs.reap(&self.conn)?;
        Ok(Some(row))
    }

    /// `len` bytes of a content from `offset`, when held whole (by an upload or the cache).
    pub fn read_range(&self, sha256: &str, offset: i64, len: i64) -> Result<Option<Vec<u8>>> {
        let c = CHUNK_SIZE as i64;
        let mut out = Vec::with_capacity(len.max(0) as usize);
        let mut at = offset;
        while at < offset + len {
            let Some(chunk) = chunks::get(&self.conn, &self.blobs, sha256, at / c)? else { return Ok(None) };
            let start = (at % c) as usize;
            let end = (start + (offset + len - at) as usize).min(chunk.len());
            if start >= end {
                return Ok(None);
            }
            out.extend_from_slice(&chunk[start..end]);
            at += (end - start) as i64;
        }
        Ok(Some(out))
    }

    /// Whether the whole content is here (captured and not yet uploaded, or in the cache).
    pub fn holds(&self, sha256: &str) -> Result<bool> {
        // An uploaded file's bytes live on in the cache (evictable like any other).
        let captured: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?1 AND state <> 'done')",
            [sha256],
            |r| r.get(0),
        )?;
        Ok(captured || cache::get(&self.conn, sha256)?.is_some_and(|(_, complete)| complete))
    }

    /// The whole content, when held (see [`FileStore::holds`]); counts as opened for the cache.
    pub fn read_all(&self, sha256: &str, now: &str) -> Result<Option<Vec<u8>>> {
        if !self.holds(sha256)? {
            return Ok(None);
        }
        let mut out = Vec::new();
        for idx in 0.. {
            match chunks::get(&self.conn, &self.blobs, sha256, idx)? {
                Some(c) => out.extend_from_slice(&c),
                None => break,
            }
        }
        if hex::encode(Sha256::digest(&out)) != sha256 {
            return Err(ReplicaError::Corrupt(format!("本机附件 {}… 的内容与其 SHA-256 不符", &sha256[..12])));
        }
        cache::touch(&self.conn, sha256, now)?;
        Ok(Some(out))
    }

    /// The answer to a possession challenge: SHA-256 of the challenge's characters followed by
    /// the content. `None` when the content is not here.
    pub fn proof(&self, sha256: &str, challenge: &str) -> Result<Option<String>> {
        if !self.holds(sha256)? {
            return Ok(None);
        }
        let mut h = Sha256::new();
        h.update(challenge.as_bytes());
        for idx in 0.. {
            match chunks::get(&self.conn, &self.blobs, sha256, idx)? {
                Some(c) => h.update(&c),
                None => break,
            }
        }
        Ok(Some(hex::encode(h.finalize())))
    }

    /// Starts (or resumes) a download into the cache: the bytes already here, in whole chunks
    /// from the start (`size` when it is complete).
    pub fn download_start(&self, sha256: &str, size: i64, now: &str) -> Result<i64> {
        if self.holds(sha256)? {
            return Ok(size);
        }
        cache::begin(&self.conn, sha256, size, now)?;
        // Only a run of whole chunks from the start counts (by their recorded lengths; a file
        // that does not open shows when the content is checked); anything else is dropped.
        let mut held = 0i64;
        let mut next = 0;
        for (idx, len) in chunks::lengths(&self.conn, sha256)? {
            if idx != next || !(len == CHUNK_SIZE as i64 || held + len == size) || held + len > size {
                break;
            }
            held += len;
            next += 1;
        }
        chunks::delete_from(&self.conn, sha256, next)?;
        self.blobs.reap(&self.conn)?;
        Ok(held)
    }

    /// Stores one downloaded chunk (each in its own transaction: a crash keeps the ones before).
    pub fn download_put(&mut self, sha256: &str, idx: i64, data: &[u8]) -> Result<()> {
        self.download_put_all(sha256, &[(idx, data.to_vec())])
    }

    /// Stores downloaded chunks `(index, bytes)` in one transaction (a crash keeps the batches
    /// before).
    pub fn download_put_all(&mut self, sha256: &str, batch: &[(i64, Vec<u8>)]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut written = chunks::Written::new(&self.blobs);
        for (idx, data) in batch {
            chunks::put(&tx, &mut written, sha256, *idx, data, false)?;
        }
        tx.commit()?;
        written.keep();
        self.blobs.reap(&self.conn)
    }

    /// Ends a download: the whole content must match its hash, else it is dropped (false). Then
    /// the cache is trimmed to `cap` bytes, least recently opened first.
    pub fn download_finish(&mut self, sha256: &str, now: &str, cap: i64) -> Result<bool> {
        let mut h = Sha256::new();
        let mut idx = 0;
        while let Some(c) = chunks::get(&self.conn, &self.blobs, sha256, idx)? {
            h.update(&c);
            idx += 1;
        }
        let matches = hex::encode(h.finalize()) == sha256;
        self.download_settle(sha256, matches, now, cap)
    }

    /// Ends a download whose bytes the caller hashed as they were stored: when they `match` the
    /// hash the content is complete in the cache (trimmed to `cap` bytes), else it is dropped.
    /// Returns `matches`.
    pub fn download_settle(&mut self, sha256: &str, matches: bool, now: &str, cap: i64) -> Result<bool> {
        let tx = self.conn.transaction()?;
        if matches {
            cache::set_complete(&tx, sha256, now)?;
            evict(&tx, cap)?;
        } else {
            cache::delete(&tx, sha256)?;
            gc(&tx, sha256)?;
        }
        tx.commit()?;
        self.blobs.reap(&self.conn)?;
        Ok(matches)
    }

    /// Trims the cache to `cap` bytes (least recently opened first).
    pub fn trim_cache(&mut self, cap: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        evict(&tx, cap)?;
        tx.commit()?;
        self.blobs.reap(&self.conn)
    }

    /// Whether a content is in the cache, whole.
    pub fn cached(&self, sha256: &str) -> Result<bool> {
        Ok(cache::get(&self.conn, sha256)?.is_some_and(|(_, complete)| complete))
    }

    /// Bytes held by the cache.
    pub fn cache_bytes(&self) -> Result<i64> {
        cache::total(&self.conn)
    }

    /// Records the files a command cites, before the command is queued.
    pub fn cite(&self, command_id: &str, case_id: i64, shas: &[String]) -> Result<()> {
        citations::insert(&self.conn, command_id, case_id, shas)
    }

    /// The files a command cites, `None` while one of them still waits for its declaration to
    /// be accepted (the command must not reach the server before it).
    pub fn citation(&self, command_id: &str) -> Result<Option<Vec<String>>> {
        let cited = citations::of_command(&self.conn, command_id)?;
        let mut out = Vec::with_capacity(cited.len());
        for (sha, case_id) in cited {
            if let Some(u) = uploads::get(&self.conn, case_id, &sha)? {
                if u.state == uploads::PENDING && u.declared_at.is_none() {
                    return Ok(None);
                }
            }
            out.push(sha);
        }
        Ok(Some(out))
    }

    /// Forgets the citations of commands no longer in the outbox.
    pub fn forget_citations(&self, keep: &dyn Fn(&str) -> bool) -> Result<()> {
        citations::retain(&self.conn, keep)
    }

    /// Read access (tests, diagnostics).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Schema 1 kept the chunks' bytes in the table: each goes into its sealed file, in one
/// transaction (the files written by an attempt that fails are swept at the next opening).
fn move_chunks_out(conn: &Connection, blobs: &chunks::Blobs) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&format!("ALTER TABLE chunks RENAME TO chunks_v1; {}", chunks::DDL))?;
    let mut written = chunks::Written::new(blobs);
    let mut last = (String::new(), -1i64);
    loop {
        let next: Option<(String, i64, Vec<u8>)> = tx
            .query_row(
                "SELECT sha256, idx, data FROM chunks_v1 WHERE (sha256, idx) > (?1, ?2) ORDER BY sha256, idx LIMIT 1",
                rusqlite::params![last.0, last.1],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((sha, idx, data)) = next else { break };
        chunks::put(&tx, &mut written, &sha, idx, &data, true)?;
        last = (sha, idx);
    }
    tx.execute_batch("DROP TABLE chunks_v1; PRAGMA user_version = 2;")?;
    tx.commit()?;
    written.keep();
    Ok(())
}

/// Drops a content's bytes when nothing refers to them any more.
fn gc(conn: &Connection, sha256: &str) -> Result<()> {
    let used: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?1 AND state <> 'done')
             OR EXISTS (SELECT 1 FROM cache WHERE sha256 = ?1)",
        [sha256],
        |r| r.get(0),
    )?;
    if !used {
        chunks::delete(conn, sha256)?;
    }
    Ok(())
}

/// Evicts complete cache entries, least recently opened first, until the cache holds at most
/// `cap` bytes; the most recently opened entry always stays.
fn evict(conn: &Connection, cap: i64) -> Result<()> {
    let mut total = cache::total(conn)?;
    let entries = cache::oldest_first(conn)?;
    let keep_last = entries.len().saturating_sub(1);
    for (sha, size) in entries.into_iter().take(keep_last) {
        if total <= cap {
            break;
        }
        cache::delete(conn, &sha)?;
        gc(conn, &sha)?;
        total -= size;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
