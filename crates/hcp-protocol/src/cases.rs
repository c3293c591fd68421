//! Case commands: one, or an outbox pushed in order, and their results.

use super::*;

/// A command on a case (`POST /api/v1/cases/commands`) or one entry of a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandEnvelope {
    /// A UUID chosen by the client (UUIDv7 from the outbox); the server applies each id once.
    pub command_id: String,
    /// Per-client sequence number (outbox order); absent for online commands.
    #[serde(default)]
    pub client_seq: Option<i64>,
    /// The case the command acts on; absent for `create`.
    #[serde(default)]
    pub case_id: Option<i64>,
    /// The case version the client saw; the command is rejected if the case has moved on.
    #[serde(default)]
    pub base_version: Option<i64>,
    /// The domain command, tagged by `type` (`verify`, `assign`, `escalate`, …); a field the
    /// command does not have is refused.
    #[schema(value_type = Object)]
    #[serde(deserialize_with = "strict_command")]
    pub command: hcp_domain::CaseCommand,
    /// The evidence files the command cites (SHA-256, lower-case hex), each declared on the case
    /// first (`POST /api/v1/attachments`); their bytes may arrive before or after the command.
    /// Only for 核实, 报送整改, 回访, 申诉, 申诉复核 and 问责决定; the hashes enter the event (and,
    /// for appeals and accountability, the evidence chain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// The first field of `got` (a path such as `basis.level`) that `known` does not have, comparing
/// objects key by key and arrays item by item.
fn unknown_field(got: &serde_json::Value, known: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (got, known) {
        (Value::Object(g), Value::Object(k)) => g.iter().find_map(|(name, v)| match k.get(name) {
            None => Some(name.clone()),
            Some(kv) => unknown_field(v, kv).map(|inner| format!("{name}.{inner}")),
        }),
        (Value::Array(g), Value::Array(k)) => g.iter().zip(k).find_map(|(v, kv)| unknown_field(v, kv)),
        _ => None,
    }
}

/// Reads a case command refusing any field it does not have. The domain's command enum denies
/// unknown fields itself, but serde lets them through on commands without fields
/// (`{"type": "accept", "as_user": 1}`): what was read is written back (every field, defaults
/// included) and must cover every field that came in.
fn strict_command<'de, D: serde::Deserializer<'de>>(d: D) -> Result<hcp_domain::CaseCommand, D::Error> {
    use serde::de::Error;
    let value = serde_json::Value::deserialize(d)?;
    let command = hcp_domain::CaseCommand::deserialize(&value).map_err(D::Error::custom)?;
    let known = serde_json::to_value(&command).map_err(D::Error::custom)?;
    match unknown_field(&value, &known) {
        Some(field) => Err(D::Error::custom(format!("unknown field `{field}` in command"))),
        None => Ok(command),
    }
}

/// What became of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Applied now.
    Applied,
    /// Applied before (same `command_id`); nothing changed now.
    Duplicate,
    /// Refused for a business reason (`code`, `message`); it will never apply as it is.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CommandResult {
    pub command_id: String,
    pub status: CommandStatus,
    #[serde(default, deserialize_with = "ErrorCode::deserialize_lenient_opt")]
    #[schema(schema_with = crate::errors::optional_error_code_schema)]
    pub code: Option<ErrorCode>,
    #[serde(default)]
    pub message: Option<String>,
    /// The case as it stands after the command (applied and duplicate only).
    #[serde(default)]
    pub case: Option<CaseRow>,
}

/// `POST /api/v1/sync/push`: an outbox's commands in `client_seq` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub client_id: String,
    pub commands: Vec<CommandEnvelope>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    /// One result per command, in the order applied.
    pub results: Vec<CommandResult>,
}
