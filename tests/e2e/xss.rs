//! Citizens' text is data, never markup: a corpus of XSS payloads posted through the server's
//! intake (rating comments, service-item names, an evaluator's name and a 12345 complaint) shows as
//! literal text on every screen that displays it, and no payload script runs. The same session
//! reveals an evaluator (a reason is required; the server logs the reveal) and assigns cases in
//! bulk from an inbox selection.

use serde_json::{json, Value};

use super::*;

/// Marks every case of the corpus, so one search lists them all.
const TAG: &str = "XSS测试";

/// The evaluator of the first rating: masked everywhere, shown in full only after a reveal.
const EVALUATOR_NAME: &str = "<img src=x onerror=\"window.__xss='name'\" data-xss=\"name\">张三";
const EVALUATOR_PHONE: &str = "13812345678";

/// A reason typed by the hall manager: it shows in the timeline and in the outbox.
const REASON: &str = "<img src=x onerror=\"window.__xss='reason'\" data-xss=\"reason\">核实属实，已约谈窗口";

/// Comments (and some service-item names) of the ratings. Every payload that became markup
/// would leave an element with `data-xss` (or an `xss-marker`) in the DOM even where the CSP
/// stops its script, and every script sets `window.__xss` and the document title.
fn corpus() -> Vec<(String, String)> {
    let long = {
        let unit = "很长的评价<script>window.__xss='long'</script>";
        let mut s = String::from("超长文本：");
        while s.chars().count() + unit.chars().count() <= 1990 {
            s.push_str(unit);
        }
        s.push_str("结尾");
        s
    };
    let items = [
        ("<b data-xss=\"item\">窗口</b>", "<script>window.__xss='script';document.title='XSS'</script>脚本标签"),
        ("", "<img src=x onerror=\"window.__xss='img';document.title='XSS'\" data-xss=\"img\">图片 onerror"),
        ("", "<svg onload=\"window.__xss='svg'\" data-xss=\"svg\"><circle r=\"9\"/></svg>svg onload"),
        ("", "<a href=\"javascript:window.__xss='href'\" data-xss=\"a\">点我</a> javascript:alert(document.domain)"),
        ("", "{{constructor.constructor('window.__xss=\"tpl\";document.title=\"XSS\"')()}} {{ 7*7 }} ${7*7} #{7*7}"),
        ("", "&lt;script&gt;window.__xss='ent'&lt;/script&gt; &amp;amp; &#60;b&#62;粗体&#60;/b&#62; &quot;引号&quot; &nbsp;"),
        ("", "正常文字\u{202E}txt.exe\u{202C} 零宽\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}字符 \u{200F}עברית\u{200E} 混排"),
        (
            "",
            "\"><iframe src=\"javascript:window.__xss='iframe'\" data-xss=\"iframe\"></iframe><details open ontoggle=\"window.__xss='details'\" data-xss=\"details\">",
        ),
        (
            "",
            "<input autofocus onfocus=\"window.__xss='focus'\" data-xss=\"input\"><style>body{display:none}</style><xss-marker>标记</xss-marker>",
        ),
        ("", "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='mxss'\" data-xss=\"mxss\">"),
        ("", long.as_str()),
    ];
    items
        .iter()
        .enumerate()
        .map(|(i, (item, comment))| (format!("{TAG}{:02}{item}", i + 1), (*comment).to_owned()))
        .collect()
}

/// The complaint of the corpus (12345 hotline): its text is the case summary.
fn complaint_text() -> String {
    format!("{TAG}12 市民来电：<img src=x onerror=\"window.__xss='hotline'\" data-xss=\"hotline\">{{{{constructor.constructor('window.__xss=1')()}}}}")
}

/// One case of the corpus as the app must show it.
struct Expected {
    case_id: i64,
    case_no: String,
    summary: String,
    item_name: Option<String>,
    comment: Option<String>,
}

