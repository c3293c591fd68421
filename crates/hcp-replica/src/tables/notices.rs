//! `doc_number_blocks` and `notices`: the document numbers (文号) this laptop reserved from the
//! server for its user's office, and the register of the notices it issued with them.
//!
//! Local tables (never mirrored, kept across bootstraps). A notice takes the next number of its
//! office's block once, when it is first saved or printed; the register keeps that number with
//! the notice's content, so every later save, print or reprint of the same notice shows the same
//! number and the same text. A reservation request is remembered before it is sent, so a retry
//! after a lost answer asks for the same block (the server is idempotent on its id).

use hcp_protocol::DocNumberBlock;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::{Replica, Result};

pub const DDL: &str = "
CREATE TABLE doc_number_blocks (
    id           INTEGER PRIMARY KEY,
    request_id   TEXT NOT NULL UNIQUE,
    unit_id      INTEGER NOT NULL,
    office_name  TEXT NOT NULL,
    abbreviation TEXT NOT NULL,
    year         INTEGER NOT NULL,
    first_no     INTEGER NOT NULL,
    last_no      INTEGER NOT NULL,
    next_no      INTEGER NOT NULL,
    reserved_at  TEXT NOT NULL
);
CREATE INDEX doc_number_blocks_office ON doc_number_blocks(unit_id, year, first_no);
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL,
    case_id    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    number     INTEGER NOT NULL,
    doc_number TEXT NOT NULL,
    issued_at  TEXT NOT NULL,
    file       TEXT,
    content    TEXT NOT NULL,
    UNIQUE (unit_id, case_id, kind),
    UNIQUE (unit_id, year, number)
);
";

/// The meta key of a reservation sent but not yet answered.
const PENDING_RESERVATION: &str = "doc_numbers_pending";

/// A reservation the client asked for: kept until the server's answer is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReservation {
    pub request_id: String,
    pub unit_id: i64,
    pub year: i32,
    pub count: u32,
}

/// A number taken from a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocNumber {
    pub office_name: String,
    pub abbreviation: String,
    pub year: i32,
    pub number: u32,
}

/// One issued notice as the register keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedNotice {
    pub case_id: i64,
    pub kind: String,
    pub year: i32,
    pub number: u32,
    /// As printed, e.g. 东政管督〔2026〕12号.
    pub doc_number: String,
    /// RFC 3339
    pub issued_at: String,
    /// The last PDF it was saved in.
    pub file: Option<String>,
    /// The notice's content (JSON), to render it again unchanged.
    pub content: String,
}

/// The numbers left for an office and year (over all its blocks).
fn remaining(conn: &Connection, unit_id: i64, year: i32) -> Result<u32> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(last_no - next_no + 1), 0) FROM doc_number_blocks
              WHERE unit_id = ?1 AND year = ?2 AND next_no <= last_no",
        )?
        .query_row(params![unit_id, year], |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(0))
}

