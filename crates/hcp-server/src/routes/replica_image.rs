//! The ready replica image of the caller's jurisdiction (see [`crate::replica_image`]): what it
//! is, and its bytes (resumable with `Range`). A user only ever gets the image of their own
//! jurisdiction as their own role sees it: neither route names an image.

use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hcp_protocol::{codes, ErrorBody, ReplicaImageInfo};

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
        codes::NOT_FOUND,
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

/// A single byte range `bytes=a-b`, `bytes=a-` or `bytes=-n` of `size` bytes:
/// `Some(Ok((first, last)))`, `Some(Err(()))` when unsatisfiable, `None` to send everything.
fn parse_range(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (first, last) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        (size.saturating_sub(n), size.checked_sub(1)?)
    } else {
        let first: u64 = a.parse().ok()?;
        let last =
            if b.is_empty() { size.saturating_sub(1) } else { b.parse::<u64>().ok()?.min(size.saturating_sub(1)) };
        if first > last {
            return if first >= size { Some(Err(())) } else { None };
        }
        (first, last)
    };
    if first >= size || size == 0 {
        return Some(Err(()));
    }
    Some(Ok((first, last)))
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
    let range = match asked.and_then(|v| parse_range(v, size)) {
        Some(Err(())) => {
            let mut r = AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                codes::INVALID_INPUT,
                format!("请求的范围超出镜像大小（{size} 字节）"),
            )
            .into_response();
            r.headers_mut()
                .insert(header::CONTENT_RANGE, format!("bytes */{size}").parse().map_err(AppError::internal)?);
            return Ok(r);
        }
        Some(Ok(r)) => Some(r),
        None => None,
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
    let mut response = Response::builder()
        .status(if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK })
        .header(header::CONTENT_TYPE, CONTENT_TYPE)
        .header(header::CONTENT_LENGTH, length.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "no-store")
        .header(CURSOR_HEADER, image.info.cursor.to_string())
        // Sent as stored: compressing would change what the ranges count.
        .header(header::CONTENT_ENCODING, "identity");
    if range.is_some() {
        response = response.header(header::CONTENT_RANGE, format!("bytes {from}-{to}/{size}"));
    }
    response.body(Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))).map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_http_says() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=95-200", 100), Some(Ok((95, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
