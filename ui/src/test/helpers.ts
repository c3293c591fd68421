import { createPinia, setActivePinia, type Pinia } from "pinia";
import ElementPlus from "element-plus";
import { createMemoryHistory, createRouter, type Router, type RouteRecordRaw } from "vue-router";
import { defineComponent, h } from "vue";
import { i18n } from "@/i18n";
import type {
  Assignee,
  CaseDetail,
  CaseListItem,
  CaseState,
  DepartmentChoice,
  FlaggedRating,
  FlagItem,
  OutboxItem,
  Session,
  StaffOption,
  Stage,
  SyncStatus,
  TimelineEvent,
} from "@/api/backend";

const Blank = defineComponent({ name: "Blank", render: () => h("div", { "data-testid": "blank" }) });

export function testRouter(extra: RouteRecordRaw[] = []): Router {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: "/login", name: "login", component: Blank, meta: { public: true } },
      { path: "/cases", name: "cases", component: Blank, meta: { module: "cases" } },
      ...extra,
      { path: "/:p(.*)*", component: Blank },
    ],
  });
}

export interface TestEnv {
  pinia: Pinia;
  router: Router;
  global: { plugins: unknown[] };
}

/** Fresh Pinia + router; Element Plus and the app's i18n (reset to zh-CN). */
export function testEnv(extraRoutes: RouteRecordRaw[] = []): TestEnv {
  const pinia = createPinia();
  setActivePinia(pinia);
  i18n.global.locale.value = "zh-CN";
  const router = testRouter(extraRoutes);
  return { pinia, router, global: { plugins: [pinia, i18n, ElementPlus, router] } };
}

export const flush = () => new Promise<void>((r) => setTimeout(r, 0));

export async function settle(times = 4) {
  for (let i = 0; i < times; i++) await flush();
}

export function session(overrides: Partial<Session["user"]> = {}): Session {
  return {
    serverUrl: "https://hcp.example.test",
    user: {
      id: 7,
      username: "wangfang",
      displayName: "王芳",
      role: "hall_manager",
      unitId: 3201,
      unitName: "玄武区政务服务中心",
      ...overrides,
    },
    offline: false,
  };
}

export function syncStatus(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    online: true,
    phase: "idle",
    lastSyncAt: "2026-11-21T09:05:07+08:00",
    cursor: 100,
    pending: 0,
    rejected: 0,
    message: null,
    code: null,
    progress: null,
    bootstrapped: true,
    ...overrides,
  };
}

/** The stage whose deadline a case in each state shows (the domain's `CaseState::stage`). */
const STAGE_OF: Record<CaseState, Stage | null> = {
  new: "verify",
  exclusion_requested: "verify",
  verified: "verify",
  assigned: "accept",
  in_rectification: "rectify",
  extension_requested: "rectify",
  rectified: "return_visit",
  closed: null,
  excluded: null,
};

export function caseItem(id: number, overrides: Partial<CaseListItem> = {}): CaseListItem {
  return {
    id,
    caseNo: `CP2026112100${String(id).padStart(2, "0")}`,
    source: "bad_review",
    state: "new",
    level: "very_dissatisfied",
    channel: 4,
    unitId: 3201,
    unitName: "玄武区政务服务中心",
    departmentName: "市场监管局",
    itemName: "食品经营许可",
    summary: "窗口人员态度冷淡",
    createdAt: "2026-11-21T08:30:00+08:00",
    deadline: "2026-11-28",
    deadlineProvisional: false,
    staffName: "李明",
    escalation: "first_line",
    deadlineRunning: !["extension_requested", "closed", "excluded"].includes(overrides.state ?? "new"),
    deadlineStage: STAGE_OF[overrides.state ?? "new"],
    ...overrides,
  };
}

