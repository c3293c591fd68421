//! Updates of the desktop app from the user's own server (hcp-server serves the releases an
//! administrator added, see `hcp_server::releases`): where the updater asks, and what the user is
//! shown before agreeing. Downloading, verifying the signature and installing are the updater
//! plugin's (in the desktop shell); nothing is installed without the user's consent.

use serde::Serialize;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::App;

/// A newer version the server offers, as the update dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// What is new (Chinese, written by the administrator who added the release).
    pub notes: String,
    /// When it was released (RFC 3339), when the server says.
    pub date: Option<String>,
}

/// The updater's endpoint on a server: the plugin fills in `{{target}}`, `{{arch}}`,
/// `{{bundle_type}}` (deb, rpm, nsis, msi…) and `{{current_version}}`.
pub fn endpoint_on(server_url: &str) -> String {
    format!(
        "{}/api/v1/updates/{{{{target}}}}-{{{{arch}}}}-{{{{bundle_type}}}}/{{{{current_version}}}}",
        server_url.trim_end_matches('/')
    )
}

impl App {
    /// Where to ask for updates: the signed-in session's server, or else the server last used.
    pub fn update_endpoint(&self) -> ApiResult<String> {
        let server = self
            .active()
            .ok()
            .map(|a| a.server_url.clone())
            .or_else(|| self.app_settings().ok().and_then(|s| s.server_url))
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidInput, "尚未设置服务器地址，无法检查更新"))?;
        Ok(endpoint_on(&server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_names_the_servers_update_route_with_the_updaters_variables() {
        assert_eq!(
            endpoint_on("http://10.0.0.5:8787/"),
            "http://10.0.0.5:8787/api/v1/updates/{{target}}-{{arch}}-{{bundle_type}}/{{current_version}}"
        );
    }

    #[test]
    fn without_any_server_there_is_nothing_to_ask() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::new(dir.path(), std::sync::Arc::new(crate::KeyringStore::new("haochaping-test-updates")), None);
        assert_eq!(app.update_endpoint().expect_err("no server").code, ErrorCode::InvalidInput);
        let app = App::new(
            dir.path(),
            std::sync::Arc::new(crate::KeyringStore::new("haochaping-test-updates")),
            Some("http://hcp.example:8787".into()),
        );
        assert!(app.update_endpoint().expect("default").starts_with("http://hcp.example:8787/api/v1/updates/"));
    }

    /// After an update the app shows the version it was updated to: the package's version the
    /// shell passes (the one the updater compared), not the crates' version.
    #[tokio::test]
    async fn the_app_shows_the_package_version_it_was_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = std::sync::Arc::new(crate::KeyringStore::new("haochaping-test-updates"));
        let app = App::new(dir.path(), secrets.clone(), None);
        assert_eq!(app.app_info().version, env!("CARGO_PKG_VERSION"));
        let app = App::new(dir.path(), secrets, None).with_version("7.3.1");
        assert_eq!(app.app_info().version, "7.3.1");
        assert_eq!(app.about().await.app_version, "7.3.1");
    }
}
