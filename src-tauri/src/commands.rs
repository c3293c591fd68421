//! Thin commands: state in, one call into hcp-app, `{code, message}` out.

use std::sync::Arc;

use hcp_app::maintenance::{AboutInfo, AppSettingsInput, AppSettingsView, DiagnosticsFile, ReplicaInfo};
use hcp_app::{
    ApiError, App, AppInfo, Assignee, Board, BulkResult, CalendarStatus, CaseCommand, CaseDetail, ChartStyle,
    Dashboard, DepartmentChoice, Evaluator, FlagItem, Issued, LoginRequest, NoticeDoc, NoticeFile, NoticePreview,
    Notifications, OpenTarget, OutboxItem, PrintedFile, Session, SyncStatus, UnitOption,
};
use hcp_replica::{CasePage, CaseQuery};
use tauri::State;

type Result<T> = std::result::Result<T, ApiError>;

#[tauri::command]
#[specta::specta]
pub fn app_info(app: State<'_, Arc<App>>) -> AppInfo {
    app.app_info()
}

#[tauri::command]
#[specta::specta]
pub async fn session_restore(app: State<'_, Arc<App>>) -> Result<Option<Session>> {
    app.session_restore().await
}

#[tauri::command]
#[specta::specta]
pub async fn login(app: State<'_, Arc<App>>, req: LoginRequest) -> Result<Session> {
    app.login(req).await
}

