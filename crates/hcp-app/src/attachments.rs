//! 附件: evidence files on cases, as the case drawer and the command dialogs use them.
//!
//! A file the user attaches is read, type-checked by its content and checked against the limits
//! at once (works offline), then kept encrypted in the local file store
//! ([`hcp_replica::files::FileStore`], a second SQLCipher database with the replica's key) and
//! queued for upload. A command citing files records them before it is queued, so the sync sends
//! it only after their declarations. The drawer lists the case's files as they replicate (name,
//! size, type, uploader, time, state) with the local ones still on their way; opening one reads
//! it from the store, or downloads it (checked against its SHA-256, cached encrypted).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hcp_protocol::AttachmentStatus;
use hcp_replica::files::{FileStore, Upload, DEFAULT_CACHE_CAP};
use hcp_replica::{Replica, ReplicaError, ReplicaKey};
use serde::Serialize;

use crate::{internal, ApiError, ApiResult, App, CaseCommand, ErrorCode, Issued};

/// One file of a case, as the drawer lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseFile {
    pub sha256: String,
    pub name: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub size: i64,
    /// The type read from the content (empty until the server checked a file sent elsewhere).
    pub mime: String,
    /// Who declared it on the server; empty for a file of this computer not declared yet.
    pub uploaded_by_name: String,
    /// RFC 3339.
    pub uploaded_at: String,
    /// `queued` (待上传), `uploading` (上传中), `uploaded` (已上传), `failed` (失败), `refused`
    /// (拒收: the server refused the content) or, for another user's file, `pending` (上传中 on
    /// their side).
    pub state: String,
    /// Percent of the chunks sent, for `uploading`.
    pub progress: u32,
    /// Why it failed or was refused (Chinese).
    pub error: Option<String>,
    /// Whether this computer sends it (retry and remove apply).
    pub local: bool,
    /// Whether its bytes are on this computer (it opens offline).
    pub available_offline: bool,
    /// The last evidence verification found its stored bytes changed after upload (已被篡改).
    pub tampered: bool,
}

/// A case's files with the limits that apply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct CaseFiles {
    pub files: Vec<CaseFile>,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub max_file_bytes: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub max_case_bytes: i64,
    /// Bytes the case's files take together.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub used_bytes: i64,
}

/// A file that could not be attached, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FileRefusal {
    pub name: String,
    pub message: String,
}

/// What attaching some files did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Attached {
    /// The SHA-256 of each file queued (to cite in a command).
    pub added: Vec<String>,
    pub refused: Vec<FileRefusal>,
    pub files: CaseFiles,
}

/// The download cache of evidence files, as the 设置 page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct FileCacheInfo {
    /// The size cap in MB.
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub cap_mb: u64,
    /// Whether the cap is the default (no choice saved).
    pub is_default: bool,
    /// Bytes the cache holds now (0 when nobody is signed in).
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub used_bytes: i64,
}

/// The cache caps the 设置 page accepts, in MB.
pub const CACHE_CAP_RANGE_MB: std::ops::RangeInclusive<u64> = 50..=20_480;

/// The commands that may cite files (the server's rule).
pub fn cites_files(command: &CaseCommand) -> bool {
    matches!(
        command,
        CaseCommand::Verify { .. }
            | CaseCommand::ReportRectification { .. }
            | CaseCommand::ReturnVisit { .. }
            | CaseCommand::Appeal { .. }
            | CaseCommand::DecideAppeal { .. }
            | CaseCommand::RecordAccountability { .. }
    )
}

/// The most files one command may cite (the server's rule).
pub const MAX_CITED: usize = 20;

/// The replica's meta key of the files the last evidence verification found altered.
const ALTERED: &str = "altered_attachments";

