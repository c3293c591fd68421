import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import BulkAssignDialog from "../BulkAssignDialog.vue";
import { backend } from "@/api/backend";
import { caseItem, departments, settle, testEnv, type TestEnv } from "@/test/helpers";

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

  it("assigns the ticked cases to a handler of the chosen department and lists the refused ones", async () => {
    vi.spyOn(backend, "assignDepartments").mockResolvedValue(departments());
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
    expect(document.querySelector(".el-dialog__title")!.textContent).toBe("批量交办（2 件）");
    $("bulk-submit")!.click();
    await settle(4);
    expect(bulk).not.toHaveBeenCalled();
    expect($("bulk-error")!.textContent).toContain("请先选择承办部门");
    const department = $("bulk-department")!;
    expect(department.tagName).toBe("INPUT");
    department.click();
    await settle(6);
    $$("bulk-department-option").find((o) => o.getAttribute("data-department-id") === "300")!.click();
    await settle(4);
    $("bulk-handler")!.click();
    await settle(6);
    // Only that department's handlers are offered.
    const options = $$("bulk-handler-option");
    expect(options.map((o) => o.getAttribute("data-user-id"))).toEqual(["41", "43"]);
    options.find((o) => o.getAttribute("data-user-id") === "41")!.click();
    await settle(4);
    $("bulk-submit")!.click();
    await settle(6);
    expect(bulk).toHaveBeenCalledWith([1, 2], 41, 300);
    // The inbox clears its selection once the cases are queued: the count stays the one submitted.
    await wrapper.setProps({ cases: [] });
    await settle(2);
    expect(document.querySelector(".el-dialog__title")!.textContent).toBe("批量交办（2 件）");
    expect($("bulk-result")!.getAttribute("data-queued")).toBe("1");
    expect($("bulk-outcome")!.getAttribute("data-type")).toBe("warning");
    expect($("bulk-outcome")!.textContent).toContain("已提交 1 件交办，将随同步发送；1 件未能交办");
    expect($("bulk-result")!.textContent).toContain("CP-0002");
    expect(wrapper.emitted("done")).toHaveLength(1);
  });

  it("says so in red when nothing could be assigned, in green when everything was", async () => {
    vi.spyOn(backend, "assignDepartments").mockResolvedValue(departments());
    const refusal = (id: number) => ({ caseId: id, caseNo: `CP-000${id}`, code: "illegal_state" as const, message: "不能交办" });
    const bulk = vi.spyOn(backend, "bulkAssign").mockResolvedValue({ queued: 0, refused: [refusal(1), refusal(2)] });
    const run = async () => {
      wrapper = mount(BulkAssignDialog, {
        props: { modelValue: true, cases: [caseItem(1), caseItem(2)] },
        global: env.global as never,
        attachTo: document.body,
      });
      await settle(6);
      $("bulk-department")!.click();
      await settle(6);
      // 人社局 has one handler: taken at once.
      $$("bulk-department-option").find((o) => o.getAttribute("data-department-id") === "301")!.click();
      await settle(4);
      $("bulk-submit")!.click();
      await settle(6);
    };
    await run();
    expect(bulk).toHaveBeenLastCalledWith([1, 2], 42, 301);
    expect($("bulk-outcome")!.getAttribute("data-type")).toBe("error");
    expect($("bulk-outcome")!.textContent).toContain("所选 2 件工单均未能交办");
    expect($("bulk-outcome")!.textContent).not.toContain("已提交");
    wrapper!.unmount();
    document.body.innerHTML = "";
    bulk.mockResolvedValue({ queued: 2, refused: [] });
    await run();
    expect($("bulk-outcome")!.getAttribute("data-type")).toBe("success");
    expect($("bulk-outcome")!.textContent).toContain("已提交 2 件交办");
  });

  it("says when a department has no handler", async () => {
    vi.spyOn(backend, "assignDepartments").mockResolvedValue(departments());
    wrapper = mount(BulkAssignDialog, {
      props: { modelValue: true, cases: [caseItem(1)] },
      global: env.global as never,
      attachTo: document.body,
    });
    await settle(6);
    $("bulk-department")!.click();
    await settle(6);
    const none = $$("bulk-department-option").find((o) => o.getAttribute("data-department-id") === "302")!;
    expect(none.textContent).toContain("暂无承办人");
    none.click();
    await settle(4);
    expect($("bulk-no-handler")!.textContent).toContain("“税务局”暂无承办人账号");
  });
});
