//! The sync engine: talks to the central API and keeps the replica current.
//!
//! * [`Client`]: typed calls to the REST API; transport failures are [`SyncError::Network`]
//!   (retry later, automatically), everything else is typed.
//! * [`bootstrap`]: streams the jurisdiction snapshot into the replica in large committed chunks,
//!   resumes an interrupted download where it stopped, checks every attempt against its counts,
//!   and reports progress as it goes.
//! * [`pull`]: applies the change feed page by page, each page with its cursor in one transaction.
//! * [`image`]: for a large jurisdiction, [`bootstrap`] first copies the server's ready replica
//!   image instead of inserting the snapshot's rows, then pulls what changed since it was built.

pub mod attachments;
pub mod client;
pub mod image;

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use hcp_protocol::{ClientCommand, Counts, SnapshotLine, SnapshotQuery, SnapshotResume};
use hcp_replica::{Replica, ReplicaError, ResumePoint};
use serde::Serialize;

pub use client::Client;
/// The HTTP method of [`Client::send_json`].
pub use reqwest::Method;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached or the connection broke: retry later.
    #[error("无法连接服务器：{0}")]
    Network(String),
    /// Wrong user name or password.
    #[error("{0}")]
    AuthFailed(String),
    /// The token is no longer valid: the user must sign in again.
    #[error("{0}")]
    Unauthorized(String),
    /// The server refused or failed the request.
    #[error("服务器返回错误（{status}）：{message}")]
    Server { status: u16, code: hcp_protocol::ErrorCode, message: String },
    /// The server sent something this client cannot understand.
    #[error("服务器数据格式错误：{0}")]
    Protocol(String),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    #[error("本地同步任务失败：{0}")]
    Task(String),
}

impl SyncError {
    /// Transport failures are retried automatically; other errors need a person or a fix.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Network(_)) || matches!(self, SyncError::Server { status, .. } if *status >= 500)
    }
}

pub type Result<T> = std::result::Result<T, SyncError>;

/// Progress of a long sync, for progress bars.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Progress {
    /// `snapshot` while bootstrapping, `statistics` once the snapshot is in and the local
    /// statistics are being built, `importing` while a downloaded replica image is checked and
    /// written into the encrypted replica, `pull` while catching up.
    pub phase: &'static str,
    /// Rows of the snapshot held so far, counting those an interrupted attempt kept.
    pub rows: u64,
    /// Bytes downloaded by this attempt.
    pub bytes: u64,
    pub total_rows: Option<u64>,
    /// When this attempt resumes an interrupted one: the rows it had kept.
    pub resumed_from: Option<u64>,
}

/// How a bootstrap writes the snapshot.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// Rows per committed chunk: an interrupted download resumes after the last chunk.
    pub chunk_rows: u64,
    /// Use the server's ready replica image when it has one (see [`image`]); the streamed
    /// snapshot otherwise, and always when this is false.
    pub image: bool,
}

impl Default for BootstrapOptions {
    fn default() -> BootstrapOptions {
        BootstrapOptions { chunk_rows: 50_000, image: true }
    }
}

/// Changes per page pulled right after an image bootstrap.
const IMAGE_PULL_PAGE: usize = 5_000;

/// Rows per batch handed from the network reader to the database writer.
const BATCH: usize = 2_000;

fn lock(replica: &Mutex<Replica>) -> Result<std::sync::MutexGuard<'_, Replica>> {
    replica.lock().map_err(|_| SyncError::Task("replica lock poisoned".into()))
}

/// Whether a stream's `begin` line continues the interrupted bootstrap at `point`.
fn continues(point: Option<&ResumePoint>, scope: &str, resumed: Option<&SnapshotResume>) -> bool {
    match (point, resumed) {
        (Some(p), Some(r)) => {
            p.scope == scope && r.cursor == p.cursor && r.entity == p.entity && r.after_id == p.after_id
        }
        _ => false,
    }
}

/// Replaces the replica's content with the caller's jurisdiction (see [`bootstrap_with`]).
pub async fn bootstrap(
    client: &Client,
    token: &str,
    replica: Arc<Mutex<Replica>>,
    now: String,
    progress: impl Fn(Progress) + Send,
) -> Result<Counts> {
    bootstrap_with(client, token, replica, now, &BootstrapOptions::default(), progress).await
}

