//! `hotline_tickets`, `hotline_deliveries`, `hotline_attempts`: the outbox of the two-way link
//! with the 12345 hotline (see [`crate::hotline`]).
//!
//! - `hotline_tickets` keeps the hotline's ticket number of each case a 12345 complaint opened
//!   (written by the case workflow when it creates the case, in the same transaction).
//! - `hotline_deliveries` holds one callback per case event the hotline should know of
//!   ([`crate::hotline::reported`]), enqueued by the case workflow in the event's own transaction:
//!   an event is never reported without being recorded, nor recorded without being reported. The
//!   body is fixed when the event happens and sent unchanged on every attempt; the idempotency
//!   key is the event's id.
//! - `hotline_attempts` records every delivery attempt: when, the HTTP status or the error, and
//!   the beginning of the answer.

use super::{args, Conn, DbResult, Row};
use crate::hotline::{self, DeliveryState, HotlineCallback};
use hcp_domain::case::machine::EventPayload;
use hcp_protocol::CaseRow;

pub const DDL: &str = "
CREATE TABLE hotline_tickets (
    case_id    INTEGER PRIMARY KEY REFERENCES cases(id),
    ticket_no  TEXT NOT NULL
);
CREATE TABLE hotline_deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL UNIQUE REFERENCES case_events(id),
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    ticket_no       TEXT NOT NULL,
    event_kind      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    round_start     INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT
);
CREATE INDEX hotline_deliveries_due ON hotline_deliveries(status, next_attempt_at);
CREATE INDEX hotline_deliveries_ticket ON hotline_deliveries(ticket_no, id);
CREATE INDEX hotline_deliveries_case ON hotline_deliveries(case_id, id);
CREATE TABLE hotline_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES hotline_deliveries(id),
    at           TEXT NOT NULL,
    http_status  INTEGER,
    error        TEXT,
    excerpt      TEXT NOT NULL,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX hotline_attempts_delivery ON hotline_attempts(delivery_id, id);
";

/// Records the ticket number of a case a 12345 complaint opened.
pub fn record_ticket(conn: &Conn<'_>, case_id: i64, ticket_no: &str) -> DbResult<()> {
    conn.execute("INSERT INTO hotline_tickets (case_id, ticket_no) VALUES (?1, ?2)", args![case_id, ticket_no])?;
    Ok(())
}

/// The ticket number of a case, when a 12345 complaint opened it.
pub fn ticket_of(conn: &Conn<'_>, case_id: i64) -> DbResult<Option<String>> {
    conn.query_opt("SELECT ticket_no FROM hotline_tickets WHERE case_id = ?1", [case_id], |r| r.get(0))
}

fn unit_name(conn: &Conn<'_>, id: i64) -> DbResult<Option<String>> {
    conn.query_opt("SELECT name FROM org_units WHERE id = ?1", [id], |r| r.get(0))
}

/// Enqueues the callback of an event, in the caller's (the event's) transaction, when the case
/// came from the 12345 hotline with a ticket number and the hotline should know of this kind of
/// event. Returns the delivery's id, if one was enqueued.
pub fn enqueue(
    conn: &Conn<'_>,
    row: &CaseRow,
    event_id: i64,
    payload: &EventPayload,
    at: &str,
) -> DbResult<Option<i64>> {
    if row.source != hcp_domain::CaseSource::Hotline12345 || !hotline::reported(payload) {
        return Ok(None);
    }
    let Some(ticket_no) = ticket_of(conn, row.id)? else { return Ok(None) };
    // The unit working the case: the department it is assigned to, else the case's own unit.
    let handling_unit = match row.department_id {
        Some(d) => unit_name(conn, d)?,
        None => None,
    };
    let handling_unit = match handling_unit {
        Some(n) => n,
        None => unit_name(conn, row.unit_id)?.unwrap_or_default(),
    };
    let body = HotlineCallback::of(event_id, &ticket_no, row, payload, at, handling_unit);
    let text = serde_json::to_string(&body).map_err(|e| super::DbError::Corrupt(e.to_string()))?;
    let id = conn.insert(
        "INSERT INTO hotline_deliveries (event_id, case_id, ticket_no, event_kind, payload, status, next_attempt_at,
                                         created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6) RETURNING id",
        args![event_id, row.id, ticket_no, payload.kind(), text, at],
    )?;
    Ok(Some(id))
}

/// A delivery the worker is to attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub id: i64,
    pub event_id: i64,
    pub event_kind: String,
    pub payload: String,
    pub attempts: i64,
    pub round_start: i64,
}

