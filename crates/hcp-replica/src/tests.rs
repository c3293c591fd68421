use hcp_domain::{CaseSource, CaseState, Level, OrgKind};
use hcp_protocol::{CaseRow, Change, ChangeOp, Counts, Entity, EntityRow, OrgUnitRow};

use super::*;

fn key(b: u8) -> ReplicaKey {
    ReplicaKey::from_bytes([b; 32])
}

fn unit(id: i64, name: &str, path: &str) -> EntityRow {
    EntityRow::OrgUnit(OrgUnitRow {
        id,
        parent_id: None,
        kind: OrgKind::Hall,
        name: name.into(),
        code: format!("U{id}"),
        path: path.into(),
        active: true,
    })
}

fn case(id: i64, no: &str, state: CaseState, level: Level, summary: &str, created: &str) -> CaseRow {
    CaseRow {
        id,
        case_no: no.into(),
        source: CaseSource::BadReview,
        rating_id: None,
        unit_id: 2,
        unit_path: "/1/2/".into(),
        department_id: None,
        staff_id: None,
        level: Some(level),
        channel: Some(4),
        item_name: Some("居民身份证换领".into()),
        summary: summary.into(),
        state,
        escalation_level: 0,
        handler_user_id: None,
        created_at: created.into(),
        deadline: None,
        deadline_provisional: false,
        stage_deadline: None,
        version: 1,
        updated_at: created.into(),
        aggregate: None,
    }
}

/// The current stage's deadline the server sends for a case whose deadline is its rectification
/// deadline: the same date while assigned, rectifying or paused, none after (these fixtures'
/// policy has no return-visit clock).
fn rectifying(c: &CaseRow) -> Option<String> {
    matches!(c.state, CaseState::Assigned | CaseState::InRectification | CaseState::ExtensionRequested)
        .then(|| c.deadline.clone())
        .flatten()
}

fn seeded(dir: &std::path::Path) -> Replica {
    let mut r = Replica::open(&dir.join("r.db"), &key(7)).expect("open");
    let mut b = r.begin_bootstrap("/1/2/").expect("begin");
    b.insert(&unit(2, "东湖区政务服务中心", "/1/2/")).expect("unit");
    b.insert(&EntityRow::Case(case(
        10,
        "CP-2026-000010",
        CaseState::New,
        Level::Dissatisfied,
        "排队太久",
        "2026-11-20T09:00:00+08:00",
    )))
    .expect("case");
    b.insert(&EntityRow::Case(case(
        11,
        "CP-2026-000011",
        CaseState::Closed,
        Level::VeryDissatisfied,
        "100%_不满意 <img src=x onerror=alert(1)>",
        "2026-11-21T09:00:00+08:00",
    )))
    .expect("case");
    let expected = Counts { org_unit: 1, case: 2, ..Counts::default() };
    b.finish(41, &expected, "2026-11-21T10:00:00Z").expect("finish");
    r
}

#[test]
fn the_file_is_encrypted_and_a_wrong_key_is_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(seeded(dir.path()));
    let raw = std::fs::read(dir.path().join("r.db")).expect("read");
    assert!(!raw.starts_with(b"SQLite format 3"), "the replica must not be a plain SQLite file");
    assert!(!raw.windows("排队太久".len()).any(|w| w == "排队太久".as_bytes()));
    match Replica::open(&dir.path().join("r.db"), &key(8)) {
        Err(ReplicaError::BadKey) => {}
        Err(e) => panic!("expected BadKey, got {e}"),
        Ok(_) => panic!("a wrong key must not open the replica"),
    }
    let r = Replica::open(&dir.path().join("r.db"), &key(7)).expect("right key");
    assert_eq!(r.cursor().expect("cursor"), Some(41));
}

/// A replica from before deactivated units gets the `active` column (every unit active) and keeps
/// its rows; a deactivated unit's flag then arrives through the feed like any change.
#[test]
fn a_replica_from_before_deactivated_units_gets_the_flag_and_keeps_its_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = seeded(dir.path());
    // Back to the schema before the column: the table as it was (and without the tables that came
    // later: awards, self-assessments), the version before the column's migration.
    let before = super::MIGRATIONS
        .iter()
        .position(|m| matches!(m, super::Migration::Sql(s) if *s == crate::tables::org_units::ACTIVE_DDL))
        .expect("the flag's migration");
    r.conn()
        .execute_batch(&format!(
            "ALTER TABLE org_units DROP COLUMN active; DROP TABLE awards;
             DROP TABLE self_assessments; DROP TABLE survey_results; DROP TABLE self_assessment_drafts;
             DROP TABLE attachments; DROP TABLE rating_stats; DROP TABLE agg_rating_totals;
             DROP TABLE agg_case_totals; DROP TABLE agg_channel_totals; PRAGMA user_version = {before};"
        ))
        .expect("the old schema");
    drop(r);
    let mut r = Replica::open(&dir.path().join("r.db"), &key(7)).expect("reopen migrates");
    let flag = |r: &Replica| -> i64 {
        r.conn().query_row("SELECT active FROM org_units WHERE id = 2", [], |row| row.get(0)).expect("flag")
    };
    assert_eq!(flag(&r), 1, "existing units are active");
    assert_eq!(r.cursor().expect("cursor"), Some(41), "nothing else changed");
    let EntityRow::OrgUnit(mut off) = unit(2, "东湖区政务服务中心", "/1/2/") else { unreachable!() };
    off.active = false;
    r.apply_changes(
        &[Change {
            seq: 42,
            op: ChangeOp::Upsert,
            entity: Entity::OrgUnit,
            entity_id: 2,
            row: Some(EntityRow::OrgUnit(off)),
        }],
        42,
    )
    .expect("apply");
    assert_eq!(flag(&r), 0);
}

