import { afterEach, describe, expect, it, vi } from "vitest";
import { createPinia, setActivePinia } from "pinia";
import { INTEGRITY_DECIDE_ROLES, BOARD_ROLES, INTEGRITY_VIEW_ROLES, LEDGER_ROLES, MENU, NOTICE_ROLES, homeFor, menuFor } from "@/router/menu";
import { createAppRouter } from "@/router";
import { useSessionStore } from "@/stores/session";
import { session } from "@/test/helpers";
import type { Role } from "@/api/backend";

describe("menu", () => {
  afterEach(() => vi.restoreAllMocks());

  it("has a ready 异常评价线索 entry at /integrity for the roles that may view the queue", () => {
    expect(MENU.find((m) => m.key === "integrity")).toMatchObject({ path: "/integrity", ready: true });
    expect(INTEGRITY_VIEW_ROLES).toEqual(["hall_manager", "supervisor", "discipline_liaison"]);
    expect(INTEGRITY_DECIDE_ROLES).toEqual(["hall_manager", "supervisor"]);
    const sees = (role: Role) => menuFor(role).some((m) => m.key === "integrity");
    expect((["hall_manager", "supervisor", "discipline_liaison"] as Role[]).every(sees)).toBe(true);
    expect((["department_handler", "staff_member", "administrator"] as Role[]).some(sees)).toBe(false);
    expect(menuFor(null).some((m) => m.key === "integrity")).toBe(false);
    // The entries for everybody stay for everybody.
    expect(menuFor("staff_member").map((m) => m.key)).toEqual(
      MENU.filter((m) => !["integrity", "supervision", "admin", "audit", "accountability", "notices", "selfAssessment"].includes(m.key)).map((m) => m.key),
    );
  });

  it("has 系统管理 for administrators and 审计日志 for the oversight roles; administrators land on 系统管理", () => {
    const keys = (role: Role) => menuFor(role).map((m) => m.key);
    expect(keys("administrator")).toEqual(expect.arrayContaining(["admin", "audit"]));
    expect(keys("supervisor")).toContain("audit");
    expect(keys("discipline_liaison")).toContain("audit");
    expect(keys("supervisor")).not.toContain("admin");
    for (const role of ["hall_manager", "department_handler", "staff_member"] as Role[]) {
      expect(keys(role)).not.toContain("admin");
      expect(keys(role)).not.toContain("audit");
    }
    expect(homeFor("administrator")).toBe("/admin");
    expect(homeFor("hall_manager")).toBe("/cases");
    expect(homeFor(null)).toBe("/cases");
  });

  it("has 自我评价 for hall managers, supervisors and (for the survey import) administrators", () => {
    expect(MENU.find((m) => m.key === "selfAssessment")).toMatchObject({ path: "/self-assessment", ready: true });
    const sees = (role: Role) => menuFor(role).some((m) => m.key === "selfAssessment");
    expect((["hall_manager", "supervisor", "administrator"] as Role[]).every(sees)).toBe(true);
    expect((["department_handler", "staff_member", "discipline_liaison"] as Role[]).some(sees)).toBe(false);
  });

  it("has a ready 督办 board for supervisors and hall managers only", () => {
    expect(MENU.find((m) => m.key === "supervision")).toMatchObject({ path: "/supervision", ready: true });
    expect(BOARD_ROLES).toEqual(["supervisor", "hall_manager"]);
    const sees = (role: Role) => menuFor(role).some((m) => m.key === "supervision");
    expect((["supervisor", "hall_manager"] as Role[]).every(sees)).toBe(true);
    expect((["department_handler", "staff_member", "administrator", "discipline_liaison"] as Role[]).some(sees)).toBe(false);
  });

  it("opens 问责 to liaisons and supervisors and 通知书 to the roles that issue notices; no entry is a placeholder", () => {
    expect(MENU.every((m) => m.ready)).toBe(true);
    expect(LEDGER_ROLES).toEqual(["discipline_liaison", "supervisor"]);
    expect(NOTICE_ROLES).toEqual(["supervisor", "hall_manager"]);
    const keys = (role: Role) => menuFor(role).map((m) => m.key);
    expect(keys("discipline_liaison")).toContain("accountability");
    expect(keys("discipline_liaison")).not.toContain("notices");
    expect(keys("supervisor")).toEqual(expect.arrayContaining(["accountability", "notices"]));
    expect(keys("hall_manager")).toContain("notices");
    expect(keys("hall_manager")).not.toContain("accountability");
  });

  it("keeps the roles that may not view the queue out of its page", async () => {
    setActivePinia(createPinia());
    const store = useSessionStore();
    store.session = session({ role: "department_handler" });
    const router = createAppRouter();
    await router.push("/integrity");
    expect(router.currentRoute.value.path).toBe("/cases");

    store.session = session({ role: "supervisor" });
    await router.push("/integrity");
    expect(router.currentRoute.value.path).toBe("/integrity");
    expect(router.currentRoute.value.meta.module).toBe("integrity");
  });
});
