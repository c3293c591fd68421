import { createRouter, createWebHashHistory, type Router, type RouteRecordRaw } from "vue-router";
import { MENU, type ModuleKey } from "./menu";
import { useSessionStore } from "@/stores/session";

declare module "vue-router" {
  interface RouteMeta {
    /** Reachable without a session (the login page). */
    public?: boolean;
    /** Menu key: title, breadcrumb and highlighted menu entry. */
    module?: ModuleKey;
  }
}

export const HOME = "/cases";

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
    redirect: HOME,
    children: MENU.map((m) => ({
      path: m.path.slice(1),
      name: m.key,
      component: m.ready
        ? () => import("@/views/cases/CaseInbox.vue")
        : () => import("@/views/placeholder/ComingSoon.vue"),
      meta: { module: m.key },
      props: m.ready ? false : { module: m.key },
    })),
  },
  { path: "/:pathMatch(.*)*", redirect: HOME },
];

/** Only `cases` is ready today; keep the mapping explicit when more modules arrive. */
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
    return true;
  });

  return router;
}
