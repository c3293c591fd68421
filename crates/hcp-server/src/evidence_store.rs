//! Where the bytes of evidence files live, behind a small trait so another store (an S3-compatible
//! object store) can be added without touching the handlers.
//!
//! The default, [`DbChunks`], keeps them in the database (SQLite or PostgreSQL) in chunks of
//! [`CHUNK_SIZE`] bytes: every server process sharing the database sees them, and no request ever
//! holds more than one chunk in memory (uploads arrive chunk by chunk, downloads and checks read
//! them one at a time).
//!
//! The type of a file is read from its content ([`sniff`], shared with the client in
//! [`hcp_protocol::filetype`]), never from its name.

use sha2::{Digest, Sha256};

use crate::db::{args, Conn, DbResult};

// The type rules are shared with the desktop client, which checks a file before queuing it.
pub use hcp_protocol::filetype::{is_sha256, refusal, sniff, zip_kind, Sniffed};

/// Bytes per chunk: every chunk of a file is this long but its last.
pub const CHUNK_SIZE: usize = 1 << 20;

/// How many chunks a file of `size` bytes has.
pub fn chunk_count(size: i64) -> i64 {
    let c = CHUNK_SIZE as i64;
    (size.max(0) + c - 1) / c
}

/// How long chunk `index` of a file of `size` bytes is.
pub fn chunk_len(size: i64, index: i64) -> i64 {
    let c = CHUNK_SIZE as i64;
    (size - index * c).clamp(0, c)
}

/// The store of file bytes by content hash and chunk index. Each call runs inside the caller's
/// database transaction (a store outside the database ignores it).
pub trait ChunkStore: Send + Sync + 'static {
    /// Stores (or replaces) one chunk.
    fn put_chunk(&self, c: &Conn<'_>, sha256: &str, index: i64, bytes: &[u8]) -> DbResult<()>;
    /// One chunk, if it is there.
    fn chunk(&self, c: &Conn<'_>, sha256: &str, index: i64) -> DbResult<Option<Vec<u8>>>;
    /// The indexes of the chunks held, ascending.
    fn received(&self, c: &Conn<'_>, sha256: &str) -> DbResult<Vec<i64>>;
    /// Forgets every chunk of a content.
    fn delete(&self, c: &Conn<'_>, sha256: &str) -> DbResult<()>;
}

/// The default store: the `attachment_chunks` table.
pub struct DbChunks;

impl ChunkStore for DbChunks {
    fn put_chunk(&self, c: &Conn<'_>, sha256: &str, index: i64, bytes: &[u8]) -> DbResult<()> {
        c.execute(
            "INSERT INTO attachment_chunks (sha256, idx, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (sha256, idx) DO UPDATE SET data = excluded.data",
            args![sha256, index, bytes],
        )?;
        Ok(())
    }

    fn chunk(&self, c: &Conn<'_>, sha256: &str, index: i64) -> DbResult<Option<Vec<u8>>> {
        c.query_opt("SELECT data FROM attachment_chunks WHERE sha256 = ?1 AND idx = ?2", args![sha256, index], |r| {
            r.get(0)
        })
    }

    fn received(&self, c: &Conn<'_>, sha256: &str) -> DbResult<Vec<i64>> {
        c.query_map("SELECT idx FROM attachment_chunks WHERE sha256 = ?1 ORDER BY idx", [sha256], |r| r.get(0))
    }

    fn delete(&self, c: &Conn<'_>, sha256: &str) -> DbResult<()> {
        c.execute("DELETE FROM attachment_chunks WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }
}

/// How long a pending upload may go without a chunk arriving before its chunks are swept: the
/// declared file stays (pending) and its uploader's client sends it again from the start.
pub const ABANDONED_AFTER_DAYS: i64 = 14;

/// Forgets the chunks of uploads abandoned before `now` − [`ABANDONED_AFTER_DAYS`]; returns how
/// many contents were swept. Run by the deadline watch's leader.
pub fn sweep_abandoned(c: &Conn<'_>, store: &dyn ChunkStore, now: chrono::DateTime<chrono::Utc>) -> DbResult<usize> {
    let before =
        (now - chrono::Duration::days(ABANDONED_AFTER_DAYS)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stale = crate::db::attachments::abandoned(c, &before)?;
    let mut swept = 0;
    for sha256 in stale {
        if !store.received(c, &sha256)?.is_empty() {
            store.delete(c, &sha256)?;
            swept += 1;
        }
    }
    Ok(swept)
}

/// The SHA-256 of a content read chunk by chunk through `chunk(index)`; `None` when a chunk is
/// missing or not the length it should have.
pub fn hash_chunks(size: i64, mut chunk: impl FnMut(i64) -> DbResult<Option<Vec<u8>>>) -> DbResult<Option<String>> {
    let mut h = Sha256::new();
    for i in 0..chunk_count(size) {
        match chunk(i)? {
            Some(b) if b.len() as i64 == chunk_len(size, i) => h.update(&b),
            _ => return Ok(None),
        }
    }
    Ok(Some(hex::encode(h.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_content_not_the_name() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF"), Sniffed::Accepted("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Sniffed::Accepted("image/png"));
        assert_eq!(sniff(b"GIF89a\x01\x00"), Sniffed::Accepted("image/gif"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Sniffed::Accepted("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Sniffed::Accepted("image/heic"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Accepted("application/pdf"));
        assert_eq!(
            sniff(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]),
            Sniffed::Accepted("application/x-ole-storage")
        );
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), Sniffed::Executable);
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01"), Sniffed::Executable);
        assert_eq!(sniff(b"#!/bin/sh\n"), Sniffed::Executable);
        assert_eq!(sniff(b"hello world"), Sniffed::Unknown);
        assert_eq!(sniff(b"PK\x03\x04\x14\0"), Sniffed::Zip);
        assert!(refusal(&Sniffed::Executable).is_some_and(|m| m.contains("可执行程序")));
    }

    #[test]
    fn zip_containers_are_told_apart_by_their_entries() {
        assert_eq!(zip_kind(b"PK\x03\x04....OFD.xml", b""), Some("application/ofd"));
        assert_eq!(
            zip_kind(b"PK\x03\x04....[Content_Types].xml", b"PK\x01\x02 word/document.xml"),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(zip_kind(b"PK\x03\x04....readme.txt", b"PK\x05\x06"), None);
    }

    #[test]
    fn chunks_cover_the_file_exactly() {
        let c = CHUNK_SIZE as i64;
        assert_eq!(chunk_count(0), 0);
        assert_eq!(chunk_count(1), 1);
        assert_eq!(chunk_count(c), 1);
        assert_eq!(chunk_count(c + 1), 2);
        assert_eq!(chunk_len(c + 1, 0), c);
        assert_eq!(chunk_len(c + 1, 1), 1);
        assert_eq!(chunk_len(c + 1, 2), 0);
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"A".repeat(64)));
        assert!(!is_sha256("abc"));
    }
}
