//! Signing in and the signed-in user.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A stable id of the client installation, recorded in the audit log.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// `POST /api/v1/auth/password`: the signed-in user changes their own password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub old_password: String,
    /// 8–128 characters with at least one letter and one digit.
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for the `Authorization` header.
    pub token: String,
    /// RFC 3339 expiry time of the token.
    pub expires_at: String,
    pub user: UserInfo,
}

/// The signed-in user and their jurisdiction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String, example = "hall_manager")]
    pub role: Role,
    pub unit_id: i64,
    pub unit_name: String,
    /// Materialised path of the user's unit, e.g. `/1/4/17/`: the user sees this unit and below.
    pub scope_path: String,
}
