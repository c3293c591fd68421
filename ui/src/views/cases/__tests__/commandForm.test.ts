import { describe, expect, it } from "vitest";
import {
  LIMITS,
  buildCommand,
  emptyForm,
  evidenceLines,
  fieldsFor,
  handlersOf,
  staffLabel,
  staffMatches,
  validateForm,
  type CommandForm,
  type IssuableKind,
} from "../commandForm";
import { CASE_COMMANDS } from "@/i18n/labels";
import { departments, staffOptions } from "@/test/helpers";

const form = (over: Partial<CommandForm> = {}): CommandForm => ({ ...emptyForm(10), ...over });
const errorKeys = (kind: IssuableKind, f: CommandForm) =>
  Object.fromEntries(Object.entries(validateForm(kind, f)).map(([k, v]) => [k, v!.key]));
const long = (n: number) => "字".repeat(n);

describe("command forms: fields", () => {
  it("every command has a field list", () => {
    for (const k of CASE_COMMANDS) expect(Array.isArray(fieldsFor(k, emptyForm(10))), k).toBe(true);
  });

  it("shows the points only for deducted points, the reason only for a manual escalation", () => {
    expect(fieldsFor("record_accountability", form({ accountability: "deducted_points" }))).toContain("points");
    expect(fieldsFor("record_accountability", form({ accountability: "admonition" }))).not.toContain("points");
    expect(fieldsFor("escalate", form({ basis: "manual" }))).toEqual(["basis", "reason"]);
    expect(fieldsFor("escalate", form({ basis: "overdue" }))).toEqual(["basis"]);
    expect(fieldsFor("accept", emptyForm(10))).toEqual([]);
  });
});

