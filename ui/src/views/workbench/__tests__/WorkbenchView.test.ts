import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import WorkbenchView from "../WorkbenchView.vue";
import { backend, type CaseQuery, type Role } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { flagItem, session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let listCases: MockInstance<typeof backend.listCases>;
let integrityFlags: MockInstance<typeof backend.integrityFlags>;
let calendarStatus: MockInstance<typeof backend.calendarStatus>;

const COUNTS: Record<string, number> = {
  new: 12,
  verified: 3,
  assigned: 1234,
  in_rectification: 7,
  extension_requested: 2,
  exclusion_requested: 0,
  rectified: 5,
  overdue: 4,
  at_risk: 6,
  accountability_pending: 9,
};

async function mountAs(role: Role) {
  useSessionStore().session = session({ role });
  useSyncStore().status = syncStatus();
  wrapper = mount(WorkbenchView, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}
const cards = (w: VueWrapper) => w.findAll('[data-testid="workbench-card"]');

describe("WorkbenchView", () => {
  beforeEach(() => {
    env = testEnv();
    listCases = vi.spyOn(backend, "listCases").mockImplementation(async (q: CaseQuery) => {
      const key = q.state ?? q.due ?? (q.accountabilityPending ? "accountability_pending" : "");
      return { total: COUNTS[key] ?? 0, items: [] };
    });
    calendarStatus = vi
      .spyOn(backend, "calendarStatus")
      .mockResolvedValue({ missingYear: 2027, lastOfficialYear: 2026, provisionalYears: [2027, 2028] });
    integrityFlags = vi
      .spyOn(backend, "integrityFlags")
      .mockResolvedValue([flagItem(1), flagItem(2), flagItem(3, { pendingVerdict: "dismissed", mayDecide: false })]);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
  });

  it("shows a hall manager 待核实 / 待处置 / 已交办未签收 with counts by state", async () => {
    const w = await mountAs("hall_manager");
    expect(cards(w).map((c) => c.attributes("data-key"))).toEqual(["new", "verified", "assigned"]);
    expect(cards(w).map((c) => c.find(".card-title").text())).toEqual(["待核实", "待处置", "已交办未签收"]);
    expect(cards(w).map((c) => c.find(".card-count").text())).toEqual(["12", "3", "1,234"]);
    expect(listCases.mock.calls.map((c) => c[0].state)).toEqual(["new", "verified", "assigned"]);
    expect(listCases.mock.calls[0]![0]).toMatchObject({ level: null, source: null, search: null, offset: 0, limit: 1 });
  });

  it("shows a supervisor 已超期 / 即将到期 first, counted with the inbox's deadline windows", async () => {
    const w = await mountAs("supervisor");
    expect(cards(w).map((c) => c.find(".card-title").text())).toEqual(["已超期", "即将到期", "整改中", "延期审批中", "剔除待审批"]);
    expect(cards(w).map((c) => c.find(".card-count").text())).toEqual(["4", "6", "7", "2", "0"]);
    expect(listCases.mock.calls.map((c) => c[0].due)).toEqual(["overdue", "at_risk", null, null, null]);
    expect(cards(w)[0]!.find(".card-count").classes()).toContain("alert");
    // A supervisor works them on the 督办 board, under the same filter.
    await cards(w)[1]!.trigger("click");
    await settle();
    expect(env.router.currentRoute.value.path).toBe("/supervision");
    expect(env.router.currentRoute.value.query).toEqual({ status: "at_risk" });
    await cards(w)[0]!.trigger("click");
    await settle();
    expect(env.router.currentRoute.value.query).toEqual({ status: "overdue" });
  });

  it("warns a supervisor and an administrator that next year's holiday schedule is missing, nobody else", async () => {
    let w = await mountAs("supervisor");
    const banner = w.find('[data-testid="calendar-missing"]');
    expect(banner.exists()).toBe(true);
    expect(banner.text()).toContain("工作日历缺少 2027 年放假安排");
    expect(banner.text()).toContain("暂定");
    w.unmount();
    wrapper = null;
    w = await mountAs("administrator");
    expect(w.find('[data-testid="calendar-missing"]').exists()).toBe(true);
    w.unmount();
    wrapper = null;
    calendarStatus.mockClear();
    w = await mountAs("hall_manager");
    expect(w.find('[data-testid="calendar-missing"]').exists()).toBe(false);
    expect(calendarStatus).not.toHaveBeenCalled();
    w.unmount();
    wrapper = null;
    calendarStatus.mockResolvedValue({ missingYear: null, lastOfficialYear: 2027, provisionalYears: [2028] });
    w = await mountAs("supervisor");
    expect(w.find('[data-testid="calendar-missing"]').exists()).toBe(false);
  });

  it("counts for a discipline liaison the cases at 追责问责 awaiting a decision, and opens them", async () => {
    const w = await mountAs("discipline_liaison");
    const first = cards(w)[0]!;
    expect(first.attributes("data-key")).toBe("accountability_pending");
    expect(first.find(".card-title").text()).toBe("待问责决定");
    expect(first.find(".card-count").text()).toBe("9");
    expect(first.text()).not.toContain("暂不能统计");
    expect(listCases.mock.calls[0]![0]).toMatchObject({ accountabilityPending: true, escalation: null, state: null, due: null });
    await first.trigger("click");
    await settle();
    expect(env.router.currentRoute.value.path).toBe("/cases");
    expect(env.router.currentRoute.value.query).toEqual({ escalation: "accountability_pending" });
  });

  it("opens the inbox filtered by the card's state", async () => {
    const w = await mountAs("hall_manager");
    await cards(w)[1]!.trigger("click");
    await settle();
    expect(env.router.currentRoute.value.path).toBe("/cases");
    expect(env.router.currentRoute.value.query).toEqual({ state: "verified" });
  });

  it("counts the open integrity flags awaiting a verdict and opens the queue", async () => {
    const w = await mountAs("hall_manager");
    expect(integrityFlags).toHaveBeenCalledWith("open");
    const card = w.find('[data-testid="workbench-integrity"]');
    expect(card.find(".card-title").text()).toBe("待核实异常评价线索");
    // The flag whose verdict already waits in the outbox is not counted.
    expect(card.find(".card-count").text()).toBe("2");
    await card.trigger("click");
    await settle();
    expect(env.router.currentRoute.value.path).toBe("/integrity");
    expect(env.router.currentRoute.value.query).toEqual({ status: "open" });
  });

  it("shows the integrity card to the roles that see the queue only", async () => {
    let w = await mountAs("discipline_liaison");
    expect(w.find('[data-testid="workbench-integrity"]').exists()).toBe(true);
    w.unmount();
    integrityFlags.mockClear();
    w = wrapper = await mountAs("staff_member");
    expect(w.find('[data-testid="workbench-integrity"]').exists()).toBe(false);
    expect(integrityFlags).not.toHaveBeenCalled();
  });
});
