//! The notices of cases — 整改通知书 (rectification), 催办通知书 (reminder) and 督办通知单
//! (supervision sheet) — numbered through the office's 文号: a page-by-page preview, one PDF ready
//! to print (several cases at once), and handing that PDF to the system for printing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine;

use chrono::{DateTime, Datelike, Utc};
use hcp_domain::{Calendar, CaseState, EscalationLevel};
use hcp_replica::tables::notices::{DocNumber, IssuedNotice, NewNotice};
use hcp_replica::Replica;
use hcp_report::notice::{NoticeInput, NoticeKind, NoticeStatus};
use serde::{Deserialize, Serialize};

use crate::cases;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// A generated document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PrintedFile {
    /// Where the PDF was saved.
    pub path: String,
    /// How many notices it holds.
    pub count: u32,
}

/// Saved notices.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NoticeFile {
    /// Where the PDF was saved.
    pub path: String,
    /// How many notices it holds.
    pub count: u32,
    /// The document numbers (文号) of the notices in it, in order.
    pub doc_numbers: Vec<String>,
}

/// One page of the notices' preview, drawn from the same layout as the PDF.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct NoticePreview {
    /// The page shown, from 0.
    pub page: u32,
    /// How many pages the PDF will have.
    pub page_count: u32,
    /// How many notices it holds.
    pub count: u32,
    /// The page as a PNG `data:` URL (an image: the citizens' text in it is pixels, never markup).
    pub image: String,
    /// The image's width and height in pixels.
    pub width: u32,
    pub height: u32,
}

/// Resolution of the preview images: sharp on a HiDPI screen at the dialog's size.
const PREVIEW_DPI: f32 = 144.0;

/// The document fonts, read from the system once.
fn fonts() -> ApiResult<&'static hcp_report::Fonts> {
    static FONTS: OnceLock<hcp_report::Fonts> = OnceLock::new();
    if let Some(f) = FONTS.get() {
        return Ok(f);
    }
    let fonts = hcp_report::Fonts::locate()
        .map_err(|e| ApiError::new(ErrorCode::FontsMissing, format!("无法生成通知书：{e}")))?;
    Ok(FONTS.get_or_init(|| fonts))
}

/// The document fonts (for the other documents this app renders).
pub fn document_fonts() -> ApiResult<&'static hcp_report::Fonts> {
    fonts()
}

/// Which notice to print for the selected cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NoticeDoc {
    /// 整改通知书 (a 督办整改通知书 once the deadline has passed).
    #[default]
    Rectification,
    /// 催办通知书, quoting the case's last 催办 note.
    Reminder,
    /// 督办通知单 at the case's rung of the escalation ladder.
    Supervision,
}

impl NoticeDoc {
    fn kind(self) -> NoticeKind {
        match self {
            NoticeDoc::Rectification => NoticeKind::Rectification,
            NoticeDoc::Reminder => NoticeKind::Reminder,
            NoticeDoc::Supervision => NoticeKind::Supervision,
        }
    }

    fn name(self) -> &'static str {
        self.kind().name_zh()
    }

    /// What the notice requires of the responsible unit.
    fn required(self) -> Vec<String> {
        match self {
            NoticeDoc::Rectification => vec![
                "立即核查该办件的受理和办理情况，对符合条件的申请当即办结，并向办事群众当面说明情况；".into(),
                "深入分析差评原因，查找制度、流程和作风方面的问题，制定并落实整改措施；".into(),
                "整改完成后将整改情况（含佐证材料）书面报送，并做好回访工作。".into(),
            ],
            NoticeDoc::Reminder => vec![
                "立即组织力量办理，逐项对照群众反映的问题落实整改；".into(),
                "主动联系办事群众说明办理进展，做好解释和回访工作。".into(),
            ],
            NoticeDoc::Supervision => vec![
                "单位主要负责同志亲自过问，明确责任人和完成时限，立即完成整改；".into(),
                "查明逾期原因，对相关责任人员提出处理意见；".into(),
                "整改完成后组织回访，并将整改情况（含佐证材料）书面报送。".into(),
            ],
        }
    }
}

/// The register's kind of a notice: a 整改通知书 while the deadline runs, a 督办整改通知书 once it
/// has passed. A case gets at most one of each from an office; printing it again reprints it.
pub const KIND_RECTIFICATION: &str = "rectification";
pub const KIND_URGING: &str = "urging";
/// The register's kinds of a reminder (`reminder:<how many 催办 before>`) and a supervision sheet
/// (`supervision:<rung>`).
pub const KIND_REMINDER: &str = "reminder";
pub const KIND_SUPERVISION: &str = "supervision";

