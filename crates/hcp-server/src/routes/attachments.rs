//! Evidence files on cases (整改材料, 回访记录, 申诉材料, 问责决定书…), content-addressed by SHA-256.
//!
//! 1. `POST /api/v1/attachments` declares a file on a case (hash, name, size): the limits per file
//!    and per case are checked here, before any byte is sent (413), and the metadata row is
//!    replicated at once (status `pending`), so other users see the file while it uploads.
//! 2. `PUT /api/v1/attachments/{sha256}/chunks/{index}` sends the bytes in chunks of
//!    [`CHUNK_SIZE`]; `GET …/chunks` says which chunks arrived, so an interrupted upload resumes
//!    where it stopped. The first chunk's magic bytes are checked on arrival: a program renamed
//!    to `.jpg` is refused before the rest is sent.
//! 3. `POST …/complete` checks the whole content against its hash and its type, and the file
//!    becomes `complete` on every case that names it.
//! 4. `GET /api/v1/attachments/{sha256}` downloads it (with `Range`), for users whose jurisdiction
//!    holds a case naming it; every download is in the audit log.
//!
//! Knowing a file's hash and size is not enough to read it: a declaration of content that no file
//! in the declarer's jurisdiction names yet, and that the declarer did not send, stays unproven
//! (pending, not downloadable there) until the declarer answers a challenge with
//! SHA-256(challenge ‖ file) (`POST …/proof`), which only a holder of the bytes can compute.
//!
//! The bytes go through [`crate::evidence_store::ChunkStore`] (the database by default).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use hcp_protocol::{
    AttachmentDeclaration, AttachmentLimitsInfo, AttachmentRow, AttachmentStatus, ErrorBody, ErrorCode,
    PossessionProof, UploadProgress,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::byte_range;
use crate::auth::AuthUser;
use crate::db::{attachments, audit_log, Conn, DbError, DbResult};
use crate::error::{ApiResult, AppError, Json, Path};
use crate::evidence_store::{
    chunk_count, chunk_len, hash_chunks, is_sha256, refusal, sniff, zip_kind, ChunkStore, Sniffed, CHUNK_SIZE,
};
use crate::AppState;

fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "该文件不存在或不在您的辖区内")
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

fn check_sha(sha256: &str) -> ApiResult<()> {
    if is_sha256(sha256) {
        Ok(())
    } else {
        Err(AppError::invalid("sha256 应为 64 位小写十六进制"))
    }
}

/// The file name as shown: its last path component, trimmed, without control characters.
fn clean_name(name: &str) -> ApiResult<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    if cleaned.is_empty() || cleaned.chars().count() > 200 {
        return Err(AppError::invalid("文件名应为 1–200 个字符"));
    }
    Ok(cleaned)
}

/// Declares a file on a case before its bytes are sent. The same case and hash again gets the
/// same row. Refused with 413 when the file, or the case's files together, would exceed the
/// server's limits.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "attachments", security(("bearer" = [])),
    request_body = AttachmentDeclaration,
    responses((status = 200, body = AttachmentRow), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, case_id = req.case_id))]