/// Posts the corpus through intake as the administrator (the channel systems' account).
async fn post_corpus(server: &hcp_server::RunningServer, db: &hcp_server::Db) -> Vec<Expected> {
    let base = server.url();
    let admin = hcp_tests::api_token(&base, "admin").await.expect("admin token");
    let hall = hcp_tests::unit_code(db, "东湖区政务服务中心").expect("hall code");
    let corpus = corpus();
    let ratings: Vec<Value> = corpus
        .iter()
        .enumerate()
        .map(|(i, (item, comment))| {
            json!({"source": "xss-e2e", "service_record_no": format!("XSS-{i:02}"), "unit_code": hall,
                   "item_code": "XSS", "item_name": item, "channel": 4, "level": "very_dissatisfied",
                   "comment": comment, "content_codes": [106], "real_name": i == 0,
                   "evaluator": if i == 0 { json!({"name": EVALUATOR_NAME, "phone": EVALUATOR_PHONE}) } else { json!({}) },
                   "rated_at": "2026-11-20T09:30:00+08:00"})
        })
        .collect();
    let (status, res) = hcp_tests::api_post(&base, &admin, "/api/v1/intake/ratings", &json!({ "ratings": ratings }))
        .await
        .expect("post");
    assert_eq!(status, 200, "{res}");
    let mut out = Vec::new();
    for (i, (item, comment)) in corpus.into_iter().enumerate() {
        let line = &res["results"][i];
        assert_eq!(line["status"], "created", "rating {i}: {line}");
        let case_id = line["case_id"].as_i64().unwrap_or_else(|| panic!("rating {i} opened no case: {line}"));
        let summary = format!("{item}：{}", comment.trim());
        out.push(Expected {
            case_id,
            case_no: hcp_tests::case_no(db, case_id).expect("case no"),
            summary,
            item_name: Some(item),
            comment: Some(comment),
        });
    }
    let complaint = json!({"ticket_no": "XSS-T-1", "unit_code": hall, "summary": complaint_text(),
                           "caller": {"name": EVALUATOR_NAME}, "real_name": true,
                           "received_at": "2026-11-20T10:00:00+08:00"});
    let (status, res) =
        hcp_tests::api_post(&base, &admin, "/api/v1/intake/complaints", &complaint).await.expect("post");
    assert_eq!(status, 200, "{res}");
    let case_id = res["case"]["id"].as_i64().unwrap_or_else(|| panic!("the complaint opened no case: {res}"));
    out.push(Expected {
        case_id,
        case_no: hcp_tests::case_no(db, case_id).expect("case no"),
        summary: complaint_text(),
        item_name: None,
        comment: None,
    });
    out
}

/// Fails when any payload ran or became markup: an alert, `window.__xss`, a changed title, a
/// hidden body, or an element the corpus would have created.
async fn assert_no_script_ran(c: &Client, screen: &str, title: &str) {
    if let Ok(text) = c.get_alert_text().await {
        screenshot(c, "failure-xss-alert.png").await;
        panic!("{screen}: an alert is open: {text}");
    }
    let v = c
        .execute(
            "return { xss: window.__xss === undefined ? null : String(window.__xss), title: document.title,
                      markers: document.querySelectorAll('[data-xss], xss-marker, iframe, mglyph').length,
                      body: getComputedStyle(document.body).display }",
            vec![],
        )
        .await
        .expect("probe");
    assert!(v["xss"].is_null(), "{screen}: a payload script ran: window.__xss = {}", v["xss"]);
    assert_eq!(v["title"].as_str(), Some(title), "{screen}: the document title changed");
    assert_eq!(v["markers"].as_u64(), Some(0), "{screen}: a payload became markup");
    assert_ne!(v["body"].as_str(), Some("none"), "{screen}: a payload's style applied");
}

