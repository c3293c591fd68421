/**
 * The adapter of 系统管理 (administration), the audit trail, the table exports and the save dialog:
 * the same `call` wrapper as `backend` (typed `BackendError`s, lost sessions reported), kept in its
 * own module so the administration screens' calls live together.
 */
import {
  commands,
  type AccountInput_Serialize,
  type AdminAccount,
  type AdminItem_Serialize,
  type AdminStaff_Serialize,
  type AdminUnit_Serialize,
  type AuditEntry,
  type AuditFilter_Serialize,
  type AuditPage_Serialize,
  type CalendarImportPreview_Serialize,
  type CalendarImported,
  type CalendarOverview_Serialize,
  type CaseQuery_Deserialize,
  type DeliveryState,
  type HotlineDelivery_Serialize,
  type HotlinePage_Serialize,
  type ExportFormat,
  type ExportedFile,
  type ItemInput_Serialize,
  type PolicyForm_Serialize,
  type StaffInput_Serialize,
  type UnitInput_Serialize,
} from "./bindings";
import { call } from "./backend";

// The exact shapes each way (tauri-specta also emits a looser union under the plain name).
export type AccountInput = AccountInput_Serialize;
export type AdminItem = AdminItem_Serialize;
export type AdminStaff = AdminStaff_Serialize;
export type AdminUnit = AdminUnit_Serialize;
export type AuditFilter = AuditFilter_Serialize;
export type AuditPage = AuditPage_Serialize;
export type CalendarImportPreview = CalendarImportPreview_Serialize;
export type CalendarOverview = CalendarOverview_Serialize;
export type ItemInput = ItemInput_Serialize;
export type PolicyForm = PolicyForm_Serialize;
export type StaffInput = StaffInput_Serialize;
export type UnitInput = UnitInput_Serialize;
export type { AdminAccount, AuditEntry, CalendarImported, ExportFormat, ExportedFile };
export type HotlineDelivery = HotlineDelivery_Serialize;
export type HotlinePage = HotlinePage_Serialize;
export type { DeliveryState };
export type CalendarYearView = CalendarOverview["years"][number];

/** The file types a table export offers, with the save dialog's filter for each. */
export const EXPORT_FILTERS: Record<ExportFormat, { name: string; extensions: string[] }> = {
  csv: { name: "CSV", extensions: ["csv"] },
  xlsx: { name: "Excel", extensions: ["xlsx"] },
};

export const adminBackend = {
  units(): Promise<AdminUnit[]> {
    return call(() => commands.adminUnits());
  },
  saveUnit(input: UnitInput): Promise<AdminUnit> {
    return call(() => commands.adminSaveUnit(input));
  },
  /** Deactivates (已停用) or reactivates a unit; the server refuses while anything lives below it. */
  setUnitActive(unitId: number, active: boolean): Promise<AdminUnit> {
    return call(() => commands.adminSetUnitActive(unitId, active));
  },
  /** Moves a unit, with everything below it, under another unit. */
  moveUnit(unitId: number, parentId: number): Promise<AdminUnit> {
    return call(() => commands.adminMoveUnit(unitId, parentId));
  },
  staff(): Promise<AdminStaff[]> {
    return call(() => commands.adminStaff());
  },
  saveStaff(input: StaffInput): Promise<AdminStaff> {
    return call(() => commands.adminSaveStaff(input));
  },
  accounts(): Promise<AdminAccount[]> {
    return call(() => commands.adminAccounts());
  },
  saveAccount(input: AccountInput): Promise<AdminAccount> {
    return call(() => commands.adminSaveAccount(input));
  },
  items(): Promise<AdminItem[]> {
    return call(() => commands.adminItems());
  },
  saveItem(input: ItemInput): Promise<AdminItem> {
    return call(() => commands.adminSaveItem(input));
  },
  calendar(): Promise<CalendarOverview> {
    return call(() => commands.adminCalendar());
  },
  /** What importing the pasted notice would change; nothing is sent. */
  previewCalendarYear(text: string): Promise<CalendarImportPreview> {
    return call(() => commands.adminPreviewCalendarYear(text));
  },
  importCalendarYear(text: string): Promise<CalendarImported> {
    return call(() => commands.adminImportCalendarYear(text));
  },
  policy(unitId: number): Promise<PolicyForm> {
    return call(() => commands.adminPolicy(unitId));
  },
  savePolicy(form: PolicyForm): Promise<PolicyForm> {
    return call(() => commands.adminSavePolicy(form));
  },
  /** A page of the audit trail (online only). */
  auditTrail(filter: AuditFilter): Promise<AuditPage> {
    return call(() => commands.auditTrail(filter));
  },
  /** Asks where to save `suggestedName` (null: the user cancelled). */
  chooseSavePath(suggestedName: string, format: ExportFormat): Promise<string | null> {
    return call(() => commands.chooseSavePath(suggestedName, [EXPORT_FILTERS[format]]));
  },
  exportCases(query: CaseQuery_Deserialize, format: ExportFormat, path: string): Promise<ExportedFile> {
    return call(() => commands.exportCases(query, format, path));
  },
  exportStats(month: string, format: ExportFormat, path: string): Promise<ExportedFile> {
    return call(() => commands.exportStats(month, format, path));
  },
  exportAudit(filter: AuditFilter, format: ExportFormat, path: string): Promise<ExportedFile> {
    return call(() => commands.exportAudit(filter, format, path));
  },
  /** The month's 定期公开 table from the server (suppressed, no personal data) saved at `path`. */
  saveDisclosure(month: string, format: ExportFormat, path: string): Promise<ExportedFile> {
    return call(() => commands.saveDisclosure(month, format, path));
  },
  /** A page of the callbacks to the 12345 hotline (12345回传), optionally of one state; online only. */
  hotlineDeliveries(state: DeliveryState | null, before: number | null): Promise<HotlinePage> {
    return call(() => commands.hotlineDeliveries(state, before));
  },
  /** Retries a failed callback now (audited by the server). */
  hotlineRetry(deliveryId: number): Promise<HotlineDelivery> {
    return call(() => commands.hotlineRetry(deliveryId));
  },
};

export type AdminBackend = typeof adminBackend;