export function handlers(): Assignee[] {
  return [
    { userId: 41, name: "周强", departmentId: 300, departmentName: "市场监管局" },
    { userId: 42, name: "陈静", departmentId: 301, departmentName: "人社局" },
    { userId: 43, name: "吴磊", departmentId: 300, departmentName: "市场监管局" },
  ];
}

/** The departments of `handlers()`, plus one without a handler. */
export function departments(): DepartmentChoice[] {
  const hs = handlers();
  return [
    { id: 300, name: "市场监管局", handlers: hs.filter((h) => h.departmentId === 300) },
    { id: 301, name: "人社局", handlers: hs.filter((h) => h.departmentId === 301) },
    { id: 302, name: "税务局", handlers: [] },
  ];
}

/** Staff of the roster, as the accountability picker lists them. */
export function staffOptions(): StaffOption[] {
  return [
    { id: 50, name: "李明", employeeNo: "GH00029", unit: "市场监管局 1号窗口" },
    { id: 51, name: "王芳", employeeNo: "GH00030", unit: "人社局 3号窗口" },
  ];
}

export function timelineEvent(kind: string, details: Record<string, unknown> = {}, overrides: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    kind,
    actorName: "王芳",
    at: "2026-11-21T09:00:00+08:00",
    details: JSON.stringify({ kind, ...details }),
    pending: false,
    files: [],
    ...overrides,
  };
}

export function outboxItem(seq: number, overrides: Partial<OutboxItem> = {}): OutboxItem {
  return {
    seq,
    commandId: `cmd-${seq}`,
    caseId: 1,
    baseVersion: 3,
    kind: "verify",
    command: JSON.stringify({ type: "verify", outcome: "genuine", reason: "" }),
    createdAt: "2026-11-21T10:00:00+08:00",
    status: "pending",
    code: null,
    message: null,
    attempts: 0,
    cancellable: true,
    ...overrides,
  };
}

export function caseDetail(id: number, overrides: Partial<CaseDetail> = {}, item: Partial<CaseListItem> = {}): CaseDetail {
  return {
    item: caseItem(id, item),
    rating: null,
    mayRevealEvaluator: true,
    version: 3,
    escalation: "first_line",
    appeal: "none",
    realName: true,
    excludedFromStats: false,
    workingDaysLeft: 4,
    available: ["verify"],
    events: [timelineEvent("created", { source: "bad_review", real_name: true, summary: "x" })],
    outbox: [],
    handlers: handlers(),
    departments: departments(),
    escalationNext: "coordination_office",
    escalationDue: null,
    maxExtensionDays: 10,
    staff: [],
    integrityLeads: [],
    ...overrides,
  };
}

export function flaggedRating(ratingId: number, overrides: Partial<FlaggedRating> = {}): FlaggedRating {
  return {
    ratingId,
    level: "very_satisfied",
    ratedAt: "2026-11-20T10:0" + (ratingId % 10) + ":00+08:00",
    channel: 3,
    serviceRecordNo: `BJ2026112000${ratingId}`,
    itemName: "食品经营许可",
    staffName: "李明",
    comment: "服务很好",
    evaluatorMasked: "张*（138****5678）",
    ...overrides,
  };
}

/** An open integrity flag (异常评价线索) the user may decide, with two ratings in the replica. */
export function flagItem(id: number, overrides: Partial<FlagItem> = {}): FlagItem {
  return {
    id,
    unitName: "玄武区政务服务中心",
    kind: "burst_same_device",
    kindLabel: "同一设备集中评价",
    severity: "high",
    explanation: "同一设备在 10 分钟内提交了 2 条非常满意评价",
    ratings: [flaggedRating(id * 10 + 1), flaggedRating(id * 10 + 2)],
    missingRatings: 0,
    status: "open",
    decidedByName: null,
    decidedAt: null,
    decisionNote: null,
    detectedAt: "2026-11-20T11:00:00+08:00",
    pendingVerdict: null,
    mayDecide: true,
    ...overrides,
  };
}
