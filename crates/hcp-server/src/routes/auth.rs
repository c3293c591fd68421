use axum::extract::State;
use axum::http::StatusCode;
use hcp_protocol::{codes, ErrorBody, LoginRequest, LoginResponse, UserInfo};

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

/// Signs in with a user name and password and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    peer: Peer,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let username = req.username.trim().to_owned();
    if username.is_empty() || req.password.is_empty() {
        return Err(AppError::invalid("请输入用户名和密码"));
    }
    if username.len() > 64 || req.password.len() > 256 {
        return Err(AppError::invalid("用户名或密码过长"));
    }
    let now = state.clock.now();
    let window = chrono::Duration::from_std(state.config.login_window).map_err(AppError::internal)?;
    let since = (now - window).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // Count and reserve this attempt in one write transaction, so parallel guesses cannot all pass
    // the check; a wrong password turns the reservation into a failure, success clears them.
    let max = state.config.login_max_failures;
    let reservation = {
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let pending_since = (now - chrono::Duration::seconds(login_attempts::PENDING_TTL_SECS))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (u, since, ip) = (username.clone(), since.clone(), peer.0.clone());
        let max_ip = state.config.login_max_failures_per_ip;
        state
            .db
            .write(move |c| {
                if login_attempts::counted(c, &u, &since, &pending_since)? >= max {
                    return Ok(None);
                }
                if let Some(ip) = &ip {
                    if login_attempts::counted_ip(c, ip, &since, &pending_since)? >= max_ip {
                        return Ok(None);
                    }
                }
                Ok(Some(login_attempts::reserve(c, &u, ip.as_deref(), &at)?))
            })
            .await?
    };
    let allowed = reservation.is_some();
    if !allowed {
        tracing::warn!("sign-in throttled");
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::THROTTLED,
            format!("登录失败次数过多，请 {} 分钟后再试", window.num_minutes()),
        ));
    }
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
            return Err(AppError::new(StatusCode::UNAUTHORIZED, codes::AUTH_FAILED, "用户名或密码错误"));
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
