//! The 问责 register, the 通知书 centre and 监督检查发现 against a seeded server (real keyring, as
//! the other app tests: run through `make test` or scripts/with-keyring.sh).

use std::sync::Arc;

use hcp_domain::case::machine::{AccountabilityKind, EscalationBasis};
use hcp_domain::{CaseState, EscalationLevel};
use hcp_replica::CaseQuery;
use hcp_server::seed::{seed_demo, SeedOptions, DEMO_PASSWORD};
use hcp_server::{AppState, Db};

use super::*;
use crate::finding::FindingInput;
use crate::ledger::{ChainBadge, LedgerQuery};
use crate::notice_centre::{NoticeKey, NoticeQuery};

async fn seeded(dir: &Path) -> (hcp_server::RunningServer, Db) {
    let db = Db::open(&dir.join("server.db")).expect("db");
    let opts =
        SeedOptions { evaluations: 500, seed: 11, today: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date") };
    seed_demo(&db, &opts).expect("seed");
    let srv = hcp_server::spawn(AppState::new(db.clone()), "127.0.0.1:0").await.expect("spawn");
    (srv, db)
}

fn store() -> Arc<dyn SecretStore> {
    Arc::new(KeyringStore::new(&format!("haochaping-test-{}", uuid::Uuid::new_v4())))
}

async fn signed_in(dir: &Path, name: &str, url: &str, user: &str) -> App {
    let app = App::new(&dir.join(name), store(), None);
    let req =
        LoginRequest { server_url: url.into(), username: user.into(), password: DEMO_PASSWORD.into(), remember: true };
    app.login(req).await.expect("login");
    app.sync_once().await.expect("first sync");
    app
}

fn pdf_text(path: &str) -> String {
    let out = std::process::Command::new("pdftotext").args([path, "-"]).output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_lists_the_accountability_rung_and_decisions_with_a_cached_chain_badge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded(dir.path()).await;
    // The supervisor takes a case in rectification up the ladder to 追责问责.
    let sup = signed_in(dir.path(), "sup", &srv.url(), "donghu.supervisor").await;
    let page = sup
        .list_cases(CaseQuery { state: Some(CaseState::InRectification), limit: 50, ..CaseQuery::default() })
        .await
        .expect("cases");
    let case = page.items.iter().find(|c| c.escalation == EscalationLevel::FirstLine).expect("a first-line case");
    let case_id = case.id;
    for _ in 0..3 {
        let basis = EscalationBasis::Manual { reason: "多次整改不到位".into() };
        sup.issue(Some(case_id), CaseCommand::Escalate { basis }).await.expect("escalate");
    }
    sup.sync_once().await.expect("push the escalations");
    assert_eq!(sup.case_detail(case_id).await.expect("detail").escalation, EscalationLevel::Accountability);

    // The liaison sees it as awaiting a decision.
    let liaison = signed_in(dir.path(), "liaison", &srv.url(), "donghu.liaison").await;
    let ledger = liaison.accountability_register(LedgerQuery::default()).await.expect("register");
    let row = ledger.cases.iter().find(|c| c.item.id == case_id).expect("the case at the rung");
    assert!(row.awaiting && row.decisions.is_empty(), "{row:?}");
    assert!(ledger.chain.is_none(), "no check has run on this laptop");
    let awaiting = LedgerQuery { decision: Some("awaiting".into()), ..LedgerQuery::default() };
    assert!(liaison
        .accountability_register(awaiting.clone())
        .await
        .expect("awaiting")
        .cases
        .iter()
        .all(|c| c.awaiting));

    // The decision: pending until synced, then on the chain, unverified until a check runs.
    let detail = liaison.case_detail(case_id).await.expect("detail");
    let subject = detail.staff.first().expect("a staff member to hold accountable").clone();
    let decide = CaseCommand::RecordAccountability {
        decision: AccountabilityKind::Admonition,
        subject_staff_id: subject.id,
        reason: "整改期限内未落实整改措施".into(),
        evidence: vec!["谈话记录.pdf".into(), "整改台账".into()],
    };
    liaison.issue(Some(case_id), decide).await.expect("record");
    let pending = liaison.accountability_register(LedgerQuery::default()).await.expect("register");
    let d = &pending.cases.iter().find(|c| c.item.id == case_id).expect("case").decisions;
    assert_eq!((d.len(), d[0].badge), (1, ChainBadge::Pending));
    liaison.sync_once().await.expect("push the decision");
    let synced = liaison.accountability_register(LedgerQuery::default()).await.expect("register");
    let row = synced.cases.iter().find(|c| c.item.id == case_id).expect("case");
    assert!(!row.awaiting);
    let d = &row.decisions[0];
    assert_eq!(d.badge, ChainBadge::Unverified);
    assert_eq!((d.decision_label.as_str(), d.subject_name.as_str()), ("诫勉谈话", subject.name.as_str()));
    assert_eq!(d.subject_no.as_deref(), Some(subject.employee_no.as_str()));
    assert_eq!(d.evidence, vec!["谈话记录.pdf".to_owned(), "整改台账".to_owned()]);
    assert_eq!(d.decided_by, liaison.active().expect("signed in").user.display_name);

    // Online: the server verifies the chain; the answer is cached for the badges.
    let check = liaison.verify_evidence_chain().await.expect("verify");
    assert!(check.valid && check.length >= 1, "{check:?}");
    let verified = liaison.accountability_register(LedgerQuery::default()).await.expect("register");
    assert_eq!(verified.chain.as_ref(), Some(&check));
    let row = verified.cases.iter().find(|c| c.item.id == case_id).expect("case");
    assert_eq!(row.decisions[0].badge, ChainBadge::Verified);

    // Filters: decision type, staff, unit, period.
    let by = |q: LedgerQuery| {
        let l = &liaison;
        async move { l.accountability_register(q).await.expect("register").cases.iter().any(|c| c.item.id == case_id) }
    };
    assert!(by(LedgerQuery { decision: Some("admonition".into()), ..LedgerQuery::default() }).await);
    assert!(!by(LedgerQuery { decision: Some("loss_of_annual_award".into()), ..LedgerQuery::default() }).await);
    assert!(!by(awaiting).await, "decided: no longer awaiting");
    assert!(by(LedgerQuery { staff_id: Some(subject.id), ..LedgerQuery::default() }).await);
    assert!(!by(LedgerQuery { staff_id: Some(-1), ..LedgerQuery::default() }).await);
    assert!(by(LedgerQuery { unit_id: Some(case.unit_id), ..LedgerQuery::default() }).await);
    assert!(!by(LedgerQuery { from: Some("2099-01-01".into()), ..LedgerQuery::default() }).await);
    let bad = liaison
        .accountability_register(LedgerQuery { from: Some("2026-13-01".into()), ..LedgerQuery::default() })
        .await
        .expect_err("a bad date");
    assert_eq!(bad.code, ErrorCode::InvalidInput);
    let bad = liaison
        .accountability_register(LedgerQuery { decision: Some("fine".into()), ..LedgerQuery::default() })
        .await
        .expect_err("an unknown decision");
    assert_eq!(bad.code, ErrorCode::InvalidInput);

    // The printable record: the decision, no 文号, no evaluator.
    let record = liaison.accountability_record(case_id, false).await.expect("record");
    let text = pdf_text(&record.path);
    assert!(text.contains("问责决定记录") && text.contains(&row.item.case_no) && text.contains("诫勉谈话"), "{text}");
    assert!(text.contains("已验证") && text.contains(&subject.name), "{text}");
    assert!(!text.contains('〔'), "a record without 文号: {text}");
    assert!(!text.contains("附图"), "no photos asked for: {text}");

    // A photo on the case (captured here, still queued): the record lists it as 附件 and, when asked,
    // prints it as 附图 on a page of its own.
    let photo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples/notice-with-evidence-appendix.png");
    let attached = liaison.attach_files(case_id, vec![photo.display().to_string()]).await.expect("attach");
    assert_eq!((attached.added.len(), attached.refused.len()), (1, 0), "{attached:?}");
    let plain = liaison.accountability_record(case_id, false).await.expect("record");
    let with = liaison.accountability_record(case_id, true).await.expect("record with photos");
    let text = pdf_text(&with.path);
    assert!(text.contains("附件：1.notice-with-evidence-appendix.png"), "{text}");
    assert!(text.contains("附图1notice-with-evidence-appendix.png"), "{text}");
    // The photo is on a page of its own, the last one; the record without photos has none.
    let last_page = |path: &str| {
        let out = std::process::Command::new("pdfinfo").arg(path).output().expect("pdfinfo");
        let n = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().to_owned()))
            .expect("a page count");
        let out =
            std::process::Command::new("pdftotext").args(["-f", &n, "-l", &n, path, "-"]).output().expect("pdftotext");
        String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
    };
    let last = last_page(&with.path);
    assert!(last.starts_with("附图（") && last.contains("附图1notice-with-evidence-appendix.png"), "{last}");
    assert!(!last.contains("问责方式"), "the decision is on the pages before: {last}");
    assert!(!pdf_text(&plain.path).contains("附图"));

    // Offline: the register and its cached badge stay; a new check needs the server.
    srv.stop().await;
    let offline = liaison.accountability_register(LedgerQuery::default()).await.expect("offline register");
    let row = offline.cases.iter().find(|c| c.item.id == case_id).expect("case");
    assert_eq!(row.decisions[0].badge, ChainBadge::Verified);
    assert_eq!(offline.chain.as_ref().map(|c| c.checked_at.as_str()), Some(check.checked_at.as_str()));
    let err = liaison.verify_evidence_chain().await.expect_err("offline");
    assert_eq!(err.code, ErrorCode::Network);

    // 差评比较集中的部门和人员, from the aggregates.
    let conc = liaison.bad_review_concentrations("2026-01".into(), "2026-12".into(), 1).await.expect("concentrations");
    assert!(!conc.units.is_empty(), "the district has upheld bad reviews");
    assert!(conc.units.windows(2).all(|w| w[0].count >= w[1].count), "most first");
    assert!(conc.staff.iter().chain(&conc.units).all(|c| c.count >= 1));
    let strict = liaison.bad_review_concentrations("2026-01".into(), "2026-12".into(), 3).await.expect("≥ 3");
    assert!(strict.units.iter().all(|c| c.count >= 3) && strict.units.len() <= conc.units.len());
    assert_eq!(
        liaison.bad_review_concentrations("2026-12".into(), "2026-01".into(), 1).await.expect_err("reversed").code,
        ErrorCode::InvalidInput
    );
    assert_eq!(
        liaison.bad_review_concentrations("2026-1".into(), "2026-12".into(), 1).await.expect_err("bad month").code,
        ErrorCode::InvalidInput
    );

    // A hall manager does not see the register.
    let (srv2, _) = seeded(&dir.path().join("second")).await;
    let manager = signed_in(dir.path(), "manager", &srv2.url(), "donghu.manager").await;
    let refused = manager.accountability_register(LedgerQuery::default()).await.expect_err("hall manager");
    assert_eq!(refused.code, ErrorCode::Forbidden);
    srv2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_centre_reprints_with_the_same_number_and_saves_where_the_user_chose() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, _db) = seeded(dir.path()).await;
    let app = signed_in(dir.path(), "sup", &srv.url(), "donghu.supervisor").await;
    let open = app
        .list_cases(CaseQuery { state: Some(CaseState::InRectification), limit: 2, ..CaseQuery::default() })
        .await
        .expect("cases");
    let ids: Vec<i64> = open.items.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), 2);
    let printed = app.print_notices(NoticeDoc::Rectification, ids.clone()).await.expect("print");
    let left = |app: &App| {
        let a = app.active().expect("signed in");
        let r = a.replica.lock().expect("replica");
        let year = chrono::Datelike::year(&hcp_domain::calendar::beijing_date(chrono::Utc::now()));
        r.doc_numbers_left(a.user.unit_id, year).expect("left")
    };
    let numbers_before = left(&app);

    // The centre lists both, with their numbers, cases and file.
    let all = app.notice_register(NoticeQuery::default()).await.expect("register");
    assert_eq!((all.total, all.items.len()), (2, 2));
    let first = all.items.iter().find(|n| n.case_id == ids[0]).expect("the first notice").clone();
    assert!(printed.doc_numbers.contains(&first.doc_number));
    assert_eq!(first.case_no, open.items[0].case_no);
    assert!(first.file_exists && first.family == "rectification");
    assert_eq!(all.issued_by, app.active().expect("signed in").user.display_name);
    // Filters: kind, text, period.
    let q = |kind: Option<&str>, text: Option<&str>, from: Option<&str>| NoticeQuery {
        kind: kind.map(str::to_owned),
        text: text.map(str::to_owned),
        from: from.map(str::to_owned),
        to: None,
    };
    assert_eq!(app.notice_register(q(Some("reminder"), None, None)).await.expect("kind").items.len(), 0);
    assert_eq!(app.notice_register(q(Some("rectification"), None, None)).await.expect("kind").items.len(), 2);
    assert_eq!(app.notice_register(q(None, Some(&first.case_no), None)).await.expect("text").items.len(), 1);
    assert_eq!(app.notice_register(q(None, Some(&first.doc_number), None)).await.expect("文号").items.len(), 1);
    assert_eq!(app.notice_register(q(None, None, Some("2099-01-01"))).await.expect("period").items.len(), 0);
    assert_eq!(
        app.notice_register(q(Some("fine"), None, None)).await.expect_err("unknown kind").code,
        ErrorCode::InvalidInput
    );

    // Offline, the file deleted: a reprint renders it again with the same number and text.
    srv.stop().await;
    std::fs::remove_file(first.file.as_deref().expect("a file")).expect("delete the PDF");
    let key = NoticeKey { case_id: first.case_id, kind: first.kind.clone() };
    let gone = app.notice_register(NoticeQuery::default()).await.expect("register");
    assert!(!gone.items.iter().find(|n| n.case_id == first.case_id).expect("still registered").file_exists);
    let again = app.reprint_notices(vec![key.clone()], false).await.expect("reprint offline");
    assert_eq!(again.doc_numbers, vec![first.doc_number.clone()], "the number is stable");
    let text = pdf_text(&again.path);
    assert!(text.contains(&first.doc_number) && text.contains(&first.case_no), "{text}");
    assert_eq!(left(&app), numbers_before, "a reprint takes no number");
    let now = app.notice_register(NoticeQuery::default()).await.expect("register");
    let entry = now.items.iter().find(|n| n.case_id == first.case_id).expect("entry");
    assert_eq!((entry.file.as_deref(), entry.file_exists), (Some(again.path.as_str()), true));
    // 打开 of a notice whose file is gone renders it again in the notices folder first.
    std::fs::remove_file(&again.path).expect("delete again");
    let reopened = {
        let a = app.active().expect("signed in");
        let r = a.replica.lock().expect("replica");
        crate::notice_centre::file_to_open(&r, &a.user, &key, chrono::Utc::now(), &app.data_dir().join("notices"))
            .expect("a file to open")
    };
    assert!(reopened.is_file() && pdf_text(&reopened.display().to_string()).contains(&first.doc_number));

    // 另存为: where the user chose (the save dialog's answer), same number; both in one file.
    let keys: Vec<NoticeKey> =
        all.items.iter().map(|n| NoticeKey { case_id: n.case_id, kind: n.kind.clone() }).collect();
    let name = app.notice_file_name(vec![key.clone()]).await.expect("name");
    assert!(name.ends_with(".pdf") && name.contains(&first.doc_number), "{name}");
    let chosen = dir.path().join("chosen").join("两份通知书.pdf");
    std::fs::create_dir_all(chosen.parent().expect("parent")).expect("folder");
    let saved = app.save_notices_as(keys.clone(), chosen.display().to_string()).await.expect("save as");
    assert_eq!(saved.count, 2);
    let text = pdf_text(&saved.path);
    assert!(all.items.iter().all(|n| text.contains(&n.doc_number)), "{text}");
    for (bad, why) in [
        ("relative.pdf".to_owned(), "relative"),
        (dir.path().join("x.txt").display().to_string(), "not a PDF"),
        (dir.path().join("nowhere").join("x.pdf").display().to_string(), "no such folder"),
    ] {
        let e = app.save_notices_as(keys.clone(), bad).await.expect_err(why);
        assert_eq!(e.code, ErrorCode::InvalidInput, "{why}: {e:?}");
    }
    let unknown = NoticeKey { case_id: -5, kind: "rectification".into() };
    assert_eq!(app.reprint_notices(vec![unknown], false).await.expect_err("unknown").code, ErrorCode::NotFound);
    assert_eq!(app.reprint_notices(vec![], false).await.expect_err("none").code, ErrorCode::InvalidInput);
    assert_eq!(left(&app), numbers_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_records_a_finding_offline_and_it_syncs_as_a_supervision_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (srv, db) = seeded(dir.path()).await;
    let addr = srv.addr;
    let app = signed_in(dir.path(), "sup", &srv.url(), "donghu.supervisor").await;
    let opts = app.finding_options().await.expect("options");
    let unit = opts.units.iter().find(|u| u.kind == "department").expect("a department").clone();
    let item = opts.items.iter().find(|i| i.unit_path.starts_with(&unit.path)).cloned();
    let foreign_item = opts.items.iter().find(|i| !i.unit_path.starts_with(&unit.path)).cloned();
    assert!(opts.codes.iter().any(|c| c.code == 202 && c.zh.contains("一次性告知")), "{:?}", opts.codes);

    srv.stop().await;
    let finding = |unit_id: i64, item_id: Option<i64>, description: &str| FindingInput {
        unit_id,
        item_id,
        staff_user_id: None,
        content_codes: vec![202],
        description: description.into(),
    };
    // Refused at once: a unit outside the jurisdiction, an item of another unit, no description.
    let xishan = {
        let a = app.active().expect("signed in");
        let r = a.replica.lock().expect("replica");
        r.conn()
            .query_row("SELECT max(id) + 1000 FROM org_units", [], |row| row.get::<_, i64>(0))
            .expect("an id nobody has")
    };
    let e = app.create_finding(finding(xishan, None, "窗口未执行一次性告知制度")).await.expect_err("foreign unit");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    if let Some(other) = &foreign_item {
        let e =
            app.create_finding(finding(unit.id, Some(other.id), "窗口未执行一次性告知制度")).await.expect_err("item");
        assert_eq!(e.code, ErrorCode::InvalidInput);
    }
    let e = app.create_finding(finding(unit.id, None, "短")).await.expect_err("too short");
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let mut bad_code = finding(unit.id, None, "窗口未执行一次性告知制度");
    bad_code.content_codes = vec![999];
    assert_eq!(app.create_finding(bad_code).await.expect_err("bad code").code, ErrorCode::InvalidInput);

    // Offline: queued, and the outbox holds the new case at once.
    let issued = app
        .create_finding(finding(unit.id, item.as_ref().map(|i| i.id), "督查发现：窗口未执行一次性告知制度"))
        .await
        .expect("finding queued offline");
    assert_eq!(issued.projected_state, Some(CaseState::New));
    let outbox = app.outbox().await.expect("outbox");
    let queued = outbox.iter().find(|o| o.command_id == issued.command_id).expect("queued");
    assert_eq!((queued.kind.as_str(), queued.case_id, queued.status.as_str()), ("create", None, "pending"));
    assert_eq!(app.sync_status().expect("status").pending, 1);

    // The server returns: the finding becomes a supervision case of the unit, in the inbox.
    let srv = hcp_server::spawn(AppState::new(db.clone()), &addr.to_string()).await.expect("respawn");
    app.sync_once().await.expect("sync");
    assert_eq!(app.sync_status().expect("status").pending, 0);
    let (source, path, summary, item_name): (String, String, String, Option<String>) = db
        .read_blocking(|c| {
            c.query_row(
                "SELECT source, unit_path, summary, item_name FROM cases WHERE summary LIKE '%督查发现：窗口未执行一次性告知制度'",
                (),
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        })
        .expect("the case on the server");
    assert_eq!((source.as_str(), path.as_str()), ("supervision", unit.path.as_str()));
    // The item is the case's item, as for a rated case; the text is the description alone.
    assert_eq!(summary, "督查发现：窗口未执行一次性告知制度");
    assert_eq!(item_name, item.as_ref().map(|i| i.name.clone()));
    let inbox = app
        .list_cases(CaseQuery { search: Some("一次性告知制度".into()), limit: 10, ..CaseQuery::default() })
        .await
        .expect("inbox");
    assert!(inbox.items.iter().any(|c| c.source == hcp_domain::CaseSource::Supervision), "{inbox:?}");

    // Only supervisors record findings.
    let manager = signed_in(dir.path(), "manager", &srv.url(), "donghu.manager").await;
    assert_eq!(manager.finding_options().await.expect_err("hall manager").code, ErrorCode::Forbidden);
    srv.stop().await;
}
