//! Replica images: a ready, compressed replica of a large jurisdiction that a client copies
//! instead of inserting the snapshot's rows one by one (`GET /api/v1/sync/image/info`, then
//! `GET /api/v1/sync/image`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Counts;

/// The ready replica image of the caller's jurisdiction (as the caller's role may see it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplicaImageInfo {
    /// The jurisdiction the image holds (the caller's unit path).
    pub scope_path: String,
    /// The change-feed cursor the image is consistent with: the client pulls the changes after it.
    pub cursor: i64,
    /// The replica schema version (SQLite `user_version`) the image was written with: a client of
    /// another version uses the streamed snapshot instead.
    pub schema_version: i64,
    /// Bytes of the download (a zstd-compressed SQLite file).
    pub size: u64,
    /// SHA-256 (lower-case hex) of the download; also its ETag (quoted).
    pub sha256: String,
    /// Rows per entity in the image.
    pub counts: Counts,
    /// When the image was built (RFC 3339).
    pub built_at: String,
}
