//! The sync engine: talks to the central API and keeps the replica current.
//!
//! * [`Client`]: typed calls to the REST API; transport failures are [`SyncError::Network`]
//!   (retry later, automatically), everything else is typed.
//! * [`bootstrap`]: streams the jurisdiction snapshot into a fresh replica inside one transaction,
//!   checks it against the trailer's counts, reports progress as it goes.
//! * [`pull`]: applies the change feed page by page, each page with its cursor in one transaction.

pub mod client;

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use hcp_protocol::{Counts, SnapshotLine};
use hcp_replica::{Replica, ReplicaError};
use serde::Serialize;

pub use client::Client;

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
    Server { status: u16, code: String, message: String },
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
    /// statistics are being built, `pull` while catching up.
    pub phase: &'static str,
    pub rows: u64,
    pub bytes: u64,
    pub total_rows: Option<u64>,
}

/// Rows per batch handed from the network reader to the database writer.
const BATCH: usize = 2_000;

fn lock(replica: &Mutex<Replica>) -> Result<std::sync::MutexGuard<'_, Replica>> {
    replica.lock().map_err(|_| SyncError::Task("replica lock poisoned".into()))
}

/// Replaces the replica's content with the caller's jurisdiction. `now` (RFC 3339) is recorded as
/// the bootstrap time. Nothing changes locally unless the whole snapshot arrives and its counts match.
pub async fn bootstrap(
    client: &Client,
    token: &str,
    replica: Arc<Mutex<Replica>>,
    now: String,
    progress: impl Fn(Progress) + Send,
) -> Result<Counts> {
    let response = client.snapshot(token).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SnapshotLine>>(4);
    // The snapshot is written through its own connection, so the app keeps reading (and the user
    // keeps working) on the shared one until the new state commits.
    let mut own = lock(&replica)?.reopen()?;
    let writer = tokio::task::spawn_blocking(move || -> Result<Option<Counts>> {
        let guard = &mut own;
        let mut lines = std::iter::from_fn(|| rx.blocking_recv()).flatten();
        let scope = match lines.next() {
            None => return Ok(None),
            Some(SnapshotLine::Begin { scope_path, .. }) => scope_path,
            Some(_) => return Err(SyncError::Protocol("快照缺少开始标记".into())),
        };
        let mut boot = guard.begin_bootstrap(&scope)?;
        for line in lines {
            match line {
                SnapshotLine::Row { row } => boot.insert(&row)?,
                SnapshotLine::End { cursor, counts } => {
                    boot.finish(cursor, &counts, &now)?;
                    return Ok(Some(counts));
                }
                SnapshotLine::Begin { .. } => return Err(SyncError::Protocol("快照包含重复的开始标记".into())),
            }
        }
        // The stream ended without its trailer: dropping `boot` rolls everything back.
        Ok(None)
    });

    let read = async {
        let mut stream = response.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut p = Progress { phase: "snapshot", ..Progress::default() };
        let mut complete = false;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| SyncError::Network(format!("快照下载中断：{e}")))?;
            p.bytes += chunk.len() as u64;
            buf.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|b| *b == b'\n') {
                let line = &buf[start..start + nl];
                start += nl + 1;
                if line.is_empty() {
                    continue;
                }
                let parsed: SnapshotLine =
                    serde_json::from_slice(line).map_err(|e| SyncError::Protocol(format!("快照行无法解析：{e}")))?;
                match &parsed {
                    SnapshotLine::Begin { expected, .. } => p.total_rows = Some(expected.total()),
                    SnapshotLine::Row { .. } => p.rows += 1,
                    SnapshotLine::End { .. } => complete = true,
                }
                batch.push(parsed);
                if batch.len() >= BATCH {
                    if tx.send(std::mem::take(&mut batch)).await.is_err() {
                        return Ok(());
                    }
                    progress(p.clone());
                }
            }
            buf.drain(..start);
        }
        if !batch.is_empty() {
            let _ = tx.send(batch).await;
        }
        if complete {
            // Everything is downloaded; the writer now builds the statistics aggregates and commits.
            p.phase = "statistics";
        }
        progress(p);
        Ok::<(), SyncError>(())
    };
    let read_result = read.await;
    drop(tx);
    let written = writer.await.map_err(|e| SyncError::Task(e.to_string()))?;
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
        if !resp.changes.is_empty() || resp.cursor != after {
            let r = replica.clone();
            tokio::task::spawn_blocking(move || {
                lock(&r)?.apply_changes(&resp.changes, resp.cursor).map_err(SyncError::from)
            })
            .await
            .map_err(|e| SyncError::Task(e.to_string()))??;
        }
        if !more {
            return Ok(applied);
        }
    }
}