#[tauri::command]
#[specta::specta]
pub async fn logout(app: State<'_, Arc<App>>) -> Result<()> {
    app.logout().await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_now(app: State<'_, Arc<App>>) -> Result<SyncStatus> {
    app.sync_once().await
}

#[tauri::command]
#[specta::specta]
pub fn sync_status(app: State<'_, Arc<App>>) -> Result<SyncStatus> {
    app.sync_status()
}

#[tauri::command]
#[specta::specta]
pub async fn list_cases(app: State<'_, Arc<App>>, query: CaseQuery) -> Result<CasePage> {
    app.list_cases(query).await
}

#[tauri::command]
#[specta::specta]
pub async fn case_detail(app: State<'_, Arc<App>>, case_id: i32) -> Result<CaseDetail> {
    app.case_detail(i64::from(case_id)).await
}

/// Queues a command on a case (`caseId` null only for `create`).
#[tauri::command]
#[specta::specta]
pub async fn issue_command(app: State<'_, Arc<App>>, case_id: Option<i32>, command: CaseCommand) -> Result<Issued> {
    app.issue(case_id.map(i64::from), command).await
}

#[tauri::command]
#[specta::specta]
pub async fn outbox(app: State<'_, Arc<App>>) -> Result<Vec<OutboxItem>> {
    app.outbox().await
}

#[tauri::command]
#[specta::specta]
pub async fn discard_command(app: State<'_, Arc<App>>, command_id: String) -> Result<()> {
    app.discard(command_id).await
}

#[tauri::command]
#[specta::specta]
pub async fn change_password(app: State<'_, Arc<App>>, old_password: String, new_password: String) -> Result<()> {
    app.change_password(old_password, new_password).await
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_command(app: State<'_, Arc<App>>, command_id: String) -> Result<()> {
    app.cancel(command_id).await
}

#[tauri::command]
#[specta::specta]
pub async fn reissue_command(app: State<'_, Arc<App>>, command_id: String) -> Result<Issued> {
    app.reissue(command_id).await
}

/// The notices of kind `doc` (整改通知书, 催办通知书, 督办通知单) for the given cases, as one PDF saved on disk.
#[tauri::command]
#[specta::specta]
pub async fn print_notices(app: State<'_, Arc<App>>, doc: NoticeDoc, case_ids: Vec<i32>) -> Result<NoticeFile> {
    app.print_notices(doc, case_ids.into_iter().map(i64::from).collect()).await
}

/// One page of the notices of kind `doc` for the given cases, as an image of the printed page.
#[tauri::command]
#[specta::specta]
pub async fn preview_notices(
    app: State<'_, Arc<App>>,
    doc: NoticeDoc,
    case_ids: Vec<i32>,
    page: u32,
) -> Result<NoticePreview> {
    app.preview_notices(doc, case_ids.into_iter().map(i64::from).collect(), page).await
}

/// Saves the notices of kind `doc` as one PDF and hands it to the system for printing.
#[tauri::command]
#[specta::specta]
pub async fn send_notices_to_printer(
    app: State<'_, Arc<App>>,
    doc: NoticeDoc,
    case_ids: Vec<i32>,
) -> Result<NoticeFile> {
    app.send_notices_to_printer(doc, case_ids.into_iter().map(i64::from).collect()).await
}

/// Opens a saved notice or report (`folder`: the folder holding it) with the system's programs.
#[tauri::command]
#[specta::specta]
pub async fn open_document(app: State<'_, Arc<App>>, path: String, folder: bool) -> Result<()> {
    app.open_document(path, folder).await
}

/// Reveals a rating's evaluator to a role that may see it; the reason is logged on the server.
#[tauri::command]
#[specta::specta]
pub async fn reveal_evaluator(app: State<'_, Arc<App>>, rating_id: i32, reason: String) -> Result<Evaluator> {
    app.reveal_evaluator(i64::from(rating_id), reason).await
}

/// The statistics of the user's jurisdiction for one month (`YYYY-MM`, or the newest), the charts
/// drawn in the screen's language and theme.
#[tauri::command]
#[specta::specta]
pub async fn dashboard(app: State<'_, Arc<App>>, month: Option<String>, style: ChartStyle) -> Result<Dashboard> {
    app.dashboard(month, style).await
}

/// 堵点分析: the themes of the month's bad-review comments, with their trend and examples.
#[tauri::command]
#[specta::specta]
pub async fn hotspots(app: State<'_, Arc<App>>, month: String) -> Result<hcp_app::hotspots::Hotspots> {
    app.hotspots(month).await
}

/// 排名考核: the window or staff league for a month (`2026-11`), a quarter (`2026-Q4`) or a year.
#[tauri::command]
#[specta::specta]
pub async fn league(
    app: State<'_, Arc<App>>,
    of: hcp_app::rankings::LeagueOf,
    period: String,
) -> Result<hcp_app::rankings::LeagueTable> {
    app.league(of, period).await
}

/// 服务明星 / 办事能手: the period's candidates and confirmed awards.
#[tauri::command]
#[specta::specta]
pub async fn star_board(app: State<'_, Arc<App>>, period: String) -> Result<hcp_app::merit::StarBoard> {
    app.star_board(period).await
}

/// Queues a supervisor's confirmation of a candidate (works offline).
#[tauri::command]
#[specta::specta]
pub async fn confirm_award(
    app: State<'_, Arc<App>>,
    period: String,
    kind: String,
    staff_id: i32,
) -> Result<hcp_app::merit::StarBoard> {
    let kind = hcp_app::merit::parse_kind(&kind)?;
    app.confirm_award(period, kind, i64::from(staff_id)).await
}

/// The period's confirmed awards as the list or the certificates (PDF).
#[tauri::command]
#[specta::specta]
pub async fn print_awards(
    app: State<'_, Arc<App>>,
    period: String,
    what: hcp_app::merit::AwardDocument,
) -> Result<PrintedFile> {
    app.print_awards(period, what).await
}

/// 绩效考核: the period's score sheets.
#[tauri::command]
#[specta::specta]
pub async fn score_sheets(app: State<'_, Arc<App>>, period: String) -> Result<hcp_app::merit::ScoreSheets> {
    app.score_sheets(period).await
}

/// Writes the period's score sheets to `path` (XLSX).
#[tauri::command]
#[specta::specta]
pub async fn export_score_sheets(app: State<'_, Arc<App>>, period: String, path: String) -> Result<ExportedFile> {
    app.export_score_sheets(period, path).await
}

/// Whether the official calendar of this or next year is missing (administrators and supervisors).
#[tauri::command]
#[specta::specta]
pub async fn calendar_status(app: State<'_, Arc<App>>) -> Result<CalendarStatus> {
    app.calendar_status().await
}

/// The 月调度通报 (monthly dispatch report) for `month` (`YYYY-MM`) as a PDF saved on disk.
#[tauri::command]
#[specta::specta]
pub async fn monthly_report(app: State<'_, Arc<App>>, month: String) -> Result<PrintedFile> {
    app.monthly_report(month).await
}

/// Opens a saved 月调度通报 (`target` file) or its folder (`target` folder) with the system's programs.
#[tauri::command]
#[specta::specta]
pub async fn open_report(app: State<'_, Arc<App>>, path: String, target: OpenTarget) -> Result<()> {
    app.open_report(path, target).await
}

/// The department handlers this user may assign cases to.
#[tauri::command]
#[specta::specta]
pub async fn assignees(app: State<'_, Arc<App>>) -> Result<Vec<Assignee>> {
    app.assignees().await
}

/// The departments this user may assign cases to, each with its handlers (批量交办).
#[tauri::command]
#[specta::specta]
pub async fn assign_departments(app: State<'_, Arc<App>>) -> Result<Vec<DepartmentChoice>> {
    app.assign_departments().await
}

/// The integrity-flag queue (异常评价线索); `status` filters (`open`, …), all when absent.
#[tauri::command]
#[specta::specta]
pub async fn integrity_flags(app: State<'_, Arc<App>>, status: Option<String>) -> Result<Vec<FlagItem>> {
    app.integrity_flags(status).await
}

/// Queues the verdict on an integrity flag: `confirmed_fake`, `confirmed_malicious` or `dismissed`.
#[tauri::command]
#[specta::specta]
pub async fn decide_flag(app: State<'_, Arc<App>>, flag_id: i32, verdict: String, note: String) -> Result<FlagItem> {
    let verdict = hcp_app::integrity::parse_verdict(&verdict)?;
    app.decide_flag(i64::from(flag_id), verdict, note).await
}

/// The units of the user's jurisdiction, for the inbox's unit filter.
#[tauri::command]
#[specta::specta]
pub async fn units(app: State<'_, Arc<App>>) -> Result<Vec<UnitOption>> {
    app.units().await
}

/// Queues a 催办 with one note on one or several cases (催办 / 批量催办).
#[tauri::command]
#[specta::specta]
pub async fn urge_cases(app: State<'_, Arc<App>>, case_ids: Vec<i32>, note: String) -> Result<BulkResult> {
    app.urge_cases(case_ids.into_iter().map(i64::from).collect(), note).await
}

/// Queues the assignment of several cases to one handler (批量交办).
#[tauri::command]
#[specta::specta]
pub async fn bulk_assign(
    app: State<'_, Arc<App>>,
    case_ids: Vec<i32>,
    handler_id: i32,
    department_id: i32,
) -> Result<BulkResult> {
    app.bulk_assign(case_ids.into_iter().map(i64::from).collect(), i64::from(handler_id), i64::from(department_id))
        .await
}

// The 设置 page.

#[tauri::command]
#[specta::specta]
pub fn app_settings(app: State<'_, Arc<App>>) -> Result<AppSettingsView> {
    app.app_settings()
}

#[tauri::command]
#[specta::specta]
pub fn save_app_settings(app: State<'_, Arc<App>>, input: AppSettingsInput) -> Result<AppSettingsView> {
    app.save_app_settings(input)
}

#[tauri::command]
#[specta::specta]
pub async fn check_server(app: State<'_, Arc<App>>, server_url: String) -> Result<String> {
    app.check_server(server_url).await
}

#[tauri::command]
#[specta::specta]
pub async fn replica_info(app: State<'_, Arc<App>>) -> Result<ReplicaInfo> {
    app.replica_info().await
}

#[tauri::command]
#[specta::specta]
pub async fn redownload_replica(app: State<'_, Arc<App>>) -> Result<()> {
    app.redownload_replica().await
}

#[tauri::command]
#[specta::specta]
pub async fn erase_replica(app: State<'_, Arc<App>>, discard_unsent: bool) -> Result<()> {
    app.erase_replica(discard_unsent).await
}

#[tauri::command]
#[specta::specta]
pub async fn export_diagnostics(app: State<'_, Arc<App>>) -> Result<DiagnosticsFile> {
    app.export_diagnostics().await
}

#[tauri::command]
#[specta::specta]
pub async fn about(app: State<'_, Arc<App>>) -> Result<AboutInfo> {
    Ok(app.about().await)
}

/// The 督办 board: at-risk, overdue and escalated cases by rung and unit (works offline).
#[tauri::command]
#[specta::specta]
pub async fn supervision_board(app: State<'_, Arc<App>>) -> Result<Board> {
    app.board().await
}

/// Queues 升级督办 on several cases: by the overdue rule where the policy requires it, else one
/// rung up with `reason`.
#[tauri::command]
#[specta::specta]
pub async fn bulk_escalate(app: State<'_, Arc<App>>, case_ids: Vec<i32>, reason: Option<String>) -> Result<BulkResult> {
    app.bulk_escalate(case_ids.into_iter().map(i64::from).collect(), reason).await
}

/// The notification list (the header's bell) and the unread count.
#[tauri::command]
#[specta::specta]
pub async fn notifications(app: State<'_, Arc<App>>) -> Result<Notifications> {
    app.notifications().await
}

/// Marks notifications read (`ids` null: all of them).
#[tauri::command]
#[specta::specta]
pub async fn mark_notifications_read(app: State<'_, Arc<App>>, ids: Option<Vec<String>>) -> Result<Notifications> {
    app.mark_notifications_read(ids).await
}

/// Turns the OS notifications on or off.
#[tauri::command]
#[specta::specta]
pub async fn set_os_notifications(app: State<'_, Arc<App>>, enabled: bool) -> Result<Notifications> {
    app.set_os_notifications(enabled).await
}

/// A kind of file offered in the save dialog: its name in the dialog and its extensions.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveFilter {
    pub name: String,
    pub extensions: Vec<String>,
}

/// Shows the OS's save dialog (set up with the window's runtime in `lib.rs`): the suggested name
/// and the filters in, the chosen path (or `None` when cancelled) out through the receiver.
pub type SaveDialog =
    Arc<dyn Fn(String, Vec<SaveFilter>) -> tokio::sync::oneshot::Receiver<Option<std::path::PathBuf>> + Send + Sync>;

/// Asks the user where to save a file, in the OS's save dialog, suggesting `suggested_name`.
/// `None` when they cancel. With `HCP_SAVE_DIR` set (scripted use and the end-to-end tests, where
/// no one can answer a native dialog) the file goes into that folder under the suggested name.
#[tauri::command]
#[specta::specta]
pub async fn choose_save_path(
    dialog: State<'_, SaveDialog>,
    suggested_name: String,
    filters: Vec<SaveFilter>,
) -> Result<Option<String>> {
    let name = suggested_name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(ApiError::new(hcp_app::ErrorCode::InvalidInput, format!("文件名无效：{suggested_name}")));
    }
    if let Some(dir) = std::env::var_os("HCP_SAVE_DIR").filter(|d| !d.is_empty()) {
        return Ok(Some(std::path::Path::new(&dir).join(name).to_string_lossy().into_owned()));
    }
    let chosen = (dialog.inner())(name.to_owned(), filters)
        .await
        .map_err(|_| ApiError::new(hcp_app::ErrorCode::Internal, "保存对话框意外关闭"))?;
    Ok(chosen.map(|p| p.to_string_lossy().into_owned()))
}

