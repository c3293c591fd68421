//! 系统管理, the audit trail and the exports against a real seeded server (run through `make test`,
//! which provides the keyring).

use std::sync::Arc;

use hcp_replica::CaseQuery;
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;
use crate::admin::{AccountInput, UnitInput};
use crate::exports::{AuditFilter, ExportFormat};

async fn server(dir: &Path) -> (hcp_server::RunningServer, Db) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 400, seed: 23, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    (hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn"), db)
}

fn store() -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())))
}

async fn signed_in(dir: &Path, name: &str, url: &str, user: &str, password: &str) -> App {
    let app = App::new(&dir.join(name), store(), None);
    let req =
        LoginRequest { server_url: url.into(), username: user.into(), password: password.into(), remember: false };
    app.login(req).await.expect("login");
    app
}

fn csv_text(path: &str) -> String {
    let bytes = std::fs::read(path).expect("the exported file");
    String::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM").to_vec()).expect("utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_adds_a_unit_and_a_user_who_then_works_in_exactly_that_unit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = server(dir.path()).await;
    let admin = signed_in(dir.path(), "admin", &srv.url(), "admin", DEMO_PASSWORD).await;

    let units = admin.admin_units().await.expect("units");
    assert_eq!(units[0].depth, 0, "the administrator's own unit first");
    let district = units.iter().find(|u| u.name == "东湖区").expect("东湖区");
    assert!(district.child_kinds.contains(&"hall".to_owned()));
    let hall = admin
        .admin_save_unit(UnitInput {
            id: None,
            parent_id: district.id,
            kind: "hall".into(),
            name: "东湖区临江便民服务中心".into(),
            code: "DH-LJ-01".into(),
        })
        .await
        .expect("a new hall");
    assert_eq!((hall.kind.as_str(), hall.parent_id), ("hall", Some(district.id)));
    // A kind that may not sit there is refused by the server with its message.
    let wrong = admin
        .admin_save_unit(UnitInput {
            id: None,
            parent_id: hall.id,
            kind: "district".into(),
            name: "错".into(),
            code: "X".into(),
        })
        .await
        .expect_err("a district below a hall");
    assert!(!wrong.message.is_empty() && wrong.code != ErrorCode::Internal, "{wrong:?}");

    let short = AccountInput {
        id: None,
        username: "lj.manager".into(),
        display_name: "林主任".into(),
        role: Role::HallManager,
        unit_id: hall.id,
        active: true,
        password: Some("short".into()),
    };
    assert_eq!(admin.admin_save_account(short.clone()).await.expect_err("short").code, ErrorCode::InvalidInput);
    let account = admin
        .admin_save_account(AccountInput { password: Some("Linjiang@2026".into()), ..short })
        .await
        .expect("a new account");
    assert_eq!(
        (account.unit_name.as_str(), account.role, account.active),
        ("东湖区临江便民服务中心", Role::HallManager, true)
    );
    assert!(admin.admin_accounts().await.expect("accounts").iter().any(|a| a.username == "lj.manager"));

    // The new user signs in and works in exactly that unit.
    let user = signed_in(dir.path(), "user", &srv.url(), "lj.manager", "Linjiang@2026").await;
    user.sync_once().await.expect("the first sync");
    let units = user.units().await.expect("the user's units");
    assert!(units.iter().all(|u| u.name == "东湖区临江便民服务中心"), "{units:?}");
    assert_eq!(user.list_cases(CaseQuery { limit: 10, ..CaseQuery::default() }).await.expect("inbox").total, 0);

    // A reset password and a deactivation end the user's access.
    let reset = AccountInput {
        id: Some(account.id),
        username: account.username.clone(),
        display_name: account.display_name.clone(),
        role: account.role,
        unit_id: account.unit_id,
        active: false,
        password: None,
    };
    let off = admin.admin_save_account(reset).await.expect("deactivated");
    assert!(!off.active);
    let again = App::new(&dir.path().join("again"), store(), None);
    let req = LoginRequest {
        server_url: srv.url(),
        username: "lj.manager".into(),
        password: "Linjiang@2026".into(),
        remember: false,
    };
    assert!(again.login(req).await.is_err(), "a deactivated account cannot sign in");

    // The policy form round-trips through the server.
    let mut form = admin.admin_policy(hall.id).await.expect("policy");
    form.deadline_days = 7;
    form.at_risk_within = 2;
    let saved = admin.admin_save_policy(form).await.expect("saved policy");
    assert_eq!((saved.deadline_days, saved.at_risk_within, saved.set_at_unit_id), (7, 2, Some(hall.id)));

    // Every change is in the audit trail, filterable by action and actor.
    let trail = admin
        .audit_trail(AuditFilter {
            action: Some("admin.".into()),
            actor: Some("系统管理员".into()),
            ..AuditFilter::default()
        })
        .await
        .expect("the audit trail");
    let actions: Vec<&str> = trail.entries.iter().map(|e| e.action.as_str()).collect();
    for a in ["admin.org_unit.create", "admin.user.create", "admin.user.update", "admin.policy.put"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(trail.entries.iter().all(|e| e.actor == "系统管理员"));
    let out = dir.path().join("audit.csv");
    let file = admin
        .export_audit(
            AuditFilter { action: Some("admin.".into()), ..AuditFilter::default() },
            ExportFormat::Csv,
            out.display().to_string(),
        )
        .await
        .expect("audit export");
    let text = csv_text(&file.path);
    assert!(text.starts_with("时间,操作人,所属单位,客户端,操作,对象,结果,说明"));
    assert_eq!(text.lines().count() as u32, file.rows + 1);
    assert!(text.contains("admin.org_unit.create"));

    // The calendar: the bundled 2026 notice changes nothing; nonsense is refused before sending.
    let cal = admin.admin_calendar().await.expect("calendar");
    assert!(cal.may_import && cal.years.iter().any(|y| y.year == 2026 && y.official));
    let err = admin.admin_preview_calendar_year("hello".into()).await.expect_err("nonsense");
    assert_eq!(err.code, ErrorCode::InvalidInput);

    // Offline: a clear message, nothing else.
    srv.stop().await;
    let e = admin.admin_units().await.expect_err("offline");
    assert_eq!(e.code, ErrorCode::Network);
    assert!(e.message.contains("需要连接服务器"), "{}", e.message);
    let e = admin.audit_trail(AuditFilter::default()).await.expect_err("offline");
    assert_eq!(e.code, ErrorCode::Network);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_write_the_filtered_rows_and_never_an_evaluators_identity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let manager = signed_in(dir.path(), "m", &srv.url(), "donghu.manager", DEMO_PASSWORD).await;
    manager.sync_once().await.expect("sync");

    let query = CaseQuery { state: Some(hcp_domain::CaseState::New), limit: 20, ..CaseQuery::default() };
    let expected = manager.list_cases(query.clone()).await.expect("inbox").total;
    assert!(expected > 0);
    let out = dir.path().join("cases");
    let file = manager.export_cases(query, ExportFormat::Csv, out.display().to_string()).await.expect("export");
    assert!(file.path.ends_with("cases.csv"));
    assert_eq!(file.rows, expected, "every matching case, not only the page");
    let text = csv_text(&file.path);
    assert_eq!(text.lines().count() as u32, expected + 1);
    assert!(text.lines().skip(1).all(|l| l.contains(",待核实,")), "only the filtered state");
    let xlsx = manager
        .export_cases(CaseQuery::default(), ExportFormat::Xlsx, dir.path().join("all.xlsx").display().to_string())
        .await
        .expect("xlsx");
    assert!(std::fs::read(&xlsx.path).expect("xlsx").starts_with(b"PK"));

    // No evaluator's name, phone or certificate number is in it (only the masked form).
    let identities: Vec<String> = db
        .read(|c| {
            c.query_map(
                "SELECT COALESCE(evaluator_name, ''), COALESCE(evaluator_phone, ''), COALESCE(evaluator_cert, '') FROM ratings",
                (),
                |r| Ok([r.get::<String>(0)?, r.get(1)?, r.get(2)?]),
            )
        })
        .await
        .expect("identities")
        .into_iter()
        .flatten()
        .filter(|s| s.chars().count() >= 2)
        .collect();
    assert!(!identities.is_empty(), "the seed has real-looking identities");
    // The export names the staff member a case concerns (internal use); an evaluator who happens
    // to share a staff member's name is not a leak, so only other names count.
    let staff: Vec<String> =
        db.read(|c| c.query_map("SELECT name FROM staff", (), |r| r.get::<String>(0))).await.expect("staff");
    for id in identities.iter().filter(|id| !staff.contains(id)) {
        assert!(!text.contains(id.as_str()), "{id} leaked into the inbox export");
    }

    // Statistics: the month's ranking with its total row.
    let stats = manager
        .export_stats("2026-11".into(), ExportFormat::Csv, dir.path().join("kpis.csv").display().to_string())
        .await
        .expect("stats export");
    let kpis = csv_text(&stats.path);
    assert!(kpis.lines().last().is_some_and(|l| l.contains("合计")), "{kpis}");
    assert_eq!(kpis.lines().count() as u32, stats.rows + 2);

    // The public disclosure: supervisors only; published cells only, nobody's identity.
    let refused = manager
        .save_disclosure("2026-11".into(), ExportFormat::Csv, dir.path().join("d0.csv").display().to_string())
        .await
        .expect_err("a hall manager does not publish");
    assert_eq!(refused.code, ErrorCode::Forbidden);
    let supervisor = signed_in(dir.path(), "s", &srv.url(), "donghu.supervisor", DEMO_PASSWORD).await;
    let d = supervisor
        .save_disclosure("2026-11".into(), ExportFormat::Csv, dir.path().join("公开.csv").display().to_string())
        .await
        .expect("disclosure");
    let text = csv_text(&d.path);
    assert!(text.starts_with(&hcp_domain::disclosure::HEADERS.join(",")), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.starts_with("合计,2026-11,")), "{text}");
    for p in identities.iter().chain(&staff) {
        assert!(!text.contains(p.as_str()), "{p} leaked into the disclosure");
    }
    srv.stop().await;
}

