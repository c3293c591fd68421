//! `awards`: confirmed 服务明星 / 办事能手 of the jurisdiction's staff, as the server recorded them.

use hcp_domain::merit::AwardKind;
use hcp_protocol::AwardRow;
use rusqlite::{params, Connection, Row};

use crate::Result;

pub const DDL: &str = "
CREATE TABLE awards (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,
    period            TEXT NOT NULL,
    staff_id          INTEGER NOT NULL,
    staff_name        TEXT NOT NULL,
    employee_no       TEXT NOT NULL,
    unit_id           INTEGER NOT NULL,
    unit_path         TEXT NOT NULL,
    league_path       TEXT NOT NULL,
    score             REAL NOT NULL,
    sample_size       INTEGER NOT NULL,
    satisfied         INTEGER NOT NULL,
    reason            TEXT NOT NULL,
    confirmed_by      INTEGER NOT NULL,
    confirmed_by_name TEXT NOT NULL,
    confirmed_at      TEXT NOT NULL
);
CREATE INDEX awards_period ON awards(period, unit_path);
";

const COLS: &str = "id, kind, period, staff_id, staff_name, employee_no, unit_id, unit_path, league_path, score,
    sample_size, satisfied, reason, confirmed_by, confirmed_by_name, confirmed_at";

pub fn upsert(conn: &Connection, r: &AwardRow) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO awards ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
        r.id,
        r.kind.as_str(),
        r.period,
        r.staff_id,
        r.staff_name,
        r.employee_no,
        r.unit_id,
        r.unit_path,
        r.league_path,
        r.score,
        r.sample_size,
        r.satisfied,
        r.reason,
        r.confirmed_by,
        r.confirmed_by_name,
        r.confirmed_at
    ])?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<AwardRow> {
    let kind: String = r.get(1)?;
    let kind = AwardKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("awards.kind = '{kind}'").into(),
        )
    })?;
    Ok(AwardRow {
        id: r.get(0)?,
        kind,
        period: r.get(2)?,
        staff_id: r.get(3)?,
        staff_name: r.get(4)?,
        employee_no: r.get(5)?,
        unit_id: r.get(6)?,
        unit_path: r.get(7)?,
        league_path: r.get(8)?,
        score: r.get(9)?,
        sample_size: r.get(10)?,
        satisfied: r.get(11)?,
        reason: r.get(12)?,
        confirmed_by: r.get(13)?,
        confirmed_by_name: r.get(14)?,
        confirmed_at: r.get(15)?,
    })
}

/// The awards of the period keys `periods` (`2026-11`, `2026-Q4`, `2026`) under `scope`, 服务明星
/// first, by name.
pub fn list(conn: &Connection, scope: &str, periods: &[String]) -> Result<Vec<AwardRow>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM awards WHERE period = ?1 AND unit_path >= ?2 AND unit_path < ?3 ORDER BY kind DESC, staff_name, id"
    ))?;
    let upper = format!("{scope}~");
    for p in periods {
        out.extend(stmt.query_map(params![p, scope, upper], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?);
    }
    Ok(out)
}