// ---------------------------------------------------------------- 系统管理, exports, audit trail

use hcp_app::admin::{
    AccountInput, AdminAccount, AdminItem, AdminStaff, AdminUnit, CalendarImported, CalendarOverview, ItemInput,
    PolicyForm, StaffInput, UnitInput,
};
use hcp_app::calendar_import::CalendarImportPreview;
use hcp_app::exports::{AuditFilter, AuditPage, ExportFormat, ExportedFile};

/// The organisation tree of the administrator's jurisdiction (online only).
#[tauri::command]
#[specta::specta]
pub async fn admin_units(app: State<'_, Arc<App>>) -> Result<Vec<AdminUnit>> {
    app.admin_units().await
}

/// Adds a unit (no id) or renames / re-codes one.
#[tauri::command]
#[specta::specta]
pub async fn admin_save_unit(app: State<'_, Arc<App>>, input: UnitInput) -> Result<AdminUnit> {
    app.admin_save_unit(input).await
}

/// The staff of the jurisdiction's halls.
#[tauri::command]
#[specta::specta]
pub async fn admin_staff(app: State<'_, Arc<App>>) -> Result<Vec<AdminStaff>> {
    app.admin_staff().await
}

/// Adds a staff member (no id) or changes one.
#[tauri::command]
#[specta::specta]
pub async fn admin_save_staff(app: State<'_, Arc<App>>, input: StaffInput) -> Result<AdminStaff> {
    app.admin_save_staff(input).await
}