/// The next `count` numbers an office would take, without taking them (for a preview).
fn peek(conn: &Connection, unit_id: i64, year: i32, count: usize) -> Result<Vec<DocNumber>> {
    let mut out = Vec::with_capacity(count);
    let mut stmt = conn.prepare_cached(
        "SELECT office_name, abbreviation, next_no, last_no FROM doc_number_blocks
          WHERE unit_id = ?1 AND year = ?2 AND next_no <= last_no ORDER BY first_no",
    )?;
    let mut rows = stmt.query(params![unit_id, year])?;
    while let Some(r) = rows.next()? {
        let (office_name, abbreviation, next, last): (String, String, i64, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        for n in next..=last {
            if out.len() == count {
                return Ok(out);
            }
            out.push(DocNumber {
                office_name: office_name.clone(),
                abbreviation: abbreviation.clone(),
                year,
                number: u32::try_from(n).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(out)
}

fn notice_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedNotice> {
    Ok(IssuedNotice {
        case_id: r.get(0)?,
        kind: r.get(1)?,
        year: r.get(2)?,
        number: r.get(3)?,
        doc_number: r.get(4)?,
        issued_at: r.get(5)?,
        file: r.get(6)?,
        content: r.get(7)?,
    })
}

/// Makes a new notice's content once it has its number: (the content as JSON, the document
/// number as printed).
pub type NumberedContent<'a> = Box<dyn FnOnce(&DocNumber) -> (String, String) + 'a>;

/// What a successful [`Replica::issue_notices`] gives back: the registered notices, the file and
/// what the save returned.
pub type Issued<T> = (Vec<IssuedNotice>, String, T);

/// A new notice to be numbered and registered.
pub struct NewNotice<'a> {
    pub case_id: i64,
    pub kind: &'a str,
    pub issued_at: &'a str,
    /// Called with the number the notice takes; returns the content to keep (JSON) and the
    /// document number as printed.
    pub content: NumberedContent<'a>,
}

impl Replica {
    /// The service record number (办件编号) of a rating, for the notices that cite it.
    pub fn service_record_no(&self, rating_id: i64) -> Result<Option<String>> {
        crate::tables::ratings::service_record_no(&self.conn, rating_id)
    }

    /// Numbers left in this laptop's blocks for the office `unit_id` and `year`.
    pub fn doc_numbers_left(&self, unit_id: i64, year: i32) -> Result<u32> {
        remaining(&self.conn, unit_id, year)
    }

    /// The next `count` numbers the office would take (nothing is taken).
    pub fn peek_doc_numbers(&self, unit_id: i64, year: i32, count: usize) -> Result<Vec<DocNumber>> {
        peek(&self.conn, unit_id, year, count)
    }

    /// The reservation sent and not answered yet, if any.
    pub fn pending_reservation(&self) -> Result<Option<PendingReservation>> {
        Ok(crate::tables::meta::get(&self.conn, PENDING_RESERVATION)?.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Remembers a reservation before it is sent.
    pub fn begin_reservation(&self, p: &PendingReservation) -> Result<()> {
        let json = serde_json::to_string(p).map_err(|e| crate::ReplicaError::Corrupt(e.to_string()))?;
        crate::tables::meta::set(&self.conn, PENDING_RESERVATION, &json)
    }

    /// Stores a block the server reserved (once: the same request again changes nothing) and
    /// forgets the pending reservation, in one transaction.
    pub fn store_number_block(&mut self, b: &DocNumberBlock) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO doc_number_blocks (request_id, unit_id, office_name, abbreviation, year, first_no, last_no,
                next_no, reserved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?8) ON CONFLICT(request_id) DO NOTHING",
        )?
        .execute(params![
            b.request_id,
            b.unit_id,
            b.office_name,
            b.abbreviation,
            b.year,
            b.first,
            b.last,
            b.reserved_at
        ])?;
        crate::tables::meta::delete(&tx, PENDING_RESERVATION)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets a reservation the server refused (it reserved nothing).
    pub fn drop_reservation(&self) -> Result<()> {
        crate::tables::meta::delete(&self.conn, PENDING_RESERVATION)
    }

    /// The notice of `kind` the office `unit_id` issued for a case, if it did.
    pub fn issued_notice(&self, unit_id: i64, case_id: i64, kind: &str) -> Result<Option<IssuedNotice>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT case_id, kind, year, number, doc_number, issued_at, file, content FROM notices
                  WHERE unit_id = ?1 AND case_id = ?2 AND kind = ?3",
            )?
            .query_row(params![unit_id, case_id, kind], notice_from_row)
            .optional()?)
    }

    /// Every notice the office issued, newest first.
    pub fn issued_notices(&self, unit_id: i64) -> Result<Vec<IssuedNotice>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id, kind, year, number, doc_number, issued_at, file, content FROM notices
              WHERE unit_id = ?1 ORDER BY year DESC, number DESC",
        )?;
        let rows = stmt.query_map([unit_id], notice_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Numbers and registers new notices of the office `unit_id` for `year`, then runs `save`
    /// (which writes the PDF and names it); all in one transaction, so a failed save uses up no
    /// number. Fails with [`crate::ReplicaError::NoDocNumbers`] when the blocks hold too few.
    /// Returns the registered notices in the order given, the file and what `save` returned.
    pub fn issue_notices<T, E>(
        &mut self,
        unit_id: i64,
        year: i32,
        new: Vec<NewNotice<'_>>,
        save: impl FnOnce(&[IssuedNotice]) -> std::result::Result<(String, T), E>,
    ) -> Result<std::result::Result<Issued<T>, E>> {
        let tx = self.conn.transaction()?;
        let left = remaining(&tx, unit_id, year)?;
        if (left as usize) < new.len() {
            return Err(crate::ReplicaError::NoDocNumbers { needed: new.len() as u32, left });
        }
        let numbers = peek(&tx, unit_id, year, new.len())?;
        let mut issued = Vec::with_capacity(new.len());
        for (n, number) in new.into_iter().zip(numbers) {
            let (content, doc_number) = (n.content)(&number);
            tx.prepare_cached(
                "UPDATE doc_number_blocks SET next_no = next_no + 1
                  WHERE unit_id = ?1 AND year = ?2 AND next_no = ?3 AND next_no <= last_no",
            )?
            .execute(params![unit_id, year, number.number])?;
            tx.prepare_cached(
                "INSERT INTO notices (unit_id, case_id, kind, year, number, doc_number, issued_at, content)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                unit_id,
                n.case_id,
                n.kind,
                year,
                number.number,
                doc_number,
                n.issued_at,
                content
            ])?;
            issued.push(IssuedNotice {
                case_id: n.case_id,
                kind: n.kind.to_owned(),
                year,
                number: number.number,
                doc_number,
                issued_at: n.issued_at.to_owned(),
                file: None,
                content,
            });
        }
        let (file, value) = match save(&issued) {
            Ok(saved) => saved,
            // Dropping the transaction rolls the numbers back.
            Err(e) => return Ok(Err(e)),
        };
        for i in &mut issued {
            tx.prepare_cached("UPDATE notices SET file = ?4 WHERE unit_id = ?1 AND case_id = ?2 AND kind = ?3")?
                .execute(params![unit_id, i.case_id, i.kind, file])?;
            i.file = Some(file.clone());
        }
        tx.commit()?;
        Ok(Ok((issued, file, value)))
    }

    /// Records the file a registered notice was saved in again (a reprint).
    pub fn note_notice_file(&self, unit_id: i64, case_id: i64, kind: &str, file: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE notices SET file = ?4 WHERE unit_id = ?1 AND case_id = ?2 AND kind = ?3")?
            .execute(params![unit_id, case_id, kind, file])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReplicaKey;

    fn block(request_id: &str, first: u32, last: u32) -> DocNumberBlock {
        DocNumberBlock {
            request_id: request_id.into(),
            unit_id: 7,
            office_name: "东湖区政务服务管理办公室".into(),
            abbreviation: "东政管督".into(),
            year: 2026,
            first,
            last,
            reserved_at: "2026-11-20T08:00:00Z".into(),
        }
    }

    fn new_notice(case_id: i64) -> NewNotice<'static> {
        NewNotice {
            case_id,
            kind: "rectification",
            issued_at: "2026-11-20T09:00:00Z",
            content: Box::new(|n: &DocNumber| {
                (format!("{{\"no\":{}}}", n.number), format!("{}〔{}〕{}号", n.abbreviation, n.year, n.number))
            }),
        }
    }

    #[test]
    fn numbers_are_taken_once_in_order_and_a_failed_save_takes_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = Replica::open(&dir.path().join("r.db"), &ReplicaKey::from_bytes([3; 32])).expect("open");
        let pending = PendingReservation { request_id: "q1".into(), unit_id: 7, year: 2026, count: 3 };
        r.begin_reservation(&pending).expect("pending");
        assert_eq!(r.pending_reservation().expect("read"), Some(pending));
        r.store_number_block(&block("q1", 4, 6)).expect("store");
        r.store_number_block(&block("q1", 4, 6)).expect("the same answer twice stores one block");
        assert_eq!(r.pending_reservation().expect("read"), None);
        r.store_number_block(&block("q2", 11, 12)).expect("a second block");
        assert_eq!(r.doc_numbers_left(7, 2026).expect("left"), 5);
        assert_eq!(r.doc_numbers_left(8, 2026).expect("another office"), 0);
        assert_eq!(
            r.peek_doc_numbers(7, 2026, 4).expect("peek").iter().map(|n| n.number).collect::<Vec<_>>(),
            [4, 5, 6, 11]
        );

        // The save fails: nothing is registered and no number is used up.
        let failed =
            r.issue_notices(7, 2026, vec![new_notice(1)], |_| Err::<(String, ()), _>("disk full")).expect("db");
        assert_eq!(failed, Err("disk full"));
        assert_eq!(r.doc_numbers_left(7, 2026).expect("left"), 5);
        assert!(r.issued_notice(7, 1, "rectification").expect("read").is_none());

        // Three notices take 4, 5, 6 and then move on to the next block.
        let (issued, file, ()) = r
            .issue_notices(7, 2026, vec![new_notice(1), new_notice(2), new_notice(3), new_notice(4)], |n| {
                assert_eq!(n.len(), 4);
                Ok::<_, ()>(("/tmp/a.pdf".to_owned(), ()))
            })
            .expect("db")
            .expect("saved");
        assert_eq!(file, "/tmp/a.pdf");
        assert_eq!(issued.iter().map(|n| n.number).collect::<Vec<_>>(), [4, 5, 6, 11]);
        assert_eq!(issued[3].doc_number, "东政管督〔2026〕11号");
        let kept = r.issued_notice(7, 2, "rectification").expect("read").expect("registered");
        assert_eq!((kept.number, kept.file.as_deref()), (5, Some("/tmp/a.pdf")));
        assert_eq!(r.doc_numbers_left(7, 2026).expect("left"), 1);
        // Too few left: refused before anything is taken.
        let short = r.issue_notices(7, 2026, vec![new_notice(5), new_notice(6)], |_| Ok::<_, ()>((String::new(), ())));
        assert!(matches!(short, Err(crate::ReplicaError::NoDocNumbers { needed: 2, left: 1 })));
        // A notice is registered once per office and kind.
        let twice = r.issue_notices(7, 2026, vec![new_notice(1)], |_| Ok::<_, ()>((String::new(), ())));
        assert!(twice.is_err(), "the register refuses a second number for the same notice");
        assert_eq!(r.doc_numbers_left(7, 2026).expect("left"), 1);
        r.note_notice_file(7, 1, "rectification", "/tmp/b.pdf").expect("reprint");
        assert_eq!(r.issued_notices(7).expect("all").len(), 4);
    }
}