pub async fn declare(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<AttachmentDeclaration>,
) -> ApiResult<Json<AttachmentRow>> {
    check_sha(&req.sha256)?;
    let name = clean_name(&req.name)?;
    if req.size < 1 {
        return Err(AppError::invalid("文件不能为空"));
    }
    let limits = state.config.attachments;
    if req.size > limits.max_file_bytes {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!("文件“{name}”大小 {}，超过单个文件上限 {}，未上传", mb(req.size), mb(limits.max_file_bytes)),
        ));
    }
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let shown = name.clone();
    enum Out {
        Done(Box<AttachmentRow>),
        NotFound,
        SizeDiffers(i64),
        Refused(String),
        CaseFull(i64),
    }
    let out = state
        .db
        .write(move |c| {
            let scope = actor.scope_path.clone();
            let Some((unit_path, visible_at)) =
                c.query_opt("SELECT unit_path, scope_path FROM cases WHERE id = ?1", [req.case_id], |r| {
                    Ok((r.get::<String>(0)?, r.get::<String>(1)?))
                })?
            else {
                return Ok(Out::NotFound);
            };
            if !unit_path.starts_with(&scope) && !visible_at.starts_with(&scope) {
                return Ok(Out::NotFound);
            }
            if let Some(done) = attachments::on_case(c, req.case_id, &req.sha256)? {
                return Ok(Out::Done(Box::new(done)));
            }
            let blob = attachments::blob(c, &req.sha256)?;
            if let Some(b) = &blob {
                if b.size != req.size {
                    return Ok(Out::SizeDiffers(b.size));
                }
                if b.status == AttachmentStatus::Refused {
                    return Ok(Out::Refused(b.note.clone()));
                }
            }
            let total = attachments::case_total(c, req.case_id)?;
            if total + req.size > limits.max_case_bytes {
                return Ok(Out::CaseFull(total));
            }
            // Content someone else sent, named nowhere in this jurisdiction yet: the declarer must
            // show it holds the bytes before its jurisdiction may read them.
            let nonce = match &blob {
                Some(_) if attachments::of_content_in_scope(c, &req.sha256, &scope, true)?.is_empty() => {
                    let mut bytes = [0u8; 16];
                    rand::thread_rng().fill_bytes(&mut bytes);
                    hex::encode(bytes)
                }
                _ => String::new(),
            };
            if blob.is_none() {
                attachments::insert_blob(c, &req.sha256, req.size, &at)?;
            }
            let mut row = AttachmentRow {
                id: 0,
                case_id: req.case_id,
                unit_path: visible_at.clone(),
                sha256: req.sha256.clone(),
                name: name.clone(),
                size: req.size,
                mime: blob.as_ref().map(|b| b.mime.clone()).unwrap_or_default(),
                uploaded_by: actor.id,
                uploaded_by_name: actor.display_name.clone(),
                uploaded_at: at.clone(),
                status: match &blob {
                    Some(b) if nonce.is_empty() => b.status,
                    _ => AttachmentStatus::Pending,
                },
                note: String::new(),
            };
            if !nonce.is_empty() {
                row.mime = String::new();
            }
            row.id = attachments::insert(c, &row, &nonce)?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "attachment.declare",
                format!("case:{}", req.case_id),
            );
            e.detail = format!("{}（{}，SHA-256 {}…）", row.name, mb(row.size), &row.sha256[..12]);
            audit_log::record(c, &e)?;
            Ok(Out::Done(Box::new(row)))
        })
        .await?;
    match out {
        Out::Done(r) => Ok(Json(*r)),
        Out::NotFound => Err(AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "该案件不存在或不在您的辖区内")),
        Out::SizeDiffers(size) => Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!("同一内容（SHA-256）的文件已登记为 {} 字节，与本次声明的大小不符", size),
        )),
        Out::Refused(note) => Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, note)),
        Out::CaseFull(total) => Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::TooLarge,
            format!(
                "本案件已有附件 {}，加上“{shown}”（{}）将超过每个案件 {} 的上限，未上传",
                mb(total),
                mb(req.size),
                mb(limits.max_case_bytes)
            ),
        )),
    }
}

/// How large evidence files may be (per file, per case), for clients to check a file before
/// queuing it. Any signed-in account.
#[utoipa::path(get, path = "/api/v1/attachments/limits", tag = "attachments", security(("bearer" = [])),
    responses((status = 200, body = AttachmentLimitsInfo), (status = 401, body = ErrorBody)))]
pub async fn limits(State(state): State<AppState>, _who: AuthUser) -> Json<AttachmentLimitsInfo> {
    let l = state.config.attachments;
    Json(AttachmentLimitsInfo { max_file_bytes: l.max_file_bytes, max_case_bytes: l.max_case_bytes })
}