fn cases(ids: std::ops::RangeInclusive<i64>) -> Vec<EntityRow> {
    ids.map(|i| {
        EntityRow::Case(case(
            i,
            &format!("CP-2026-{i:06}"),
            CaseState::New,
            Level::Dissatisfied,
            "排队太久",
            "2026-11-20T09:00:00+08:00",
        ))
    })
    .collect()
}

#[test]
fn a_chunked_bootstrap_keeps_committed_chunks_and_resumes_after_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(1)).expect("open");
    // An old replica of another scope: cleared by the first chunk.
    let mut b = r.begin_bootstrap("/9/").expect("begin");
    b.insert(&unit(9, "旧辖区", "/9/")).expect("unit");
    b.finish(3, &Counts { org_unit: 1, ..Counts::default() }, "then").expect("finish");

    let mut b = r.begin_resumable_bootstrap("/1/", 40, 4).expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    b.insert(&unit(2, "东湖区政务服务中心", "/1/2/")).expect("unit");
    for row in cases(1..=7) {
        b.insert(&row).expect("case");
    }
    drop(b); // the connection broke: the last 1 row (not a whole chunk) is rolled back
    let point = r.resume_point().expect("meta").expect("a place to resume from");
    assert_eq!((point.scope.as_str(), point.cursor, point.entity, point.after_id), ("/1/", 40, Entity::Case, 6));
    assert_eq!(point.kept, Counts { org_unit: 2, case: 6, ..Counts::default() });
    assert_eq!(r.counts().expect("counts"), point.kept, "the chunks committed, the old scope's rows gone");
    assert_eq!(r.cursor().expect("cursor"), None, "not bootstrapped");

    // The second attempt: a stream cut again, this time keeping what arrived.
    let mut b = r.resume_bootstrap(&point, 4).expect("resume");
    for row in cases(7..=9) {
        b.insert(&row).expect("case");
    }
    let kept = b.keep_partial().expect("keep").expect("kept");
    assert_eq!((kept.entity, kept.after_id, kept.rows()), (Entity::Case, 9, 11));
    assert_eq!(kept.cursor, 40, "the first attempt's cursor stays");

    // The third attempt finishes; its counts cover its own part.
    let mut b = r.resume_bootstrap(&kept, 4).expect("resume");
    b.expect(&Counts { case: 3, ..Counts::default() });
    for row in cases(10..=12) {
        b.insert(&row).expect("case");
    }
    assert_eq!(b.total(), Counts { org_unit: 2, case: 12, ..Counts::default() });
    let mut building = false;
    // The server's head moved on (45); the first attempt's cursor (40) is what the replica pulls from.
    b.finish_with(45, &Counts { case: 3, ..Counts::default() }, "now", || building = true).expect("finish");
    assert!(building);
    assert_eq!(r.cursor().expect("cursor"), Some(40));
    assert_eq!(r.resume_point().expect("meta"), None);
    assert_eq!(r.counts().expect("counts"), Counts { org_unit: 2, case: 12, ..Counts::default() });
    let ok: String = r.conn().query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("check");
    assert_eq!(ok, "ok");
}

fn index_names(conn: &Connection) -> Vec<String> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("names")
}