/// Whether a case in this state may get a notice (`name`: 整改通知书, …), and what it says when not.
fn refusal(case_no: &str, state: CaseState, name: &str) -> Option<String> {
    let why = match state {
        CaseState::New | CaseState::ExclusionRequested => {
            format!("尚未核实，不能出具{name}：请先核实，核实属实并交办后再出具")
        }
        CaseState::Verified => format!("已核实但尚未交办，整改期限未定：请先交办给责任部门，再出具{name}"),
        CaseState::Rectified => format!("已报送整改、等待回访，无需再出具{name}"),
        CaseState::Closed => format!("已办结，无需出具{name}"),
        CaseState::Excluded => "已剔除（恶意差评或误评），无需整改".to_owned(),
        CaseState::Assigned | CaseState::InRectification | CaseState::ExtensionRequested => return None,
    };
    Some(format!("工单 {case_no} {why}"))
}

/// The register kind and the deadline statement a case in a notice-able state gets now.
fn standing(
    case: &hcp_domain::Case,
    calendar: &Calendar,
    policy: &hcp_protocol::JurisdictionPolicy,
    now: DateTime<Utc>,
) -> Option<(&'static str, NoticeStatus)> {
    use hcp_domain::escalation::{deadline_status, DeadlineStatus};
    match deadline_status(case, calendar, &policy.deadlines, &policy.escalation, now) {
        DeadlineStatus::NotRunning => None,
        DeadlineStatus::Paused { due } => Some((KIND_RECTIFICATION, NoticeStatus::Paused { deadline: due })),
        DeadlineStatus::OnTrack { due, working_days_left } | DeadlineStatus::AtRisk { due, working_days_left } => {
            Some((KIND_RECTIFICATION, NoticeStatus::Running { deadline: due, working_days_left }))
        }
        DeadlineStatus::Overdue { due, working_days_overdue } => {
            Some((KIND_URGING, NoticeStatus::Overdue { deadline: due, working_days_overdue }))
        }
    }
}

/// What one case of the selection gets.
enum Planned {
    /// A notice the office already issued: printed again unchanged, with its number.
    Issued(IssuedNotice, Box<NoticeInput>),
    /// A new notice, numbered when first saved or printed.
    New { case_id: i64, kind: String, input: Box<NoticeInput> },
}

/// The notices for a selection, in its order.
struct Plan {
    /// The issuing office (the user's unit) and the year of issue.
    unit_id: i64,
    year: i32,
    items: Vec<Planned>,
}

impl Plan {
    fn new_count(&self) -> usize {
        self.items.iter().filter(|p| matches!(p, Planned::New { .. })).count()
    }
}

fn stored_input(n: &IssuedNotice) -> ApiResult<NoticeInput> {
    serde_json::from_str(&n.content)
        .map_err(|e| ApiError::new(ErrorCode::Replica, format!("本机登记的通知书 {} 无法读取：{e}", n.doc_number)))
}

