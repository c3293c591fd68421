//! `case_text`: a full-text index (FTS5, trigram tokenizer) over each case's number, service item
//! and summary, so the inbox search finds any substring of three or more characters — Chinese
//! included, where words have no spaces — without scanning every case. Kept in step with `cases`
//! by [`index`] / [`remove`], called wherever a case row is written or deleted.

use rusqlite::{params, Connection};

use crate::Result;

pub const DDL: &str = "
CREATE VIRTUAL TABLE case_text USING fts5(text, tokenize = 'trigram');
INSERT INTO case_text (rowid, text)
    SELECT id, case_no || ' ' || coalesce(item_name, '') || ' ' || summary FROM cases;
";

/// The shortest query the trigram index can answer; shorter ones scan.
pub const MIN_CHARS: usize = 3;

/// (Re)indexes one case.
pub fn index(conn: &Connection, id: i64, case_no: &str, item_name: Option<&str>, summary: &str) -> Result<()> {
    remove(conn, id)?;
    conn.prepare_cached("INSERT INTO case_text (rowid, text) VALUES (?1, ?2)")?
        .execute(params![id, format!("{case_no} {} {summary}", item_name.unwrap_or(""))])?;
    Ok(())
}

pub fn remove(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM case_text WHERE rowid = ?1")?.execute([id])?;
    Ok(())
}

/// An FTS5 query matching `text` as one literal phrase.
pub fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}
