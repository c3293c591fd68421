//! The sync endpoints: a streamed snapshot of the caller's jurisdiction and a paged change feed.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use hcp_domain::Role;
use hcp_protocol::{Counts, Entity, ErrorBody, PullResponse, SnapshotLine, SnapshotQuery, SnapshotResume};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::{AuthUser, Bearer};
use crate::db::{changes, rating_stats, snapshot, Conn, DbError, DbResult};
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

/// Where a resumed snapshot starts (validated query parameters).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResumeAt {
    cursor: i64,
    entity: Entity,
    after: i64,
}

/// Streams every row of one scope, in one read transaction so the rows and the cursor agree.
/// Entities go in the order of [`Entity::ALL`], each by id, so that `(entity, last id)` marks a
/// place to resume from. A resumed stream starts after that place and echoes the interrupted
/// attempt's cursor: the client pulls from there, re-applying whatever changed in between.
fn stream_snapshot(
    tx: &Conn<'_>,
    scope: &str,
    role: Role,
    resume: Option<ResumeAt>,
    today: chrono::NaiveDate,
    sink: &mut LineSink,
) -> DbResult<()> {
    snapshot_lines(tx, scope, role, resume, today, &mut |line| sink.line(&line))?;
    sink.flush()
}

/// The lines of the snapshot `role` gets of `scope` on the Beijing date `today` (which decides the
/// replication window; see [`rating_stats::window`]), handed to `out` one by one: the NDJSON
/// stream, and the replica images built from the same rows (`crate::replica_image`).
pub(crate) fn snapshot_lines(
    tx: &Conn<'_>,
    scope: &str,
    role: Role,
    resume: Option<ResumeAt>,
    today: chrono::NaiveDate,
    out: &mut dyn FnMut(SnapshotLine) -> DbResult<()>,
) -> DbResult<()> {
    let upper = format!("{scope}~");
    let window = rating_stats::window(tx, scope, today)?;
    let since = window.as_ref().map_or("", |w| w.since.as_str());
    let cursor = match resume {
        Some(r) => r.cursor,
        None => changes::head(tx)?,
    };
    let start = resume.and_then(|r| Entity::ALL.iter().position(|e| *e == r.entity)).unwrap_or(0);
    let after_of = |i: usize| if i == start { resume.map_or(0, |r| r.after) } else { 0 };
    let mut expected = Counts::default();
    for (i, e) in Entity::ALL.into_iter().enumerate().skip(start) {
        expected.add(e, snapshot::count(tx, e, scope, &upper, role, after_of(i), since)?);
    }
    out(SnapshotLine::Begin {
        scope_path: scope.to_owned(),
        expected: expected.clone(),
        cursor: Some(cursor),
        resumed: resume.map(|r| SnapshotResume { cursor: r.cursor, entity: r.entity, after_id: r.after }),
        window: window.clone(),
    })?;
    let mut counts = Counts::default();
    for (i, e) in Entity::ALL.into_iter().enumerate().skip(start) {
        snapshot::stream(tx, e, scope, &upper, role, after_of(i), since, expected.get(e), |row| {
            counts.add(e, 1);
            out(SnapshotLine::Row { row })
        })?;
    }
    out(SnapshotLine::End { cursor, counts })
}

/// Checks the resume parameters: none, or a cursor, scope and entity (`resume_after` defaults
/// to 0). A resume for another scope than the caller's is ignored: the whole snapshot follows.
fn resume_at(q: &SnapshotQuery, scope: &str) -> ApiResult<Option<ResumeAt>> {
    let any =
        q.resume_cursor.is_some() || q.resume_scope.is_some() || q.resume_entity.is_some() || q.resume_after.is_some();
    if !any {
        return Ok(None);
    }
    let (Some(cursor), Some(resume_scope), Some(entity)) = (q.resume_cursor, &q.resume_scope, &q.resume_entity) else {
        return Err(AppError::invalid("续传参数不完整：须同时给出 resume_cursor、resume_scope 和 resume_entity"));
    };
    let entity = Entity::parse(entity)
        .ok_or_else(|| AppError::invalid(format!("resume_entity 不是已知的数据类型：{entity}")))?;
    let after = q.resume_after.unwrap_or(0);
    if cursor < 0 || after < 0 {
        return Err(AppError::invalid("resume_cursor 和 resume_after 不能为负数"));
    }
    if resume_scope != scope {
        tracing::info!("a snapshot resume for another jurisdiction: sending the whole snapshot");
        return Ok(None);
    }
    Ok(Some(ResumeAt { cursor, entity, after }))
}

/// The caller's whole jurisdiction as NDJSON (`application/x-ndjson`, zstd or gzip as the client accepts):
/// a `begin` line, one `row` line per row, and an `end` line with the cursor and counts. With the
/// `resume_*` parameters, only what an interrupted attempt had not kept (see `SnapshotResume`).
#[utoipa::path(get, path = "/api/v1/sync/snapshot", tag = "sync", security(("bearer" = [])), params(SnapshotQuery),
    responses((status = 200, description = "NDJSON stream of SnapshotLine", content_type = "application/x-ndjson", body = SnapshotLine),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn snapshot(
    State(state): State<AppState>,
    who: AuthUser,
    Query(q): Query<SnapshotQuery>,
) -> ApiResult<Response> {
    let scope = who.user.scope_path.clone();
    let role = who.user.role;
    let resume = resume_at(&q, &scope)?;
    if let Some(r) = resume {
        let head = state.db.read(changes::head).await?;
        if r.cursor > head {
            return Err(AppError::invalid("resume_cursor 超出了服务器的变更位置，请重新完整同步"));
        }
        tracing::info!(entity = r.entity.as_str(), after = r.after, cursor = r.cursor, "resuming a snapshot");
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let db = state.db.clone();
    let runtime = tokio::runtime::Handle::current();
    let today = hcp_domain::calendar::beijing_date(state.clock.now());
    tokio::task::spawn_blocking(move || {
        let mut sink = LineSink { buf: Vec::with_capacity(CHUNK + 4096), tx: tx.clone(), runtime };
        let res = db.read_blocking(|c| stream_snapshot(c, &scope, role, resume, today, &mut sink));
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
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    who: Bearer,
    Query(p): Query<PullParams>,
) -> ApiResult<Json<PullResponse>> {
    if p.after < 0 {
        return Err(AppError::invalid("after 不能为负数"));
    }
    let limit = p.limit.unwrap_or(state.config.pull_max).clamp(1, state.config.pull_max);
    let after = p.after;
    let now = state.clock.now_rfc3339();
    let today = hcp_domain::calendar::beijing_date(state.clock.now());
    // The token is checked on the page's own connection, in the page's turn; on PostgreSQL the
    // statements run outside a transaction (see `Db::read_statements`).
    let page = state
        .db
        .read_statements(move |c| {
            let Some(user) = who.user(c, &now)? else { return Ok(None) };
            let scope = user.scope_path;
            let window = rating_stats::window(c, &scope, today)?;
            let since = window.as_ref().map_or("", |w| w.since.as_str());
            let (changes, cursor, has_more) =
                changes::page(c, &scope, &format!("{scope}~"), user.role, after, limit, since)?;
            Ok(Some(PullResponse { changes, cursor, has_more, window }))
        })
        .await?;
    page.map(Json).ok_or_else(crate::auth::session_ended)
}
