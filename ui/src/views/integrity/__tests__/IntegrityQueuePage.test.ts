import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import IntegrityQueuePage from "../IntegrityQueuePage.vue";
import FlagDecisionDialog from "../FlagDecisionDialog.vue";
import { backend, BackendError, type FlagItem, type FlagStatus } from "@/api/backend";
import { useSyncStore } from "@/stores/sync";
import { flaggedRating, flagItem, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let flagsSpy: MockInstance<typeof backend.integrityFlags>;
let decideSpy: MockInstance<typeof backend.decideFlag>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
/** The open dialog (a closed one stays in the DOM, hidden). */
const dialog = () => $$("flag-dialog").find((d) => d.style.display !== "none") ?? null;
const inDialog = (id: string) => dialog()!.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const flagEl = (id: number) => document.querySelector<HTMLElement>(`[data-testid="flag-item"][data-flag-id="${id}"]`);
const inFlag = (id: number, testid: string) => flagEl(id)!.querySelector<HTMLElement>(`[data-testid="${testid}"]`);

async function click(el: HTMLElement | null) {
  expect(el).not.toBeNull();
  el!.click();
  await settle(6);
}
async function type(el: HTMLElement | null, value: string) {
  expect(el).not.toBeNull();
  const input = el as HTMLTextAreaElement;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await settle(2);
}
/** The form's messages. */
async function errorsText() {
  await new Promise((r) => setTimeout(r, 150));
  await settle(2);
  return [...dialog()!.querySelectorAll(".el-form-item__error")].map((e) => e.textContent!.trim());
}

const OPEN = flagItem(5);
const PENDING = flagItem(6, {
  kind: "staff_self_rating",
  kindLabel: "工作人员自评",
  severity: "medium",
  pendingVerdict: "confirmed_malicious",
  mayDecide: false,
});
const DECIDED = flagItem(7, {
  kind: "near_duplicate_text",
  kindLabel: "评价内容雷同",
  severity: "low",
  status: "confirmed_fake",
  decidedByName: "陈主任",
  decidedAt: "2026-11-21T09:30:00+08:00",
  decisionNote: "调取监控确认为同一人刷评",
  mayDecide: false,
});

/** The backend's answer for each status filter. */
function answer(all: FlagItem[]) {
  return async (status: FlagStatus | null) => (status ? all.filter((f) => f.status === status) : all);
}

async function mountPage(all: FlagItem[] = [OPEN, PENDING, DECIDED], path = "/integrity") {
  flagsSpy.mockImplementation(answer(all));
  useSyncStore().status = syncStatus();
  await env.router.push(path);
  wrapper = mount(IntegrityQueuePage, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}

const shownIds = () => $$("flag-item").map((e) => Number(e.getAttribute("data-flag-id")));

describe("IntegrityQueuePage", () => {
  beforeEach(() => {
    env = testEnv();
    flagsSpy = vi.spyOn(backend, "integrityFlags");
    decideSpy = vi.spyOn(backend, "decideFlag").mockImplementation(async (id, verdict) => flagItem(id, { pendingVerdict: verdict, mayDecide: false }));
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus());
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("lists the open flags with kind, severity, unit, time, explanation and count", async () => {
    await mountPage();
    expect(flagsSpy).toHaveBeenCalledWith("open");
    expect(shownIds()).toEqual([5, 6]);
    const f = flagEl(5)!;
    expect(inFlag(5, "flag-kind")!.textContent).toBe("同一设备集中评价");
    expect(inFlag(5, "flag-severity")!.textContent!.trim()).toBe("高");
    expect(inFlag(5, "flag-severity")!.classList).toContain("el-tag--danger");
    expect(inFlag(6, "flag-severity")!.textContent!.trim()).toBe("中");
    expect(inFlag(6, "flag-severity")!.classList).toContain("el-tag--warning");
    expect(f.textContent).toContain("玄武区政务服务中心");
    expect(f.textContent).toContain("发现时间：2026-11-20");
    expect(inFlag(5, "flag-explanation")!.textContent).toBe("同一设备在 10 分钟内提交了 2 条非常满意评价");
    expect(inFlag(5, "flag-count")!.textContent).toBe("涉及评价 2 条");
    expect(inFlag(5, "flag-status")!.textContent!.trim()).toBe("待核实");
    expect(inFlag(5, "flag-decide")!.tagName).toBe("BUTTON");
    expect($("integrity-total")!.textContent).toBe("共 2 条");
  });

  it("shows 待同步 for a queued verdict and no 核实 button when mayDecide is false", async () => {
    await mountPage();
    expect(inFlag(6, "flag-status")!.textContent!.trim()).toBe("待同步（核实为恶意差评）");
    expect(inFlag(6, "flag-status")!.getAttribute("data-pending")).toBe("true");
    expect(inFlag(6, "flag-decide")).toBeNull();
  });

  it("hides the button for a role that may only view", async () => {
    await mountPage([flagItem(5, { mayDecide: false })]);
    expect(inFlag(5, "flag-status")!.textContent!.trim()).toBe("待核实");
    expect(inFlag(5, "flag-decide")).toBeNull();
  });

  it("expands a flag's ratings, citizens' text as plain text", async () => {
    const evil = '<img src=x onerror="alert(1)">好评';
    await mountPage([
      flagItem(5, {
        ratings: [flaggedRating(51, { comment: evil, level: "very_satisfied", channel: 3, staffName: null }), flaggedRating(52, { comment: "" })],
        missingRatings: 1,
      }),
    ]);
    expect(inFlag(5, "flag-count")!.textContent).toBe("涉及评价 3 条");
    expect(inFlag(5, "flag-ratings")).toBeNull();
    await click(inFlag(5, "flag-toggle"));
    const rows = [...flagEl(5)!.querySelectorAll<HTMLElement>('[data-testid="flag-rating"]')];
    expect(rows).toHaveLength(2);
    const first = rows[0]!.textContent!;
    for (const s of ["非常满意", "二维码", "BJ202611200051", "食品经营许可", "张*（138****5678）", "—"]) expect(first).toContain(s);
    const comment = rows[0]!.querySelector('[data-testid="flag-rating-comment"]')!;
    expect(comment.textContent!.trim()).toBe(evil);
    expect(flagEl(5)!.querySelector("img")).toBeNull();
    expect(rows[1]!.textContent).toContain("（未填写）");
    expect(inFlag(5, "flag-missing")!.textContent!.trim()).toBe("另有 1 条评价尚未同步到本机");
    await click(inFlag(5, "flag-toggle"));
    expect(inFlag(5, "flag-ratings")).toBeNull();
  });

  it("filters by status: 已核实 lists every verdict with who, when and the notes; 全部 lists all", async () => {
    await mountPage();
    await click($("integrity-filter-decided"));
    expect(flagsSpy).toHaveBeenLastCalledWith(null);
    expect(shownIds()).toEqual([7]);
    expect(env.router.currentRoute.value.query).toEqual({ status: "decided" });
    expect(inFlag(7, "flag-status")!.textContent!.trim()).toBe("核实为虚假评价");
    const decision = inFlag(7, "flag-decision")!.textContent!;
    expect(decision).toContain("核实人：陈主任");
    expect(decision).toContain("核实时间：2026-11-21");
    expect(decision).toContain("核实情况：调取监控确认为同一人刷评");
    expect(inFlag(7, "flag-decide")).toBeNull();

    await click($("integrity-filter-all"));
    expect(flagsSpy).toHaveBeenLastCalledWith(null);
    expect(shownIds()).toEqual([5, 6, 7]);

    await click($("integrity-filter-open"));
    expect(flagsSpy).toHaveBeenLastCalledWith("open");
    expect(shownIds()).toEqual([5, 6]);
  });

  it("starts on the filter of the link", async () => {
    await mountPage(undefined, "/integrity?status=all");
    expect(flagsSpy).toHaveBeenCalledWith(null);
    expect(shownIds()).toEqual([5, 6, 7]);
  });

  it("says so when nothing is there", async () => {
    await mountPage([]);
    expect($("integrity-empty")!.textContent).toContain("暂无待核实的异常评价线索");
    await click($("integrity-filter-decided"));
    expect($("integrity-empty")!.textContent).toContain("暂无已核实的异常评价线索");
  });

  it("opens the dialog, requires a verdict and the notes, then queues the verdict", async () => {
    await mountPage();
    await click(inFlag(5, "flag-decide"));
    expect(dialog()).not.toBeNull();
    expect(inDialog("flag-dialog-subject")!.textContent).toBe("同一设备集中评价 · 玄武区政务服务中心");
    const radios = [...dialog()!.querySelectorAll<HTMLElement>("[data-value]")];
    expect(radios.map((r) => r.getAttribute("data-value"))).toEqual(["confirmed_fake", "confirmed_malicious", "dismissed"]);
    expect(radios.map((r) => r.tagName)).toEqual(["LABEL", "LABEL", "LABEL"]);
    expect(dialog()!.textContent).toContain("涉及的评价将剔除出统计");
    expect(inDialog("flag-note")!.tagName).toBe("TEXTAREA");

    await click(inDialog("flag-submit"));
    expect(await errorsText()).toEqual(["请选择核实结论", "请填写核实情况（2–500 个字）"]);
    expect(decideSpy).not.toHaveBeenCalled();

    await click(inDialog("flag-verdict-confirmed_fake"));
    await type(inDialog("flag-note"), " 好 ");
    await click(inDialog("flag-submit"));
    expect(await errorsText()).toEqual(["请填写核实情况（2–500 个字）"]);
    expect(decideSpy).not.toHaveBeenCalled();

    await type(inDialog("flag-note"), "  调取监控，确认为同一人连续刷好评  ");
    flagsSpy.mockClear();
    await click(inDialog("flag-submit"));
    expect(decideSpy).toHaveBeenCalledWith(5, "confirmed_fake", "调取监控，确认为同一人连续刷好评");
    expect([...document.querySelectorAll(".el-message")].map((m) => m.textContent!.trim())).toContain("已加入待同步队列");
    expect(flagsSpy).toHaveBeenCalledWith("open");
    expect(wrapper!.findComponent(FlagDecisionDialog).props("modelValue")).toBe(false);
  });

  it("keeps the dialog open with the backend's message when the verdict is refused", async () => {
    decideSpy.mockRejectedValue(new BackendError("conflict", "该线索已由陈主任核实，不能重复核实"));
    await mountPage();
    await click(inFlag(5, "flag-decide"));
    await click(inDialog("flag-verdict-dismissed"));
    await type(inDialog("flag-note"), "经核实为正常评价");
    await click(inDialog("flag-submit"));
    expect(decideSpy).toHaveBeenCalledWith(5, "dismissed", "经核实为正常评价");
    expect(inDialog("flag-error")!.textContent).toBe("该线索已由陈主任核实，不能重复核实");
    expect(dialog()).not.toBeNull();
  });

  it("reloads when the sync engine moves", async () => {
    await mountPage();
    flagsSpy.mockClear();
    flagsSpy.mockImplementation(answer([OPEN]));
    useSyncStore().status = syncStatus({ pending: 1 });
    await settle(6);
    expect(flagsSpy).toHaveBeenCalledWith("open");
    expect(shownIds()).toEqual([5]);
    flagsSpy.mockClear();
    useSyncStore().dataVersion++;
    await settle(6);
    expect(flagsSpy).toHaveBeenCalledTimes(1);
  });

  it("shows a load error (e.g. a role without access) with a retry", async () => {
    flagsSpy.mockRejectedValueOnce(new BackendError("forbidden", "您的角色无权查看异常评价线索"));
    useSyncStore().status = syncStatus();
    await env.router.push("/integrity");
    wrapper = mount(IntegrityQueuePage, { global: env.global as never, attachTo: document.body });
    await settle(6);
    expect(wrapper.text()).toContain("加载异常评价线索失败：您的角色无权查看异常评价线索");
    flagsSpy.mockImplementation(answer([OPEN]));
    await wrapper.find(".el-alert button").trigger("click");
    await settle(6);
    expect(shownIds()).toEqual([5]);
  });
});
