//! Replicas from every earlier schema version open with this version's code: for each version k
//! a replica is built with migrations 1..=k only, given the rows an app of that version would have
//! written (each migration's [`STEPS`] entry fills what it created, in the columns it had then),
//! opened with [`Replica::open`], and checked: at the current version, every row it held still
//! there, and the screens' reads (inbox with deadlines, search, outbox, settings, flags,
//! notices, notifications, statistics) working on it. A replica of a newer version than this
//! build knows is refused and left as it was.
//!
//! Data-driven over [`MIGRATIONS`]: a new migration is covered from the day it is added, and the
//! test fails until it has its [`STEPS`] entry (and until every table it creates gets rows).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use hcp_domain::case::machine::evolve;
use hcp_domain::kpi::{Period, Subject};
use hcp_domain::{Actor, CaseCommand, CaseEvent, CaseSource, EventPayload, Role, ScopePath};
use rusqlite::types::Value;
use rusqlite::{params, Connection};

use super::*;

const KEY: [u8; 32] = [0x5a; 32];
const SCOPE: &str = "/1/2/";
const HALL: i64 = 2;
const CURSOR: i64 = 4_711;
/// The verification deadline of case 10 (in its aggregate only: migration 28 derives the column).
const VERIFY_DUE: &str = "2026-11-25";
/// The rectification deadline of case 11 (the `deadline` column every version had).
const RECTIFY_DUE: &str = "2026-11-27";

/// Writes a version's rows.
type Fill = fn(&Connection);

/// What a replica of each version holds: entry i fills what migration i+1 created (one entry per
/// migration, in the same order). A migration that only adds indexes, views or derived rows has
/// an entry that says so.
const STEPS: &[(&str, Fill)] = &[
    ("meta", meta_rows),
    ("org_units", org_unit_rows),
    ("staff", staff_rows),
    ("ratings", rating_rows),
    ("cases", case_rows),
    ("case_events", case_event_rows),
    ("outbox", outbox_rows),
    ("users", user_rows),
    ("service_items", service_item_rows),
    ("settings", setting_rows),
    ("case_text: filled from cases by the migration itself", nothing),
    ("cases: filter indexes", nothing),
    ("cases: more indexes", nothing),
    ("statistics views", nothing),
    ("agg_rating_units: derived", nothing),
    ("agg_rating_staff: derived", nothing),
    ("agg_rating_channels: derived", nothing),
    ("agg_case_units: derived", nothing),
    ("agg_case_staff: derived", nothing),
    ("aggregates rebuilt", nothing),
    ("integrity_flags, flag_ratings", integrity_rows),
    ("statistics views with verdicts", nothing),
    ("doc_number_blocks, notices", notice_rows),
    ("cases: escalation index", nothing),
    ("cases: deadline order index", nothing),
    ("aggregates rebuilt", nothing),
    ("notifications", notification_rows),
    ("cases.stage_deadline", staged_case_rows),
    ("aggregates rebuilt", nothing),
    ("org_units.active", nothing),
    ("skipped migrations made good", nothing),
    ("aggregates rebuilt", nothing),
    ("awards", award_rows),
    ("self_assessments, survey_results, self_assessment_drafts", self_assessment_rows),
    ("aggregates rebuilt", nothing),
    ("attachments", attachment_rows),
    ("aggregates rebuilt", nothing),
    ("statistics views from hcp_stats::rules", nothing),
    ("aggregates rebuilt", nothing),
    ("rating_stats", rating_stat_rows),
    ("statistics views within the replication window", nothing),
    ("aggregates rebuilt", nothing),
    ("agg_rating_totals, agg_case_totals: derived", nothing),
    ("the totals' triggers", nothing),
    ("aggregates rebuilt", nothing),
    ("rating_stats: by month and staff", nothing),
    ("aggregates rebuilt", nothing),
];

/// Tables whose rows are derived from others (rebuilt by migrations) and SQLite's own.
fn derived(table: &str) -> bool {
    table.starts_with("agg_") || table.starts_with("case_text") || table.starts_with("sqlite_")
}

