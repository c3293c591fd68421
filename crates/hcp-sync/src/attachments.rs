//! Evidence files: the upload queue and the download on demand, over the encrypted local store
//! ([`hcp_replica::files::FileStore`]).
//!
//! The queue runs beside the outbox and resumes wherever it stopped:
//! 1. [`declare_pending`] registers each captured file on its case (`POST /api/v1/attachments`);
//!    the server checks the limits there, before any byte is sent. The outbox sends a command
//!    that cites a file only once its declaration is accepted ([`crate::push_citing`]).
//! 2. [`upload_pending`] asks which chunks the server holds, sends the missing ones, completes
//!    the file and, when the server asks (content first sent by another jurisdiction), proves
//!    possession with SHA-256(challenge ‖ file).
//!
//! Every server call is idempotent and every local step one transaction, so a crash or a broken
//! connection at any point loses nothing and duplicates nothing. A refusal (4xx) marks the file
//! failed with the server's reason, visible until the user retries or removes it; a transport
//! failure stops the round and leaves the file queued.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::StreamExt;
use hcp_protocol::{AttachmentDeclaration, AttachmentRow, AttachmentStatus, PossessionProof, UploadProgress};
use hcp_replica::files::{FileStore, Upload, CHUNK_SIZE};
use reqwest::Method;
use sha2::Digest;

use crate::{Client, Result, SyncError};

/// The local file store, shared by the app, the upload loop and the push.
pub type Files = Arc<Mutex<FileStore>>;

pub(crate) fn lock_files(files: &Mutex<FileStore>) -> Result<MutexGuard<'_, FileStore>> {
    files.lock().map_err(|_| SyncError::Task("file store lock poisoned".into()))
}

/// Runs `f` on the file store, on the blocking pool.
async fn on_files<T: Send + 'static>(
    files: &Files,
    f: impl FnOnce(&mut FileStore) -> hcp_replica::Result<T> + Send + 'static,
) -> Result<T> {
    let files = files.clone();
    tokio::task::spawn_blocking(move || f(&mut *lock_files(&files)?).map_err(SyncError::from))
        .await
        .map_err(|e| SyncError::Task(e.to_string()))?
}

/// Whether the server's answer settles the file as failed (a refusal a retry would not change
/// by itself) rather than leaving it queued.
fn refusal(e: &SyncError) -> Option<String> {
    match e {
        SyncError::Server { status, message, .. }
            if (400..500).contains(status) && *status != 408 && *status != 429 =>
        {
            Some(message.clone())
        }
        _ => None,
    }
}

/// Notes a failed step of `id`: a refusal fails the file (Ok: the queue goes on with the next
/// one); anything else is kept as the last error and returned (the round stops).
async fn settle(files: &Files, id: i64, e: SyncError) -> Result<()> {
    match refusal(&e) {
        Some(message) => on_files(files, move |f| f.note_error(id, &message, true)).await,
        None => {
            let message = e.to_string();
            on_files(files, move |f| f.note_error(id, &message, false)).await?;
            Err(e)
        }
    }
}