/// The accounts of the jurisdiction.
#[tauri::command]
#[specta::specta]
pub async fn admin_accounts(app: State<'_, Arc<App>>) -> Result<Vec<AdminAccount>> {
    app.admin_accounts().await
}

/// Adds an account or changes one (role, unit, password reset, deactivation).
#[tauri::command]
#[specta::specta]
pub async fn admin_save_account(app: State<'_, Arc<App>>, input: AccountInput) -> Result<AdminAccount> {
    app.admin_save_account(input).await
}

/// The service items of the jurisdiction.
#[tauri::command]
#[specta::specta]
pub async fn admin_items(app: State<'_, Arc<App>>) -> Result<Vec<AdminItem>> {
    app.admin_items().await
}

/// Adds a service item or changes one.
#[tauri::command]
#[specta::specta]
pub async fn admin_save_item(app: State<'_, Arc<App>>, input: ItemInput) -> Result<AdminItem> {
    app.admin_save_item(input).await
}

/// The working-day calendar in force, year by year.
#[tauri::command]
#[specta::specta]
pub async fn admin_calendar(app: State<'_, Arc<App>>) -> Result<CalendarOverview> {
    app.admin_calendar().await
}

/// What importing the pasted State Council notice would change (nothing sent).
#[tauri::command]
#[specta::specta]
pub async fn admin_preview_calendar_year(app: State<'_, Arc<App>>, text: String) -> Result<CalendarImportPreview> {
    app.admin_preview_calendar_year(text).await
}

