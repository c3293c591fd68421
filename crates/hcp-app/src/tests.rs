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

/// A seeded server (300 ratings) with one more bad review (材料没有一次性告知) opening a new case.
async fn server_with_new_case(dir: &Path, seed: u64, record_no: &str) -> (hcp_server::RunningServer, Db) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 300, seed, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    hcp_server::seed::demo_bad_review(&db, record_no, "社会保障卡补换", "材料没有一次性告知").expect("a new case");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    (srv, db)
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
    assert_eq!(wrong.code, ErrorCode::AuthFailed);

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
    let foreign: Vec<_> = page.items.iter().filter(|c| !worked_in_hall(c, DONGHU)).collect();
    assert!(foreign.is_empty(), "{foreign:?}");

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
    assert_eq!(err.code, ErrorCode::Network);
    let st = app.sync_status().expect("status");
    assert!(!st.online && st.phase == SyncPhase::Offline && st.message.is_some());

    app.logout().await.expect("logout works offline");
    assert!(secrets.get(&token_account).expect("keyring").is_none(), "logout removes the token");
    assert_eq!(app.list_cases(CaseQuery::default()).await.expect_err("signed out").code, ErrorCode::NotLoggedIn);
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
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = app.login(login_req("http://127.0.0.1:9", "", "b")).await.expect_err("empty user");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = app.login(login_req("http://127.0.0.1:9", "a", "b")).await.expect_err("nothing listens");
    assert_eq!(e.code, ErrorCode::Network);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queue_offline_project_locally_and_sync_once_when_the_server_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server_with_new_case(dir.path(), 3, "OFF-1").await;
    let addr = srv.addr;
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    let page = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::New), limit: 50, ..CaseQuery::default() })
        .await
        .expect("new");
    let case_id = page.items.iter().find(|c| c.summary.contains("材料没有一次性告知")).expect("the new case").id;
    let detail = app.case_detail(case_id).await.expect("detail");
    assert!(detail.available.contains(&hcp_domain::CommandKind::Verify));
    assert!(!detail.available.contains(&hcp_domain::CommandKind::Accept), "a hall manager cannot accept");
    let handler = detail.handlers.iter().find(|h| h.name == "陈承办").expect("the district's handler").clone();

    // Offline: the commands queue, the inbox shows their effect, illegal ones are refused at once.
    srv.stop().await;
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    let issued = app.issue(Some(case_id), verify).await.expect("verify offline");
    assert_eq!(issued.projected_state, Some(hcp_domain::CaseState::Verified));
    let assign =
        CaseCommand::Assign { department_id: handler.department_id, handler_id: handler.user_id, due_date: None };
    assert_eq!(
        app.issue(Some(case_id), assign).await.expect("assign").projected_state,
        Some(hcp_domain::CaseState::Assigned)
    );
    let refused = app.issue(Some(case_id), CaseCommand::Accept).await.expect_err("hall managers do not accept");
    assert_eq!(refused.code, "role_not_allowed");
    assert_eq!(app.sync_status().expect("status").pending, 2);
    // A pending command cannot be recalled (it may be on its way); neither discarded nor re-issued.
    let queued = app.outbox().await.expect("outbox");
    assert_eq!(app.discard(queued[0].command_id.clone()).await.expect_err("pending").code, ErrorCode::NotFound);
    assert_eq!(app.reissue(queued[0].command_id.clone()).await.expect_err("pending").code, ErrorCode::NotFound);
    assert_eq!(app.sync_status().expect("status").pending, 2);
    // 撤销: the last queued command of the case, never sent, is taken back with its projection;
    // the earlier one is not (the assignment was checked against the case as verified).
    assert_eq!((queued[0].cancellable, queued[1].cancellable), (false, true));
    let behind = app.cancel(queued[0].command_id.clone()).await.expect_err("a later command waits");
    assert_eq!(behind.code, ErrorCode::Conflict);
    app.cancel(queued[1].command_id.clone()).await.expect("cancel the assignment");
    assert_eq!(app.sync_status().expect("status").pending, 1);
    let shown = app.case_detail(case_id).await.expect("detail");
    assert_eq!(shown.item.state, hcp_domain::CaseState::Verified, "the projection drops the cancelled command");
    assert_eq!(app.cancel(queued[1].command_id.clone()).await.expect_err("gone").code, ErrorCode::NotFound);
    let assign =
        CaseCommand::Assign { department_id: handler.department_id, handler_id: handler.user_id, due_date: None };
    app.issue(Some(case_id), assign).await.expect("assign again");
    assert_eq!(app.sync_status().expect("status").pending, 2);
    let shown = app.case_detail(case_id).await.expect("detail");
    assert_eq!(shown.item.state, hcp_domain::CaseState::Assigned);
    assert!(shown.item.deadline.is_some(), "the projected deadline is shown");
    assert_eq!(shown.events.iter().filter(|e| e.pending).count(), 2);
    assert!(app.sync_once().await.is_err(), "no server");
    assert_eq!(app.sync_status().expect("status").pending, 2, "nothing lost while offline");

    // The server returns on the same address: both commands apply, once, in order.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    let server_state: String = db
        .read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
        .expect("state");
    assert_eq!(server_state, "assigned");
    let events: i64 = db
        .read_blocking(move |c| {
            c.query_row("SELECT count(*) FROM case_events WHERE case_id = ?1", [case_id], |r| r.get(0))
        })
        .expect("events");
    assert_eq!(events, 3, "created, verified, assigned: nothing applied twice, the cancelled assignment never sent");

    // Someone else moves the case on the server; our command based on the old version is refused,
    // stays visible with the reason, and can be re-issued against the new version.
    let sup = db
        .read_blocking(|c| {
            c.query_row("SELECT id FROM users WHERE username = 'donghu.supervisor'", (), |r| r.get::<i64>(0))
        })
        .expect("supervisor");
    let path: String = db
        .read_blocking(|c| c.query_row("SELECT path FROM org_units WHERE name = '东湖区'", (), |r| r.get(0)))
        .expect("district");
    app.issue(
        Some(case_id),
        CaseCommand::Assign { department_id: handler.department_id, handler_id: handler.user_id, due_date: None },
    )
    .await
    .expect("re-assign locally");
    db.write_blocking(move |c| {
        let who = hcp_server::workflow::Principal {
            user_id: sup,
            name: "李科长".into(),
            role: Role::Supervisor,
            scope: hcp_domain::ScopePath::try_from(path).map_err(hcp_server::db::DbError::Corrupt)?,
        };
        let env = hcp_protocol::CommandEnvelope {
            command_id: "server-side".into(),
            client_seq: None,
            case_id: Some(case_id),
            base_version: None,
            attachments: Vec::new(),
            command: CaseCommand::Escalate {
                basis: hcp_domain::case::machine::EscalationBasis::Manual { reason: "跨部门协调".into() },
            },
        };
        let r = hcp_server::workflow::execute(
            c,
            &who,
            &env,
            None,
            None,
            chrono::Utc::now(),
            &hcp_domain::Calendar::bundled(),
        )?;
        assert_eq!(r.status, hcp_protocol::CommandStatus::Applied);
        Ok(())
    })
    .expect("server-side change");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 1));
    let outbox = app.outbox().await.expect("outbox");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].code.map(|c| c.as_str()), Some("version_conflict"));
    assert!(outbox[0].message.as_deref().unwrap_or("").contains("已被他人更新"));
    app.reissue(outbox[0].command_id.clone()).await.expect("re-issue");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_prints_rectification_notices_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    // Every case in rectification has an evidence file (its bytes still on the way): the notices
    // list it as 附件 by name, size and hash.
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    db.write_blocking(|c| {
        use hcp_protocol::{AttachmentRow, AttachmentStatus};
        let sha = "5e".repeat(32);
        let at = "2026-11-20T10:00:00+08:00";
        hcp_server::db::attachments::insert_blob(c, &sha, 1_258_291, at)?;
        let cases: Vec<(i64, String)> =
            c.query_map("SELECT id, scope_path FROM cases WHERE state = 'in_rectification'", (), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        for (case_id, path) in cases {
            let row = AttachmentRow {
                id: 0,
                case_id,
                unit_path: path.clone(),
                sha256: sha.clone(),
                name: "整改前窗口.jpg".into(),
                size: 1_258_291,
                mime: String::new(),
                uploaded_by: 1,
                uploaded_by_name: "王主任".into(),
                uploaded_at: at.into(),
                status: AttachmentStatus::Pending,
                note: String::new(),
            };
            hcp_server::db::attachments::insert(c, &row, "")?;
        }
        Ok(())
    })
    .expect("files");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    srv.stop().await;
    let page = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::InRectification), limit: 2, ..CaseQuery::default() })
        .await
        .expect("cases");
    assert!(!page.items.is_empty());
    let ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    // The preview: every page as a PNG of an A4 sheet; nothing saved, no number used up.
    let first = app.preview_notices(NoticeDoc::Rectification, ids.clone(), 0).await.expect("preview");
    assert_eq!(first.count as usize, page.items.len());
    assert!(first.page_count >= first.count, "each notice starts on its own page");
    assert!(first.image.starts_with("data:image/png;base64,iVBORw0KGgo"), "a PNG data URL");
    assert_eq!((first.width, first.height), (1191, 1684), "A4 at 144 dpi");
    let last =
        app.preview_notices(NoticeDoc::Rectification, ids.clone(), first.page_count - 1).await.expect("last page");
    assert_ne!(last.image, first.image);
    let beyond =
        app.preview_notices(NoticeDoc::Rectification, ids.clone(), first.page_count).await.expect_err("no such page");
    assert_eq!(beyond.code, ErrorCode::InvalidInput);
    assert!(std::fs::read_dir(dir.path().join("client").join("notices")).is_err(), "a preview saves nothing");
    let printed = app.print_notices(NoticeDoc::Rectification, ids).await.expect("print");
    assert_eq!(printed.count as usize, page.items.len());
    let out = std::process::Command::new("pdftotext")
        .args([printed.path.as_str(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let text = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
    for c in &page.items {
        assert!(text.contains(&c.case_no), "the notice names {}", c.case_no);
    }
    assert!(text.contains("整改通知书"));
    assert!(text.contains("附件：1.整改前窗口.jpg（1.2MB，SHA-2565e5e5e5e5e5e…）"), "{text}");
    let year = chrono::Datelike::year(&(chrono::Utc::now() + chrono::Duration::hours(8)));
    assert!(text.contains(&format!("东政管督〔{year}〕1号")), "the previews used up no document number: {text}");
    assert_eq!(printed.doc_numbers.len(), page.items.len());
    assert_eq!(
        app.print_notices(NoticeDoc::Rectification, vec![]).await.expect_err("nothing selected").code,
        ErrorCode::InvalidInput
    );
}

fn pdf_text(path: &str) -> String {
    let out = std::process::Command::new("pdftotext").args([path, "-"]).output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

/// Uses up every document number this laptop holds (as if notices had taken them).
fn use_up_numbers(app: &App) {
    let active = app.active().expect("signed in");
    let r = active.replica.lock().expect("replica");
    r.conn().execute("UPDATE doc_number_blocks SET next_no = last_no + 1", []).expect("use up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_takes_one_document_number_once_online_or_offline_and_keeps_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    let year = chrono::Datelike::year(&(chrono::Utc::now() + chrono::Duration::hours(8)));
    let no = |n: u32| format!("东政管督〔{year}〕{n}号");
    let left = |app: &App| {
        let a = app.active().expect("signed in");
        let r = a.replica.lock().expect("replica");
        r.doc_numbers_left(a.user.unit_id, year).expect("left")
    };
    assert_eq!(left(&app), hcp_sync::DOC_NUMBER_BLOCK, "the sync reserved a block for the office");
    let open = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::InRectification), limit: 3, ..CaseQuery::default() })
        .await
        .expect("cases");
    assert!(open.items.len() >= 3, "three cases in rectification");
    let (a, b, c) = (open.items[0].id, open.items[1].id, open.items[2].id);

    // The block is used up: online, the next notice reserves more first (1–10 are gone: 11).
    use_up_numbers(&app);
    let saved = app.print_notices(NoticeDoc::Rectification, vec![a]).await.expect("save online");
    assert_eq!(saved.doc_numbers, vec![no(11)]);
    assert!(pdf_text(&saved.path).contains(&no(11)));

    // Offline: saving or printing the same notice again keeps its number; a new one takes the next
    // number of the block, once.
    srv.stop().await;
    let again = app.print_notices(NoticeDoc::Rectification, vec![a]).await.expect("save again offline");
    assert_eq!(again.doc_numbers, vec![no(11)], "a reprint keeps its number");
    assert!(pdf_text(&again.path).contains(&no(11)));
    let batch = app.print_notices(NoticeDoc::Rectification, vec![b, a]).await.expect("batch offline");
    assert_eq!(batch.doc_numbers, vec![no(12), no(11)]);
    let batch_again = app.print_notices(NoticeDoc::Rectification, vec![a, b]).await.expect("the batch again");
    assert_eq!(batch_again.doc_numbers, vec![no(11), no(12)], "no number used twice, none consumed by a reprint");
    assert_eq!(left(&app), hcp_sync::DOC_NUMBER_BLOCK - 2);
    let text = pdf_text(&batch.path);
    assert!(text.contains(&no(12)) && text.contains(&no(11)), "{text}");

    // The block runs dry offline: a new notice is refused with what to do; reprints still work
    // and the preview leaves the number blank.
    use_up_numbers(&app);
    let dry = app.print_notices(NoticeDoc::Rectification, vec![c]).await.expect_err("no numbers left offline");
    assert_eq!(dry.code, ErrorCode::NoDocNumbers);
    assert!(dry.message.contains("文号不足") && dry.message.contains("联网"), "{dry:?}");
    assert_eq!(
        app.print_notices(NoticeDoc::Rectification, vec![a]).await.expect("reprint offline").doc_numbers,
        vec![no(11)]
    );
    assert!(app.preview_notices(NoticeDoc::Rectification, vec![c], 0).await.is_ok(), "a preview needs no number");
    let register = {
        let active = app.active().expect("signed in");
        let r = active.replica.lock().expect("replica");
        r.issued_notices(active.user.unit_id).expect("register")
    };
    assert_eq!(register.len(), 2, "one register entry per notice: {register:?}");
    assert!(register.iter().all(|n| n.file.as_deref().is_some_and(|f| std::path::Path::new(f).exists())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_follows_the_cases_state_and_only_issuing_offices_publish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    // A case still 待核实 gets no 整改通知书 (it would say 经核实…属实), nor does a closed one.
    for (state, why) in [
        (hcp_domain::CaseState::New, "尚未核实"),
        (hcp_domain::CaseState::Closed, "已办结"),
        (hcp_domain::CaseState::Verified, "尚未交办"),
    ] {
        let page =
            app.list_cases(CaseQuery { state: Some(state), limit: 1, ..CaseQuery::default() }).await.expect("cases");
        let Some(case) = page.items.first() else {
            assert_ne!(state, hcp_domain::CaseState::New, "the demo has cases waiting to be verified");
            continue;
        };
        let e = app.print_notices(NoticeDoc::Rectification, vec![case.id]).await.expect_err("refused");
        assert_eq!(e.code, "illegal_state", "{e:?}");
        assert!(e.message.contains(&case.case_no) && e.message.contains(why), "{e:?}");
        assert!(app.preview_notices(NoticeDoc::Rectification, vec![case.id], 0).await.is_err(), "no preview either");
    }
    // An assigned case: its notice names the case number as 工单编号 and the service record's as
    // 办件编号, and states the case's own deadline.
    let open = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::InRectification), limit: 1, ..CaseQuery::default() })
        .await
        .expect("cases");
    let case = open.items.first().expect("a case in rectification");
    let saved = app.print_notices(NoticeDoc::Rectification, vec![case.id]).await.expect("notice");
    let text = pdf_text(&saved.path);
    assert!(text.contains(&format!("工单编号：{}", case.case_no)), "{text}");
    assert!(!text.contains(&format!("办件编号：{}", case.case_no)), "{text}");
    let due =
        chrono::NaiveDate::parse_from_str(case.deadline.as_deref().expect("a deadline"), "%Y-%m-%d").expect("date");
    assert!(text.contains(&hcp_report::notice::fmt_date(due)), "the case's own deadline {due}: {text}");

    // Only supervisors publish the 月调度通报; a handler is refused with a typed error, and prints
    // no notices either.
    let handler = App::new(&dir.path().join("handler"), store(), None);
    handler.login(login_req(&srv.url(), "donghu.handler", DEMO_PASSWORD)).await.expect("login");
    handler.sync_once().await.expect("sync");
    let month = app.dashboard(None, Default::default()).await.expect("dashboard").month;
    let e = handler.monthly_report(month.clone()).await.expect_err("a handler may not publish it");
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(e.message.contains("督查人员"), "{e:?}");
    let mine = handler.list_cases(CaseQuery { limit: 1, ..CaseQuery::default() }).await.expect("cases");
    if let Some(c) = mine.items.first() {
        assert_eq!(
            handler.print_notices(NoticeDoc::Rectification, vec![c.id]).await.expect_err("no notices").code,
            ErrorCode::Forbidden
        );
    }
    let manager = App::new(&dir.path().join("manager"), store(), None);
    manager.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    manager.sync_once().await.expect("sync");
    assert_eq!(manager.monthly_report(month).await.expect_err("a hall does not publish it").code, ErrorCode::Forbidden);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_jurisdiction_rebootstraps_and_purges_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 400, seed: 9, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    let all = CaseQuery { limit: 500, ..CaseQuery::default() };
    assert!(app.list_cases(all.clone()).await.expect("cases").items.iter().all(|c| worked_in_hall(c, DONGHU)));

    // The administrator moves the user to 西山区政务服务中心.
    db.write_blocking(|c| {
        c.execute(
            "UPDATE users SET unit_id = (SELECT id FROM org_units WHERE name = '西山区政务服务中心') WHERE username = 'donghu.manager'",
            (),
        )?;
        Ok(())
    })
    .expect("move");
    app.sync_once().await.expect("sync after the move");
    let session = app.session_restore().await.expect("session").expect("signed in");
    assert_eq!(session.user.unit_name, "西山区政务服务中心");
    let page = app.list_cases(all).await.expect("cases");
    assert!(page.total > 0);
    assert!(page.items.iter().all(|c| worked_in_hall(c, XISHAN)), "the old jurisdiction is gone");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_counts_the_jurisdiction_and_ranks_its_halls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "city.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    srv.stop().await;
    let d = app.dashboard(None, ChartStyle::default()).await.expect("dashboard");
    assert_eq!(d.months.first(), Some(&d.month), "the newest month by default");
    assert!(d.totals.rated > 0);
    assert_eq!(d.totals.bad_rate.denominator, d.totals.rated);
    let unit_sum: u32 = d.units.iter().map(|u| u.kpis.rated).sum();
    assert_eq!(unit_sum, d.totals.rated, "every rating belongs to one hall");
    let ranks: Vec<u32> = d.units.iter().filter_map(|u| u.rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "sorted by rank");
    for chart in [&d.charts.trend, &d.charts.channels, &d.charts.ranking, &d.charts.timeliness] {
        assert!(chart.starts_with("<svg") || chart.contains("<svg"), "an SVG chart");
    }
    let report = app.monthly_report(d.month.clone()).await.expect("monthly report");
    let out = std::process::Command::new("pdftotext").args([report.path.as_str(), "-"]).output().expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
    assert!(text.contains("通报"), "{text}");
    assert!(text.contains(&d.units[0].unit_name), "the report names the units");
    let older = app.dashboard(d.months.last().cloned(), ChartStyle::default()).await.expect("older month");
    assert!(older.totals.rated > 0);
    assert_eq!(
        app.dashboard(Some("2026-13".into()), ChartStyle::default()).await.expect_err("bad month").code,
        ErrorCode::InvalidInput
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_assignment_queues_what_the_rules_allow_and_lists_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 300, seed: 4, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let fresh: Vec<i64> = (0..2)
        .map(|i| {
            hcp_server::seed::demo_bad_review(&db, &format!("BULK-{i}"), "不动产转移登记", "窗口推诿").expect("case")
        })
        .collect();
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    let handler = app.assignees().await.expect("assignees").into_iter().find(|h| h.name == "陈承办").expect("陈承办");
    for id in &fresh {
        let verify =
            CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
        app.issue(Some(*id), verify).await.expect("verify");
    }
    let closed = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::Closed), limit: 1, ..CaseQuery::default() })
        .await
        .expect("closed");
    let mut ids = fresh.clone();
    ids.extend(closed.items.iter().map(|c| c.id));
    let result = app.bulk_assign(ids, handler.user_id, handler.department_id).await.expect("bulk");
    assert_eq!(result.queued, 2, "the two verified cases are assigned");
    assert_eq!(result.refused.len(), closed.items.len());
    assert!(result.refused.iter().all(|r| r.code == "illegal_state" && !r.message.is_empty()));
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    for id in fresh {
        let state: String = db
            .read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE id = ?1", [id], |r| r.get(0)))
            .expect("state");
        assert_eq!(state, "assigned");
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urging_queues_a_reminder_on_running_cases_and_the_timeline_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 300, seed: 5, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("sync");
    let running = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::InRectification), limit: 2, ..CaseQuery::default() })
        .await
        .expect("running");
    assert!(!running.items.is_empty(), "the demo city has cases in rectification");
    let closed = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::Closed), limit: 1, ..CaseQuery::default() })
        .await
        .expect("closed");
    let mut ids: Vec<i64> = running.items.iter().map(|c| c.id).collect();
    ids.extend(closed.items.iter().map(|c| c.id));
    assert_eq!(app.urge_cases(ids.clone(), "  ".into()).await.expect("blank note").queued, 0);
    assert_eq!(app.urge_cases(vec![], "x".into()).await.expect_err("none chosen").code, ErrorCode::InvalidInput);
    let result = app.urge_cases(ids, "请于本周内报送整改情况".into()).await.expect("urge");
    assert_eq!(result.queued as usize, running.items.len());
    assert_eq!(result.refused.len(), closed.items.len());
    assert!(result.refused.iter().all(|r| r.code == "illegal_state"));
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    let detail = app.case_detail(running.items[0].id).await.expect("detail");
    let urged = detail.events.iter().find(|e| e.kind == "urged").expect("催办 in the timeline");
    assert!(urged.details.contains("请于本周内报送整改情况"), "{}", urged.details);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_sends_queued_work_soon_after_the_server_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 200, seed: 8, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let case_id = hcp_server::seed::demo_bad_review(&db, "LOOP-1", "户口迁移登记", "窗口无人").expect("case");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let addr = srv.addr;
    let app = Arc::new(App::new(&dir.path().join("client"), store(), None));
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    srv.stop().await;
    // A long interval: only the offline retry can bring the command across in time.
    let background = tokio::spawn(app.clone().run_sync_loop(Duration::from_secs(600)));
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(case_id), verify).await.expect("verify offline");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(app.sync_status().expect("status").pending, 1, "still offline");
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let started = std::time::Instant::now();
    loop {
        let state: String = db
            .read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
            .expect("state");
        if state == "verified" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the queued command reached the server by itself");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    background.abort();
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_deadlines_follow_the_policy_the_server_distributed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 300, seed: 5, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    // 东湖区 allows 15 working days instead of the default 5; the setting reaches the client by the feed.
    db.write_blocking(|c| {
        let (id, path): (i64, String) =
            c.query_row("SELECT id, path FROM org_units WHERE name = '东湖区'", (), |r| Ok((r.get(0)?, r.get(1)?)))?;
        let policy = hcp_protocol::JurisdictionPolicy {
            deadlines: hcp_domain::DeadlineRules {
                policy: hcp_domain::DeadlinePolicy::WorkingDays(15),
                // No acceptance clock: the assigned case shows its rectification deadline.
                accept_within_working_days: None,
                ..hcp_domain::DeadlineRules::default()
            },
            ..hcp_protocol::JurisdictionPolicy::default()
        };
        let json = serde_json::to_string(&policy).map_err(|e| hcp_server::db::DbError::Corrupt(e.to_string()))?;
        hcp_server::db::settings::put(c, id, &path, "policy", &json, "2026-11-20T00:00:00Z")?;
        Ok(())
    })
    .expect("policy");
    let case_id =
        hcp_server::seed::demo_bad_review(&db, "POLICY-1", "社会保障卡补换", "材料没有一次性告知").expect("case");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    let detail = app.case_detail(case_id).await.expect("detail");
    let handler = detail.handlers.iter().find(|h| h.name == "陈承办").expect("the district's handler").clone();
    // Offline, the manager verifies and assigns: the projected deadline counts 15 working days.
    let addr = srv.addr;
    srv.stop().await;
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(case_id), verify).await.expect("verify");
    let assign =
        CaseCommand::Assign { department_id: handler.department_id, handler_id: handler.user_id, due_date: None };
    app.issue(Some(case_id), assign).await.expect("assign");
    let projected = app.case_detail(case_id).await.expect("detail").item.deadline.expect("a projected deadline");
    // Online again: the server's deadline is the same day, and it is later than the default's.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    let server_deadline: String = db
        .read_blocking(move |c| c.query_row("SELECT deadline FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
        .expect("deadline");
    assert_eq!(projected, server_deadline, "the laptop counted the deadline as the server did");
    let calendar = hcp_domain::Calendar::bundled();
    let today = chrono::Utc::now() + chrono::Duration::hours(8);
    let five = calendar.add_working_days(today.date_naive(), 5);
    assert!(server_deadline.as_str() > five.format("%Y-%m-%d").to_string().as_str(), "15, not 5, working days");
    srv.stop().await;
}

#[test]
fn sync_retries_back_off_within_bounds() {
    let interval = Duration::from_secs(15);
    // Success: the regular interval.
    assert_eq!(next_delay(None, Duration::from_secs(2), interval, OFFLINE_RETRY), interval);
    // Unreachable: the short offline retry, never longer than the interval.
    assert_eq!(next_delay(Some(ErrorCode::Network), interval, interval, OFFLINE_RETRY), OFFLINE_RETRY);
    assert_eq!(
        next_delay(Some(ErrorCode::Network), interval, Duration::from_secs(1), OFFLINE_RETRY),
        Duration::from_secs(1)
    );
    // A failing server: 2 s, doubling, capped at the interval, and again from 2 s after a success.
    let mut delay = interval;
    let mut seen = Vec::new();
    for _ in 0..6 {
        delay = next_delay(Some(ErrorCode::Server), delay, interval, OFFLINE_RETRY);
        seen.push(delay.as_secs());
    }
    assert_eq!(seen, vec![2, 4, 8, 15, 2, 4], "doubling up to the interval, then starting over");
    assert!(seen.iter().all(|s| (2..=15).contains(s)));
    let long = Duration::from_secs(600);
    let mut delay = long;
    for _ in 0..20 {
        delay = next_delay(Some(ErrorCode::Server), delay, long, OFFLINE_RETRY);
        assert!(delay >= Duration::from_secs(2) && delay <= long, "{delay:?}");
    }
    // Anything else (a session to renew, a replica problem) waits for the interval or the user.
    assert_eq!(next_delay(Some(ErrorCode::SessionExpired), Duration::from_secs(2), interval, OFFLINE_RETRY), interval);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectivity_returning_wakes_the_sync_loop_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 200, seed: 9, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let case_id = hcp_server::seed::demo_bad_review(&db, "NET-1", "户口迁移登记", "窗口无人").expect("case");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let addr = srv.addr;
    let app = Arc::new(App::new(&dir.path().join("client"), store(), None));
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    srv.stop().await;
    // Interval and offline retry of ten minutes: only a wake-up can bring the command across in time.
    let background = tokio::spawn(app.clone().sync_loop(Duration::from_secs(600), Duration::from_secs(600)));
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(case_id), verify).await.expect("verify offline");
    let started = std::time::Instant::now();
    while app.sync_status().expect("status").phase != SyncPhase::Offline {
        assert!(started.elapsed() < Duration::from_secs(10), "the failed attempt marks the app offline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Whatever the first failure was taken for (unreachable: the ten-minute retry; a broken
    // connection: the 2 s backoff, then 4 s), the next attempt falls while the server is still
    // down, so from here on only a wake-up brings the command across within the next seconds.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.sync_status().expect("status").phase, SyncPhase::Offline);
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.sync_status().expect("status").pending, 1, "nothing syncs before the network event");
    // What the network watch calls when an address appears.
    app.network_changed();
    let started = std::time::Instant::now();
    loop {
        let state: String = db
            .read_blocking(move |c| c.query_row("SELECT state FROM cases WHERE id = ?1", [case_id], |r| r.get(0)))
            .expect("state");
        if state == "verified" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the queued command went out at once");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = app.sync_status().expect("status");
    assert!(status.online);
    // Online, a network change does not trigger extra syncs.
    app.network_changed();
    background.abort();
    srv.stop().await;
}

/// Issue 15 item 1: the assign dialog offers the departments of the case's district inside the
/// user's jurisdiction, each with its own handlers, and the local check refuses a handler of
/// another department or a department outside the jurisdiction at once, as the server would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignments_pick_a_department_then_its_handler_and_bad_ids_are_refused_locally() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 200, seed: 6, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let case_id = hcp_server::seed::demo_bad_review(&db, "DEPT-1", "社会保障卡补换", "跑了三趟").expect("case");
    let foreign: i64 =
        db.read_blocking(|c| c.query_row("SELECT id FROM org_units WHERE name = '西山区税务局窗口'", (), |r| r.get(0)))
            .expect("a foreign department");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(case_id), verify).await.expect("verify");
    let detail = app.case_detail(case_id).await.expect("detail");
    // Six departments of the hall, each with its own handler.
    assert_eq!(detail.departments.len(), 6, "{:?}", detail.departments);
    assert!(detail.departments.iter().all(|d| d.handlers.len() == 1 && d.name.starts_with("东湖区")));
    assert!(detail.departments.iter().all(|d| d.handlers.iter().all(|h| h.department_id == d.id)));
    assert_eq!(detail.handlers.len(), 6);
    assert_eq!(app.assign_departments().await.expect("departments"), detail.departments);
    let (ms, rs) = (&detail.departments[0], &detail.departments[1]);
    let assign =
        |department_id: i64, handler_id: i64| CaseCommand::Assign { department_id, handler_id, due_date: None };
    let refused = app.issue(Some(case_id), assign(rs.id, ms.handlers[0].user_id)).await.expect_err("wrong handler");
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(refused.message.contains("不是承办部门"), "{}", refused.message);
    let refused = app.issue(Some(case_id), assign(foreign, ms.handlers[0].user_id)).await.expect_err("foreign");
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    assert!(!refused.message.contains("西山"), "{}", refused.message);
    // The right pair is queued and applied.
    app.issue(Some(case_id), assign(rs.id, rs.handlers[0].user_id)).await.expect("assign");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    // The hall keeps the case now that the 人社局 handler works it.
    assert!(app.case_detail(case_id).await.is_ok());
    srv.stop().await;
}