describe("command forms: validation", () => {
  it("verify: outcome required; reason only for malicious/mistaken", () => {
    expect(errorKeys("verify", form())).toEqual({ outcome: "form.choose" });
    expect(errorKeys("verify", form({ outcome: "genuine" }))).toEqual({});
    expect(errorKeys("verify", form({ outcome: "malicious" }))).toEqual({ reason: "form.required" });
    expect(errorKeys("verify", form({ outcome: "mistaken", reason: "   " }))).toEqual({ reason: "form.required" });
    expect(errorKeys("verify", form({ outcome: "mistaken", reason: "群众误点" }))).toEqual({});
    expect(validateForm("verify", form({ outcome: "malicious" })).reason!.fieldKey).toBe("command.reason.verifyExclusion");
    expect(errorKeys("verify", form({ outcome: "genuine", reason: long(LIMITS.reason + 1) }))).toEqual({ reason: "form.tooLong" });
  });

  it("texts that are required", () => {
    const required: IssuableKind[] = ["reject_exclusion", "resolve_on_spot", "reject_extension", "close", "reopen", "appeal"];
    for (const k of required) {
      expect(errorKeys(k, form()), k).toEqual({ reason: "form.required" });
      expect(errorKeys(k, form({ reason: "理由" })), k).toEqual({});
    }
    expect(errorKeys("resolve_on_spot", form({ reason: long(LIMITS.explanation) }))).toEqual({});
    expect(errorKeys("resolve_on_spot", form({ reason: long(LIMITS.explanation + 1) }))).toEqual({ reason: "form.tooLong" });
    expect(errorKeys("close", form({ reason: long(LIMITS.reason + 1) }))).toEqual({ reason: "form.tooLong" });
  });

  it("texts that are optional", () => {
    for (const k of ["approve_exclusion", "approve_extension"] as const) expect(errorKeys(k, form()), k).toEqual({});
    expect(errorKeys("accept", form())).toEqual({});
  });

  it("assign: the department first, then a handler", () => {
    const keys = (f: CommandForm) => Object.values(validateForm("assign", f)).map((e) => [e!.key, e!.fieldKey]);
    expect(keys(form())).toEqual([["form.choose", "command.field.department"]]);
    expect(keys(form({ departmentId: 301 }))).toEqual([["form.choose", "command.field.handler"]]);
    expect(errorKeys("assign", form({ departmentId: 301, handlerId: 42 }))).toEqual({});
  });

  it("request_extension: 1–10 whole working days and a reason", () => {
    expect(errorKeys("request_extension", form())).toEqual({ extraDays: "form.days", reason: "form.required" });
    for (const bad of ["0", "11", "2.5", "-1", "abc", " "]) {
      expect(errorKeys("request_extension", form({ extraDays: bad, reason: "材料待补" })), bad).toEqual({ extraDays: "form.days" });
    }
    for (const ok of ["1", "10", " 5 "]) expect(errorKeys("request_extension", form({ extraDays: ok, reason: "材料待补" })), ok).toEqual({});
    // The limit is the jurisdiction policy's, not a constant.
    expect(errorKeys("request_extension", form({ extraDays: "15", reason: "材料待补", maxExtraDays: 15 }))).toEqual({});
    expect(errorKeys("request_extension", form({ extraDays: "4", reason: "材料待补", maxExtraDays: 3 }))).toEqual({ extraDays: "form.days" });
  });

  it("report_rectification: measures required, evidence optional but bounded", () => {
    expect(errorKeys("report_rectification", form())).toEqual({ measures: "form.required" });
    expect(errorKeys("report_rectification", form({ measures: "已约谈窗口人员" }))).toEqual({});
    expect(errorKeys("report_rectification", form({ measures: long(LIMITS.measures + 1) }))).toEqual({ measures: "form.tooLong" });
    const many = Array.from({ length: LIMITS.evidenceItems + 1 }, (_, i) => `证据${i}`).join("\n");
    expect(errorKeys("report_rectification", form({ measures: "x", evidence: many }))).toEqual({ evidence: "form.evidenceTooMany" });
    expect(errorKeys("report_rectification", form({ measures: "x", evidence: long(LIMITS.evidenceLine + 1) }))).toEqual({
      evidence: "form.evidenceLineTooLong",
    });
  });

  it("return_visit: the citizen's verdict is required, the note optional", () => {
    expect(errorKeys("return_visit", form())).toEqual({ satisfied: "form.choose" });
    expect(errorKeys("return_visit", form({ satisfied: false }))).toEqual({});
  });

  it("escalate: a reason for a manual escalation, none for overdue", () => {
    expect(errorKeys("escalate", form({ basis: "manual" }))).toEqual({ reason: "form.required" });
    expect(errorKeys("escalate", form({ basis: "manual", reason: "跨部门" }))).toEqual({});
    expect(errorKeys("escalate", form({ basis: "overdue" }))).toEqual({});
  });

  it("decide_appeal: decision and opinion", () => {
    expect(errorKeys("decide_appeal", form())).toEqual({ decision: "form.choose", reason: "form.required" });
    expect(errorKeys("decide_appeal", form({ decision: "overturned", reason: "录像显示态度良好" }))).toEqual({});
  });

  it("record_accountability: measure, points, subject, reason and at least one evidence item", () => {
    expect(errorKeys("record_accountability", form())).toEqual({
      accountability: "form.choose",
      subject: "form.choose",
      reason: "form.required",
      evidence: "form.evidenceRequired",
    });
    const ok = form({ accountability: "deducted_points", points: "5", subject: 50, reason: "多次差评", evidence: "通报 2026-3\n" });
    expect(errorKeys("record_accountability", ok)).toEqual({});
    expect(errorKeys("record_accountability", { ...ok, points: "0" })).toEqual({ points: "form.points" });
    expect(errorKeys("record_accountability", { ...ok, points: String(LIMITS.points + 1) })).toEqual({ points: "form.points" });
    expect(errorKeys("record_accountability", { ...ok, subject: null })).toEqual({ subject: "form.choose" });
    expect(errorKeys("record_accountability", { ...ok, evidence: " \n  \n" })).toEqual({ evidence: "form.evidenceRequired" });
    expect(errorKeys("record_accountability", { ...ok, accountability: "admonition", points: "" })).toEqual({});
  });

  it("record_interview: a day not after today, who and what", () => {
    const today = emptyForm(10, new Date(2026, 11, 6, 10, 0));
    expect(today.heldOn).toBe("2026-12-06");
    expect(errorKeys("record_interview", today)).toEqual({ interviewee: "form.required", reason: "form.required" });
    const ok = { ...today, interviewee: " 张三（窗口负责人） ", reason: "连续两月末位，限一周内整改" };
    expect(errorKeys("record_interview", ok)).toEqual({});
    expect(errorKeys("record_interview", { ...ok, heldOn: "2026-12-07" })).toEqual({ heldOn: "form.notFuture" });
    expect(errorKeys("record_interview", { ...ok, heldOn: "" })).toEqual({ heldOn: "form.choose" });
    expect(errorKeys("record_interview", { ...ok, interviewee: long(LIMITS.interviewee + 1) })).toEqual({ interviewee: "form.tooLong" });
    expect(buildCommand("record_interview", ok)).toEqual({
      type: "record_interview",
      held_on: "2026-12-06",
      interviewee: "张三（窗口负责人）",
      content: "连续两月末位，限一周内整改",
    });
  });
});

