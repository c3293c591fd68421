import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import NotificationBell from "../NotificationBell.vue";
import { backend, type Notification, type Notifications } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { caseDetail, session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let listSpy: MockInstance<typeof backend.notifications>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function note(id: string, over: Partial<Notification> = {}): Notification {
  return {
    id,
    caseId: 5,
    kind: "assigned",
    title: "新交办工单 CP202611210005",
    body: "王芳将工单 CP202611210005 交办给您，整改期限 2026-11-28",
    at: "2026-11-21T09:00:00Z",
    read: false,
    ...over,
  };
}

const LIST: Notifications = {
  items: [note("event:9"), note("overdue:6:2026-11-20", { caseId: 6, kind: "overdue", title: "工单 CP202611210006 已超期", read: true })],
  unread: 1,
  osEnabled: true,
};

async function mountBell() {
  useSessionStore().session = session({ role: "department_handler" });
  useSyncStore().status = syncStatus();
  wrapper = mount(NotificationBell, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}

describe("NotificationBell", () => {
  beforeEach(() => {
    env = testEnv();
    listSpy = vi.spyOn(backend, "notifications").mockResolvedValue(LIST);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows the unread count and reloads after a sync", async () => {
    await mountBell();
    expect($("bell")!.getAttribute("data-unread")).toBe("1");
    expect($("bell-badge")!.textContent).toContain("1");
    listSpy.mockResolvedValue({ ...LIST, unread: 3 });
    useSyncStore().status = syncStatus({ lastSyncAt: "2026-11-21T09:10:00+08:00" });
    await settle(6);
    expect($("bell")!.getAttribute("data-unread")).toBe("3");
  });

  it("lists the notifications; clicking one marks it read and opens the case", async () => {
    const read = vi.spyOn(backend, "markNotificationsRead").mockResolvedValue({ ...LIST, unread: 0 });
    const detail = vi.spyOn(backend, "caseDetail").mockResolvedValue(caseDetail(5));
    await mountBell();
    $("bell")!.click();
    await settle(6);
    const items = $$("bell-item");
    expect(items.map((i) => i.getAttribute("data-kind"))).toEqual(["assigned", "overdue"]);
    expect(items[0]!.textContent).toContain("新交办工单 CP202611210005");
    expect(items[0]!.classList.contains("unread")).toBe(true);
    items[0]!.click();
    await settle(8);
    expect(read).toHaveBeenCalledWith(["event:9"]);
    expect(detail).toHaveBeenCalledWith(5);
    expect($("bell")!.getAttribute("data-unread")).toBe("0");
    // A read one opens without marking again.
    $("bell")!.click();
    await settle(6);
    $$("bell-item")[1]!.click();
    await settle(8);
    expect(read).toHaveBeenCalledTimes(1);
    expect(detail).toHaveBeenLastCalledWith(6);
  });

  it("marks all read and turns desktop notifications off", async () => {
    const read = vi.spyOn(backend, "markNotificationsRead").mockResolvedValue({ ...LIST, unread: 0 });
    const os = vi.spyOn(backend, "setOsNotifications").mockResolvedValue({ ...LIST, osEnabled: false });
    await mountBell();
    $("bell")!.click();
    await settle(6);
    $("bell-mark-all")!.click();
    await settle(4);
    expect(read).toHaveBeenCalledWith(null);
    $("bell-os")!.click();
    await settle(4);
    expect(os).toHaveBeenCalledWith(false);
  });

  it("says what to expect when there is nothing yet", async () => {
    listSpy.mockResolvedValue({ items: [], unread: 0, osEnabled: true });
    await mountBell();
    $("bell")!.click();
    await settle(6);
    expect($("bell-empty")!.textContent).toContain("同步后");
    expect($("bell-badge")!.querySelector("sup")?.style.display ?? "none").toBe("none");
  });
});