fn nothing(_: &Connection) {}

fn exec(conn: &Connection, sql: &str) {
    conn.execute_batch(sql).unwrap_or_else(|e| panic!("fixture SQL failed: {e}\n{sql}"));
}

fn meta_rows(conn: &Connection) {
    exec(
        conn,
        &format!(
            "INSERT INTO meta (key, value) VALUES ('cursor', '{CURSOR}'), ('scope', '{SCOPE}'),
                ('bootstrapped_at', '2026-11-18T01:00:00Z'), ('last_sync_at', '2026-11-21T02:00:00Z');"
        ),
    );
}

fn org_unit_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO org_units (id, parent_id, kind, name, code, path) VALUES
            (1, NULL, 'city', '江城市', 'C1', '/1/'),
            (2, 1, 'hall', '东湖区政务服务中心', 'H2', '/1/2/'),
            (3, 2, 'department', '东湖区税务局窗口', 'D3', '/1/2/3/'),
            (4, 3, 'window', '9号窗口', 'W4', '/1/2/3/4/');",
    );
}

fn staff_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO staff (id, unit_id, department_id, window_id, name, employee_no, unit_path) VALUES
            (7, 2, 3, 4, '李敏', 'GH00029', '/1/2/3/4/');",
    );
}

fn rating_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO ratings (id, source, service_record_no, rating_count, unit_id, unit_path, department_id, window_id,
            staff_id, item_code, item_name, channel, level, content_codes, comment, evaluator_masked, real_name, rated_at)
         VALUES
            (100, 'hall-device', 'SR-100', 1, 2, '/1/2/', 3, 4, 7, 'X-1', '居民身份证换领', 4, 'dissatisfied',
             '201,203', '排队太久', '张*', 1, '2026-11-20T01:30:00Z'),
            (101, 'hall-device', 'SR-101', 1, 2, '/1/2/', 3, 4, 7, 'X-1', '居民身份证换领', 4, 'satisfied',
             '', '', '王*', 0, '2026-11-20T02:30:00Z'),
            (102, 'web', 'SR-102', 1, 2, '/1/2/', 3, NULL, NULL, 'X-2', '营业执照办理', 1, 'very_dissatisfied',
             '301', '网页打不开', '赵*', 1, '2026-11-21T03:00:00Z'),
            (103, 'hall-device', 'SR-103', 1, 2, '/1/2/', 3, 4, 7, 'X-1', '居民身份证换领', 4, 'very_satisfied',
             '', '', '钱*', 0, '2026-11-21T04:00:00Z');",
    );
}

/// Case 10's aggregate as the server sends it: created about rating 100, to be verified by
/// [`VERIFY_DUE`].
fn verify_aggregate() -> String {
    let created = CaseEvent {
        version: 1,
        at: Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("at"),
        actor: Actor {
            user_id: 31,
            role: Role::HallManager,
            scope: ScopePath::try_from(SCOPE.to_owned()).expect("scope"),
        },
        payload: EventPayload::Created {
            source: CaseSource::BadReview,
            unit: ScopePath::try_from(SCOPE.to_owned()).expect("unit"),
            rated_staff_id: Some(7),
            real_name: true,
            summary: "排队太久，窗口无人".into(),
            content_codes: vec![],
            verify_due: Some(NaiveDate::parse_from_str(VERIFY_DUE, "%Y-%m-%d").expect("date")),
            service_item_id: None,
        },
    };
    serde_json::to_string(&evolve(None, &created).expect("created")).expect("json")
}