/// Reads the server's limits per file and per case into the store, where captures check them
/// (offline too). A server without the endpoint leaves the last known ones.
pub async fn refresh_limits(client: &Client, token: &str, files: &Files) -> Result<()> {
    match client.get_json::<hcp_protocol::AttachmentLimitsInfo>(token, "/api/v1/attachments/limits", &[]).await {
        Ok(l) => {
            let limits =
                hcp_replica::files::Limits { max_file_bytes: l.max_file_bytes, max_case_bytes: l.max_case_bytes };
            on_files(files, move |f| f.set_limits(&limits)).await
        }
        Err(SyncError::Server { status: 404, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Declares every queued file whose declaration the server has not accepted yet. Returns how
/// many were accepted now.
pub async fn declare_pending(client: &Client, token: &str, files: &Files, now: &str) -> Result<u32> {
    let pending = on_files(files, |f| f.pending_uploads()).await?;
    let mut declared = 0;
    for u in pending.into_iter().filter(|u| u.declared_at.is_none()) {
        let req =
            AttachmentDeclaration { case_id: u.case_id, sha256: u.sha256.clone(), name: u.name.clone(), size: u.size };
        match client.send_json::<_, AttachmentRow>(token, Method::POST, "/api/v1/attachments", &req).await {
            Ok(row) => {
                let (id, at) = (u.id, now.to_owned());
                on_files(files, move |f| f.set_declared(id, &at)).await?;
                declared += 1;
                if row.status == AttachmentStatus::Refused {
                    let note = row.note.clone();
                    on_files(files, move |f| f.note_error(id, &note, true)).await?;
                }
            }
            Err(e) => settle(files, u.id, e).await?,
        }
    }
    Ok(declared)
}

/// Sends every queued file: declarations first, then the chunks the server lacks, then the
/// completion (and the possession proof when asked). `progress` is called after each chunk.
/// Returns how many files the server now holds.
pub async fn upload_pending(
    client: &Client,
    token: &str,
    files: &Files,
    now: &str,
    cache_cap: i64,
    progress: impl Fn() + Send + Sync,
) -> Result<u32> {
    declare_pending(client, token, files, now).await?;
    let pending = on_files(files, |f| f.pending_uploads()).await?;
    let mut done = 0;
    let mut sent = BTreeSet::new();
    for u in pending.into_iter().filter(|u| u.declared_at.is_some()) {
        // The same content on two cases is sent once; the second only settles.
        let first = sent.insert(u.sha256.clone());
        match upload_one(client, token, files, &u, first, &progress).await {
            Ok(true) => {
                let (id, at) = (u.id, now.to_owned());
                on_files(files, move |f| f.upload_done(id, &at, cache_cap)).await?;
                done += 1;
                progress();
            }
            Ok(false) => progress(),
            Err(e) => {
                settle(files, u.id, e).await?;
                progress();
            }
        }
    }
    Ok(done)
}

/// Sends one file. Ok(true) when the server holds it whole (and the caller's jurisdiction may
/// read it); Ok(false) when it was refused and marked failed.
async fn upload_one(
    client: &Client,
    token: &str,
    files: &Files,
    u: &Upload,
    send_chunks: bool,
    progress: &(impl Fn() + Send + Sync),
) -> Result<bool> {
    let base = format!("/api/v1/attachments/{}", u.sha256);
    let mut p: UploadProgress = client.get_json(token, &format!("{base}/chunks"), &[]).await?;
    // Bounded: pending → chunks → complete → proof, with one more round for a lost answer.
    for _ in 0..4 {
        match p.status {
            AttachmentStatus::Refused => {
                let (id, note) = (u.id, p.note.clone());
                on_files(files, move |f| f.note_error(id, &note, true)).await?;
                return Ok(false);
            }
            AttachmentStatus::Complete => {
                let Some(challenge) = p.challenge.clone() else { return Ok(true) };
                let (sha, ch) = (u.sha256.clone(), challenge.clone());
                let Some(proof) = on_files(files, move |f| f.proof(&sha, &ch)).await? else {
                    return Err(SyncError::Task("本机已没有该文件的内容，无法证明持有".into()));
                };
                p = client
                    .send_json(token, Method::POST, &format!("{base}/proof"), &PossessionProof { challenge, proof })
                    .await?;
                if p.challenge.is_none() && p.status == AttachmentStatus::Complete {
                    return Ok(true);
                }
            }
            AttachmentStatus::Pending => {
                if send_chunks && !send_missing(client, token, files, u, &p, progress).await? {
                    let id = u.id;
                    on_files(files, move |f| f.note_error(id, "本机保存的文件内容已缺失，请移除后重新添加", true))
                        .await?;
                    return Ok(false);
                }
                p = client.send_json(token, Method::POST, &format!("{base}/complete"), &serde_json::json!({})).await?;
            }
        }
    }
    Err(SyncError::Protocol("上传未能完成，将稍后重试".into()))
}

/// How many chunks are on their way at once: the next one is read from the store and sent
/// while the server stores the one before.
const CHUNKS_IN_FLIGHT: usize = 2;

/// Sends the chunks the server lacks (`p.received` names those it holds), a few at a time, and
/// counts them as they are acknowledged. False when the store no longer holds the content.
async fn send_missing(
    client: &Client,
    token: &str,
    files: &Files,
    u: &Upload,
    p: &UploadProgress,
    progress: &(impl Fn() + Send + Sync),
) -> Result<bool> {
    let held: BTreeSet<i64> = p.received.iter().copied().collect();
    let mut count = held.len() as i64;
    let sha = u.sha256.clone();
    on_files(files, move |f| f.set_uploaded(&sha, count)).await?;
    let (chunk_size, size) = (p.chunk_size, u.size);
    let sends = futures_util::stream::iter((0..p.chunks).filter(|i| !held.contains(i)))
        .map(|i| {
            let sha = u.sha256.clone();
            async move {
                let (offset, path) = (i * chunk_size, format!("/api/v1/attachments/{sha}/chunks/{i}"));
                let len = chunk_size.min(size - offset);
                let Some(bytes) = on_files(files, move |f| f.read_range(&sha, offset, len)).await? else {
                    return Ok(None);
                };
                let answer: UploadProgress = client.put_bytes(token, &path, bytes).await?;
                Ok::<_, SyncError>(Some(answer.received.len() as i64))
            }
        })
        .buffered(CHUNKS_IN_FLIGHT);
    futures_util::pin_mut!(sends);
    while let Some(sent) = sends.next().await {
        let Some(n) = sent? else { return Ok(false) };
        // Answers to chunks in flight together may count in either order.
        count = count.max(n);
        let sha = u.sha256.clone();
        on_files(files, move |f| f.set_uploaded(&sha, count)).await?;
        progress();
    }
    Ok(true)
}

/// The bytes of a file, from the local store when held, else downloaded (resuming a download
/// an earlier attempt began, `Range`), checked against its SHA-256 and cached encrypted (the
/// cache trimmed to `cache_cap` bytes).
///
/// The download is hashed as it arrives while a writer on the blocking pool stores each whole
/// chunk (one transaction each: a broken connection keeps them to resume from), so receiving,
/// hashing and encrypting overlap; the bytes in hand are returned, not read back.
pub async fn fetch(
    client: &Client,
    token: &str,
    files: &Files,
    sha256: &str,
    size: i64,
    now: &str,
    cache_cap: i64,
) -> Result<Vec<u8>> {
    let (sha, at) = (sha256.to_owned(), now.to_owned());
    let held = on_files(files, move |f| f.download_start(&sha, size, &at)).await?;
    if held >= size {
        // Every byte is here (held, or from an attempt that ended before its check).
        let sha = sha256.to_owned();
        if !on_files(files, move |f| f.holds(&sha)).await? {
            let (sha, at) = (sha256.to_owned(), now.to_owned());
            if !on_files(files, move |f| f.download_finish(&sha, &at, cache_cap)).await? {
                return Err(mismatch());
            }
        }
        let (sha, at) = (sha256.to_owned(), now.to_owned());
        return on_files(files, move |f| f.read_all(&sha, &at))
            .await?
            .ok_or_else(|| SyncError::Task("缓存的文件已被清理，请重试".into()));
    }
    let sha = sha256.to_owned();
    let prefix = if held > 0 { on_files(files, move |f| f.read_range(&sha, 0, held)).await? } else { None };
    let from = prefix.as_ref().map_or(0, |p| p.len() as i64);
    let resp = client.get_from(token, &format!("/api/v1/attachments/{sha256}"), from).await?;
    let mut all: Vec<u8> = Vec::with_capacity(size.max(0) as usize);
    if resp.status() == reqwest::StatusCode::PARTIAL_CONTENT {
        all = prefix.unwrap_or_default();
    }
    let mut hasher = sha2::Sha256::new();
    hasher.update(&all);
    let mut stored = all.len();
    let (tx, rx) = tokio::sync::mpsc::channel::<(i64, Vec<u8>)>(8);
    let writer = {
        let (files, sha) = (files.clone(), sha256.to_owned());
        tokio::task::spawn_blocking(move || store_chunks(&files, &sha, rx))
    };
    let received = async {
        let mut stream = resp.bytes_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| SyncError::Network(format!("下载中断：{e}")))?;
            if (all.len() + piece.len()) as i64 > size {
                return Err(SyncError::Protocol("服务器发送的内容比文件大".into()));
            }
            hasher.update(&piece);
            all.extend_from_slice(&piece);
            while all.len() - stored >= CHUNK_SIZE || (all.len() as i64 == size && all.len() > stored) {
                let end = (stored + CHUNK_SIZE).min(all.len());
                let idx = (stored / CHUNK_SIZE) as i64;
                if tx.send((idx, all[stored..end].to_vec())).await.is_err() {
                    // The writer stopped: its error is the one to tell.
                    return Ok(());
                }
                stored = end;
            }
        }
        Ok(())
    }
    .await;
    drop(tx);
    let written = writer.await.map_err(|e| SyncError::Task(e.to_string()))?;
    received?;
    written?;
    if (all.len() as i64) < size {
        return Err(SyncError::Network("下载中断，下次打开时将从中断处继续".into()));
    }
    let matches = hex::encode(hasher.finalize()) == sha256;
    let (sha, at) = (sha256.to_owned(), now.to_owned());
    if !on_files(files, move |f| f.download_settle(&sha, matches, &at, cache_cap)).await? {
        return Err(mismatch());
    }
    Ok(all)
}

fn mismatch() -> SyncError {
    SyncError::Protocol("下载的内容与文件的 SHA-256 不符，已丢弃，请重试".into())
}

/// The download's writer: stores the chunks it is sent, in order, until the sender is done; the
/// chunks that arrived while it wrote the last batch go together in one transaction.
fn store_chunks(files: &Files, sha256: &str, mut rx: tokio::sync::mpsc::Receiver<(i64, Vec<u8>)>) -> Result<()> {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        lock_files(files)?.download_put_all(sha256, &batch)?;
    }
    Ok(())
}
