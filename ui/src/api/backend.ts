/**
 * The one backend adapter. Every store and view talks to the Rust side through
 * this module, never through `invoke` or `commands` directly.
 *
 * - unwraps tauri-specta `Result`s and throws a typed `BackendError` on error;
 * - turns unexpected failures (IPC missing, serialization) into `BackendError`
 *   with code "internal" so callers only ever catch one type;
 * - reports lost sessions ("session_expired" / "not_logged_in") to a single
 *   handler, installed by the session store, which sends the user to login.
 */
import {
  commands,
  events,
  type ApiError,
  type ErrorCode as ErrorCodeName,
  type AppInfo_Serialize,
  type CaseCommand_Deserialize,
  type CaseDetail_Serialize,
  type CaseListItem_Serialize,
  type CasePage_Serialize,
  type CaseQuery_Deserialize,
  type ChartStyle,
  type OpenTarget,
  type Issued,
  type PrintedFile,
  type NoticeFile,
  type NoticePreview,
  type NoticeDoc,
  type Board_Serialize,
  type Notifications as NotificationsRow,
  type BulkResult,
  type CalendarStatus_Serialize,
  type Assignee as AssigneeRow,
  type DepartmentChoice,
  type RatioView_Serialize,
  type KpiView_Serialize,
  type UnitKpiRow_Serialize,
  type DashboardCharts as GeneratedCharts,
  type FlagItem_Serialize,
  type FlaggedRating_Serialize,
  type Dashboard_Serialize,
  type Evaluator_Serialize,
  type LoginRequest,
  type OutboxItem_Serialize,
  type Session,
  type SyncProgress_Serialize,
  type SyncStatus_Serialize,
  type UnitOption,
  type AboutInfo,
  type AppSettingsView,
  type AppSettingsInput,
  type DiagnosticsFile,
  type ReplicaInfo,
  type EntityRows,
  type LedgerQuery,
  type Ledger_Serialize,
  type ChainCheck,
  type Concentrations_Serialize,
  type NoticeQuery,
  type NoticeKey,
  type NoticeRegister_Serialize,
  type ReprintedFile,
  type FindingOptions as FindingOptionsRow,
  type FindingInput,
  type SaveFilter,
  type UpdateOffer,
  type LeagueOf,
  type LeagueTable_Serialize,
  type LeagueEntry_Serialize,
  type Hotspots,
  type AwardKind,
  type AwardDocument,
  type StarBoard_Serialize,
  type StarLine_Serialize,
  type ScoreSheets_Serialize,
  type ScoreSheet_Serialize,
  type SheetLine,
  type SheetItem_Serialize,
  type ExportedFile as ExportedFileRow,
} from "./bindings";

export type {
  AccountabilityKind,
  AppealDecision,
  AppealState,
  Assignee,
  CaseLead,
  CaseSort,
  CaseSource,
  CaseState,
  CommandKind,
  DepartmentChoice,
  DueWindow,
  EscalationBasis,
  EscalationLevel,
  Stage,
  Issued,
  NoticeDoc,
  NoticeFile,
  NoticePreview,
  BoardStatus,
  PrintedFile,
  Level,
  LoginRequest,
  Role,
  Session,
  StaffOption,
  SyncPhase,
  TimelineEvent,
  UserInfo,
  VerifyOutcome,
  VisitMethod,
} from "./bindings";

// tauri-specta emits a "_Serialize" shape (what Rust sends) and a "_Deserialize" shape (what Rust
// accepts) for each type; the UI works with the exact direction of each value.
export type AppInfo = AppInfo_Serialize;
export type Evaluator = Evaluator_Serialize;
export type { BulkResult, UnitOption };
/** The 设置 page: connection, sync, local data, diagnostics and versions. */
export type { AboutInfo, AppSettingsView, AppSettingsInput, DiagnosticsFile, ReplicaInfo, EntityRows };
/** The update dialog: a newer version the server offers. */
export type { UpdateOffer };
export type CaseListItem = CaseListItem_Serialize;
export type CasePage = CasePage_Serialize;
export type CaseQuery = CaseQuery_Deserialize;
export type SyncProgress = SyncProgress_Serialize;
export type SyncStatus = SyncStatus_Serialize;
export type CaseDetail = CaseDetail_Serialize;
export type OutboxItem = OutboxItem_Serialize;
/** The 督办 board: cases by rung and responsible unit. */
export type Board = Board_Serialize;
export type BoardLevel = Board["levels"][number];
export type BoardUnit = BoardLevel["units"][number];
export type BoardCase = BoardUnit["cases"][number];
/** The header bell's list. */
export type Notifications = NotificationsRow;
export type Notification = Notifications["items"][number];
/** One integrity flag (异常评价线索) as the verification queue shows it. */
export type FlagItem = FlagItem_Serialize;
/** One rating of a flag (the evaluator masked). */
export type FlaggedRating = FlaggedRating_Serialize;
/** A flag's status; `open` is 待核实, the others are the recorded verdicts. */
export type FlagStatus = "open" | FlagVerdict;
/** The verdict on a flag: 核实为虚假评价, 核实为恶意差评 or 核实为正常评价. */
export type FlagVerdict = "confirmed_fake" | "confirmed_malicious" | "dismissed";
/** A command as the UI sends it (`issueCommand`). */
export type CaseCommand = CaseCommand_Deserialize;

