//! `doc_number_offices` and `doc_number_blocks`: the document-number (文号) sequence of every
//! issuing office, per year, owned by the server.
//!
//! An office gets its abbreviation (发文机关代字) the first time it reserves numbers: the first of
//! [`hcp_domain::docno::abbreviation_candidates`] no other office holds (`UNIQUE`), kept for
//! good. Numbers go out in blocks: a block is `first..=last` of one office and year, the next
//! block starts after the highest number ever reserved for that office and year. Writes are
//! serialised on both engines (see [`super`]), and `UNIQUE (unit_id, year, first_no)` guards the
//! invariant besides, so two reservations can never overlap. A reservation is idempotent on its
//! request id. Numbers a client reserves and never uses leave gaps; a number is never issued twice.

use hcp_protocol::DocNumberBlock;

use super::{args, Conn, DbResult, Row};

pub const DDL: &str = "
CREATE TABLE doc_number_offices (
    unit_id      INTEGER PRIMARY KEY REFERENCES org_units(id),
    office_name  TEXT NOT NULL,
    abbreviation TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL
);
CREATE TABLE doc_number_blocks (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES doc_number_offices(unit_id),
    year        INTEGER NOT NULL,
    first_no    INTEGER NOT NULL,
    last_no     INTEGER NOT NULL,
    request_id  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    client_id   TEXT,
    reserved_at TEXT NOT NULL,
    UNIQUE (unit_id, year, first_no)
);
CREATE INDEX doc_number_blocks_office ON doc_number_blocks(unit_id, year, last_no);
";

/// An issuing office: its unit, signature and abbreviation.
#[derive(Debug, Clone, PartialEq)]
pub struct Office {
    pub unit_id: i64,
    pub office_name: String,
    pub abbreviation: String,
}

pub fn office(conn: &Conn<'_>, unit_id: i64) -> DbResult<Option<Office>> {
    conn.query_opt(
        "SELECT unit_id, office_name, abbreviation FROM doc_number_offices WHERE unit_id = ?1",
        [unit_id],
        |r| Ok(Office { unit_id: r.get(0)?, office_name: r.get(1)?, abbreviation: r.get(2)? }),
    )
}

/// The office of `unit_id`, registered with the first free abbreviation of `candidates` when it
/// has none yet.
pub fn ensure_office(
    conn: &Conn<'_>,
    unit_id: i64,
    office_name: &str,
    candidates: &[String],
    at: &str,
) -> DbResult<Office> {
    if let Some(o) = office(conn, unit_id)? {
        return Ok(o);
    }
    let taken = |abbr: &str| -> DbResult<bool> {
        Ok(conn
            .query_opt("SELECT 1 FROM doc_number_offices WHERE abbreviation = ?1", [abbr], |r| r.get::<i64>(0))?
            .is_some())
    };
    let mut chosen = None;
    for c in candidates {
        if !taken(c)? {
            chosen = Some(c.clone());
            break;
        }
    }
    // The last candidate carries the unit's code; should even it be taken, the unit id settles it.
    let abbreviation = match chosen {
        Some(c) => c,
        None => format!("{}{unit_id}", candidates.last().map_or("督", String::as_str)),
    };
    conn.execute(
        "INSERT INTO doc_number_offices (unit_id, office_name, abbreviation, created_at) VALUES (?1, ?2, ?3, ?4)",
        args![unit_id, office_name, &abbreviation, at],
    )?;
    Ok(Office { unit_id, office_name: office_name.to_owned(), abbreviation })
}

const BLOCK_COLS: &str = "b.request_id, b.unit_id, o.office_name, o.abbreviation, b.year, b.first_no, b.last_no,
    b.reserved_at, b.user_id";

fn block_from_row(r: &Row) -> DbResult<(DocNumberBlock, i64)> {
    let first: i64 = r.get(5)?;
    let last: i64 = r.get(6)?;
    Ok((
        DocNumberBlock {
            request_id: r.get(0)?,
            unit_id: r.get(1)?,
            office_name: r.get(2)?,
            abbreviation: r.get(3)?,
            year: r.get::<i64>(4)? as i32,
            first: u32::try_from(first).unwrap_or(u32::MAX),
            last: u32::try_from(last).unwrap_or(u32::MAX),
            reserved_at: r.get(7)?,
        },
        r.get(8)?,
    ))
}

/// The block reserved under `request_id`, with the user who reserved it.
pub fn by_request(conn: &Conn<'_>, request_id: &str) -> DbResult<Option<(DocNumberBlock, i64)>> {
    conn.query_opt(
        &format!(
            "SELECT {BLOCK_COLS} FROM doc_number_blocks b JOIN doc_number_offices o ON o.unit_id = b.unit_id
              WHERE b.request_id = ?1"
        ),
        [request_id],
        block_from_row,
    )
}

/// What one reservation records besides its numbers.
pub struct Reservation<'a> {
    pub request_id: &'a str,
    pub year: i32,
    pub count: u32,
    pub user_id: i64,
    pub client_id: Option<&'a str>,
    pub at: &'a str,
}

/// Reserves the next `count` numbers of `office` for `year`, after the highest ever reserved.
pub fn reserve(conn: &Conn<'_>, office: &Office, r: &Reservation<'_>) -> DbResult<DocNumberBlock> {
    let highest: i64 = conn.query_row(
        "SELECT coalesce(max(last_no), 0) FROM doc_number_blocks WHERE unit_id = ?1 AND year = ?2",
        args![office.unit_id, r.year],
        |row| row.get(0),
    )?;
    let first = highest + 1;
    let last = highest + i64::from(r.count.max(1));
    conn.execute(
        "INSERT INTO doc_number_blocks (unit_id, year, first_no, last_no, request_id, user_id, client_id, reserved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![office.unit_id, r.year, first, last, r.request_id, r.user_id, r.client_id, r.at],
    )?;
    Ok(DocNumberBlock {
        request_id: r.request_id.to_owned(),
        unit_id: office.unit_id,
        office_name: office.office_name.clone(),
        abbreviation: office.abbreviation.clone(),
        year: r.year,
        first: u32::try_from(first).unwrap_or(u32::MAX),
        last: u32::try_from(last).unwrap_or(u32::MAX),
        reserved_at: r.at.to_owned(),
    })
}
