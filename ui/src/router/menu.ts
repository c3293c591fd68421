// The left navigation, by task. 工作台, 差评工单, 异常评价线索, 督办, 问责, 统计分析, 排名考核, 通知书 and 设置 are built in this version.
import type { Component } from "vue";
import { AlarmClock, DataAnalysis, Document, EditPen, Monitor, Printer, Setting, Stamp, Tickets, Tools, Trophy, WarningFilled } from "@element-plus/icons-vue";
import type { Role } from "@/api/backend";

export type ModuleKey =
  | "workbench"
  | "cases"
  | "supervision"
  | "accountability"
  | "statistics"
  | "rankings"
  | "integrity"
  | "notices"
  | "settings"
  | "admin"
  | "audit"
  | "selfAssessment"
  /** Not in the menu: reached from the status bar's 待同步 / 被拒绝 counts. */
  | "outbox";

export type MenuKey = Exclude<ModuleKey, "outbox">;

export interface MenuEntry {
  key: MenuKey;
  path: string;
  icon: Component;
  ready: boolean;
  /** The roles that see the entry (and may open its page); every role when absent. */
  roles?: readonly Role[];
}

/** Who may view the integrity-flag queue (异常评价线索); the backend refuses the others. */
export const INTEGRITY_VIEW_ROLES: readonly Role[] = ["hall_manager", "supervisor", "discipline_liaison"];
/** Who may record a verdict on a flag (the backend also sends `mayDecide` per flag). */
export const INTEGRITY_DECIDE_ROLES: readonly Role[] = ["hall_manager", "supervisor"];
/** Who works the 督办 board (the Rust side refuses everyone else); a hall manager sees the hall's part. */
export const BOARD_ROLES: readonly Role[] = ["supervisor", "hall_manager"];
/** Who publishes the official 月调度通报 (the Rust side refuses everyone else: Role::may_publish_monthly_report). */
/** The roles the workbench warns that next year's holiday schedule is missing from the calendar. */
export const CALENDAR_STATUS_ROLES: readonly Role[] = ["administrator", "supervisor"];
export const MONTHLY_REPORT_ROLES: readonly Role[] = ["supervisor"];
/** 系统管理: administrators only (the server refuses everyone else). */
export const ADMIN_ROLES: readonly Role[] = ["administrator"];
/** 审计日志: who may read the audit trail (GET /api/v1/audit). */
export const AUDIT_ROLES: readonly Role[] = ["supervisor", "discipline_liaison", "administrator"];
/** 定期公开: who may export the month's public disclosure (GET /api/v1/disclosure). */
export const DISCLOSURE_ROLES: readonly Role[] = ["supervisor", "administrator"];
/**
 * Who opens the 问责 register: the liaison who records decisions (CommandKind::RecordAccountability)
 * and the supervision office; the server verifies the evidence chain for those roles only (a hall
 * manager reads a decision in the case's timeline).
 */
export const LEDGER_ROLES: readonly Role[] = ["discipline_liaison", "supervisor"];
/** Who issues notices under an office's 文号 and so has a notice register (Role::may_issue_notices). */
export const NOTICE_ROLES: readonly Role[] = ["supervisor", "hall_manager"];

/**
 * 自我评价: hall managers fill in their hall's, supervisors review them; supervisors and
 * administrators import third-party survey results (the 第三方评价 tab).
 */
export const SELF_ASSESSMENT_ROLES: readonly Role[] = ["hall_manager", "supervisor", "administrator"];

export const MENU: MenuEntry[] = [
  { key: "workbench", path: "/workbench", icon: Monitor, ready: true },
  { key: "cases", path: "/cases", icon: Tickets, ready: true },
  { key: "integrity", path: "/integrity", icon: WarningFilled, ready: true, roles: INTEGRITY_VIEW_ROLES },
  { key: "supervision", path: "/supervision", icon: AlarmClock, ready: true, roles: BOARD_ROLES },
  { key: "accountability", path: "/accountability", icon: Stamp, ready: true, roles: LEDGER_ROLES },
  { key: "statistics", path: "/stats", icon: DataAnalysis, ready: true },
  { key: "rankings", path: "/rankings", icon: Trophy, ready: true },
  { key: "notices", path: "/notices", icon: Printer, ready: true, roles: NOTICE_ROLES },
  { key: "settings", path: "/settings", icon: Setting, ready: true },
  { key: "admin", path: "/admin", icon: Tools, ready: true, roles: ADMIN_ROLES },
  { key: "audit", path: "/audit", icon: Document, ready: true, roles: AUDIT_ROLES },
  { key: "selfAssessment", path: "/self-assessment", icon: EditPen, ready: true, roles: SELF_ASSESSMENT_ROLES },
];

/** Whether a user with `role` sees the entry (nobody signed in: only the entries open to every role). */
export function menuAllows(entry: Pick<MenuEntry, "roles">, role: Role | null | undefined): boolean {
  return !entry.roles || (!!role && entry.roles.includes(role));
}

/** Where a user lands after signing in: administrators on 系统管理, everyone else on the inbox. */
export function homeFor(role: Role | null | undefined): string {
  return role === "administrator" ? "/admin" : "/cases";
}

/** The menu as a user with `role` sees it. */
export function menuFor(role: Role | null | undefined): MenuEntry[] {
  return MENU.filter((m) => menuAllows(m, role));
}