/// Commands per push request.
pub const PUSH_BATCH: usize = 200;

/// The outbox kind of a verdict on an integrity flag: sent on its own to
/// `POST /api/v1/integrity/flags/{id}/decision`, in its place in `client_seq` order.
pub const DECIDE_FLAG: &str = "decide_flag";

/// A verdict on an integrity flag as the outbox holds it.
#[derive(Debug, serde::Deserialize)]
struct QueuedVerdict {
    flag_id: i64,
    verdict: hcp_domain::integrity::FlagVerdict,
    note: String,
}

/// Sends one queued verdict. The server's refusals (already decided, out of scope, …) settle it
/// as rejected; transport failures and server errors leave it pending.
async fn push_verdict(client: &Client, token: &str, item: &hcp_replica::OutboxItem) -> Result<hcp_replica::Settlement> {
    use hcp_replica::Settlement;
    let v: QueuedVerdict = match serde_json::from_str(&item.command) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Settlement::Rejected {
                command_id: item.command_id.clone(),
                code: "invalid_input".into(),
                message: format!("本地操作记录无法读取：{e}"),
            })
        }
    };
    let req =
        hcp_protocol::FlagDecisionRequest { command_id: item.command_id.clone(), verdict: v.verdict, note: v.note };
    match client.decide_flag(token, v.flag_id, &req).await {
        Ok(_) => Ok(Settlement::Applied { command_id: item.command_id.clone(), case: None }),
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
    use hcp_protocol::{CommandEnvelope, CommandStatus, PushRequest};
    use hcp_replica::Settlement;
    let (mut applied, mut rejected) = (0, 0);
    loop {
        let batch = {
            let r = replica.clone();
            tokio::task::spawn_blocking(move || lock(&r)?.pending(PUSH_BATCH).map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))??
        };
        if batch.is_empty() {
            return Ok((applied, rejected));
        }
        // Verdicts on integrity flags go one by one, in their place in the order.
        if let Some(first) = batch.first().filter(|i| i.kind == DECIDE_FLAG) {
            let ids = vec![first.command_id.clone()];
            let r = replica.clone();
            tokio::task::spawn_blocking(move || lock(&r)?.note_attempt(&ids).map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))??;
            let settled = push_verdict(client, token, first).await?;
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
        let batch: Vec<_> = batch.into_iter().take_while(|i| i.kind != DECIDE_FLAG).collect();
        let mut commands = Vec::with_capacity(batch.len());
        let mut settlements = Vec::new();
        for item in &batch {
            match serde_json::from_str(&item.command) {
                Ok(command) => commands.push(CommandEnvelope {
                    command_id: item.command_id.clone(),
                    client_seq: Some(item.seq),
                    case_id: item.case_id,
                    base_version: item.base_version,
                    command,
                }),
                // A command this version cannot read any more: show it to the user as refused.
                Err(e) => settlements.push(Settlement::Rejected {
                    command_id: item.command_id.clone(),
                    code: "invalid_input".into(),
                    message: format!("本地操作记录无法读取：{e}"),
                }),
            }
        }
        let ids: Vec<String> = commands.iter().map(|c| c.command_id.clone()).collect();
        {
            let r = replica.clone();
            let ids = ids.clone();
            tokio::task::spawn_blocking(move || lock(&r)?.note_attempt(&ids).map_err(SyncError::from))
                .await
                .map_err(|e| SyncError::Task(e.to_string()))??;
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
                        code: res.code.unwrap_or_else(|| "rejected".into()),
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
