use axum::extract::State;
use axum::http::StatusCode;
use hcp_protocol::{ErrorBody, ErrorCode, LoginRequest, LoginResponse, UserInfo};

use crate::auth::{hash_password, new_token, token_hash, verify_password, AuthUser};
use crate::db::{audit_log, login_attempts, tokens, users};
use crate::error::{ApiResult, AppError, Json};
use crate::AppState;

pub(crate) fn user_info(u: &users::User) -> UserInfo {
    UserInfo {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        unit_id: u.unit_id,
        unit_name: u.unit_name.clone(),
        scope_path: u.scope_path.clone(),
    }
}

/// The client's address, when the server knows it (it does when served by [`crate::spawn`]).
pub struct Peer(pub Option<String>);

impl axum::extract::FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &AppState) -> Result<Peer, Self::Rejection> {
        Ok(Peer(
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A fixed hash to verify against when the user does not exist, so timing does not reveal
/// which user names are valid.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// The sign-in limits of [`crate::Config`].
struct Limits {
    pair: i64,
    ip: i64,
    max_delay: std::time::Duration,
    window: chrono::Duration,
}

/// Whether a sign-in attempt may go ahead.
enum Gate {
    /// This user name from this address failed too often: refused until the oldest failure
    /// leaves the window.
    Locked { retry_after: u64 },
    /// Reserved (the attempt's row), after waiting `delay`.
    Go { reservation: i64, delay: std::time::Duration },
}

/// Decides an attempt and reserves it (inside the write transaction). Guessing one account from one
/// address locks out only that pair; the real user elsewhere signs in, slowed by a second per
/// failure over the limit for the user name (all addresses), as is an address that failed too
/// often over all user names (a NAT of many users is slowed, never locked out).
#[allow(clippy::too_many_arguments)]
fn gate(
    c: &crate::db::Conn<'_>,
    limits: &Limits,
    username: &str,
    ip: Option<&str>,
    at: &str,
    since: &str,
    pending_since: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::db::DbResult<Gate> {
    let pair_ip = ip.unwrap_or("");
    if login_attempts::counted_pair(c, username, pair_ip, since, pending_since)? >= limits.pair {
        let oldest = login_attempts::oldest_pair_failure(c, username, pair_ip, since)?
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok());
        let retry_after = oldest.map_or(limits.window.num_seconds(), |t| {
            (t.with_timezone(&chrono::Utc) + limits.window - now).num_seconds()
        });
        return Ok(Gate::Locked { retry_after: retry_after.max(1) as u64 });
    }
    let over_user = login_attempts::counted(c, username, since, pending_since)? - limits.pair;
    let over_ip = match ip {
        Some(ip) => login_attempts::counted_ip(c, ip, since, pending_since)? - limits.ip,
        None => 0,
    };
    let over = over_user.max(over_ip).max(-1) + 1;
    let delay = std::time::Duration::from_secs(u64::try_from(over).unwrap_or(0)).min(limits.max_delay);
    Ok(Gate::Go { reservation: login_attempts::reserve(c, username, ip, at)?, delay })
}

/// A sign-in's error: the API's, or the 429 of a locked (user name, address) pair with the
/// seconds to wait in `Retry-After`.
#[derive(Debug)]
pub enum LoginError {
    Api(AppError),
    Throttled { retry_after: u64 },
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> LoginError {
        LoginError::Api(e)
    }
}

impl From<crate::db::DbError> for LoginError {
    fn from(e: crate::db::DbError) -> LoginError {
        LoginError::Api(e.into())
    }
}

impl axum::response::IntoResponse for LoginError {
    fn into_response(self) -> axum::response::Response {
        match self {
            LoginError::Api(e) => e.into_response(),
            LoginError::Throttled { retry_after } => {
                let minutes = retry_after.div_ceil(60);
                let mut r = AppError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::Throttled,
                    format!("该账号在本机登录失败次数过多，请 {minutes} 分钟后再试（在其他电脑上登录不受影响）"),
                )
                .into_response();
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after.into());
                r
            }
        }
    }
}

/// Signs in with a user name and password and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody, description = "this user name failed too often from this address; `Retry-After` says how many seconds to wait",
               headers(("Retry-After" = u64, description = "seconds until the pair may try again")))))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    peer: Peer,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, LoginError> {
    let username = req.username.trim().to_owned();
    if username.is_empty() || req.password.is_empty() {
        return Err(AppError::invalid("请输入用户名和密码").into());
    }
    if username.len() > 64 || req.password.len() > 256 {
        return Err(AppError::invalid("用户名或密码过长").into());
    }
    let now = state.clock.now();
    let window = chrono::Duration::from_std(state.config.login_window).map_err(AppError::internal)?;
    let since = (now - window).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Count and reserve this attempt in one write transaction, so parallel guesses cannot all pass
    // the check; a wrong password turns the reservation into a failure, success clears them.
    let gate = {
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let pending_since = (now - chrono::Duration::seconds(login_attempts::PENDING_TTL_SECS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (u, since, ip) = (username.clone(), since.clone(), peer.0.clone());
        let limits = Limits {
            pair: state.config.login_max_failures,
            ip: state.config.login_max_failures_per_ip,
            max_delay: state.config.login_max_delay,
            window,
        };
        state.db.write(move |c| gate(c, &limits, &u, ip.as_deref(), &at, &since, &pending_since, now)).await?
    };
    let reservation = match gate {
        Gate::Locked { retry_after } => {
            tracing::warn!("sign-in throttled");
            return Err(LoginError::Throttled { retry_after });
        }
        Gate::Go { reservation, delay } => {
            if !delay.is_zero() {
                tracing::info!(delay_ms = delay.as_millis() as u64, "sign-in delayed");
                tokio::time::sleep(delay).await;
            }
            Some(reservation)
        }
    };
    let found = {
        let u = username.clone();
        state.db.read(move |c| users::by_username(c, &u)).await?
    };
    let password = req.password;
    let (user, ok) = tokio::task::spawn_blocking(move || {
        let ok = match &found {
            Some(u) if u.active => verify_password(&password, &u.password_hash),
            _ => {
                verify_password(&password, dummy_hash());
                false
            }
        };
        (found, ok)
    })
    .await
    .map_err(AppError::internal)?;
    let user = match (user, ok) {
        (Some(u), true) => u,
        (known, _) => {
            tracing::info!("login failed");
            let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let client = req.client_id.clone();
            state
                .db
                .write(move |c| {
                    if let Some(id) = reservation {
                        login_attempts::fail(c, id)?;
                    }
                    if let Some(u) = known {
                        let mut e =
                            audit_log::Entry::by(&u, client.as_deref(), &at, "auth.login", format!("user:{}", u.id));
                        e.outcome = "failed".into();
                        audit_log::record(c, &e)?;
                    }
                    Ok(())
                })
                .await?;
            return Err(AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::AuthFailed, "用户名或密码错误").into());
        }
    };
    {
        let u = username.clone();
        state.db.write(move |c| login_attempts::clear(c, &u, &since)).await?;
    }
    let token = new_token();
    let ttl = chrono::Duration::from_std(state.config.token_ttl).map_err(AppError::internal)?;
    let issued = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let expires = (now + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let hash = token_hash(&token);
    let (who, client, iss, exp) = (user.clone(), req.client_id.clone(), issued.clone(), expires.clone());
    state
        .db
        .write(move |c| {
            tokens::insert(c, &hash, who.id, client.as_deref(), &iss, &exp)?;
            audit_log::record(
                c,
                &audit_log::Entry::by(&who, client.as_deref(), &iss, "auth.login", format!("user:{}", who.id)),
            )
        })
        .await?;
    tracing::info!(user_id = user.id, "login succeeded");
    Ok(Json(LoginResponse { token, expires_at: expires, user: user_info(&user) }))
}

/// Revokes the caller's token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, who: AuthUser) -> ApiResult<StatusCode> {
    let now = state.clock.now_rfc3339();
    state
        .db
        .write(move |c| {
            if tokens::revoke(c, &who.token_hash, &now)? {
                let e = audit_log::Entry::by(
                    &who.user,
                    who.client_id.as_deref(),
                    &now,
                    "auth.logout",
                    format!("user:{}", who.user.id),
                );
                audit_log::record(c, &e)?;
            }
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and their jurisdiction.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub async fn me(who: AuthUser) -> Json<UserInfo> {
    Json(user_info(&who.user))
}

/// The password policy for a password a user chooses: 8–128 characters, at least one letter and
/// one digit. The Chinese message says what is missing.
pub fn check_new_password(p: &str) -> Result<(), &'static str> {
    let n = p.chars().count();
    if n < 8 {
        return Err("新密码至少需要 8 个字符");
    }
    if n > 128 {
        return Err("新密码不能超过 128 个字符");
    }
    if p.chars().any(char::is_whitespace) {
        return Err("新密码不能包含空格");
    }
    if !p.chars().any(|c| c.is_ascii_alphabetic()) || !p.chars().any(|c| c.is_ascii_digit()) {
        return Err("新密码须同时包含字母和数字");
    }
    Ok(())
}

/// Changes the caller's own password: the current one must be given; the new one must follow the
/// policy ([`check_new_password`]). The caller's other sessions end (other computers sign in
/// again); this one stays. Audited, successful or not; the passwords are never logged.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = hcp_protocol::ChangePasswordRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(user_id = who.user.id))]
pub async fn change_password(
    State(state): State<AppState>,
    who: AuthUser,
    Json(req): Json<hcp_protocol::ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    if req.old_password.is_empty() {
        return Err(AppError::invalid("请输入原密码"));
    }
    if req.old_password.len() > 256 {
        return Err(AppError::invalid("原密码不正确"));
    }
    check_new_password(&req.new_password).map_err(AppError::invalid)?;
    if req.new_password == req.old_password {
        return Err(AppError::invalid("新密码不能与原密码相同"));
    }
    // Guessing the current password with a session left open counts against the same budget as
    // guessing it at sign-in.
    let now = state.clock.now();
    let window = chrono::Duration::from_std(state.config.login_window).map_err(AppError::internal)?;
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (since, pending_since) =
        (fmt(now - window), fmt(now - chrono::Duration::seconds(login_attempts::PENDING_TTL_SECS)));
    let (username, max) = (who.user.username.clone(), state.config.login_max_failures);
    let failures = state.db.read(move |c| login_attempts::counted(c, &username, &since, &pending_since)).await?;
    if failures >= max {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Throttled,
            format!("密码错误次数过多，请 {} 分钟后再试", window.num_minutes()),
        ));
    }
    let stored = who.user.password_hash.clone();
    let (old, new) = (req.old_password, req.new_password);
    let checked = tokio::task::spawn_blocking(move || {
        if verify_password(&old, &stored) {
            hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let at = state.clock.now_rfc3339();
    let target = format!("user:{}", who.user.id);
    let Some(hash) = checked else {
        tracing::info!("password change refused: wrong current password");
        let (u, client) = (who.user.clone(), who.client_id.clone());
        state
            .db
            .write(move |c| {
                let attempt = login_attempts::reserve(c, &u.username, None, &at)?;
                login_attempts::fail(c, attempt)?;
                let mut e = audit_log::Entry::by(&u, client.as_deref(), &at, "auth.password", target);
                e.outcome = "failed".into();
                audit_log::record(c, &e)
            })
            .await?;
        return Err(AppError::invalid("原密码不正确"));
    };
    let ended = state
        .db
        .write(move |c| {
            users::set_password_hash(c, who.user.id, &hash)?;
            let ended = tokens::revoke_others(c, who.user.id, &who.token_hash, &at)?;
            audit_log::record(
                c,
                &audit_log::Entry::by(&who.user, who.client_id.as_deref(), &at, "auth.password", target),
            )?;
            Ok(ended)
        })
        .await?;
    tracing::info!(other_sessions_ended = ended, "password changed");
    Ok(StatusCode::NO_CONTENT)
}
