//! `chunks`: the bytes of local files (captured for upload or downloaded into the cache), in
//! chunks of [`super::CHUNK_SIZE`]. A content is stored once, whatever refers to it (an upload,
//! the cache or both).
//!
//! The bytes live in files of their own beside the store (`<store>.chunks/`), each sealed with
//! AES-256-GCM under a key derived from the replica's key, a fresh random nonce and its own
//! file name as associated data (a file moved to another slot does not open). The table holds
//! where each chunk is. SQLCipher would encrypt the same bytes page by page with AES-CBC and an
//! HMAC, about four times the work per byte: this keeps a 20 MB download's storing well under
//! the time the network takes.
//!
//! A chunk's file is written whole before the row naming it commits; a row deleted names its
//! file in `doomed`, in the same transaction, and the file goes after the commit
//! ([`Blobs::reap`]). So a crash leaves at most files no row names, which opening the store
//! removes ([`Blobs::sweep`]), never a row without its file.

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{ReplicaError, ReplicaKey, Result};

pub const DDL: &str = "
CREATE TABLE chunks (
    sha256 TEXT NOT NULL,
    idx    INTEGER NOT NULL,
    file   TEXT NOT NULL UNIQUE,
    len    INTEGER NOT NULL,
    UNIQUE (sha256, idx)
);
CREATE TABLE doomed (file TEXT PRIMARY KEY);
";

/// The sealed chunk files of one store.
pub struct Blobs {
    dir: PathBuf,
    key: LessSafeKey,
    rng: SystemRandom,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReplicaError + '_ {
    move |source| ReplicaError::Io { path: path.to_owned(), source }
}

impl Blobs {
    /// The chunk folder of the store at `store` (created when missing), sealed under a key
    /// derived from `key` (HKDF-SHA256).
    pub fn open(store: &Path, key: &ReplicaKey) -> Result<Blobs> {
        let dir = dir_of(store);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"haochaping evidence files");
        let prk = salt.extract(&key.0);
        let okm = prk
            .expand(&[b"chunk seal v1"], &AES_256_GCM)
            .map_err(|_| ReplicaError::Corrupt("无法派生附件密钥".into()))?;
        Ok(Blobs { dir, key: LessSafeKey::new(UnboundKey::from(okm)), rng: SystemRandom::new() })
    }

    /// Seals `data` into a new file; returns its name. With `durable` the file is on disk (fsync)
    /// before this returns: a captured file must survive a power cut once its row commits; a
    /// downloaded one can be fetched again.
    pub fn write(&self, data: &[u8], durable: bool) -> Result<String> {
        let mut id = [0u8; 16];
        self.rng.fill(&mut id).map_err(|_| ReplicaError::Corrupt("随机数不可用".into()))?;
        let name = hex::encode(id);
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| ReplicaError::Corrupt("随机数不可用".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + data.len() + AES_256_GCM.tag_len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(data);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(name.as_bytes()),
                &mut sealed[NONCE_LEN..],
            )
            .map_err(|_| ReplicaError::Corrupt("附件加密失败".into()))?;
        sealed.extend_from_slice(tag.as_ref());
        let path = self.dir.join(&name);
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(io(&path))?;
        f.write_all(&sealed).map_err(io(&path))?;
        if durable {
            f.sync_all().map_err(io(&path))?;
        }
        Ok(name)
    }

    /// The bytes of file `name`; `None` when it is missing or does not open (altered, or moved
    /// from another slot).
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join(name);
        let mut sealed = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&path)(e)),
        };
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Ok(None);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[..NONCE_LEN]);
        let n = match self.key.open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(name.as_bytes()),
            &mut sealed[NONCE_LEN..],
        ) {
            Ok(plain) => plain.len(),
            Err(_) => return Ok(None),
        };
        sealed.copy_within(NONCE_LEN..NONCE_LEN + n, 0);
        sealed.truncate(n);
        Ok(Some(sealed))
    }

    /// Removes the files of rows deleted since (committed: call after the transaction).
    pub fn reap(&self, conn: &Connection) -> Result<()> {
        let names: Vec<String> = conn
            .prepare_cached("SELECT file FROM doomed")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for name in names {
            self.remove(&name)?;
            conn.prepare_cached("DELETE FROM doomed WHERE file = ?1")?.execute([&name])?;
        }
        Ok(())
    }

    /// Removes files no row names (left by a crash between a file's write and its row's commit,
    /// or by a transaction that did not commit), then the doomed ones.
    pub fn sweep(&self, conn: &Connection) -> Result<()> {
        let entries = std::fs::read_dir(&self.dir).map_err(io(&self.dir))?;
        for entry in entries {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let named: bool = conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM chunks WHERE file = ?1)")?
                .query_row([&name], |r| r.get(0))?;
            if !named {
                self.remove(&name)?;
            }
        }
        self.reap(conn)
    }

    /// Removes file `name` (already gone is fine).
    pub fn remove(&self, name: &str) -> Result<()> {
        let path = self.dir.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&path)(e)),
        }
    }
}

