//! These tests use the real OS keyring (Secret Service): run them through `make test`, which
//! starts a D-Bus session with an unlocked gnome-keyring.

use std::sync::Arc;

use hcp_replica::CaseQuery;
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;

async fn server(dir: &Path) -> hcp_server::RunningServer {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 500, seed: 11, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    hcp_server::spawn(AppState::new(db), "127.0.0.1:0").await.expect("spawn")
}

fn store() -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())))
}

fn login_req(url: &str, user: &str, password: &str) -> LoginRequest {
    LoginRequest { server_url: url.into(), username: user.into(), password: password.into(), remember: true }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sync_then_keep_working_offline_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let secrets = store();
    let data = dir.path().join("client");
    let app = App::new(&data, secrets.clone(), None);

    let wrong = app.login(login_req(&srv.url(), "donghu.manager", "nope")).await.expect_err("wrong password");
    assert_eq!(wrong.code, codes::AUTH_FAILED);

    let session = app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    assert_eq!(session.user.role, Role::HallManager);
    let token_account = account("token", &srv.url(), "donghu.manager");
    assert!(secrets.get(&token_account).expect("keyring").is_some(), "the token is in the keyring");
    let settings_text = std::fs::read_to_string(settings::path(&data)).expect("settings");
    assert!(!settings_text.contains(&secrets.get(&token_account).expect("k").expect("t")), "never in a plain file");

    let status = app.sync_once().await.expect("first sync bootstraps");
    assert!(status.bootstrapped && status.online);
    let page = app.list_cases(CaseQuery { limit: 500, ..CaseQuery::default() }).await.expect("cases");
    assert!(page.total > 0);
    assert!(page.items.iter().all(|c| c.unit_name == "东湖区政务服务中心"));

    // The server goes away; a fresh start of the app restores the session from the keyring.
    srv.stop().await;
    drop(app);
    let app = App::new(&data, secrets.clone(), None);
    let restored = app.session_restore().await.expect("restore").expect("a session");
    assert_eq!(restored.user.username, "donghu.manager");
    assert!(app.sync_status().expect("status").bootstrapped);
    let offline = app.list_cases(CaseQuery { limit: 500, ..CaseQuery::default() }).await.expect("offline cases");
    assert_eq!(offline.total, page.total, "the inbox works without the server");
    let err = app.sync_once().await.expect_err("server is down");
    assert_eq!(err.code, codes::NETWORK);
    let st = app.sync_status().expect("status");
    assert!(!st.online && st.phase == SyncPhase::Offline && st.message.is_some());

    app.logout().await.expect("logout works offline");
    assert!(secrets.get(&token_account).expect("keyring").is_none(), "logout removes the token");
    assert_eq!(app.list_cases(CaseQuery::default()).await.expect_err("signed out").code, codes::NOT_LOGGED_IN);
    assert!(App::new(&data, secrets, None).session_restore().await.expect("restore").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_replica_key_means_a_fresh_bootstrap_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let secrets = store();
    let data = dir.path().join("client");
    let app = App::new(&data, secrets.clone(), None);
    app.login(login_req(&srv.url(), "xishan.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    drop(app);

    secrets.delete(&account("replica-key", &srv.url(), "xishan.manager")).expect("lose the key");
    let app = App::new(&data, secrets.clone(), None);
    let restored = app.session_restore().await.expect("restore");
    // The user record lived in the old (now unreadable) replica: the user signs in again.
    assert!(restored.is_none());
    app.login(login_req(&srv.url(), "xishan.manager", DEMO_PASSWORD)).await.expect("login again");
    assert!(!app.sync_status().expect("status").bootstrapped);
    app.sync_once().await.expect("bootstrap again");
    assert!(app.list_cases(CaseQuery { limit: 10, ..CaseQuery::default() }).await.expect("cases").total > 0);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_server_addresses_are_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::new(dir.path(), store(), Some("http://127.0.0.1:8787".into()));
    assert_eq!(app.app_info().default_server_url.as_deref(), Some("http://127.0.0.1:8787"));
    let e = app.login(login_req("hcp.example", "a", "b")).await.expect_err("bad url");
    assert_eq!(e.code, codes::INVALID_INPUT);
    let e = app.login(login_req("http://127.0.0.1:9", "", "b")).await.expect_err("empty user");
    assert_eq!(e.code, codes::INVALID_INPUT);
    let e = app.login(login_req("http://127.0.0.1:9", "a", "b")).await.expect_err("nothing listens");
    assert_eq!(e.code, codes::NETWORK);
}
