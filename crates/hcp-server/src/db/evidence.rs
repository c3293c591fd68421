//! `evidence_chain`: appeal and accountability records, append-only and hash-chained.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and this entry's canonical content,
//! so editing or deleting any entry breaks every hash after it; [`verify`] walks the chain.

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use super::DbResult;

pub const DDL: &str = "
CREATE TABLE evidence_chain (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL,
    event_id   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    actor_id   INTEGER NOT NULL,
    at         TEXT NOT NULL,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER evidence_chain_no_update BEFORE UPDATE ON evidence_chain
BEGIN SELECT RAISE(ABORT, 'evidence_chain is append-only'); END;
CREATE TRIGGER evidence_chain_no_delete BEFORE DELETE ON evidence_chain
BEGIN SELECT RAISE(ABORT, 'evidence_chain is append-only'); END;
";

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn digest(prev: &str, case_id: i64, event_id: i64, kind: &str, actor_id: i64, at: &str, payload: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, &case_id.to_string(), &event_id.to_string(), kind, &actor_id.to_string(), at, payload] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

pub struct Entry<'a> {
    pub case_id: i64,
    pub event_id: i64,
    pub kind: &'a str,
    pub actor_id: i64,
    pub at: &'a str,
    pub payload: &'a str,
}

/// Appends an entry after the current head. Call inside the writing transaction.
pub fn append(conn: &Connection, e: &Entry<'_>) -> DbResult<String> {
    let prev: String = conn.query_row(
        "SELECT coalesce((SELECT hash FROM evidence_chain ORDER BY seq DESC LIMIT 1), ?1)",
        [GENESIS],
        |r| r.get(0),
    )?;
    let hash = digest(&prev, e.case_id, e.event_id, e.kind, e.actor_id, e.at, e.payload);
    conn.execute(
        "INSERT INTO evidence_chain (case_id, event_id, kind, actor_id, at, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![e.case_id, e.event_id, e.kind, e.actor_id, e.at, e.payload, prev, hash],
    )?;
    Ok(hash)
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub valid: bool,
    pub length: i64,
    /// The hash of the last entry (the genesis hash when empty).
    pub head: String,
    /// The first entry whose hash does not match, when the chain is broken.
    pub first_broken_seq: Option<i64>,
}

pub fn verify(conn: &Connection) -> DbResult<ChainReport> {
    let mut stmt = conn.prepare(
        "SELECT seq, case_id, event_id, kind, actor_id, at, payload, prev_hash, hash FROM evidence_chain ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_owned();
    let mut length = 0;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let stored_prev: String = r.get(7)?;
        let stored: String = r.get(8)?;
        let kind: String = r.get(3)?;
        let at: String = r.get(5)?;
        let payload: String = r.get(6)?;
        let expect = digest(&prev, r.get(1)?, r.get(2)?, &kind, r.get(4)?, &at, &payload);
        if stored_prev != prev || stored != expect {
            return Ok(ChainReport { valid: false, length, head: prev, first_broken_seq: Some(seq) });
        }
        prev = stored;
        length += 1;
    }
    Ok(ChainReport { valid: true, length, head: prev, first_broken_seq: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_detects_tampering_even_through_a_raw_write() {
        let mut conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(DDL).expect("ddl");
        for i in 0..3 {
            let e = Entry {
                case_id: i,
                event_id: 10 + i,
                kind: "appealed",
                actor_id: 7,
                at: "2026-11-20T00:00:00Z",
                payload: "{}",
            };
            append(&conn, &e).expect("append");
        }
        let ok = verify(&conn).expect("verify");
        assert!(ok.valid && ok.length == 3 && ok.first_broken_seq.is_none());
        assert!(conn.execute("UPDATE evidence_chain SET payload = 'x' WHERE seq = 2", []).is_err(), "append-only");
        assert!(conn.execute("DELETE FROM evidence_chain WHERE seq = 2", []).is_err(), "append-only");
        // Someone with file access drops the triggers and edits a record: verification notices.
        conn.execute_batch("DROP TRIGGER evidence_chain_no_update;").expect("drop");
        let tx = conn.transaction().expect("tx");
        tx.execute("UPDATE evidence_chain SET payload = '{\"forged\":1}' WHERE seq = 2", []).expect("forge");
        tx.commit().expect("commit");
        let broken = verify(&conn).expect("verify");
        assert!(!broken.valid);
        assert_eq!(broken.first_broken_seq, Some(2));
    }
}