#[test]
fn a_bootstrap_sets_the_indexes_aside_and_builds_them_again_even_after_an_interruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.db");
    let mut r = Replica::open(&path, &key(1)).expect("open");
    let all = index_names(r.conn());
    assert!(all.iter().any(|n| n == "ratings_unit_time") && all.iter().any(|n| n == "cases_deadline"), "{all:?}");

    // While rows go in, the mirrored tables' secondary indexes are gone (the outbox keeps its own).
    let mut b = r.begin_resumable_bootstrap("/1/", 40, 4).expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    for row in cases(1..=9) {
        b.insert(&row).expect("case");
    }
    drop(b); // interrupted after two committed chunks
    let during = index_names(r.conn());
    assert!(!during.iter().any(|n| n.starts_with("cases_") || n.starts_with("ratings_")), "{during:?}");
    assert!(during.iter().any(|n| n == "outbox_case"), "{during:?}");

    // The next start of the app finds a place to resume from: the indexes stay aside for it.
    let mut r = Replica::open(&path, &key(1)).expect("reopen");
    assert_eq!(index_names(r.conn()), during);
    let point = r.resume_point().expect("meta").expect("resumable");

    // The resumed attempt sets them aside again, and its finish builds every one over all the rows.
    let mut b = r.resume_bootstrap(&point, 4).expect("resume");
    for row in cases(9..=12) {
        b.insert(&row).expect("case");
    }
    b.finish(41, &Counts { case: 4, ..Counts::default() }, "now").expect("finish");
    assert_eq!(index_names(r.conn()), all);
    assert_eq!(r.meta("bootstrap_parked_indexes").expect("meta"), None);
    let plan = plan(r.conn(), "SELECT id FROM cases WHERE deadline < '2026-12-01'");
    assert!(plan.iter().any(|p| p.contains("cases_deadline")), "{plan:?}");
    let ok: String = r.conn().query_row("PRAGMA integrity_check", [], |row| row.get(0)).expect("check");
    assert_eq!(ok, "ok");

    // A bootstrap given up (its place to resume from discarded) gets its indexes back at once,
    // and so does one whose place was lost some other way, at the next opening.
    let mut b = r.begin_resumable_bootstrap("/1/", 50, 1).expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    drop(b);
    assert_eq!(index_names(r.conn()), during);
    r.discard_resume_point().expect("discard");
    assert_eq!(index_names(r.conn()), all);
    let mut b = r.begin_resumable_bootstrap("/1/", 51, 1).expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    drop(b);
    r.conn().execute("DELETE FROM meta WHERE key = 'bootstrap_resume'", []).expect("lose the place");
    let mut r = Replica::open(&path, &key(1)).expect("reopen");
    assert_eq!(index_names(r.conn()), all);

    // A bootstrap that fails rolls back its drop with everything else.
    let mut b = r.begin_bootstrap("/1/").expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    assert!(b.finish(42, &Counts { org_unit: 2, ..Counts::default() }, "now").is_err());
    assert_eq!(index_names(r.conn()), all);
}

#[test]
fn a_resumed_attempt_is_checked_against_its_begin_line_and_the_totals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(1)).expect("open");
    let mut b = r.begin_resumable_bootstrap("/1/", 7, 2).expect("begin");
    for row in cases(1..=4) {
        b.insert(&row).expect("case");
    }
    drop(b);
    let point = r.resume_point().expect("meta").expect("point");
    // The begin line promised 2 rows; the trailer agrees with what came, but not with the promise.
    let mut b = r.resume_bootstrap(&point, 2).expect("resume");
    b.expect(&Counts { case: 2, ..Counts::default() });
    b.insert(&cases(5..=5)[0]).expect("case");
    let got = b.finish(7, &Counts { case: 1, ..Counts::default() }, "now");
    assert!(matches!(got, Err(ReplicaError::CountMismatch(_))), "{got:?}");
    // A row sent again (overlapping ranges) makes the totals disagree with the tables.
    let mut b = r.resume_bootstrap(&point, 100).expect("resume");
    for row in cases(4..=5) {
        b.insert(&row).expect("case");
    }
    let got = b.finish(7, &Counts { case: 2, ..Counts::default() }, "now");
    assert!(matches!(got, Err(ReplicaError::CountMismatch(_))), "{got:?}");
    assert_eq!(r.cursor().expect("cursor"), None);
    // Rows out of snapshot order give no place to resume from.
    let mut b = r.begin_resumable_bootstrap("/1/", 7, 1).expect("begin");
    for row in cases(3..=4).into_iter().chain(cases(1..=2)) {
        b.insert(&row).expect("case");
    }
    assert_eq!(b.keep_partial().expect("keep"), None);
    let point = r.resume_point().expect("meta").expect("the in-order part was kept");
    assert_eq!((point.after_id, point.rows()), (4, 2));
}

#[test]
fn a_snapshot_with_missing_rows_is_rolled_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(1)).expect("open");
    let mut b = r.begin_bootstrap("/1/").expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    let claimed = Counts { org_unit: 2, ..Counts::default() };
    assert!(matches!(b.finish(5, &claimed, "now"), Err(ReplicaError::CountMismatch(_))));
    assert_eq!(r.counts().expect("counts").total(), 0);
    assert_eq!(r.cursor().expect("cursor"), None);
}