/// Replaces the replica's content with the caller's jurisdiction. `now` (RFC 3339) is recorded as
/// the bootstrap time. When the server keeps a ready replica image of the jurisdiction (a large
/// one) and no streamed bootstrap is half done, the image is copied in and the changes after its
/// cursor are pulled ([`image`]); a missing, other-version, replaced or corrupt image falls back
/// to the stream. The snapshot is committed in chunks with a place to resume from; the
/// replica counts as bootstrapped (it has a cursor) only once the whole snapshot is in and its
/// counts match. A bootstrap after an interrupted one asks the server for the rest only, and the
/// replica then pulls from the first attempt's cursor, so changes made in between are applied.
/// Returns the rows the snapshot brought (from an image: the image's rows, before the pull after it).
pub async fn bootstrap_with(
    client: &Client,
    token: &str,
    replica: Arc<Mutex<Replica>>,
    now: String,
    opts: &BootstrapOptions,
    progress: impl Fn(Progress) + Send,
) -> Result<Counts> {
    let point = {
        let r = replica.clone();
        tokio::task::spawn_blocking(move || lock(&r)?.resume_point().map_err(SyncError::from))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??
    };
    let query = point.as_ref().map_or_else(SnapshotQuery::default, |p| {
        SnapshotQuery::resume(&p.scope, &SnapshotResume { cursor: p.cursor, entity: p.entity, after_id: p.after_id })
    });
    if let Some(p) = &point {
        tracing::info!(rows = p.rows(), entity = p.entity.as_str(), "resuming an interrupted bootstrap");
    } else if opts.image {
        match image::bootstrap_from_image(client, token, replica.clone(), &now, &progress).await? {
            image::ImageBootstrap::Imported { counts, cursor, .. } => {
                // What changed since the image was built.
                match pull(client, token, replica.clone(), IMAGE_PULL_PAGE).await {
                    Ok(n) => tracing::info!(changes = n, after = cursor, "changes after the replica image applied"),
                    // The replica is bootstrapped; the next sync pulls again.
                    Err(e) if e.is_transient() => tracing::warn!(error = %e, "the pull after the replica image failed"),
                    Err(e) => return Err(e),
                }
                return Ok(counts);
            }
            image::ImageBootstrap::Skipped(why) => tracing::debug!(?why, "no replica image: streaming the snapshot"),
        }
    }
    let response = client.snapshot_from(token, &query).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SnapshotLine>>(4);
    let (building_tx, mut building_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    // The snapshot is written through its own connection, so the app keeps reading (and the user
    // keeps working) on the shared one between chunks and until the new state commits.
    let mut own = lock(&replica)?.reopen()?;
    let chunk_rows = opts.chunk_rows;
    let writer_point = point.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<Option<Counts>> {
        let guard = &mut own;
        // Time spent waiting for rows: where a bootstrap's time goes (writer or download).
        let waited = std::cell::Cell::new(std::time::Duration::ZERO);
        let started = std::time::Instant::now();
        let mut lines = std::iter::from_fn(|| {
            let t = std::time::Instant::now();
            let batch = rx.blocking_recv();
            waited.set(waited.get() + t.elapsed());
            batch
        })
        .flatten();
        let mut boot = match lines.next() {
            None => return Ok(None),
            Some(SnapshotLine::Begin { scope_path, expected, cursor, resumed, window }) => {
                let mut boot = if continues(writer_point.as_ref(), &scope_path, resumed.as_ref()) {
                    let p = writer_point.as_ref().ok_or_else(|| SyncError::Task("resume point vanished".into()))?;
                    guard.resume_bootstrap(p, chunk_rows)?
                } else {
                    match cursor {
                        Some(c) => guard.begin_resumable_bootstrap(&scope_path, c, chunk_rows)?,
                        // An older server: one transaction, as before.
                        None => guard.begin_bootstrap(&scope_path)?,
                    }
                };
                boot.expect(&expected);
                if let Some(w) = &window {
                    boot.set_window(w)?;
                }
                boot
            }
            Some(_) => return Err(SyncError::Protocol("快照缺少开始标记".into())),
        };
        for line in lines {
            match line {
                SnapshotLine::Row { row } => boot.insert(&row)?,
                SnapshotLine::End { cursor, counts } => {
                    tracing::debug!(
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        waited_ms = waited.get().as_millis() as u64,
                        "snapshot rows written"
                    );
                    let total = boot.total();
                    let finished = boot.finish_with(cursor, &counts, &now, || {
                        let _ = building_tx.send(());
                    });
                    return match finished {
                        Ok(()) => Ok(Some(total)),
                        Err(e) => {
                            if matches!(e, hcp_replica::ReplicaError::CountMismatch(_)) {
                                // Do not go on from a place that led to a mismatch: start afresh next time.
                                tracing::warn!(error = %e, "bootstrap counts do not match");
                                guard.discard_resume_point()?;
                            }
                            Err(e.into())
                        }
                    };
                }
                SnapshotLine::Begin { .. } => return Err(SyncError::Protocol("快照包含重复的开始标记".into())),
            }
        }
        // The stream ended without its trailer: keep what arrived for the next attempt (in chunks
        // mode; otherwise everything rolls back).
        if let Some(kept) = boot.keep_partial()? {
            tracing::info!(rows = kept.rows(), "an interrupted bootstrap kept its rows for the next attempt");
        }
        Ok(None)
    });

    let read = async {
        let mut stream = response.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut p = Progress { phase: "snapshot", ..Progress::default() };
        let mut failure = None;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    failure = Some(SyncError::Network(format!("快照下载中断：{e}")));
                    break;
                }
            };
            p.bytes += chunk.len() as u64;
            buf.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
                let line = &buf[start..start + nl];
                start += nl + 1;
                if line.is_empty() {
                    continue;
                }
                let parsed = match SnapshotLine::from_json(line) {
                    Ok(l) => l,
                    Err(e) => {
                        failure = Some(SyncError::Protocol(format!("快照行无法解析：{e}")));
                        break;
                    }
                };
                match &parsed {
                    SnapshotLine::Begin { scope_path, expected, resumed, .. } => {
                        let base = if continues(point.as_ref(), scope_path, resumed.as_ref()) {
                            point.as_ref().map_or(0, ResumePoint::rows)
                        } else {
                            0
                        };
                        p.rows = base;
                        p.resumed_from = (base > 0).then_some(base);
                        p.total_rows = Some(base + expected.total());
                        progress(p.clone());
                    }
                    SnapshotLine::Row { .. } => p.rows += 1,
                    SnapshotLine::End { .. } => {}
                }
                batch.push(parsed);
                if batch.len() >= BATCH {
                    if tx.send(std::mem::take(&mut batch)).await.is_err() {
                        return Ok(p);
                    }
                    progress(p.clone());
                }
            }
            buf.drain(..start);
            if failure.is_some() {
                break;
            }
        }
        // What arrived before a break still goes to the writer, which keeps it for the next attempt.
        if !batch.is_empty() {
            let _ = tx.send(batch).await;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        progress(p.clone());
        Ok::<Progress, SyncError>(p)
    };
    let read_result = read.await;
    drop(tx);
    // The writer tells when the rows are checked and the statistics are being built.
    let mut writer = writer;
    let written = loop {
        tokio::select! {
            Some(()) = building_rx.recv() => {
                if let Ok(p) = &read_result {
                    progress(Progress { phase: "statistics", ..p.clone() });
                }
            }
            w = &mut writer => break w,
        }
    };
    let written = written.map_err(|e| SyncError::Task(e.to_string()))?;
    // A writer error explains more than the reader's view of the broken stream.
    let counts = written?;
    read_result?;
    counts.ok_or_else(|| SyncError::Network("快照传输不完整，将自动重试".into()))
}