/// The content `sha256` as the caller may see it: `None` unless a case in their jurisdiction
/// names it (by a proven row, when `proven_only`: to read its bytes).
fn visible_blob(
    c: &Conn<'_>,
    sha256: &str,
    scope: &str,
    proven_only: bool,
) -> DbResult<Option<(attachments::Blob, AttachmentRow)>> {
    let Some(first) = attachments::of_content_in_scope(c, sha256, scope, proven_only)?.into_iter().next() else {
        return Ok(None);
    };
    Ok(attachments::blob(c, sha256)?.map(|b| (b, first)))
}

/// How far the upload of `b` got, as the caller in `scope` sees it: with a challenge when the
/// bytes are complete but a file in the caller's jurisdiction still waits for a proof.
fn progress(c: &Conn<'_>, store: &dyn ChunkStore, b: &attachments::Blob, scope: &str) -> DbResult<UploadProgress> {
    let challenge = match b.status {
        AttachmentStatus::Complete => attachments::challenge_in_scope(c, &b.sha256, scope)?,
        _ => None,
    };
    let received = if b.status == AttachmentStatus::Complete {
        (0..chunk_count(b.size)).collect()
    } else {
        store.received(c, &b.sha256)?
    };
    Ok(UploadProgress {
        sha256: b.sha256.clone(),
        size: b.size,
        chunk_size: CHUNK_SIZE as i64,
        chunks: chunk_count(b.size),
        received,
        status: b.status,
        note: b.note.clone(),
        challenge,
    })
}

/// How a chunk or completion call ends without touching the bytes.
enum Settled {
    NotFound,
    /// Already complete: how it stands for the caller.
    Done(UploadProgress),
    /// Refused earlier, with the reason.
    Refused(String),
}

/// The content `sha256`, still arriving, as the caller in `scope` may send it; otherwise how the
/// call ends (not visible, already complete, refused).
fn arriving(
    c: &Conn<'_>,
    store: &dyn ChunkStore,
    sha256: &str,
    scope: &str,
) -> DbResult<Result<(attachments::Blob, AttachmentRow), Settled>> {
    let Some((b, first)) = visible_blob(c, sha256, scope, false)? else {
        return Ok(Err(Settled::NotFound));
    };
    Ok(match b.status {
        AttachmentStatus::Complete => Err(Settled::Done(progress(c, store, &b, scope)?)),
        AttachmentStatus::Refused => Err(Settled::Refused(b.note)),
        AttachmentStatus::Pending => Ok((b, first)),
    })
}

/// The answer for a [`Settled`] call.
fn settled(s: Settled) -> ApiResult<Json<UploadProgress>> {
    match s {
        Settled::NotFound => Err(not_found()),
        Settled::Done(p) => Ok(Json(p)),
        Settled::Refused(m) => Err(AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, m)),
    }
}

/// Marks a content refused on every case that names it, forgets its bytes, and tells the feed.
fn refuse(c: &Conn<'_>, store: &dyn ChunkStore, sha256: &str, note: &str, at: &str) -> DbResult<()> {
    store.delete(c, sha256)?;
    attachments::set_blob_status(c, sha256, AttachmentStatus::Refused, "", note, at)?;
    attachments::set_status_of_content(c, sha256, AttachmentStatus::Refused, "", note, at)?;
    Ok(())
}

/// How far the upload of a content got: the chunks the server holds.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}/chunks", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex")),
    responses((status = 200, body = UploadProgress), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn chunks(
    State(state): State<AppState>,
    who: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<Json<UploadProgress>> {
    check_sha(&sha256)?;
    let (store, scope) = (state.chunks.clone(), who.user.scope_path.clone());
    let p = state
        .db
        .read(move |c| match visible_blob(c, &sha256, &scope, false)? {
            Some((b, _)) => progress(c, store.as_ref(), &b, &scope).map(Some),
            None => Ok(None),
        })
        .await?;
    p.map(Json).ok_or_else(not_found)
}

/// Stores one chunk of a declared file (sent again, it replaces the earlier copy). Every chunk
/// but the last is exactly `chunk_size` bytes. The first chunk's type is checked on arrival.
#[utoipa::path(put, path = "/api/v1/attachments/{sha256}/chunks/{index}", tag = "attachments",
    security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex"),
           ("index" = i64, Path, description = "chunk number, from 0")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = UploadProgress), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id, index))]