type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

// 统计分析 (dashboard): the generated output shapes, under the names the views use.
export type Ratio = RatioView_Serialize;
export type KpiView = KpiView_Serialize;
export type UnitKpiRow = UnitKpiRow_Serialize;
export type DashboardCharts = GeneratedCharts;
export type Dashboard = Dashboard_Serialize;
// 排名考核 (window and staff leagues).
export type { LeagueOf, Hotspots };
export type LeagueTable = LeagueTable_Serialize;
export type LeagueEntry = LeagueEntry_Serialize;
// 服务明星 / 办事能手 and 绩效考核.
export type { AwardKind, AwardDocument, SheetLine };
export type StarBoard = StarBoard_Serialize;
export type StarLine = StarLine_Serialize;
export type ScoreSheets = ScoreSheets_Serialize;
export type ScoreSheet = ScoreSheet_Serialize;
export type SheetItem = SheetItem_Serialize;
export type CalendarStatus = CalendarStatus_Serialize;
export type { ChartStyle, OpenTarget };
/** Charts as on paper: Chinese, light. */
export const DEFAULT_CHART_STYLE: ChartStyle = { language: "zh-CN", theme: "light" };

/**
 * The one closed set of error codes (generated from the Rust `ErrorCode`): the UI switches on
 * these names; anything it does not branch on is shown with its message.
 */
export type ErrorCode = ErrorCodeName;

/** Names of the codes the UI branches on most (each checked against the generated set). */
export const ErrorCode = {
  AuthFailed: "auth_failed",
  Network: "network",
  SessionExpired: "session_expired",
  NotLoggedIn: "not_logged_in",
  Internal: "internal",
  NoDocNumbers: "no_doc_numbers",
} as const satisfies Record<string, ErrorCode>;

export class BackendError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  /** True when the user has to log in again. */
  get isAuthLost(): boolean {
    return this.code === ErrorCode.SessionExpired || this.code === ErrorCode.NotLoggedIn;
  }

  get isNetwork(): boolean {
    return this.code === ErrorCode.Network;
  }
}

export function isBackendError(e: unknown): e is BackendError {
  return e instanceof BackendError;
}

type AuthLostHandler = (error: BackendError) => void;
let authLostHandler: AuthLostHandler | null = null;

/** Installed once by the session store; called when a call reports a lost session. */
export function setAuthLostHandler(handler: AuthLostHandler | null): void {
  authLostHandler = handler;
}

/** Reports a lost session seen outside a call (the background sync's status). */
export function reportAuthLost(error: BackendError): void {
  authLostHandler?.(error);
}

function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === "object" && "code" in e && typeof (e as ApiError).code === "string") {
    const api = e as ApiError;
    return new BackendError(api.code, typeof api.message === "string" ? api.message : String(api.code));
  }
  if (e instanceof Error) return new BackendError(ErrorCode.Internal, e.message);
  return new BackendError(ErrorCode.Internal, String(e));
}

interface CallOptions {
  /** Report auth-lost errors to the handler (off for login/restore/logout). */
  reportAuthLost?: boolean;
}

export async function call<T>(run: () => Promise<Result<T, ApiError>>, opts: CallOptions = {}): Promise<T> {
  let result: Result<T, ApiError>;
  try {
    result = await run();
  } catch (e) {
    throw toBackendError(e);
  }
  if (result.status === "ok") return result.data;
  const err = toBackendError(result.error);
  if ((opts.reportAuthLost ?? true) && err.isAuthLost && authLostHandler) {
    authLostHandler(err);
  }
  throw err;
}

