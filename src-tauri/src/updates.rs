//! Updates through the Tauri updater plugin, from the server `hcp-app` names (see
//! `hcp_app::updates`): a check returns what is new and keeps the update; installing it (only
//! when the user agreed in the dialog) downloads the package, verifies its signature against the
//! public key built into the app (`plugins.updater.pubkey`), installs it and restarts the app.
//! The replica, its outbox and the settings live in the data folder, which an update leaves alone.

use std::time::Duration;

use hcp_app::error::ErrorCode;
use hcp_app::updates::UpdateOffer;
use hcp_app::{ApiError, App};
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::UpdaterExt;

/// The update found by the last check, waiting for the user's consent.
#[derive(Default)]
struct PendingUpdate(tokio::sync::Mutex<Option<tauri_plugin_updater::Update>>);

type Answer<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ApiError>> + Send>>;

/// The updater bound to the app's runtime (set up in `lib.rs`), reached by the commands through
/// the app's state like the save dialog.
pub struct Updates {
    check: Box<dyn Fn(String) -> Answer<Option<UpdateOffer>> + Send + Sync>,
    install: Box<dyn Fn() -> Answer<()> + Send + Sync>,
}

impl Updates {
    pub fn new<R: Runtime>(handle: AppHandle<R>) -> Updates {
        let pending = std::sync::Arc::new(PendingUpdate::default());
        let (h, p) = (handle.clone(), pending.clone());
        let check_with = move |endpoint: String| -> Answer<Option<UpdateOffer>> {
            let (h, p) = (h.clone(), p.clone());
            Box::pin(async move { check(&h, endpoint, &p).await })
        };
        let install_with = move || -> Answer<()> {
            let (h, p) = (handle.clone(), pending.clone());
            Box::pin(async move { install(&h, &p).await })
        };
        Updates { check: Box::new(check_with), install: Box::new(install_with) }
    }

    /// Asks the server `app` names whether a newer version exists.
    pub async fn check(&self, app: &App) -> Result<Option<UpdateOffer>, ApiError> {
        (self.check)(app.update_endpoint()?).await
    }

    /// Installs the update the last check found (see [`install`]).
    pub async fn install(&self) -> Result<(), ApiError> {
        (self.install)().await
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Network, format!("{what}：{e}"))
}

/// Asks the server whether a newer version exists.
async fn check<R: Runtime>(
    handle: &AppHandle<R>,
    endpoint: String,
    pending: &PendingUpdate,
) -> Result<Option<UpdateOffer>, ApiError> {
    let url = endpoint.parse().map_err(|e| failed("更新地址不正确", e))?;
    let updater = handle
        .updater_builder()
        .endpoints(vec![url])
        .map_err(|e| failed("更新地址不正确", e))?
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| failed("无法检查更新", e))?;
    let found = updater.check().await.map_err(|e| failed("无法检查更新", e))?;
    let mut slot = pending.0.lock().await;
    *slot = None;
    let Some(update) = found else {
        tracing::info!("no update offered");
        return Ok(None);
    };
    let offer = UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone().unwrap_or_default(),
        date: update.date.and_then(|d| d.format(&time::format_description::well_known::Rfc3339).ok()),
    };
    tracing::info!(version = %offer.version, "an update is offered");
    *slot = Some(update);
    Ok(Some(offer))
}

/// Downloads, verifies and installs the offered update, then restarts the app. A package whose
/// signature does not verify is refused and nothing is installed.
async fn install<R: Runtime>(handle: &AppHandle<R>, pending: &PendingUpdate) -> Result<(), ApiError> {
    let update = pending
        .0
        .lock()
        .await
        .take()
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, "没有待安装的更新，请重新检查"))?;
    let version = update.version.clone();
    tracing::info!(%version, "installing an update the user agreed to");
    update.download_and_install(|_, _| {}, || {}).await.map_err(|e| {
        tracing::warn!(%version, error = %e, "the update was not installed");
        let what = match e {
            tauri_plugin_updater::Error::Minisign(_) | tauri_plugin_updater::Error::SignatureUtf8(_) => {
                "更新包的签名校验未通过，已拒绝安装"
            }
            _ => "更新未能安装",
        };
        ApiError::new(ErrorCode::Internal, format!("{what}：{e}"))
    })?;
    tracing::info!(%version, "the update is installed: restarting");
    handle.restart()
}