pub async fn put_chunk(
    State(state): State<AppState>,
    who: AuthUser,
    Path((sha256, index)): Path<(String, i64)>,
    body: Bytes,
) -> ApiResult<Json<UploadProgress>> {
    check_sha(&sha256)?;
    let (store, scope) = (state.chunks.clone(), who.user.scope_path.clone());
    let at = state.clock.now_rfc3339();
    enum Out {
        Progress(UploadProgress),
        Settled(Settled),
        Invalid(String),
    }
    let out = state
        .db
        .write(move |c| {
            let (b, _) = match arriving(c, store.as_ref(), &sha256, &scope)? {
                Ok(found) => found,
                Err(s) => return Ok(Out::Settled(s)),
            };
            let n = chunk_count(b.size);
            if !(0..n).contains(&index) {
                return Ok(Out::Invalid(format!("块号应为 0–{}（文件共 {n} 块）", n - 1)));
            }
            let want = chunk_len(b.size, index);
            if body.len() as i64 != want {
                return Ok(Out::Invalid(format!("第 {index} 块应为 {want} 字节，收到 {} 字节", body.len())));
            }
            if index == 0 {
                if let Some(why) = refusal(&sniff(&body)) {
                    refuse(c, store.as_ref(), &sha256, why, &at)?;
                    return Ok(Out::Settled(Settled::Refused(why.to_owned())));
                }
            }
            store.put_chunk(c, &sha256, index, &body)?;
            attachments::touch_blob(c, &sha256, &at)?;
            progress(c, store.as_ref(), &b, &scope).map(Out::Progress)
        })
        .await?;
    match out {
        Out::Progress(p) => Ok(Json(p)),
        Out::Settled(s) => settled(s),
        Out::Invalid(m) => Err(AppError::invalid(m)),
    }
}

/// Checks a fully sent file: every chunk there, the content's SHA-256 the one declared, its type
/// accepted. Then the file is complete on every case that names it. A content that does not
/// match its hash is dropped (send it again); a refused type stays refused.
#[utoipa::path(post, path = "/api/v1/attachments/{sha256}/complete", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex")),
    responses((status = 200, body = UploadProgress), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn complete(
    State(state): State<AppState>,
    who: AuthUser,
    Path(sha256): Path<String>,
) -> ApiResult<Json<UploadProgress>> {
    check_sha(&sha256)?;
    let (store, scope) = (state.chunks.clone(), who.user.scope_path.clone());
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    enum Out {
        Progress(UploadProgress),
        Settled(Settled),
        Missing(i64, i64),
        Mismatch,
    }
    let out = state
        .db
        .write(move |c| {
            let (b, first) = match arriving(c, store.as_ref(), &sha256, &scope)? {
                Ok(found) => found,
                Err(s) => return Ok(Out::Settled(s)),
            };
            let n = chunk_count(b.size);
            let have = store.received(c, &sha256)?.len() as i64;
            if have < n {
                return Ok(Out::Missing(n - have, n));
            }
            // Read one chunk at a time: never the whole file in memory.
            if hash_chunks(b.size, |i| store.chunk(c, &sha256, i))?.as_deref() != Some(sha256.as_str()) {
                store.delete(c, &sha256)?;
                return Ok(Out::Mismatch);
            }
            let first_chunk = store.chunk(c, &sha256, 0)?.unwrap_or_default();
            let mime = match sniff(&first_chunk) {
                Sniffed::Accepted(m) => Some(m),
                Sniffed::Zip => {
                    let last = store.chunk(c, &sha256, n - 1)?.unwrap_or_default();
                    zip_kind(&first_chunk, &last)
                }
                Sniffed::Executable | Sniffed::Unknown => None,
            };
            let Some(mime) = mime else {
                let why = refusal(&sniff(&first_chunk)).unwrap_or(
                    "压缩包不是 OFD 或 Office 文档，不能作为证据材料上传；请上传图片、PDF、OFD 或 Office 文档",
                );
                refuse(c, store.as_ref(), &sha256, why, &at)?;
                return Ok(Out::Settled(Settled::Refused(why.to_owned())));
            };
            attachments::set_blob_status(c, &sha256, AttachmentStatus::Complete, mime, "", &at)?;
            attachments::set_status_of_content(c, &sha256, AttachmentStatus::Complete, mime, "", &at)?;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "attachment.complete",
                format!("case:{}", first.case_id),
            );
            e.detail = format!("{}（{}，{mime}，SHA-256 {}…）", first.name, mb(b.size), &sha256[..12]);
            audit_log::record(c, &e)?;
            let done = attachments::blob(c, &sha256)?.ok_or_else(|| DbError::Corrupt("blob vanished".into()))?;
            progress(c, store.as_ref(), &done, &scope).map(Out::Progress)
        })
        .await?;
    match out {
        Out::Progress(p) => Ok(Json(p)),
        Out::Settled(s) => settled(s),
        Out::Missing(missing, n) => Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!("文件尚未传完：共 {n} 块，还缺 {missing} 块"),
        )),
        Out::Mismatch => Err(AppError::invalid("收到的内容与声明的 SHA-256 不符，已丢弃，请重新上传")),
    }
}