#[test]
fn changes_apply_with_their_cursor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = seeded(dir.path());
    let mut updated =
        case(10, "CP-2026-000010", CaseState::Assigned, Level::Dissatisfied, "排队太久", "2026-11-20T09:00:00+08:00");
    updated.version = 2;
    let changes = vec![
        Change {
            seq: 42,
            op: ChangeOp::Upsert,
            entity: Entity::Case,
            entity_id: 10,
            row: Some(EntityRow::Case(updated)),
        },
        Change { seq: 43, op: ChangeOp::Delete, entity: Entity::Case, entity_id: 11, row: None },
    ];
    r.apply_changes(&changes, 43).expect("apply");
    assert_eq!(r.cursor().expect("cursor"), Some(43));
    let page = r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() }).expect("list");
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].state, CaseState::Assigned);
    let bad = vec![Change { seq: 44, op: ChangeOp::Upsert, entity: Entity::Case, entity_id: 12, row: None }];
    assert!(matches!(r.apply_changes(&bad, 44), Err(ReplicaError::Corrupt(_))));
    assert_eq!(r.cursor().expect("cursor"), Some(43), "a failed page must not move the cursor");
}

#[test]
fn the_inbox_filters_searches_and_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = seeded(dir.path());
    let all = r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() }).expect("all");
    assert_eq!(all.total, 2);
    assert_eq!(all.items[0].case_no, "CP-2026-000011", "newest first");
    assert_eq!(all.items[0].unit_name, "东湖区政务服务中心");
    assert!(all.items[0].summary.contains("<img src=x onerror=alert(1)>"), "text is kept verbatim");

    let open =
        r.list_cases(&CaseQuery { state: Some(CaseState::New), limit: 50, ..CaseQuery::default() }).expect("new");
    assert_eq!(open.total, 1);
    let very = r
        .list_cases(&CaseQuery { level: Some(Level::VeryDissatisfied), limit: 50, ..CaseQuery::default() })
        .expect("level");
    assert_eq!(very.items.len(), 1);
    // `%` and `_` are matched literally, not as wildcards.
    let pct =
        r.list_cases(&CaseQuery { search: Some("100%_".into()), limit: 50, ..CaseQuery::default() }).expect("pct");
    assert_eq!(pct.total, 1);
    let none = r
        .list_cases(&CaseQuery {
            search: Some("%".into()),
            state: Some(CaseState::New),
            limit: 50,
            ..CaseQuery::default()
        })
        .expect("none");
    assert_eq!(none.total, 0);
    let by_no =
        r.list_cases(&CaseQuery { search: Some("000010".into()), limit: 50, ..CaseQuery::default() }).expect("no");
    assert_eq!(by_no.total, 1);
    let page2 = r.list_cases(&CaseQuery { offset: 1, limit: 1, ..CaseQuery::default() }).expect("page");
    assert_eq!((page2.total, page2.items.len()), (2, 1));
    assert_eq!(page2.items[0].case_no, "CP-2026-000010");
}

#[test]
fn keys_round_trip_through_hex() {
    let k = key(0xab);
    assert_eq!(ReplicaKey::from_hex(&k.to_hex()), Some(k.clone()));
    assert_eq!(ReplicaKey::from_hex("zz"), None);
    assert_eq!(ReplicaKey::from_hex("abcd"), None);
    assert_eq!(format!("{k:?}"), "ReplicaKey(…)");
}

#[test]
fn users_are_replicated_for_assignee_pickers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(2)).expect("open");
    let mut b = r.begin_bootstrap("/1/").expect("begin");
    let u = hcp_protocol::UserRow {
        id: 5,
        display_name: "陈承办".into(),
        role: hcp_domain::Role::DepartmentHandler,
        unit_id: 9,
        unit_path: "/1/2/9/".into(),
        active: true,
    };
    b.insert(&EntityRow::User(u)).expect("user");
    b.finish(1, &Counts { user: 1, ..Counts::default() }, "now").expect("finish");
    assert_eq!(r.counts().expect("counts").user, 1);
    assert_eq!(
        r.users_with_role(hcp_domain::Role::DepartmentHandler, "/1/2/").expect("q"),
        vec![(5, "陈承办".to_owned(), 9)]
    );
    assert!(r.users_with_role(hcp_domain::Role::DepartmentHandler, "/1/3/").expect("q").is_empty());
}

/// The query plan of `sql`, one detail line per step.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect(sql);
    let nulls = vec![rusqlite::types::Value::Null; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
        .expect("plan")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("plan rows")
}

/// A step that reads a whole table of facts or aggregates without an index, e.g. `SCAN c`.
fn full_scan(step: &str) -> bool {
    let Some(rest) = step.strip_prefix("SCAN ") else { return false };
    let name = rest.split_whitespace().next().unwrap_or_default();
    let facts = ["ratings", "cases", "case_events", "r", "c", "e", "t"];
    (facts.contains(&name) || name.starts_with("agg_")) && !rest.contains("USING")
}

