import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import CaseDetailDrawer from "../CaseDetailDrawer.vue";
import { backend, BackendError, type CaseDetail, type CommandKind } from "@/api/backend";
import { useSyncStore } from "@/stores/sync";
import { CASE_COMMANDS } from "@/i18n/labels";
import {
  caseDetail,
  caseItem,
  outboxItem,
  settle,
  staffOptions,
  syncStatus,
  testEnv,
  timelineEvent,
  type TestEnv,
} from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let detailSpy: MockInstance<typeof backend.caseDetail>;
let issueSpy: MockInstance<typeof backend.issueCommand>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];
/** The open command dialog (closed ones stay in the DOM, hidden). */
const dialog = () => $$("command-dialog").find((d) => d.offsetParent !== null || d.style.display !== "none") ?? null;
const inDialog = (id: string) => dialog()!.querySelector<HTMLElement>(`[data-testid="${id}"]`);

const global = () => env.global as never;

async function mountDrawer(detail: CaseDetail, opts: { online?: boolean } = {}) {
  detailSpy.mockResolvedValue(detail);
  useSyncStore().status = syncStatus({ online: opts.online ?? true });
  wrapper = mount(CaseDetailDrawer, { props: { item: detail.item }, global: global(), attachTo: document.body });
  await settle(6);
  return wrapper;
}

async function type(el: HTMLElement | null, value: string) {
  expect(el).not.toBeNull();
  const input = el as HTMLInputElement | HTMLTextAreaElement;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await settle(2);
}
async function click(el: HTMLElement | null) {
  expect(el).not.toBeNull();
  el!.click();
  await settle(6);
}
async function openAction(kind: string) {
  await click($(`action-${kind}`));
  const d = dialog();
  expect(d, kind).not.toBeNull();
  expect(d!.getAttribute("data-kind")).toBe(kind);
}
const radio = (group: string, value: string) => inDialog(group)!.querySelector<HTMLElement>(`[data-value="${value}"]`);
/** The form's messages (Element Plus shows them 100 ms after the check). */
async function errorsText() {
  await new Promise((r) => setTimeout(r, 150));
  await settle(2);
  return [...dialog()!.querySelectorAll(".el-form-item__error")].map((e) => e.textContent!.trim());
}

