import { describe, expect, it } from "vitest";
import { createAppI18n } from "@/i18n";
import { EVENT_KINDS, eventLabel } from "@/i18n/labels";
import { commandFlagId, commandSummary, eventSummary } from "../eventSummary";
import { handlers, staffOptions } from "@/test/helpers";

const zh = createAppI18n("zh-CN").global;
const en = createAppI18n("en").global;
const tz = (k: string, n?: Record<string, unknown>) => (n ? zh.t(k, n) : zh.t(k));
const te = (k: string, n?: Record<string, unknown>) => (n ? en.t(k, n) : en.t(k));
const j = (o: object) => JSON.stringify(o);

describe("timeline labels", () => {
  it("names every event kind in Chinese", () => {
    expect(Object.fromEntries(EVENT_KINDS.map((k) => [k, eventLabel(tz, k)]))).toEqual({
      created: "创建工单",
      verified: "核实",
      exclusion_approved: "同意剔除",
      exclusion_rejected: "驳回剔除",
      resolved_on_spot: "当场解决",
      assigned: "交办",
      accepted: "签收",
      extension_requested: "申请延期",
      extension_approved: "批准延期",
      extension_rejected: "驳回延期",
      rectification_reported: "报送整改",
      return_visited: "回访",
      closed: "办结",
      reopened: "重新打开",
      escalated: "升级督办",
      urged: "催办",
      warned: "超期预警",
      appealed: "申诉",
      appeal_decided: "申诉复核",
      accountability_recorded: "问责决定",
      interview_recorded: "约谈",
    });
  });

  it("summarises a 约谈 record", () => {
    const d = JSON.stringify({ held_on: "2026-12-04", interviewee: "张三（窗口负责人）", content: "要求一周内整改" });
    expect(eventSummary(tz, "interview_recorded", d)).toBe("2026-12-04 约谈 张三（窗口负责人）；约谈内容：要求一周内整改");
  });

  it("names every event kind in English and shows unknown kinds as they are", () => {
    for (const k of EVENT_KINDS) expect(eventLabel(te, k)).not.toMatch(/^event\./);
    expect(eventLabel(tz, "something_new")).toBe("something_new");
  });
});

