//! Every role's first hour, at the two window sizes our users have (1366×768 laptops and
//! 1024×640 netbooks and projectors): each signs in, opens every page of the menu their role
//! sees, a case's detail and (for supervisors) a notice preview, and every screen is checked for
//! what users reported as cut off: a page wider than the window, a table header whose text does
//! not fit its column, and a button outside the window; the supervisor and the hall manager walk
//! their screens again in English at 1024×640. Each screen is saved as
//! `walk-<role>-<page>-<width>.png` (`make screenshots` refreshes docs/screenshots).

use super::*;

/// The window sizes of the walk.
const SIZES: [(u32, u32); 2] = [(1366, 768), (1024, 640)];

/// What a user would call "cut off" on the current screen, as a list of descriptions (empty when
/// everything fits). Only elements that are displayed count.
const CUT_OFF_PROBE: &str = r#"
const out = [];
const W = window.innerWidth, H = window.innerHeight;
const shown = (el) => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
};
const label = (el) => (el.innerText || el.getAttribute('data-testid') || el.className || el.tagName).toString().trim().slice(0, 40);
if (document.documentElement.scrollWidth > W + 1) out.push(`page ${document.documentElement.scrollWidth}px wide in a ${W}px window`);
for (const cell of document.querySelectorAll('.el-table__header th .cell')) {
  if (shown(cell) && cell.scrollWidth > cell.clientWidth + 1) out.push(`column header cut: ${label(cell)}`);
}
for (const t of document.querySelectorAll('.el-table')) {
  const wrap = t.querySelector('.el-table__body-wrapper .el-scrollbar__wrap') || t.querySelector('.el-table__body-wrapper');
  if (!shown(t) || !wrap || wrap.scrollWidth <= wrap.clientWidth + 1) continue;
  // A table may scroll sideways when its key columns are pinned and stay in the window.
  const pinned = [...t.querySelectorAll('.el-table__header .el-table-fixed-column--right')].filter(shown);
  if (pinned.length === 0) out.push(`table wider than its box (${wrap.scrollWidth} > ${wrap.clientWidth}px): its last columns are cut`);
  for (const p of pinned) {
    if (p.getBoundingClientRect().right > W + 1) out.push(`pinned column outside the window: ${label(p)}`);
  }
}
for (const cell of document.querySelectorAll('.el-table__body td .cell, .el-descriptions__content')) {
  // Ellipsis is fine for free text (a tooltip shows it); a date or a time cut short is not.
  if (shown(cell) && /^\s*\d{4}-\d{2}-\d{2}/.test(cell.innerText) && cell.scrollWidth > cell.clientWidth + 1) out.push(`date cut: ${label(cell)}`);
}
// A tag (a state, a countdown) must fit its cell: a cut tag loses its border and its last words.
for (const tag of document.querySelectorAll('.el-table__body td .cell .el-tag')) {
  const cell = tag.closest('.cell');
  if (shown(tag) && tag.getBoundingClientRect().right > cell.getBoundingClientRect().right + 1) out.push(`tag cut: ${label(tag)}`);
}
// Every entry of the main menu shows without scrolling it (its scrollbar only appears on hover).
for (const m of document.querySelectorAll('[data-testid="main-menu"] .el-menu-item')) {
  if (shown(m) && m.getBoundingClientRect().bottom > H + 1) out.push(`menu entry below the window: ${label(m)}`);
}
for (const b of document.querySelectorAll('.el-button, .el-dialog__footer .el-button, .el-drawer__footer .el-button')) {
  if (!shown(b)) continue;
  // A button inside a scrolling area is reachable; one the window itself cuts is not.
  // A dialog's own buttons must always be in the window, whatever the overlay behind it does.
  const footer = b.closest('.el-dialog__footer, .el-drawer__footer, .el-message-box__btns');
  let scroller = footer ? null : b.parentElement, inScroller = false;
  while (scroller && scroller !== document.body) {
    const s = getComputedStyle(scroller);
    if (/(auto|scroll)/.test(s.overflowY + s.overflowX) && scroller.scrollHeight > scroller.clientHeight) { inScroller = true; break; }
    scroller = scroller.parentElement;
  }
  const r = b.getBoundingClientRect();
  if (r.right > W + 1 || r.left < -1) out.push(`button off the side: ${label(b)}`);
  if (!inScroller && (r.bottom > H + 1 || r.top < -1)) out.push(`button below the window: ${label(b)}`);
}
return out;
"#;

