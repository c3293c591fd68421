//! The desktop app's updates (see [`crate::releases`]): the manifest its updater asks for and the
//! packages it downloads. Public: the app checks at start, before anyone signs in, and a package
//! is worth nothing without the signature the app verifies against its built-in key.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hcp_protocol::{ErrorBody, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, AppError, Json, Path};
use crate::releases::{valid_target, ReleaseStore};
use crate::AppState;

/// A newer release: what the updater downloads and verifies, and what the user is shown.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct UpdateManifest {
    /// The new version (semver).
    pub version: String,
    /// What is new (Chinese).
    pub notes: String,
    /// RFC 3339.
    pub pub_date: String,
    /// Where the package is downloaded from.
    pub url: String,
    /// The package's updater signature.
    pub signature: String,
}

fn bad_request(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message)
}

/// This server's address as the client reached it (behind a proxy, as the proxy says).
fn base_url(headers: &HeaderMap) -> ApiResult<String> {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .ok_or_else(|| bad_request("请求缺少有效的 Host 头"))?;
    let scheme = match headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
        Some("https") => "https",
        _ => "http",
    };
    Ok(format!("{scheme}://{host}"))
}

/// The newest release of the desktop app for `target` (`linux-x86_64-deb`,
/// `windows-x86_64-nsis`, …) above `current_version`; 204 when there is none.
#[utoipa::path(get, path = "/api/v1/updates/{target}/{current_version}", tag = "updates",
    params(
        ("target" = String, Path, description = "{os}-{arch}-{installer}, e.g. linux-x86_64-deb"),
        ("current_version" = String, Path, description = "The installed version (semver), e.g. 0.1.0"),
    ),
    responses((status = 200, body = UpdateManifest), (status = 204, description = "no newer release"),
        (status = 400, body = ErrorBody)))]
pub async fn manifest(
    State(state): State<AppState>,
    Path((target, current_version)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !valid_target(&target) {
        return Err(bad_request(format!("未知的平台：{target}")));
    }
    let current = semver::Version::parse(&current_version)
        .map_err(|_| bad_request(format!("版本号格式不正确：{current_version}")))?;
    let store = ReleaseStore::new(state.config.releases_dir.clone());
    let target_for_lookup = target.clone();
    let offer = tokio::task::spawn_blocking(move || store.offer(&target_for_lookup, &current))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let Some(release) = offer else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let url = format!("{}/api/v1/updates/files/{}/{}/{}", base_url(&headers)?, target, release.version, release.file);
    tracing::info!(%target, from = %current_version, to = %release.version, "an update was offered");
    Ok(Json(UpdateManifest {
        version: release.version,
        notes: release.notes,
        pub_date: release.pub_date,
        url,
        signature: release.signature,
    })
    .into_response())
}

/// A released package (named in a manifest).
#[utoipa::path(get, path = "/api/v1/updates/files/{target}/{version}/{file}", tag = "updates",
    params(
        ("target" = String, Path, description = "{os}-{arch}-{installer}"),
        ("version" = String, Path, description = "The release's version"),
        ("file" = String, Path, description = "The package's file name"),
    ),
    responses((status = 200, description = "the package", content_type = "application/octet-stream"),
        (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    Path((target, version, file)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let store = ReleaseStore::new(state.config.releases_dir.clone());
    let path = tokio::task::spawn_blocking(move || store.file(&target, &version, &file))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "没有这个安装包"))?;
    let handle = std::fs::File::open(&path).map_err(AppError::internal)?;
    let len = handle.metadata().map_err(AppError::internal)?.len();
    // Packages are tens of megabytes: sent in chunks as they are read, never held whole.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut handle = handle;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match handle.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[..n]))).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream".to_owned()), (header::CONTENT_LENGTH, len.to_string())],
        body,
    )
        .into_response())
}
