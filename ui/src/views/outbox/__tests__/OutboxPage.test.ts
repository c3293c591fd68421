import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import OutboxPage from "../OutboxPage.vue";
import { backend, BackendError, type OutboxItem } from "@/api/backend";
import { useSyncStore } from "@/stores/sync";
import { caseDetail, outboxItem, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let outbox: MockInstance<typeof backend.outbox>;

const byId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`);

async function mountPage(items: OutboxItem[]) {
  outbox.mockResolvedValue(items);
  useSyncStore().status = syncStatus();
  await env.router.push("/outbox");
  wrapper = mount(OutboxPage, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}

describe("OutboxPage", () => {
  beforeEach(() => {
    env = testEnv();
    outbox = vi.spyOn(backend, "outbox");
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus());
    vi.spyOn(backend, "caseDetail").mockImplementation(async (id: number) => caseDetail(id, {}, { caseNo: `CP-${id}` }));
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("says so when nothing waits", async () => {
    const w = await mountPage([]);
    expect(byId(w, "outbox-page").exists()).toBe(true);
    expect(byId(w, "outbox-empty").text()).toContain("没有待同步或被拒绝的操作");
    expect(w.findAll('[data-testid="outbox-row"]')).toHaveLength(0);
  });

  it("lists pending and rejected commands, rejected first, with case numbers, labels and messages", async () => {
    const w = await mountPage([
      outboxItem(1, { caseId: 7, kind: "assign", command: JSON.stringify({ type: "assign", department_id: 300, handler_id: 41 }) }),
      outboxItem(2, {
        caseId: 8,
        kind: "approve_exclusion",
        status: "rejected",
        code: "same_person_approval",
        message: "“同意剔除”须由申请人以外的人员办理，不能审批自己的申请",
        attempts: 2,
      }),
    ]);
    const rows = w.findAll('[data-testid="outbox-row"]');
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.element.tagName)).toEqual(["TR", "TR"]);
    expect(rows.map((r) => r.attributes("data-status"))).toEqual(["rejected", "pending"]);
    expect(rows[0]!.find('[data-testid="outbox-case"]').text()).toBe("CP-8");
    expect(rows[0]!.text()).toContain("同意剔除");
    expect(rows[0]!.text()).toContain("被拒绝");
    expect(rows[0]!.find('[data-testid="outbox-message"]').text()).toBe("“同意剔除”须由申请人以外的人员办理，不能审批自己的申请");
    expect(rows[0]!.text()).toContain("2");
    expect(rows[1]!.text()).toContain("交办");
    expect(rows[1]!.text()).toContain("待同步");
    expect(rows[1]!.find('[data-testid="outbox-case"]').text()).toBe("CP-7");
    // Only rejected commands can be discarded or resubmitted.
    expect(rows[0]!.find('[data-testid="outbox-discard"]').element.tagName).toBe("BUTTON");
    expect(rows[0]!.find('[data-testid="outbox-reissue"]').element.tagName).toBe("BUTTON");
    expect(rows[1]!.find('[data-testid="outbox-discard"]').exists()).toBe(false);
    expect(rows[1]!.find('[data-testid="outbox-reissue"]').exists()).toBe(false);
    expect(byId(w, "outbox-summary").text()).toBe("待同步 1 项 · 被拒绝 1 项");
  });

  it("shows a verdict on an integrity flag with its label, verdict and notes, not raw JSON", async () => {
    const caseDetailSpy = vi.spyOn(backend, "caseDetail");
    const w = await mountPage([
      outboxItem(4, {
        caseId: null,
        baseVersion: 2,
        kind: "decide_flag",
        command: JSON.stringify({ flag_id: 5, verdict: "confirmed_malicious", note: "同一人一天内差评同一窗口 6 次<script>" }),
      }),
    ]);
    const row = w.find('[data-testid="outbox-row"]');
    expect(row.find('[data-testid="outbox-case"]').text()).toBe("异常评价线索 #5");
    expect(row.find('[data-testid="outbox-kind"]').text()).toBe("核实异常评价线索");
    expect(row.find('[data-testid="outbox-summary-text"]').text()).toBe(
      "核实结论：核实为恶意差评；核实情况：同一人一天内差评同一窗口 6 次<script>",
    );
    expect(row.text()).not.toContain("flag_id");
    expect(row.find("script").exists()).toBe(false);
    expect(row.text()).toContain("待同步");
    expect(caseDetailSpy).not.toHaveBeenCalled();
  });

  it("shows the case id when the case number cannot be found", async () => {
    vi.spyOn(backend, "caseDetail").mockRejectedValue(new BackendError("not_found", "x"));
    const w = await mountPage([outboxItem(1, { caseId: 99 })]);
    expect(w.find('[data-testid="outbox-case"]').text()).toBe("工单 #99");
  });

  it("resubmits a rejected command and reloads", async () => {
    const reissue = vi.spyOn(backend, "reissueCommand").mockResolvedValue({ commandId: "cmd-2", projectedState: "excluded" });
    const w = await mountPage([outboxItem(2, { status: "rejected", message: "冲突" })]);
    outbox.mockResolvedValue([outboxItem(2, { status: "pending" })]);
    await w.find('[data-testid="outbox-reissue"]').trigger("click");
    await settle(6);
    expect(reissue).toHaveBeenCalledWith("cmd-2");
    expect(w.find('[data-testid="outbox-row"]').attributes("data-status")).toBe("pending");
  });

  it("discards after confirmation only", async () => {
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockRejectedValueOnce("cancel");
    const discard = vi.spyOn(backend, "discardCommand").mockResolvedValue();
    const w = await mountPage([outboxItem(3, { kind: "verify", status: "rejected", message: "冲突" })]);
    await w.find('[data-testid="outbox-discard"]').trigger("click");
    await settle(6);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(String(confirm.mock.calls[0]![0])).toContain("核实");
    expect(discard).not.toHaveBeenCalled();

    confirm.mockResolvedValue("confirm" as never);
    outbox.mockResolvedValue([]);
    await w.find('[data-testid="outbox-discard"]').trigger("click");
    await settle(6);
    expect(discard).toHaveBeenCalledWith("cmd-3");
    expect(byId(w, "outbox-empty").exists()).toBe(true);
  });

  it("cancels (撤销) a queued command not yet sent after confirmation; sent or earlier ones say why not", async () => {
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockRejectedValueOnce("cancel");
    const cancel = vi.spyOn(backend, "cancelCommand").mockResolvedValue();
    const w = await mountPage([
      outboxItem(1, { kind: "verify", cancellable: false }),
      outboxItem(2, { kind: "assign", command: JSON.stringify({ type: "assign", department_id: 300, handler_id: 41 }) }),
      outboxItem(3, { caseId: 9, kind: "verify", attempts: 1, cancellable: false }),
    ]);
    const rows = w.findAll('[data-testid="outbox-row"]');
    expect(rows.map((r) => r.find('[data-testid="outbox-cancel"]').exists())).toEqual([false, true, false]);
    expect(rows[0]!.find('[data-testid="outbox-not-cancellable"]').exists()).toBe(true);
    await rows[1]!.find('[data-testid="outbox-cancel"]').trigger("click");
    await settle(6);
    expect(String(confirm.mock.calls[0]![0])).toContain("交办");
    expect(cancel).not.toHaveBeenCalled();

    confirm.mockResolvedValue("confirm" as never);
    outbox.mockResolvedValue([outboxItem(1, { kind: "verify" }), outboxItem(3, { caseId: 9, kind: "verify", attempts: 1, cancellable: false })]);
    await rows[1]!.find('[data-testid="outbox-cancel"]').trigger("click");
    await settle(6);
    expect(cancel).toHaveBeenCalledWith("cmd-2");
    expect(w.findAll('[data-testid="outbox-row"]')).toHaveLength(2);
    expect(w.findAll('[data-testid="outbox-cancel"]')).toHaveLength(1);
  });

  it("shows a load error with a retry", async () => {
    outbox.mockRejectedValueOnce(new BackendError("replica", "本机数据库已锁定"));
    useSyncStore().status = syncStatus();
    wrapper = mount(OutboxPage, { global: env.global as never, attachTo: document.body });
    await settle(6);
    expect(wrapper.text()).toContain("加载待同步操作失败：本机数据库已锁定");
    outbox.mockResolvedValue([]);
    await wrapper.find(".el-alert button").trigger("click");
    await settle(6);
    expect(byId(wrapper, "outbox-empty").exists()).toBe(true);
  });
});
