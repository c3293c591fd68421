//! One error type for every handler: a status, a stable code and a Chinese message.
//! Internal failures are logged with their cause and answered with a generic 500.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hcp_protocol::{ErrorBody, ErrorCode};

use crate::db::DbError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { status, code, message: message.into() }
    }
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidInput, message)
    }
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "internal error");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "服务器内部错误，请稍后重试或联系管理员")
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> AppError {
        AppError::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(ErrorBody { code: self.code, message: self.message })).into_response()
    }
}

/// The most a request body may hold (a full intake batch fits easily).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A JSON body or response. A body is read strictly (see [`crate::strict_json`]: an array is never
/// taken for an object); one that cannot be read is answered with the API's own `{code, message}`
/// error, in Chinese, instead of the framework's plain-text one.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidInput,
                "请求内容须为 JSON（Content-Type: application/json）",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                AppError::new(r.status(), ErrorCode::InvalidInput, format!("无法读取请求内容：{}", r.body_text()))
            }
        })?;
        let axum::Json(read) = axum::Json::<T>::from_bytes(&bytes)?;
        crate::strict_json::check_body(&bytes, &read)
            .map_err(|e| AppError::invalid(format!("请求数据不符合接口要求：{}", e.0)))?;
        Ok(Json(read))
    }
}

/// `application/json` or `application/…+json`, parameters (`; charset=utf-8`) allowed.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

fn too_large() -> AppError {
    AppError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::TooLarge,
        format!("请求内容过大，上限为 {} MB", MAX_BODY_BYTES / (1024 * 1024)),
    )
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A path parameter (`/cases/{id}`), with the API's error when it does not parse.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// Query parameters, with the API's error when they do not parse.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> AppError {
        let detail = r.body_text();
        match r {
            JsonRejection::JsonDataError(_) => AppError::invalid(format!("请求数据不符合接口要求：{detail}")),
            JsonRejection::JsonSyntaxError(_) => AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidInput,
                format!("请求内容不是有效的 JSON：{detail}"),
            ),
            JsonRejection::MissingJsonContentType(_) => AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidInput,
                "请求内容须为 JSON（Content-Type: application/json）",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            other => AppError::new(other.status(), ErrorCode::InvalidInput, format!("无法读取请求内容：{detail}")),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, format!("路径参数无效：{}", r.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, format!("查询参数无效：{}", r.body_text()))
    }
}

pub type ApiResult<T> = Result<T, AppError>;

/// The most bytes of request headers (names and values) the API reads; larger heads get a 431.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The most request headers the API reads; more get a 431.
pub const MAX_HEADERS: usize = 100;

/// The API's own code and Chinese message for an error answer the framework made without a body.
fn framework_error(status: StatusCode, method: &axum::http::Method, path: &str) -> (ErrorCode, String) {
    match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, format!("接口 {path} 不存在")),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::InvalidInput, format!("接口 {path} 不支持 {method} 请求")),
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::TooLarge, format!("请求内容过大，上限为 {} MB", MAX_BODY_BYTES / (1024 * 1024)))
        }
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            (ErrorCode::TooLarge, format!("请求头过大：最多 {MAX_HEADERS} 个、合计 {} KB", MAX_HEADER_BYTES / 1024))
        }
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::InvalidInput, "请求内容未在限定时间内发送完毕".to_owned()),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            (ErrorCode::Throttled, "服务器繁忙，请稍后重试".to_owned())
        }
        s if s.is_server_error() => (ErrorCode::Internal, "服务器内部错误，请稍后重试或联系管理员".to_owned()),
        s => (ErrorCode::InvalidInput, format!("请求无效（HTTP {}）", s.as_u16())),
    }
}

/// Middleware: every error answer carries the API's `{code, message}`. The framework answers some
/// requests itself (an unknown path or method, a body over the limit…) with an empty body; those
/// are rewritten here, keeping their status and headers (`Allow`, `Retry-After`). Oversized
/// request heads are refused here too, with a 431 in the same form.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let head_bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    let res = if req.headers().len() > MAX_HEADERS || head_bytes > MAX_HEADER_BYTES {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.into_response()
    } else {
        next.run(req).await
    };
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.headers().contains_key(axum::http::header::CONTENT_TYPE)
    {
        return res;
    }
    let (code, message) = framework_error(status, &method, &path);
    let mut out = AppError::new(status, code, message).into_response();
    for (name, value) in res.headers() {
        if name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().entry(name).or_insert_with(|| value.clone());
        }
    }
    out
}
