import { useCasesStore } from "@/stores/cases";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import CaseInbox from "../CaseInbox.vue";
import { backend, BackendError, type CasePage, type CaseQuery } from "@/api/backend";
import { useSyncStore } from "@/stores/sync";
import { caseItem, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

const XSS = "<img src=x onerror=alert(1)>";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let listCases: MockInstance<typeof backend.listCases>;

function page(total: number, n: number, offset = 0): CasePage {
  return { total, items: Array.from({ length: n }, (_, i) => caseItem(offset + i + 1)) };
}

async function mountInbox(opts: { bootstrapped?: boolean } = {}) {
  await env.router.push("/cases");
  const sync = useSyncStore();
  sync.status = syncStatus({ bootstrapped: opts.bootstrapped ?? true });
  wrapper = mount(CaseInbox, { global: env.global as never, attachTo: document.body });
  await settle();
  return wrapper;
}

const byId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`);
const lastQuery = (): CaseQuery => listCases.mock.calls.at(-1)![0];

describe("CaseInbox", () => {
  beforeEach(() => {
    env = testEnv();
    listCases = vi.spyOn(backend, "listCases");
    vi.spyOn(backend, "units").mockResolvedValue([
      { id: 2, name: "东湖区", kind: "district", depth: 0 },
      { id: 5, name: "东湖区政务服务中心", kind: "hall", depth: 1 },
    ]);
    vi.spyOn(backend, "assignees").mockResolvedValue([
      { userId: 31, name: "陈承办", departmentId: 7, departmentName: "区人社局" },
    ]);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
  });

  it("renders the rows with their test hooks, labels and tags", async () => {
    listCases.mockResolvedValue({
      total: 1234,
      items: [
        caseItem(1, { caseNo: "CP-0001", unitName: "玄武区政务服务中心", level: "very_dissatisfied", state: "new" }),
        caseItem(2, {
          caseNo: "CP-0002",
          unitName: "秦淮区便民服务中心",
          source: "hotline_12345",
          level: "dissatisfied",
          state: "in_rectification",
          channel: null,
        }),
        caseItem(3, { caseNo: "CP-0003", source: "supervision", level: null, state: "closed", deadline: null, departmentName: null }),
      ],
    });
    const w = await mountInbox();
    expect(listCases).toHaveBeenCalledWith({
      state: null,
      level: null,
      source: null,
      unitId: null,
      handlerUserId: null,
      channel: null,
      due: null,
      escalation: null,
      accountabilityPending: false,
      sort: "newest",
      search: null,
      offset: 0,
      limit: 20,
    });

    const caseNos = w.findAll('[data-testid="case-no"]');
    expect(caseNos.map((c) => c.text())).toEqual(["CP-0001", "CP-0002", "CP-0003"]);
    for (const c of caseNos) {
      expect(c.element.tagName).toBe("SPAN");
      expect(c.classes()).toContain("case-no");
    }
    expect(w.findAll('[data-testid="case-unit"]').map((c) => c.text())).toEqual([
      "玄武区政务服务中心",
      "秦淮区便民服务中心",
      "玄武区政务服务中心",
    ]);

    const rows = w.findAll(".el-table__body-wrapper tbody tr");
    expect(rows).toHaveLength(3);
    expect(rows[0]!.text()).toContain("差评");
    expect(rows[0]!.find('[title="评价渠道：窗口评价器"]').exists()).toBe(true);
    expect(rows[0]!.text()).toContain("待核实");
    expect(rows[0]!.find('[data-level="very_dissatisfied"]').classes()).toContain("el-tag--danger");
    expect(rows[0]!.text()).toContain("2026-11-28");
    expect(rows[1]!.text()).toContain("12345热线");
    expect(rows[1]!.text()).toContain("整改中");
    expect(rows[1]!.find('[data-level="dissatisfied"]').classes()).toContain("el-tag--warning");
    expect(rows[2]!.text()).toContain("督查发现");
    expect(rows[2]!.text()).toContain("已办结");

    const total = byId(w, "inbox-total");
    expect(total.attributes("data-total")).toBe("1234");
    expect(total.text()).toBe("共 1,234 条");
    expect(byId(w, "inbox-empty").exists()).toBe(false);
  });

  it("puts the hooks on the real elements", async () => {
    listCases.mockResolvedValue(page(1, 1));
    const w = await mountInbox();
    expect(byId(w, "inbox-search").element.tagName).toBe("INPUT");
    expect(byId(w, "inbox-query").element.tagName).toBe("BUTTON");
    expect(byId(w, "inbox-reset").element.tagName).toBe("BUTTON");
    expect(byId(w, "inbox-table").classes()).toContain("el-table");
    for (const id of ["inbox-search", "inbox-query", "inbox-reset", "inbox-table", "inbox-total"]) {
      expect(document.querySelectorAll(`[data-testid="${id}"]`).length, id).toBe(1);
    }
  });

  it("renders citizens' text as text, never as HTML", async () => {
    listCases.mockResolvedValue({
      total: 1,
      items: [caseItem(1, { summary: `差评内容 ${XSS}`, itemName: `<b>事项</b>`, unitName: `<script>x()</script>单位` })],
    });
    const w = await mountInbox();
    const summary = byId(w, "case-summary");
    expect(summary.text()).toBe(`差评内容 ${XSS}`);
    expect(summary.element.children).toHaveLength(0);
    expect(byId(w, "case-unit").text()).toBe("<script>x()</script>单位");
    expect(w.find("img").exists()).toBe(false);
    expect(w.find("table script").exists()).toBe(false);
    expect(w.find("tbody b").exists()).toBe(false);
    expect(document.querySelector("img[src='x']")).toBeNull();
  });

  it("opens the detail drawer on row click, still rendering text as text", async () => {
    listCases.mockResolvedValue({ total: 1, items: [caseItem(1, { caseNo: "CP-XSS", summary: `第一行\n${XSS}` })] });
    const w = await mountInbox();
    await w.find(".el-table__body-wrapper tbody tr").trigger("click");
    await settle();
    const summary = document.querySelector('[data-testid="case-detail-summary"]');
    expect(summary).not.toBeNull();
    expect(summary!.textContent).toBe(`第一行\n${XSS}`);
    expect(summary!.children).toHaveLength(0);
    expect(document.body.textContent).toContain("工单 CP-XSS");
    expect(document.querySelector("img[src='x']")).toBeNull();
  });

  it("queries with the form values, on the button and on Enter", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox();
    await byId(w, "inbox-search").setValue("  食品许可 ");
    await byId(w, "inbox-query").trigger("click");
    await settle();
    expect(lastQuery()).toEqual({
      state: null,
      level: null,
      source: null,
      unitId: null,
      handlerUserId: null,
      channel: null,
      due: null,
      escalation: null,
      accountabilityPending: false,
      sort: "newest",
      search: "食品许可",
      offset: 0,
      limit: 20,
    });

    await byId(w, "inbox-search").setValue("CP2026");
    await byId(w, "inbox-search").trigger("keyup", { key: "Enter" });
    await settle();
    expect(lastQuery().search).toBe("CP2026");

    await byId(w, "inbox-reset").trigger("click");
    await settle();
    expect(lastQuery()).toEqual({
      state: null,
      level: null,
      source: null,
      unitId: null,
      handlerUserId: null,
      channel: null,
      due: null,
      escalation: null,
      accountabilityPending: false,
      sort: "newest",
      search: null,
      offset: 0,
      limit: 20,
    });
    expect((byId(w, "inbox-search").element as HTMLInputElement).value).toBe("");
  });

  it("filters by channel and deadline window and sorts by deadline", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox();
    const cases = useCasesStore();
    cases.form.channel = 4;
    cases.form.due = "overdue";
    cases.form.sort = "deadline";
    cases.form.unitId = 5;
    cases.form.handlerUserId = 31;
    await byId(w, "inbox-query").trigger("click");
    await settle();
    expect(lastQuery()).toMatchObject({ channel: 4, due: "overdue", sort: "deadline", unitId: 5, handlerUserId: 31 });
    expect(backend.units).toHaveBeenCalled();
    expect(byId(w, "inbox-filter-unit").exists() && byId(w, "inbox-filter-handler").exists()).toBe(true);
    expect(byId(w, "inbox-filter-channel").exists() && byId(w, "inbox-filter-due").exists()).toBe(true);
    expect(byId(w, "inbox-sort").exists()).toBe(true);
    await byId(w, "inbox-reset").trigger("click");
    await settle();
    expect(lastQuery()).toMatchObject({ channel: null, due: null, sort: "newest", unitId: null, handlerUserId: null });
  });

  it("pages with ArrowLeft/ArrowRight outside inputs, and '/' focuses the search box", async () => {
    listCases.mockImplementation(async (q: CaseQuery) => page(45, Math.min(q.limit, 45 - q.offset), q.offset));
    const w = await mountInbox();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    await settle();
    expect(lastQuery().offset).toBe(20);
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    await settle();
    expect(lastQuery().offset).toBe(40);
    const calls = listCases.mock.calls.length;
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    await settle();
    expect(listCases.mock.calls.length).toBe(calls); // already on the last page
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await settle();
    expect(lastQuery().offset).toBe(20);

    const input = byId(w, "inbox-search").element as HTMLInputElement;
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "/", bubbles: true }));
    await settle();
    expect(document.activeElement).toBe(input);

    // Typing in the search box never turns pages.
    const before = listCases.mock.calls.length;
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await settle();
    expect(listCases.mock.calls.length).toBe(before);
  });

  it("changes the page size and resets to page 1", async () => {
    listCases.mockResolvedValue(page(300, 20));
    const w = await mountInbox();
    expect(w.text()).toContain("共 300 条");
    const { useCasesStore } = await import("@/stores/cases");
    await useCasesStore().setPageSize(50);
    expect(lastQuery()).toMatchObject({ offset: 0, limit: 50 });
  });

  it("says the first sync is running when nothing is bootstrapped yet", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox({ bootstrapped: false });
    const empty = byId(w, "inbox-empty");
    expect(empty.exists()).toBe(true);
    expect(empty.text()).toContain("正在进行首次同步，完成后将显示本辖区工单");
    expect(byId(w, "inbox-total").attributes("data-total")).toBe("0");
  });

  it("says no case matches when filters match nothing", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox();
    await byId(w, "inbox-search").setValue("不存在的关键字");
    await byId(w, "inbox-query").trigger("click");
    await settle();
    expect(byId(w, "inbox-empty").text()).toContain("没有符合条件的工单，请调整查询条件");
  });

  it("shows a load error with a retry", async () => {
    listCases.mockRejectedValueOnce(new BackendError("replica", "本机数据库已锁定"));
    const w = await mountInbox();
    expect(byId(w, "inbox-empty").text()).toContain("加载工单失败：本机数据库已锁定");
    listCases.mockResolvedValue(page(2, 2));
    await byId(w, "inbox-empty").find("button").trigger("click");
    await settle();
    expect(w.findAll('[data-testid="case-no"]')).toHaveLength(2);
  });

  it("reloads when the first sync finishes", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox({ bootstrapped: false });
    listCases.mockResolvedValue(page(5, 5));
    const sync = useSyncStore();
    sync.dataVersion++;
    sync.status = syncStatus({ bootstrapped: true });
    await settle();
    expect(w.findAll('[data-testid="case-no"]')).toHaveLength(5);
    expect(byId(w, "inbox-total").attributes("data-total")).toBe("5");
  });

  it("filters by the state in the route query (workbench cards link here)", async () => {
    listCases.mockResolvedValue(page(0, 0));
    await env.router.push("/cases?state=verified");
    useSyncStore().status = syncStatus();
    wrapper = mount(CaseInbox, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(lastQuery()).toEqual({
      state: "verified",
      level: null,
      source: null,
      unitId: null,
      handlerUserId: null,
      channel: null,
      due: null,
      escalation: null,
      accountabilityPending: false,
      sort: "newest",
      search: null,
      offset: 0,
      limit: 20,
    });
    expect(listCases).toHaveBeenCalledTimes(1);
    await env.router.push("/cases?state=bogus");
    await settle();
    expect(listCases).toHaveBeenCalledTimes(1); // unknown states are ignored
    await env.router.push("/cases?state=assigned");
    await settle();
    expect(lastQuery().state).toBe("assigned");
  });

  it("filters by escalation rung or the top rung awaiting a decision, also from the route", async () => {
    listCases.mockResolvedValue({
      total: 2,
      items: [
        caseItem(1, { caseNo: "CP-0001", escalation: "accountability", state: "in_rectification", deadline: "2026-11-02" }),
        caseItem(2, { caseNo: "CP-0002", escalation: "first_line" }),
      ],
    });
    await env.router.push("/cases?escalation=accountability_pending");
    useSyncStore().status = syncStatus();
    const w = (wrapper = mount(CaseInbox, { global: env.global as never, attachTo: document.body }));
    await settle();
    expect(lastQuery()).toMatchObject({ escalation: null, accountabilityPending: true, state: null, due: null });
    // The column shows each case's rung.
    const rungs = w.findAll('[data-testid="case-escalation"]');
    expect(rungs.map((r) => r.text())).toEqual(["追责问责", "一线处置"]);
    expect(rungs[0]!.classes()).toContain("escalated");
    const cases = useCasesStore();
    cases.form.escalation = "government_inspection";
    await byId(w, "inbox-query").trigger("click");
    await settle();
    expect(lastQuery()).toMatchObject({ escalation: "government_inspection", accountabilityPending: false });
    await env.router.push("/cases?due=at_risk");
    await settle();
    expect(lastQuery()).toMatchObject({ due: "at_risk", escalation: null, accountabilityPending: false });
    await env.router.push("/cases?escalation=nonsense");
    await settle();
    expect(lastQuery()).toMatchObject({ due: "at_risk" }); // unknown values are ignored
  });

  it("marks a date overdue only while its deadline runs (the backend's rule, not a copy)", async () => {
    listCases.mockResolvedValue({
      total: 4,
      items: [
        caseItem(1, { state: "in_rectification", deadline: "2020-01-02", deadlineRunning: true }),
        caseItem(2, { state: "rectified", deadline: "2020-01-02", deadlineRunning: false }),
        caseItem(3, { state: "extension_requested", deadline: "2020-01-02", deadlineRunning: false }),
        caseItem(4, { state: "assigned", deadline: "2020-01-02", deadlineRunning: false }),
      ],
    });
    const w = await mountInbox();
    expect(w.findAll('[data-testid="case-deadline"]').map((d) => d.classes().includes("overdue"))).toEqual([true, false, false, false]);
  });

  it("tags a deadline counted on the provisional calendar 暂定, with the reason in a tooltip", async () => {
    listCases.mockResolvedValue({
      total: 2,
      items: [
        caseItem(1, { state: "assigned", deadline: "2027-01-04", deadlineProvisional: true }),
        caseItem(2, { state: "assigned", deadline: "2026-12-28" }),
      ],
    });
    const w = await mountInbox();
    const tags = w.findAll('[data-testid="deadline-provisional"]');
    expect(tags).toHaveLength(1);
    expect(tags[0]!.text()).toBe("暂定");
    expect(w.findAll('[data-testid="case-deadline"]').map((d) => d.text())).toEqual(["2027-01-04", "2026-12-28"]);
  });

  it("reloads the inbox in place after a command from the detail drawer", async () => {
    listCases.mockResolvedValue({ total: 1, items: [caseItem(1, { state: "new" })] });
    vi.spyOn(backend, "caseDetail").mockResolvedValue({
      item: caseItem(1, { state: "new" }),
      rating: null,
      mayRevealEvaluator: false,
      version: 1,
      escalation: "first_line",
      appeal: "none",
      realName: true,
      excludedFromStats: false,
      workingDaysLeft: null,
      available: ["verify"],
      events: [],
      outbox: [],
      handlers: [],
      departments: [],
      escalationNext: "coordination_office",
      escalationDue: null,
      maxExtensionDays: 10,
      staff: [],
      integrityLeads: [],
    });
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus());
    const issue = vi.spyOn(backend, "issueCommand").mockResolvedValue({ commandId: "c", projectedState: "verified" });
    const w = await mountInbox();
    await w.find(".el-table__body-wrapper tbody tr").trigger("click");
    await settle();
    (document.querySelector('[data-testid="action-verify"]') as HTMLElement).click();
    await settle();
    (document.querySelector('[data-testid="verify-outcome"] [data-value="genuine"]') as HTMLElement).click();
    await settle();
    listCases.mockResolvedValue({ total: 1, items: [caseItem(1, { state: "verified" })] });
    (document.querySelector('[data-testid="command-submit"]') as HTMLElement).click();
    await settle(8);
    expect(issue).toHaveBeenCalledWith(1, { type: "verify", outcome: "genuine", reason: "" });
    expect(w.find(".el-table__body-wrapper tbody tr").text()).toContain("待处置");
  });

  it("has the selection's buttons disabled until cases are ticked, and 导出 ready", async () => {
    listCases.mockResolvedValue(page(0, 0));
    const w = await mountInbox();
    const labels = ["批量交办", "打印整改通知书"];
    for (const label of labels) {
      const btn = w.findAll("button").find((b) => b.text() === label);
      expect(btn, label).toBeDefined();
      expect(btn!.attributes("disabled")).toBeDefined();
    }
    const exportButton = w.find("[data-testid=inbox-export-button]");
    expect(exportButton.text()).toBe("导出");
    expect(exportButton.attributes("disabled")).toBeUndefined();
  });
});