#[test]
fn every_inbox_and_dashboard_query_uses_an_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = seeded(dir.path());
    let mut statements: Vec<String> = Vec::new();
    // The inbox, for every combination of its filters (the free-text search is a substring match
    // that no b-tree index serves; it narrows a list the other filters or the date order already bound).
    for state in [None, Some(CaseState::New)] {
        for level in [None, Some(Level::Dissatisfied)] {
            for source in [None, Some(CaseSource::BadReview)] {
                let (count, page, _) = query::list_sql(&query::CaseQuery {
                    state,
                    level,
                    source,
                    limit: 50,
                    ..query::CaseQuery::default()
                });
                statements.extend([count, page]);
            }
        }
    }
    for q in [
        query::CaseQuery { sort: Some(query::CaseSort::Deadline), limit: 50, ..query::CaseQuery::default() },
        query::CaseQuery {
            escalation: Some(hcp_domain::EscalationLevel::Accountability),
            limit: 50,
            ..query::CaseQuery::default()
        },
        query::CaseQuery { accountability_pending: true, limit: 50, ..query::CaseQuery::default() },
        query::CaseQuery { due: Some(query::DueWindow::Overdue), limit: 50, ..query::CaseQuery::default() },
        query::CaseQuery { due: Some(query::DueWindow::AtRisk), limit: 50, ..query::CaseQuery::default() },
    ] {
        let (count, page, _) = query::list_sql(&q);
        statements.extend([count, page]);
    }
    statements.push(query::case_item_sql());
    statements.push(
        "SELECT id, case_id, unit_path, kind, actor_user_id, actor_name, at, data FROM case_events WHERE case_id = ?1 ORDER BY at, id"
            .into(),
    );
    // The dashboard's reads, and the incremental maintenance of the aggregates (per change).
    statements.extend(aggregates::dashboard_statements());
    let ids = "id IN (SELECT value FROM json_each(?2))";
    statements.extend([
        tables::agg_rating_units::fold_sql(ids),
        tables::agg_rating_staff::fold_sql(ids),
        tables::agg_rating_channels::fold_sql(ids),
        tables::agg_case_units::fold_sql(ids),
        tables::agg_case_staff::fold_sql(ids),
    ]);
    for sql in &statements {
        let steps = plan(r.conn(), sql);
        tracing::debug!(?steps, sql, "query plan");
        assert!(!steps.iter().any(|s| full_scan(s)), "a full scan in\n{sql}\n{steps:#?}");
        assert!(
            steps.iter().any(|s| s.contains("USING") && (s.contains("INDEX") || s.contains("PRIMARY KEY"))),
            "no index used in\n{sql}\n{steps:#?}"
        );
    }
    // The checker itself sees a full scan when there is one.
    assert!(plan(r.conn(), "SELECT count(*) FROM ratings WHERE comment = ?1").iter().any(|s| full_scan(s)));
}

