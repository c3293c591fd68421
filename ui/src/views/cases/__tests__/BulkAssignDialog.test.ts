import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import BulkAssignDialog from "../BulkAssignDialog.vue";
import { backend } from "@/api/backend";
import { caseItem, settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

describe("BulkAssignDialog", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("assigns the ticked cases to the chosen handler and lists the refused ones", async () => {
    vi.spyOn(backend, "assignees").mockResolvedValue([
      { userId: 41, name: "陈承办", departmentId: 7, departmentName: "市场监管局窗口" },
      { userId: 42, name: "黄承办", departmentId: 8, departmentName: "人社局窗口" },
    ]);
    const bulk = vi.spyOn(backend, "bulkAssign").mockResolvedValue({
      queued: 1,
      refused: [{ caseId: 2, caseNo: "CP-0002", code: "illegal_state", message: "工单当前状态为“已办结”，不能执行“交办”操作" }],
    });
    wrapper = mount(BulkAssignDialog, {
      props: { modelValue: true, cases: [caseItem(1), caseItem(2)] },
      global: env.global as never,
      attachTo: document.body,
    });
    await settle(6);
    $("bulk-submit")!.click();
    await settle(4);
    expect(bulk).not.toHaveBeenCalled();
    expect($("bulk-error")!.textContent).toContain("请选择承办人");
    const input = $("bulk-handler")!;
    expect(input.tagName).toBe("INPUT");
    input.click();
    await settle(6);
    const option = $$("bulk-handler-option").find((o) => o.getAttribute("data-user-id") === "41")!;
    option.click();
    await settle(4);
    $("bulk-submit")!.click();
    await settle(6);
    expect(bulk).toHaveBeenCalledWith([1, 2], 41, 7);
    expect($("bulk-result")!.getAttribute("data-queued")).toBe("1");
    expect($("bulk-result")!.textContent).toContain("CP-0002");
    expect(wrapper.emitted("done")).toHaveLength(1);
  });
});
