//! The error body every answer carries, the closed set of codes, and the command size limit.

use super::*;

/// Every error response body: a stable machine code and a human message (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code that clients switch on, e.g. `auth_failed`, `unauthorized`. A
    /// client reads a code it does not know as `server`.
    #[serde(deserialize_with = "ErrorCode::deserialize_lenient")]
    #[schema(schema_with = error_code_schema)]
    pub code: ErrorCode,
    /// A message for people, in Simplified Chinese.
    pub message: String,
}

/// The largest case command (as JSON) a client may send: reasons, measures and evidence
/// references are short texts, and every replica in the jurisdiction receives them. The server
/// refuses larger ones; the client says so before queuing.
pub const MAX_COMMAND_BYTES: usize = 16 * 1024;

/// Why a case command of `json_len` bytes (as JSON) is refused for its size, if it is.
pub fn command_size_refusal(json_len: usize) -> Option<&'static str> {
    (json_len > MAX_COMMAND_BYTES).then_some("操作内容过长（理由、措施和材料合计不超过 16 KB）")
}

/// The closed set of error codes (see [`hcp_domain::ErrorCode`]): the server answers with them,
/// clients and the UI switch on them.
pub use hcp_domain::ErrorCode;

/// The OpenAPI schema of an error code: a string, one of [`ErrorCode::ALL`].
pub(crate) fn error_code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ErrorCode::ALL.map(ErrorCode::as_str)))
        .description(Some("A stable snake_case error code (one closed set)."))
        .build()
}

/// [`error_code_schema`], or null.
pub(crate) fn optional_error_code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut values: Vec<Option<&str>> = ErrorCode::ALL.map(|c| Some(c.as_str())).to_vec();
    values.push(None);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .description(Some("A stable snake_case error code (one closed set), or null."))
        .build()
}