/// Imports the pasted notice as its year's official arrangement.
#[tauri::command]
#[specta::specta]
pub async fn admin_import_calendar_year(app: State<'_, Arc<App>>, text: String) -> Result<CalendarImported> {
    app.admin_import_calendar_year(text).await
}

/// A unit's deadline and escalation policy in force, as a form.
#[tauri::command]
#[specta::specta]
pub async fn admin_policy(app: State<'_, Arc<App>>, unit_id: i32) -> Result<PolicyForm> {
    app.admin_policy(i64::from(unit_id)).await
}

/// Sets a unit's policy from the form.
#[tauri::command]
#[specta::specta]
pub async fn admin_save_policy(app: State<'_, Arc<App>>, form: PolicyForm) -> Result<PolicyForm> {
    app.admin_save_policy(form).await
}

/// A page of the audit trail (online only).
#[tauri::command]
#[specta::specta]
pub async fn audit_trail(app: State<'_, Arc<App>>, filter: AuditFilter) -> Result<AuditPage> {
    app.audit_trail(filter).await
}

/// Writes the audit entries the filter matches to `path` (from the save dialog).
#[tauri::command]
#[specta::specta]
pub async fn export_audit(
    app: State<'_, Arc<App>>,
    filter: AuditFilter,
    format: ExportFormat,
    path: String,
) -> Result<ExportedFile> {
    app.export_audit(filter, format, path).await
}

/// Writes every case the inbox's query matches to `path`.
#[tauri::command]
#[specta::specta]
pub async fn export_cases(
    app: State<'_, Arc<App>>,
    query: CaseQuery,
    format: ExportFormat,
    path: String,
) -> Result<ExportedFile> {
    app.export_cases(query, format, path).await
}

/// Writes the month's KPI ranking to `path`.
#[tauri::command]
#[specta::specta]
pub async fn export_stats(
    app: State<'_, Arc<App>>,
    month: String,
    format: ExportFormat,
    path: String,
) -> Result<ExportedFile> {
    app.export_stats(month, format, path).await
}

/// Saves the month's public disclosure (定期公开) CSV from the server to `path`.
#[tauri::command]
#[specta::specta]
pub async fn save_disclosure(
    app: State<'_, Arc<App>>,
    month: String,
    format: ExportFormat,
    path: String,
) -> Result<ExportedFile> {
    app.save_disclosure(month, format, path).await
}

