//! 自我评价 through the app: the hall manager drafts offline (the draft survives a restart),
//! submits offline (queued), the server returns and takes it once, the supervisor reviews from
//! the replica after a sync, a return comes back to the hall to revise; and the survey import
//! (dry run, then all or nothing) shown beside the citizens' figures. Uses the real OS keyring:
//! run through `make test` (or scripts/with-keyring.sh).

use std::sync::Arc;

use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::self_assessment::EntryIn;
use super::*;

fn store() -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())))
}

fn login_req(url: &str, user: &str) -> LoginRequest {
    LoginRequest { server_url: url.into(), username: user.into(), password: DEMO_PASSWORD.into(), remember: true }
}

fn entries(score_below_max: u32, text: &str) -> Vec<EntryIn> {
    hcp_domain::self_assessment::Heading::ALL
        .into_iter()
        .map(|h| EntryIn {
            heading: h.as_str().into(),
            score: Some(h.max_points().saturating_sub(score_below_max)),
            text: text.into(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_drafts_and_submits_offline_and_the_supervisor_reviews_after_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 300, seed: 7, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let addr = srv.addr;
    let url = srv.url();
    let secrets = store();
    let data = dir.path().join("manager");
    let app = App::new(&data, secrets.clone(), None);
    app.login(login_req(&url, "donghu.manager")).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    let screen = app.self_assessments(None).await.expect("screen");
    assert!(screen.is_hall && !screen.is_reviewer);
    let period = screen.period.clone();
    assert_eq!(screen.items.len(), 1);
    assert_eq!((screen.items[0].state.as_str(), screen.items[0].may_edit), ("none", true));
    assert_eq!(screen.items[0].entries.len(), 7);

    // Offline: a partial draft is saved; a score over its maximum is refused; the draft survives
    // a restart of the app.
    srv.stop().await;
    let mut partial = entries(0, "");
    partial.truncate(2);
    partial[0].text = "梳理事项清单 126 项".into();
    let item = app.save_self_assessment_draft(period.clone(), partial.clone()).await.expect("draft offline");
    assert_eq!((item.state.as_str(), item.total), ("draft", 30));
    let mut over = partial.clone();
    over[1].score = Some(16);
    let e = app.save_self_assessment_draft(period.clone(), over).await.expect_err("over the maximum");
    assert!(e.message.contains("超过满分 15"), "{e:?}");
    let e = app.submit_self_assessment(period.clone(), partial.clone()).await.expect_err("incomplete");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    drop(app);
    let app = App::new(&data, secrets.clone(), None);
    app.session_restore().await.expect("restore").expect("a session");
    let screen = app.self_assessments(Some(period.clone())).await.expect("screen offline");
    let item = &screen.items[0];
    assert_eq!(item.state, "draft");
    assert_eq!(item.entries[0].text, "梳理事项清单 126 项", "the draft survived the restart");
    assert!(item.draft_saved_at.is_some());

    // Submitted offline: queued, shown as such, not editable, not submittable twice.
    let item = app.submit_self_assessment(period.clone(), entries(1, "按要求完成")).await.expect("submit offline");
    assert_eq!((item.state.as_str(), item.may_edit, item.total), ("queued", false, 93));
    assert_eq!(app.sync_status().expect("status").pending, 1);
    let e = app.submit_self_assessment(period.clone(), entries(0, "再交一次")).await.expect_err("twice");
    assert_eq!(e.code, ErrorCode::Conflict);
    let outbox = app.outbox().await.expect("outbox");
    assert_eq!(outbox[0].kind, hcp_protocol::outbox::SUBMIT_SELF_ASSESSMENT);

    // The server returns: the submission arrives once and comes back through the feed.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let st = app.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));
    let n: i64 =
        db.read_blocking(|c| c.query_row("SELECT count(*) FROM self_assessments", (), |r| r.get(0))).expect("count");
    assert_eq!(n, 1);
    let item = app.self_assessments(Some(period.clone())).await.expect("screen").items.remove(0);
    assert_eq!((item.state.as_str(), item.submissions), ("submitted", 1));
    assert_eq!(item.submitted_by_name.as_deref(), Some("王主任"));

    // The district's supervisor sees it after a sync, and returns it (offline, queued).
    let sup_dir = dir.path().join("supervisor");
    let sup = App::new(&sup_dir, secrets.clone(), None);
    sup.login(login_req(&url, "donghu.supervisor")).await.expect("login");
    sup.sync_once().await.expect("bootstrap");
    let screen = sup.self_assessments(Some(period.clone())).await.expect("screen");
    assert!(screen.is_reviewer && !screen.is_hall);
    let row = screen.items.iter().find(|i| i.id.is_some()).expect("the hall's form").clone();
    assert_eq!((row.state.as_str(), row.may_review, row.total), ("submitted", true, 93));
    let id = row.id.expect("id");
    let e = sup.review_self_assessment(id, "return".into(), " ".into()).await.expect_err("a reason");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    srv.stop().await;
    let reviewed = sup.review_self_assessment(id, "return".into(), "请补充大厅建设数据".into()).await.expect("queued");
    assert_eq!(reviewed.pending_review.as_deref(), Some("return"));
    assert!(!reviewed.may_review);
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    let st = sup.sync_once().await.expect("sync");
    assert_eq!((st.pending, st.rejected), (0, 0));

    // The hall sees the return with its reason, revises the same draft and submits again; the
    // supervisor approves.
    app.sync_once().await.expect("sync");
    let item = app.self_assessments(Some(period.clone())).await.expect("screen").items.remove(0);
    assert_eq!((item.state.as_str(), item.may_edit), ("returned", true));
    assert_eq!(item.review_comment.as_deref(), Some("请补充大厅建设数据"));
    assert_eq!(item.entries[0].text, "按要求完成", "editing starts from what was submitted");
    app.submit_self_assessment(period.clone(), entries(0, "已补充数据")).await.expect("resubmit");
    app.sync_once().await.expect("sync");
    sup.sync_once().await.expect("sync");
    let row =
        sup.self_assessments(Some(period.clone())).await.expect("screen").items.into_iter().find(|i| i.id == Some(id));
    let row = row.expect("the form");
    assert_eq!((row.state.as_str(), row.submissions, row.total), ("submitted", 2, 100));
    sup.review_self_assessment(id, "approve".into(), String::new()).await.expect("approve");
    sup.sync_once().await.expect("sync");
    app.sync_once().await.expect("sync");
    let item = app.self_assessments(Some(period.clone())).await.expect("screen").items.remove(0);
    assert_eq!((item.state.as_str(), item.may_edit), ("approved", false));
    assert_eq!(item.reviewed_by_name.as_deref(), Some("李科长"));

    // 第三方评价: the supervisor checks a file with a bad row (nothing stored), then a good one.
    let hall_code: String = db
        .read_blocking(|c| {
            c.query_row("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'", (), |r| r.get(0))
        })
        .expect("code");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "单位编码,期间,测评方式,测评机构,样本数,满意度\n{hall_code},2026-11,电话测评,江城市统计调查中心,200,95.5\n{hall_code},2026-11,上门,江城市统计调查中心,x,90\n"
        ),
    )
    .expect("write");
    let report = sup.import_surveys(bad.to_string_lossy().into_owned(), true).await.expect("dry run");
    assert!(!report.applied);
    let cols: Vec<(u32, &str)> = report.problems.iter().map(|p| (p.line, p.column.as_str())).collect();
    assert_eq!(cols, vec![(3, "测评方式"), (3, "样本数")], "{report:?}");
    let e = sup.import_surveys(bad.to_string_lossy().into_owned(), false).await.expect_err("all or nothing");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!(
            "单位编码,期间,测评方式,测评机构,样本数,满意度\n{hall_code},2026-11,电话测评,江城市统计调查中心,200,95.5\n"
        ),
    )
    .expect("write");
    let done = sup.import_surveys(good.to_string_lossy().into_owned(), false).await.expect("import");
    assert_eq!((done.applied, done.created), (true, 1));
    let again = sup.import_surveys(good.to_string_lossy().into_owned(), false).await.expect("again");
    assert_eq!((again.created, again.unchanged), (0, 1));
    app.sync_once().await.expect("sync");
    let shown = app.survey_results(Some("2026-11".into())).await.expect("surveys");
    assert_eq!(shown.len(), 1);
    assert_eq!((shown[0].satisfaction.as_str(), shown[0].method_label.as_str()), ("95.50", "电话测评"));
    assert!(shown[0].citizens_rated > 0, "the citizens' ratings of the month are beside it");
    assert!(shown[0].citizens_satisfaction.is_some());
    // Hall managers read but do not import.
    let e = app.import_surveys(good.to_string_lossy().into_owned(), true).await.expect_err("hall");
    assert_eq!(e.code, ErrorCode::Forbidden);
    srv.stop().await;
}