#[test]
fn the_inbox_filters_by_escalation_rung_and_at_risk_and_only_running_deadlines_count() {
    use crate::{CaseSort, DueWindow};
    use hcp_domain::EscalationLevel;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(6)).expect("open");
    let mut b = r.begin_bootstrap("/1/").expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    b.insert(&unit(2, "东湖区政务服务中心", "/1/2/")).expect("unit");
    // (id, state, rung, deadline)
    let rows = [
        (1, CaseState::InRectification, 3, Some("2026-11-10")),
        (2, CaseState::Closed, 3, Some("2026-11-01")),
        (3, CaseState::Assigned, 1, Some("2026-11-20")),
        (4, CaseState::ExtensionRequested, 2, Some("2026-11-12")),
        (5, CaseState::Rectified, 3, Some("2026-11-23")),
        (6, CaseState::InRectification, 0, Some("2026-11-23")),
        (7, CaseState::InRectification, 0, Some("2026-11-24")),
        (8, CaseState::New, 3, None),
        (9, CaseState::Excluded, 3, Some("2026-11-02")),
    ];
    for (id, state, rung, due) in rows {
        let mut c = case(id, &format!("CP-2026-{id:06}"), state, Level::Dissatisfied, "测试", "2026-11-01T01:00:00Z");
        c.escalation_level = rung;
        c.deadline = due.map(str::to_owned);
        c.stage_deadline = rectifying(&c);
        b.insert(&EntityRow::Case(c)).expect("case");
    }
    b.finish(1, &Counts { org_unit: 2, case: 9, ..Counts::default() }, "2026-11-20T00:00:00Z").expect("finish");
    // Case 5 already has its accountability decision.
    r.conn()
        .execute("UPDATE cases SET aggregate = json_object('accountability_decisions', 1) WHERE id = 5", [])
        .expect("decided");
    let ids = |q: CaseQuery| -> Vec<i64> {
        let unsorted = q.sort.is_none();
        let mut v: Vec<i64> = r
            .list_cases(&CaseQuery { limit: 50, today: Some("2026-11-20".into()), ..q })
            .expect("list")
            .items
            .into_iter()
            .map(|c| c.id)
            .collect();
        if unsorted {
            v.sort_unstable();
        }
        v
    };
    let page = r.list_cases(&CaseQuery { limit: 50, ..CaseQuery::default() }).expect("list");
    let rung_of = |id: i64| page.items.iter().find(|c| c.id == id).map(|c| c.escalation);
    assert_eq!(rung_of(1), Some(EscalationLevel::Accountability), "the list shows each case's rung");
    assert_eq!(rung_of(3), Some(EscalationLevel::CoordinationOffice));
    let at = |e: EscalationLevel| ids(CaseQuery { escalation: Some(e), ..CaseQuery::default() });
    assert_eq!(at(EscalationLevel::Accountability), vec![1, 2, 5, 8, 9]);
    assert_eq!(at(EscalationLevel::GovernmentInspection), vec![4]);
    assert_eq!(at(EscalationLevel::FirstLine), vec![6, 7]);
    assert_eq!(
        ids(CaseQuery { accountability_pending: true, ..CaseQuery::default() }),
        vec![1, 2],
        "at the top rung without a decision, in a state that takes one (not 5: decided; not 8: unverified; not 9: excluded)"
    );
    // Overdue counts only running deadlines: the paused extension (4) and the rectified case are out.
    assert_eq!(ids(CaseQuery { due: Some(DueWindow::Overdue), ..CaseQuery::default() }), vec![1]);
    // At risk up to the bound the app computes from the calendar (Friday 20 Nov → Monday 23 Nov).
    let at_risk =
        CaseQuery { due: Some(DueWindow::AtRisk), at_risk_until: Some("2026-11-23".into()), ..CaseQuery::default() };
    assert_eq!(ids(at_risk.clone()), vec![3, 6]);
    assert_eq!(ids(CaseQuery { accountability_pending: true, ..at_risk }), Vec::<i64>::new(), "filters combine");
    assert_eq!(
        ids(CaseQuery { sort: Some(CaseSort::Deadline), ..CaseQuery::default() }),
        vec![1, 3, 6, 7, 2, 9, 4, 5, 8],
        "running deadlines first by date, then the others by date, none last"
    );
}

#[test]
fn full_text_search_finds_chinese_substrings_through_the_index_and_follows_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = seeded(dir.path());
    let search = |r: &Replica, text: &str| -> Vec<String> {
        r.list_cases(&CaseQuery { search: Some(text.into()), limit: 50, ..CaseQuery::default() })
            .expect("search")
            .items
            .into_iter()
            .map(|c| c.case_no)
            .collect()
    };
    // Three characters or more go through the trigram index, anywhere in the number, item or summary.
    assert_eq!(search(&r, "排队太"), vec!["CP-2026-000010"]);
    assert_eq!(search(&r, "身份证换"), vec!["CP-2026-000011", "CP-2026-000010"]);
    assert_eq!(search(&r, "2026-000011"), vec!["CP-2026-000011"]);
    assert_eq!(search(&r, "onerror=alert"), vec!["CP-2026-000011"], "markup is searched as plain text");
    assert_eq!(search(&r, "\"引号\" OR x"), Vec::<String>::new(), "query syntax is taken literally");
    // Shorter queries (two Chinese characters are common) still work.
    assert_eq!(search(&r, "太久"), vec!["CP-2026-000010"]);
    // A pulled change re-indexes the case; a deletion removes it.
    let mut changed =
        case(10, "CP-2026-000010", CaseState::New, Level::Dissatisfied, "窗口推诿扯皮", "2026-11-20T09:00:00+08:00");
    changed.version = 2;
    r.apply_changes(
        &[Change {
            seq: 42,
            op: ChangeOp::Upsert,
            entity: Entity::Case,
            entity_id: 10,
            row: Some(EntityRow::Case(changed)),
        }],
        42,
    )
    .expect("update");
    assert!(search(&r, "排队太").is_empty(), "the old text is gone from the index");
    assert_eq!(search(&r, "推诿扯"), vec!["CP-2026-000010"]);
    r.apply_changes(&[Change { seq: 43, op: ChangeOp::Delete, entity: Entity::Case, entity_id: 10, row: None }], 43)
        .expect("delete");
    assert!(search(&r, "推诿扯").is_empty());
    // The index answers: the plan searches cases by id from the full-text table, no scan of cases.
    let plan: Vec<String> = r
        .conn()
        .prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM cases c WHERE c.id IN (SELECT rowid FROM case_text WHERE case_text MATCH '\"排队太\"')")
        .expect("plan")
        .query_map([], |row| row.get::<_, String>(3))
        .expect("rows")
        .collect::<std::result::Result<_, _>>()
        .expect("plan rows");
    assert!(plan.iter().any(|p| p.contains("VIRTUAL TABLE")), "{plan:?}");
    assert!(!plan.iter().any(|p| p == "SCAN c" || p.starts_with("SCAN c ")), "{plan:?}");
}