export const backend = {
  async appInfo(): Promise<AppInfo> {
    try {
      return await commands.appInfo();
    } catch (e) {
      throw toBackendError(e);
    }
  },
  sessionRestore(): Promise<Session | null> {
    return call(() => commands.sessionRestore(), { reportAuthLost: false });
  },
  login(req: LoginRequest): Promise<Session> {
    return call(() => commands.login(req), { reportAuthLost: false });
  },
  async logout(): Promise<void> {
    await call(() => commands.logout(), { reportAuthLost: false });
  },
  /** 修改密码 (online only): the server checks the current password and the policy. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await call(() => commands.changePassword(oldPassword, newPassword));
  },
  syncNow(): Promise<SyncStatus> {
    return call(() => commands.syncNow());
  },
  syncStatus(): Promise<SyncStatus> {
    return call(() => commands.syncStatus());
  },
  /** Calls `listener` with each status the sync engine pushes; resolves to the unsubscribe. */
  async onSyncStatus(listener: (status: SyncStatus) => void): Promise<() => void> {
    try {
      return await events.syncStatusChanged.listen((e) => listener(e.payload));
    } catch (e) {
      throw toBackendError(e);
    }
  },
  listCases(query: CaseQuery): Promise<CasePage> {
    return call(() => commands.listCases(query));
  },
  /** The case page: the case with this user's pending commands applied, its timeline, outbox and actions. */
  caseDetail(caseId: number): Promise<CaseDetail> {
    return call(() => commands.caseDetail(caseId));
  },
  /** Validates locally (domain rules) and queues the command; throws the rule's code and Chinese message. */
  issueCommand(caseId: number, command: CaseCommand): Promise<Issued> {
    return call(() => commands.issueCommand(caseId, command));
  },
  /** Every queued (pending) or refused (rejected) command of this user. */
  outbox(): Promise<OutboxItem[]> {
    return call(() => commands.outbox());
  },
  /** 撤销: takes back a queued command no sync has started sending (the last one of its case). */
  async cancelCommand(commandId: string): Promise<void> {
    await call(() => commands.cancelCommand(commandId));
  },
  async discardCommand(commandId: string): Promise<void> {
    await call(() => commands.discardCommand(commandId));
  },
  reissueCommand(commandId: string): Promise<Issued> {
    return call(() => commands.reissueCommand(commandId));
  },
  /** A rating's evaluator, revealed by the server with a reason it records (online only). */
  revealEvaluator(ratingId: number, reason: string): Promise<Evaluator> {
    return call(() => commands.revealEvaluator(ratingId, reason));
  },
  /** The cases' notices of kind `doc` (整改通知书 by default, 催办通知书, 督办通知单), as one PDF saved on disk. */
  printNotices(caseIds: number[], doc: NoticeDoc = "rectification"): Promise<NoticeFile> {
    return call(() => commands.printNotices(doc, caseIds));
  },
  /** Page `page` (from 0) of the cases' notices as a PNG image of the printed page; nothing saved. */
  previewNotices(caseIds: number[], page: number, doc: NoticeDoc = "rectification"): Promise<NoticePreview> {
    return call(() => commands.previewNotices(doc, caseIds, page));
  },
  /** Saves the cases' notices as one PDF and hands it to the system for printing. */
  sendNoticesToPrinter(caseIds: number[], doc: NoticeDoc = "rectification"): Promise<NoticeFile> {
    return call(() => commands.sendNoticesToPrinter(doc, caseIds));
  },
  /** The 督办 board: at-risk, overdue and escalated cases by rung and unit, from the replica (works offline). */
  board(): Promise<Board> {
    return call(() => commands.supervisionBoard());
  },
  /** 升级督办 on several cases: by the overdue rule where due, else one rung up with `reason`; refused cases are listed. */
  bulkEscalate(caseIds: number[], reason: string | null): Promise<BulkResult> {
    return call(() => commands.bulkEscalate(caseIds, reason));
  },
  /** The header bell: the newest notifications and the unread count. */
  notifications(): Promise<Notifications> {
    return call(() => commands.notifications());
  },
  /** Marks notifications read (null: all). */
  markNotificationsRead(ids: string[] | null): Promise<Notifications> {
    return call(() => commands.markNotificationsRead(ids));
  },
  /** Turns the OS notifications on or off. */
  setOsNotifications(enabled: boolean): Promise<Notifications> {
    return call(() => commands.setOsNotifications(enabled));
  },
  /** Opens a saved notice or report (`folder`: the folder holding it) with the system's programs. */
  async openDocument(path: string, folder: boolean): Promise<void> {
    await call(() => commands.openDocument(path, folder));
  },
  /** The department handlers this user may assign cases to. */
  assignees(): Promise<AssigneeRow[]> {
    return call(() => commands.assignees());
  },
  /** The departments this user may assign cases to, each with its handlers (批量交办). */
  assignDepartments(): Promise<DepartmentChoice[]> {
    return call(() => commands.assignDepartments());
  },
  /** The units of the user's jurisdiction, for the inbox's unit filter (works offline). */
  units(): Promise<UnitOption[]> {
    return call(() => commands.units());
  },
  /** 批量交办: queues the assignment of several cases to one handler; refused cases are listed. */
  bulkAssign(caseIds: number[], handlerId: number, departmentId: number): Promise<BulkResult> {
    return call(() => commands.bulkAssign(caseIds, handlerId, departmentId));
  },
  /** 催办 / 批量催办: queues a reminder with one note on each case; refused cases are listed. */
  urgeCases(caseIds: number[], note: string): Promise<BulkResult> {
    return call(() => commands.urgeCases(caseIds, note));
  },
  /** The 月调度通报 (monthly dispatch report) for "YYYY-MM" as a PDF saved on disk. */
  monthlyReport(month: string): Promise<PrintedFile> {
    return call(() => commands.monthlyReport(month));
  },
  /** Opens a saved 月调度通报 ("file") or the folder holding it ("folder") with the system's programs. */
  openReport(path: string, target: OpenTarget): Promise<null> {
    return call(() => commands.openReport(path, target));
  },
  /**
   * 统计分析 for one month ("YYYY-MM"; null: the newest month with data), computed from the offline
   * replica for the user's jurisdiction, the charts drawn in the screen's language and theme.
   */
  dashboard(month: string | null, style: ChartStyle = DEFAULT_CHART_STYLE): Promise<Dashboard> {
    return call(() => commands.dashboard(month, style));
  },
  /** 堵点分析: the themes of the month's bad-review comments (`YYYY-MM`). */
  hotspots(month: string): Promise<Hotspots> {
    return call(() => commands.hotspots(month));
  },
  /** 排名考核: the window or staff league for a month (`2026-11`), a quarter (`2026-Q4`) or a year. */
  league(of: LeagueOf, period: string): Promise<LeagueTable> {
    return call(() => commands.league(of, period));
  },
  /** 服务明星 / 办事能手: the period's candidates and confirmed awards. */
  starBoard(period: string): Promise<StarBoard> {
    return call(() => commands.starBoard(period));
  },
  /** Queues a supervisor's confirmation of a candidate (works offline). */
  confirmAward(period: string, kind: AwardKind, staffId: number): Promise<StarBoard> {
    return call(() => commands.confirmAward(period, kind, staffId));
  },
  /** The period's confirmed awards as the list or the certificates (PDF). */
  printAwards(period: string, what: AwardDocument): Promise<PrintedFile> {
    return call(() => commands.printAwards(period, what));
  },
  /** 绩效考核: the period's score sheets per unit and per member of staff. */
  scoreSheets(period: string): Promise<ScoreSheets> {
    return call(() => commands.scoreSheets(period));
  },
  /** Writes the period's score sheets (XLSX) to `path`. */
  exportScoreSheets(period: string, path: string): Promise<ExportedFileRow> {
    return call(() => commands.exportScoreSheets(period, path));
  },
  /**
   * Whether the official holiday schedule of this year, or from October of next year, is missing
   * from the calendar the server distributed (administrators and supervisors; works offline).
   */
  calendarStatus(): Promise<CalendarStatus> {
    return call(() => commands.calendarStatus());
  },
  /**
   * The integrity-flag queue (异常评价线索) of the user's jurisdiction from the offline replica, with
   * this user's queued verdicts; `status` filters by one status, null lists all (works offline).
   */
  integrityFlags(status: FlagStatus | null): Promise<FlagItem[]> {
    return call(() => commands.integrityFlags(status));
  },
  /** The 设置 page's settings: server address, sync interval, data folder. */
  appSettings(): Promise<AppSettingsView> {
    return call(() => commands.appSettings());
  },
  /** Saves the server address (next sign-in) and the sync interval (null: the default). */
  saveAppSettings(input: AppSettingsInput): Promise<AppSettingsView> {
    return call(() => commands.saveAppSettings(input));
  },
  /** Asks the server at `serverUrl` for its health check; resolves to its version. */
  checkServer(serverUrl: string): Promise<string> {
    return call(() => commands.checkServer(serverUrl));
  },
  /** What the local replica holds (size, rows per kind, sync position, unsent actions). */
  replicaInfo(): Promise<ReplicaInfo> {
    return call(() => commands.replicaInfo());
  },
  /** Downloads the whole jurisdiction again at the next sync (started at once). */
  async redownloadReplica(): Promise<void> {
    await call(() => commands.redownloadReplica());
  },
  /** Signs out and erases the local replica, its key and the offline sign-in. */
  async eraseReplica(discardUnsent: boolean): Promise<void> {
    await call(() => commands.eraseReplica(discardUnsent), { reportAuthLost: false });
  },
  /** Writes a diagnostics file (no personal data) into the data folder. */
  exportDiagnostics(): Promise<DiagnosticsFile> {
    return call(() => commands.exportDiagnostics());
  },
  /** The app's and the server's versions. */
  about(): Promise<AboutInfo> {
    return call(() => commands.about());
  },
  /** Queues the verdict on a flag with the notes (核实情况, 2–500 chars); returns the flag as the queue now shows it. */
  decideFlag(flagId: number, verdict: FlagVerdict, note: string): Promise<FlagItem> {
    return call(() => commands.decideFlag(flagId, verdict, note));
  },
  /** Asks the server whether a newer version of the app is offered (null: none). */
  checkUpdate(): Promise<UpdateOffer | null> {
    return call(() => commands.checkUpdate(), { reportAuthLost: false });
  },
  /** Installs the offered update (only after the user agreed); the app restarts when it is done. */
  async installUpdate(): Promise<void> {
    await call(() => commands.installUpdate(), { reportAuthLost: false });
  },
};

