use hcp_domain::{CaseSource, CaseState, Level, OrgKind};
use hcp_protocol::{CaseRow, Counts, EntityRow, OrgUnitRow, RatingRow};

use crate::{NewCommand, Replica, ReplicaKey};

fn key() -> ReplicaKey {
    ReplicaKey::from_bytes([9; 32])
}

/// A hall with ratings (some bad, each bad one with a case) under `/1/2/`.
fn rows() -> Vec<EntityRow> {
    let mut rows = vec![EntityRow::OrgUnit(OrgUnitRow {
        id: 2,
        parent_id: None,
        kind: OrgKind::Hall,
        name: "东湖区政务服务中心".into(),
        code: "U2".into(),
        path: "/1/2/".into(),
        active: true,
    })];
    let level = |i: i64| if i % 5 == 0 { Level::Dissatisfied } else { Level::VerySatisfied };
    for i in 1..=300 {
        rows.push(EntityRow::Rating(RatingRow {
            id: i,
            source: "hall-device".into(),
            service_record_no: format!("SR{i}"),
            rating_count: 1,
            unit_id: 2,
            unit_path: "/1/2/".into(),
            department_id: None,
            window_id: None,
            staff_id: Some(100 + i % 3),
            item_code: "A1".into(),
            item_name: "居民身份证换领".into(),
            channel: (i % 8 + 1) as u8,
            level: level(i),
            content_codes: vec![],
            comment: String::new(),
            evaluator_masked: "张*".into(),
            real_name: false,
            rated_at: format!("2026-{:02}-{:02}T09:00:00+08:00", 9 + i % 3, 1 + i % 28),
        }));
    }
    for i in (5..=300).step_by(5) {
        rows.push(EntityRow::Case(CaseRow {
            id: i,
            case_no: format!("CP-2026-{i:06}"),
            source: CaseSource::BadReview,
            rating_id: Some(i),
            unit_id: 2,
            unit_path: "/1/2/".into(),
            department_id: None,
            staff_id: Some(100 + i % 3),
            level: Some(Level::Dissatisfied),
            channel: Some(4),
            item_name: Some("居民身份证换领".into()),
            summary: format!("排队太久 第{i}号"),
            state: if i % 10 == 0 { CaseState::Closed } else { CaseState::New },
            escalation_level: 0,
            handler_user_id: None,
            created_at: "2026-11-20T09:00:00+08:00".into(),
            deadline: None,
            deadline_provisional: false,
            stage_deadline: None,
            version: 1,
            updated_at: "2026-11-20T09:00:00+08:00".into(),
            aggregate: None,
        }));
    }
    rows
}

fn counts(rows: &[EntityRow]) -> Counts {
    let mut c = Counts::default();
    for r in rows {
        c.add(r.entity(), 1);
    }
    c
}

fn load(r: &mut Replica, rows: &[EntityRow], cursor: i64) {
    let mut b = r.begin_bootstrap("/1/2/").expect("begin");
    for row in rows {
        b.insert(row).expect("insert");
    }
    b.finish(cursor, &counts(rows), "2026-11-20T10:00:00Z").expect("finish");
}

/// A sealed plain image of `rows` at `cursor`.
fn image(dir: &std::path::Path, rows: &[EntityRow], cursor: i64) -> std::path::PathBuf {
    let path = dir.join("image.db");
    let mut plain = Replica::open_plain(&path).expect("open plain");
    load(&mut plain, rows, cursor);
    plain.seal_plain().expect("seal");
    path
}

fn kpis(r: &Replica) -> hcp_domain::kpi::Kpis {
    let period = hcp_domain::kpi::Period::month(2026, 10).expect("period");
    let as_of = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z").expect("time").to_utc();
    r.kpis("/1/2/", hcp_domain::kpi::Subject::All, &period, as_of).expect("kpis")
}