#[test]
fn the_inbox_filters_by_unit_channel_handler_and_deadline_and_sorts() {
    use crate::{CaseSort, DueWindow};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(5)).expect("open");
    let mut b = r.begin_bootstrap("/1/").expect("begin");
    b.insert(&unit(1, "江城市", "/1/")).expect("unit");
    b.insert(&unit(2, "东湖区政务服务中心", "/1/2/")).expect("unit");
    b.insert(&unit(3, "西山区政务服务中心", "/1/3/")).expect("unit");
    // (id, unit, channel, handler, deadline, state, created, updated)
    let rows = [
        (
            1,
            2,
            4,
            Some(7),
            Some("2026-11-18"),
            CaseState::InRectification,
            "2026-11-10T01:00:00Z",
            "2026-11-19T01:00:00Z",
        ),
        (2, 2, 3, Some(8), Some("2026-11-20"), CaseState::Assigned, "2026-11-11T01:00:00Z", "2026-11-12T01:00:00Z"),
        (
            3,
            3,
            4,
            Some(7),
            Some("2026-11-22"),
            CaseState::InRectification,
            "2026-11-12T01:00:00Z",
            "2026-11-13T01:00:00Z",
        ),
        (4, 3, 4, None, Some("2026-11-15"), CaseState::Closed, "2026-11-13T01:00:00Z", "2026-11-14T01:00:00Z"),
        (5, 2, 6, None, None, CaseState::New, "2026-11-14T01:00:00Z", "2026-11-15T01:00:00Z"),
    ];
    for (id, u, ch, h, due, state, created, updated) in rows {
        let mut c = case(id, &format!("CP-2026-{id:06}"), state, Level::Dissatisfied, "测试", created);
        c.unit_id = u;
        c.unit_path = format!("/1/{u}/");
        c.channel = Some(ch);
        c.handler_user_id = h;
        c.deadline = due.map(str::to_owned);
        c.stage_deadline = rectifying(&c);
        c.updated_at = updated.into();
        b.insert(&EntityRow::Case(c)).expect("case");
    }
    let expected = Counts { org_unit: 3, case: 5, ..Counts::default() };
    b.finish(1, &expected, "2026-11-20T00:00:00Z").expect("finish");
    let ids = |q: CaseQuery| -> Vec<i64> {
        r.list_cases(&CaseQuery { limit: 50, today: Some("2026-11-20".into()), ..q })
            .expect("list")
            .items
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    let units: Vec<(i64, u32)> =
        r.units_under("/1/").expect("units").into_iter().map(|(id, _, _, d)| (id, d)).collect();
    assert_eq!(units, vec![(1, 0), (2, 1), (3, 1)], "the unit filter's options, in tree order with depths");
    assert_eq!(ids(CaseQuery { unit_id: Some(3), ..CaseQuery::default() }), vec![4, 3], "a unit and below");
    assert_eq!(ids(CaseQuery { unit_id: Some(1), ..CaseQuery::default() }).len(), 5, "the city holds all");
    assert_eq!(ids(CaseQuery { channel: Some(4), ..CaseQuery::default() }), vec![4, 3, 1]);
    assert_eq!(ids(CaseQuery { handler_user_id: Some(7), ..CaseQuery::default() }), vec![3, 1]);
    assert_eq!(
        ids(CaseQuery { due: Some(DueWindow::Overdue), ..CaseQuery::default() }),
        vec![1],
        "closed 4 is not overdue"
    );
    assert_eq!(ids(CaseQuery { due: Some(DueWindow::Today), ..CaseQuery::default() }), vec![2]);
    assert_eq!(ids(CaseQuery { due: Some(DueWindow::ThreeDays), ..CaseQuery::default() }), vec![3, 2]);
    assert_eq!(
        ids(CaseQuery { sort: Some(CaseSort::Deadline), ..CaseQuery::default() }),
        vec![1, 2, 3, 4, 5],
        "running deadlines first (earliest first), then the closed case's, none last"
    );
    assert_eq!(ids(CaseQuery { sort: Some(CaseSort::Updated), ..CaseQuery::default() }), vec![1, 5, 4, 3, 2]);
    assert_eq!(
        ids(CaseQuery { unit_id: Some(2), channel: Some(4), handler_user_id: Some(7), ..CaseQuery::default() }),
        vec![1],
        "filters combine"
    );
}