// ---------------------------------------------------------------- 问责, 通知书, 监督检查发现

/// 问责: the accountability register (works offline).
#[tauri::command]
#[specta::specta]
pub async fn accountability_register(
    app: State<'_, Arc<App>>,
    query: hcp_app::ledger::LedgerQuery,
) -> Result<hcp_app::ledger::Ledger> {
    app.accountability_register(query).await
}

/// Verifies the evidence chain on the server (online) and caches the answer.
#[tauri::command]
#[specta::specta]
pub async fn verify_evidence_chain(app: State<'_, Arc<App>>) -> Result<hcp_app::ledger::ChainCheck> {
    app.verify_evidence_chain().await
}

/// 差评比较集中的部门和人员 between two months (works offline).
#[tauri::command]
#[specta::specta]
pub async fn bad_review_concentrations(
    app: State<'_, Arc<App>>,
    from: String,
    to: String,
    min_count: u32,
) -> Result<hcp_app::ledger::Concentrations> {
    app.bad_review_concentrations(from, to, min_count).await
}

/// The 问责决定记录 of a case as a PDF, with the case's photos as 附图 pages when `with_photos`.
#[tauri::command]
#[specta::specta]
pub async fn accountability_record(app: State<'_, Arc<App>>, case_id: i32, with_photos: bool) -> Result<PrintedFile> {
    app.accountability_record(i64::from(case_id), with_photos).await
}

/// 通知书: the notices issued on this laptop (works offline).
#[tauri::command]
#[specta::specta]
pub async fn notice_register(
    app: State<'_, Arc<App>>,
    query: hcp_app::notice_centre::NoticeQuery,
) -> Result<hcp_app::notice_centre::NoticeRegister> {
    app.notice_register(query).await
}

/// 重新打印 registered notices with their numbers (`print`: hand the PDF to the printer).
#[tauri::command]
#[specta::specta]
pub async fn reprint_notices(
    app: State<'_, Arc<App>>,
    keys: Vec<hcp_app::notice_centre::NoticeKey>,
    print: bool,
) -> Result<hcp_app::notice_centre::ReprintedFile> {
    app.reprint_notices(keys, print).await
}

/// Opens a registered notice (or its folder), rendering it again when its file is gone.
#[tauri::command]
#[specta::specta]
pub async fn open_registered_notice(
    app: State<'_, Arc<App>>,
    key: hcp_app::notice_centre::NoticeKey,
    folder: bool,
) -> Result<()> {
    app.open_registered_notice(key, folder).await
}

/// The file name 另存为 suggests.
#[tauri::command]
#[specta::specta]
pub async fn notice_file_name(
    app: State<'_, Arc<App>>,
    keys: Vec<hcp_app::notice_centre::NoticeKey>,
) -> Result<String> {
    app.notice_file_name(keys).await
}

/// 另存为: the registered notices as one PDF at the chosen path.
#[tauri::command]
#[specta::specta]
pub async fn save_notices_as(
    app: State<'_, Arc<App>>,
    keys: Vec<hcp_app::notice_centre::NoticeKey>,
    path: String,
) -> Result<hcp_app::notice_centre::ReprintedFile> {
    app.save_notices_as(keys, path).await
}

/// The 监督检查发现 form's choices (works offline).
#[tauri::command]
#[specta::specta]
pub async fn finding_options(app: State<'_, Arc<App>>) -> Result<hcp_app::finding::FindingOptions> {
    app.finding_options().await
}

/// Records a 监督检查发现 as a new supervision case (queued; works offline).
#[tauri::command]
#[specta::specta]
pub async fn create_finding(app: State<'_, Arc<App>>, input: hcp_app::finding::FindingInput) -> Result<Issued> {
    app.create_finding(input).await
}

// ---------------------------------------------------------------- updates

/// Asks the user's server whether a newer version of the app is offered (the update dialog).
#[tauri::command]
#[specta::specta]
pub async fn check_update(
    app: State<'_, Arc<App>>,
    updates: State<'_, crate::updates::Updates>,
) -> Result<Option<hcp_app::updates::UpdateOffer>> {
    updates.check(&app).await
}