fn case_rows(conn: &Connection) {
    conn.execute(
        "INSERT INTO cases (id, case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level, channel,
            item_name, summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at, aggregate)
         VALUES
            (10, 'CP-2026-000010', 'bad_review', 100, 2, '/1/2/', 3, 7, 'dissatisfied', 4, '居民身份证换领',
             '排队太久，窗口无人', 'new', 0, NULL, '2026-11-20T02:00:00Z', NULL, 1, '2026-11-20T02:00:00Z', ?1),
            (11, 'CP-2026-000011', 'bad_review', 102, 2, '/1/2/', 3, NULL, 'very_dissatisfied', 1, '营业执照办理',
             '网页打不开', 'assigned', 0, 32, '2026-11-21T03:10:00Z', ?2, 3, '2026-11-21T05:00:00Z', NULL)",
        params![verify_aggregate(), RECTIFY_DUE],
    )
    .expect("cases");
}

fn case_event_rows(conn: &Connection) {
    exec(
        conn,
        r#"INSERT INTO case_events (id, case_id, unit_path, kind, actor_user_id, actor_name, at, data) VALUES
            (1000, 10, '/1/2/', 'created', 31, '周主任', '2026-11-20T02:00:00Z', '{"payload":{"kind":"created"}}'),
            (1001, 11, '/1/2/', 'created', 31, '周主任', '2026-11-21T03:10:00Z', '{"payload":{"kind":"created"}}'),
            (1002, 11, '/1/2/', 'assigned', 31, '周主任', '2026-11-21T05:00:00Z', '{"payload":{"kind":"assigned"}}');"#,
    );
}

/// Two commands queued offline (one of them already sent once) and one the server refused. The
/// commands' JSON is written out as the outbox has stored it, not produced by this version.
fn outbox_rows(conn: &Connection) {
    exec(
        conn,
        r#"INSERT INTO outbox (command_id, case_id, base_version, kind, command, created_at, status, code, message, attempts)
         VALUES
            ('cmd-verify-10', 10, 1, 'verify', '{"type":"verify","outcome":"genuine","reason":"属实：排队超过一小时"}',
             '2026-11-21T06:00:00Z', 'pending', NULL, NULL, 0),
            ('cmd-verify-11', 11, 3, 'verify', '{"type":"verify","outcome":"genuine","reason":""}',
             '2026-11-21T06:01:00Z', 'rejected', 'conflict', '案件已被他人处理', 1),
            ('cmd-reject-11', 11, 3, 'reject_exclusion', '{"type":"reject_exclusion","reason":"证据不足"}',
             '2026-11-21T06:02:00Z', 'pending', NULL, NULL, 1);"#,
    );
}

fn user_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO users (id, display_name, role, unit_id, unit_path, active) VALUES
            (31, '周主任', 'hall_manager', 2, '/1/2/', 1),
            (32, '吴办事', 'department_handler', 3, '/1/2/3/', 1);",
    );
}

fn service_item_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO service_items (id, unit_id, unit_path, code, name, promised_working_days, active) VALUES
            (50, 2, '/1/2/', 'X-1', '居民身份证换领', 5, 1),
            (51, 2, '/1/2/', 'X-2', '营业执照办理', NULL, 1);",
    );
}

fn setting_rows(conn: &Connection) {
    let policy = serde_json::to_string(&hcp_protocol::JurisdictionPolicy::default()).expect("policy");
    conn.execute(
        "INSERT INTO settings (id, unit_id, unit_path, key, value, updated_at) VALUES
            (60, 1, '/1/', 'policy', ?1, '2026-11-01T00:00:00Z')",
        [policy],
    )
    .expect("settings");
}

fn integrity_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO integrity_flags (id, unit_id, unit_path, kind, severity, explanation, rating_ids, status, decided_by,
            decided_by_name, decided_at, decision_note, detected_at, version)
         VALUES (70, 2, '/1/2/', 'self_rating', 'high', '工作人员给自己评价', '[103]', 'confirmed_fake', 31, '周主任',
            '2026-11-21T08:00:00Z', '核实为刷好评', '2026-11-21T05:00:00Z', 2);
         INSERT INTO flag_ratings (flag_id, rating_id, excluded) VALUES (70, 103, 1);",
    );
}

