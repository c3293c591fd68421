//! 系统管理, 审计日志 and the exports in the real window: the administrator adds a hall and an
//! account in it, the new user signs in and sees exactly that hall; a hall manager exports the
//! filtered inbox to CSV through the save dialog (`HCP_SAVE_DIR`). The hall cannot be deactivated
//! while its manager's account is active; an empty department below it is moved under another hall (移动), then deactivated (已停用). Screens are saved as
//! `admin-*.png`, `audit.png`, `stats-exports.png` and checked for anything cut off.

use super::walk::{cut_off, sign_out};
use super::*;

const NEW_HALL: &str = "东湖区临江便民服务中心";
const NEW_USER: &str = "lj.manager";
const NEW_DEPARTMENT: &str = "临江综合受理部";

/// Clicks the primary button of the ElMessageBox confirmation.
async fn confirm(c: &Client) {
    let btn = ".el-message-box__btns .el-button--primary";
    wait_for(10, "the confirmation", || async { visible(c, btn).await.then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    click(c, btn).await;
}

/// Saves the screen and fails on anything cut off on it.
async fn look(c: &Client, name: &str) {
    screenshot(c, &format!("{name}.png")).await;
    let problems = cut_off(c).await;
    assert!(problems.is_empty(), "{name}: cut off: {problems:?}");
}

fn unit_id(db: &hcp_server::Db, name: &str) -> Option<i64> {
    let name = name.to_owned();
    db.read_blocking(move |c| c.query_opt("SELECT id FROM org_units WHERE name = ?1", [name], |r| r.get::<i64>(0)))
        .ok()
        .flatten()
}

/// The file the app saved into the save folder whose name starts with `prefix`.
fn saved(dir: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|e| e.path()).find(|p| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".part"))
    })
}