/// Deliveries due at `now` (RFC 3339: never attempted, or retrying and their backoff over), oldest
/// first, at most `limit`: only those with nothing earlier of their ticket still undelivered, so
/// each ticket's events arrive in order (and the batch holds at most one delivery per ticket).
pub fn due(conn: &Conn<'_>, now: &str, limit: i64) -> DbResult<Vec<Due>> {
    conn.query_map(
        "SELECT d.id, d.event_id, d.event_kind, d.payload, d.attempts, d.round_start FROM hotline_deliveries d
          WHERE (d.status = 'pending' OR (d.status = 'retrying' AND d.next_attempt_at <= ?1))
            AND NOT EXISTS (SELECT 1 FROM hotline_deliveries e
                             WHERE e.ticket_no = d.ticket_no AND e.id < d.id AND e.status <> 'delivered')
          ORDER BY d.id LIMIT ?2",
        args![now, limit],
        |r| {
            Ok(Due {
                id: r.get(0)?,
                event_id: r.get(1)?,
                event_kind: r.get(2)?,
                payload: r.get(3)?,
                attempts: r.get(4)?,
                round_start: r.get(5)?,
            })
        },
    )
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptOutcome {
    pub at: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub excerpt: String,
    pub duration_ms: i64,
}

impl AttemptOutcome {
    /// A 2xx answer: delivered.
    pub fn delivered(&self) -> bool {
        self.http_status.is_some_and(|s| (200..300).contains(&s))
    }

    /// What the list shows as the last error (none once delivered).
    fn describe(&self) -> Option<String> {
        match (&self.error, self.http_status) {
            _ if self.delivered() => None,
            (Some(e), _) => Some(e.clone()),
            (None, Some(s)) => Some(format!("HTTP {s}")),
            (None, None) => Some("无应答".into()),
        }
    }
}

/// Records an attempt at delivery `d` and its consequence: delivered; or another attempt at
/// `retry_at`; or, with `retry_at` `None` (the round's attempts are spent), failed. Nothing
/// changes if the delivery left the state it was picked in meanwhile (it is recorded anyway).
pub fn record_attempt(
    conn: &Conn<'_>,
    d: &Due,
    outcome: &AttemptOutcome,
    retry_at: Option<&str>,
) -> DbResult<DeliveryState> {
    conn.execute(
        "INSERT INTO hotline_attempts (delivery_id, at, http_status, error, excerpt, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![
            d.id,
            &outcome.at,
            outcome.http_status.map(i64::from),
            outcome.error.clone(),
            &outcome.excerpt,
            outcome.duration_ms
        ],
    )?;
    let state = if outcome.delivered() {
        DeliveryState::Delivered
    } else if retry_at.is_some() {
        DeliveryState::Retrying
    } else {
        DeliveryState::Failed
    };
    conn.execute(
        "UPDATE hotline_deliveries
            SET attempts = attempts + 1, status = ?2, next_attempt_at = coalesce(?3, next_attempt_at),
                delivered_at = ?4, last_status = ?5, last_error = ?6
          WHERE id = ?1 AND status IN ('pending', 'retrying') AND attempts = ?7",
        args![
            d.id,
            state.as_str(),
            retry_at.map(str::to_owned),
            outcome.delivered().then(|| outcome.at.clone()),
            outcome.http_status.map(i64::from),
            outcome.describe(),
            d.attempts
        ],
    )?;
    Ok(state)
}

/// One recorded attempt, as administrators see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub at: String,
    /// The hotline's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// Why no answer came (timeout, refused connection…), or none.
    pub error: Option<String>,
    /// The first characters of the answer's body.
    pub excerpt: String,
    pub duration_ms: i64,
}

/// A callback to the hotline and how its delivery stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// The idempotency key sent with every attempt (`Idempotency-Key`).
    pub delivery_key: String,
    pub ticket_no: String,
    pub case_id: i64,
    pub case_no: String,
    /// The event reported, e.g. `assigned`, `closed`.
    pub event: String,
    pub status: DeliveryState,
    pub attempts: i64,
    /// When the next attempt is due (pending and retrying deliveries).
    pub next_attempt_at: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    /// The HTTP status of the last attempt, when the hotline answered.
    pub last_status: Option<u16>,
    /// What went wrong at the last attempt.
    pub last_error: Option<String>,
    /// An earlier delivery of the same ticket not yet delivered: this one waits for it.
    pub blocked_by: Option<i64>,
    /// The body sent, exactly.
    pub payload: HotlineCallback,
    /// The attempts, newest first (the last 20).
    pub attempt_log: Vec<Attempt>,
}

/// Which deliveries a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<DeliveryState>,
    /// Only ids below this (the next page).
    pub before: i64,
}

