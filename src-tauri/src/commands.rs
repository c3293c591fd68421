//! Thin commands: state in, one call into hcp-app, `{code, message}` out.

use std::sync::Arc;

use hcp_app::{ApiError, App, AppInfo, LoginRequest, Session, SyncStatus};
use hcp_replica::{CasePage, CaseQuery};
use tauri::State;

type Result<T> = std::result::Result<T, ApiError>;

#[tauri::command]
#[specta::specta]
pub fn app_info(app: State<'_, Arc<App>>) -> AppInfo {
    app.app_info()
}

#[tauri::command]
#[specta::specta]
pub async fn session_restore(app: State<'_, Arc<App>>) -> Result<Option<Session>> {
    app.session_restore().await
}

#[tauri::command]
#[specta::specta]
pub async fn login(app: State<'_, Arc<App>>, req: LoginRequest) -> Result<Session> {
    app.login(req).await
}

#[tauri::command]
#[specta::specta]
pub async fn logout(app: State<'_, Arc<App>>) -> Result<()> {
    app.logout().await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_now(app: State<'_, Arc<App>>) -> Result<SyncStatus> {
    app.sync_once().await
}

#[tauri::command]
#[specta::specta]
pub fn sync_status(app: State<'_, Arc<App>>) -> Result<SyncStatus> {
    app.sync_status()
}

#[tauri::command]
#[specta::specta]
pub async fn list_cases(app: State<'_, Arc<App>>, query: CaseQuery) -> Result<CasePage> {
    app.list_cases(query).await
}