/// The notices for `case_ids` (in that order): each case's notice as already issued, or a new one
/// stating the case's real state, history and deadline. Nothing is stored.
fn plan(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    doc: NoticeDoc,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<Plan> {
    let name = doc.name();
    if !user.role.may_issue_notices() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("您的角色不出具{name}：{name}由督查人员或大厅负责人出具"),
        ));
    }
    if case_ids.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidInput, format!("请先选择要打印{name}的工单")));
    }
    if case_ids.len() > 200 {
        return Err(ApiError::new(ErrorCode::InvalidInput, format!("一次最多打印 200 份{name}")));
    }
    let actor = cases::actor(user)?;
    let today = hcp_domain::calendar::beijing_date(now);
    let year = today.year();
    let (unit_name, unit_kind) = r.unit(user.unit_id)?.unwrap_or_else(|| (user.unit_name.clone(), "hall".into()));
    let kind = hcp_domain::OrgKind::parse(&unit_kind).unwrap_or(hcp_domain::OrgKind::Hall);
    let mut items = Vec::with_capacity(case_ids.len());
    for id in case_ids {
        let not_found = || ApiError::new(ErrorCode::NotFound, format!("本地没有工单 {id}，请同步后再试"));
        let row = r.case(*id)?.ok_or_else(not_found)?;
        let item = r.case_item(*id)?.ok_or_else(not_found)?;
        let (cal, policy) = cases::jurisdiction(r, calendar, &row.unit_path)?;
        let ctx =
            hcp_domain::PolicyContext { calendar: &cal, deadlines: policy.deadlines, escalation: policy.escalation };
        let case = cases::project(r, *id, &actor, &ctx, now)?.ok_or_else(not_found)?;
        let wanted = match refusal(&item.case_no, case.state, name) {
            Some(why) => Err(why),
            None => standing(&case, &cal, &policy, now)
                .ok_or_else(|| format!("工单 {} 没有正在计算的整改期限，不能出具{name}", item.case_no)),
        };
        // The register's kind: one rectification notice (or its 督办 form) per case; one reminder
        // per 催办; one supervision sheet per rung.
        let last_urge = r.last_urge(*id, crate::board::URGE_EVENT)?;
        let register = match doc {
            NoticeDoc::Rectification => wanted.as_ref().ok().map(|(kind, _)| (*kind).to_owned()),
            NoticeDoc::Reminder => Some(format!("{KIND_REMINDER}:{}", last_urge.as_ref().map_or(0, |u| u.count))),
            NoticeDoc::Supervision => Some(format!("{KIND_SUPERVISION}:{}", case.escalation.as_str())),
        };
        let issued = match (&register, doc) {
            (Some(kind), _) => r.issued_notice(user.unit_id, *id, kind)?,
            // A notice issued earlier can always be printed again, whatever happened since.
            (None, _) => match r.issued_notice(user.unit_id, *id, KIND_URGING)? {
                Some(n) => Some(n),
                None => r.issued_notice(user.unit_id, *id, KIND_RECTIFICATION)?,
            },
        };
        if let Some(n) = issued {
            let input = stored_input(&n)?;
            items.push(Planned::Issued(n, Box::new(input)));
            continue;
        }
        let (rectification_kind, status) = wanted.map_err(|why| ApiError::new(ErrorCode::IllegalState, why))?;
        let notice_kind = register.unwrap_or_else(|| rectification_kind.to_owned());
        let note = match doc {
            NoticeDoc::Reminder => last_urge.and_then(|u| crate::board::urge_info(u).note),
            _ => None,
        };
        let service_record_no = match row.rating_id {
            Some(rid) => r.service_record_no(rid)?,
            None => None,
        };
        let rated_at = match row.rating_id {
            Some(rid) => r.rating_summary(rid)?.map(|s| s.rated_at),
            None => None,
        };
        let service_date = DateTime::parse_from_rfc3339(rated_at.as_deref().unwrap_or(&item.created_at))
            .map(|d| hcp_domain::calendar::beijing_date(d.with_timezone(&Utc)))
            .unwrap_or(today);
        let escalation = (case.escalation != EscalationLevel::FirstLine).then(|| case.escalation.label_zh().to_owned());
        items.push(Planned::New {
            case_id: *id,
            kind: notice_kind,
            input: Box::new(NoticeInput {
                kind: doc.kind(),
                note,
                issuing_unit: hcp_domain::docno::issuing_office_name(kind, &unit_name),
                header_title: None,
                doc_prefix: hcp_domain::docno::abbreviation_candidates(kind, &unit_name, "")
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                doc_year: year,
                doc_no: None,
                title: None,
                recipient_unit: item.department_name.clone().unwrap_or_else(|| item.unit_name.clone()),
                case_no: item.case_no.clone(),
                service_record_no,
                item_name: item.item_name.clone().unwrap_or_else(|| "政务服务".into()),
                service_date,
                level_label: item.level.map_or("投诉".into(), |l| l.label_zh().to_owned()),
                content: item.summary.clone(),
                rectification_required: doc.required(),
                status,
                escalation,
                reopened: case.reopen_count,
                issue_date: today,
                contact: None,
                cc: vec![],
                attachments: case_files(r, *id)?,
                appendix: Vec::new(),
            }),
        });
    }
    Ok(Plan { unit_id: user.unit_id, year, items })
}

/// The evidence files a printed document lists for a case: every file on it but the refused
/// ones, oldest first (pending files too: their hash already identifies them).
pub fn case_files(r: &Replica, case_id: i64) -> ApiResult<Vec<hcp_report::attachments::AttachmentLine>> {
    Ok(r.attachments_of_case(case_id)?
        .into_iter()
        .filter(|a| a.status != hcp_protocol::AttachmentStatus::Refused)
        .map(|a| hcp_report::attachments::AttachmentLine { name: a.name, sha256: a.sha256, size: a.size })
        .collect())
}