const LIST_COLS: &str = "d.id, d.event_id, d.ticket_no, d.case_id, c.case_no, d.event_kind, d.status, d.attempts,
    d.next_attempt_at, d.created_at, d.delivered_at, d.last_status, d.last_error, d.payload,
    (SELECT min(e.id) FROM hotline_deliveries e WHERE e.ticket_no = d.ticket_no AND e.id < d.id
                                                   AND e.status <> 'delivered')";

fn delivery(conn: &Conn<'_>, r: &Row) -> DbResult<Delivery> {
    let id: i64 = r.get(0)?;
    let event_id: i64 = r.get(1)?;
    let status: String = r.get(6)?;
    let payload: String = r.get(13)?;
    let last_status: Option<i64> = r.get(11)?;
    let attempt_log = conn.query_map(
        "SELECT at, http_status, error, excerpt, duration_ms FROM hotline_attempts WHERE delivery_id = ?1
          ORDER BY id DESC LIMIT 20",
        [id],
        |r| {
            let s: Option<i64> = r.get(1)?;
            Ok(Attempt {
                at: r.get(0)?,
                http_status: s.and_then(|s| u16::try_from(s).ok()),
                error: r.get(2)?,
                excerpt: r.get(3)?,
                duration_ms: r.get(4)?,
            })
        },
    )?;
    Ok(Delivery {
        id,
        delivery_key: hotline::delivery_key(event_id),
        ticket_no: r.get(2)?,
        case_id: r.get(3)?,
        case_no: r.get(4)?,
        event: r.get(5)?,
        status: super::parse_col(&status, "hotline_deliveries.status", DeliveryState::parse)?,
        attempts: r.get(7)?,
        next_attempt_at: r.get(8)?,
        created_at: r.get(9)?,
        delivered_at: r.get(10)?,
        last_status: last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: r.get(12)?,
        blocked_by: r.get(14)?,
        payload: serde_json::from_str(&payload).map_err(|e| super::DbError::Corrupt(format!("payload: {e}")))?,
        attempt_log,
    })
}

/// The deliveries of cases inside `[scope, upper)` (by the case's own unit), newest first.
pub fn list(conn: &Conn<'_>, scope: &str, upper: &str, filter: &Filter, limit: i64) -> DbResult<Vec<Delivery>> {
    let rows = conn.query_map(
        &format!(
            "SELECT {LIST_COLS} FROM hotline_deliveries d JOIN cases c ON c.id = d.case_id
              WHERE c.unit_path >= ?1 AND c.unit_path < ?2 AND d.id < ?3 AND (?4 = '' OR d.status = ?4)
              ORDER BY d.id DESC LIMIT ?5"
        ),
        args![scope, upper, filter.before, filter.status.map_or("", DeliveryState::as_str), limit],
        |r| Ok(r.clone()),
    )?;
    rows.iter().map(|r| delivery(conn, r)).collect()
}

/// How many deliveries of the scope are in each state.
pub fn counts(conn: &Conn<'_>, scope: &str, upper: &str) -> DbResult<Vec<(DeliveryState, i64)>> {
    let rows: Vec<(String, i64)> = conn.query_map(
        "SELECT d.status, count(*) FROM hotline_deliveries d JOIN cases c ON c.id = d.case_id
          WHERE c.unit_path >= ?1 AND c.unit_path < ?2 GROUP BY d.status",
        args![scope, upper],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    rows.into_iter()
        .map(|(s, n)| Ok((super::parse_col(&s, "hotline_deliveries.status", DeliveryState::parse)?, n)))
        .collect()
}

/// One delivery of the scope.
pub fn get(conn: &Conn<'_>, id: i64, scope: &str, upper: &str) -> DbResult<Option<Delivery>> {
    let row = conn.query_opt(
        &format!(
            "SELECT {LIST_COLS} FROM hotline_deliveries d JOIN cases c ON c.id = d.case_id
              WHERE d.id = ?1 AND c.unit_path >= ?2 AND c.unit_path < ?3"
        ),
        args![id, scope, upper],
        |r| Ok(r.clone()),
    )?;
    row.map(|r| delivery(conn, &r)).transpose()
}

/// Makes a failed or retrying delivery due at `now` with a fresh round of attempts (an
/// administrator's retry). Returns whether it changed.
pub fn retry(conn: &Conn<'_>, id: i64, now: &str) -> DbResult<bool> {
    let n = conn.execute(
        "UPDATE hotline_deliveries SET status = 'retrying', next_attempt_at = ?2, round_start = attempts
          WHERE id = ?1 AND status IN ('failed', 'retrying')",
        args![id, now],
    )?;
    Ok(n == 1)
}