pub(super) async fn cut_off(c: &Client) -> Vec<String> {
    let v = c.execute(CUT_OFF_PROBE, vec![]).await.expect("probe the layout");
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Saves the screen and records anything cut off on it.
async fn look(c: &Client, name: &str, problems: &mut Vec<String>) {
    screenshot(c, &format!("{name}.png")).await;
    for p in cut_off(c).await {
        problems.push(format!("{name}: {p}"));
    }
}

/// Opens the menu entry `key` and looks at it as `name`.
async fn visit(c: &Client, key: &str, name: &str, problems: &mut Vec<String>) {
    click(c, &format!("[data-testid=menu-{key}]")).await;
    // The collapsed menu shows its entry's name while the pointer rests on it: move it off.
    let _ = c
        .execute(
            "document.querySelectorAll('[data-testid^=menu-]').forEach((e) => {
               e.dispatchEvent(new MouseEvent('mouseleave', { bubbles: true }));
               e.dispatchEvent(new MouseEvent('mouseout', { bubbles: true }));
             })",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    look(c, name, problems).await;
}

async fn menu_keys(c: &Client) -> Vec<String> {
    let mut keys = Vec::new();
    for el in c.find_all(Locator::Css("[data-testid=main-menu] [data-testid^=menu-]")).await.unwrap_or_default() {
        if let Ok(Some(id)) = el.attr("data-testid").await {
            keys.push(id.trim_start_matches("menu-").to_owned());
        }
    }
    keys
}

pub(super) async fn sign_out(c: &Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.find(Locator::Css("input[data-testid=login-username]")).await.is_err() {
        if Instant::now() > deadline {
            screenshot(c, "failure-logout.png").await;
            panic!("timed out waiting for the login screen");
        }
        let confirm = ".el-message-box__btns .el-button--primary";
        let target = if visible(c, confirm).await { confirm } else { "[data-testid=logout]" };
        if let Ok(el) = c.find(Locator::Css(target)).await {
            let _ = el.click().await;
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
}

/// Opens the first case of the inbox in its drawer.
async fn open_first_case(c: &Client) -> bool {
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate");
    if c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("[data-testid=case-no]")).await.is_err() {
        return false;
    }
    click(c, "[data-testid=case-no]").await;
    c.wait().for_element(Locator::Css("[data-testid=case-detail]")).await.expect("the case drawer");
    tokio::time::sleep(Duration::from_millis(800)).await;
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_walks_every_screen_at_both_window_sizes_and_nothing_is_cut_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let port = free_port();
    let _driver = start_driver(&dir.path().join("client"), port);
    let c = connect(port, &app_binary()).await;
    let mut problems = Vec::new();
    let mut screens = 0;

    for (user, short) in [
        ("donghu.manager", "manager"),
        ("donghu.supervisor", "supervisor"),
        ("donghu.liaison", "liaison"),
        ("donghu.handler", "handler"),
    ] {
        c.set_window_size(SIZES[0].0, SIZES[0].1).await.expect("window size");
        sign_in(&c, &server.url(), user).await;
        let keys = menu_keys(&c).await;
        assert!(keys.len() >= 3, "{user} sees a menu: {keys:?}");
        for (w, h) in SIZES {
            c.set_window_size(w, h).await.expect("window size");
            tokio::time::sleep(Duration::from_millis(500)).await;
            for key in &keys {
                visit(&c, key, &format!("walk-{short}-{key}-{w}"), &mut problems).await;
                screens += 1;
            }
            c.execute("window.location.hash = '#/outbox'", vec![]).await.expect("navigate");
            tokio::time::sleep(Duration::from_millis(1000)).await;
            look(&c, &format!("walk-{short}-outbox-{w}"), &mut problems).await;
            screens += 1;
            if open_first_case(&c).await {
                look(&c, &format!("walk-{short}-case-{w}"), &mut problems).await;
                screens += 1;
                if short == "supervisor" && visible(&c, "[data-testid=action-print-notice]").await {
                    click(&c, "[data-testid=action-print-notice]").await;
                    let _ = c
                        .wait()
                        .at_most(Duration::from_secs(60))
                        .for_element(Locator::Css("img[data-testid=notice-preview-page]"))
                        .await;
                    look(&c, &format!("walk-{short}-notice-{w}"), &mut problems).await;
                    screens += 1;
                    click(&c, "[data-testid=notice-preview] .el-dialog__headerbtn").await;
                    tokio::time::sleep(Duration::from_millis(600)).await;
                }
                close_drawer(&c).await;
            }
        }
        // English is longer than Chinese: the roles with the most screens walk them again in English
        // in the smaller window.
        if short == "supervisor" || short == "manager" {
            let (w, h) = SIZES[1];
            c.set_window_size(w, h).await.expect("window size");
            click(&c, "[data-testid=toggle-language]").await;
            for key in &keys {
                visit(&c, key, &format!("walk-{short}-{key}-{w}-en"), &mut problems).await;
                screens += 1;
            }
            click(&c, "[data-testid=toggle-language]").await;
        }
        sign_out(&c).await;
    }
    eprintln!("walked {screens} screens");
    c.close().await.expect("close session");
    server.stop().await;
    assert!(screens >= 30, "every role's screens were walked: {screens}");
    logs::assert_clean(&dir.path().join("client"), &db);
    assert!(problems.is_empty(), "cut off at some window size:\n{}", problems.join("\n"));
}
