//! Evidence files in the real window: a handler attaches a photo to 报送整改 while the server is
//! down (the file is checked and kept encrypted on the laptop, the command queued citing it); the
//! server comes back and both reach it, the declaration first; the district supervisor then opens
//! the photo from the case drawer. Screens at 1366×768 and 1024×640.
//!
//! Nobody can answer the native open dialog in a test: the app is started with `HCP_OPEN_FILE`
//! (the path `choose_open_path` then returns without a dialog).

use sha2::{Digest, Sha256};

use super::*;

fn start_driver_opening(data_dir: &Path, port: u16, open_file: &Path) -> Driver {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: run the end-to-end suite through `make e2e` (Xvfb)");
    logs::capture_server_logs();
    let app_log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs::app_log(data_dir))
        .expect("the app's log file");
    let child = Command::new("tauri-driver")
        .args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
        .env("HCP_DATA_DIR", data_dir)
        .env("HCP_SYNC_INTERVAL", "2")
        .env("HCP_SAVE_DIR", save_dir(data_dir))
        .env("HCP_OPEN_FILE", open_file)
        .env_remove("HCP_SERVER_URL")
        .stdout(Stdio::null())
        .stderr(app_log)
        .spawn()
        .expect("tauri-driver must be installed (scripts/install-tools.sh)");
    Driver { child }
}