/// Shows the caller holds a file it declared on content someone else sent: the answer to the
/// challenge in [`UploadProgress`], SHA-256 of the challenge followed by the file's bytes. The
/// caller's files naming that content then complete (and replicate so) and may be downloaded.
#[utoipa::path(post, path = "/api/v1/attachments/{sha256}/proof", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex")),
    request_body = PossessionProof,
    responses((status = 200, body = UploadProgress), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn prove(
    State(state): State<AppState>,
    who: AuthUser,
    Path(sha256): Path<String>,
    Json(req): Json<PossessionProof>,
) -> ApiResult<Json<UploadProgress>> {
    check_sha(&sha256)?;
    if !is_sha256(&req.proof) {
        return Err(AppError::invalid("proof 应为 64 位小写十六进制"));
    }
    let (store, scope) = (state.chunks.clone(), who.user.scope_path.clone());
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    enum Out {
        Progress(UploadProgress),
        NotFound,
        NotComplete,
        StaleChallenge,
        Wrong,
    }
    let out = state
        .db
        .write(move |c| {
            let Some((b, first)) = visible_blob(c, &sha256, &scope, false)? else {
                return Ok(Out::NotFound);
            };
            if b.status != AttachmentStatus::Complete {
                return Ok(Out::NotComplete);
            }
            if !attachments::is_challenge_in_scope(c, &sha256, &scope, &req.challenge)? {
                // Already proven (a retry after a lost answer) or a challenge from elsewhere.
                return match attachments::challenge_in_scope(c, &sha256, &scope)? {
                    None => progress(c, store.as_ref(), &b, &scope).map(Out::Progress),
                    Some(_) => Ok(Out::StaleChallenge),
                };
            }
            // One chunk at a time, never the whole file in memory.
            let mut h = Sha256::new();
            h.update(req.challenge.as_bytes());
            for i in 0..chunk_count(b.size) {
                let chunk = store.chunk(c, &sha256, i)?.ok_or_else(|| DbError::Corrupt("chunk missing".into()))?;
                h.update(&chunk);
            }
            let proven = hex::encode(h.finalize()) == req.proof;
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                if proven { "attachment.proof" } else { "attachment.proof_refused" },
                format!("case:{}", first.case_id),
            );
            e.detail = format!("SHA-256 {}…", &sha256[..12]);
            audit_log::record(c, &e)?;
            if !proven {
                return Ok(Out::Wrong);
            }
            attachments::prove_in_scope(c, &sha256, &scope, b.status, &b.mime, &at)?;
            progress(c, store.as_ref(), &b, &scope).map(Out::Progress)
        })
        .await?;
    match out {
        Out::Progress(p) => Ok(Json(p)),
        Out::NotFound => Err(not_found()),
        Out::NotComplete => {
            Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict, "该文件尚未上传完成，请先上传或等待上传完成"))
        }
        Out::StaleChallenge => Err(AppError::invalid("该验证码已失效，请重新查询上传进度后再证明")),
        Out::Wrong => Err(AppError::invalid("持有证明与服务器上的文件不符，未能确认您持有该文件")),
    }
}