#[test]
fn only_an_unsent_command_the_last_of_its_case_can_be_cancelled_and_a_push_claims_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = Replica::open(&dir.path().join("r.db"), &key(9)).expect("open");
    let enqueue = |r: &Replica, id: &str, case_id: Option<i64>, kind: &str| {
        r.enqueue(&NewCommand {
            command_id: id,
            case_id,
            base_version: Some(1),
            kind,
            command: "{}",
            created_at: "2026-11-20T01:00:00Z",
        })
        .expect("enqueue");
    };
    enqueue(&r, "a", Some(1), "verify");
    enqueue(&r, "b", Some(1), "assign");
    enqueue(&r, "c", Some(2), "verify");
    enqueue(&r, "d", None, "decide_flag");
    enqueue(&r, "e", Some(3), "verify");
    let cancellable: Vec<(String, bool)> =
        r.outbox().expect("outbox").into_iter().map(|i| (i.command_id, i.cancellable)).collect();
    assert_eq!(
        cancellable,
        [("a", false), ("b", true), ("c", true), ("d", true), ("e", true)].map(|(i, c)| (i.to_owned(), c)).to_vec()
    );
    assert_eq!(r.cancel("a").expect("cancel"), Err(CancelRefusal::LaterCommands));
    assert_eq!(r.cancel("b").expect("cancel").map(|i| i.command_id), Ok("b".to_owned()));
    assert_eq!(r.cancel("b").expect("cancel"), Err(CancelRefusal::NotFound));
    assert_eq!(r.pending_for_case(1).expect("pending").len(), 1, "the projection reads what is left");

    // A push claims the commands it sends in the transaction that reads them: from then on they
    // cannot be cancelled, and one cancelled before is never claimed.
    assert_eq!(r.cancel("c").expect("cancel").map(|i| i.command_id), Ok("c".to_owned()));
    let claimed =
        r.claim_pending(10, |batch| batch.iter().take_while(|i| i.kind != "decide_flag").count()).expect("claim");
    assert_eq!(claimed.iter().map(|i| i.command_id.as_str()).collect::<Vec<_>>(), vec!["a"]);
    assert!(claimed.iter().all(|i| i.attempts == 1 && !i.cancellable));
    assert_eq!(r.cancel("a").expect("cancel"), Err(CancelRefusal::Sent));
    assert_eq!(r.outbox_item("a").expect("item").map(|i| i.attempts), Some(1));
    // Not yet claimed: still cancellable.
    assert_eq!(r.cancel("e").expect("cancel").map(|i| i.command_id), Ok("e".to_owned()));
    r.settle(&[Settlement::Rejected {
        command_id: "a".into(),
        code: hcp_protocol::ErrorCode::Conflict,
        message: "拒绝".into(),
    }])
    .expect("settle");
    assert_eq!(r.cancel("a").expect("cancel"), Err(CancelRefusal::Rejected), "a refused command is discarded instead");
    assert_eq!(r.outbox_counts().expect("counts"), (1, 1));
}

#[test]
fn evidence_files_arrive_as_metadata_change_state_and_leave_with_their_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = seeded(dir.path());
    let file = |status: hcp_protocol::AttachmentStatus, mime: &str| hcp_protocol::AttachmentRow {
        id: 5,
        case_id: 10,
        unit_path: "/1/2/".into(),
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        name: "整改后窗口.jpg".into(),
        size: 204_800,
        mime: mime.into(),
        uploaded_by: 32,
        uploaded_by_name: "王主任".into(),
        uploaded_at: "2026-11-22T02:00:00Z".into(),
        status,
        note: String::new(),
    };
    let upsert = |seq: i64, row: hcp_protocol::AttachmentRow| Change {
        seq,
        op: ChangeOp::Upsert,
        entity: Entity::Attachment,
        entity_id: row.id,
        row: Some(EntityRow::Attachment(row)),
    };
    let pending = file(hcp_protocol::AttachmentStatus::Pending, "");
    r.apply_changes(&[upsert(42, pending.clone())], 42).expect("apply");
    assert_eq!(r.attachments_of_case(10).expect("files"), vec![pending]);
    let complete = file(hcp_protocol::AttachmentStatus::Complete, "image/jpeg");
    r.apply_changes(&[upsert(43, complete.clone())], 43).expect("apply");
    assert_eq!(r.attachments_of_case(10).expect("files"), vec![complete]);
    assert!(r.attachments_of_case(11).expect("files").is_empty());
    r.apply_changes(
        &[Change { seq: 44, op: ChangeOp::Delete, entity: Entity::Attachment, entity_id: 5, row: None }],
        44,
    )
    .expect("apply");
    assert!(r.attachments_of_case(10).expect("files").is_empty());
}