/// Keeps the files the evidence verification found altered (the drawer flags them, offline too).
pub(crate) fn store_altered(r: &Replica, altered: &[String]) -> ApiResult<()> {
    let json = serde_json::to_string(altered).map_err(internal)?;
    r.set_meta(ALTERED, &json)?;
    Ok(())
}

fn altered(r: &Replica) -> ApiResult<Vec<String>> {
    Ok(r.meta(ALTERED)?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
}

/// Gives a command queued anew (a refused one issued again) the files the old one cited.
pub(crate) fn carry_citations(files: &Mutex<FileStore>, old_id: &str, new_id: &str) -> ApiResult<()> {
    let f = lock(files)?;
    let cited = hcp_replica::files::citations::of_command(f.conn(), old_id)?;
    if let Some((_, case_id)) = cited.first() {
        let shas: Vec<String> = cited.iter().map(|(s, _)| s.clone()).collect();
        f.cite(new_id, *case_id, &shas)?;
    }
    Ok(())
}

/// The file store next to the replica at `replica_path`.
pub(crate) fn files_path(replica_path: &Path) -> PathBuf {
    replica_path.with_extension("files.db")
}

/// Opens the file store with the replica's key; one the key cannot open (a lost key: the
/// replica was started afresh too) is replaced by an empty one.
pub(crate) fn open_files(replica_path: &Path, key: &ReplicaKey) -> ApiResult<Arc<Mutex<FileStore>>> {
    let path = files_path(replica_path);
    let store = match FileStore::open(&path, key) {
        Err(ReplicaError::BadKey) => {
            tracing::warn!("the local file store cannot be opened with the replica's key; starting a fresh one");
            FileStore::destroy(&path);
            FileStore::open(&path, key)?
        }
        other => other?,
    };
    Ok(Arc::new(Mutex::new(store)))
}

fn lock(files: &Mutex<FileStore>) -> ApiResult<std::sync::MutexGuard<'_, FileStore>> {
    files.lock().map_err(internal)
}

fn now() -> String {
    crate::now_rfc3339()
}

/// The case's files: the replicated ones, with this computer's queue over them, then the local
/// ones not declared yet.
fn list(
    replica_rows: &[hcp_protocol::AttachmentRow],
    altered: &[String],
    f: &FileStore,
    case_id: i64,
) -> ApiResult<CaseFiles> {
    let limits = f.limits()?;
    let local = f.uploads_of_case(case_id)?;
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    for r in replica_rows {
        let mine = local.iter().find(|u| u.sha256 == r.sha256);
        let (state, progress, error) = match (mine, r.status) {
            (_, AttachmentStatus::Refused) => ("refused".to_owned(), 0, Some(r.note.clone())),
            (Some(u), _) => local_state(u),
            (None, AttachmentStatus::Complete) => ("uploaded".to_owned(), 100, None),
            (None, AttachmentStatus::Pending) => ("pending".to_owned(), 0, None),
        };
        seen.insert(r.sha256.clone(), r.size);
        files.push(CaseFile {
            sha256: r.sha256.clone(),
            name: r.name.clone(),
            size: r.size,
            mime: if r.mime.is_empty() { mine.map(|u| u.mime.clone()).unwrap_or_default() } else { r.mime.clone() },
            uploaded_by_name: r.uploaded_by_name.clone(),
            uploaded_at: r.uploaded_at.clone(),
            state,
            progress,
            error,
            local: mine.is_some(),
            available_offline: f.holds(&r.sha256)?,
            tampered: altered.contains(&r.sha256),
        });
    }
    let on_server: std::collections::BTreeSet<String> = seen.keys().cloned().collect();
    for u in local.iter().filter(|u| !on_server.contains(&u.sha256)) {
        let (state, progress, error) = local_state(u);
        if state != "failed" {
            seen.insert(u.sha256.clone(), u.size);
        }
        files.push(CaseFile {
            sha256: u.sha256.clone(),
            name: u.name.clone(),
            size: u.size,
            mime: u.mime.clone(),
            uploaded_by_name: String::new(),
            uploaded_at: u.created_at.clone(),
            state,
            progress,
            error,
            local: true,
            available_offline: true,
            tampered: false,
        });
    }
    Ok(CaseFiles {
        files,
        max_file_bytes: limits.max_file_bytes,
        max_case_bytes: limits.max_case_bytes,
        used_bytes: seen.values().sum(),
    })
}

