//! `attachments`: the evidence files of a case (整改材料), their metadata; the bytes travel apart.
//! Replicated by the case's visibility path.

use hcp_protocol::{AttachmentRow, AttachmentStatus, Entity, EntityRow};

use crate::{args, parse_col, DbResult, Replicated, Row, Value};

/// The server's table (it may hold columns the replica does not).
pub const SERVER_DDL: &str = "
CREATE TABLE attachment_blobs (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    status       TEXT NOT NULL,
    mime         TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    completed_at TEXT,
    -- When a chunk last arrived: an upload left pending this long is abandoned (its chunks swept).
    touched_at   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE attachment_chunks (
    sha256 TEXT NOT NULL REFERENCES attachment_blobs(sha256),
    idx    INTEGER NOT NULL,
    data   BLOB NOT NULL,
    PRIMARY KEY (sha256, idx)
);
CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    unit_path        TEXT NOT NULL,
    sha256           TEXT NOT NULL REFERENCES attachment_blobs(sha256),
    name             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    mime             TEXT NOT NULL DEFAULT '',
    uploaded_by      INTEGER NOT NULL REFERENCES users(id),
    uploaded_by_name TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    status           TEXT NOT NULL,
    note             TEXT NOT NULL DEFAULT '',
    -- Not replicated. Empty once the declarer's jurisdiction is known to hold the bytes (it sent
    -- them, or a file there already names them); otherwise the challenge the declarer answers
    -- with SHA-256(challenge ‖ file) to show it holds the file, not only its hash.
    proof_nonce      TEXT NOT NULL DEFAULT '',
    UNIQUE (case_id, sha256)
);
CREATE INDEX attachments_path ON attachments(unit_path);
CREATE INDEX attachments_sha ON attachments(sha256);
";

/// The replica's table: the server's as [`crate::replica_table`] keeps it, and its indexes.
pub fn replica_ddl() -> String {
    let mut ddl = crate::replica_table::<AttachmentRow>(SERVER_DDL).unwrap_or_default();
    ddl.push_str(REPLICA_INDEXES);
    ddl
}

const REPLICA_INDEXES: &str = "
CREATE INDEX attachments_case ON attachments(case_id);
";

pub const TABLE: &str = "attachments";

impl Replicated for AttachmentRow {
    const ENTITY: Entity = Entity::Attachment;
    const TABLE: &'static str = TABLE;
    const COLUMNS: &'static str =
        "id, case_id, unit_path, sha256, name, size, mime, uploaded_by, uploaded_by_name, uploaded_at,
    status, note";

    fn from_row(r: &Row) -> DbResult<Self> {
        let status: String = r.get(10)?;
        Ok(AttachmentRow {
            id: r.get(0)?,
            case_id: r.get(1)?,
            unit_path: r.get(2)?,
            sha256: r.get(3)?,
            name: r.get(4)?,
            size: r.get(5)?,
            mime: r.get(6)?,
            uploaded_by: r.get(7)?,
            uploaded_by_name: r.get(8)?,
            uploaded_at: r.get(9)?,
            status: parse_col(&status, "attachments.status", AttachmentStatus::parse)?,
            note: r.get(11)?,
        })
    }

    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(args![
            self.id,
            self.case_id,
            &self.unit_path,
            &self.sha256,
            &self.name,
            self.size,
            &self.mime,
            self.uploaded_by,
            &self.uploaded_by_name,
            &self.uploaded_at,
            self.status.as_str(),
            &self.note
        ])
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn into_entity(self) -> EntityRow {
        EntityRow::Attachment(self)
    }
}
