//! The sync endpoints: a streamed snapshot of the caller's jurisdiction and a paged change feed.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use hcp_protocol::{Counts, EntityRow, ErrorBody, PullResponse, SnapshotLine};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::AuthUser;
use crate::db::{
    case_events, cases, changes, integrity_flags, org_units, ratings, service_items, settings, staff, users, Conn,
    DbError, DbResult,
};
use crate::error::{ApiResult, AppError, Json, Query};
use crate::AppState;

/// Bytes gathered before a chunk goes onto the wire.
const CHUNK: usize = 64 * 1024;

/// How long a chunk may wait for a client that does not read.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Writes NDJSON lines into chunks and hands them to the response body.
struct LineSink {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    runtime: tokio::runtime::Handle,
}

impl LineSink {
    fn line(&mut self, line: &SnapshotLine) -> DbResult<()> {
        serde_json::to_writer(&mut self.buf, line).map_err(|e| DbError::Corrupt(e.to_string()))?;
        self.buf.push(b'\n');
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn row(&mut self, row: EntityRow) -> DbResult<()> {
        self.line(&SnapshotLine::Row { row })
    }

    fn flush(&mut self) -> DbResult<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        // A client that hung up, or stopped reading for a minute, ends the snapshot: the read
        // transaction (and its hold on the WAL) must not outlive an idle connection.
        let tx = self.tx.clone();
        let sent = self.runtime.block_on(async move { tokio::time::timeout(SEND_TIMEOUT, tx.send(Ok(chunk))).await });
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(DbError::Join("client disconnected".into())),
            Err(_) => Err(DbError::Join("client stopped reading".into())),
        }
    }
}

/// Streams every row of one scope, in one read transaction so the rows and the cursor agree.
fn stream_snapshot(tx: &Conn<'_>, scope: &str, sink: &mut LineSink) -> DbResult<()> {
    let upper = format!("{scope}~");
    let cursor = changes::head(tx)?;
    let expected = Counts {
        org_unit: org_units::count_in_scope(tx, scope, &upper)?,
        staff: changes::count_in_scope(tx, "staff", scope, &upper)?,
        user: users::count_in_scope(tx, scope, &upper)?,
        rating: changes::count_in_scope(tx, "ratings", scope, &upper)?,
        case: changes::count_in_scope(tx, "cases", scope, &upper)?,
        case_event: changes::count_in_scope(tx, "case_events", scope, &upper)?,
        service_item: changes::count_in_scope(tx, "service_items", scope, &upper)?,
        setting: settings::count_in_scope(tx, scope, &upper)?,
        integrity_flag: changes::count_in_scope(tx, "integrity_flags", scope, &upper)?,
    };
    sink.line(&SnapshotLine::Begin { scope_path: scope.to_owned(), expected })?;
    let mut counts = Counts::default();
    org_units::in_scope(tx, scope, &upper, |r| {
        counts.org_unit += 1;
        sink.row(EntityRow::OrgUnit(r))
    })?;
    staff::in_scope(tx, scope, &upper, |r| {
        counts.staff += 1;
        sink.row(EntityRow::Staff(r))
    })?;
    users::rows_in_scope(tx, scope, &upper, |r| {
        counts.user += 1;
        sink.row(EntityRow::User(r))
    })?;
    ratings::in_scope(tx, scope, &upper, |r| {
        counts.rating += 1;
        sink.row(EntityRow::Rating(r))
    })?;
    cases::in_scope(tx, scope, &upper, |r| {
        counts.case += 1;
        sink.row(EntityRow::Case(r))
    })?;
    case_events::in_scope(tx, scope, &upper, |r| {
        counts.case_event += 1;
        sink.row(EntityRow::CaseEvent(r))
    })?;
    service_items::in_scope(tx, scope, &upper, |r| {
        counts.service_item += 1;
        sink.row(EntityRow::ServiceItem(r))
    })?;
    settings::in_scope(tx, scope, &upper, |r| {
        counts.setting += 1;
        sink.row(EntityRow::Setting(r))
    })?;
    integrity_flags::in_scope(tx, scope, &upper, |r| {
        counts.integrity_flag += 1;
        sink.row(EntityRow::IntegrityFlag(r))
    })?;
    sink.line(&SnapshotLine::End { cursor, counts })?;
    sink.flush()
}

/// The caller's whole jurisdiction as NDJSON (`application/x-ndjson`, gzip when accepted):
/// a `begin` line, one `row` line per row, and an `end` line with the cursor and counts.
#[utoipa::path(get, path = "/api/v1/sync/snapshot", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "NDJSON stream of SnapshotLine", content_type = "application/x-ndjson", body = SnapshotLine),
              (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn snapshot(State(state): State<AppState>, who: AuthUser) -> ApiResult<Response> {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let scope = who.user.scope_path.clone();
    let db = state.db.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut sink = LineSink { buf: Vec::with_capacity(CHUNK + 4096), tx: tx.clone(), runtime };
        let res = db.read_blocking(|c| stream_snapshot(c, &scope, &mut sink));
        if let Err(e) = res {
            tracing::warn!(error = %e, "snapshot stream ended early");
            // Breaking the body tells the client the stream is incomplete (no `end` line either).
            let _ = tx.blocking_send(Err(std::io::Error::other("snapshot failed")));
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(ReceiverStream::new(rx)))
        .map_err(AppError::internal)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PullParams {
    /// The cursor from the snapshot's `end` line or the previous pull.
    pub after: i64,
    /// At most this many changes (default and maximum set by the server).
    pub limit: Option<usize>,
}

/// Changes in the caller's jurisdiction after a cursor, oldest first.
#[utoipa::path(get, path = "/api/v1/sync/pull", tag = "sync", security(("bearer" = [])), params(PullParams),
    responses((status = 200, body = PullResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pull(
    State(state): State<AppState>,
    who: AuthUser,
    Query(p): Query<PullParams>,
) -> ApiResult<Json<PullResponse>> {
    if p.after < 0 {
        return Err(AppError::invalid("after 不能为负数"));
    }
    let limit = p.limit.unwrap_or(state.config.pull_max).clamp(1, state.config.pull_max);
    let scope = who.user.scope_path.clone();
    let after = p.after;
    let (changes, cursor, has_more) =
        state.db.read(move |c| changes::page(c, &scope, &format!("{scope}~"), after, limit)).await?;
    Ok(Json(PullResponse { changes, cursor, has_more }))
}
