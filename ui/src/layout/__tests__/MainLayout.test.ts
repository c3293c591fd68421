import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { h } from "vue";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import MainLayout from "../MainLayout.vue";
import { backend, BackendError, type Role } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

async function mountLayout(path = "/cases", role: Role = "discipline_liaison") {
  env = testEnv([
    { path: "/supervision", component: { render: () => h("div", { "data-testid": "board-stub" }) }, meta: { module: "supervision" } },
  ]);
  localStorage.setItem("hcp.asideCollapsed", "0");
  useSessionStore().session = session({ role, displayName: "赵敏" });
  await env.router.push(path);
  wrapper = mount(MainLayout, { global: env.global as never, attachTo: document.body });
  await settle();
  return wrapper;
}

const byId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`);

describe("MainLayout", () => {
  beforeEach(() => {
    // The engine's pushed status: nothing pushed here, the store reads it once.
    vi.spyOn(backend, "onSyncStatus").mockResolvedValue(() => {});
    vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({ online: false, phase: "offline", pending: 1234, rejected: 2, lastSyncAt: "2026-11-21T01:05:07Z" }),
    );
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    useSyncStore().stop();
    vi.restoreAllMocks();
    document.documentElement.classList.remove("dark");
    localStorage.clear();
  });

  it("shows who is logged in and where", async () => {
    const w = await mountLayout();
    const header = byId(w, "app-header");
    expect(header.exists()).toBe(true);
    expect(byId(w, "user-unit").text()).toBe("玄武区政务服务中心");
    expect(header.text()).toContain("纪检监察联络员");
    expect(header.text()).toContain("赵敏");
    expect(header.text()).toContain("差评工单"); // breadcrumb
    expect(byId(w, "logout").element.tagName).toBe("BUTTON");
    const menu = w.find('[data-testid="main-menu"]').text();
    for (const m of ["工作台", "差评工单", "问责", "统计分析", "设置"]) expect(menu).toContain(m);
    // The 督办 board is for supervisors and hall managers, not this liaison; nor is the notice
    // centre (a liaison issues no notices).
    expect(w.find('[data-testid="menu-supervision"]').exists()).toBe(false);
    expect(w.find('[data-testid="menu-notices"]').exists()).toBe(false);
    expect(byId(w, "menu-accountability").exists()).toBe(true);
    const items = w.findAll('[data-testid^="menu-"]').map((m) => m.attributes("data-testid"));
    expect(items[0]).toBe("menu-workbench");
    expect(byId(w, "menu-integrity").text()).toBe("异常评价线索");
  });

  it("shows 异常评价线索 only to the roles that may view the queue", async () => {
    const w = await mountLayout("/cases", "department_handler");
    expect(byId(w, "menu-cases").exists()).toBe(true);
    expect(byId(w, "menu-integrity").exists()).toBe(false);
  });

  it("opens the queued actions from the status bar's 待同步 / 被拒绝 counts", async () => {
    const w = await mountLayout();
    for (const id of ["status-pending", "status-rejected"]) {
      await env.router.push("/cases");
      await settle();
      const count = byId(w, id);
      expect(count.element.closest("a")!.getAttribute("href")).toContain("/outbox");
      await count.trigger("click");
      await settle();
      expect(env.router.currentRoute.value.path, id).toBe("/outbox");
    }
  });

  it("reflects the sync status on the status bar", async () => {
    const w = await mountLayout();
    const bar = byId(w, "status-bar");
    expect(bar.attributes("data-online")).toBe("false");
    expect(bar.attributes("data-phase")).toBe("offline");
    expect(bar.attributes("data-bootstrapped")).toBe("true");
    expect(bar.text()).toContain("离线");
    expect(byId(w, "status-pending").text()).toBe("1,234");
    expect(byId(w, "status-rejected").text()).toBe("2");
    expect(byId(w, "status-last-sync").text()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(bar.text()).toContain("立即同步");
  });

  it("shows first-sync progress while bootstrapping", async () => {
    vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({
        phase: "bootstrapping",
        bootstrapped: false,
        lastSyncAt: null,
        progress: { phase: "cases", rows: 12345, bytes: 1, totalRows: 50000, resumedFrom: null },
      }),
    );
    const w = await mountLayout();
    const bar = byId(w, "status-bar");
    expect(bar.attributes("data-phase")).toBe("bootstrapping");
    expect(bar.attributes("data-bootstrapped")).toBe("false");
    expect(bar.text()).toContain("首次同步：正在下载辖区数据…");
    expect(bar.text()).toContain("12,345 / 50,000 条");
    expect(bar.text()).toContain("尚未同步");
    expect(bar.find(".el-progress").exists()).toBe(true);
  });

  it("says when a first sync goes on from where an interrupted one stopped", async () => {
    vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({
        phase: "bootstrapping",
        bootstrapped: false,
        lastSyncAt: null,
        progress: { phase: "snapshot", rows: 30000, bytes: 1, totalRows: 50000, resumedFrom: 25000 },
      }),
    );
    const w = await mountLayout();
    const bar = byId(w, "status-bar");
    expect(bar.text()).toContain("30,000 / 50,000 条（续传：前 25,000 条已保存）");
  });

  it("says when the download is done and the statistics are being built", async () => {
    vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({
        phase: "bootstrapping",
        bootstrapped: false,
        lastSyncAt: null,
        progress: { phase: "statistics", rows: 50000, bytes: 1, totalRows: 50000, resumedFrom: null },
      }),
    );
    const w = await mountLayout();
    const bar = byId(w, "status-bar");
    expect(bar.text()).toContain("已下载 50,000 条，正在生成统计汇总…");
    expect(bar.find(".el-progress").exists()).toBe(true);
  });

  it("says when a downloaded replica image is being checked and written, with a moving bar", async () => {
    vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({
        phase: "bootstrapping",
        bootstrapped: false,
        lastSyncAt: null,
        progress: { phase: "importing", rows: 1720000, bytes: 1, totalRows: 1720000, resumedFrom: null },
      }),
    );
    const w = await mountLayout();
    const bar = byId(w, "status-bar");
    expect(bar.text()).toContain("已下载 1,720,000 条，正在校验并写入本机加密数据库…");
    expect(bar.find(".el-progress-bar__inner--indeterminate").exists()).toBe(true);
  });

  it("runs a sync on 立即同步", async () => {
    const syncNow = vi.spyOn(backend, "syncNow").mockResolvedValue(syncStatus());
    const w = await mountLayout();
    await byId(w, "sync-now").trigger("click");
    await settle();
    expect(syncNow).toHaveBeenCalledTimes(1);
    expect(byId(w, "status-bar").attributes("data-online")).toBe("true");
  });

  it("logs out after confirmation", async () => {
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const logout = vi.spyOn(backend, "logout").mockResolvedValue();
    const w = await mountLayout();
    await byId(w, "logout").trigger("click");
    await settle();
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(String(confirm.mock.calls[0]![0])).toContain("1,234"); // warns about unsynced actions
    expect(logout).toHaveBeenCalledTimes(1);
    expect(useSessionStore().session).toBeNull();
    expect(env.router.currentRoute.value.path).toBe("/login");
  });

  it("stays when logout is cancelled", async () => {
    vi.spyOn(ElMessageBox, "confirm").mockRejectedValue("cancel");
    const logout = vi.spyOn(backend, "logout");
    const w = await mountLayout();
    await byId(w, "logout").trigger("click");
    await settle();
    expect(logout).not.toHaveBeenCalled();
    expect(env.router.currentRoute.value.path).toBe("/cases");
  });

  it("goes back to login when the backend says the session expired", async () => {
    const w = await mountLayout();
    vi.spyOn(backend, "syncStatus").mockImplementation(async () => {
      throw new BackendError("session_expired", "expired");
    });
    // Simulate the adapter's report (the spy bypasses the adapter's own handler).
    useSessionStore().authLost = new BackendError("session_expired", "expired");
    await settle();
    expect(env.router.currentRoute.value.path).toBe("/login");
    expect(w.exists()).toBe(true);
  });

  it("starts with the menu collapsed on a 1366-px screen and lets the user expand it", async () => {
    localStorage.clear();
    env = testEnv();
    useSessionStore().session = session();
    Object.defineProperty(window, "innerWidth", { configurable: true, value: 1366 });
    await env.router.push("/cases");
    wrapper = mount(MainLayout, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find(".el-menu--collapse").exists()).toBe(true);
    await wrapper.find('[aria-label="展开菜单"]').trigger("click");
    await settle();
    expect(wrapper.find(".el-menu--collapse").exists()).toBe(false);
    expect(localStorage.getItem("hcp.asideCollapsed")).toBe("0");
  });

  it("switches language and theme", async () => {
    const w = await mountLayout();
    await byId(w, "toggle-language").trigger("click");
    await settle();
    expect(byId(w, "app-header").text()).toContain("Discipline-inspection liaison");
    expect(byId(w, "status-bar").text()).toContain("Offline");
    await byId(w, "toggle-language").trigger("click");
    await settle();
    expect(byId(w, "app-header").text()).toContain("纪检监察联络员");
    await byId(w, "toggle-theme").trigger("click");
    await settle();
    expect(document.documentElement.classList.contains("dark")).toBe(true);
  });
});