/// Installs the offered update the user agreed to (its signature verified) and restarts the app.
#[tauri::command]
#[specta::specta]
pub async fn install_update(updates: State<'_, crate::updates::Updates>) -> Result<()> {
    updates.install().await
}

// ---------------------------------------------------------------- org units: deactivation

/// Deactivates (已停用) or reactivates a unit (online only; the server says what is left).
#[tauri::command]
#[specta::specta]
pub async fn admin_set_unit_active(app: State<'_, Arc<App>>, unit_id: i32, active: bool) -> Result<AdminUnit> {
    app.admin_set_unit_active(i64::from(unit_id), active).await
}

/// Moves a unit, with everything below it, under another unit (online only).
#[tauri::command]
#[specta::specta]
pub async fn admin_move_unit(app: State<'_, Arc<App>>, unit_id: i32, parent_id: i32) -> Result<AdminUnit> {
    app.admin_move_unit(i64::from(unit_id), i64::from(parent_id)).await
}

// ---------------------------------------------------------------- 12345回传 (callbacks to the hotline)

/// A page of the callbacks to the 12345 hotline, optionally of one state (online only).
#[tauri::command]
#[specta::specta]
pub async fn hotline_deliveries(
    app: State<'_, Arc<App>>,
    state: Option<hcp_app::hotline::DeliveryState>,
    before: Option<i32>,
) -> Result<hcp_app::hotline::HotlinePage> {
    app.hotline_deliveries(state, before.map(i64::from)).await
}

/// Retries a failed callback to the 12345 hotline now (online only; audited by the server).
#[tauri::command]
#[specta::specta]
pub async fn hotline_retry(app: State<'_, Arc<App>>, delivery_id: i32) -> Result<hcp_app::hotline::HotlineDelivery> {
    app.hotline_retry(i64::from(delivery_id)).await
}

// ---------------------------------------------------------------- 自我评价 and 第三方评价

use hcp_app::self_assessment::{EntryIn, SelfAssessmentItem, SelfAssessmentScreen, SurveyImportView, SurveyView};

/// The 自我评价 screen for a quarter (`2026-Q4`; the current one when absent). Works offline.
#[tauri::command]
#[specta::specta]
pub async fn self_assessments(app: State<'_, Arc<App>>, period: Option<String>) -> Result<SelfAssessmentScreen> {
    app.self_assessments(period).await
}

/// Saves the hall manager's draft on this laptop (offline).
#[tauri::command]
#[specta::specta]
pub async fn save_self_assessment_draft(
    app: State<'_, Arc<App>>,
    period: String,
    entries: Vec<EntryIn>,
) -> Result<SelfAssessmentItem> {
    app.save_self_assessment_draft(period, entries).await
}

/// Queues the hall's self-assessment for review (offline; sent with the next sync).
#[tauri::command]
#[specta::specta]
pub async fn submit_self_assessment(
    app: State<'_, Arc<App>>,
    period: String,
    entries: Vec<EntryIn>,
) -> Result<SelfAssessmentItem> {
    app.submit_self_assessment(period, entries).await
}

/// Queues a supervisor's review: `approve`, or `return` with the reason (offline).
#[tauri::command]
#[specta::specta]
pub async fn review_self_assessment(
    app: State<'_, Arc<App>>,
    id: i32,
    decision: String,
    comment: String,
) -> Result<SelfAssessmentItem> {
    app.review_self_assessment(i64::from(id), decision, comment).await
}

/// Third-party survey results of the jurisdiction (`2026-11`, `2026` or all), offline.
#[tauri::command]
#[specta::specta]
pub async fn survey_results(app: State<'_, Arc<App>>, period: Option<String>) -> Result<Vec<SurveyView>> {
    app.survey_results(period).await
}

/// Shows the OS's open dialog for one file: the filters in, the chosen path (or `None`) out.
pub type OpenDialog =
    Arc<dyn Fn(Vec<SaveFilter>) -> tokio::sync::oneshot::Receiver<Option<std::path::PathBuf>> + Send + Sync>;

