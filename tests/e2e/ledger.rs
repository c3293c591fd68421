//! The 问责 register, the 通知书 centre and 监督检查发现 in the real window: a liaison decides a case
//! at the accountability rung from the register and sees the decision verified; a supervisor records
//! a finding while the server is unreachable, it syncs, its 整改通知书 is printed and the notice
//! centre reprints and saves it under the same 文号. Screenshots at 1366×768 (the notice centre also
//! at 1024×640):
//! `accountability-*.png`, `finding-*.png`, `notices-*.png`.

use super::*;

/// The notice titles whose tag reaches past its table cell (or is squeezed to nothing).
const TITLE_SPILL_PROBE: &str = "return [...document.querySelectorAll('[data-testid=notice-title]')]
    .filter((t) => { const cell = t.closest('td'); if (!cell) return false;
        const a = t.getBoundingClientRect(), b = cell.getBoundingClientRect();
        return a.right > b.right + 1 || a.width < 24; })
    .map((t) => t.textContent);";

fn pdf_text(path: &str) -> String {
    let out = Command::new("pdftotext").args([path, "-"]).output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

/// Takes a case of the supervisor's district up the ladder to 追责问责 over the API.
async fn escalate_to_accountability(url: &str, db: &hcp_server::Db) -> (i64, String) {
    let (district, _) = account_scope(db, "donghu.supervisor").expect("scope");
    let (id, no, mut version): (i64, String, i64) = db
        .read_blocking(move |c| {
            c.query_row(
                "SELECT id, case_no, version FROM cases WHERE state = 'in_rectification' AND escalation_level = 0
                   AND unit_path >= ?1 AND unit_path < ?1 || '~' ORDER BY id LIMIT 1",
                [district],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .expect("a first-line case in rectification in 东湖区");
    let token = hcp_tests::api_token(url, "donghu.supervisor").await.expect("token");
    for n in 0..3 {
        let body = serde_json::json!({"command_id": format!("e2e-escalate-{n}"), "case_id": id, "base_version": version,
            "command": {"type": "escalate", "basis": {"type": "manual", "reason": "多次整改不到位，需上级督办"}}});
        let (status, answer) =
            hcp_tests::api_post(url, &token, "/api/v1/cases/commands", &body).await.expect("escalate");
        assert_eq!(status, 200, "{answer}");
        version = answer["case"]["version"].as_i64().expect("version");
    }
    (id, no)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liaison_decides_from_the_register_and_the_decision_is_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let (case_id, case_no) = escalate_to_accountability(&server.url(), &db).await;
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");
    sign_in(&c, &server.url(), "donghu.liaison").await;

    // The register lists the case at the rung, awaiting a decision.
    click(&c, "[data-testid=menu-accountability]").await;
    let card = format!("[data-testid=ledger-case][data-case-id=\"{case_id}\"]");
    wait_for(30, "the case in the register", || async {
        (attr(&c, &card, "data-awaiting").await.as_deref() == Some("true")).then_some(())
    })
    .await;
    screenshot(&c, "accountability-register.png").await;

    // The case opens in the drawer, where the liaison records the decision.
    click(&c, &format!("{card} [data-testid=ledger-case-no]")).await;
    c.wait().for_element(Locator::Css("[data-testid=case-detail]")).await.expect("the case drawer");
    tokio::time::sleep(Duration::from_millis(800)).await;
    act(&c, "record_accountability", || async {
        click(&c, "[data-testid=accountability-decision] [data-value=admonition]").await;
        click(&c, "input[data-testid=accountability-subject]").await;
        type_into(&c, "input[data-testid=accountability-subject]", "GH000").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        click(&c, "[data-testid=accountability-subject-option]").await;
        type_into(&c, "textarea[data-testid=command-reason]", "整改期限内未落实整改措施").await;
        type_into(&c, "textarea[data-testid=command-evidence]", "谈话记录.pdf").await;
    })
    .await;
    let no = case_no.clone();
    wait_for(30, "the decision to reach the server", || {
        let (no, db2) = (no.clone(), db.clone());
        async move {
            let n: i64 = db2
                .read_blocking(move |c| {
                    c.query_row(
                        "SELECT count(*) FROM case_events e JOIN cases k ON k.id = e.case_id
                          WHERE k.case_no = ?1 AND e.kind = 'accountability_recorded'",
                        [no],
                        |r| r.get(0),
                    )
                })
                .ok()?;
            (n == 1).then_some(())
        }
    })
    .await;
    // Close the drawer (again while it is still sliding or a message covers its button).
    let deadline = Instant::now() + Duration::from_secs(20);
    while visible(&c, "[data-testid=case-detail]").await {
        assert!(Instant::now() < deadline, "the case drawer did not close");
        close_drawer(&c).await;
    }

    // After the sync the register lists the decision; the server's check of the chain verifies it.
    let badge = format!("{card} [data-testid=ledger-badge]");
    wait_for(60, "the verified badge", || async {
        (attr(&c, &badge, "data-badge").await.as_deref() == Some("verified")).then_some(())
    })
    .await;
    assert_eq!(attr(&c, &card, "data-awaiting").await.as_deref(), Some("false"));
    assert_eq!(attr(&c, "[data-testid=ledger-chain]", "data-valid").await.as_deref(), Some("true"));
    let text = c.find(Locator::Css(&card)).await.expect("card").text().await.expect("text");
    assert!(text.contains("诫勉谈话") && text.contains("已验证") && text.contains("谈话记录.pdf"), "{text}");
    screenshot(&c, "accountability-verified.png").await;

    // The printable record.
    click(&c, &format!("{card} [data-testid=ledger-print-record]")).await;
    let path =
        wait_for(60, "the decision record", || async { attr(&c, "[data-testid=ledger-record]", "data-path").await })
            .await;
    let pdf = pdf_text(&path);
    assert!(pdf.contains("问责决定记录") && pdf.contains(&case_no) && pdf.contains("已验证"), "{pdf}");

    // The second tab: staff and units with repeated upheld bad reviews.
    click(&c, "#tab-concentration").await;
    c.wait().for_element(Locator::Css("[data-testid=conc-page]")).await.expect("the concentration tab");
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot(&c, "accountability-concentration.png").await;

    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&dir.path().join("client"), &db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_records_a_finding_offline_then_prints_and_reprints_its_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let addr = server.addr;
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");
    sign_in(&c, &server.url(), "donghu.supervisor").await;

    // The server goes away; the supervisor records a finding from the inbox.
    server.stop().await;
    wait_for(60, "the offline status", || async {
        (attr(&c, "[data-testid=status-bar]", "data-online").await.as_deref() == Some("false")).then_some(())
    })
    .await;
    let words = "督查发现：窗口未执行一次性告知制度（E2E）";
    click(&c, "[data-testid=inbox-new-finding]").await;
    c.wait().for_element(Locator::Css("input[data-testid=finding-unit]")).await.expect("the finding dialog");
    tokio::time::sleep(Duration::from_millis(600)).await;
    click(&c, "input[data-testid=finding-unit]").await;
    type_into(&c, "input[data-testid=finding-unit]", "东湖区税务局窗口").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "[data-testid=finding-unit-option][data-name=\"东湖区税务局窗口\"]").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    click(&c, ".finding-codes-select").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "[data-testid=finding-code-option]").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A click outside closes the codes' dropdown (it would cover the description).
    c.find(Locator::XPath("//label[contains(., '问题类型')]"))
        .await
        .expect("the codes' label")
        .click()
        .await
        .expect("click");
    tokio::time::sleep(Duration::from_millis(400)).await;
    type_into(&c, "textarea[data-testid=finding-description]", words).await;
    screenshot(&c, "finding-dialog.png").await;
    click(&c, "[data-testid=finding-submit]").await;
    wait_for(20, "the pending new case in the inbox", || async {
        (attr(&c, "[data-testid=pending-finding]", "data-status").await.as_deref() == Some("pending")).then_some(())
    })
    .await;
    screenshot(&c, "finding-offline.png").await;

    // The server returns: the finding becomes a supervision case.
    let server = hcp_server::spawn(hcp_server::AppState::new(db.clone()), &addr.to_string()).await.expect("restart");
    let w = words.to_owned();
    let case_no = wait_for(60, "the finding on the server", || {
        let (w, db2) = (w.clone(), db.clone());
        async move {
            db2.read_blocking(move |c| {
                c.query_row(
                    "SELECT case_no FROM cases WHERE source = 'supervision' AND summary LIKE '%' || ?1",
                    [w],
                    |r| r.get::<String>(0),
                )
            })
            .ok()
        }
    })
    .await;
    wait_for(30, "the pending list to empty", || async {
        (!visible(&c, "[data-testid=pending-finding]").await).then_some(())
    })
    .await;

    // It is worked like any case: verified, assigned, and its 整改通知书 saved with a 文号.
    open_case(&c, &case_no).await;
    verify_and_assign(&c).await;
    click(&c, "[data-testid=action-print-notice]").await;
    c.wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css("img[data-testid=notice-preview-page]"))
        .await
        .expect("the notice preview");
    click(&c, "[data-testid=notice-save]").await;
    let first = wait_for(60, "the notice PDF", || async {
        (attr(&c, "[data-testid=print-result]", "data-kind").await.as_deref() == Some("save")).then_some(())?;
        attr(&c, "[data-testid=print-result]", "data-path").await
    })
    .await;
    let first_text = pdf_text(&first);
    assert!(first_text.contains(&case_no) && first_text.contains("整改通知书"), "{first_text}");
    click(&c, "[data-testid=notice-preview] .el-dialog__headerbtn").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while visible(&c, "[data-testid=case-detail]").await {
        assert!(Instant::now() < deadline, "the case drawer did not close");
        close_drawer(&c).await;
    }

    // The notice centre lists it with its number.
    click(&c, "[data-testid=menu-notices]").await;
    let row = format!("[data-testid=notice-row][data-case-no=\"{case_no}\"]");
    let doc_number =
        wait_for(30, "the notice in the centre", || async { attr(&c, &row, "data-doc-number").await }).await;
    assert!(doc_number.starts_with("东政管督〔") && doc_number.ends_with('号'), "{doc_number}");
    assert!(first_text.contains(&doc_number), "the saved notice carries {doc_number}");
    // The long titles (政务服务“好差评”差评整改通知书) stay inside their column, ending in an
    // ellipsis (the tooltip holds all of it), and nothing is cut off, at both window sizes.
    for (w, h, name) in [(1024, 640, "notices-centre-1024.png"), (1366, 768, "notices-centre.png")] {
        c.set_window_size(w, h).await.expect("window size");
        tokio::time::sleep(Duration::from_millis(800)).await;
        screenshot(&c, name).await;
        let spilled = c.execute(TITLE_SPILL_PROBE, vec![]).await.expect("probe the titles");
        assert_eq!(spilled.as_array().map(Vec::len), Some(0), "{name}: titles spill out of their column: {spilled}");
        let problems = super::walk::cut_off(&c).await;
        assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
    }

    // 重新打印: the same 文号, to the printer.
    let printed = dir.path().join("printed.txt");
    let before = std::fs::read_to_string(&printed).map(|t| t.lines().count()).unwrap_or(0);
    let reprint = format!(
        "//tr[.//*[@data-testid='notice-row' and @data-case-no='{case_no}']]//*[@data-testid='notice-reprint']"
    );
    c.find(Locator::XPath(&reprint)).await.expect("the reprint button").click().await.expect("reprint");
    let sent = wait_for(60, "the reprint to reach the printer", || async {
        let t = std::fs::read_to_string(&printed).ok()?;
        (t.lines().count() > before).then(|| t.lines().last().map(str::to_owned)).flatten()
    })
    .await;
    let again = pdf_text(&sent);
    assert!(again.contains(&doc_number) && again.contains(&case_no), "the reprint keeps {doc_number}: {again}");
    let numbers = wait_for(30, "the reprint's confirmation", || async {
        (attr(&c, "[data-testid=notices-result]", "data-kind").await.as_deref() == Some("print")).then_some(())?;
        attr(&c, "[data-testid=notices-result]", "data-numbers").await
    })
    .await;
    assert_eq!(numbers, doc_number, "the centre reports the same 文号");

    // 另存为: the save dialog's answer (HCP_SAVE_DIR here), same number.
    let save_as = format!(
        "//tr[.//*[@data-testid='notice-row' and @data-case-no='{case_no}']]//*[@data-testid='notice-save-as']"
    );
    c.find(Locator::XPath(&save_as)).await.expect("the save-as button").click().await.expect("save as");
    let saved = wait_for(60, "the saved copy", || async {
        (attr(&c, "[data-testid=notices-result]", "data-kind").await.as_deref() == Some("save")).then_some(())?;
        attr(&c, "[data-testid=notices-result]", "data-path").await
    })
    .await;
    assert!(saved.starts_with(&save_dir(&dir.path().join("client")).display().to_string()), "{saved}");
    assert!(pdf_text(&saved).contains(&doc_number));
    screenshot(&c, "notices-reprinted.png").await;

    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&dir.path().join("client"), &db);
}