/// Pulls and applies every change after the replica's cursor. Returns the number of changes applied.
pub async fn pull(client: &Client, token: &str, replica: Arc<Mutex<Replica>>, page: usize) -> Result<u64> {
    let mut applied = 0;
    loop {
        let after = {
            let r = replica.clone();
            tokio::task::spawn_blocking(move || lock(&r)?.cursor().map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))??
        };
        let Some(after) = after else {
            return Err(SyncError::Protocol("本地数据尚未初始化，无法增量同步".into()));
        };
        let resp = client.pull(token, after, page).await?;
        applied += resp.changes.len() as u64;
        let more = resp.has_more;
        // A page that states a window goes to the replica, which checks whether the window moved.
        if !resp.changes.is_empty() || resp.cursor != after || resp.window.is_some() {
            let r = replica.clone();
            let kept = tokio::task::spawn_blocking(move || {
                lock(&r)?.apply_page(&resp.changes, resp.cursor, resp.window.as_ref()).map_err(SyncError::from)
            })
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
            if !kept {
                // The window now starts earlier than the rows held: the next sync downloads again.
                return Ok(applied);
            }
        }
        if !more {
            return Ok(applied);
        }
    }
}

/// Document numbers reserved at a time when a laptop tops up its office's block.
pub const DOC_NUMBER_BLOCK: u32 = 10;
/// A sync tops the block up when fewer numbers than this are left.
pub const DOC_NUMBER_LOW_WATER: u32 = 5;