/// Gives a new notice the number `n` of its office.
fn numbered(mut input: NoticeInput, n: &DocNumber) -> NoticeInput {
    input.issuing_unit = n.office_name.clone();
    input.doc_prefix = n.abbreviation.clone();
    input.doc_year = n.year;
    input.doc_no = Some(n.number);
    input
}

fn layout_failed(e: hcp_report::ReportError) -> ApiError {
    ApiError::new(ErrorCode::Internal, format!("通知书生成失败：{e}"))
}

/// How many new document numbers the notices for `case_ids` need, for the office `unit_id` and
/// `year`, and how many this laptop holds.
pub struct NumbersNeeded {
    pub unit_id: i64,
    pub year: i32,
    pub needed: u32,
    pub left: u32,
}

pub fn numbers_needed(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    doc: NoticeDoc,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<NumbersNeeded> {
    let p = plan(r, user, doc, case_ids, calendar, now)?;
    Ok(NumbersNeeded {
        unit_id: p.unit_id,
        year: p.year,
        needed: p.new_count() as u32,
        left: r.doc_numbers_left(p.unit_id, p.year)?,
    })
}

/// Page `page` (from 0) of the notices for `case_ids`, as they will print: notices already issued
/// with their numbers, new ones with the numbers they would take next (left blank when this laptop
/// holds none). Nothing is saved and no document number is used up.
pub fn preview(
    r: &Replica,
    user: &hcp_protocol::UserInfo,
    doc: NoticeDoc,
    case_ids: &[i64],
    page: u32,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> ApiResult<NoticePreview> {
    let fonts = fonts()?;
    let p = plan(r, user, doc, case_ids, calendar, now)?;
    let mut next = r.peek_doc_numbers(p.unit_id, p.year, p.new_count())?.into_iter();
    let inputs: Vec<NoticeInput> = p
        .items
        .into_iter()
        .map(|i| match i {
            Planned::Issued(_, input) => *input,
            Planned::New { input, .. } => match next.next() {
                Some(n) => numbered(*input, &n),
                None => *input,
            },
        })
        .collect();
    let pages = hcp_report::notice::pages(fonts, &inputs).map_err(layout_failed)?;
    let page_count = pages.len() as u32;
    if page >= page_count {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("预览只有 {page_count} 页，没有第 {} 页", page + 1),
        ));
    }
    let png = pages.png(fonts, page as usize, PREVIEW_DPI).map_err(layout_failed)?;
    let (width, height) = png_size(&png);
    Ok(NoticePreview {
        page,
        page_count,
        count: inputs.len() as u32,
        image: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png)),
        width,
        height,
    })
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| png.get(at..at + 4).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    (be(16), be(20))
}

/// What the user is told when the laptop's document numbers do not cover the new notices.
pub fn no_numbers_message(needed: u32, left: u32) -> String {
    format!(
        "本机预留的文号不足（需要 {needed} 个，剩余 {left} 个），且现在连不上服务器，无法取得新文号。请联网后再保存或打印：\
         联网同步时系统会自动为本机预留文号，之后离线也能出具通知书。"
    )
}

fn write_pdf(out_dir: &Path, inputs: &[NoticeInput], now: DateTime<Utc>) -> ApiResult<PathBuf> {
    let fonts = fonts()?;
    let pdf = hcp_report::notice::render(fonts, inputs).map_err(layout_failed)?;
    let first = inputs.first().map(|i| i.case_no.clone()).unwrap_or_default();
    let doc = inputs.first().map_or("整改通知书", |i| i.kind.name_zh());
    let stem =
        if inputs.len() == 1 { format!("{doc}-{first}") } else { format!("{doc}-{first}等{}件", inputs.len()) };
    crate::exports::save_new_pdf(out_dir, &stem, now, &pdf)
}

