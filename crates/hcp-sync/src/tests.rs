use std::sync::{Arc, Mutex};

use hcp_protocol::{CaseRow, ChangeOp, Entity};
use hcp_replica::{CaseQuery, Replica, ReplicaKey};
use hcp_server::db::{cases, changes};
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;

async fn server(dir: &std::path::Path) -> (hcp_server::RunningServer, Db) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 600, seed: 7, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let s = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    (s, db)
}

fn replica(dir: &std::path::Path) -> Arc<Mutex<Replica>> {
    Arc::new(Mutex::new(Replica::open(&dir.join("replica.db"), &ReplicaKey::from_bytes([3; 32])).expect("replica")))
}

fn server_counts_in_scope(db: &Db, scope: &str) -> (u64, u64) {
    let scope = scope.to_owned();
    db.read_blocking(move |c| {
        let upper = format!("{scope}~");
        Ok((
            changes::count_in_scope(c, "cases", &scope, &upper)?,
            changes::count_in_scope(c, "ratings", &scope, &upper)?,
        ))
    })
    .expect("counts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_bootstraps_exactly_their_hall_and_pulls_new_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server(dir.path()).await;
    let client = Client::new(&srv.url()).expect("client");
    let login = client.login("donghu.manager", DEMO_PASSWORD, Some("test")).await.expect("login");
    assert_eq!(login.user.unit_name, "东湖区政务服务中心");

    let rep = replica(dir.path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let counts = bootstrap(&client, &login.token, rep.clone(), "2026-11-20T10:00:00Z".into(), move |p| {
        s2.lock().expect("lock").push(p)
    })
    .await
    .expect("bootstrap");

    let (cases_expected, ratings_expected) = server_counts_in_scope(&db, &login.user.scope_path);
    assert!(cases_expected > 0 && ratings_expected > 0);
    assert_eq!(counts.case, cases_expected);
    assert_eq!(counts.rating, ratings_expected);
    let local = rep.lock().expect("lock").counts().expect("counts");
    assert_eq!(local, counts);
    let last = seen.lock().expect("lock").last().cloned().expect("progress reported");
    assert_eq!(Some(last.rows), last.total_rows);
    assert!(last.bytes > 0);

    // Every case in the replica belongs to the hall: none from another district.
    let page = rep.lock().expect("lock").list_cases(&CaseQuery { limit: 500, ..CaseQuery::default() }).expect("list");
    assert_eq!(u64::from(page.total), cases_expected);
    assert!(page.items.iter().all(|c| c.unit_name == "东湖区政务服务中心"), "only the hall's cases");

    // A new case in scope and one out of scope appear on the server; only the first is pulled.
    let before = rep.lock().expect("lock").cursor().expect("cursor").expect("some");
    let scope = login.user.scope_path.clone();
    let unit_id = login.user.unit_id;
    db.write_blocking(move |c| {
        for (no, path, unit) in
            [("CP-2026-900001", scope.clone(), unit_id), ("CP-2026-900002", "/1/999/".to_owned(), 1)]
        {
            let row = CaseRow {
                id: 0,
                case_no: no.into(),
                source: hcp_domain::CaseSource::Supervision,
                rating_id: None,
                unit_id: unit,
                unit_path: path.clone(),
                department_id: None,
                staff_id: None,
                level: None,
                channel: None,
                item_name: None,
                summary: "督查发现：测试".into(),
                state: hcp_domain::CaseState::New,
                escalation_level: 0,
                handler_user_id: None,
                created_at: "2026-11-20T11:00:00+08:00".into(),
                deadline: None,
                version: 1,
                updated_at: "2026-11-20T11:00:00+08:00".into(),
                aggregate: None,
            };
            let id = cases::insert(c, &row)?;
            changes::record(c, Entity::Case, id, &path, ChangeOp::Upsert, "2026-11-20T03:00:00Z")?;
        }
        Ok(())
    })
    .expect("server write");
    let applied = pull(&client, &login.token, rep.clone(), 1).await.expect("pull");
    assert_eq!(applied, 1, "only the in-scope change arrives");
    {
        let r = rep.lock().expect("lock");
        assert!(
            r.cursor().expect("cursor").expect("some") > before + 1,
            "the cursor passes the out-of-scope change too"
        );
        let found = r
            .list_cases(&CaseQuery { search: Some("CP-2026-9000".into()), limit: 10, ..CaseQuery::default() })
            .expect("search");
        assert_eq!(found.items.iter().map(|c| c.case_no.as_str()).collect::<Vec<_>>(), vec!["CP-2026-900001"]);
    }
    // A renamed ancestor unit (the district above the hall) reaches the replica too.
    db.write_blocking(|c| {
        let (id, path): (i64, String) =
            c.query_row("SELECT id, path FROM org_units WHERE name = '东湖区'", (), |r| Ok((r.get(0)?, r.get(1)?)))?;
        c.execute("UPDATE org_units SET name = '东湖新区' WHERE id = ?1", [id])?;
        changes::record(c, Entity::OrgUnit, id, &path, ChangeOp::Upsert, "2026-11-20T04:00:00Z")?;
        Ok(())
    })
    .expect("rename");
    pull(&client, &login.token, rep.clone(), 100).await.expect("pull");
    let renamed: i64 = rep
        .lock()
        .expect("lock")
        .conn()
        .query_row("SELECT count(*) FROM org_units WHERE name = '东湖新区'", [], |r| r.get(0))
        .expect("query");
    assert_eq!(renamed, 1, "the ancestor's new name is pulled");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = server(dir.path()).await;
    let client = Client::new(&srv.url()).expect("client");
    assert!(matches!(client.login("donghu.manager", "wrong", None).await, Err(SyncError::AuthFailed(_))));
    assert!(matches!(client.login("nobody", "wrong", None).await, Err(SyncError::AuthFailed(_))));
    assert!(matches!(client.pull("not-a-token", 0, 10).await, Err(SyncError::Unauthorized(_))));
    let login = client.login("xishan.manager", DEMO_PASSWORD, None).await.expect("login");
    client.logout(&login.token).await.expect("logout");
    assert!(matches!(client.me(&login.token).await, Err(SyncError::Unauthorized(_))), "a logged-out token is dead");
    srv.stop().await;
    let err = client.login("donghu.manager", DEMO_PASSWORD, None).await.expect_err("server is down");
    assert!(matches!(err, SyncError::Network(_)) && err.is_transient(), "{err}");
}