fn notice_rows(conn: &Connection) {
    exec(
        conn,
        r#"INSERT INTO doc_number_blocks (id, request_id, unit_id, office_name, abbreviation, year, first_no, last_no,
            next_no, reserved_at)
         VALUES (1, 'req-1', 2, '东湖区政务服务管理办公室', '东政管督', 2026, 11, 20, 13, '2026-11-19T00:00:00Z');
         INSERT INTO notices (id, unit_id, case_id, kind, year, number, doc_number, issued_at, file, content)
         VALUES (1, 2, 11, 'supervision', 2026, 12, '东政管督〔2026〕12号', '2026-11-21T09:00:00Z', '/tmp/督办通知单.pdf',
            '{"title":"督办通知单"}');
         INSERT INTO meta (key, value)
         VALUES ('doc_numbers_pending', '{"request_id":"req-2","unit_id":2,"year":2026,"count":10}');"#,
    );
}

fn self_assessment_rows(conn: &Connection) {
    exec(
        conn,
        r#"INSERT INTO self_assessments (id, unit_id, unit_path, period, form, total, status, submitted_by,
            submitted_by_name, submitted_at, submissions, reviewed_by, reviewed_by_name, reviewed_at, review_comment,
            version)
         VALUES (1, 2, '/1/2/', '2026-Q4', '{"entries":[{"heading":"attitude","score":18,"text":"热情"}]}', 18,
            'returned', 31, '周主任', '2026-11-21T08:00:00Z', 1, 33, '李科长', '2026-11-22T08:00:00Z', '请补充', 2);
         INSERT INTO survey_results (id, unit_id, unit_path, period, method, agency, respondents, satisfaction_centi,
            levels, note, file_name, imported_by_name, imported_at, version)
         VALUES (1, 2, '/1/2/', '2026-11', 'phone', '统计调查中心', 200, 9550, NULL, '', '测评.csv', '李科长',
            '2026-11-23T08:00:00Z', 1);
         INSERT INTO self_assessment_drafts (unit_id, period, form, updated_at)
         VALUES (2, '2026-Q4', '{"entries":[{"heading":"attitude","score":19,"text":"热情周到"}]}', '2026-11-24T08:00:00Z');"#,
    );
}

fn notification_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO notifications (id, case_id, kind, title, body, at, notified_at, read) VALUES
            ('event:1002', 11, 'assigned', '案件已交办', 'CP-2026-000011 交办给 吴办事', '2026-11-21T05:00:00Z',
             '2026-11-21T05:01:00Z', 0);",
    );
}

fn award_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO awards (id, kind, period, staff_id, staff_name, employee_no, unit_id, unit_path, league_path, score,
            sample_size, satisfied, reason, confirmed_by, confirmed_by_name, confirmed_at)
         VALUES (1, 'star', '2026-11', 1, '刘敏', 'GH00001', 2, '/1/2/', '/1/', 0.982, 45, 45,
            '校正得分 98.2%，评价 45 条（满意 45 条），期内无差评', 31, '周督查', '2026-12-01T02:00:00Z');",
    );
}

/// A month of the server's statistics (a replica without a window holds them but does not fold them).
fn rating_stat_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO rating_stats (id, month, unit_id, unit_path, staff_id, level, channel, n_rated, n_real_name,
            n_excluded)
         VALUES (1, '2026-09', 2, '/1/2/', 0, 'satisfied', 4, 5, 3, 0);",
    );
}

fn attachment_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO attachments (id, case_id, unit_path, sha256, name, size, mime, uploaded_by, uploaded_by_name,
            uploaded_at, status, note)
         VALUES (1, 12, '/1/2/', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '整改后窗口.jpg',
            204800, 'image/jpeg', 32, '王主任', '2026-11-22T02:00:00Z', 'complete', '');",
    );
}

