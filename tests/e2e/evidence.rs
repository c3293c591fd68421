//! Evidence files in the real window: a handler attaches a photo to 报送整改 while the server is
//! down (the file is checked and kept encrypted on the laptop, the command queued citing it); the
//! server comes back and both reach it, the declaration first; the district supervisor then opens
//! the photo from the case drawer. Screens at 1366×768 and 1024×640. A PDF attached in the drawer
//! is previewed page by page (pdf.js draws it onto a canvas).
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
    // The timeline's 报送整改 names the photo it cited.
    let cited =
        text_content(&c, "[data-testid=timeline-item][data-kind=rectification_reported] [data-testid=timeline-files]")
            .await
            .unwrap_or_default();
    assert_eq!(cited.trim(), "附件：整改后窗口.png");
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

/// A small, valid two-page PDF (correct cross-reference table): page 1 carries a red block,
/// page 2 a blue one, so the test can tell from the canvas which page is drawn. Page 1's title
/// 整改完成 is set in STSong-Light, not embedded, by UCS-2 codes (UniGB-UCS2-H), as Chinese office
/// software writes it: it shows only when the preview has the CMaps.
fn two_page_pdf() -> Vec<u8> {
    let page = |rgb: &str| format!("{rgb} rg 60 420 480 300 re f\n0 0 0 RG 4 w 40 40 515 762 re S\n");
    let one = format!("{}0 0 0 rg BT /F1 28 Tf 60 765 Td <65746539 5B8C6210> Tj ET\n", page("0.85 0.1 0.1"));
    let two = page("0.1 0.2 0.85");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources << /Font << /F1 7 0 R >> >> >>"
            .to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Resources << >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{one}endstream", one.len()),
        format!("<< /Length {} >>\nstream\n{two}endstream", two.len()),
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding /UniGB-UCS2-H \
         /DescendantFonts [8 0 R] >>"
            .to_owned(),
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light \
         /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 9 0 R >>"
            .to_owned(),
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] \
         /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            .to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

/// Dark pixels where page 1's title is (above the coloured block, inside the border): the
/// non-embedded Chinese text drawn.
async fn title_ink(c: &Client) -> i64 {
    c.execute(
        r#"const cv = document.querySelector('[data-testid=file-preview-pdf-canvas]');
           if (!cv || !cv.width) return -1;
           const k = cv.width / 595;
           const x0 = Math.floor(55 * k), x1 = Math.floor(330 * k);
           const y0 = Math.floor((842 - 800) * k), y1 = Math.floor((842 - 755) * k);
           const d = cv.getContext('2d').getImageData(x0, y0, x1 - x0, y1 - y0).data;
           let dark = 0;
           for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 128 && d[i] < 90 && d[i + 1] < 90 && d[i + 2] < 90) dark++;
           return dark;"#,
        vec![],
    )
    .await
    .ok()
    .and_then(|v| v.as_i64())
    .unwrap_or(-1)
}

/// The dominant colour of the preview's canvas: "red", "blue" or what else it is.
async fn canvas_colour(c: &Client) -> String {
    c.execute(
        r#"const cv = document.querySelector('[data-testid=file-preview-pdf-canvas]');
           if (!cv || !cv.width) return 'none';
           const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
           let red = 0, blue = 0;
           for (let i = 0; i < d.length; i += 16) {
             if (d[i] > 180 && d[i + 2] < 80) red++;
             if (d[i + 2] > 180 && d[i] < 80) blue++;
           }
           return red > blue * 4 && red > 100 ? 'red' : blue > red * 4 && blue > 100 ? 'blue' : `unclear ${red}/${blue}`;"#,
        vec![],
    )
    .await
    .ok()
    .and_then(|v| v.as_str().map(str::to_owned))
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_attached_in_the_drawer_is_previewed_page_by_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 2_000).await.expect("server");
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
    let pdf_path = dir.path().join("整改报告.pdf");
    std::fs::write(&pdf_path, two_page_pdf()).expect("write the PDF");

    let port = free_port();
    let data = dir.path().join("client");
    let _driver = start_driver_opening(&data, port, &pdf_path);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.handler").await;
    open_case(&c, &case_no).await;
    c.wait().for_element(Locator::Css("[data-testid=case-files]")).await.expect("the 附件 section");
    click(&c, "[data-testid=case-files-add]").await;
    wait_for(20, "the attached PDF", || async {
        (attr(&c, "[data-testid=case-file]", "data-name").await.as_deref() == Some("整改报告.pdf")).then_some(())
    })
    .await;

    // Opened from the drawer: pdf.js draws page 1 from the file's bytes, with the page count.
    click(&c, "[data-testid=case-file-open]").await;
    wait_for(30, "page 1 drawn", || async {
        (attr(&c, "[data-testid=file-preview-pdf-canvas]", "data-drawn").await.as_deref() == Some("1")).then_some(())
    })
    .await;
    assert_eq!(attr(&c, "[data-testid=file-preview-pdf]", "data-pages").await.as_deref(), Some("2"));
    let count = text_content(&c, "[data-testid=file-preview-pdf-count]").await.unwrap_or_default();
    assert_eq!(count.trim(), "第 1 / 2 页");
    assert_eq!(canvas_colour(&c).await, "red", "page 1 is drawn on the canvas");
    // The title in a font the PDF does not carry is drawn too (its CMap came from the bundle).
    let ink = title_ink(&c).await;
    assert!(ink > 200, "the non-embedded Chinese title is drawn: {ink} dark pixels");
    for (width, height) in [(1366u32, 768u32), (1024, 640)] {
        c.set_window_size(width, height).await.expect("resize");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let outside = c
            .execute(
                r#"const d = document.querySelector('[data-testid=file-preview-pdf]').closest('.el-dialog');
                   const r = d.getBoundingClientRect();
                   const cv = document.querySelector('[data-testid=file-preview-pdf-canvas]').getBoundingClientRect();
                   const f = d.querySelector('.el-dialog__footer').getBoundingClientRect();
                   return r.left < -1 || r.right > window.innerWidth + 1 || cv.right > r.right + 1
                     || f.bottom > window.innerHeight + 1;"#,
                vec![],
            )
            .await
            .expect("measure");
        assert_eq!(outside, serde_json::json!(false), "the preview and its buttons fit {width}×{height}");
        screenshot(&c, &format!("evidence-pdf-preview-{width}x{height}.png")).await;
    }

    // 下一页: page 2 (blue); 上一页 is then enabled.
    click(&c, "[data-testid=file-preview-pdf-next]").await;
    wait_for(30, "page 2 drawn", || async {
        (attr(&c, "[data-testid=file-preview-pdf-canvas]", "data-drawn").await.as_deref() == Some("2")).then_some(())
    })
    .await;
    assert_eq!(canvas_colour(&c).await, "blue", "page 2 is drawn on the canvas");
    let count = text_content(&c, "[data-testid=file-preview-pdf-count]").await.unwrap_or_default();
    assert_eq!(count.trim(), "第 2 / 2 页");
    screenshot(&c, "evidence-pdf-preview-page2-1024x640.png").await;
    click(&c, "[data-testid=file-preview] .el-dialog__footer .el-button--primary").await;
    server.stop().await;
    c.close().await.expect("close session");
    logs::assert_clean(&data, &db);
}
