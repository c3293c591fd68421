//! Typed HTTP calls to the central API.

use std::time::Duration;

use hcp_protocol::{ErrorBody, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse, UserInfo};
use reqwest::{Response, StatusCode};

use crate::{Result, SyncError};

#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

/// Checks and normalises a server address typed by a user (`http(s)://host[:port][/prefix]`).
pub fn normalize_base_url(url: &str) -> std::result::Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| format!("服务器地址“{url}”格式不正确，应形如 http://192.168.1.10:8787"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("服务器地址“{url}”应以 http:// 或 https:// 开头"));
    }
    Ok(url.to_owned())
}

impl Client {
    pub fn new(base_url: &str) -> std::result::Result<Client, String> {
        let base = normalize_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            // The server closes a connection that sends no request for its header deadline (15 s
            // by default): idle connections are dropped well before, so a request never races
            // the server's close of the connection it was about to use.
            .pool_idle_timeout(Duration::from_secs(5))
            .user_agent(concat!("haochaping/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("无法创建网络客户端：{e}"))?;
        Ok(Client { base, http })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn check(resp: std::result::Result<Response, reqwest::Error>) -> Result<Response> {
        let resp = resp.map_err(|e| SyncError::Network(describe(&e)))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body: Option<ErrorBody> = resp.json().await.ok();
        let (code, message) = body.map_or_else(
            || (hcp_protocol::ErrorCode::Server, status.canonical_reason().unwrap_or("error").to_owned()),
            |b| (b.code, b.message),
        );
        Err(match (status, code) {
            (StatusCode::UNAUTHORIZED, hcp_protocol::ErrorCode::AuthFailed) => SyncError::AuthFailed(message),
            (StatusCode::UNAUTHORIZED, _) => SyncError::Unauthorized(message),
            _ => SyncError::Server { status: status.as_u16(), code, message },
        })
    }

    async fn parse<T: serde::de::DeserializeOwned>(resp: Response) -> Result<T> {
        let bytes = resp.bytes().await.map_err(|e| SyncError::Network(describe(&e)))?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    pub async fn login(&self, username: &str, password: &str, client_id: Option<&str>) -> Result<LoginResponse> {
        let req = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            client_id: client_id.map(str::to_owned),
        };
        let resp = Self::check(self.http.post(self.url("/api/v1/auth/login")).json(&req).send().await).await?;
        Self::parse(resp).await
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        Self::check(self.http.post(self.url("/api/v1/auth/logout")).bearer_auth(token).send().await).await?;
        Ok(())
    }

    /// Changes the signed-in user's password (`POST /api/v1/auth/password`); the server ends the
    /// user's other sessions.
    pub async fn change_password(&self, token: &str, old_password: &str, new_password: &str) -> Result<()> {
        let req = hcp_protocol::ChangePasswordRequest {
            old_password: old_password.to_owned(),
            new_password: new_password.to_owned(),
        };
        Self::check(self.http.post(self.url("/api/v1/auth/password")).bearer_auth(token).json(&req).send().await)
            .await?;
        Ok(())
    }

    /// The server's health check (`GET /healthz`): answers without a session, with its version.
    pub async fn health(&self) -> Result<hcp_protocol::Health> {
        let resp = Self::check(self.http.get(self.url("/healthz")).send().await).await?;
        Self::parse(resp).await
    }

    pub async fn me(&self, token: &str) -> Result<UserInfo> {
        let resp = Self::check(self.http.get(self.url("/api/v1/me")).bearer_auth(token).send().await).await?;
        Self::parse(resp).await
    }

    /// Opens the whole snapshot stream; read it with `bytes_stream()`.
    pub async fn snapshot(&self, token: &str) -> Result<Response> {
        self.snapshot_from(token, &hcp_protocol::SnapshotQuery::default()).await
    }

    /// Opens the snapshot stream, resumed when `query` says where; read it with `bytes_stream()`.
    pub async fn snapshot_from(&self, token: &str, query: &hcp_protocol::SnapshotQuery) -> Result<Response> {
        Self::check(self.http.get(self.url("/api/v1/sync/snapshot")).query(query).bearer_auth(token).send().await).await
    }

    pub async fn push(&self, token: &str, req: &PushRequest) -> Result<PushResponse> {
        let resp = Self::check(self.http.post(self.url("/api/v1/sync/push")).bearer_auth(token).json(req).send().await)
            .await?;
        Self::parse(resp).await
    }

    /// Reveals one rating's evaluator (the server records who asked and why).
    pub async fn reveal(&self, token: &str, rating_id: i64, reason: &str) -> Result<hcp_protocol::RevealedEvaluator> {
        let body = hcp_protocol::RevealRequest { reason: reason.to_owned() };
        let url = self.url(&format!("/api/v1/ratings/{rating_id}/reveal"));
        let resp = Self::check(self.http.post(url).bearer_auth(token).json(&body).send().await).await?;
        Self::parse(resp).await
    }

    /// Sends the verdict on an integrity flag.
    pub async fn decide_flag(
        &self,
        token: &str,
        flag_id: i64,
        req: &hcp_protocol::FlagDecisionRequest,
    ) -> Result<hcp_protocol::IntegrityFlagRow> {
        let url = self.url(&format!("/api/v1/integrity/flags/{flag_id}/decision"));
        let resp = Self::check(self.http.post(url).bearer_auth(token).json(req).send().await).await?;
        Self::parse(resp).await
    }

    /// Reserves a block of the caller's office's document numbers (idempotent on the request id).
    pub async fn reserve_doc_numbers(
        &self,
        token: &str,
        req: &hcp_protocol::DocNumberReserveRequest,
    ) -> Result<hcp_protocol::DocNumberBlock> {
        let url = self.url("/api/v1/doc-numbers/reserve");
        let resp = Self::check(self.http.post(url).bearer_auth(token).json(req).send().await).await?;
        Self::parse(resp).await
    }

    /// `GET path?query` answered with JSON (the administration and audit screens' reads).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let resp = Self::check(self.http.get(self.url(path)).query(query).bearer_auth(token).send().await).await?;
        Self::parse(resp).await
    }

    /// `POST`/`PUT`/`PATCH path` with a JSON body, answered with JSON (the administration screens' writes).
    pub async fn send_json<B: serde::Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let resp =
            Self::check(self.http.request(method, self.url(path)).bearer_auth(token).json(body).send().await).await?;
        Self::parse(resp).await
    }

    /// Asks the server to walk the hash chain of appeal and accountability records
    /// (`GET /api/v1/audit/evidence/verify`; supervisors, liaisons and administrators).
    pub async fn verify_evidence(&self, token: &str) -> Result<EvidenceChainReport> {
        let url = self.url("/api/v1/audit/evidence/verify");
        let resp = Self::check(self.http.get(url).bearer_auth(token).send().await).await?;
        Self::parse(resp).await
    }

    /// `PUT path` with raw bytes (`application/octet-stream`), answered with JSON: one chunk of
    /// an evidence file.
    pub async fn put_bytes<T: serde::de::DeserializeOwned>(&self, token: &str, path: &str, body: Vec<u8>) -> Result<T> {
        let resp = Self::check(
            self.http
                .put(self.url(path))
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(body)
                .send()
                .await,
        )
        .await?;
        Self::parse(resp).await
    }

    /// `GET path` from byte `from` on (`Range: bytes=from-` when not 0): a download to read with
    /// `bytes_stream()`.
    pub async fn get_from(&self, token: &str, path: &str, from: i64) -> Result<Response> {
        let mut req = self.http.get(self.url(path)).bearer_auth(token);
        if from > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        Self::check(req.send().await).await
    }

    /// The ready replica image of the caller's jurisdiction (`GET /api/v1/sync/image/info`);
    /// `None` when the server has none for it (a small jurisdiction, or not built yet).
    pub async fn image_info(&self, token: &str) -> Result<Option<hcp_protocol::ReplicaImageInfo>> {
        let sent = self.http.get(self.url("/api/v1/sync/image/info")).bearer_auth(token).send().await;
        match Self::check(sent).await {
            Ok(resp) => Self::parse(resp).await.map(Some),
            Err(SyncError::Server { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The replica image's bytes from byte `from` on (`GET /api/v1/sync/image`), as stored (never
    /// re-encoded); from a later byte only while the server's image is still `sha256` (`If-Range`),
    /// else the whole current image (status 200).
    pub async fn image_from(&self, token: &str, from: u64, sha256: &str) -> Result<Response> {
        let mut req = self
            .http
            .get(self.url("/api/v1/sync/image"))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT_ENCODING, "identity");
        if from > 0 {
            req = req
                .header(reqwest::header::RANGE, format!("bytes={from}-"))
                .header(reqwest::header::IF_RANGE, format!("\"{sha256}\""));
        }
        Self::check(req.send().await).await
    }

    pub async fn pull(&self, token: &str, after: i64, limit: usize) -> Result<PullResponse> {
        let resp = Self::check(
            self.http
                .get(self.url("/api/v1/sync/pull"))
                .query(&[("after", after.to_string()), ("limit", limit.to_string())])
                .bearer_auth(token)
                .send()
                .await,
        )
        .await?;
        Self::parse(resp).await
    }
}

/// The server's answer about the evidence chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EvidenceChainReport {
    pub valid: bool,
    pub length: i64,
    pub head: String,
    pub first_broken_seq: Option<i64>,
    /// Evidence files whose stored bytes no longer match their SHA-256 (changed after upload).
    #[serde(default)]
    pub altered_attachments: Vec<String>,
}

/// A short, user-facing description of a transport error (no URLs with tokens: none are in URLs).
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "连接被拒绝或服务器未启动".to_owned()
    } else if e.is_timeout() {
        "连接超时".to_owned()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_checked_and_normalised() {
        assert_eq!(normalize_base_url(" http://127.0.0.1:8787/ ").as_deref(), Ok("http://127.0.0.1:8787"));
        assert!(normalize_base_url("https://hcp.example.gov.cn").is_ok());
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url("127.0.0.1:8787").is_err());
        assert!(normalize_base_url("").is_err());
    }
}