/// Renders the notices for `case_ids` (in that order) into one PDF under `out_dir`. A case's first
/// notice takes the next number of the office's reserved block, once; later saves and prints of
/// it (reprints) keep its number and its text. A failed save uses up no number.
pub fn notices(
    r: &mut Replica,
    user: &hcp_protocol::UserInfo,
    doc: NoticeDoc,
    case_ids: &[i64],
    calendar: &Calendar,
    now: DateTime<Utc>,
    out_dir: &Path,
) -> ApiResult<NoticeFile> {
    let p = plan(r, user, doc, case_ids, calendar, now)?;
    let issued_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // The register's kinds outlive the loop: the new notices borrow them.
    let kinds: Vec<String> = p
        .items
        .iter()
        .map(|i| match i {
            Planned::New { kind, .. } => kind.clone(),
            Planned::Issued(..) => String::new(),
        })
        .collect();
    let mut new = Vec::new();
    let mut slots: Vec<Result<NoticeInput, usize>> = Vec::with_capacity(p.items.len());
    let mut reprinted = Vec::new();
    for (item, register_kind) in p.items.into_iter().zip(&kinds) {
        match item {
            Planned::Issued(n, input) => {
                reprinted.push((n.case_id, n.kind.clone()));
                slots.push(Ok(*input));
            }
            Planned::New { case_id, input, .. } => {
                slots.push(Err(new.len()));
                new.push(NewNotice {
                    case_id,
                    kind: register_kind,
                    issued_at: &issued_at,
                    content: Box::new(move |n: &DocNumber| {
                        let input = numbered(*input, n);
                        (serde_json::to_string(&input).unwrap_or_default(), input.doc_number())
                    }),
                });
            }
        }
    }
    let save = |fresh: &[IssuedNotice]| -> ApiResult<(String, Vec<NoticeInput>)> {
        let fresh: Vec<NoticeInput> = fresh.iter().map(stored_input).collect::<ApiResult<_>>()?;
        let inputs: Vec<NoticeInput> = slots.into_iter().map(|s| s.unwrap_or_else(|i| fresh[i].clone())).collect();
        let path = write_pdf(out_dir, &inputs, now)?;
        Ok((path.display().to_string(), inputs))
    };
    let (path, inputs) = match r.issue_notices(p.unit_id, p.year, new, save) {
        Ok(Ok((_, path, inputs))) => (path, inputs),
        Ok(Err(e)) => return Err(e),
        Err(hcp_replica::ReplicaError::NoDocNumbers { needed, left }) => {
            return Err(ApiError::new(ErrorCode::NoDocNumbers, no_numbers_message(needed, left)))
        }
        Err(e) => return Err(e.into()),
    };
    for (case_id, kind) in reprinted {
        r.note_notice_file(p.unit_id, case_id, &kind, &path)?;
    }
    tracing::info!(count = inputs.len(), "notices saved");
    Ok(NoticeFile {
        path,
        count: inputs.len() as u32,
        doc_numbers: inputs.iter().map(NoticeInput::doc_number).collect(),
    })
}

/// The program that opens a file with the system's handler for its type (whose PDF viewer
/// prints with the system print dialog).
fn open_command() -> Vec<String> {
    if cfg!(target_os = "windows") {
        // `start "" file` opens the file with its associated program.
        vec!["cmd".into(), "/C".into(), "start".into(), String::new()]
    } else if cfg!(target_os = "macos") {
        vec!["open".into()]
    } else {
        vec!["xdg-open".into()]
    }
}

/// The program that prints a PDF: `HCP_PRINT_COMMAND` (a program and its arguments, separated by
/// spaces; the PDF's path is appended), else the system's handler for PDF files.
fn print_command() -> Vec<String> {
    if let Some(cmd) = std::env::var("HCP_PRINT_COMMAND").ok().filter(|c| !c.trim().is_empty()) {
        return cmd.split_whitespace().map(str::to_owned).collect();
    }
    open_command()
}

/// Hands a saved PDF to the system for printing. Waits a few seconds for the program to fail
/// (no PDF viewer, no printer); one still running by then is taken to have opened it.
pub fn send_to_printer(pdf: &Path) -> ApiResult<()> {
    run_print_command(&print_command(), pdf, Purpose::Print)
}

/// Opens a saved document, or the folder that holds it, with the system's programs.
pub fn open_document(path: &Path, folder: bool) -> ApiResult<()> {
    if folder {
        let dir = path.parent().unwrap_or(path);
        run_print_command(&open_command(), dir, Purpose::OpenFolder)
    } else {
        run_print_command(&open_command(), path, Purpose::Open)
    }
}

/// What a program is started for: the words of its errors.
#[derive(Clone, Copy)]
enum Purpose {
    Print,
    Open,
    OpenFolder,
}