/// A case as a replica of the stage-deadline version stores it (the column written directly).
fn staged_case_rows(conn: &Connection) {
    exec(
        conn,
        "INSERT INTO cases (id, case_no, source, rating_id, unit_id, unit_path, department_id, staff_id, level, channel,
            item_name, summary, state, escalation_level, handler_user_id, created_at, deadline, version, updated_at,
            aggregate, stage_deadline)
         VALUES (12, 'CP-2026-000012', 'bad_review', NULL, 2, '/1/2/', 3, NULL, 'dissatisfied', 4, '居民身份证换领',
            '态度生硬', 'in_rectification', 0, 32, '2026-11-21T07:00:00Z', '2026-11-30', 4,
            '2026-11-21T07:30:00Z', NULL, '2026-11-30');
         INSERT INTO case_text (rowid, text) VALUES (12, 'CP-2026-000012 居民身份证换领 态度生硬');",
    );
}

/// A replica file at schema version `k` (migrations 1..=k), with the rows of [`STEPS`] 1..=k
/// each written right after its migration, as an app of each version in turn would have.
fn replica_at(path: &Path, k: usize) {
    let mut conn = Connection::open(path).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(KEY))).expect("key");
    conn.pragma_update(None, "journal_mode", "WAL").expect("wal");
    for v in 1..=k {
        migrate_to(&mut conn, v).expect("migration");
        (STEPS[v - 1].1)(&conn);
    }
    let have: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
    assert_eq!(have, k as i64);
}

type Rows = Vec<Vec<Value>>;

/// Every non-derived table's columns and rows (by rowid) on `conn`.
fn snapshot(conn: &Connection) -> BTreeMap<String, (Vec<String>, Rows)> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("names");
    tables
        .into_iter()
        .filter(|t| !derived(t))
        .map(|t| {
            let cols: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid"))
                .expect("columns")
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("names");
            let rows = select(conn, &t, &cols);
            (t, (cols, rows))
        })
        .collect()
}

fn select(conn: &Connection, table: &str, cols: &[String]) -> Rows {
    let mut stmt = conn.prepare(&format!("SELECT {} FROM {table} ORDER BY rowid", cols.join(", "))).expect("select");
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows")
}

/// The aggregate tables as they are, and as a rebuild from the rows makes them.
fn aggregates_and_rebuilt(conn: &Connection) -> (Vec<Rows>, Vec<Rows>) {
    let read = |conn: &Connection| -> Vec<Rows> {
        aggregates::TABLES
            .iter()
            .map(|t| {
                let mut stmt = conn.prepare(&aggregates::tests_order_by_key(conn, t)).expect("prepare");
                let n = stmt.column_count();
                stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
                    .expect("query")
                    .collect::<rusqlite::Result<_>>()
                    .expect("rows")
            })
            .collect()
    };
    let now = read(conn);
    conn.execute_batch("SAVEPOINT check_rebuild").expect("savepoint");
    aggregates::rebuild(conn).expect("rebuild");
    let rebuilt = read(conn);
    conn.execute_batch("ROLLBACK TO check_rebuild; RELEASE check_rebuild").expect("rollback");
    (now, rebuilt)
}

/// Whether the replica of version `k` had the rows of the step named `name`.
fn had(k: usize, name: &str) -> bool {
    STEPS.iter().take(k).any(|(n, _)| *n == name)
}

fn page(r: &Replica, q: CaseQuery) -> Vec<(i64, Option<String>)> {
    r.list_cases(&CaseQuery { limit: 50, ..q }).expect("inbox").items.into_iter().map(|c| (c.id, c.deadline)).collect()
}