/// Asks the user for a file to open (a survey file to import). `None` when they cancel. With
/// `HCP_OPEN_FILE` set (the end-to-end tests, where no one can answer a native dialog) that path.
#[tauri::command]
#[specta::specta]
pub async fn choose_open_path(dialog: State<'_, OpenDialog>, filters: Vec<SaveFilter>) -> Result<Option<String>> {
    if let Some(p) = std::env::var_os("HCP_OPEN_FILE").filter(|p| !p.is_empty()) {
        return Ok(Some(std::path::PathBuf::from(p).to_string_lossy().into_owned()));
    }
    let chosen = (dialog.inner())(filters)
        .await
        .map_err(|_| ApiError::new(hcp_app::ErrorCode::Internal, "打开对话框意外关闭"))?;
    Ok(chosen.map(|p| p.to_string_lossy().into_owned()))
}

/// Imports a survey file (CSV or XLSX) through the server: `dryRun` checks every row and stores
/// nothing; otherwise all or nothing (online only).
#[tauri::command]
#[specta::specta]
pub async fn import_surveys(app: State<'_, Arc<App>>, path: String, dry_run: bool) -> Result<SurveyImportView> {
    app.import_surveys(path, dry_run).await
}

// ---------------------------------------------------------------- 附件 (evidence files on cases)

use hcp_app::attachments::{Attached, CaseFiles, FileCacheInfo};

/// A case's files: replicated metadata and this computer's files on their way (works offline).
#[tauri::command]
#[specta::specta]
pub async fn case_files(app: State<'_, Arc<App>>, case_id: i32) -> Result<CaseFiles> {
    app.case_files(i64::from(case_id)).await
}

/// Attaches files (chosen or dropped paths) to a case: checked by content and the limits, kept
/// encrypted, queued for upload (works offline).
#[tauri::command]
#[specta::specta]
pub async fn attach_files(app: State<'_, Arc<App>>, case_id: i32, paths: Vec<String>) -> Result<Attached> {
    app.attach_files(i64::from(case_id), paths).await
}

/// Puts a failed file back in the upload queue.
#[tauri::command]
#[specta::specta]
pub async fn retry_case_file(app: State<'_, Arc<App>>, case_id: i32, sha256: String) -> Result<CaseFiles> {
    app.retry_case_file(i64::from(case_id), sha256).await
}

/// Takes a file of this computer off the upload queue.
#[tauri::command]
#[specta::specta]
pub async fn remove_case_file(app: State<'_, Arc<App>>, case_id: i32, sha256: String) -> Result<CaseFiles> {
    app.remove_case_file(i64::from(case_id), sha256).await
}

/// Queues a command citing evidence files of its case (works offline).
#[tauri::command]
#[specta::specta]
pub async fn issue_command_with_files(
    app: State<'_, Arc<App>>,
    case_id: i32,
    command: CaseCommand,
    attachments: Vec<String>,
) -> Result<Issued> {
    app.issue_with_files(i64::from(case_id), command, attachments).await
}

/// The bytes of a case's file as a raw IPC response (an `ArrayBuffer` in the webview, for blob
/// URLs): from this computer, else downloaded, checked and cached. Registered outside the typed
/// bindings (raw bytes are no JSON type): `invoke("case_file_bytes", { caseId, sha256 })`.
#[tauri::command]
pub async fn case_file_bytes(app: State<'_, Arc<App>>, case_id: i32, sha256: String) -> Result<tauri::ipc::Response> {
    app.case_file_bytes(i64::from(case_id), sha256).await.map(tauri::ipc::Response::new)
}

/// Saves a copy of a case's file where the user chose (`path` from `choose_save_path`).
#[tauri::command]
#[specta::specta]
pub async fn save_case_file(app: State<'_, Arc<App>>, case_id: i32, sha256: String, path: String) -> Result<()> {
    app.save_case_file(i64::from(case_id), sha256, path).await
}

/// The evidence-file cache (设置): its cap and what it holds.
#[tauri::command]
#[specta::specta]
pub async fn file_cache(app: State<'_, Arc<App>>) -> Result<FileCacheInfo> {
    app.file_cache().await
}

/// Sets the evidence-file cache's cap in MB (`null`: the default) and trims the cache to it.
#[tauri::command]
#[specta::specta]
pub async fn save_file_cache_cap(app: State<'_, Arc<App>>, cap_mb: Option<u32>) -> Result<FileCacheInfo> {
    app.save_file_cache_cap(cap_mb.map(u64::from)).await
}