impl Purpose {
    fn verb(self) -> &'static str {
        match self {
            Purpose::Print => "打印",
            Purpose::Open => "打开文件",
            Purpose::OpenFolder => "打开所在文件夹",
        }
    }

    /// Where the file is, for doing it by hand.
    fn by_hand(self, target: &Path) -> String {
        match self {
            Purpose::OpenFolder => format!("文件夹位置：{}", target.display()),
            _ => format!(
                "文件已保存在 {}，可手动打开{}",
                target.display(),
                if matches!(self, Purpose::Print) { "打印" } else { "" }
            ),
        }
    }
}

fn run_print_command(cmd: &[String], target: &Path, purpose: Purpose) -> ApiResult<()> {
    let (program, args) = cmd.split_first().ok_or_else(|| ApiError::new(ErrorCode::Internal, "没有可用的打印程序"))?;
    let spawned = std::process::Command::new(program)
        .args(args)
        .arg(target)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            // The details go to the log; the user gets what to do.
            tracing::warn!(error = %e, program, "the print/open program could not be started");
            let missing = e.kind() == std::io::ErrorKind::NotFound;
            return Err(ApiError::new(
                ErrorCode::NoViewer,
                if missing {
                    format!(
                        "未找到可用的打印/查看程序，无法{}。请安装 xdg-utils 和 PDF 阅读器（可请管理员运行 scripts/install-system-deps.sh）。{}",
                        purpose.verb(),
                        purpose.by_hand(target)
                    )
                } else {
                    format!("无法启动打印/查看程序，未能{}。{}", purpose.verb(), purpose.by_hand(target))
                },
            ));
        }
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                tracing::warn!(%status, program, "the print/open program failed");
                return Err(ApiError::new(
                    ErrorCode::NoViewer,
                    format!(
                        "系统未能{}：没有找到可以打开该文件的程序，请安装 PDF 阅读器后重试。{}",
                        purpose.verb(),
                        purpose.by_hand(target)
                    ),
                ));
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, program, "the print/open program's state is unknown");
                return Err(ApiError::new(
                    ErrorCode::NoViewer,
                    format!("无法确认是否已{}。{}", purpose.verb(), purpose.by_hand(target)),
                ));
            }
        }
    }
    tracing::info!(program, "a document was handed to the system");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn the_print_command_gets_the_pdf_and_its_failures_are_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pdf = dir.path().join("整改通知书.pdf");
        std::fs::write(&pdf, b"%PDF-1.7").expect("pdf");
        let log = dir.path().join("printed.txt");
        let script = format!("printf '%s' \"$0\" > {}", log.display());
        run_print_command(&cmd(&["sh", "-c", &script]), &pdf, Purpose::Print).expect("printed");
        assert_eq!(std::fs::read_to_string(&log).expect("log"), pdf.display().to_string());

        let failed = run_print_command(&cmd(&["false"]), &pdf, Purpose::Print).expect_err("a failing viewer");
        assert!(failed.message.starts_with("系统未能打印") && failed.message.contains("整改通知书.pdf"), "{failed:?}");
        assert!(
            !failed.message.contains("exit") && !failed.message.contains("退出码"),
            "no technical noise: {failed:?}"
        );
        // xdg-utils missing on a minimal Debian: a clear Chinese message, not an OS error.
        let missing =
            run_print_command(&cmd(&["/nonexistent/xdg-open"]), &pdf, Purpose::Print).expect_err("no program");
        assert_eq!(missing.code, ErrorCode::NoViewer);
        assert!(
            missing.message.starts_with("未找到可用的打印/查看程序，无法打印") && missing.message.contains("xdg-utils"),
            "{missing:?}"
        );
        assert!(!missing.message.contains("os error") && !missing.message.contains("No such file"), "{missing:?}");
        let folder = run_print_command(&cmd(&["/nonexistent/xdg-open"]), dir.path(), Purpose::OpenFolder)
            .expect_err("no file manager");
        assert!(folder.message.contains("无法打开所在文件夹") && folder.message.contains("文件夹位置"), "{folder:?}");
        assert!(run_print_command(&[], &pdf, Purpose::Open).is_err());
    }

    #[test]
    fn png_sizes_come_from_the_header() {
        let mut png = vec![0u8; 24];
        png[16..20].copy_from_slice(&1191u32.to_be_bytes());
        png[20..24].copy_from_slice(&1684u32.to_be_bytes());
        assert_eq!(png_size(&png), (1191, 1684));
        assert_eq!(png_size(&[]), (0, 0));
    }
}