/** 问责 register (works offline). */
export type Ledger = Ledger_Serialize;
export type LedgerCase = Ledger["cases"][number];
export type LedgerDecision = LedgerCase["decisions"][number];
export type ChainBadge = LedgerDecision["badge"];
export type Concentrations = Concentrations_Serialize;
export type Concentration = Concentrations["staff"][number];
export type NoticeRegister = NoticeRegister_Serialize;
export type NoticeEntry = NoticeRegister["items"][number];
export type FindingOptions = FindingOptionsRow;
export type { LedgerQuery, ChainCheck, NoticeQuery, NoticeKey, ReprintedFile, FindingInput, SaveFilter };

/** The 问责 register, the 通知书 centre and 监督检查发现 (issue 19). */
export const ledgerBackend = {
  /** The accountability register from the replica, with the user's queued decisions and the cached chain check. */
  accountabilityRegister(query: LedgerQuery): Promise<Ledger> {
    return call(() => commands.accountabilityRegister(query));
  },
  /** Asks the server to verify the evidence chain (online); the answer is cached for offline badges. */
  verifyEvidenceChain(): Promise<ChainCheck> {
    return call(() => commands.verifyEvidenceChain());
  },
  /** 差评比较集中的部门和人员 between two months ("YYYY-MM"). */
  concentrations(from: string, to: string, minCount: number): Promise<Concentrations> {
    return call(() => commands.badReviewConcentrations(from, to, minCount));
  },
  /** The 问责决定记录 of a case as a PDF in the reports folder. */
  accountabilityRecord(caseId: number, withPhotos: boolean): Promise<PrintedFile> {
    return call(() => commands.accountabilityRecord(caseId, withPhotos));
  },
  /** The notices issued on this laptop, filtered. */
  noticeRegister(query: NoticeQuery): Promise<NoticeRegister> {
    return call(() => commands.noticeRegister(query));
  },
  /** 重新打印: the same 文号 and text, one PDF; `print` hands it to the printer. */
  reprintNotices(keys: NoticeKey[], print: boolean): Promise<ReprintedFile> {
    return call(() => commands.reprintNotices(keys, print));
  },
  /** Opens a registered notice (or its folder), rendering it again when its file is gone. */
  async openRegisteredNotice(key: NoticeKey, folder: boolean): Promise<void> {
    await call(() => commands.openRegisteredNotice(key, folder));
  },
  noticeFileName(keys: NoticeKey[]): Promise<string> {
    return call(() => commands.noticeFileName(keys));
  },
  /** The save dialog (null: the user cancelled). */
  chooseSavePath(suggestedName: string, filters: SaveFilter[]): Promise<string | null> {
    return call(() => commands.chooseSavePath(suggestedName, filters));
  },
  saveNoticesAs(keys: NoticeKey[], path: string): Promise<ReprintedFile> {
    return call(() => commands.saveNoticesAs(keys, path));
  },
  /** The 监督检查发现 form's choices (supervisors; works offline). */
  findingOptions(): Promise<FindingOptions> {
    return call(() => commands.findingOptions());
  },
  /** Queues a 监督检查发现 as a new supervision case (works offline). */
  createFinding(input: FindingInput): Promise<Issued> {
    return call(() => commands.createFinding(input));
  },
};

export type Backend = typeof backend;