/// A refused submission issued again stays in the outbox when the new attempt is refused too; once
/// the new one is queued, the refused one is given up and the new command's id is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_is_kept_until_it_is_queued_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 100, seed: 5, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    let app = App::new(&dir.path().join("manager"), store(), None);
    app.login(login_req(&srv.url(), "donghu.manager")).await.expect("login");
    app.sync_once().await.expect("bootstrap");
    srv.stop().await;
    let period = app.self_assessments(None).await.expect("screen").period;
    app.submit_self_assessment(period.clone(), entries(1, "按要求完成")).await.expect("submit offline");
    let old = app.outbox().await.expect("outbox").into_iter().next().expect("queued").command_id;
    // The server refused it; the form it carried is now incomplete (as an older version might
    // have queued it), so issuing it again is refused here too.
    let (valid, old_id) = (old.clone(), old.clone());
    let command: String = app
        .with_replica(move |r, _, _| {
            let command: String = r
                .conn()
                .query_row("SELECT command FROM outbox WHERE command_id = ?1", [&old_id], |row| row.get(0))
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            let mut broken: serde_json::Value = serde_json::from_str(&command).expect("json");
            broken["form"]["entries"] = serde_json::json!([]);
            r.conn()
                .execute("UPDATE outbox SET command = ?2 WHERE command_id = ?1", [&old_id, &broken.to_string()])
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            r.settle(&[hcp_replica::Settlement::Rejected {
                command_id: old_id,
                code: ErrorCode::Conflict,
                message: "服务器拒绝".into(),
            }])?;
            Ok(command)
        })
        .await
        .expect("refused");
    let e = app.reissue(old.clone()).await.expect_err("incomplete again");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let kept = app.outbox().await.expect("outbox");
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].command_id.as_str(), kept[0].status.as_str()), (old.as_str(), "rejected"), "still there");
    // With the form whole again, it is queued anew and the refused one is gone.
    app.with_replica(move |r, _, _| {
        r.conn()
            .execute("UPDATE outbox SET command = ?2 WHERE command_id = ?1", [&valid, &command])
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        Ok(())
    })
    .await
    .expect("restore");
    let issued = app.reissue(old.clone()).await.expect("reissued");
    let now = app.outbox().await.expect("outbox");
    assert_eq!(now.len(), 1);
    assert_eq!((now[0].command_id.as_str(), now[0].status.as_str()), (issued.command_id.as_str(), "pending"));
    assert_ne!(issued.command_id, old);
}