/// Downloads a complete file (or one byte range of it, `Range: bytes=…`), if a case in the
/// caller's jurisdiction names it. Logged in the audit trail.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "SHA-256 of the file, lower-case hex")),
    responses((status = 200, description = "the file, typed by its content", content(("application/octet-stream"), ("image/jpeg"), ("image/png"), ("image/gif"), ("image/webp"),
                  ("image/heic"), ("application/pdf"), ("application/ofd"), ("application/x-ole-storage"),
                  ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                  ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                  ("application/vnd.openxmlformats-officedocument"))),
              (status = 206, description = "the range asked for", content(("application/octet-stream"), ("image/jpeg"), ("image/png"), ("image/gif"), ("image/webp"),
                  ("image/heic"), ("application/pdf"), ("application/ofd"), ("application/x-ole-storage"),
                  ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                  ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  ("application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                  ("application/vnd.openxmlformats-officedocument"))),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 416, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn download(
    State(state): State<AppState>,
    who: AuthUser,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    check_sha(&sha256)?;
    let scope = who.user.scope_path.clone();
    let key = sha256.clone();
    let found = state.db.read(move |c| visible_blob(c, &key, &scope, true)).await?;
    let Some((blob, first)) = found else {
        return Err(not_found());
    };
    if blob.status != AttachmentStatus::Complete {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            match blob.status {
                AttachmentStatus::Refused => format!("该文件已被拒收：{}", blob.note),
                _ => "该文件尚未上传完成，请稍后再试".to_owned(),
            },
        ));
    }
    let size = blob.size;
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = match byte_range::asked(asked, size.max(0) as u64, "文件") {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    let (from, to) = range.map_or((0, size - 1), |(f, t)| (f as i64, t as i64));
    let at = state.clock.now_rfc3339();
    let (actor, client) = (who.user.clone(), who.client_id.clone());
    let detail = format!(
        "{}（SHA-256 {}…{}）",
        first.name,
        &sha256[..12],
        if range.is_some() { format!("，字节 {from}–{to}") } else { String::new() }
    );
    state
        .db
        .write(move |c| {
            let mut e = audit_log::Entry::by(
                &actor,
                client.as_deref(),
                &at,
                "attachment.download",
                format!("case:{}", first.case_id),
            );
            e.detail = detail;
            audit_log::record(c, &e).map(|_| ())
        })
        .await?;

    // One chunk at a time, read as the client takes them.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(2);
    let (db, store, key) = (state.db.clone(), state.chunks.clone(), sha256.clone());
    tokio::spawn(async move {
        let c = CHUNK_SIZE as i64;
        for index in from / c..=to / c {
            let (store, k) = (store.clone(), key.clone());
            let chunk = db.read(move |conn| store.chunk(conn, &k, index)).await;
            let piece = match chunk {
                Ok(Some(bytes)) => {
                    let start = (from - index * c).max(0) as usize;
                    let end = ((to - index * c + 1).min(bytes.len() as i64)).max(0) as usize;
                    Ok(Bytes::copy_from_slice(bytes.get(start..end).unwrap_or_default()))
                }
                Ok(None) => Err(std::io::Error::other(format!("chunk {index} of {key} is missing"))),
                Err(e) => Err(std::io::Error::other(e.to_string())),
            };
            let failed = piece.is_err();
            if tx.send(piece).await.is_err() || failed {
                break;
            }
        }
    });
    let mime = if blob.mime.is_empty() { "application/octet-stream" } else { &blob.mime };
    byte_range::head(range, size as u64, mime, &sha256)
        .body(Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .map_err(AppError::internal)
}
