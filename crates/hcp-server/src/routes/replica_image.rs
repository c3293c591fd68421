//! The ready replica image of the caller's jurisdiction (see [`crate::replica_image`]): what it
//! is, and its bytes (resumable with `Range`). A user only ever gets the image of their own
//! jurisdiction as their own role sees it: neither route names an image.

use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use hcp_protocol::{ErrorBody, ErrorCode, ReplicaImageInfo};

use super::byte_range;
use crate::auth::AuthUser;
use crate::error::{ApiResult, AppError, Json};
use crate::replica_image::{published, Published};
use crate::AppState;

/// The media type of an image download.
pub const CONTENT_TYPE: &str = "application/zstd";
/// The response header carrying the image's change-feed cursor.
pub const CURSOR_HEADER: &str = "x-hcp-image-cursor";

const CHUNK: usize = 256 * 1024;

fn none() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "您的辖区没有现成的副本镜像（辖区较小或镜像正在生成），请使用快照同步",
    )
}

fn mine(state: &AppState, who: &AuthUser) -> ApiResult<Published> {
    published(&state.config.replica_images.dir, &who.user.scope_path, who.user.role).ok_or_else(none)
}

/// The ready replica image of the caller's jurisdiction: its cursor, size, SHA-256 (the
/// download's ETag) and rows. 404 when there is none (a small jurisdiction, or not built yet):
/// the client then streams the snapshot.
#[utoipa::path(get, path = "/api/v1/sync/image/info", tag = "sync", security(("bearer" = [])),
    responses((status = 200, body = ReplicaImageInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn info(State(state): State<AppState>, who: AuthUser) -> ApiResult<Json<ReplicaImageInfo>> {
    Ok(Json(mine(&state, &who)?.info))
}

/// The caller's replica image: a zstd-compressed SQLite file, or one byte range of it
/// (`Range: bytes=…`; with `If-Range: "<sha256>"` only while it is still that image, else the
/// whole new one). `ETag` is its SHA-256, `X-Hcp-Image-Cursor` its change-feed cursor.
#[utoipa::path(get, path = "/api/v1/sync/image", tag = "sync", security(("bearer" = [])),
    responses((status = 200, description = "the image", content_type = "application/zstd", body = Vec<u8>,
                  headers(("ETag" = String, description = "the SHA-256 of the image, quoted"),
                          ("X-Hcp-Image-Cursor" = i64, description = "the change-feed cursor of the image"))),
              (status = 206, description = "the range asked for", content_type = "application/zstd", body = Vec<u8>),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn download(State(state): State<AppState>, who: AuthUser, headers: HeaderMap) -> ApiResult<Response> {
    let image = mine(&state, &who)?;
    let path = state.config.replica_images.dir.join(&image.file);
    // Opened now: a rebuild that replaces the image does not cut this download short.
    let mut file = std::fs::File::open(&path).map_err(|_| none())?;
    let size = file.metadata().map_err(AppError::internal)?.len();
    let etag = format!("\"{}\"", image.info.sha256);
    let same = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim() == etag);
    let asked = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).filter(|_| same);
    let range = match byte_range::asked(asked, size, "镜像") {
        Ok(r) => r,
        Err(refused) => return Ok(*refused),
    };
    let (from, to) = range.unwrap_or((0, size.saturating_sub(1)));
    let length = if size == 0 { 0 } else { to - from + 1 };
    file.seek(SeekFrom::Start(from)).map_err(AppError::internal)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut left = length;
        while left > 0 {
            let mut buf = vec![0u8; CHUNK.min(left as usize)];
            let piece = file.read_exact(&mut buf).map(|()| Bytes::from(buf));
            let failed = piece.is_err();
            if tx.blocking_send(piece).is_err() || failed {
                break;
            }
            left -= CHUNK.min(left as usize) as u64;
        }
    });
    let response = byte_range::head(range, size, CONTENT_TYPE, &image.info.sha256)
        .header(header::CACHE_CONTROL, "no-store")
        .header(CURSOR_HEADER, image.info.cursor.to_string());
    response.body(Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))).map_err(AppError::internal)
}