/// The ratings a replica holds at or below the unit `id`.
async fn ratings_at(app: &App, id: i64) -> i64 {
    app.with_replica(move |r, _, _| {
        r.conn()
            .query_row(
                "SELECT count(*) FROM ratings r JOIN org_units o ON o.id = ?1
              WHERE r.unit_path >= o.path AND r.unit_path < o.path || '~'",
                [id],
                |row| row.get::<_, i64>(0),
            )
            .map_err(|e| crate::error::ApiError::from(hcp_replica::ReplicaError::from(e)))
    })
    .await
    .expect("count")
}

/// The replica's scope digest and the server's for the same user: equal once it has caught up.
async fn digests(app: &App, db: &Db) -> (String, String) {
    let (replica, scope, role, since) = app
        .with_replica(|r, a, _| {
            let since = r.window()?.map(|w| w.since).unwrap_or_default();
            Ok((r.scope_digest()?, a.user.scope_path.clone(), a.user.role, since))
        })
        .await
        .expect("replica digest");
    let server = db
        .read_blocking(move |c| hcp_server::db::digest::scope_digest(c, &scope, role, &since))
        .expect("server digest");
    (replica, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_unit_leaves_the_old_jurisdictions_replicas_and_reaches_the_new_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let admin = signed_in(dir.path(), "admin", &srv.url(), "admin", DEMO_PASSWORD).await;
    let east = signed_in(dir.path(), "east", &srv.url(), "donghu.supervisor", DEMO_PASSWORD).await;
    let west = signed_in(dir.path(), "west", &srv.url(), "xishan.supervisor", DEMO_PASSWORD).await;
    for app in [&admin, &east, &west] {
        app.sync_once().await.expect("bootstrap");
    }
    let units = admin.admin_units().await.expect("units");
    let dept = units.iter().find(|u| u.name == "东湖区税务局窗口").expect("the department").clone();
    let west_hall = units.iter().find(|u| u.name == "西山区政务服务中心").expect("the hall").clone();
    let east_before = ratings_at(&east, dept.id).await;
    assert!(east_before > 0, "东湖区's supervisor holds the department's ratings");
    assert_eq!(ratings_at(&west, dept.id).await, 0);

    let moved = admin.admin_move_unit(dept.id, west_hall.id).await.expect("moved");
    assert_eq!(moved.parent_id, Some(west_hall.id));
    for app in [&admin, &east, &west] {
        app.sync_once().await.expect("sync after the move");
    }
    // Each replica holds exactly its jurisdiction's rows again: 东湖区 lost the department,
    // 西山区 gained it with its ratings, the city holds it at its new place.
    assert_eq!(ratings_at(&west, dept.id).await, east_before);
    let dept_id = dept.id;
    let gone: i64 = east
        .with_replica(move |r, _, _| {
            r.conn()
                .query_row("SELECT count(*) FROM org_units WHERE id = ?1", [dept_id], |row| row.get::<_, i64>(0))
                .map_err(|e| crate::error::ApiError::from(hcp_replica::ReplicaError::from(e)))
        })
        .await
        .expect("count");
    assert_eq!(gone, 0, "the department left 东湖区's replica");
    for (name, app) in [("admin", &admin), ("east", &east), ("west", &west)] {
        let (replica, server) = digests(app, &db).await;
        assert_eq!(replica, server, "{name}'s replica matches the server after the move");
    }
    srv.stop().await;
}
