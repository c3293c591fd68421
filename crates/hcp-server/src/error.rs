//! One error type for every handler: a status, a stable code and a Chinese message.
//! Internal failures are logged with their cause and answered with a generic 500.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hcp_protocol::{codes, ErrorBody};

use crate::db::DbError;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> AppError {
        AppError { status, code: code.to_owned(), message: message.into() }
    }
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED, message)
    }
    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, codes::INVALID_INPUT, message)
    }
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "internal error");
        AppError::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "服务器内部错误，请稍后重试或联系管理员")
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

/// A JSON body or response. A body that cannot be read is answered with the API's own
/// `{code, message}` error, in Chinese, instead of the framework's plain-text one.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

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
                codes::INVALID_INPUT,
                format!("请求内容不是有效的 JSON：{detail}"),
            ),
            JsonRejection::MissingJsonContentType(_) => AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                codes::INVALID_INPUT,
                "请求内容须为 JSON（Content-Type: application/json）",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::TOO_LARGE,
                format!("请求内容过大，上限为 {} MB", MAX_BODY_BYTES / (1024 * 1024)),
            ),
            other => AppError::new(other.status(), codes::INVALID_INPUT, format!("无法读取请求内容：{detail}")),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(r: PathRejection) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, codes::INVALID_INPUT, format!("路径参数无效：{}", r.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, codes::INVALID_INPUT, format!("查询参数无效：{}", r.body_text()))
    }
}

pub type ApiResult<T> = Result<T, AppError>;