describe("event summaries", () => {
  it("summarises each kind from its payload", () => {
    const hs = handlers();
    const s = (kind: string, d: object) => eventSummary(tz, kind, j({ kind, ...d }), { handlers: hs, staff: staffOptions() });
    expect(s("created", { source: "hotline_12345", real_name: false })).toBe("来源：12345热线；匿名");
    expect(s("verified", { outcome: "malicious", reason: "同一设备连续差评" })).toBe("核实结果：恶意差评；理由：同一设备连续差评");
    expect(s("verified", { outcome: "genuine", reason: "" })).toBe("核实结果：属实");
    expect(s("exclusion_approved", { comment: "同意" })).toBe("意见：同意");
    expect(s("exclusion_rejected", { reason: "证据不足" })).toBe("理由：证据不足");
    expect(s("resolved_on_spot", { explanation: "已当面解释政策" })).toBe("解释说明：已当面解释政策");
    expect(s("assigned", { department_id: 301, handler_id: 42, due_date: "2026-11-28" })).toBe("承办人：陈静（人社局）；办理期限：2026-11-28");
    expect(s("assigned", { department_id: 9, handler_id: 99, due_date: "2026-11-28" })).toBe("承办人：人员编号 99；办理期限：2026-11-28");
    expect(s("accepted", {})).toBe("");
    expect(s("extension_requested", { reason: "待补材料", extra_working_days: 3 })).toBe("申请延期 3 个工作日；理由：待补材料");
    expect(
      s("extension_approved", { comment: "", paused_working_days: 1, granted_working_days: 3, due_date: "2026-12-03" }),
    ).toBe("批准延期 3 个工作日；暂停计时 1 个工作日；新的办理期限：2026-12-03");
    expect(s("extension_rejected", { reason: "理由不充分", paused_working_days: 0, due_date: "2026-11-30" })).toBe(
      "理由：理由不充分；办理期限：2026-11-30",
    );
    expect(s("rectification_reported", { measures: "培训", evidence: ["a", "b"], on_time: false })).toBe(
      "整改措施：培训；佐证材料 2 项；逾期报送",
    );
    expect(s("return_visited", { method: "phone", satisfied: false, note: "仍不满意", due_date: "2026-12-05" })).toBe(
      "回访方式：电话；群众不满意；备注：仍不满意；新的办理期限：2026-12-05",
    );
    expect(s("closed", { note: "匿名差评，已整改" })).toBe("办结说明：匿名差评，已整改");
    expect(s("reopened", { reason: "复发", due_date: null })).toBe("理由：复发");
    expect(s("escalated", { from: "first_line", to: "coordination_office", basis: { type: "manual", reason: "跨部门" } })).toBe(
      "一线处置 → 协调督办；依据：跨部门",
    );
    expect(s("escalated", { from: "coordination_office", to: "accountability", basis: { type: "overdue" } })).toBe(
      "协调督办 → 追责问责；依据：逾期",
    );
    expect(s("urged", { note: "请于周五前报送", due_date: "2026-03-16", working_days_overdue: 2 })).toBe(
      "催办意见：请于周五前报送；已逾期 2 个工作日",
    );
    expect(s("urged", { note: "请按期整改", due_date: "2026-03-16", working_days_overdue: 0 })).toBe("催办意见：请按期整改");
    expect(s("warned", { due_date: "2026-03-16", working_days_left: 1 })).toBe("办理期限：2026-03-16；剩余 1 个工作日");
    expect(s("warned", { due_date: "2026-03-16", working_days_left: 0 })).toBe("办理期限：2026-03-16；今天到期");
    expect(s("appealed", { reason: "误评" })).toBe("理由：误评");
    expect(s("appeal_decided", { decision: "overturned", reason: "录像为证" })).toBe("复核结论：撤销差评；理由：录像为证");
    expect(
      s("accountability_recorded", { decision: { type: "deducted_points", points: 5 }, subject_staff_id: 50, reason: "多次", evidence: ["e"] }),
    ).toBe("扣减绩效分 5 分；被问责人员：李明（GH00029，市场监管局 1号窗口）；理由：多次；佐证材料 1 项");
    expect(s("accountability_recorded", { decision: { type: "admonition" }, subject_staff_id: 51, reason: "r", evidence: ["e"] })).toBe(
      "问责方式：诫勉谈话 / 提醒谈话；被问责人员：王芳（GH00030，人社局 3号窗口）；理由：r；佐证材料 1 项",
    );
    // Someone the replica does not hold (yet) is named by number, never left out.
    expect(s("accountability_recorded", { decision: { type: "admonition" }, subject_staff_id: 99, reason: "r", evidence: ["e"] })).toBe(
      "问责方式：诫勉谈话 / 提醒谈话；被问责人员：人员编号 99；理由：r；佐证材料 1 项",
    );
  });

  it("keeps citizens' text as it is and ignores malformed details", () => {
    expect(eventSummary(tz, "exclusion_rejected", j({ reason: "<img src=x onerror=alert(1)>" }))).toBe("理由：<img src=x onerror=alert(1)>");
    expect(eventSummary(tz, "verified", "not json")).toBe("");
    expect(eventSummary(tz, "verified", "[1,2]")).toBe("");
    expect(eventSummary(tz, "verified", j({ outcome: "bogus", reason: 5 }))).toBe("");
  });

  it("summarises queued commands too, in English as well", () => {
    expect(commandSummary(tz, "request_extension", j({ type: "request_extension", reason: "r", extra_working_days: 2 }))).toBe(
      "申请延期 2 个工作日；理由：r",
    );
    expect(commandSummary(te, "verify", j({ type: "verify", outcome: "mistaken", reason: "r" }))).toBe("Outcome: Mistaken; Reason: r");
    expect(commandSummary(tz, "unknown", "{}")).toBe("");
  });

  it("summarises a verdict on an integrity flag by its verdict and notes", () => {
    const cmd = j({ flag_id: 5, verdict: "confirmed_fake", note: " 调取监控确认刷好评 " });
    expect(commandSummary(tz, "decide_flag", cmd)).toBe("核实结论：核实为虚假评价；核实情况：调取监控确认刷好评");
    expect(commandSummary(te, "decide_flag", j({ flag_id: 5, verdict: "dismissed", note: "ok" }))).toBe(
      "Verdict: Confirmed genuine; Findings: ok",
    );
    expect(commandSummary(tz, "decide_flag", j({ flag_id: 5, verdict: "bogus", note: "" }))).toBe("");
    expect(commandSummary(tz, "decide_flag", "not json")).toBe("");
    expect(commandFlagId("decide_flag", cmd)).toBe(5);
    expect(commandFlagId("decide_flag", "{}")).toBeNull();
    expect(commandFlagId("verify", cmd)).toBeNull();
  });
});

describe("award confirmations in the outbox", () => {
  it("reads a queued confirmation", () => {
    const cmd = JSON.stringify({ kind: "star", period: "2026-11", staff_id: 12 });
    expect(commandSummary(tz, "confirm_award", cmd)).toBe("2026-11 服务明星（工作人员编号 12）");
    expect(commandSummary(tz, "confirm_award", "not json")).toBe("");
    expect(commandSummary(tz, "confirm_award", JSON.stringify({ kind: "gold", period: "2026-11", staff_id: 1 }))).toBe("");
  });
});
