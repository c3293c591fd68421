import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import SupervisionBoard from "../SupervisionBoard.vue";
import { boardRows } from "../board";
import { backend, type Board, type BoardCase, type Role } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { caseItem, session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let boardSpy: MockInstance<typeof backend.board>;
let escalateSpy: MockInstance<typeof backend.bulkEscalate>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function boardCase(id: number, over: Partial<BoardCase> = {}, item: Parameters<typeof caseItem>[1] = {}): BoardCase {
  return {
    item: caseItem(id, { state: "in_rectification", ...item }),
    status: "overdue",
    workingDaysOverdue: 3,
    workingDaysLeft: null,
    escalationDue: null,
    lastUrge: null,
    ...over,
  };
}

const BOARD: Board = {
  levels: [
    {
      level: "coordination_office",
      units: [
        {
          unitId: 11,
          unitName: "市场监管局",
          cases: [
            boardCase(1, { workingDaysOverdue: 4, escalationDue: "government_inspection" }, { escalation: "coordination_office" }),
            boardCase(2, { status: "escalated", workingDaysOverdue: null, workingDaysLeft: 3 }, { escalation: "coordination_office" }),
          ],
        },
      ],
    },
    {
      level: "first_line",
      units: [
        {
          unitId: 12,
          unitName: "不动产登记中心",
          cases: [
            boardCase(3, {
              workingDaysOverdue: 1,
              escalationDue: "coordination_office",
              lastUrge: { at: "2026-11-26T09:00:00+08:00", actorName: "周督查", note: "请今日报送进展", count: 2 },
            }),
          ],
        },
        { unitId: 13, unitName: "税务局", cases: [boardCase(4, { status: "at_risk", workingDaysOverdue: null, workingDaysLeft: 0 })] },
      ],
    },
  ],
  overdue: 2,
  atRisk: 1,
  escalated: 2,
  escalationDue: 2,
  today: "2026-11-27",
  truncated: false,
};

async function mountAs(role: Role, query: Record<string, string> = {}) {
  useSessionStore().session = session({ role });
  useSyncStore().status = syncStatus();
  await env.router.push({ path: "/supervision", query });
  wrapper = mount(SupervisionBoard, { global: env.global as never, attachTo: document.body });
  await settle(8);
  return wrapper;
}

describe("SupervisionBoard", () => {
  beforeEach(() => {
    env = testEnv();
    boardSpy = vi.spyOn(backend, "board").mockResolvedValue(BOARD);
    escalateSpy = vi.spyOn(backend, "bulkEscalate").mockResolvedValue({ queued: 1, refused: [] });
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("groups the cases by rung, then unit, with working days and the last 催办", async () => {
    await mountAs("supervisor");
    expect(boardSpy).toHaveBeenCalledTimes(1);
    expect($$("board-level").map((l) => l.getAttribute("data-level"))).toEqual(["coordination_office", "first_line"]);
    expect($$("board-level")[0]!.querySelector("h3")!.textContent).toBe("协调督办");
    const countdowns = $$("board-countdown").map((c) => c.textContent!.trim());
    expect(countdowns).toEqual(["超期 4 个工作日", "剩余 3 个工作日", "超期 1 个工作日", "今日到期"]);
    expect($$("board-next").map((n) => n.textContent)).toEqual(["政府督查", "协调督办"]);
    const urge = $("board-last-urge")!.textContent!;
    expect(urge).toContain("周督查");
    expect(urge).toContain("（第 2 次）");
    expect(urge).toContain("请今日报送进展");
    // The unit's cell spans its cases: one cell for 市场监管局's two.
    expect($$("board-unit").map((u) => u.textContent)).toEqual(["市场监管局", "不动产登记中心", "税务局"]);
    expect($("board-due")!.textContent).toContain("2 件应按超期规则升级");
  });

  it("filters as the workbench's cards ask, and says so when nothing matches", async () => {
    await mountAs("supervisor", { status: "at_risk" });
    expect($$("board-case").map((c) => c.getAttribute("data-case-id"))).toEqual(["4"]);
    await env.router.replace({ query: { status: "escalated" } });
    await settle(4);
    expect($$("board-case").map((c) => c.getAttribute("data-case-id"))).toEqual(["1", "2"]);
    boardSpy.mockResolvedValue({ ...BOARD, levels: [], overdue: 0, atRisk: 0, escalated: 0, escalationDue: 0 });
    useSyncStore().dataVersion += 1;
    await settle(6);
    expect($("board-empty")!.textContent).toContain("没有符合该筛选条件的工单");
  });

  it("escalates the ticked cases: those due by the rule need no reason, the others do", async () => {
    await mountAs("supervisor");
    const ticks = $$("board-tick");
    ticks.find((t) => t.getAttribute("data-case-id") === "1")!.querySelector("input")!.click();
    await settle(2);
    expect($("board-ticked")!.textContent).toBe("已选 1 件");
    $("board-escalate")!.click();
    await settle(4);
    $("board-action-submit")!.click();
    await settle(4);
    expect(escalateSpy).toHaveBeenCalledWith([1], null);
    expect($("bulk-outcome")!.getAttribute("data-type")).toBe("success");
    expect($("bulk-outcome")!.textContent).toContain("已提交 1 件升级督办");
    expect(boardSpy).toHaveBeenCalledTimes(2);
    expect($("board-ticked")!.textContent).toBe("已选 0 件");
    $("board-action-close")!.click();
    await settle(4);

    // Case 2 is not due by the rule: without a reason the dialog refuses before asking the backend.
    $$("board-tick").find((t) => t.getAttribute("data-case-id") === "2")!.querySelector("input")!.click();
    await settle(2);
    $("board-escalate")!.click();
    await settle(4);
    $("board-action-submit")!.click();
    await settle(4);
    expect($("board-action-error")!.textContent).toContain("请填写升级理由");
    expect(escalateSpy).toHaveBeenCalledTimes(1);
  });

  it("sends 批量催办 with the supervisor's note", async () => {
    const urge = vi.spyOn(backend, "urgeCases").mockResolvedValue({ queued: 2, refused: [] });
    await mountAs("supervisor");
    for (const id of ["1", "3"]) $$("board-tick").find((t) => t.getAttribute("data-case-id") === id)!.querySelector("input")!.click();
    await settle(2);
    $("board-urge")!.click();
    await settle(4);
    $("board-action-submit")!.click();
    await settle(4);
    expect($("board-action-error")!.textContent).toContain("请填写催办意见");
    expect(urge).not.toHaveBeenCalled();
    const note = document.querySelector<HTMLTextAreaElement>('[data-testid="board-urge-dialog"] textarea')!;
    note.value = "请于明日下班前报送整改进展";
    note.dispatchEvent(new Event("input", { bubbles: true }));
    await settle(2);
    $("board-action-submit")!.click();
    await settle(4);
    expect(urge).toHaveBeenCalledWith([1, 3], "请于明日下班前报送整改进展");
    expect($("bulk-outcome")!.textContent).toContain("已提交 2 件催办");
  });

  it("prints 督办通知单 for the ticked cases, and only supervisors urge", async () => {
    const preview = vi.spyOn(backend, "previewNotices").mockResolvedValue({
      page: 0,
      pageCount: 1,
      count: 1,
      image: "data:image/png;base64,AAAA",
      width: 10,
      height: 14,
    });
    await mountAs("hall_manager");
    expect($("board-urge")).toBeNull();
    expect($("board-print-supervision")!.hasAttribute("disabled")).toBe(true);
    $$("board-tick")[2]!.querySelector("input")!.click();
    await settle(2);
    $("board-print-supervision")!.click();
    await settle(6);
    expect(preview).toHaveBeenCalledWith([3], 0, "supervision");
  });

  it("keeps every case of a rung once in its rows", () => {
    const rows = boardRows(BOARD, "overdue");
    expect(rows.map((l) => l.rows.map((r) => [r.case.item.id, r.span]))).toEqual([[[1, 1]], [[3, 1]]]);
    const all = boardRows(BOARD, "all");
    expect(all[0]!.rows.map((r) => r.span)).toEqual([2, 0]);
    expect(all[1]!.unitCount).toBe(2);
  });
});
