//! One error type for every handler: a status, a stable code and a Chinese message.
//! Internal failures are logged with their cause and answered with a generic 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
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
        (self.status, Json(ErrorBody { code: self.code, message: self.message })).into_response()
    }
}

pub type ApiResult<T> = Result<T, AppError>;