/// A district hall and the prefix of its departments' names.
type Hall = (&'static str, &'static str);
const DONGHU: Hall = ("东湖区政务服务中心", "东湖区");
const XISHAN: Hall = ("西山区政务服务中心", "西山区");

/// A case a hall manager holds: one of the hall's, or a town centre's case that a department of
/// the hall works (assigned to its handler, the case travels to the department; the town centre
/// itself is outside the hall's jurisdiction, so the replica has no name for it).
fn worked_in_hall(c: &hcp_replica::CaseListItem, (hall, departments): Hall) -> bool {
    c.unit_name == hall
        || (c.unit_name.is_empty() && c.department_name.as_deref().is_some_and(|d| d.starts_with(departments)))
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_signing_out_the_user_signs_in_offline_and_the_server_takes_over_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = server_with_new_case(dir.path(), 4, "OFFLINE-1").await;
    let (addr, url) = (srv.addr, srv.url());
    let secrets = store();
    let data = dir.path().join("client");
    let app = App::new(&data, secrets.clone(), None);
    let user = "donghu.manager";
    let verifier_account = account("offline-verifier", &url, user);

    // Without an earlier online sign-in on this computer there is nothing to open offline.
    srv.stop().await;
    let never = app.login(login_req(&url, user, DEMO_PASSWORD)).await.expect_err("first sign-in needs the server");
    assert_eq!(never.code, ErrorCode::Network);
    assert!(never.message.contains("需先在本机联网登录"), "{}", never.message);

    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let online = app.login(login_req(&url, user, DEMO_PASSWORD)).await.expect("login");
    assert!(!online.offline);
    app.sync_once().await.expect("bootstrap");
    let verifier = secrets.get(&verifier_account).expect("keyring").expect("an offline verifier");
    assert!(
        verifier.starts_with("$argon2id$") && !verifier.contains(DEMO_PASSWORD),
        "a salted hash, never the password"
    );
    let total = app.list_cases(CaseQuery { limit: 1, ..CaseQuery::default() }).await.expect("cases").total;
    app.logout().await.expect("logout");
    assert!(secrets.get(&account("token", &url, user)).expect("keyring").is_none());
    assert!(secrets.get(&verifier_account).expect("keyring").is_some(), "the verifier stays for an offline sign-in");

    // The server is gone: the right password opens the remembered replica, read and queue only.
    srv.stop().await;
    let wrong = app.login(login_req(&url, user, "not-the-password1")).await.expect_err("wrong password");
    assert_eq!(wrong.code, ErrorCode::AuthFailed);
    assert_eq!(app.list_cases(CaseQuery::default()).await.expect_err("not signed in").code, ErrorCode::NotLoggedIn);
    let offline = app.login(login_req(&url, user, DEMO_PASSWORD)).await.expect("offline sign-in");
    assert!(offline.offline);
    assert_eq!(offline.user.username, user);
    assert_eq!(app.list_cases(CaseQuery { limit: 1, ..CaseQuery::default() }).await.expect("cases").total, total);
    let new_case = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::New), limit: 50, ..CaseQuery::default() })
        .await
        .expect("new")
        .items
        .into_iter()
        .find(|c| c.summary.contains("材料没有一次性告知"))
        .expect("the new case")
        .id;
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(new_case), verify).await.expect("queued offline");
    assert_eq!(app.sync_once().await.expect_err("no server").code, ErrorCode::Network);
    assert_eq!(app.sync_status().expect("status").phase, SyncPhase::Offline);
    assert_eq!(app.sync_status().expect("status").pending, 1);
    let online_only = app.change_password(DEMO_PASSWORD.into(), "Newpass2026".into()).await.expect_err("offline");
    assert_eq!(online_only.code, ErrorCode::Network);
    assert!(online_only.message.contains("离线登录"), "{}", online_only.message);

    // The server returns: the sync signs in for real, then sends the queued work.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let st = app.sync_once().await.expect("signed in and synced");
    assert_eq!((st.pending, st.rejected), (0, 0));
    assert!(!app.session_restore().await.expect("session").expect("signed in").offline);

    // 修改密码: the server checks the current password and the policy; the verifier follows.
    let bad = app.change_password("wrong-pass1".into(), "Newpass2026".into()).await.expect_err("wrong old");
    assert_eq!((bad.code, bad.message.as_str()), (ErrorCode::InvalidInput, "原密码不正确"));
    let weak = app.change_password(DEMO_PASSWORD.into(), "onlyletters".into()).await.expect_err("weak");
    assert!(weak.message.contains("字母和数字"), "{}", weak.message);
    app.change_password(DEMO_PASSWORD.into(), "Newpass2026".into()).await.expect("changed");
    let verifier = secrets.get(&verifier_account).expect("keyring").expect("verifier");
    assert!(secrets::verify_offline("Newpass2026", &verifier) && !secrets::verify_offline(DEMO_PASSWORD, &verifier));
    app.sync_once().await.expect("this session goes on");
    app.logout().await.expect("logout");
    srv.stop().await;

    // Offline again with the new password; meanwhile the password is changed elsewhere, so when
    // the server returns it refuses the offline session, which ends.
    assert_eq!(app.login(login_req(&url, user, DEMO_PASSWORD)).await.expect_err("old").code, ErrorCode::AuthFailed);
    assert!(app.login(login_req(&url, user, "Newpass2026")).await.expect("offline").offline);
    let hash = hcp_server::auth::hash_password("Elsewhere2026").expect("hash");
    db.write_blocking(move |c| {
        c.execute("UPDATE users SET password_hash = ?1 WHERE username = 'donghu.manager'", [hash])?;
        Ok(())
    })
    .expect("changed elsewhere");
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let ended = app.sync_once().await.expect_err("refused");
    assert_eq!(ended.code, ErrorCode::SessionExpired);
    assert_eq!(app.sync_status().expect("status").code, Some(ErrorCode::SessionExpired));
    assert_eq!(app.list_cases(CaseQuery::default()).await.expect_err("ended").code, ErrorCode::NotLoggedIn);
    srv.stop().await;
}

