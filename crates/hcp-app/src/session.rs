//! Signing in and out (online, or offline against the replica's stored proof), restoring a session
//! from the keyring, changing the password, and opening the signed-in user's replica and file store.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub unit_id: i64,
    pub unit_name: String,
}

/// The signed-in user and the server they work against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: UserInfo,
    pub server_url: String,
    /// Signed in without the network (checked against this computer's offline verifier): the
    /// replica reads and queues; nothing syncs until the server answers a real sign-in.
    pub offline: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub server_url: String,
    pub username: String,
    pub password: String,
    /// Keep the session (token in the keyring) so the app reopens signed in, even offline.
    pub remember: bool,
}

pub(crate) fn account(kind: &str, server: &str, username: &str) -> String {
    format!("{kind}:{username}@{server}")
}

pub(crate) fn to_ui_user(u: &hcp_protocol::UserInfo) -> UserInfo {
    UserInfo {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id,
        unit_name: u.unit_name.clone(),
    }
}

impl App {
    pub(crate) fn replica_path(&self, server: &str, username: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(format!("{server}|{username}").as_bytes()));
        self.data_dir.join("replicas").join(format!("{}.db", &digest[..16]))
    }

    /// Opens the user's replica with its keyring-held key, creating both on first use. A replica the
    /// key cannot open (lost or changed key) is discarded: the next sync bootstraps it afresh.
    pub(crate) fn open_replica(&self, server: &str, username: &str) -> ApiResult<Replica> {
        let key_account = account("replica-key", server, username);
        let path = self.replica_path(server, username);
        let key = match self.secrets.get(&key_account)?.and_then(|k| ReplicaKey::from_hex(&k)) {
            Some(k) => k,
            None => {
                let mut bytes = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut bytes);
                let k = ReplicaKey::from_bytes(bytes);
                self.secrets.set(&key_account, &k.to_hex())?;
                discard_replica_files(&path);
                k
            }
        };
        match Replica::open(&path, &key) {
            Err(ReplicaError::BadKey) => {
                tracing::warn!("local replica cannot be opened with the stored key; starting a fresh one");
                discard_replica_files(&path);
                Ok(Replica::open(&path, &key)?)
            }
            other => Ok(other?),
        }
    }

    /// Opens the user's evidence file store with the replica's key (after [`App::open_replica`]).
    pub(crate) fn open_files(&self, server: &str, username: &str) -> ApiResult<hcp_sync::attachments::Files> {
        let key = self
            .secrets
            .get(&account("replica-key", server, username))?
            .and_then(|k| ReplicaKey::from_hex(&k))
            .ok_or_else(|| ApiError::new(ErrorCode::Keyring, "找不到本机数据的密钥"))?;
        attachments::open_files(&self.replica_path(server, username), &key)
    }

    pub(crate) fn activate(&self, active: Active) -> ApiResult<Session> {
        let session = active.session();
        let (cursor, bootstrapped, last_sync_at) = {
            let r = active.replica.lock().map_err(internal)?;
            let in_scope = r.scope()?.as_deref() == Some(active.user.scope_path.as_str());
            let cursor = r.cursor()?.filter(|_| in_scope);
            (cursor.unwrap_or(0), cursor.is_some(), r.meta(LAST_SYNC_AT)?)
        };
        let (pending, rejected) = {
            let r = active.replica.lock().map_err(internal)?;
            notify::start_session(&r, chrono::Utc::now())?;
            r.outbox_counts()?
        };
        *self.session.lock().map_err(internal)? = Some(Arc::new(active));
        self.set_status(|s| {
            *s = SyncStatus { cursor, bootstrapped, last_sync_at, pending, rejected, ..SyncStatus::default() };
        });
        self.wake.notify_one();
        Ok(session)
    }

    /// Signs in against the server, keeps the token in the keyring when `remember` is set, opens
    /// the user's replica and starts syncing it in the background.
    #[tracing::instrument(skip_all, fields(username = %req.username))]
    pub async fn login(&self, req: LoginRequest) -> ApiResult<Session> {
        let username = req.username.trim().to_owned();
        if username.is_empty() || req.password.is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请输入用户名和密码"));
        }
        let client = Client::new(&req.server_url).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        let server_url = client.base_url().to_owned();
        let mut settings = settings::load(&self.data_dir);
        let login = match client.login(&username, &req.password, Some(&settings.client_id)).await {
            Ok(login) => login,
            Err(hcp_sync::SyncError::Network(detail)) => {
                return self
                    .login_offline(client, &username, req.password, req.remember, settings.client_id, &detail)
                    .await
            }
            Err(e) => return Err(e.into()),
        };
        let replica = self.open_replica(&server_url, &username)?;
        replica.set_meta(USER, &serde_json::to_string(&login.user).map_err(internal)?)?;
        self.keep_login(&server_url, &username, &req.password, &login.token, req.remember).await?;
        settings.last_server_url = Some(server_url.clone());
        settings.last_username = Some(username.clone());
        settings.remember = req.remember;
        if let Err(e) = settings::save(&self.data_dir, &settings) {
            tracing::warn!(error = %e, "could not save settings");
        }
        tracing::info!("signed in");
        let files = self.open_files(&server_url, &username)?;
        self.activate(Active {
            client_id: settings.client_id.clone(),
            server_url,
            user: login.user,
            token: login.token,
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: None,
            remember: req.remember,
            files,
        })
    }

    /// What an online sign-in keeps in the keyring: the token when remembered (removed
    /// otherwise), and a fresh offline verifier of the password.
    pub(crate) async fn keep_login(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
        token: &str,
        remember: bool,
    ) -> ApiResult<()> {
        let token_account = account("token", server_url, username);
        if remember {
            self.secrets.set(&token_account, token)?;
        } else {
            self.secrets.delete(&token_account)?;
        }
        let password = zeroize::Zeroizing::new(password.to_owned());
        let verifier =
            tokio::task::spawn_blocking(move || secrets::offline_verifier(&password)).await.map_err(internal)??;
        self.secrets.set(&account("offline-verifier", server_url, username), &verifier)
    }

    /// The server is unreachable: signs in against this computer's offline verifier and opens the
    /// remembered replica (read and queue only) when both exist.
    pub(crate) async fn login_offline(
        &self,
        client: Client,
        username: &str,
        password: String,
        remember: bool,
        client_id: String,
        network: &str,
    ) -> ApiResult<Session> {
        let password = zeroize::Zeroizing::new(password);
        let server_url = client.base_url().to_owned();
        let unavailable = || {
            ApiError::new(
                ErrorCode::Network,
                format!(
                    "无法连接服务器（{network}）。本机没有该账号可离线打开的数据（需先在本机联网登录并完成同步），请联网后再登录"
                ),
            )
        };
        let Some(verifier) = self.secrets.get(&account("offline-verifier", &server_url, username))? else {
            return Err(unavailable());
        };
        // Never create a key here: without the stored one the replica cannot be opened anyway.
        if self.secrets.get(&account("replica-key", &server_url, username))?.is_none()
            || !self.replica_path(&server_url, username).exists()
        {
            return Err(unavailable());
        }
        let typed = password.clone();
        let matches =
            tokio::task::spawn_blocking(move || secrets::verify_offline(&typed, &verifier)).await.map_err(internal)?;
        if !matches {
            tracing::info!("offline sign-in refused");
            return Err(ApiError::new(
                ErrorCode::AuthFailed,
                "用户名或密码错误（服务器无法连接，按本机保存的离线登录凭据核对）",
            ));
        }
        let replica = self.open_replica(&server_url, username)?;
        let Some(user) = replica.meta(USER)?.and_then(|u| serde_json::from_str::<hcp_protocol::UserInfo>(&u).ok())
        else {
            return Err(unavailable());
        };
        tracing::info!("signed in offline against the keyring's verifier");
        let files = self.open_files(&server_url, username)?;
        self.activate(Active {
            client_id,
            server_url,
            user,
            token: String::new(),
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: Some(password),
            remember,
            files,
        })
    }

    /// Signed in offline and the server may answer now: the real sign-in. Ok(true) when it
    /// succeeded (the session now has a token); Ok(false) while the server is still unreachable.
    /// A refusal (password changed, account disabled) ends the session.
    pub(crate) async fn complete_offline_login(&self, active: &Active) -> ApiResult<bool> {
        let Some(password) = active.offline.as_ref() else { return Ok(true) };
        match active.client.login(&active.user.username, password, Some(&active.client_id)).await {
            Ok(login) => {
                let user = serde_json::to_string(&login.user).map_err(internal)?;
                active.replica.lock().map_err(internal)?.set_meta(USER, &user)?;
                self.keep_login(&active.server_url, &active.user.username, password, &login.token, active.remember)
                    .await?;
                let mut settings = settings::load(&self.data_dir);
                settings.remember = active.remember;
                if let Err(e) = settings::save(&self.data_dir, &settings) {
                    tracing::warn!(error = %e, "could not save settings");
                }
                let mut online = active.clone();
                online.token = login.token;
                online.user = login.user;
                online.offline = None;
                *self.session.lock().map_err(internal)? = Some(Arc::new(online));
                tracing::info!("the offline session signed in against the server");
                Ok(true)
            }
            Err(hcp_sync::SyncError::Network(_)) => Ok(false),
            Err(hcp_sync::SyncError::AuthFailed(_)) => {
                tracing::info!("the server refused the offline session's password: the session ends");
                *self.session.lock().map_err(internal)? = None;
                Err(ApiError::new(
                    ErrorCode::SessionExpired,
                    "服务器拒绝了离线登录使用的密码（密码可能已修改，或账号已停用），请重新登录",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reopens the remembered session without the network: the token comes from the keyring and
    /// the user from the replica. `None` when there is nothing to restore.
    pub async fn session_restore(&self) -> ApiResult<Option<Session>> {
        if let Ok(Some(a)) = self.session.lock().map(|s| s.clone()) {
            return Ok(Some(a.session()));
        }
        let s = settings::load(&self.data_dir);
        let (Some(server_url), Some(username), true) = (s.last_server_url, s.last_username, s.remember) else {
            return Ok(None);
        };
        let Some(token) = self.secrets.get(&account("token", &server_url, &username))? else {
            return Ok(None);
        };
        let replica = self.open_replica(&server_url, &username)?;
        let Some(user) = replica.meta(USER)?.and_then(|u| serde_json::from_str::<hcp_protocol::UserInfo>(&u).ok())
        else {
            return Ok(None);
        };
        let client = Client::new(&server_url).map_err(|m| ApiError::new(ErrorCode::InvalidInput, m))?;
        tracing::info!("session restored from the keyring");
        let files = self.open_files(&server_url, &username)?;
        self.activate(Active {
            client_id: s.client_id,
            server_url,
            user,
            token,
            client,
            replica: Arc::new(Mutex::new(replica)),
            offline: None,
            remember: true,
            files,
        })
        .map(Some)
    }

    /// Signs out: revokes the token on the server when reachable and removes it from the keyring.
    /// The encrypted replica and the offline verifier stay for the next sign-in (online or not).
    pub async fn logout(&self) -> ApiResult<()> {
        let active = self.session.lock().map_err(internal)?.take();
        let Some(active) = active else { return Ok(()) };
        if active.offline.is_none() {
            if let Err(e) = active.client.logout(&active.token).await {
                tracing::info!(error = %e, "server logout failed; the token is removed locally anyway");
            }
        }
        self.secrets.delete(&account("token", &active.server_url, &active.user.username))?;
        let mut s = settings::load(&self.data_dir);
        s.remember = false;
        if let Err(e) = settings::save(&self.data_dir, &s) {
            tracing::warn!(error = %e, "could not save settings");
        }
        self.set_status(|s| *s = SyncStatus::default());
        Ok(())
    }

    /// Changes the signed-in user's password on the server (online only). The server checks the
    /// current password and the policy, and ends the user's other sessions; this one goes on, and
    /// the offline verifier follows the new password.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(&self, old_password: String, new_password: String) -> ApiResult<()> {
        let active = self.active()?;
        active.require_online("修改密码")?;
        if old_password.is_empty() || new_password.is_empty() {
            return Err(ApiError::new(ErrorCode::InvalidInput, "请输入原密码和新密码"));
        }
        let (old_password, new_password) =
            (zeroize::Zeroizing::new(old_password), zeroize::Zeroizing::new(new_password));
        active
            .client
            .change_password(&active.token, &old_password, &new_password)
            .await
            .map_err(|e| online_only(e, "修改密码"))?;
        let verifier =
            tokio::task::spawn_blocking(move || secrets::offline_verifier(&new_password)).await.map_err(internal)??;
        self.secrets.set(&account("offline-verifier", &active.server_url, &active.user.username), &verifier)?;
        tracing::info!("password changed");
        Ok(())
    }
}