/// Opens the version-`k` replica with this version's code and checks everything it held.
fn check_upgrade_from(dir: &Path, k: usize) {
    let path = dir.join(format!("v{k}.db"));
    replica_at(&path, k);
    let before = {
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(KEY))).expect("key");
        snapshot(&conn)
    };

    let r = Replica::open(&path, &ReplicaKey::from_bytes(KEY))
        .unwrap_or_else(|e| panic!("a replica of schema version {k} does not open: {e}"));
    let version: i64 = r.conn().pragma_query_value(None, "user_version", |row| row.get(0)).expect("version");
    assert_eq!(version, MIGRATIONS.len() as i64, "from version {k}");

    // Every row of every table it had, in the columns it had, is still there.
    for (table, (cols, rows)) in &before {
        assert_eq!(&select(r.conn(), table, cols), rows, "from version {k}: table {table} changed");
    }
    // The derived tables agree with the rows.
    let (aggregates, rebuilt) = aggregates_and_rebuilt(r.conn());
    assert_eq!(aggregates, rebuilt, "from version {k}: the aggregates do not match the rows");

    if had(k, "meta") {
        assert_eq!(r.cursor().expect("cursor"), Some(CURSOR), "from version {k}");
        assert_eq!(r.scope().expect("scope").as_deref(), Some(SCOPE), "from version {k}");
    }
    if had(k, "outbox") {
        // The commands queued offline are still pending, in order, and readable by this version.
        let pending = r.pending(100).expect("pending");
        let ids: Vec<&str> = pending.iter().map(|c| c.command_id.as_str()).collect();
        assert_eq!(ids, ["cmd-verify-10", "cmd-reject-11"], "from version {k}");
        for c in &pending {
            let cmd: CaseCommand = serde_json::from_str(&c.command)
                .unwrap_or_else(|e| panic!("from version {k}: queued command {} unreadable: {e}", c.command_id));
            assert_eq!(serde_json::to_value(&cmd).expect("json")["type"], c.kind.as_str());
        }
        assert_eq!(r.outbox_counts().expect("counts"), (2, 1), "from version {k}");
        let refused = r.outbox_item("cmd-verify-11").expect("item").expect("the refused command");
        assert_eq!((refused.status.as_str(), refused.message.as_deref()), ("rejected", Some("案件已被他人处理")));
        assert!(pending[0].cancellable && !pending[1].cancellable, "from version {k}: only the unsent one");
        assert_eq!(r.pending_for_case(10).expect("case 10").len(), 1);
    }
    if had(k, "cases") {
        // The inbox lists the cases with their deadlines: case 10's verification deadline comes
        // from its aggregate, case 11's rectification deadline from its row. By deadline, the
        // running stage clocks come first (case 11 has none until the server sends it again).
        let inbox = page(&r, CaseQuery { sort: Some(CaseSort::Deadline), ..CaseQuery::default() });
        let mut expected = vec![(10, Some(VERIFY_DUE.to_owned()))];
        if had(k, "cases.stage_deadline") {
            expected.push((12, Some("2026-11-30".to_owned())));
        }
        expected.push((11, Some(RECTIFY_DUE.to_owned())));
        assert_eq!(inbox, expected, "from version {k}: the inbox by deadline");
        let found = page(&r, CaseQuery { search: Some("窗口无人".into()), ..CaseQuery::default() });
        assert_eq!(found, [(10, Some(VERIFY_DUE.to_owned()))], "from version {k}: the search");
        let case = r.case(10).expect("case").expect("case 10");
        let aggregate = case.aggregate.expect("case 10's aggregate");
        assert_eq!(aggregate.deadline().map(|(_, d)| d.to_string()).as_deref(), Some(VERIFY_DUE));
        assert_eq!(case.stage_deadline.as_deref(), Some(VERIFY_DUE), "from version {k}");
        assert_eq!(r.case_item(11).expect("item").expect("case 11").deadline.as_deref(), Some(RECTIFY_DUE));
    }
    if had(k, "case_events") {
        let kinds: Vec<String> = r.case_events(11).expect("events").into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["created", "assigned"], "from version {k}");
    }
    if had(k, "ratings") {
        // The statistics count the ratings (less the one a confirmed integrity flag took out).
        let nov = Period::month(2026, 11).expect("month");
        let as_of = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).single().expect("as_of");
        let kpis = r.kpis("/1/", Subject::All, &nov, as_of).expect("kpis");
        let excluded = u64::from(had(k, "integrity_flags, flag_ratings"));
        assert_eq!((kpis.rated, kpis.excluded_ratings), (4 - excluded, excluded), "from version {k}");
        assert_eq!(r.rating_summary(100).expect("rating").expect("rating 100").evaluator_masked, "张*");
    }
    if had(k, "org_units") {
        assert_eq!(r.unit_name(HALL).expect("unit").as_deref(), Some("东湖区政务服务中心"));
    }
    if had(k, "staff") {
        assert_eq!(r.staff_under(SCOPE).expect("staff").len(), 1, "from version {k}");
    }
    if had(k, "users") {
        assert_eq!(r.users_with_role(Role::DepartmentHandler, SCOPE).expect("users").len(), 1);
    }
    if had(k, "settings") {
        let json = r.setting(hcp_protocol::setting_keys::POLICY, SCOPE).expect("setting").expect("the policy");
        let policy: hcp_protocol::JurisdictionPolicy = serde_json::from_str(&json).expect("policy readable");
        assert_eq!(policy, hcp_protocol::JurisdictionPolicy::default());
    }
    if had(k, "integrity_flags, flag_ratings") {
        let flags = r.integrity_flags("/1/", None).expect("flags");
        assert_eq!(flags.iter().map(|f| (f.id, f.rating_ids.clone())).collect::<Vec<_>>(), [(70, vec![103])]);
    }
    if had(k, "self_assessments, survey_results, self_assessment_drafts") {
        let forms = r.self_assessments("/1/", Some("2026-Q4")).expect("self-assessments");
        assert_eq!(forms.iter().map(|f| (f.id, f.total)).collect::<Vec<_>>(), [(1, 18)], "from version {k}");
        let (draft, _) = r.self_assessment_draft(HALL, "2026-Q4").expect("draft").expect("the local draft");
        assert_eq!(draft.total(), 19);
        assert_eq!(r.survey_results("/1/", Some("2026-11")).expect("surveys").len(), 1);
    }
    if had(k, "doc_number_blocks, notices") {
        assert_eq!(r.doc_numbers_left(HALL, 2026).expect("left"), 8, "from version {k}");
        let notice = r.issued_notice(HALL, 11, "supervision").expect("notice").expect("the issued notice");
        assert_eq!(notice.doc_number, "东政管督〔2026〕12号");
        assert_eq!(r.pending_reservation().expect("reservation").map(|p| p.request_id).as_deref(), Some("req-2"));
    }
    if had(k, "notifications") {
        let (rows, unread) = r.notifications(10).expect("notifications");
        assert_eq!((rows.len(), unread), (1, 1), "from version {k}");
    }
    // And it stays usable: a new command queues behind the old ones.
    if had(k, "outbox") {
        let seq = r
            .enqueue(&NewCommand {
                command_id: "cmd-after-upgrade",
                case_id: Some(12),
                base_version: Some(4),
                kind: "verify",
                command: r#"{"type":"verify","outcome":"genuine","reason":""}"#,
                created_at: "2026-11-22T00:00:00Z",
            })
            .expect("enqueue");
        assert!(seq > r.outbox_item("cmd-reject-11").expect("item").expect("old").seq);
    }
}