fn local_state(u: &Upload) -> (String, u32, Option<String>) {
    let pct = if u.chunks > 0 { (u.uploaded_chunks * 100 / u.chunks).clamp(0, 100) as u32 } else { 0 };
    match u.state.as_str() {
        hcp_replica::files::uploads::DONE => ("uploaded".into(), 100, None),
        hcp_replica::files::uploads::FAILED => ("failed".into(), pct, u.last_error.clone()),
        _ if u.declared_at.is_some() || u.uploaded_chunks > 0 => {
            ("uploading".into(), pct.min(99), u.last_error.clone())
        }
        _ => ("queued".into(), 0, u.last_error.clone()),
    }
}

/// The case as the user may see it (its files replicated): refused when not in the replica.
fn case_rows(r: &Replica, case_id: i64) -> ApiResult<Vec<hcp_protocol::AttachmentRow>> {
    if r.case(case_id)?.is_none() {
        return Err(ApiError::new(ErrorCode::NotFound, "本地没有该工单，请同步后再试"));
    }
    Ok(r.attachments_of_case(case_id)?)
}

impl App {
    /// The download cache's size cap (设置; default 500 MB).
    fn cache_cap(&self) -> i64 {
        crate::settings::load(&self.data_dir).attachment_cache_mb.map_or(DEFAULT_CACHE_CAP, |mb| (mb as i64) << 20)
    }

    /// The evidence-file cache: its cap and what it holds now.
    pub async fn file_cache(&self) -> ApiResult<FileCacheInfo> {
        let chosen =
            crate::settings::load(&self.data_dir).attachment_cache_mb.filter(|mb| CACHE_CAP_RANGE_MB.contains(mb));
        let used_bytes = match self.active() {
            Ok(a) => {
                let files = a.files.clone();
                tokio::task::spawn_blocking(move || lock(&files)?.cache_bytes().map_err(ApiError::from))
                    .await
                    .map_err(internal)??
            }
            Err(_) => 0,
        };
        Ok(FileCacheInfo {
            cap_mb: chosen.unwrap_or((DEFAULT_CACHE_CAP >> 20) as u64),
            is_default: chosen.is_none(),
            used_bytes,
        })
    }