describe("CaseDetailDrawer", () => {
  beforeEach(() => {
    env = testEnv();
    detailSpy = vi.spyOn(backend, "caseDetail");
    issueSpy = vi.spyOn(backend, "issueCommand").mockResolvedValue({ commandId: "c1", projectedState: "verified" });
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus());
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows the header, facts and lifecycle with the test hooks on the real elements", async () => {
    await mountDrawer(
      caseDetail(1, { escalation: "coordination_office", appeal: "pending", realName: false, workingDaysLeft: 4 }, { caseNo: "CP-0001", state: "assigned" }),
    );
    expect(detailSpy).toHaveBeenCalledWith(1);
    const root = $("case-detail")!;
    expect(root.classList).toContain("el-drawer");
    expect(root.getAttribute("data-state")).toBe("assigned");
    expect(root.style.width).toBe("720px");
    expect($("case-detail-no")!.textContent).toBe("CP-0001");
    expect($("case-countdown")!.textContent).toBe("剩余 4 个工作日");
    expect($("case-countdown")!.getAttribute("data-kind")).toBe("left");
    expect($("case-escalation")!.textContent).toBe("协调督办");
    expect($("case-appeal")!.textContent).toBe("申诉待复核");
    expect($("case-real-name")!.textContent).toBe("匿名");
    const steps = $("case-steps")!;
    expect([...steps.querySelectorAll(".el-step__title")].map((s) => s.textContent)).toEqual([
      "待核实",
      "待处置",
      "已交办",
      "整改中",
      "待回访",
      "已办结",
    ]);
    expect(steps.querySelectorAll(".el-step__title.is-success")).toHaveLength(2);
    expect(steps.querySelector(".el-step__title.is-process")!.textContent).toBe("已交办");
    expect($("case-detail")!.textContent).toContain("玄武区政务服务中心");
  });

  it("counts down in working days: overdue in red, paused while an extension waits, none without a deadline", async () => {
    await mountDrawer(caseDetail(1, { workingDaysLeft: -3 }, { state: "in_rectification" }));
    const cd = $("case-countdown")!;
    expect(cd.textContent).toBe("已逾期 3 个工作日");
    expect(cd.closest(".el-tag")!.classList).toContain("el-tag--danger");
    wrapper!.unmount();
    document.body.innerHTML = "";

    await mountDrawer(caseDetail(2, { workingDaysLeft: 2 }, { state: "extension_requested" }));
    expect($("case-countdown")!.textContent).toBe("延期审批中 暂停计时");
    expect($("case-steps")!.textContent).toContain("延期审批中");
    wrapper!.unmount();
    document.body.innerHTML = "";

    await mountDrawer(caseDetail(3, { workingDaysLeft: null }, { state: "closed" }));
    expect($("case-countdown")!.textContent).toBe("不计时");
    expect($("case-steps")!.querySelectorAll(".el-step__title.is-success")).toHaveLength(6);
  });

  it("tags a provisional deadline 暂定 beside the date", async () => {
    await mountDrawer(caseDetail(1, { workingDaysLeft: 5 }, { state: "assigned", deadline: "2027-01-04", deadlineProvisional: true }));
    expect($("detail-deadline")!.textContent).toBe("2027-01-04");
    expect($("deadline-provisional")!.textContent!.trim()).toBe("暂定");
    wrapper!.unmount();
    document.body.innerHTML = "";
    await mountDrawer(caseDetail(2, { workingDaysLeft: 5 }, { state: "assigned", deadline: "2026-12-28" }));
    expect($("deadline-provisional")).toBeNull();
  });

  it("shows the exclusion path for excluded cases", async () => {
    await mountDrawer(caseDetail(1, { excludedFromStats: true, workingDaysLeft: null }, { state: "excluded" }));
    const titles = [...$("case-steps")!.querySelectorAll(".el-step__title")].map((s) => s.textContent);
    expect(titles).toEqual(["待核实", "剔除待审批", "已剔除"]);
    expect($("case-detail")!.getAttribute("data-state")).toBe("excluded");
    expect($("case-detail")!.textContent).toContain("已剔除出统计");
  });

  it("shows exactly one button per available command, with Chinese labels", async () => {
    const available: CommandKind[] = ["verify", "resolve_on_spot", "assign", "escalate", "record_accountability"];
    await mountDrawer(caseDetail(1, { available: ["create", ...available] }));
    const buttons = $("case-actions")!.querySelectorAll("button[data-testid^='action-']:not([data-testid='action-print-notice'])");
    expect([...buttons].map((b) => b.getAttribute("data-testid"))).toEqual(available.map((k) => `action-${k}`));
    expect([...buttons].map((b) => b.textContent!.trim())).toEqual(["核实", "当场解决", "交办", "升级督办", "问责决定"]);
    for (const k of CASE_COMMANDS.filter((k) => !available.includes(k))) expect($(`action-${k}`), k).toBeNull();
  });

  it("opens the notice preview for the case and says where the saved PDF went", async () => {
    const preview = vi.spyOn(backend, "previewNotices").mockResolvedValue({
      page: 0,
      pageCount: 2,
      count: 1,
      image: "data:image/png;base64,iVBORw0KGgo=",
      width: 1191,
      height: 1684,
    });
    const save = vi.spyOn(backend, "printNotices").mockResolvedValue({ path: "/tmp/notices/整改通知书-CP-0007.pdf", count: 1, docNumbers: ["东政管督〔2026〕1号"] });
    await mountDrawer(caseDetail(7, { available: [] }, { caseNo: "CP-0007" }));
    await click($("action-print-notice"));
    expect(preview).toHaveBeenCalledWith([7], 0, "rectification");
    expect($("notice-preview-page")!.getAttribute("src")).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(save).not.toHaveBeenCalled();
    await click($("notice-save"));
    expect(save).toHaveBeenCalledWith([7], "rectification");
    expect($("print-result")!.getAttribute("data-path")).toBe("/tmp/notices/整改通知书-CP-0007.pdf");
    expect($("notice-saved")!.getAttribute("data-path")).toBe("/tmp/notices/整改通知书-CP-0007.pdf");
  });

  it("masks the evaluator and reveals them only with a reason", async () => {
    const reveal = vi.spyOn(backend, "revealEvaluator").mockResolvedValue({ realName: true, name: "张三", phone: "13812345678" });
    const rating = { ratingId: 42, evaluatorMasked: "张*（138****5678）", realName: true, comment: "<b>排队太久</b>", ratedAt: "2026-11-20T09:00:00+08:00", channel: 4, contentCodes: [106], contentCodeMeanings: [{ code: 106, zh: "106 排队等候时间长、窗口空岗", en: "106 Long queue or unattended window" }] };
    await mountDrawer(caseDetail(3, { rating, mayRevealEvaluator: true }));
    expect($("evaluator-masked")!.textContent).toBe("张*（138****5678）");
    // A content code is shown with its meaning, not as a bare number.
    expect($("rating-codes")!.textContent).toBe("106 排队等候时间长、窗口空岗");
    expect($("rating-comment")!.textContent).toBe("<b>排队太久</b>");
    expect($("rating-comment")!.querySelector("b")).toBeNull();
    expect(document.body.textContent).not.toContain("13812345678");
    await click($("reveal-open"));
    await click($("reveal-submit"));
    expect(reveal).not.toHaveBeenCalled();
    expect($("reveal-error")!.textContent).toContain("理由");
    await type(document.querySelector("[data-testid=reveal-reason] textarea, textarea[data-testid=reveal-reason]"), "实名差评回访核实");
    await click($("reveal-submit"));
    expect(reveal).toHaveBeenCalledWith(42, "实名差评回访核实");
    expect($("reveal-result")!.textContent).toContain("13812345678");
  });

  it("offers no reveal to roles that may not see evaluators", async () => {
    const rating = { ratingId: 42, evaluatorMasked: "张*", realName: true, comment: "", ratedAt: "2026-11-20T09:00:00+08:00", channel: 4, contentCodes: [], contentCodeMeanings: [] };
    await mountDrawer(caseDetail(3, { rating, mayRevealEvaluator: false }));
    expect($("evaluator-masked")).not.toBeNull();
    expect($("reveal-open")).toBeNull();
  });

  it("says when the user has nothing to do", async () => {
    await mountDrawer(caseDetail(1, { available: [] }));
    expect($("case-actions")!.textContent).toContain("当前没有您可执行的操作");
    expect($("case-actions")!.querySelectorAll("button:not([data-testid='action-print-notice'])")).toHaveLength(0);
  });

  it("lists the timeline with labels, summaries and pending markers, as text", async () => {
    await mountDrawer(
      caseDetail(1, {
        events: [
          timelineEvent("created", { source: "bad_review", real_name: true }),
          timelineEvent(
            "verified",
            { outcome: "genuine", reason: "<b>属实</b>" },
            {
              actorName: "李四",
              files: [
                { sha256: "a".repeat(64), name: "<i>整改后</i>.jpg" },
                { sha256: "b".repeat(64), name: "" },
              ],
            },
          ),
          timelineEvent("assigned", { department_id: 301, handler_id: 42, due_date: "2026-11-28" }, { pending: true }),
        ],
      }),
    );
    expect($("case-timeline")!.tagName).toBe("UL");
    const items = $$("timeline-item");
    expect(items).toHaveLength(3);
    for (const li of items) expect(li.tagName).toBe("LI");
    expect(items.map((i) => i.getAttribute("data-kind"))).toEqual(["created", "verified", "assigned"]);
    expect(items.map((i) => i.getAttribute("data-pending"))).toEqual(["false", "false", "true"]);
    expect(items[0]!.querySelector(".event-label")!.textContent).toBe("创建工单");
    expect(items[1]!.querySelector(".event-label")!.textContent).toBe("核实");
    expect(items[1]!.textContent).toContain("李四");
    expect(items[1]!.querySelector(".event-summary")!.textContent).toBe("核实结果：属实；理由：<b>属实</b>");
    expect(items[1]!.querySelector("b.event-label ~ * b, .event-summary b")).toBeNull();
    // The files the 核实 cited, by name (as text), or by the start of their hash.
    expect(items[1]!.querySelector("[data-testid=timeline-files]")!.textContent).toBe(
      "附件：<i>整改后</i>.jpg、SHA-256 bbbbbbbbbbbb…",
    );
    expect(items[1]!.querySelector(".event-files i")).toBeNull();
    expect(items[0]!.querySelector("[data-testid=timeline-files]")).toBeNull();
    expect(items[2]!.classList).toContain("is-pending");
    expect(items[2]!.textContent).toContain("待同步");
    expect(items[2]!.textContent).toContain("承办人：陈静（人社局）");
    expect(items[1]!.textContent).not.toContain("待同步");
  });

  it("shows rejected commands in red with 放弃 / 重新提交", async () => {
    const rejected = outboxItem(5, { kind: "assign", status: "rejected", code: "illegal_state", message: "工单当前状态为“已办结”，不能执行“交办”操作" });
    await mountDrawer(caseDetail(1, { outbox: [outboxItem(4), rejected] }));
    const rows = $$("case-rejected");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.textContent).toContain("“交办”被服务器拒绝：工单当前状态为“已办结”，不能执行“交办”操作");

    const reissue = vi.spyOn(backend, "reissueCommand").mockResolvedValue({ commandId: "cmd-5", projectedState: "assigned" });
    await click(rows[0]!.querySelector<HTMLElement>('[data-testid="case-rejected-reissue"]'));
    expect(reissue).toHaveBeenCalledWith("cmd-5");
    expect(wrapper!.emitted("changed")).toHaveLength(1);

    vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const discard = vi.spyOn(backend, "discardCommand").mockResolvedValue();
    await click($("case-rejected-discard"));
    expect(discard).toHaveBeenCalledWith("cmd-5");
  });

  it("verify: validates, then issues the command and reloads", async () => {
    await mountDrawer(caseDetail(1, { available: ["verify"] }), { online: false });
    await openAction("verify");
    expect(dialog()!.classList).toContain("el-dialog");
    expect(inDialog("command-submit")!.tagName).toBe("BUTTON");
    expect(inDialog("command-reason")!.tagName).toBe("TEXTAREA");
    const radios = inDialog("verify-outcome")!.querySelectorAll("[data-value]");
    expect([...radios].map((r) => r.getAttribute("data-value"))).toEqual(["genuine", "malicious", "mistaken"]);
    expect([...radios].map((r) => r.tagName)).toEqual(["LABEL", "LABEL", "LABEL"]);

    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请选择核实结果");
    expect(issueSpy).not.toHaveBeenCalled();

    await click(radio("verify-outcome", "malicious"));
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请填写剔除理由");
    expect(issueSpy).not.toHaveBeenCalled();

    await type(inDialog("command-reason"), "  同一手机号一分钟内连续差评  ");
    detailSpy.mockClear();
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "verify", outcome: "malicious", reason: "同一手机号一分钟内连续差评" });
    expect(document.body.textContent).toContain("已提交，将在联网时同步");
    expect(detailSpy).toHaveBeenCalledWith(1);
    expect(wrapper!.emitted("changed")).toHaveLength(1);
  });

  it("says 已提交 when online", async () => {
    await mountDrawer(caseDetail(1, { available: ["accept"] }));
    await openAction("accept");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "accept" });
    expect([...document.querySelectorAll(".el-message")].map((m) => m.textContent!.trim())).toContain("已提交");
  });

  it("keeps the dialog open and shows the domain's message when the command is refused", async () => {
    issueSpy.mockRejectedValue(new BackendError("same_person_approval", "“同意剔除”须由申请人以外的人员办理，不能审批自己的申请"));
    await mountDrawer(caseDetail(1, { available: ["approve_exclusion"] }));
    await openAction("approve_exclusion");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "approve_exclusion", comment: "" });
    expect(inDialog("command-error")!.textContent).toBe("“同意剔除”须由申请人以外的人员办理，不能审批自己的申请");
    expect(dialog()!.getAttribute("data-kind")).toBe("approve_exclusion");
    expect(wrapper!.emitted("changed")).toBeUndefined();
  });

  it("assign: the department first, then one of its handlers; a department without one says so", async () => {
    await mountDrawer(caseDetail(1, { available: ["assign"] }, { departmentName: null }));
    await openAction("assign");
    const department = inDialog("assign-department")!;
    const handler = inDialog("assign-handler")!;
    expect([department.tagName, handler.tagName]).toEqual(["INPUT", "INPUT"]);
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请选择承办部门");

    await click(department);
    const options = $$("assign-department-option");
    expect(options.map((o) => [o.getAttribute("data-department-id"), o.getAttribute("data-handlers")])).toEqual([
      ["300", "2"],
      ["301", "1"],
      ["302", "0"],
    ]);
    expect(options[2]!.textContent).toContain("暂无承办人");
    // A department without a handler: said plainly, and nobody to pick.
    await click(options[2]!);
    expect(inDialog("assign-no-handler")!.textContent).toContain("“税务局”暂无承办人账号");
    await click(handler);
    expect($$("assign-handler-option").filter((o) => o.offsetParent !== null || o.style.display !== "none")).toEqual([]);
    await click(inDialog("command-submit"));
    expect(issueSpy).not.toHaveBeenCalled();

    // 市场监管局: only its own handlers are offered.
    await click(department);
    await click($$("assign-department-option").find((o) => o.getAttribute("data-department-id") === "300")!);
    expect(inDialog("assign-no-handler")).toBeNull();
    await click(handler);
    const people = $$("assign-handler-option").map((o) => o.getAttribute("data-user-id"));
    expect(people).toEqual(["41", "43"]);
    await click($$("assign-handler-option").find((o) => o.getAttribute("data-user-id") === "43")!);
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "assign", department_id: 300, handler_id: 43, due_date: null });
  });

  it("assign: starts from the department the case concerns and its only handler", async () => {
    await mountDrawer(caseDetail(1, { available: ["assign"] }, { departmentName: "人社局" }));
    await openAction("assign");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "assign", department_id: 301, handler_id: 42, due_date: null });
  });

  it("request_extension: days 1–10 and a reason", async () => {
    await mountDrawer(caseDetail(1, { available: ["request_extension"] }));
    await openAction("request_extension");
    await type(inDialog("extension-days"), "12");
    await click(inDialog("command-submit"));
    expect(await errorsText()).toEqual(expect.arrayContaining(["延期天数应为 1–10 的整数", "请填写延期理由"]));
    await type(inDialog("extension-days"), "3");
    await type(inDialog("command-reason"), "需要补充材料");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "request_extension", reason: "需要补充材料", extra_working_days: 3 });
  });

  it("report_rectification: measures required, evidence one per line", async () => {
    await mountDrawer(caseDetail(1, { available: ["report_rectification"] }));
    await openAction("report_rectification");
    expect(inDialog("command-measures")!.tagName).toBe("TEXTAREA");
    expect(inDialog("command-evidence")!.tagName).toBe("TEXTAREA");
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请填写整改措施");
    await type(inDialog("command-measures"), "已对窗口人员进行服务规范培训");
    await type(inDialog("command-evidence"), "培训签到表.pdf\n\n整改照片 IMG_01.jpg");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, {
      type: "report_rectification",
      measures: "已对窗口人员进行服务规范培训",
      evidence: ["培训签到表.pdf", "整改照片 IMG_01.jpg"],
    });
  });

  it("return_visit: method and the citizen's verdict", async () => {
    await mountDrawer(caseDetail(1, { available: ["return_visit"] }));
    await openAction("return_visit");
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请选择群众评价");
    await click(radio("visit-method", "sms"));
    await click(radio("visit-satisfied", "true"));
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "return_visit", method: "sms", satisfied: true, note: "" });
  });

  it("escalate: says the rung it moves to, by hand and by the overdue rule", async () => {
    await mountDrawer(
      caseDetail(1, { available: ["escalate"], escalation: "government_inspection", escalationNext: "accountability", escalationDue: null }),
    );
    await openAction("escalate");
    expect(inDialog("escalate-target")!.textContent).toContain("升级至：追责问责（第3级）");
    await click(radio("escalate-basis", "overdue"));
    expect(inDialog("escalate-target")!.getAttribute("data-level")).toBe("");
    expect(inDialog("escalate-target")!.textContent).toContain("不能按逾期升级");
    wrapper!.unmount();
    wrapper = null;
    document.body.innerHTML = "";
    await mountDrawer(caseDetail(2, { available: ["escalate"], escalationNext: "coordination_office", escalationDue: "government_inspection" }));
    await openAction("escalate");
    expect(inDialog("escalate-target")!.textContent).toContain("升级至：协调督办（第1级）");
    await click(radio("escalate-basis", "overdue"));
    expect(inDialog("escalate-target")!.textContent).toContain("升级至：政府督查（第2级）");
  });

  it("names the unit of a case assigned here from a unit this replica does not hold", async () => {
    await mountDrawer(caseDetail(1, {}, { unitName: "" }));
    expect($("case-unit")!.textContent).toBe("其他辖区单位（交办至本部门）");
  });

  it("at the top rung the drawer says what comes next", async () => {
    await mountDrawer(caseDetail(1, { available: [], escalation: "accountability", escalationNext: null }, { state: "in_rectification" }));
    expect($("case-top-rung")!.textContent).toContain("纪检监察联络员作出问责决定");
    expect($("action-escalate")).toBeNull();
  });

  it("an open integrity lead on the rating shows in the drawer and the verify dialog", async () => {
    const lead = { id: 7, kind: "burst_same_device", kindLabel: "同一设备集中评价", severity: "high", detectedAt: "2026-11-20T08:00:00Z" };
    await mountDrawer(caseDetail(1, { available: ["verify"], integrityLeads: [lead] }));
    expect($("case-integrity-leads")!.textContent).toContain("该评价涉及 1 条待核实的异常评价线索");
    expect($("case-integrity-leads")!.textContent).toContain("同一设备集中评价");
    await openAction("verify");
    expect(inDialog("verify-integrity-leads")!.textContent).toContain("同一设备集中评价");
  });

  it("escalate: manual needs a reason, overdue does not", async () => {
    await mountDrawer(caseDetail(1, { available: ["escalate"], escalationDue: "coordination_office" }));
    await openAction("escalate");
    expect([...inDialog("escalate-basis")!.querySelectorAll("[data-value]")].map((r) => r.getAttribute("data-value"))).toEqual([
      "manual",
      "overdue",
    ]);
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("请填写督办理由");
    await click(radio("escalate-basis", "overdue"));
    expect(inDialog("command-reason")).toBeNull();
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "escalate", basis: { type: "overdue" } });
  });

  it("decide_appeal: decision and opinion", async () => {
    await mountDrawer(caseDetail(1, { available: ["decide_appeal"] }));
    await openAction("decide_appeal");
    await click(inDialog("command-submit"));
    expect(await errorsText()).toEqual(expect.arrayContaining(["请选择复核结论", "请填写复核意见"]));
    await click(radio("appeal-decision", "overturned"));
    await type(inDialog("command-reason"), "录像显示服务规范");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, { type: "decide_appeal", decision: "overturned", reason: "录像显示服务规范" });
  });

  it("record_accountability: measure, points, subject, reason, evidence", async () => {
    await mountDrawer(caseDetail(1, { available: ["record_accountability"], escalation: "accountability", staff: staffOptions() }));
    await openAction("record_accountability");
    const values = [...inDialog("accountability-decision")!.querySelectorAll("[data-value]")].map((r) => r.getAttribute("data-value"));
    expect(values).toEqual(["deducted_points", "loss_of_annual_award", "admonition", "referral_to_discipline_inspection"]);
    expect(inDialog("accountability-subject")!.tagName).toBe("INPUT");
    expect(dialog()!.textContent).toContain("被问责人员");

    await click(inDialog("command-submit"));
    expect(await errorsText()).toEqual(
      expect.arrayContaining(["请选择问责方式", "请选择被问责人员", "请填写问责理由", "请至少填写一项佐证材料"]),
    );
    expect(inDialog("accountability-points")).toBeNull();
    await click(radio("accountability-decision", "deducted_points"));
    expect(inDialog("accountability-points")!.tagName).toBe("INPUT");
    await type(inDialog("accountability-points"), "0");
    // The staff picker: name, staff number and unit; searching by the staff number finds them.
    await click(inDialog("accountability-subject"));
    const people = $$("accountability-subject-option");
    expect(people.map((o) => [...o.querySelectorAll("span")].map((s) => s.textContent!.trim()))).toEqual([
      ["李明", "GH00029", "市场监管局 1号窗口"],
      ["王芳", "GH00030", "人社局 3号窗口"],
    ]);
    await click(people.find((o) => o.getAttribute("data-staff-id") === "50")!);
    await type(inDialog("command-reason"), "同一窗口一月内三次差评");
    await type(inDialog("command-evidence"), "督查通报〔2026〕3号");
    await click(inDialog("command-submit"));
    expect(await errorsText()).toContain("扣减分值应为 1–100 的整数");
    expect(issueSpy).not.toHaveBeenCalled();
    await type(inDialog("accountability-points"), "5");
    await click(inDialog("command-submit"));
    expect(issueSpy).toHaveBeenCalledWith(1, {
      type: "record_accountability",
      decision: { type: "deducted_points", points: 5 },
      subject_staff_id: 50,
      reason: "同一窗口一月内三次差评",
      evidence: ["督查通报〔2026〕3号"],
    });
  });

  it("required texts of the other dialogs", async () => {
    const cases: [CommandKind, string][] = [
      ["reject_exclusion", "请填写驳回理由"],
      ["resolve_on_spot", "请填写解释说明"],
      ["reject_extension", "请填写驳回理由"],
      ["close", "请填写办结说明"],
      ["reopen", "请填写重新办理理由"],
      ["appeal", "请填写申诉理由"],
    ];
    await mountDrawer(caseDetail(1, { available: cases.map(([k]) => k) }));
    for (const [kind, message] of cases) {
      await openAction(kind);
      await click(inDialog("command-submit"));
      expect(await errorsText(), kind).toContain(message);
      expect(issueSpy).not.toHaveBeenCalled();
      await type(inDialog("command-reason"), "说明");
      await click(inDialog("command-submit"));
      expect(issueSpy, kind).toHaveBeenCalledTimes(1);
      expect(issueSpy.mock.calls[0]![1].type).toBe(kind);
      issueSpy.mockClear();
    }
  });

  it("falls back to the inbox row when the detail cannot be loaded", async () => {
    detailSpy.mockRejectedValue(new BackendError("replica", "本机数据库已锁定"));
    useSyncStore().status = syncStatus();
    wrapper = mount(CaseDetailDrawer, {
      props: { item: caseItem(9, { caseNo: "CP-9", summary: "<img src=x>" }) },
      global: global(),
      attachTo: document.body,
    });
    await settle(6);
    expect($("case-detail-no")!.textContent).toBe("CP-9");
    expect($("case-detail-summary")!.textContent).toBe("<img src=x>");
    expect(document.querySelector("img[src='x']")).toBeNull();
    expect($("case-detail")!.textContent).toContain("加载工单详情失败：本机数据库已锁定");
    expect($("case-actions")).toBeNull();
  });
});
