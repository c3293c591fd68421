import { createPinia, setActivePinia, type Pinia } from "pinia";
import ElementPlus from "element-plus";
import { createMemoryHistory, createRouter, type Router, type RouteRecordRaw } from "vue-router";
import { defineComponent, h } from "vue";
import { i18n } from "@/i18n";
import type { CaseListItem, Session, SyncStatus } from "@/api/backend";

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
    progress: null,
    bootstrapped: true,
    ...overrides,
  };
}

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
    staffName: "李明",
    ...overrides,
  };
}