    /// Sets the cache's cap (`None`: the default, 500 MB) and trims the cache to it now.
    pub async fn save_file_cache_cap(&self, cap_mb: Option<u64>) -> ApiResult<FileCacheInfo> {
        if let Some(mb) = cap_mb.filter(|mb| !CACHE_CAP_RANGE_MB.contains(mb)) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "附件缓存上限须在 {}–{} MB 之间（填写的是 {mb} MB）",
                    CACHE_CAP_RANGE_MB.start(),
                    CACHE_CAP_RANGE_MB.end()
                ),
            ));
        }
        let mut s = crate::settings::load(&self.data_dir);
        s.attachment_cache_mb = cap_mb;
        crate::settings::save(&self.data_dir, &s)
            .map_err(|e| ApiError::new(ErrorCode::Internal, format!("无法保存设置：{e}")))?;
        if let Ok(a) = self.active() {
            let (files, cap) = (a.files.clone(), self.cache_cap());
            tokio::task::spawn_blocking(move || lock(&files)?.trim_cache(cap).map_err(ApiError::from))
                .await
                .map_err(internal)??;
        }
        self.file_cache().await
    }

    /// The replicated files of a case (checking the user sees it), read before the file store
    /// is locked (the replica always first).
    async fn rows_of_case(&self, case_id: i64) -> ApiResult<(Vec<hcp_protocol::AttachmentRow>, Vec<String>)> {
        self.with_replica(move |r, _, _| Ok((case_rows(r, case_id)?, altered(r)?))).await
    }

    /// 附件 of a case: replicated metadata and this computer's files on their way (offline too).
    pub async fn case_files(&self, case_id: i64) -> ApiResult<CaseFiles> {
        let (rows, altered) = self.rows_of_case(case_id).await?;
        let files = self.active()?.files.clone();
        tokio::task::spawn_blocking(move || list(&rows, &altered, &*lock(&files)?, case_id)).await.map_err(internal)?
    }

    /// Attaches files (paths the user chose or dropped) to a case: each read, checked by content
    /// and against the limits, kept encrypted and queued for upload. Works offline. A refused file
    /// is reported with its reason; the others are queued.
    pub async fn attach_files(&self, case_id: i64, paths: Vec<String>) -> ApiResult<Attached> {
        if paths.is_empty() || paths.len() > MAX_CITED {
            return Err(ApiError::new(ErrorCode::InvalidInput, format!("一次可添加 1–{MAX_CITED} 个文件")));
        }
        let (rows, altered) = self.rows_of_case(case_id).await?;
        let files = self.active()?.files.clone();
        let at = now();
        let out = tokio::task::spawn_blocking(move || -> ApiResult<Attached> {
            let on_case: Vec<(String, i64)> = rows
                .iter()
                .filter(|r| r.status != AttachmentStatus::Refused)
                .map(|r| (r.sha256.clone(), r.size))
                .collect();
            let (mut added, mut refused) = (Vec::new(), Vec::new());
            for p in &paths {
                let path = PathBuf::from(p);
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| p.clone());
                let meta = match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => m,
                    _ => {
                        refused.push(FileRefusal { name, message: "找不到该文件，或它不是文件".into() });
                        continue;
                    }
                };
                let mut store = lock(&files)?;
                // The limit before reading a byte.
                let limits = store.limits()?;
                if meta.len() as i64 > limits.max_file_bytes {
                    refused.push(FileRefusal {
                        message: format!(
                            "文件“{name}”大小 {}，超过单个文件上限 {}，未上传",
                            hcp_replica::files::mb(meta.len() as i64),
                            hcp_replica::files::mb(limits.max_file_bytes)
                        ),
                        name,
                    });
                    continue;
                }
                let mut file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        refused.push(FileRefusal { name, message: format!("无法读取该文件：{e}") });
                        continue;
                    }
                };
                match store.capture(case_id, &name, &mut file, &on_case, &at) {
                    Ok(Ok(u)) => added.push(u.sha256),
                    Ok(Err(message)) => refused.push(FileRefusal { name, message }),
                    Err(ReplicaError::Io { source, .. }) => {
                        refused.push(FileRefusal { name, message: format!("读取文件时出错：{source}") })
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let files = list(&rows, &altered, &*lock(&files)?, case_id)?;
            Ok(Attached { added, refused, files })
        })
        .await
        .map_err(internal)??;
        if !out.added.is_empty() {
            tracing::info!(case_id, files = out.added.len(), "evidence files queued");
            self.wake_sync();
        }
        Ok(out)
    }

    /// Puts a failed file back in the upload queue.
    pub async fn retry_case_file(&self, case_id: i64, sha256: String) -> ApiResult<CaseFiles> {
        let files = self.active()?.files.clone();
        let f2 = files.clone();
        let again = tokio::task::spawn_blocking(move || lock(&f2)?.retry(case_id, &sha256).map_err(ApiError::from))
            .await
            .map_err(internal)??;
        if !again {
            return Err(ApiError::new(ErrorCode::NotFound, "没有这个上传失败的文件"));
        }
        self.wake_sync();
        self.case_files(case_id).await
    }

    /// Takes a file of this computer off the queue (a failed one, or one not wanted any more) and
    /// forgets its bytes unless the cache keeps them. A file already declared stays registered on
    /// the server as not complete.
    pub async fn remove_case_file(&self, case_id: i64, sha256: String) -> ApiResult<CaseFiles> {
        let files = self.active()?.files.clone();
        let f2 = files.clone();
        let removed = tokio::task::spawn_blocking(move || lock(&f2)?.remove(case_id, &sha256).map_err(ApiError::from))
            .await
            .map_err(internal)??;
        if removed.is_none() {
            return Err(ApiError::new(ErrorCode::NotFound, "本机没有这个待上传的文件"));
        }
        self.case_files(case_id).await
    }

    /// The bytes of a case's file: from this computer when held, else downloaded (online),
    /// checked against its SHA-256 and cached encrypted.
    pub async fn case_file_bytes(&self, case_id: i64, sha256: String) -> ApiResult<Vec<u8>> {
        let (rows, _) = self.rows_of_case(case_id).await?;
        let active = self.active()?;
        let files = active.files.clone();
        let (f2, sha, at) = (files.clone(), sha256.clone(), now());
        let local = tokio::task::spawn_blocking(move || -> ApiResult<Option<Vec<u8>>> {
            let f = lock(&f2)?;
            let mine = f.upload(case_id, &sha)?.is_some();
            if mine || f.cached(&sha)? {
                return Ok(f.read_all(&sha, &at)?);
            }
            Ok(None)
        })
        .await
        .map_err(internal)??;
        if let Some(bytes) = local {
            return Ok(bytes);
        }
        let Some(row) = rows.iter().find(|r| r.sha256 == sha256) else {
            return Err(ApiError::new(ErrorCode::NotFound, "该工单没有这个附件"));
        };
        match row.status {
            AttachmentStatus::Complete => {}
            AttachmentStatus::Refused => {
                return Err(ApiError::new(ErrorCode::InvalidInput, format!("该文件已被拒收：{}", row.note)))
            }
            AttachmentStatus::Pending => {
                return Err(ApiError::new(ErrorCode::Conflict, "该文件尚未上传完成，完成后才能打开"))
            }
        }
        let not_cached =
            || ApiError::new(ErrorCode::Network, "该文件尚未缓存到本机，当前无法连接服务器；联网后再打开即可下载");
        if active.offline.is_some() {
            return Err(not_cached());
        }
        match hcp_sync::attachments::fetch(
            &active.client,
            &active.token,
            &files,
            &sha256,
            row.size,
            &now(),
            self.cache_cap(),
        )
        .await
        {
            Ok(bytes) => Ok(bytes),
            Err(hcp_sync::SyncError::Network(_)) => Err(not_cached()),
            Err(e) => Err(e.into()),
        }
    }

    /// Saves a copy of a case's file at `path` (a path the save dialog gave), as plain bytes
    /// there by the user's choice; the copy kept in the app stays encrypted.
    pub async fn save_case_file(&self, case_id: i64, sha256: String, path: String) -> ApiResult<()> {
        let bytes = self.case_file_bytes(case_id, sha256).await?;
        let target = PathBuf::from(&path);
        if path.trim().is_empty() || target.file_name().is_none() {
            return Err(ApiError::new(ErrorCode::InvalidInput, "保存位置无效"));
        }
        tokio::task::spawn_blocking(move || {
            let tmp = target.with_extension("part");
            std::fs::write(&tmp, &bytes)
                .and_then(|()| std::fs::rename(&tmp, &target))
                .map_err(|e| ApiError::new(ErrorCode::InvalidInput, format!("无法保存到该位置：{e}")))
        })
        .await
        .map_err(internal)?
    }

    /// Validates a command and queues it citing the given files of its case (attached before,
    /// here or on the server); works offline. The files are recorded before the command, and
    /// the sync sends the command once each file's declaration is accepted.
    pub async fn issue_with_files(
        &self,
        case_id: i64,
        command: CaseCommand,
        attachments: Vec<String>,
    ) -> ApiResult<Issued> {
        if attachments.is_empty() {
            return self.issue(Some(case_id), command).await;
        }
        if !cites_files(&command) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "只有核实、报送整改、回访、申诉、申诉复核和问责决定可以附带文件",
            ));
        }
        let mut shas = Vec::new();
        for s in attachments {
            if !shas.contains(&s) {
                shas.push(s);
            }
        }
        if shas.len() > MAX_CITED {
            return Err(ApiError::new(ErrorCode::InvalidInput, format!("一次最多附带 {MAX_CITED} 个文件")));
        }
        let files = self.active()?.files.clone();
        let (issued, counts) = self
            .with_replica(move |r, a, cal| {
                let rows = case_rows(r, case_id)?;
                {
                    let f = lock(&files)?;
                    for s in &shas {
                        let on_server = rows.iter().any(|x| &x.sha256 == s && x.status != AttachmentStatus::Refused);
                        let here = f.upload(case_id, s)?.is_some_and(|u| u.state != "failed");
                        if !on_server && !here {
                            return Err(ApiError::new(
                                ErrorCode::InvalidInput,
                                "所选附件不在本工单上（或已上传失败），请重新添加后再提交",
                            ));
                        }
                    }
                }
                let cite = |command_id: &str| -> ApiResult<()> {
                    lock(&files)?.cite(command_id, case_id, &shas).map_err(ApiError::from)
                };
                let issued =
                    crate::cases::issue_citing(r, &a.user, Some(case_id), &command, cal, chrono::Utc::now(), &cite)?;
                Ok((issued, r.outbox_counts()?))
            })
            .await?;
        self.refresh_counts(counts);
        self.wake_sync();
        Ok(issued)
    }

    /// After a sync: forgets the citations of commands that left the outbox and wakes the upload
    /// loop (declared files now send their bytes).
    pub(crate) fn after_sync_files(&self, active: &crate::Active) {
        let ids: Option<std::collections::BTreeSet<String>> = active
            .replica
            .lock()
            .ok()
            .and_then(|r| r.outbox().ok())
            .map(|items| items.into_iter().map(|i| i.command_id).collect());
        if let (Some(ids), Ok(f)) = (ids, active.files.lock()) {
            if let Err(e) = f.forget_citations(&|id| ids.contains(id)) {
                tracing::warn!(error = %e, "old citations could not be forgotten");
            }
        }
        self.upload_wake.notify_one();
    }

    /// Sends the queued files while signed in (online): woken by the sync after each round and
    /// every half minute; a broken connection leaves them queued for the next round.
    pub(crate) async fn upload_loop(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                _ = self.upload_wake.notified() => {}
            }
            match self.upload_files_now().await {
                Ok(n) if n > 0 => {
                    tracing::info!(files = n, "evidence files uploaded");
                    // Their new state replicates back with the next pull.
                    self.wake_sync();
                }
                Ok(_) => {}
                Err(e) => tracing::info!(code = %e.code, "evidence upload stopped; it resumes later"),
            }
        }
    }

    /// One round of the upload queue now (signed in online; nothing to do otherwise): returns
    /// how many files the server now holds.
    pub async fn upload_files_now(&self) -> ApiResult<u32> {
        let active = self.active()?;
        if active.offline.is_some() {
            return Ok(0);
        }
        if let Err(e) = hcp_sync::attachments::refresh_limits(&active.client, &active.token, &active.files).await {
            tracing::info!(error = %e, "the server's file limits could not be read");
        }
        let cap = self.cache_cap();
        Ok(hcp_sync::attachments::upload_pending(&active.client, &active.token, &active.files, &now(), cap, || {})
            .await?)
    }
}

#[cfg(test)]
mod tests;
