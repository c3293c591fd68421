//! Wire types shared by `hcp-server` and the client crates.
//!
//! Everything here is a plain data carrier: JSON on the REST API and the sync stream. Levels,
//! states and roles are named explicitly (`very_dissatisfied`, `in_rectification`, …); business
//! rules live in `hcp-domain`.

use hcp_domain::integrity::{FlagKind, FlagVerdict, Severity};
use hcp_domain::{CaseSource, CaseState, Level, OrgKind, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The API version prefix every REST path starts with.
pub const API_PREFIX: &str = "/api/v1";

pub mod attachments;
pub mod auth;
pub mod awards;
pub mod cases;
pub mod digest;
pub mod doc_numbers;
pub mod errors;
pub mod filetype;
pub mod intake;
pub mod integrity;
pub mod outbox;
pub mod reference;
pub mod replica_image;
pub mod replicated;
pub mod reveal;
pub mod self_assessment;
pub mod sync;

pub use attachments::*;
pub use auth::*;
pub use awards::*;
pub use cases::*;
pub use doc_numbers::*;
pub use errors::*;
pub use intake::*;
pub use integrity::*;
pub use outbox::ClientCommand;
pub use reference::*;
pub use replica_image::ReplicaImageInfo;
pub use replicated::*;
pub use reveal::*;
pub use self_assessment::*;
pub use sync::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_lines_are_tagged_flat_json() {
        let line = SnapshotLine::Row {
            row: EntityRow::OrgUnit(OrgUnitRow {
                id: 3,
                parent_id: Some(1),
                kind: OrgKind::Hall,
                name: "岳塘区政务服务中心".into(),
                code: "430304".into(),
                path: "/1/3/".into(),
                active: true,
            }),
        };
        let json = serde_json::to_string(&line).expect("serialize");
        assert!(json.starts_with(r#"{"t":"row","entity":"org_unit","row":{"id":3"#), "{json}");
        let back: SnapshotLine = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, line);
        let end = SnapshotLine::End { cursor: 42, counts: Counts::default() };
        let json = serde_json::to_string(&end).expect("serialize");
        assert!(json.starts_with(r#"{"t":"end","cursor":42"#), "{json}");
    }

    #[test]
    fn a_row_line_decodes_the_same_on_the_direct_path_and_the_generic_one() {
        let row = EntityRow::OrgUnit(OrgUnitRow {
            id: 3,
            parent_id: Some(1),
            kind: OrgKind::Hall,
            name: "岳塘区\"政务\"服务中心".into(),
            code: "430304".into(),
            path: "/1/3/".into(),
            active: true,
        });
        let line = SnapshotLine::Row { row: row.clone() };
        let json = serde_json::to_vec(&line).expect("serialize");
        assert_eq!(SnapshotLine::from_json(&json).expect("direct"), line);
        // Other key orders and the other lines take the generic path and mean the same.
        let reordered = r#"{"t":"row","entity":"org_unit","row":{"path":"/1/3/","code":"430304","name":"岳塘区\"政务\"服务中心","kind":"hall","parent_id":1,"id":3}}"#;
        assert_eq!(SnapshotLine::from_json(reordered.as_bytes()).expect("reordered"), line);
        let row_first = r#"{"row":{"id":3,"parent_id":1,"kind":"hall","name":"岳塘区\"政务\"服务中心","code":"430304","path":"/1/3/"},"entity":"org_unit","t":"row"}"#;
        assert_eq!(SnapshotLine::from_json(row_first.as_bytes()).expect("row first"), line);
        let end = SnapshotLine::End { cursor: 42, counts: Counts::default() };
        assert_eq!(SnapshotLine::from_json(&serde_json::to_vec(&end).expect("end")).expect("end"), end);
        // Broken lines are errors on both paths, never a panic or a wrong row.
        let bad: [&[u8]; 4] = [
            br#"{"t":"row","entity":"org_unit","row":{"id":"x"}}"#,
            br#"{"t":"row","entity":"nope","row":{}}"#,
            b"{",
            b"",
        ];
        for bad in bad {
            assert!(SnapshotLine::from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn commands_up_to_16_kib_are_accepted() {
        assert_eq!(command_size_refusal(MAX_COMMAND_BYTES), None);
        assert!(command_size_refusal(MAX_COMMAND_BYTES + 1).is_some_and(|m| m.contains("16 KB")));
    }

    #[test]
    fn every_stored_name_is_the_serialized_name() {
        // `str_enum!` lists every variant (a missing one fails to compile its `as_str`).
        hcp_domain::assert_serde_names!(Entity, FlagStatus, AttachmentStatus);
        assert_eq!(Entity::ALL.len(), 14);
    }

    #[test]
    fn counts_add_up() {
        let mut c = Counts::default();
        for e in Entity::ALL {
            c.add(e, 2);
            assert_eq!(Entity::parse(e.as_str()), Some(e));
        }
        assert_eq!(c.total(), 2 * Entity::ALL.len() as u64);
    }
}

#[cfg(test)]
mod strict_tests {
    use super::*;

    fn envelope(command: &str) -> String {
        format!(r#"{{"command_id":"c-1","case_id":1,"base_version":1,"command":{command}}}"#)
    }

    /// Every request body refuses fields it does not have, the command inside an envelope too,
    /// also where serde's tagged enums would let them through.
    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let ok = serde_json::from_str::<CommandEnvelope>(&envelope(r#"{"type":"accept"}"#)).expect("accept");
        assert_eq!(ok.command, hcp_domain::CaseCommand::Accept);
        for bad in [
            envelope(r#"{"type":"accept","as_user":1}"#),
            envelope(r#"{"type":"verify","outcome":"genuine","as_user":1}"#),
            envelope(r#"{"type":"escalate","basis":{"type":"overdue","level":3}}"#),
            envelope(r#"{"type":"verify","outcome":"genuine"},"user_id":1"#),
            envelope(
                r#"{"type":"record_accountability","decision":{"type":"admonition","points":1},"subject_user_id":1,"reason":"r","evidence":[]}"#,
            ),
        ] {
            assert!(serde_json::from_str::<CommandEnvelope>(&bad).is_err(), "{bad} was accepted");
        }
        assert!(serde_json::from_str::<LoginRequest>(r#"{"username":"a","password":"b","x":1}"#).is_err());
        assert!(serde_json::from_str::<PushRequest>(r#"{"client_id":"a","commands":[],"x":1}"#).is_err());
        let rating = r#"{"source":"s","service_record_no":"1","unit_code":"u","item_code":"i","item_name":"n",
            "channel":4,"level":{"code":1,"system":"zhejiang","x":1},"rated_at":"2026-11-20T09:00:00+08:00"}"#;
        assert!(serde_json::from_str::<RatingIn>(rating).is_err(), "a level code with an unknown field");
        assert!(serde_json::from_str::<RatingIn>(&rating.replace(r#","x":1"#, "")).is_ok());
        assert!(serde_json::from_str::<RevealRequest>(r#"{"reason":"回访核实","x":1}"#).is_err());
    }
}