/// The chunk folder of the store at `store`: `x.files.db` → `x.files.chunks`.
pub fn dir_of(store: &Path) -> PathBuf {
    store.with_extension("chunks")
}

/// Files written by a transaction that may not commit: removed on drop unless kept.
pub struct Written<'a> {
    blobs: &'a Blobs,
    names: Vec<String>,
}

impl<'a> Written<'a> {
    pub fn new(blobs: &'a Blobs) -> Written<'a> {
        Written { blobs, names: Vec::new() }
    }

    /// The transaction committed: the files stay.
    pub fn keep(mut self) {
        self.names.clear();
    }
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = self.blobs.remove(name);
        }
    }
}

/// Stores chunk `idx` of a content: seals it into a new file, then names it in the table (the
/// file of a chunk it replaces is doomed).
pub fn put(
    conn: &Connection,
    written: &mut Written<'_>,
    sha256: &str,
    idx: i64,
    data: &[u8],
    durable: bool,
) -> Result<()> {
    let name = written.blobs.write(data, durable)?;
    written.names.push(name.clone());
    conn.prepare_cached(
        "INSERT INTO doomed (file) SELECT file FROM chunks WHERE sha256 = ?1 AND idx = ?2 ON CONFLICT DO NOTHING",
    )?
    .execute(params![sha256, idx])?;
    conn.prepare_cached("INSERT OR REPLACE INTO chunks (sha256, idx, file, len) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![sha256, idx, name, data.len() as i64])?;
    Ok(())
}

/// The bytes of chunk `idx`, when held (and its file opens).
pub fn get(conn: &Connection, blobs: &Blobs, sha256: &str, idx: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT file, len FROM chunks WHERE sha256 = ?1 AND idx = ?2")?
        .query_row(params![sha256, idx], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((file, len)) = row else { return Ok(None) };
    Ok(blobs.read(&file)?.filter(|b| b.len() as i64 == len))
}

/// The stored lengths of a content's chunks, in order of index: `(idx, len)`.
pub fn lengths(conn: &Connection, sha256: &str) -> Result<Vec<(i64, i64)>> {
    Ok(conn
        .prepare_cached("SELECT idx, len FROM chunks WHERE sha256 = ?1 ORDER BY idx")?
        .query_map([sha256], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// (chunks held, bytes held) of a content.
pub fn held(conn: &Connection, sha256: &str) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached("SELECT count(*), coalesce(sum(len), 0) FROM chunks WHERE sha256 = ?1")?
        .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Deletes a content's chunks from index `from` on (their files are doomed).
pub fn delete_from(conn: &Connection, sha256: &str, from: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO doomed (file) SELECT file FROM chunks WHERE sha256 = ?1 AND idx >= ?2 ON CONFLICT DO NOTHING",
    )?
    .execute(params![sha256, from])?;
    conn.prepare_cached("DELETE FROM chunks WHERE sha256 = ?1 AND idx >= ?2")?.execute(params![sha256, from])?;
    Ok(())
}

pub fn delete(conn: &Connection, sha256: &str) -> Result<()> {
    delete_from(conn, sha256, 0)
}

/// Moves the chunks stored under a temporary key to their content's hash (the files stay).
pub fn rename(conn: &Connection, from: &str, to: &str) -> Result<()> {
    conn.prepare_cached("UPDATE chunks SET sha256 = ?2 WHERE sha256 = ?1")?.execute([from, to])?;
    Ok(())
}