/// textContent of every element matching `css` (exact, unlike the rendered text WebDriver gives).
async fn texts(c: &Client, css: &str) -> Vec<String> {
    let v = c
        .execute("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)", vec![json!(css)])
        .await
        .expect("textContent");
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

async fn text_of(c: &Client, css: &str) -> String {
    texts(c, css).await.into_iter().next().unwrap_or_else(|| panic!("no {css}"))
}

fn server_reveals(db: &hcp_server::Db) -> Vec<(String, i64, String)> {
    db.read_blocking(|c| {
        c.query_map(
            "SELECT u.username, r.rating_id, r.reason FROM reveals r JOIN users u ON u.id = r.user_id ORDER BY r.id",
            (),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    })
    .expect("reveals")
}

fn rating_of(db: &hcp_server::Db, case_no: &str) -> i64 {
    let no = case_no.to_owned();
    db.read_blocking(move |c| c.query_row("SELECT rating_id FROM cases WHERE case_no = ?1", [no], |r| r.get::<i64>(0)))
        .expect("rating id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizens_text_shows_as_text_an_evaluator_is_revealed_with_a_reason_and_cases_are_assigned_in_bulk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 3_000).await.expect("server");
    let addr = server.addr;
    let expected = post_corpus(&server, &db).await;

    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    sign_in(&c, &server.url(), "donghu.manager").await;
    let title = c.execute("return document.title", vec![]).await.expect("title").as_str().unwrap_or("").to_owned();
    assert_eq!(title, "好差评督办");

    // The inbox lists the whole corpus; each summary is exactly the text that was posted.
    type_into(&c, "input[data-testid=inbox-search]", TAG).await;
    click(&c, "[data-testid=inbox-query]").await;
    let n = expected.len() as u64;
    wait_for(30, "the corpus in the inbox", || async { (total(&c).await == Some(n)).then_some(()) }).await;
    let mut shown = texts(&c, "[data-testid=case-summary]").await;
    let mut want: Vec<String> = expected.iter().map(|e| e.summary.clone()).collect();
    shown.sort();
    want.sort();
    assert_eq!(shown, want, "the inbox shows every summary as literal text");
    let items = texts(&c, "[data-testid=inbox-table] .el-table__body").await.join("");
    for e in &expected {
        if let Some(item) = &e.item_name {
            assert!(items.contains(item.as_str()), "the inbox shows the item {item:?} as text");
        }
    }
    assert_no_script_ran(&c, "inbox", &title).await;

    // The overflow tooltip of the longest summary holds it as text too.
    let long = expected.iter().find(|e| e.summary.contains("超长文本")).expect("the long case");
    // Element Plus opens the tooltip on the cell's mouseenter.
    let hovered = c
        .execute(
            "const s = Array.from(document.querySelectorAll('[data-testid=case-summary]'))
                 .find(e => e.textContent === arguments[0]);
             if (!s) return false;
             s.closest('td').dispatchEvent(new MouseEvent('mouseenter', { view: window }));
             return true",
            vec![json!(long.summary)],
        )
        .await
        .expect("hover");
    assert_eq!(hovered, json!(true), "the long summary is on the first page");
    let tip = wait_for(10, "the overflow tooltip", || async {
        texts(&c, ".case-tooltip").await.into_iter().find(|t| !t.is_empty())
    })
    .await;
    assert_eq!(tip.trim(), long.summary, "the tooltip shows the summary as text");
    screenshot(&c, "xss-inbox.png").await;
    assert_no_script_ran(&c, "inbox tooltip", &title).await;
    // Scrolling the table closes the tooltip.
    c.execute(
        "document.querySelector('[data-testid=inbox-table] .el-scrollbar__wrap').dispatchEvent(new Event('scroll'))",
        vec![],
    )
    .await
    .expect("scroll");
    wait_for(10, "the tooltip to close", || async { texts(&c, ".case-tooltip").await.is_empty().then_some(()) }).await;

    // Every case's detail drawer: the summary, the item, the comment.
    for e in &expected {
        open_case(&c, &e.case_no).await;
        assert_eq!(text_of(&c, "[data-testid=case-detail-summary]").await, e.summary, "{}", e.case_no);
        if let Some(comment) = &e.comment {
            assert_eq!(text_of(&c, "[data-testid=rating-comment]").await, *comment, "{}", e.case_no);
        }
        if let Some(item) = &e.item_name {
            let detail = text_of(&c, "[data-testid=case-detail] .el-drawer__body").await;
            assert!(detail.contains(item.as_str()), "{}: the item {item:?} as text", e.case_no);
        }
        assert_no_script_ran(&c, &format!("case {}", e.case_no), &title).await;
        close_drawer(&c).await;
    }

    // The evaluator of the first rating: masked, and revealed only with a reason, which the
    // server logs with who asked.
    let first = &expected[0];
    open_case(&c, &first.case_no).await;
    assert_eq!(text_of(&c, "[data-testid=evaluator-masked]").await, "<*（138****5678）");
    click(&c, "[data-testid=reveal-open]").await;
    c.wait().for_element(Locator::Css("textarea[data-testid=reveal-reason]")).await.expect("the reveal dialog");
    tokio::time::sleep(Duration::from_millis(400)).await;
    click(&c, "[data-testid=reveal-submit]").await;
    let refused =
        wait_for(10, "the missing reason", || async { texts(&c, "[data-testid=reveal-error]").await.pop() }).await;
    assert!(refused.contains("理由"), "a reason is required: {refused}");
    assert!(server_reveals(&db).is_empty(), "nothing is revealed without a reason");
    let reason = "核实差评情况，需电话回访评价人";
    type_into(&c, "textarea[data-testid=reveal-reason]", reason).await;
    click(&c, "[data-testid=reveal-submit]").await;
    c.wait().for_element(Locator::Css("[data-testid=reveal-result]")).await.expect("the revealed evaluator");
    let revealed = text_of(&c, "[data-testid=reveal-result]").await;
    assert!(revealed.contains(EVALUATOR_NAME), "the evaluator's name as text: {revealed}");
    assert!(revealed.contains(EVALUATOR_PHONE), "the evaluator's phone: {revealed}");
    screenshot(&c, "evaluator-revealed.png").await;
    assert_no_script_ran(&c, "the reveal dialog", &title).await;
    assert_eq!(
        server_reveals(&db),
        vec![("donghu.manager".to_owned(), rating_of(&db, &first.case_no), reason.to_owned())],
        "the server logged exactly this reveal"
    );
    click(&c, "[data-testid=reveal-dialog] .el-dialog__footer .el-button").await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Offline, the hall manager verifies the case with a reason that is itself a payload: the
    // timeline and the outbox page show it as text; it syncs when the server returns.
    server.stop().await;
    act(&c, "verify", || async {
        click(&c, "[data-testid=verify-outcome] [data-value=genuine]").await;
        type_into(&c, "textarea[data-testid=command-reason]", REASON).await;
    })
    .await;
    wait_for(15, "the pending verification", || async {
        let s = texts(&c, "[data-testid=timeline-item][data-kind=verified] .event-summary").await;
        s.into_iter().find(|t| t.contains(REASON))
    })
    .await;
    assert_no_script_ran(&c, "the timeline", &title).await;
    close_drawer(&c).await;
    c.execute("window.location.hash = '#/outbox'", vec![]).await.expect("navigate");
    wait_for(20, "the outbox row", || async {
        texts(&c, "[data-testid=outbox-row]").await.into_iter().find(|t| t.contains(REASON))
    })
    .await;
    assert_no_script_ran(&c, "the outbox", &title).await;
    c.execute("window.location.hash = '#/workbench'", vec![]).await.expect("navigate");
    c.wait().for_element(Locator::Css("[data-testid=workbench-card]")).await.expect("the workbench");
    assert_no_script_ran(&c, "the workbench", &title).await;
    let server = hcp_server::spawn(hcp_server::AppState::new(db.clone()), &addr.to_string()).await.expect("restart");
    wait_for(60, "the verification to reach the server", || async {
        (server_state(&db, &first.case_no) == "verified").then_some(())
    })
    .await;
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate back");
    c.wait().for_element(Locator::Css("[data-testid=inbox-reset]")).await.expect("the inbox");
    // Once pulled back from the server, the event is no longer pending and keeps its text.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        open_case(&c, &first.case_no).await;
        let synced =
            texts(&c, "[data-testid=timeline-item][data-kind=verified][data-pending=false] .event-summary").await;
        if synced.iter().any(|t| t.contains(REASON)) {
            break;
        }
        if Instant::now() > deadline {
            screenshot(&c, "failure-xss-timeline.png").await;
            let items = c
                .execute(
                    "return Array.from(document.querySelectorAll('[data-testid=timeline-item]'))
                        .map(e => [e.dataset.kind, e.dataset.pending, e.textContent])",
                    vec![],
                )
                .await
                .expect("timeline");
            panic!("timed out waiting for the synced verification in the timeline: {items}");
        }
        close_drawer(&c).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    assert_no_script_ran(&c, "the synced timeline", &title).await;
    close_drawer(&c).await;

    // 批量交办: three verified cases ticked in the inbox go to one handler in one step. Two more of
    // the corpus are verified at the server (by the same hall manager on another client).
    let token = hcp_tests::api_token(&server.url(), "donghu.manager").await.expect("token");
    for (i, e) in expected[1..3].iter().enumerate() {
        let cmd = json!({"command_id": format!("e2e-verify-{i}"), "case_id": e.case_id, "base_version": 1,
                         "command": {"type": "verify", "outcome": "genuine"}});
        let (status, res) =
            hcp_tests::api_post(&server.url(), &token, "/api/v1/cases/commands", &cmd).await.expect("verify");
        assert_eq!((status, res["status"].as_str()), (200, Some("applied")), "{res}");
    }
    c.execute("window.location.hash = '#/cases?state=verified'", vec![]).await.expect("navigate");
    c.wait().for_element(Locator::Css("input[data-testid=inbox-search]")).await.expect("the inbox");
    wait_for(60, "the three verified cases of the corpus", || async {
        type_into(&c, "input[data-testid=inbox-search]", TAG).await;
        click(&c, "[data-testid=inbox-query]").await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        (total(&c).await == Some(3)).then_some(())
    })
    .await;
    let states = texts(&c, "[data-testid=inbox-table] .el-table__body .el-tag[data-state]").await;
    assert_eq!(states.len(), 3, "three rows: {states:?}");
    // Tick the three rows; a sync landing meanwhile reloads the table, so tick until all three hold.
    let deadline = Instant::now() + Duration::from_secs(30);
    let chosen = loop {
        let rows = c.find_all(Locator::Css("[data-testid=inbox-table] .el-table__body tbody tr")).await.expect("rows");
        for row in rows.iter().take(3) {
            let checkbox = row.find(Locator::Css(".el-checkbox")).await.expect("checkbox");
            let ticked = checkbox.attr("class").await.ok().flatten().unwrap_or_default().contains("is-checked");
            if !ticked {
                let _ = checkbox.click().await;
            }
        }
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let ticked =
            texts(&c, "[data-testid=inbox-table] .el-table__body tbody tr .el-checkbox.is-checked").await.len();
        let button = text_of(&c, "[data-testid=inbox-bulk-assign]").await;
        if ticked == 3 && button.contains("3") {
            break texts(&c, "[data-testid=inbox-table] .el-table__body tbody tr [data-testid=case-no]").await;
        }
        assert!(Instant::now() < deadline, "could not tick three rows: {ticked} ticked, button {button:?}");
    };
    assert_eq!(chosen.len(), 3, "{chosen:?}");
    click(&c, "[data-testid=inbox-bulk-assign]").await;
    c.wait().for_element(Locator::Css("input[data-testid=bulk-department]")).await.expect("the bulk dialog");
    // The dialog loads the departments when it opens: choose one and one of its handlers (again, if
    // the list came late) and submit.
    let deadline = Instant::now() + Duration::from_secs(45);
    let queued = loop {
        if let Some(q) = attr(&c, "[data-testid=bulk-result]", "data-queued").await {
            break q;
        }
        if Instant::now() > deadline {
            screenshot(&c, "failure-bulk.png").await;
            panic!("timed out waiting for the bulk result: {:?}", texts(&c, "[data-testid=bulk-error]").await);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        // The department first (its handlers follow), then one of its handlers.
        click(&c, "input[data-testid=bulk-department]").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        for o in c.find_all(Locator::Css("[data-testid=bulk-department-option]")).await.unwrap_or_default() {
            if o.is_displayed().await.unwrap_or(false) {
                let _ = o.click().await;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        click(&c, "input[data-testid=bulk-handler]").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let options = c.find_all(Locator::Css("[data-testid=bulk-handler-option]")).await.unwrap_or_default();
        for o in options {
            if o.is_displayed().await.unwrap_or(false) {
                let _ = o.click().await;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        click(&c, "[data-testid=bulk-submit]").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    };
    assert_eq!(queued, "3", "all three assignments queued: {:?}", texts(&c, "[data-testid=bulk-result]").await);
    assert_eq!(attr(&c, "[data-testid=bulk-result]", "data-refused").await.as_deref(), Some("0"));
    screenshot(&c, "bulk-assigned.png").await;
    for no in &chosen {
        wait_for(30, "the bulk assignment to reach the server", || async {
            (server_state(&db, no) == "assigned").then_some(())
        })
        .await;
    }
    assert_no_script_ran(&c, "the end", &title).await;
    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&dir.path().join("client"), &db);
}