/// The 设置 page: the address and interval are checked and kept; the replica's rows and size
/// are reported; a re-download keeps the outbox and fetches everything again; erasing with
/// unsent work needs the user's consent and then leaves no data, key or offline sign-in behind;
/// the diagnostics file names no token and no evaluator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_page_keeps_its_choices_and_erases_only_with_consent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = server_with_new_case(dir.path(), 7, "SET-1").await;
    let secrets = store();
    let data = dir.path().join("client");
    let app = App::new(&data, secrets.clone(), None);
    let session = app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");

    // Address and interval.
    let bad = maintenance::AppSettingsInput { server_url: "ftp://x".into(), sync_interval_seconds: None };
    assert_eq!(app.save_app_settings(bad).expect_err("scheme").code, ErrorCode::InvalidInput);
    let slow = maintenance::AppSettingsInput { server_url: srv.url(), sync_interval_seconds: Some(1) };
    assert_eq!(app.save_app_settings(slow).expect_err("too often").code, ErrorCode::InvalidInput);
    let moved =
        maintenance::AppSettingsInput { server_url: "http://10.0.0.5:8787/".into(), sync_interval_seconds: Some(120) };
    let view = app.save_app_settings(moved).expect("saved");
    assert_eq!(view.server_url.as_deref(), Some("http://10.0.0.5:8787"));
    assert_eq!(view.session_server_url.as_deref(), Some(session.server_url.as_str()), "the session keeps its server");
    assert_eq!((view.sync_interval_seconds, view.sync_interval_is_default), (120, false));
    assert_eq!(settings::load(&data).sync_interval_seconds, Some(120));
    assert_eq!(
        app.app_info().default_server_url.as_deref(),
        Some("http://10.0.0.5:8787"),
        "the login page prefills it"
    );
    assert!(app.check_server(srv.url()).await.expect("healthz").starts_with(char::is_numeric));
    assert_eq!(
        app.check_server("http://127.0.0.1:9".into()).await.expect_err("nothing listens").code,
        ErrorCode::Network
    );

    // What the replica holds.
    let info = app.replica_info().await.expect("info");
    let rows =
        |info: &maintenance::ReplicaInfo, e: &str| info.rows.iter().find(|r| r.entity == e).map_or(0, |r| r.rows);
    assert!(rows(&info, "case") > 0 && rows(&info, "rating") > 0, "{info:?}");
    assert!(info.bytes > 0 && info.cursor > 0 && info.last_sync_at.is_some(), "{info:?}");

    // A queued action survives a re-download and is sent by it.
    let case_id = app
        .list_cases(CaseQuery { state: Some(hcp_domain::CaseState::New), limit: 50, ..CaseQuery::default() })
        .await
        .expect("new")
        .items
        .iter()
        .find(|c| c.summary.contains("材料没有一次性告知"))
        .expect("the new case")
        .id;
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    app.issue(Some(case_id), verify).await.expect("verify");
    app.redownload_replica().await.expect("forget the cursor");
    assert!(!app.sync_status().expect("status").bootstrapped);
    let status = app.sync_once().await.expect("download again");
    assert!(status.bootstrapped && status.pending == 0, "{status:?}");
    let again = app.replica_info().await.expect("info");
    assert_eq!(rows(&again, "case"), rows(&info, "case"));
    assert_eq!(app.case_detail(case_id).await.expect("detail").item.state, hcp_domain::CaseState::Verified);

    // Diagnostics: versions and counts, the newest log files' ends, no secrets.
    let logs = crate::logs::log_dir(&data);
    std::fs::create_dir_all(&logs).expect("log dir");
    std::fs::write(logs.join("haochaping.2026-12-05.log"), "INFO sync round done pulled=3\n").expect("log");
    let file = app.export_diagnostics().await.expect("diagnostics");
    let text = std::fs::read_to_string(&file.path).expect("written");
    let token = secrets.get(&account("token", &srv.url(), "donghu.manager")).expect("keyring").expect("token");
    assert!(text.contains("\"app_version\"") && text.contains("\"rows\""), "{text}");
    assert!(!text.contains(&token) && !text.contains(DEMO_PASSWORD), "no secret in diagnostics");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(doc["logs"][0]["file"], "haochaping.2026-12-05.log", "{doc}");
    assert_eq!(doc["logs"][0]["text"], "INFO sync round done pulled=3\n");
    app.open_document(file.path.clone(), true).await.ok();

    // Erasing: refused with unsent work unless the user agrees; then nothing is left.
    let url = srv.url();
    srv.stop().await;
    let assign = app.case_detail(case_id).await.expect("detail").handlers[0].clone();
    app.issue(
        Some(case_id),
        CaseCommand::Assign { department_id: assign.department_id, handler_id: assign.user_id, due_date: None },
    )
    .await
    .expect("queued offline");
    let path = PathBuf::from(app.replica_info().await.expect("info").path);
    assert_eq!(app.erase_replica(false).await.expect_err("unsent work").code, ErrorCode::InvalidInput);
    assert!(path.exists());
    app.erase_replica(true).await.expect("erase");
    assert!(!path.exists(), "the replica file is gone");
    assert!(secrets.get(&account("replica-key", &url, "donghu.manager")).expect("keyring").is_none());
    assert!(secrets.get(&account("offline-verifier", &url, "donghu.manager")).expect("keyring").is_none());
    assert!(secrets.get(&account("token", &url, "donghu.manager")).expect("keyring").is_none());
    assert_eq!(app.replica_info().await.expect_err("signed out").code, ErrorCode::NotLoggedIn);
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&chrono::Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_groups_late_cases_by_rung_and_unit_counting_working_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let app = App::new(&dir.path().join("client"), store(), None);
    app.login(login_req(&srv.url(), "donghu.supervisor", DEMO_PASSWORD)).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    // Friday 27 November 2026, 10:00 in Beijing: a week after the seed's day.
    let now = at("2026-11-27T02:00:00Z");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    let (board, overdue_in_inbox) = app
        .with_replica(move |r, a, cal| {
            let board = board::board(r, &a.user, cal, now)?;
            let q = CaseQuery {
                due: Some(hcp_replica::DueWindow::Overdue),
                today: Some("2026-11-27".into()),
                limit: 1,
                ..CaseQuery::default()
            };
            Ok((board, r.list_cases(&q)?.total))
        })
        .await
        .expect("board");
    assert!(board.overdue > 0, "the seed leaves late cases a week later");
    assert_eq!(board.overdue, overdue_in_inbox, "the board and the inbox's 已超期 agree");
    assert_eq!(board.today, "2026-11-27");
    let calendar = hcp_domain::Calendar::bundled();
    let rungs: Vec<_> = board.levels.iter().map(|l| l.level).collect();
    let mut sorted = rungs.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(rungs, sorted, "highest rung first");
    let mut counted = (0, 0);
    for level in &board.levels {
        let names: Vec<_> = level.units.iter().map(|u| u.unit_name.clone()).collect();
        let mut by_name = names.clone();
        by_name.sort();
        assert_eq!(names, by_name, "units by name");
        for unit in &level.units {
            assert!(!unit.cases.is_empty());
            for c in &unit.cases {
                assert_eq!(c.item.escalation, level.level, "a case sits at its rung");
                let owner = c.item.department_name.clone().unwrap_or_else(|| c.item.unit_name.clone());
                assert_eq!(owner, unit.unit_name, "a case sits under its responsible unit");
                let due = chrono::NaiveDate::parse_from_str(c.item.deadline.as_deref().unwrap_or(""), "%Y-%m-%d");
                match c.status {
                    BoardStatus::Overdue => {
                        counted.0 += 1;
                        let due = due.expect("an overdue case has a deadline");
                        // Working days on the calendar, not calendar days.
                        let n = calendar.working_days_between(due, today) as u32;
                        assert_eq!(c.working_days_overdue, Some(n), "{}", c.item.case_no);
                        assert!(n <= (today - due).num_days() as u32);
                    }
                    BoardStatus::AtRisk => {
                        counted.1 += 1;
                        assert!(due.expect("deadline") >= today);
                    }
                    _ => {
                        assert!(c.item.escalation > hcp_domain::EscalationLevel::FirstLine || c.item.deadline.is_some())
                    }
                }
            }
        }
    }
    assert_eq!(counted, (board.overdue, board.at_risk));

    // 升级督办: an overdue case the policy requires to move up goes by the overdue rule; a case
    // that is only at risk needs a reason.
    let cases: Vec<_> = board.levels.iter().flat_map(|l| l.units.iter().flat_map(|u| u.cases.clone())).collect();
    let due_up = cases.iter().find(|c| c.escalation_due.is_some()).expect("a case due to move up").clone();
    let calm = cases
        .iter()
        .find(|c| c.escalation_due.is_none() && c.item.escalation < hcp_domain::EscalationLevel::Accountability);
    let mut ids = vec![due_up.item.id];
    ids.extend(calm.map(|c| c.item.id));
    let refused = app
        .with_replica({
            let ids = ids.clone();
            move |r, a, cal| board::bulk_escalate(r, &a.user, &ids, None, cal, now)
        })
        .await
        .expect("escalate");
    assert_eq!(refused.queued, 1);
    assert_eq!(refused.refused.len(), ids.len() - 1);
    assert!(refused.refused.iter().all(|r| r.message.contains("升级理由")), "{refused:?}");
    let after = app.with_replica(move |r, a, cal| board::board(r, &a.user, cal, now)).await.expect("board after");
    let moved = after
        .levels
        .iter()
        .flat_map(|l| l.units.iter().flat_map(|u| u.cases.iter()))
        .find(|c| c.item.id == due_up.item.id)
        .expect("still on the board");
    assert_eq!(Some(moved.item.escalation), due_up.escalation_due, "projected at the required rung at once");
    assert_eq!(moved.escalation_due, None);

    // Only supervisors and hall managers work the board.
    let handler = App::new(&dir.path().join("handler"), store(), None);
    handler.login(login_req(&srv.url(), "donghu.handler", DEMO_PASSWORD)).await.expect("login");
    handler.sync_once().await.expect("sync");
    assert_eq!(handler.board().await.expect_err("not for handlers").code, ErrorCode::Forbidden);
    let manager = App::new(&dir.path().join("manager"), store(), None);
    manager.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    manager.sync_once().await.expect("sync");
    assert!(manager.board().await.is_ok(), "a hall manager sees the hall's part");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_tell_of_what_concerns_me_once_and_nothing_older_than_my_last_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = server_with_new_case(dir.path(), 9, "NOTIFY-1").await;
    let handler = App::new(&dir.path().join("handler"), store(), None);
    let shown = Arc::new(Mutex::new(Vec::<Notification>::new()));
    let sink = shown.clone();
    handler.set_notifier(Arc::new(move |n: &[Notification]| sink.lock().expect("lock").extend_from_slice(n)));
    handler.login(login_req(&srv.url(), "donghu.handler", DEMO_PASSWORD)).await.expect("login");
    handler.sync_once().await.expect("bootstrap");
    // The seed's history (assignments to this handler, their late cases) is older than the session.
    assert!(shown.lock().expect("lock").is_empty(), "a first sync notifies nothing old");
    assert_eq!(handler.notifications().await.expect("list").items.len(), 0);

    // The manager assigns the new case to this handler.
    let manager = App::new(&dir.path().join("manager"), store(), None);
    manager.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    manager.sync_once().await.expect("sync");
    let case_id = manager
        .list_cases(CaseQuery { search: Some("材料没有一次性告知".into()), limit: 5, ..CaseQuery::default() })
        .await
        .expect("list")
        .items
        .iter()
        .find(|c| c.state == hcp_domain::CaseState::New)
        .expect("the new case")
        .id;
    let me = manager.assignees().await.expect("assignees").into_iter().find(|h| h.name == "陈承办").expect("陈承办");
    let verify =
        CaseCommand::Verify { outcome: hcp_domain::case::machine::VerifyOutcome::Genuine, reason: String::new() };
    manager.issue(Some(case_id), verify).await.expect("verify");
    let assign = CaseCommand::Assign { department_id: me.department_id, handler_id: me.user_id, due_date: None };
    manager.issue(Some(case_id), assign).await.expect("assign");
    manager.sync_once().await.expect("push");

    handler.sync_once().await.expect("pull");
    let first: Vec<Notification> = shown.lock().expect("lock").clone();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0].kind.as_str(), first[0].case_id), ("assigned", case_id));
    assert!(first[0].title.contains("新交办"), "{first:?}");
    let list = handler.notifications().await.expect("list");
    assert_eq!((list.items.len(), list.unread), (1, 1));
    // Another sync, and a restart: never twice.
    handler.sync_once().await.expect("again");
    let restarted = App::new(&dir.path().join("handler"), handler.secrets.clone(), None);
    let sink = shown.clone();
    restarted.set_notifier(Arc::new(move |n: &[Notification]| sink.lock().expect("lock").extend_from_slice(n)));
    restarted.session_restore().await.expect("restore").expect("a remembered session");
    restarted.sync_once().await.expect("sync after restart");
    assert_eq!(shown.lock().expect("lock").len(), 1, "the assignment is notified once");
    let read = restarted.mark_notifications_read(Some(vec![list.items[0].id.clone()])).await.expect("read");
    assert_eq!((read.items.len(), read.unread), (1, 0));

    // A month on, the new case is late: told once, with the events of the seed's history when
    // the bound lets them in; nothing older than the bound.
    let (late, twice, none) = restarted
        .with_replica(|r, a, cal| {
            let now = chrono::Utc::now() + chrono::Duration::days(30);
            let late = notify::collect(r, &a.user, cal, now, at("2026-10-01T00:00:00Z"))?;
            let twice = notify::collect(r, &a.user, cal, now, at("2026-10-01T00:00:00Z"))?;
            let none = notify::candidates(r, &a.user, cal, now, now + chrono::Duration::minutes(1))?;
            Ok((late, twice, none))
        })
        .await
        .expect("collect");
    assert!(late.iter().any(|n| n.kind == "overdue" && n.case_id == case_id), "the new case is late: {late:?}");
    assert!(
        late.iter().any(|n| n.kind == "assigned" && n.case_id != case_id),
        "older assignments under an older bound"
    );
    assert!(late.iter().all(|n| n.kind != "escalated"), "a handler has no rung");
    let keys: std::collections::HashSet<_> = late.iter().map(|n| n.id.clone()).collect();
    assert_eq!(keys.len(), late.len(), "one notification per event");
    assert!(twice.is_empty(), "never twice: {twice:?}");
    assert!(none.is_empty(), "nothing older than the bound: {none:?}");

    // Turned off: listed, not shown.
    restarted.set_os_notifications(false).await.expect("off");
    assert!(!restarted.notifications().await.expect("list").os_enabled);
    srv.stop().await;
}

