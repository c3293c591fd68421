//! Property-based fuzzing of the wire decoders the server and the client run on bytes from the
//! network: snapshot lines (the client's hand-tuned fast path and serde's generic one), pull pages,
//! push bodies, command envelopes, intake batches and complaints, policy bodies and sign-in bodies.
//! Arbitrary bytes, arbitrary JSON built from the real field names, and valid lines mutated byte by
//! byte must each decode to a value or an error, never a panic; a valid snapshot line round-trips.
//!
//! `HCP_FUZZ_CASES` sets the cases per property (default 300; `make soak` runs 20,000).

use hcp_protocol::{
    CommandEnvelope, ComplaintIn, FlagDecisionRequest, IntakeRequest, JurisdictionPolicy, LoginRequest, PullResponse,
    PushRequest, SnapshotLine,
};
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases() -> u32 {
    std::env::var("HCP_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(300)
}

/// Field names and values the real bodies use, so generated JSON reaches deep into the decoders.
const KEYS: &[&str] = &[
    "t",
    "entity",
    "row",
    "type",
    "id",
    "command_id",
    "client_seq",
    "case_id",
    "base_version",
    "command",
    "commands",
    "client_id",
    "outcome",
    "reason",
    "department_id",
    "handler_id",
    "due_date",
    "basis",
    "decision",
    "ratings",
    "record_no",
    "level",
    "channel",
    "unit_code",
    "window_code",
    "staff_no",
    "item_code",
    "item_name",
    "rated_at",
    "content_codes",
    "comment",
    "evaluator",
    "name",
    "phone",
    "cert_no",
    "rating_count",
    "source",
    "ticket_no",
    "summary",
    "working_days",
    "utc_offset_minutes",
    "calendar",
    "cursor",
    "counts",
    "changes",
    "has_more",
    "seq",
    "op",
    "scope_path",
    "expected",
    "resumed",
    "username",
    "password",
    "verdict",
    "notes",
    "path",
    "parent_id",
    "kind",
];
const WORDS: &[&str] = &[
    "row",
    "begin",
    "end",
    "org_unit",
    "case",
    "rating",
    "verify",
    "assign",
    "escalate",
    "genuine",
    "malicious",
    "very_dissatisfied",
    "dissatisfied",
    "upsert",
    "delete",
    "confirmed_fake",
    "dismissed",
    "manual",
    "admonition",
    "2026-11-20",
    "2026-11-20T10:00:00Z",
    "/1/4/",
    "",
    "\u{0}",
    "差评",
    "9223372036854775807",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![Just(i64::MIN), Just(-1i64), Just(0), Just(u32::MAX as i64), Just(i64::MAX)].prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// Decodes `bytes` as every wire type; a panic fails the property.
fn decode_all(bytes: &[u8]) {
    let _ = SnapshotLine::from_json(bytes);
    let _ = serde_json::from_slice::<PullResponse>(bytes);
    let _ = serde_json::from_slice::<PushRequest>(bytes);
    let _ = serde_json::from_slice::<CommandEnvelope>(bytes);
    let _ = serde_json::from_slice::<IntakeRequest>(bytes);
    let _ = serde_json::from_slice::<ComplaintIn>(bytes);
    let _ = serde_json::from_slice::<JurisdictionPolicy>(bytes);
    let _ = serde_json::from_slice::<FlagDecisionRequest>(bytes);
    let _ = serde_json::from_slice::<LoginRequest>(bytes);
}

fn valid_row_line() -> Vec<u8> {
    r#"{"t":"row","entity":"org_unit","row":{"id":17,"parent_id":4,"kind":"hall","name":"东湖区政务服务中心","code":"DH-HALL","path":"/1/4/17/"}}"#
        .as_bytes()
        .to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_a_decoder(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn arbitrary_json_of_the_real_fields_never_panics_a_decoder(v in json_value()) {
        decode_all(&serde_json::to_vec(&v).expect("encode"));
        // The same value as a snapshot row line, to reach the fast path.
        let line = json!({"t": "row", "entity": "case", "row": v});
        decode_all(&serde_json::to_vec(&line).expect("encode"));
    }

    #[test]
    fn a_mutated_snapshot_line_decodes_or_fails_cleanly(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut line = valid_row_line();
        for (at, byte, op) in edits {
            let i = at.index(line.len().max(1));
            match op {
                0 if i < line.len() => line[i] = byte,
                1 => line.insert(i.min(line.len()), byte),
                _ if i < line.len() => { line.remove(i); }
                _ => {}
            }
        }
        let keep = cut.index(line.len() + 1);
        decode_all(&line[..keep]);
        decode_all(&line);
    }
}

#[test]
fn a_valid_snapshot_line_round_trips() {
    let line = valid_row_line();
    let decoded = SnapshotLine::from_json(&line).expect("decode");
    assert!(matches!(decoded, SnapshotLine::Row { .. }), "{decoded:?}");
    let again = serde_json::to_vec(&decoded).expect("encode");
    assert_eq!(SnapshotLine::from_json(&again).expect("decode again"), decoded);
}