describe("command forms: the command sent", () => {
  it("builds every command with snake_case fields and trimmed text", () => {
    expect(buildCommand("verify", form({ outcome: "malicious", reason: " 重复刷评 " }))).toEqual({
      type: "verify",
      outcome: "malicious",
      reason: "重复刷评",
    });
    expect(buildCommand("approve_exclusion", form({ reason: "同意" }))).toEqual({ type: "approve_exclusion", comment: "同意" });
    expect(buildCommand("reject_exclusion", form({ reason: "证据不足" }))).toEqual({ type: "reject_exclusion", reason: "证据不足" });
    expect(buildCommand("resolve_on_spot", form({ reason: "已解释" }))).toEqual({ type: "resolve_on_spot", explanation: "已解释" });
    expect(buildCommand("assign", form({ departmentId: 301, handlerId: 42 }))).toEqual({
      type: "assign",
      department_id: 301,
      handler_id: 42,
      due_date: null,
    });
    expect(buildCommand("accept", form())).toEqual({ type: "accept" });
    expect(buildCommand("request_extension", form({ extraDays: " 3", reason: "待补材料" }))).toEqual({
      type: "request_extension",
      reason: "待补材料",
      extra_working_days: 3,
    });
    expect(buildCommand("approve_extension", form())).toEqual({ type: "approve_extension", comment: "" });
    expect(buildCommand("reject_extension", form({ reason: "不必" }))).toEqual({ type: "reject_extension", reason: "不必" });
    expect(buildCommand("report_rectification", form({ measures: " 培训 ", evidence: "a.jpg\n\n b.pdf \n" }))).toEqual({
      type: "report_rectification",
      measures: "培训",
      evidence: ["a.jpg", "b.pdf"],
    });
    expect(buildCommand("return_visit", form({ method: "wechat", satisfied: false, reason: "仍不满意" }))).toEqual({
      type: "return_visit",
      method: "wechat",
      satisfied: false,
      note: "仍不满意",
    });
    expect(buildCommand("close", form({ reason: "匿名，已整改" }))).toEqual({ type: "close", note: "匿名，已整改" });
    expect(buildCommand("reopen", form({ reason: "复发" }))).toEqual({ type: "reopen", reason: "复发" });
    expect(buildCommand("escalate", form({ basis: "manual", reason: "跨部门" }))).toEqual({
      type: "escalate",
      basis: { type: "manual", reason: "跨部门" },
    });
    expect(buildCommand("escalate", form({ basis: "overdue", reason: "ignored" }))).toEqual({ type: "escalate", basis: { type: "overdue" } });
    expect(buildCommand("appeal", form({ reason: "误评" }))).toEqual({ type: "appeal", reason: "误评" });
    expect(buildCommand("decide_appeal", form({ decision: "upheld", reason: "维持" }))).toEqual({
      type: "decide_appeal",
      decision: "upheld",
      reason: "维持",
    });
    expect(
      buildCommand("record_accountability", form({ accountability: "deducted_points", points: "5", subject: 50, reason: "r", evidence: "e1\ne2" })),
    ).toEqual({
      type: "record_accountability",
      decision: { type: "deducted_points", points: 5 },
      subject_staff_id: 50,
      reason: "r",
      evidence: ["e1", "e2"],
    });
    expect(
      buildCommand("record_accountability", form({ accountability: "referral_to_discipline_inspection", subject: 7, reason: "r", evidence: "e" })),
    ).toEqual({
      type: "record_accountability",
      decision: { type: "referral_to_discipline_inspection" },
      subject_staff_id: 7,
      reason: "r",
      evidence: ["e"],
    });
  });

  it("splits evidence per line; offers a department's own handlers; labels and finds staff", () => {
    expect(evidenceLines(" a \r\n\r\nb\n  ")).toEqual(["a", "b"]);
    expect(handlersOf(departments(), 300).map((h) => h.userId)).toEqual([41, 43]);
    expect(handlersOf(departments(), 302)).toEqual([]);
    expect(handlersOf(departments(), null)).toEqual([]);
    const [li] = staffOptions();
    expect(staffLabel(li!)).toBe("李明（GH00029，市场监管局 1号窗口）");
    expect(staffLabel({ ...li!, unit: "" })).toBe("李明（GH00029）");
    for (const q of ["", "李", "gh00029", "1号窗口"]) expect(staffMatches(li!, q), q).toBe(true);
    expect(staffMatches(li!, "GH00030")).toBe(false);
  });
});