/// The shell is told of each change of the sync status as it happens (the UI follows it without
/// polling): a first sync is heard bootstrapping, then done; the last status told is the one
/// `sync_status` reads; nothing is told twice in a row; a burst of progress-only changes is
/// thinned, while any other change is told at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_hears_each_status_change_as_it_happens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let srv = server(dir.path()).await;
    let app = App::new(&dir.path().join("client"), store(), None);
    let told: Arc<std::sync::Mutex<Vec<SyncStatus>>> = Arc::default();
    let sink = told.clone();
    app.set_status_listener(Arc::new(move |s: &SyncStatus| sink.lock().expect("lock").push(s.clone())));

    app.login(login_req(&srv.url(), "donghu.manager", DEMO_PASSWORD)).await.expect("login");
    let done = app.sync_once().await.expect("first sync");
    {
        let told = told.lock().expect("lock");
        assert!(told.iter().any(|s| s.phase == SyncPhase::Bootstrapping), "the bootstrap is heard");
        assert_eq!(told.last(), Some(&done), "the last status told is the current one");
        assert!(told.windows(2).all(|w| w[0] != w[1]), "nothing is told twice in a row");
    }

    // Past the thinning interval of the bootstrap's last progress report.
    tokio::time::sleep(PROGRESS_TELL_EVERY * 2).await;
    told.lock().expect("lock").clear();
    let progress =
        |rows: u32| SyncProgress { phase: "ratings".into(), rows, bytes: 0, total_rows: None, resumed_from: None };
    app.set_status(|s| s.progress = Some(progress(1)));
    app.set_status(|s| s.progress = Some(progress(2)));
    app.set_status(|s| s.progress = Some(progress(3)));
    app.set_status(|s| s.pending = 7);
    app.set_status(|s| s.pending = 7);
    // A new step (the image's import after its download) is told at once, however soon.
    app.set_status(|s| s.progress = Some(SyncProgress { phase: "importing".into(), ..progress(3) }));
    let told = told.lock().expect("lock").clone();
    assert_eq!(told.len(), 3, "one of three quick progress steps, the new count, the new step: {told:?}");
    assert_eq!(told[0].progress.as_ref().map(|p| p.rows), Some(1));
    assert_eq!((told[1].pending, told[1].progress.as_ref().map(|p| p.rows)), (7, Some(3)));
    assert_eq!(told[2].progress.as_ref().map(|p| p.phase.as_str()), Some("importing"));
    srv.stop().await;
}