/// One step of a reservation on the replica (on the blocking pool): the reservation to send, if any.
type ReservationStep = Box<
    dyn FnOnce(
            &mut Replica,
        ) -> std::result::Result<Option<hcp_replica::tables::notices::PendingReservation>, ReplicaError>
        + Send,
>;

/// Makes sure the laptop holds at least `at_least` unused document numbers (文号) of the office
/// `unit_id` for each of `years`, reserving a block from the server where it holds fewer (at
/// least [`DOC_NUMBER_BLOCK`], at most 50). A reservation whose answer was lost is sent again
/// with the same request id first, so it never costs a second block. Returns the numbers
/// reserved. A refusal (4xx) forgets the reservation and is returned as [`SyncError::Server`].
pub async fn top_up_doc_numbers(
    client: &Client,
    token: &str,
    replica: Arc<Mutex<Replica>>,
    unit_id: i64,
    years: &[i32],
    at_least: u32,
) -> Result<u32> {
    use hcp_replica::tables::notices::PendingReservation;
    let mut reserved = 0;
    let run = |f: ReservationStep| {
        let r = replica.clone();
        async move {
            tokio::task::spawn_blocking(move || f(&mut *lock(&r)?).map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))?
        }
    };
    let mut queue: Vec<Option<i32>> = vec![None];
    queue.extend(years.iter().copied().map(Some));
    for year in queue {
        // `None`: a reservation sent earlier whose answer never came; else the year to check.
        let pending = match year {
            None => run(Box::new(|r| r.pending_reservation())).await?,
            Some(year) => {
                run(Box::new(move |r| {
                    let left = r.doc_numbers_left(unit_id, year)?;
                    if left >= at_least {
                        return Ok(None);
                    }
                    let count = (at_least - left).clamp(DOC_NUMBER_BLOCK, 50);
                    let p = PendingReservation { request_id: uuid::Uuid::now_v7().to_string(), unit_id, year, count };
                    r.begin_reservation(&p)?;
                    Ok(Some(p))
                }))
                .await?
            }
        };
        let Some(p) = pending else { continue };
        let req = hcp_protocol::DocNumberReserveRequest {
            request_id: p.request_id.clone(),
            unit_id: p.unit_id,
            year: p.year,
            count: p.count,
        };
        match client.reserve_doc_numbers(token, &req).await {
            Ok(block) => {
                reserved += block.last + 1 - block.first;
                tracing::info!(first = block.first, last = block.last, "document numbers reserved");
                run(Box::new(move |r| r.store_number_block(&block).map(|()| None))).await?;
            }
            Err(e @ SyncError::Server { status, .. }) if (400..500).contains(&status) => {
                run(Box::new(|r| r.drop_reservation().map(|()| None))).await?;
                // An old reservation the server no longer accepts (the user moved office) is
                // forgotten; a refusal of the one asked for now is the caller's to explain.
                if year.is_some() {
                    return Err(e);
                }
                tracing::info!(error = %e, "an earlier reservation of document numbers was refused and dropped");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(reserved)
}

/// Commands per push request.
pub const PUSH_BATCH: usize = 200;

/// Sends one command that goes on its own (see [`ClientCommand::sent_alone`](hcp_protocol::ClientCommand::sent_alone)). The server's refusals settle it as
/// rejected; transport failures and server errors leave it pending.
async fn push_alone(client: &Client, token: &str, item: &hcp_replica::OutboxItem) -> Result<hcp_replica::Settlement> {
    use hcp_replica::Settlement;
    let unreadable = |e: serde_json::Error| Settlement::Rejected {
        command_id: item.command_id.clone(),
        code: hcp_protocol::ErrorCode::InvalidInput,
        message: format!("本地操作记录无法读取：{e}"),
    };
    use ClientCommand as C;
    let command = match C::read(&item.kind, &item.command) {
        Ok(c) => c,
        Err(e) => return Ok(unreadable(e)),
    };
    let command_id = item.command_id.clone();
    let sent = match command {
        C::SubmitSelfAssessment(s) => {
            let req = hcp_protocol::SelfAssessmentSubmitRequest {
                command_id,
                unit_id: s.unit_id,
                period: s.period,
                form: s.form,
            };
            client
                .send_json::<_, hcp_protocol::SelfAssessmentRow>(token, Method::POST, "/api/v1/self-assessments", &req)
                .await
                .map(drop)
        }
        C::ReviewSelfAssessment(r) => {
            let req =
                hcp_protocol::SelfAssessmentReviewRequest { command_id, decision: r.decision, comment: r.comment };
            let path = format!("/api/v1/self-assessments/{}/review", r.assessment_id);
            client.send_json::<_, hcp_protocol::SelfAssessmentRow>(token, Method::POST, &path, &req).await.map(drop)
        }
        C::ConfirmAward(a) => {
            let req = hcp_protocol::AwardRequest { command_id, kind: a.kind, period: a.period, staff_id: a.staff_id };
            client.send_json::<_, hcp_protocol::AwardRow>(token, Method::POST, "/api/v1/awards", &req).await.map(drop)
        }
        C::DecideFlag(v) => {
            let req = hcp_protocol::FlagDecisionRequest { command_id, verdict: v.verdict, note: v.note };
            client.decide_flag(token, v.flag_id, &req).await.map(drop)
        }
        // Case commands go in batches (`push_citing`), never here.
        C::Case(_) => {
            return Ok(Settlement::Rejected {
                command_id,
                code: hcp_protocol::ErrorCode::Internal,
                message: "本地操作记录的类型有误".into(),
            })
        }
    };
    match sent {
        Ok(()) => Ok(Settlement::Applied { command_id: item.command_id.clone(), case: None }),
        Err(SyncError::Server { status, code, message }) if (400..500).contains(&status) => {
            Ok(Settlement::Rejected { command_id: item.command_id.clone(), code, message })
        }
        Err(e) => Err(e),
    }
}

/// Sends the outbox in `client_seq` order and settles each answer locally. Business rejections are
/// kept in the outbox for the user; a transport failure leaves everything pending for the next try.
/// Returns (applied or duplicate, rejected).
pub async fn push(client: &Client, token: &str, client_id: &str, replica: Arc<Mutex<Replica>>) -> Result<(u64, u64)> {
    push_citing(client, token, client_id, replica, None).await
}

/// [`push`], with the evidence files each command cites (from `files`): a command goes with their
/// hashes in `attachments`, and waits, with every command after it, while a file it cites still
/// waits for its declaration (see [`attachments::declare_pending`]).
pub async fn push_citing(
    client: &Client,
    token: &str,
    client_id: &str,
    replica: Arc<Mutex<Replica>>,
    files: Option<attachments::Files>,
) -> Result<(u64, u64)> {
    use hcp_protocol::{CommandEnvelope, CommandStatus, PushRequest};
    use hcp_replica::Settlement;
    let (mut applied, mut rejected) = (0, 0);
    loop {
        // What this round sends is claimed (an attempt counted) in the transaction that reads it:
        // a command the user cancels before that is never sent, and one claimed can no longer be
        // cancelled. Verdicts on integrity flags, award confirmations and self-assessment steps go
        // one by one, in their place in the order.
        let (batch, mut cited) = {
            let (r, files) = (replica.clone(), files.clone());
            tokio::task::spawn_blocking(move || {
                let mut cited = std::collections::HashMap::new();
                // Always the replica first, then the file store (the app issues commands so).
                let mut replica = lock(&r)?;
                let files = files.as_ref().map(|f| attachments::lock_files(f)).transpose()?;
                // A command citing a file whose declaration is not accepted yet stops the batch.
                let mut ready = |i: &hcp_replica::OutboxItem| match &files {
                    None => true,
                    Some(f) => match f.citation(&i.command_id) {
                        Ok(Some(shas)) => {
                            cited.insert(i.command_id.clone(), shas);
                            true
                        }
                        Ok(None) => false,
                        Err(e) => {
                            tracing::warn!(error = %e, "the files a command cites could not be read");
                            false
                        }
                    },
                };
                let batch = replica
                    .claim_pending(PUSH_BATCH, |batch| match batch.first() {
                        Some(first) if ClientCommand::sent_alone(&first.kind) => 1,
                        _ => batch.iter().take_while(|i| !ClientCommand::sent_alone(&i.kind) && ready(i)).count(),
                    })
                    .map_err(SyncError::from)?;
                Ok::<_, SyncError>((batch, cited))
            })
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??
        };
        if batch.is_empty() {
            return Ok((applied, rejected));
        }
        if let Some(first) = batch.first().filter(|i| ClientCommand::sent_alone(&i.kind)) {
            let settled = push_alone(client, token, first).await?;
            match &settled {
                hcp_replica::Settlement::Applied { .. } => applied += 1,
                hcp_replica::Settlement::Rejected { .. } => rejected += 1,
            }
            let r = replica.clone();
            tokio::task::spawn_blocking(move || lock(&r)?.settle(&[settled]).map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))??;
            continue;
        }
        let mut commands = Vec::with_capacity(batch.len());
        let mut settlements = Vec::new();
        for item in &batch {
            match item.client_command() {
                Ok(ClientCommand::Case(command)) => commands.push(CommandEnvelope {
                    command_id: item.command_id.clone(),
                    client_seq: Some(item.seq),
                    case_id: item.case_id,
                    base_version: item.base_version,
                    attachments: cited.remove(&item.command_id).unwrap_or_default(),
                    command,
                }),
                // A command this version cannot read any more: show it to the user as refused.
                Err(e) => settlements.push(Settlement::Rejected {
                    command_id: item.command_id.clone(),
                    code: hcp_protocol::ErrorCode::InvalidInput,
                    message: format!("本地操作记录无法读取：{e}"),
                }),
                // Never claimed into a batch (see `ClientCommand::sent_alone`).
                Ok(_) => settlements.push(Settlement::Rejected {
                    command_id: item.command_id.clone(),
                    code: hcp_protocol::ErrorCode::Internal,
                    message: "本地操作记录的类型有误".into(),
                }),
            }
        }
        let resp = client.push(token, &PushRequest { client_id: client_id.to_owned(), commands }).await?;
        for res in resp.results {
            match res.status {
                CommandStatus::Applied | CommandStatus::Duplicate => {
                    applied += 1;
                    settlements.push(Settlement::Applied { command_id: res.command_id, case: res.case.map(Box::new) });
                }
                CommandStatus::Rejected => {
                    rejected += 1;
                    settlements.push(Settlement::Rejected {
                        command_id: res.command_id,
                        code: res.code.unwrap_or(hcp_protocol::ErrorCode::Server),
                        message: res.message.unwrap_or_else(|| "服务器拒绝了该操作".into()),
                    });
                }
            }
        }
        let answered = settlements.len();
        let r = replica.clone();
        tokio::task::spawn_blocking(move || lock(&r)?.settle(&settlements).map_err(SyncError::from))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        if answered < batch.len() {
            return Err(SyncError::Protocol("服务器没有答复全部操作，将稍后重试".into()));
        }
    }
}

#[cfg(test)]
mod tests;