fn csv_lines(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("the saved file");
    let text = String::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM").to_vec()).expect("utf-8");
    text.lines().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_adds_a_hall_and_its_manager_who_then_sees_exactly_that_hall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let district = unit_id(&db, "东湖区").expect("东湖区");
    let data = dir.path().join("client");
    let port = free_port();
    let _driver = start_driver(&data, port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");

    // The administrator lands on 系统管理.
    sign_in(&c, &server.url(), "admin").await;
    c.wait().for_element(Locator::Css("[data-testid=admin-page]")).await.expect("系统管理 after signing in");
    c.wait().for_element(Locator::Css(&format!("[data-testid=unit-add-{district}]"))).await.expect("the tree");
    look(&c, "admin-units").await;

    // A new hall below 东湖区.
    click(&c, &format!("[data-testid=unit-add-{district}]")).await;
    c.wait().for_element(Locator::Css("input[data-testid=unit-form-name]")).await.expect("the unit form");
    tokio::time::sleep(Duration::from_millis(400)).await;
    click(&c, "[data-testid=unit-form-kind] [data-value=hall]").await;
    type_into(&c, "input[data-testid=unit-form-name]", NEW_HALL).await;
    type_into(&c, "input[data-testid=unit-form-code]", "DH-LJ-01").await;
    screenshot(&c, "admin-unit-dialog.png").await;
    click(&c, "[data-testid=unit-form-save]").await;
    confirm(&c).await;
    let hall = wait_for(20, "the new hall on the server", || async { unit_id(&db, NEW_HALL) }).await;
    c.wait()
        .for_element(Locator::Css(&format!("[data-testid=unit-name][data-unit-id='{hall}']")))
        .await
        .expect("the new hall in the tree");

    // Its manager's account.
    click(&c, "[data-testid=admin-tab-accounts]").await;
    c.wait().for_element(Locator::Css("[data-testid=account-row]")).await.expect("the accounts");
    look(&c, "admin-accounts").await;
    click(&c, "[data-testid=account-add]").await;
    c.wait().for_element(Locator::Css("input[data-testid=account-form-username]")).await.expect("the account form");
    tokio::time::sleep(Duration::from_millis(400)).await;
    type_into(&c, "input[data-testid=account-form-username]", NEW_USER).await;
    type_into(&c, "input[data-testid=account-form-display]", "林主任").await;
    click(&c, "input[data-testid=account-form-unit]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, &format!("[data-testid=account-form-unit-option][data-value='{hall}']")).await;
    type_into(&c, "input[data-testid=account-form-password]", DEMO_PASSWORD).await;
    click(&c, "[data-testid=account-form-save]").await;
    confirm(&c).await;
    wait_for(20, "the new account on the server", || async {
        let u = NEW_USER.to_owned();
        db.read_blocking(move |c| hcp_server::db::users::by_username(c, &u))
            .ok()
            .flatten()
            .filter(|u| u.unit_id == hall)
    })
    .await;
    c.wait()
        .for_element(Locator::Css(&format!("[data-testid=account-row][data-username='{NEW_USER}']")))
        .await
        .expect("the new account in the list");

    // 停用: the new hall is refused while its manager's account is active (the message counts it);
    // a new, empty department below it is deactivated and shows 已停用 with nothing to add below.
    click(&c, "[data-testid=admin-tab-units]").await;
    c.wait().for_element(Locator::Css(&format!("[data-testid=unit-toggle-{hall}]"))).await.expect("the hall's 停用");
    click(&c, &format!("[data-testid=unit-toggle-{hall}]")).await;
    confirm(&c).await;
    wait_for(20, "the refusal naming the active account", || async {
        let el = c.find(Locator::Css(".el-message--error")).await.ok()?;
        el.text().await.ok().filter(|t| t.contains("1 个启用的账号"))
    })
    .await;
    screenshot(&c, "admin-unit-deactivate-refused.png").await;
    click(&c, &format!("[data-testid=unit-add-{hall}]")).await;
    c.wait().for_element(Locator::Css("input[data-testid=unit-form-name]")).await.expect("the unit form");
    tokio::time::sleep(Duration::from_millis(400)).await;
    click(&c, "[data-testid=unit-form-kind] [data-value=department]").await;
    type_into(&c, "input[data-testid=unit-form-name]", NEW_DEPARTMENT).await;
    type_into(&c, "input[data-testid=unit-form-code]", "DH-LJ-01-D").await;
    click(&c, "[data-testid=unit-form-save]").await;
    confirm(&c).await;
    let dept = wait_for(20, "the new department on the server", || async { unit_id(&db, NEW_DEPARTMENT) }).await;
    // 移动: the department goes under 东湖区政务服务中心 (its own hall is not offered).
    let east_hall = unit_id(&db, "东湖区政务服务中心").expect("东湖区政务服务中心");
    c.wait().for_element(Locator::Css(&format!("[data-testid=unit-move-{dept}]"))).await.expect("its 移动");
    tokio::time::sleep(Duration::from_millis(600)).await;
    click(&c, &format!("[data-testid=unit-move-{dept}]")).await;
    c.wait().for_element(Locator::Css("input[data-testid=unit-move-parent]")).await.expect("the move dialog");
    tokio::time::sleep(Duration::from_millis(400)).await;
    click(&c, "input[data-testid=unit-move-parent]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        c.find_all(Locator::Css(&format!("[data-testid=unit-move-option][data-value='{hall}']")))
            .await
            .unwrap_or_default()
            .is_empty(),
        "its own parent is not offered"
    );
    click(&c, &format!("[data-testid=unit-move-option][data-value='{east_hall}']")).await;
    screenshot(&c, "admin-unit-move.png").await;
    click(&c, "[data-testid=unit-move-save]").await;
    confirm(&c).await;
    wait_for(20, "the department moved on the server", || async {
        let name = NEW_DEPARTMENT.to_owned();
        db.read_blocking(move |c| {
            c.query_opt("SELECT parent_id FROM org_units WHERE name = ?1", [name], |r| r.get::<Option<i64>>(0))
        })
        .ok()
        .flatten()
        .flatten()
        .filter(|p| *p == east_hall)
    })
    .await;
    c.wait().for_element(Locator::Css(&format!("[data-testid=unit-toggle-{dept}]"))).await.expect("its 停用");
    tokio::time::sleep(Duration::from_millis(600)).await;
    click(&c, &format!("[data-testid=unit-toggle-{dept}]")).await;
    confirm(&c).await;
    wait_for(20, "the department deactivated on the server", || async {
        let name = NEW_DEPARTMENT.to_owned();
        db.read_blocking(move |c| {
            c.query_opt("SELECT active FROM org_units WHERE name = ?1", [name], |r| r.get::<bool>(0))
        })
        .ok()
        .flatten()
        .filter(|active| !active)
    })
    .await;
    wait_for(20, "已停用 in the tree", || async {
        let el = c.find(Locator::Css(&format!("[data-testid=unit-status-{dept}]"))).await.ok()?;
        el.text().await.ok().filter(|t| t.trim() == "已停用")
    })
    .await;
    assert!(
        c.find_all(Locator::Css(&format!("[data-testid=unit-add-{dept}]"))).await.unwrap_or_default().is_empty(),
        "nothing is added below a deactivated unit"
    );
    look(&c, "admin-unit-deactivated").await;

    // The other tabs, each looked at.
    for (tab, ready) in [
        ("staff", "[data-testid=admin-staff] .el-table__row"),
        ("items", "[data-testid=item-add]:not(.is-disabled)"),
        ("calendar", "[data-testid=calendar-source]"),
        ("policy", "[data-testid=policy-inherited]"),
    ] {
        click(&c, &format!("[data-testid=admin-tab-{tab}]")).await;
        c.wait().for_element(Locator::Css(ready)).await.unwrap_or_else(|e| panic!("{tab}: {e}"));
        look(&c, &format!("admin-{tab}")).await;
    }
    // The calendar's import previews what the pasted notice changes (the 2026 notice: nothing).
    click(&c, "[data-testid=admin-tab-calendar]").await;
    type_into(
        &c,
        "textarea[data-testid=calendar-text]",
        "国务院办公厅关于2026年部分节假日安排的通知\n国办发明电〔2025〕7号\n一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n",
    )
    .await;
    click(&c, "[data-testid=calendar-preview]").await;
    if c.wait().for_element(Locator::Css("[data-testid=calendar-preview-result][data-year='2026']")).await.is_err() {
        screenshot(&c, "failure-admin-calendar.png").await;
        let problem = match c.find(Locator::Css("[data-testid=calendar-problem]")).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!("no preview of the pasted notice: {problem}");
    }
    look(&c, "admin-calendar-preview").await;

    // The audit trail shows the two changes, by the administrator.
    c.execute("window.location.hash = '#/audit'", vec![]).await.expect("navigate");
    wait_for(20, "the audit rows", || async {
        let rows = c.find_all(Locator::Css("[data-testid=audit-row][data-action='admin.user.create']")).await.ok()?;
        (!rows.is_empty()).then_some(())
    })
    .await;
    look(&c, "audit").await;

    // Statistics with its exports; the public disclosure saved through the save dialog.
    c.execute("window.location.hash = '#/stats'", vec![]).await.expect("navigate");
    wait_for(60, "the statistics", || async {
        attr(&c, "[data-testid=stats-page]", "data-month").await.filter(|m| !m.is_empty())
    })
    .await;
    click(&c, "[data-testid=stats-disclosure-button]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "[data-testid=stats-disclosure-csv]").await;
    let file = wait_for(30, "the disclosure file", || async { saved(&save_dir(&data), "定期公开") }).await;
    let lines = csv_lines(&file);
    assert!(lines[0].starts_with("单位,月份,评价总数,网上办事大厅"), "{lines:?}");
    assert!(lines.last().is_some_and(|l| l.starts_with("合计,")), "{lines:?}");
    look(&c, "stats-exports").await;

    // The new user signs in and works in exactly the new hall.
    sign_out(&c).await;
    sign_in(&c, &server.url(), NEW_USER).await;
    let unit = c.find(Locator::Css("[data-testid=user-unit]")).await.expect("unit").text().await.expect("text");
    assert_eq!(unit, NEW_HALL);
    c.execute("window.location.hash = '#/cases'", vec![]).await.expect("navigate");
    wait_for(20, "the new hall's empty inbox", || async { (total(&c).await == Some(0)).then_some(()) }).await;
    assert!(
        c.find_all(Locator::Css("[data-testid=menu-admin]")).await.unwrap_or_default().is_empty(),
        "a hall manager has no 系统管理"
    );
    look(&c, "admin-new-user").await;

    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&data, &db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_manager_exports_the_filtered_inbox_to_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, db) = seeded_server(dir.path(), 1_500).await.expect("server");
    let case_no = new_bad_review(&db, "E2E-EXPORT").expect("case");
    let data = dir.path().join("client");
    let port = free_port();
    let _driver = start_driver(&data, port);
    let c = connect(port, &app_binary()).await;
    c.set_window_size(1366, 768).await.expect("window size");
    sign_in(&c, &server.url(), "donghu.manager").await;

    // A filter: the text search for the item of the new review.
    type_into(&c, "input[data-testid=inbox-search]", "社会保障卡").await;
    click(&c, "[data-testid=inbox-query]").await;
    let shown = wait_for(20, "the filtered inbox", || async { total(&c).await.filter(|t| *t >= 1) }).await;
    let all: u64 = {
        let (scope, _) = account_scope(&db, "donghu.manager").expect("scope");
        cases_in_scope(&db, &scope).expect("count")
    };
    assert!(shown < all, "the filter narrows the inbox ({shown} of {all})");

    click(&c, "[data-testid=inbox-export-button]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "[data-testid=inbox-export-csv]").await;
    let file = wait_for(30, "the exported file", || async { saved(&save_dir(&data), "差评工单") }).await;
    let lines = csv_lines(&file);
    assert!(lines[0].starts_with("工单编号,责任单位,事项名称"), "{lines:?}");
    assert_eq!(lines.len() as u64, shown + 1, "exactly the filtered rows: {lines:?}");
    assert!(lines.iter().any(|l| l.starts_with(&case_no)), "the new case {case_no} is in the file");
    let last = wait_for(10, "the export's result on the button", || async {
        attr(&c, "[data-testid=inbox-export]", "data-last-rows").await.filter(|r| !r.is_empty())
    })
    .await;
    assert_eq!(last, shown.to_string());
    look(&c, "inbox-export").await;

    c.close().await.expect("close session");
    server.stop().await;
    logs::assert_clean(&data, &db);
}
