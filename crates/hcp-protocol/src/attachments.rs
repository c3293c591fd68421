//! Evidence files: their metadata, uploads and proofs.

use super::*;

/// Where an attachment's bytes are: declared and still arriving, all there and checked, or refused
/// (wrong content, not the hash declared, an executable…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentStatus {
    Pending,
    Complete,
    Refused,
}

hcp_domain::str_enum!(AttachmentStatus {
    Pending => "pending",
    Complete => "complete",
    Refused => "refused",
});

/// An evidence file on a case (整改材料, 回访记录, 申诉材料, 问责决定书…): its metadata, which
/// replicates by the case's visibility path; the bytes are fetched on demand
/// (`GET /api/v1/attachments/{sha256}`) and never travel in the snapshot or the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    /// The case's visibility path (the row replicates by it).
    pub unit_path: String,
    /// Lower-case hex SHA-256 of the content: the file's name on the server and in commands.
    pub sha256: String,
    /// The file name the uploader gave (shown, never trusted for the type).
    pub name: String,
    pub size: i64,
    /// The type read from the content (magic bytes) once every byte arrived; empty before.
    pub mime: String,
    pub uploaded_by: i64,
    pub uploaded_by_name: String,
    /// RFC 3339: when the file was declared.
    pub uploaded_at: String,
    #[schema(value_type = String, example = "pending")]
    pub status: AttachmentStatus,
    /// Why the bytes were refused (Chinese), when they were.
    pub note: String,
}

/// `POST /api/v1/attachments`: declares a file on a case before its bytes are sent. The same
/// case and hash declared again gets the same row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDeclaration {
    pub case_id: i64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    pub name: String,
    /// Bytes.
    pub size: i64,
}

/// `GET /api/v1/attachments/{sha256}/chunks`: how far an upload got, to resume it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadProgress {
    pub sha256: String,
    pub size: i64,
    /// Bytes per chunk (every chunk but the last is exactly this long).
    pub chunk_size: i64,
    /// How many chunks the file has.
    pub chunks: i64,
    /// The chunks the server holds, ascending.
    pub received: Vec<i64>,
    #[schema(value_type = String, example = "pending")]
    pub status: AttachmentStatus,
    /// Why the bytes were refused (Chinese), when they were.
    pub note: String,
    /// Set when the server holds the whole file but the caller's jurisdiction has not yet shown
    /// it holds it too (it declared a file someone else sent): answer with
    /// `POST /api/v1/attachments/{sha256}/proof`. Knowing a hash is not enough to read a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
}

/// `GET /api/v1/attachments/limits`: how large evidence files may be, so a client refuses a file
/// over them before queuing it (the declaration checks them again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentLimitsInfo {
    /// The largest file, in bytes.
    pub max_file_bytes: i64,
    /// The most bytes of files on one case.
    pub max_case_bytes: i64,
}

/// `POST /api/v1/attachments/{sha256}/proof`: shows the caller holds the file it declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PossessionProof {
    /// The `challenge` the server gave in [`UploadProgress`].
    pub challenge: String,
    /// Lower-case hex SHA-256 of the challenge's characters (UTF-8) followed by every byte of the file.
    pub proof: String,
}
