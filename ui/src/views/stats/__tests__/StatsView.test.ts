import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import StatsView from "../StatsView.vue";
import { backend, BackendError, type Dashboard, type KpiView, type Ratio, type UnitKpiRow } from "@/api/backend";
import { usePreferencesStore } from "@/stores/preferences";
import { useSyncStore } from "@/stores/sync";
import { useSessionStore } from "@/stores/session";
import { session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let dashboard: MockInstance<typeof backend.dashboard>;

function ratio(n: number, d: number): Ratio {
  const value = d === 0 ? null : n / d;
  return { numerator: n, denominator: d, value, label: value === null ? `—（${n}/${d}）` : `${(value * 100).toFixed(2)}%（${n}/${d}）` };
}

function kpis(overrides: Partial<KpiView> = {}): KpiView {
  return {
    rated: 1234,
    bad: 46,
    excludedRatings: 3,
    cases: 40,
    overdueOpen: 2,
    badRate: ratio(46, 1234),
    satisfaction: ratio(1150, 1234),
    timeliness: ratio(4, 46),
    rectification: ratio(30, 40),
    visitSatisfaction: ratio(0, 0),
    realNameVisitCoverage: ratio(12, 20),
    ...overrides,
  };
}

function unit(unitId: number, unitName: string, rank: number | null, score: number | null, sampleSize: number): UnitKpiRow {
  return { unitId, unitName, rank, score, sampleSize, kpis: kpis({ rated: sampleSize, timeliness: ratio(rank ?? 0, 10) }) };
}

/** A chart whose markup would be visible (text, script) if it were ever inlined. */
const svg = (name: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><script>window.__pwned=1</script><text x="10" y="20">图表-${name} 8.70%（4/46）&amp;#</text></svg>`;

function dashboardOf(month: string, overrides: Partial<Dashboard> = {}): Dashboard {
  const [y, m] = month.split("-");
  return {
    month,
    label: `${y}年${Number(m)}月`,
    first: `${month}-01`,
    last: `${month}-30`,
    totals: kpis(),
    units: [
      unit(11, "鼓楼区政务服务中心", null, null, 4),
      unit(12, "玄武区政务服务中心", 2, 0.8765, 300),
      unit(13, "秦淮区政务服务中心", 1, 0.92314, 500),
      unit(14, "建邺区政务服务中心", null, null, 0),
      unit(15, "江宁区政务服务中心", 3, 0.5, 120),
    ],
    charts: { trend: svg("trend"), channels: svg("channels"), ranking: svg("ranking"), timeliness: svg("timeliness") },
    months: ["2026-11", "2026-10", "2026-09"],
    timelinessClock: { from: "assignment", days: 5, workingDays: true },
    ...overrides,
  };
}

async function mountStats() {
  useSyncStore().status = syncStatus();
  wrapper = mount(StatsView, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
const card = (kpi: string) => document.querySelector<HTMLElement>(`[data-testid="kpi-card"][data-kpi="${kpi}"]`)!;
const cardValue = (kpi: string) => card(kpi).querySelector('[data-testid="kpi-value"]')!.textContent!.trim();
const cardSample = (kpi: string) => card(kpi).querySelector('[data-testid="kpi-sample"]')?.textContent?.trim();

async function chooseMonth(label: string) {
  $("stats-month")!.click();
  await settle();
  const option = [...document.querySelectorAll<HTMLElement>(".el-select-dropdown__item")].find((o) => o.textContent!.trim() === label);
  expect(option, label).toBeTruthy();
  option!.click();
  await settle(6);
}

describe("StatsView", () => {
  beforeEach(() => {
    env = testEnv();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 10, 21, 9, 0, 0));
    dashboard = vi.spyOn(backend, "dashboard").mockImplementation(async (month: string | null) => dashboardOf(month ?? "2026-11"));
    vi.spyOn(backend, "hotspots").mockImplementation(async (month: string) => ({
      month,
      comments: 36,
      themes: [
        { word: "排队", count: 11, previous: 8, examples: ["排队两小时<img src=x onerror=alert(1)>", "只开一个窗口"] },
        { word: "材料", count: 5, previous: 9, examples: ["材料清单没有一次性告知"] },
      ],
      byItem: [{ name: "不动产登记", comments: 12, themes: [["排队", 6], ["窗口", 4]] }],
      byUnit: [{ name: "东湖区政务服务中心", comments: 20, themes: [["材料", 5]] }],
    }));
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.useRealTimers();
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("puts every test hook on the real element", async () => {
    await mountStats();
    expect($("stats-page")).not.toBeNull();
    expect($("stats-page")!.dataset.month).toBe("2026-11");
    expect($("stats-month")!.tagName).toBe("INPUT");
    expect($$("stats-month")).toHaveLength(1);
    expect($("stats-ranking")!.tagName).toBe("TABLE");
    expect($$("stats-row").every((r) => r.tagName === "TR")).toBe(true);
    expect($$("stats-chart").every((c) => c.tagName === "IMG")).toBe(true);
    expect($$("kpi-card")).toHaveLength(10);
  });

  it("loads the current month and shows its KPI cards: percentage big, sample beside, — when there is no sample", async () => {
    await mountStats();
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null]);
    expect($$("kpi-card").map((c) => c.dataset.kpi)).toEqual([
      "rated",
      "bad",
      "badRate",
      "satisfaction",
      "timeliness",
      "rectification",
      "visitSatisfaction",
      "realNameVisitCoverage",
      "excludedRatings",
      "overdueOpen",
    ]);
    expect($$("kpi-card").map((c) => c.querySelector(".card-title")!.textContent!.trim())).toEqual([
      "评价总数",
      "差评数",
      "差评率",
      "满意率",
      "整改及时率",
      "整改率",
      "回访满意率",
      "实名差评回访率",
      "已剔除评价",
      // Counts the month's cases only, and says so (the inbox lists every overdue case).
      "本月工单逾期未办",
    ]);
    expect($$("kpi-card").find((c) => c.dataset.kpi === "overdueOpen")!.querySelector(".card-title")!.getAttribute("title")).toContain(
      "本月受理的工单中",
    );
    expect(cardValue("rated")).toBe("1,234");
    expect(cardSample("rated")).toBeUndefined();
    expect(cardValue("bad")).toBe("46");
    expect(cardValue("badRate")).toBe("3.73%");
    expect(cardSample("badRate")).toBe("（46/1,234）");
    expect(cardValue("timeliness")).toBe("8.70%");
    expect(cardSample("timeliness")).toBe("（4/46）");
    expect(cardValue("visitSatisfaction")).toBe("—");
    expect(cardSample("visitSatisfaction")).toBe("（0/0）");
    expect(cardValue("excludedRatings")).toBe("3");
    expect(cardValue("overdueOpen")).toBe("2");
    expect(card("overdueOpen").classList.contains("alert")).toBe(true);
    expect($("stats-period")!.textContent).toContain("2026-11-01 至 2026-11-30");
    expect($("stats-month")!.getAttribute("data-testid")).toBe("stats-month");
    expect(($("stats-month") as HTMLInputElement).closest(".el-select")!.textContent).toContain("2026年11月");
  });

  it("lists the units by rank, the ones without a rank last as 样本不足", async () => {
    await mountStats();
    const rows = $$("stats-row");
    expect(rows.map((r) => r.dataset.unitId)).toEqual(["13", "12", "15", "11", "14"]);
    expect(rows.map((r) => r.dataset.rank)).toEqual(["1", "2", "3", "", ""]);
    const cells = (r: HTMLElement) => [...r.querySelectorAll("td")].map((c) => c.textContent!.replace(/\s+/g, " ").trim());
    expect(cells(rows[0]!).slice(0, 4)).toEqual(["1", "秦淮区政务服务中心", "92.31%", "500"]);
    expect(cells(rows[0]!)[5]).toBe("10.00% （1/10）");
    expect(cells(rows[3]!).slice(0, 4)).toEqual(["样本不足", "鼓楼区政务服务中心", "—", "4"]);
    expect(cells(rows[4]!)[5]).toBe("0.00% （0/10）");
    expect(rows.slice(3).every((r) => r.querySelector('[data-testid="stats-insufficient"]'))).toBe(true);
    expect(rows.slice(0, 3).some((r) => r.textContent!.includes("样本不足"))).toBe(false);
    const head = [...$("stats-ranking")!.querySelectorAll("th")].map((h) => h.textContent!.trim());
    expect(head).toEqual(["排名", "单位", "校正得分", "样本量", "差评率", "整改及时率", "整改率"]);
    // The rectification clock the 整改及时率 measures, from the jurisdiction's policy.
    expect($("timeliness-clock")!.textContent).toBe("整改及时率按整改期限计：自交办起 5 个工作日。");
  });

  it("shows the four charts as <img> with data: URLs and captions, never as inline SVG", async () => {
    await mountStats();
    const imgs = $$("stats-chart") as HTMLImageElement[];
    expect(imgs.map((i) => i.dataset.chart)).toEqual(["trend", "channels", "ranking", "timeliness"]);
    const prefix = "data:image/svg+xml;charset=utf-8,";
    for (const img of imgs) {
      const src = img.getAttribute("src")!;
      expect(src.startsWith(prefix)).toBe(true);
      expect(decodeURIComponent(src.slice(prefix.length))).toBe(svg(img.dataset.chart!));
      expect(src).not.toMatch(/[<>"#]/);
    }
    expect([...document.querySelectorAll("figcaption")].map((f) => f.textContent!.trim())).toEqual([
      "图1 差评率月度趋势",
      "图2 评价渠道分布",
      "图3 单位排名",
      "图4 办理及时性",
    ]);
    expect(imgs.map((i) => i.alt)).toEqual(["图1 差评率月度趋势", "图2 评价渠道分布", "图3 单位排名", "图4 办理及时性"]);
    const page = $("stats-page")!;
    expect(page.querySelector(".charts svg")).toBeNull();
    expect(page.querySelectorAll("svg text, svg script, script, foreignObject")).toHaveLength(0);
    expect(page.textContent).not.toContain("图表-");
    expect((window as unknown as Record<string, unknown>).__pwned).toBeUndefined();
  });

  it("reloads when another month is chosen", async () => {
    await mountStats();
    dashboard.mockImplementation(async (month: string | null) =>
      dashboardOf(month ?? "2026-11", { totals: kpis({ rated: 99, badRate: ratio(1, 99) }), units: [unit(21, "栖霞区政务服务中心", 1, 0.9, 99)] }),
    );
    await chooseMonth("2026年10月");
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null, "2026-10"]);
    expect($("stats-page")!.dataset.month).toBe("2026-10");
    expect(cardValue("rated")).toBe("99");
    expect(cardValue("badRate")).toBe("1.01%");
    expect($$("stats-row").map((r) => r.dataset.unitId)).toEqual(["21"]);
    expect($("stats-period")!.textContent).toContain("2026-10-01");
  });

  it("reloads the same month on 刷新", async () => {
    await mountStats();
    (document.querySelector('[data-testid="stats-refresh"]') as HTMLElement).click();
    await settle(6);
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null, "2026-11"]);
  });

  it("opens on the newest month with data (the backend picks it)", async () => {
    vi.setSystemTime(new Date(2026, 11, 2, 9, 0, 0));
    dashboard.mockImplementation(async (month: string | null) => dashboardOf(month ?? "2026-11"));
    await mountStats();
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null]);
    expect($("stats-page")!.dataset.month).toBe("2026-11");
    expect($("stats-empty")).toBeNull();
    expect(cardValue("rated")).toBe("1,234");
  });

  it("generates the month's dispatch report and says where the PDF went", async () => {
    const make = vi.spyOn(backend, "monthlyReport").mockResolvedValue({ path: "/tmp/reports/月调度通报-2026-11.pdf", count: 1 });
    useSessionStore().session = session({ role: "supervisor" });
    await mountStats();
    ($("stats-report") as HTMLElement).click();
    await settle(6);
    expect(make).toHaveBeenCalledWith("2026-11");
    expect($("stats-report-result")!.getAttribute("data-path")).toBe("/tmp/reports/月调度通报-2026-11.pdf");
    // The result offers 打开 and 打开所在文件夹, not a bare path.
    const open = vi.spyOn(backend, "openReport").mockResolvedValue(null);
    expect($("stats-report-open")!.textContent).toContain("打开");
    expect($("stats-report-folder")!.textContent).toContain("打开所在文件夹");
    ($("stats-report-open") as HTMLElement).click();
    await settle(4);
    expect(open).toHaveBeenLastCalledWith("/tmp/reports/月调度通报-2026-11.pdf", "file");
    ($("stats-report-folder") as HTMLElement).click();
    await settle(4);
    expect(open).toHaveBeenLastCalledWith("/tmp/reports/月调度通报-2026-11.pdf", "folder");
    // A failure to open says why, in Chinese.
    open.mockRejectedValueOnce(new BackendError("internal", "本机没有可用于打开文件的程序（xdg-open）"));
    ($("stats-report-open") as HTMLElement).click();
    await settle(4);
    expect($("stats-report-error")!.textContent).toContain("xdg-open");
  });

  it("asks for charts in the screen's language and theme, and again when they change", async () => {
    await mountStats();
    expect(dashboard.mock.calls[0]![1]).toEqual({ language: "zh-CN", theme: "light" });
    const prefs = usePreferencesStore();
    prefs.theme = "dark";
    await settle(6);
    expect(dashboard.mock.calls.at(-1)![1]).toEqual({ language: "zh-CN", theme: "dark" });
    prefs.locale = "en";
    await settle(6);
    expect(dashboard.mock.calls.at(-1)![1]).toEqual({ language: "en", theme: "dark" });
    prefs.locale = "zh-CN";
    prefs.theme = "light";
    await settle(6);
  });

  it("offers the official dispatch report only to supervisors", async () => {
    for (const role of ["hall_manager", "department_handler", "discipline_liaison"] as const) {
      useSessionStore().session = session({ role });
      await mountStats();
      expect($("stats-page")).not.toBeNull();
      expect($("stats-report"), role).toBeNull();
      wrapper?.unmount();
      wrapper = null;
    }
  });

  it("shows the empty state when the month has no ratings", async () => {
    dashboard.mockImplementation(async (month: string | null) =>
      dashboardOf(month ?? "2026-11", { totals: kpis({ rated: 0, bad: 0, badRate: ratio(0, 0) }), units: [], months: [] }),
    );
    await mountStats();
    expect($("stats-empty")!.textContent).toContain("本月暂无评价数据，请选择其他月份");
    expect($$("kpi-card")).toHaveLength(0);
    expect($$("stats-chart")).toHaveLength(0);
    expect($("stats-ranking")).toBeNull();
    expect($("stats-month")).not.toBeNull();
  });

  it("shows a failure in Chinese with a retry", async () => {
    dashboard.mockRejectedValueOnce(new BackendError("internal", "本机数据库无法打开"));
    await mountStats();
    expect($("stats-error")!.textContent).toContain("统计数据加载失败：本机数据库无法打开");
    expect($$("kpi-card")).toHaveLength(0);
    $("stats-retry")!.click();
    await settle(6);
    expect($("stats-error")).toBeNull();
    expect($$("kpi-card")).toHaveLength(10);
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null, null]);
  });

  it("keeps only the answer of the latest request", async () => {
    let release: (d: Dashboard) => void = () => {};
    dashboard.mockImplementationOnce(() => new Promise<Dashboard>((r) => (release = r)));
    await mountStats();
    useSyncStore().dataVersion++;
    await settle(6);
    expect(cardValue("rated")).toBe("1,234");
    release(dashboardOf("2026-11", { totals: kpis({ rated: 1 }) }));
    await settle(6);
    expect(cardValue("rated")).toBe("1,234");
  });

  it("shows the month's pain points with their trend, citizens' words as text", async () => {
    const w = await mountStats();
    const panel = w.find('[data-testid="stats-hotspots"]');
    expect(panel.exists()).toBe(true);
    expect(panel.text()).toContain("36 条差评留言");
    const words = panel.findAll('[data-testid="stats-hotspot-word"]').map((w) => w.text());
    expect(words).toEqual(["排队", "材料"]);
    expect(panel.text()).toContain("+3");
    expect(panel.text()).toContain("−4");
    expect(panel.find("img").exists()).toBe(false);
    expect(panel.text()).toContain("<img src=x onerror=alert(1)>");
    expect(panel.find('[data-testid="stats-hotspots-byItem"]').text()).toContain("不动产登记");
    expect(panel.find('[data-testid="stats-hotspots-byItem"]').text()).toContain("排队 6、窗口 4");
  });

  it("recomputes when the replica moves", async () => {
    await mountStats();
    useSyncStore().dataVersion++;
    await settle(6);
    expect(dashboard.mock.calls.map((c) => c[0])).toEqual([null, "2026-11"]);
  });
});