#[test]
fn every_migration_has_its_fixture_step() {
    assert_eq!(
        STEPS.len(),
        MIGRATIONS.len(),
        "each entry of MIGRATIONS needs its entry in migration_tests::STEPS (the rows a replica of that version holds)"
    );
}

/// Every table a version has (but the derived ones) holds rows once its steps ran: a migration
/// that creates a table without giving the fixture rows for it fails here.
#[test]
fn the_fixture_fills_every_table_of_every_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    for k in 1..=MIGRATIONS.len() {
        let path = dir.path().join(format!("full{k}.db"));
        replica_at(&path, k);
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(KEY))).expect("key");
        for (table, (_, rows)) in snapshot(&conn) {
            assert!(!rows.is_empty(), "version {k}: table {table} has no fixture rows (add them to STEPS)");
        }
    }
}

#[test]
fn a_replica_of_every_earlier_schema_version_migrates_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    for k in 1..MIGRATIONS.len() {
        check_upgrade_from(dir.path(), k);
    }
}

/// A replica at the current version opens unchanged (nothing runs twice).
#[test]
fn a_current_replica_reopens_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    check_upgrade_from(dir.path(), MIGRATIONS.len());
}

/// A replica written by a newer app (a schema version this build does not know) is refused with
/// a clear error, and the file is left exactly as it was: not migrated, not discarded.
#[test]
fn a_replica_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("newer.db");
    let newer = MIGRATIONS.len() as i64 + 1;
    {
        let r = Replica::open(&path, &ReplicaKey::from_bytes(KEY)).expect("open");
        r.enqueue(&NewCommand {
            command_id: "cmd-future",
            case_id: None,
            base_version: None,
            kind: "verify",
            command: r#"{"type":"verify","outcome":"genuine","reason":""}"#,
            created_at: "2026-12-01T00:00:00Z",
        })
        .expect("enqueue");
        // What a newer app's migration might have done.
        r.conn()
            .execute_batch("CREATE TABLE future_things (id INTEGER PRIMARY KEY, what TEXT NOT NULL);")
            .expect("ddl");
        r.conn().pragma_update(None, "user_version", newer).expect("version");
        r.conn().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
    }
    let bytes = std::fs::read(&path).expect("read");

    let err = match Replica::open(&path, &ReplicaKey::from_bytes(KEY)) {
        Ok(_) => panic!("a replica of a newer schema version was opened"),
        Err(e) => e,
    };
    assert!(
        matches!(err, ReplicaError::NewerSchema { found, known } if found == newer && known == MIGRATIONS.len() as i64),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("更新版本") && message.contains("请安装最新版本"), "{message}");
    assert!(message.contains(&newer.to_string()), "{message}");

    assert_eq!(std::fs::read(&path).expect("read"), bytes, "the refused file changed");
    // Still the newer app's data, whole.
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(KEY))).expect("key");
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
    assert_eq!(version, newer);
    let queued: String =
        conn.query_row("SELECT command_id FROM outbox", [], |r| r.get(0)).expect("the newer app's outbox");
    assert_eq!(queued, "cmd-future");
}