#[test]
fn an_imported_image_equals_a_streamed_bootstrap_and_keeps_the_outbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = rows();
    let plain = image(dir.path(), &rows, 42);
    // The image is an ordinary SQLite file: readable without any key.
    let head = std::fs::read(&plain).expect("read");
    assert!(head.starts_with(b"SQLite format 3\0"));

    let mut streamed = Replica::open(&dir.path().join("streamed.db"), &key()).expect("open");
    load(&mut streamed, &rows, 42);

    let mut r = Replica::open(&dir.path().join("r.db"), &key()).expect("open");
    r.enqueue(&NewCommand {
        command_id: "c1",
        kind: "note",
        case_id: Some(5),
        base_version: None,
        command: "{}",
        created_at: "2026-11-20T09:00:00Z",
    })
    .expect("enqueue");
    let imported = r.import_image(&plain, "/1/2/", "2026-11-20T11:00:00Z").expect("import");
    // The copy's WAL is given back (it is as large as the replica).
    let wal = std::fs::metadata(dir.path().join("r.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the WAL is truncated after the import");
    assert_eq!(imported.cursor, 42);
    assert_eq!(imported.counts, counts(&rows));
    assert_eq!(r.counts().expect("counts"), streamed.counts().expect("counts"));
    assert_eq!(r.scope_digest().expect("digest"), streamed.scope_digest().expect("digest"));
    assert_eq!(kpis(&r), kpis(&streamed));
    assert!(kpis(&r).rated > 0);
    assert_eq!(r.cursor().expect("cursor"), Some(42));
    assert_eq!(r.scope().expect("scope").as_deref(), Some("/1/2/"));
    assert_eq!(r.outbox_counts().expect("outbox"), (1, 0), "the replica's own rows stay");
    // The full-text index came with the image (its own tables) and answers searches.
    let hits: i64 = r
        .conn()
        .query_row("SELECT count(*) FROM case_text WHERE case_text MATCH '\"第25号\"'", [], |x| x.get(0))
        .expect("search");
    assert_eq!(hits, 1);
    // Same indexes as a replica bootstrapped from the stream.
    let names = |r: &Replica| -> Vec<String> {
        let mut s = r.conn().prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").expect("p");
        s.query_map([], |x| x.get(0)).expect("q").collect::<rusqlite::Result<_>>().expect("names")
    };
    assert_eq!(names(&r), names(&streamed));
    // The file is still encrypted.
    drop(r);
    assert!(matches!(
        Replica::open(&dir.path().join("r.db"), &ReplicaKey::from_bytes([1; 32])),
        Err(crate::ReplicaError::BadKey)
    ));
}

#[test]
fn an_image_of_another_scope_or_a_damaged_one_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = rows();
    let plain = image(dir.path(), &rows, 42);
    let mut r = Replica::open(&dir.path().join("r.db"), &key()).expect("open");
    load(&mut r, &rows[..50], 7);
    let before = (r.counts().expect("counts"), r.scope_digest().expect("digest"));

    assert!(r.import_image(&plain, "/1/3/", "2026-11-20T11:00:00Z").is_err());
    let damaged = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&plain).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&damaged, &bytes).expect("write");
    assert!(r.import_image(&damaged, "/1/2/", "2026-11-20T11:00:00Z").is_err());
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).expect("write");
    assert!(r.import_image(&garbage, "/1/2/", "2026-11-20T11:00:00Z").is_err());

    assert_eq!((r.counts().expect("counts"), r.scope_digest().expect("digest")), before);
    assert_eq!(r.cursor().expect("cursor"), Some(7));
    // And the replica still takes a good image afterwards.
    r.import_image(&plain, "/1/2/", "2026-11-20T11:00:00Z").expect("import");
    assert_eq!(r.counts().expect("counts"), counts(&rows));
}

#[test]
fn an_image_of_another_schema_version_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = image(dir.path(), &rows(), 42);
    {
        let c = rusqlite::Connection::open(&plain).expect("open");
        c.pragma_update(None, "user_version", super::schema_version() - 1).expect("version");
    }
    let mut r = Replica::open(&dir.path().join("r.db"), &key()).expect("open");
    let err = r.import_image(&plain, "/1/2/", "2026-11-20T11:00:00Z").expect_err("refused");
    assert!(err.to_string().contains("数据版本"), "{err}");
    assert_eq!(r.cursor().expect("cursor"), None);
}

#[test]
fn plain_files_of_another_process_are_deleted_when_the_replica_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let replica = dir.path().join("replica.db");
    let crashed = dir.path().join("replica.db.image-999999999.plain");
    let journal = dir.path().join("replica.db.image-999999999.plain-journal");
    let mine = super::plain_path(&replica);
    for p in [&crashed, &journal, &mine] {
        std::fs::write(p, b"plain rows").expect("write");
    }
    let other = dir.path().join("other.db.image-1.plain");
    std::fs::write(&other, b"someone else's").expect("write");
    assert_eq!(super::leftovers(&replica).len(), 2);
    let _r = Replica::open(&replica, &key()).expect("open");
    assert!(!crashed.exists() && !journal.exists(), "a crashed process's plain image is gone");
    assert!(mine.exists(), "this process's own file is its importer's to delete");
    assert!(other.exists(), "files of other replicas are left alone");
    super::remove_plain(&mine).expect("remove");
    assert!(!mine.exists());
}