/// The attachment rows of a content on the server: (status, cases naming it).
fn server_file(db: &hcp_server::Db, sha: &str) -> (String, i64) {
    let sha = sha.to_owned();
    db.read_blocking(move |c| {
        let status: String = c
            .query_opt("SELECT status FROM attachment_blobs WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))?
            .unwrap_or_default();
        let rows: i64 =
            c.query_row("SELECT count(*) FROM attachments WHERE sha256 = ?1", [sha.as_str()], |r| r.get(0))?;
        Ok((status, rows))
    })
    .expect("server state")
}

/// The drawer's files fit the window: no row wider than the drawer, no button outside it.
async fn files_fit(c: &Client, name: &str) {
    for (width, height) in [(1366u32, 768u32), (1024, 640)] {
        c.set_window_size(width, height).await.expect("resize");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let problems = c
            .execute(
                r#"const out = [];
                   const drawer = document.querySelector('[data-testid=case-detail]').getBoundingClientRect();
                   for (const el of document.querySelectorAll('[data-testid=case-file], [data-testid=case-file] .el-button, [data-testid=case-files-add]')) {
                     const r = el.getBoundingClientRect();
                     if (r.width > 0 && (r.right > Math.min(drawer.right, window.innerWidth) + 1 || r.left < drawer.left - 1)) out.push(el.textContent.trim());
                   }
                   return out;"#,
                vec![],
            )
            .await
            .expect("measure");
        assert_eq!(problems, serde_json::json!([]), "the files at {width}×{height}");
        c.execute("document.querySelector('[data-testid=case-files]').scrollIntoView()", vec![]).await.expect("scroll");
        screenshot(c, &format!("{name}-{width}x{height}.png")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_attaches_a_photo_offline_and_the_supervisor_opens_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 2_000).await.expect("server");
    let addr = server.addr;
    let case_no: String = db
        .read_blocking(|c| {
            c.query_row(
                "SELECT c.case_no FROM cases c JOIN users u ON u.id = c.handler_user_id
                  WHERE u.username = 'donghu.handler' AND c.state = 'in_rectification' ORDER BY c.id LIMIT 1",
                (),
                |r| r.get(0),
            )
        })
        .expect("a case the handler rectifies");
    // The photo: a real PNG (the app's icon), so the preview can draw it.
    let photo = std::fs::read(repo_root().join("icons").join("128x128@2x.png")).expect("the icon");
    let sha = format!("{:x}", Sha256::digest(&photo));
    let photo_path = dir.path().join("整改后窗口.png");
    std::fs::write(&photo_path, &photo).expect("write the photo");

    let port = free_port();
    let data = dir.path().join("client");
    let _driver = start_driver_opening(&data, port, &photo_path);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.handler").await;
    open_case(&c, &case_no).await;
    c.wait().for_element(Locator::Css("[data-testid=case-files]")).await.expect("the 附件 section");

    // The server goes down.
    server.stop().await;
    wait_for(60, "the offline status", || async {
        (attr(&c, "[data-testid=status-bar]", "data-online").await.as_deref() == Some("false")).then_some(())
    })
    .await;

    // 报送整改 with the photo attached, offline.
    act(&c, "report_rectification", || async {
        type_into(&c, "textarea[data-testid=command-measures]", "已在窗口张贴一次性告知清单，并对工作人员进行培训")
            .await;
        click(&c, "[data-testid=command-dialog][data-kind=report_rectification] [data-testid=command-files-add]").await;
        wait_for(15, "the attached file", || async {
            (attr(
                &c,
                "[data-testid=command-dialog][data-kind=report_rectification] [data-testid=command-file]",
                "data-name",
            )
            .await
            .as_deref()
                == Some("整改后窗口.png"))
            .then_some(())
        })
        .await;
        screenshot(&c, "evidence-dialog-offline.png").await;
    })
    .await;
    wait_for(20, "the queued file in the drawer", || async {
        (attr(&c, "[data-testid=case-file]", "data-state").await.as_deref() == Some("queued")).then_some(())
    })
    .await;
    assert_eq!(server_file(&db, &sha).1, 0, "nothing reached the server");
    files_fit(&c, "evidence-handler-offline").await;

    // The server comes back: the declaration, the command citing the file, then the bytes.
    let server = hcp_server::spawn(hcp_server::AppState::new(db.clone()), &addr.to_string()).await.expect("restart");
    wait_for(90, "the photo to reach the server", || async {
        (server_file(&db, &sha) == ("complete".to_owned(), 1)).then_some(())
    })
    .await;
    let no = case_no.clone();
    let event: String = db
        .read_blocking(move |c| {
            c.query_row(
                "SELECT e.data FROM case_events e JOIN cases c ON c.id = e.case_id
                  WHERE c.case_no = ?1 AND e.kind = 'rectification_reported' ORDER BY e.id DESC LIMIT 1",
                [no],
                |r| r.get(0),
            )
        })
        .expect("the 报送整改 event");
    assert!(event.contains(&sha), "the event cites the photo: {event}");
    wait_for(60, "the uploaded state in the drawer", || async {
        (attr(&c, "[data-testid=case-file]", "data-state").await.as_deref() == Some("uploaded")).then_some(())
    })
    .await;
    screenshot(&c, "evidence-handler-uploaded.png").await;
    close_drawer(&c).await;
    walk::sign_out(&c).await;

    // The supervisor opens the photo from the case drawer.
    sign_in(&c, &server.url(), "donghu.supervisor").await;
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate");
    open_case(&c, &case_no).await;
    wait_for(30, "the replicated file", || async {
        (attr(&c, "[data-testid=case-file]", "data-sha").await.as_deref() == Some(sha.as_str())).then_some(())
    })
    .await;
    let row = text_content(&c, "[data-testid=case-file]").await.unwrap_or_default();
    assert!(row.contains("整改后窗口.png") && row.contains("已上传"), "{row}");
    click(&c, "[data-testid=case-file-open]").await;
    let drawn = wait_for(30, "the preview image", || async {
        let w = c
            .execute(
                "const i = document.querySelector('[data-testid=file-preview-image]'); return i && i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await
            .ok()?;
        w.as_u64().filter(|w| *w > 0)
    })
    .await;
    assert_eq!(drawn, 256, "the photo is drawn at its own size");
    for (width, height) in [(1366u32, 768u32), (1024, 640)] {
        c.set_window_size(width, height).await.expect("resize");
        screenshot(&c, &format!("evidence-supervisor-preview-{width}x{height}.png")).await;
    }
    click(&c, "[data-testid=file-preview] .el-dialog__footer .el-button--primary").await;
    files_fit(&c, "evidence-supervisor-drawer").await;
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&data, &db);
}