/// The replicas that skipped a migration inserted before the then last rebuild: one of the
/// version that ended with two rebuilds (no notification list), and one of the version that
/// ended with the notifications and a rebuild (no stage deadline). Each is rebuilt here as
/// those versions left it and must open with everything the current schema has.
#[test]
fn replicas_that_skipped_an_inserted_migration_are_made_good() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (the migrations those versions ran, in their order, then the user_version they wrote)
    let notifications = STEPS.iter().position(|(n, _)| *n == "notifications").expect("notifications") + 1;
    let stage = STEPS.iter().position(|(n, _)| *n == "cases.stage_deadline").expect("stage") + 1;
    for (name, skipped, version) in
        [("two-rebuilds", notifications, notifications), ("notifications-last", stage, stage)]
    {
        let path = dir.path().join(format!("{name}.db"));
        {
            let mut conn = Connection::open(&path).expect("open");
            conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(KEY))).expect("key");
            migrate_to(&mut conn, skipped - 1).expect("migrate");
            for v in 1..skipped {
                (STEPS[v - 1].1)(&conn);
            }
            crate::aggregates::rebuild(&conn).expect("that version's last rebuild");
            conn.pragma_update(None, "user_version", version as i64).expect("version");
        }
        let r = Replica::open(&path, &ReplicaKey::from_bytes(KEY)).expect("opens");
        let tables: i64 = r
            .conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'notifications'", [], |x| {
                x.get(0)
            })
            .expect("tables");
        assert_eq!(tables, 1, "{name}: the notification list");
        let column: i64 = r
            .conn
            .query_row("SELECT count(*) FROM pragma_table_info('cases') WHERE name = 'stage_deadline'", [], |x| {
                x.get(0)
            })
            .expect("columns");
        assert_eq!(column, 1, "{name}: the stage deadline");
        // The inbox sorted by deadline reads the new column.
        assert!(!page(&r, CaseQuery { limit: 50, ..CaseQuery::default() }).is_empty(), "{name}: the inbox");
    }
}
