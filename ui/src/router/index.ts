import { createRouter, createWebHashHistory, type Router, type RouteRecordRaw } from "vue-router";
import type { Component } from "vue";
import { homeFor, MENU, menuAllows, type MenuKey, type ModuleKey } from "./menu";
import type { Role } from "@/api/backend";
import { useSessionStore } from "@/stores/session";

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without a session (the login page). */
    public?: boolean;
    /** Menu key: title, breadcrumb and highlighted menu entry. */
    module?: ModuleKey;
    /** The roles that may open the page; every role when absent. */
    roles?: readonly Role[];
  }
}

export const HOME = "/cases";

type Lazy = () => Promise<Component | { default: Component }>;

/** The screen of every menu entry. */
const SCREENS: Record<MenuKey, Lazy> = {
  workbench: () => import("@/views/workbench/WorkbenchView.vue"),
  cases: () => import("@/views/cases/CaseInbox.vue"),
  statistics: () => import("@/views/stats/StatsView.vue"),
  rankings: () => import("@/views/rankings/RankingsView.vue"),
  integrity: () => import("@/views/integrity/IntegrityQueuePage.vue"),
  settings: () => import("@/views/settings/SettingsView.vue"),
  supervision: () => import("@/views/supervision/SupervisionBoard.vue"),
  admin: () => import("@/views/admin/AdminView.vue"),
  audit: () => import("@/views/audit/AuditView.vue"),
  accountability: () => import("@/views/accountability/AccountabilityView.vue"),
  notices: () => import("@/views/notices/NoticeCentre.vue"),
  selfAssessment: () => import("@/views/selfassessment/SelfAssessmentView.vue"),
};

export const routes: RouteRecordRaw[] = [
  {
    path: "/login",
    name: "login",
    component: () => import("@/views/login/LoginView.vue"),
    meta: { public: true },
  },
  {
    path: "/",
    component: () => import("@/layout/MainLayout.vue"),
    redirect: () => homeFor(useSessionStore().user?.role),
    children: [
      ...MENU.map(
        (m): RouteRecordRaw => ({ path: m.path.slice(1), name: m.key, component: SCREENS[m.key], meta: { module: m.key, roles: m.roles } }),
      ),
      { path: "outbox", name: "outbox", component: () => import("@/views/outbox/OutboxPage.vue"), meta: { module: "outbox" } },
      { path: "dashboard", redirect: "/workbench" },
      { path: "statistics", redirect: "/stats" },
    ],
  },
  { path: "/:pathMatch(.*)*", redirect: HOME },
];

export function createAppRouter(): Router {
  const router = createRouter({
    history: createWebHashHistory(),
    routes,
  });

  router.beforeEach(async (to) => {
    if (to.meta.public) return true;
    const session = useSessionStore();
    if (!session.loggedIn) await session.ensureRestored();
    if (!session.loggedIn) {
      return to.fullPath === HOME || to.fullPath === "/"
        ? { name: "login" }
        : { name: "login", query: { redirect: to.fullPath } };
    }
    // A page the user's role may not open (a stale link, another user's redirect): go home.
    if (!menuAllows({ roles: to.meta.roles }, session.user?.role)) return HOME;
    return true;
  });

  return router;
}
