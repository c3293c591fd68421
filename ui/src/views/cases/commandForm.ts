// The command dialogs' data: one form model for every command, which fields each command shows,
// the client-side checks (the same content rules the domain applies, plus length limits) and the
// translation into the `CaseCommand` the backend takes. Pure functions, so they are tested alone.
import type {
  AppealDecision,
  Assignee,
  CaseCommand,
  CommandKind,
  DepartmentChoice,
  StaffOption,
  VerifyOutcome,
  VisitMethod,
} from "@/api/backend";
import type { AccountabilityType } from "@/i18n/labels";

export type IssuableKind = Exclude<CommandKind, "create">;

export const LIMITS = {
  reason: 500,
  explanation: 1000,
  measures: 2000,
  evidenceItems: 20,
  evidenceLine: 200,
  points: 100,
  interviewee: 100,
} as const;

export interface CommandForm {
  outcome: VerifyOutcome | null;
  /** The free text of the command: reason, comment, explanation or note. */
  reason: string;
  /** 交办: the department first, then one of its handlers. */
  departmentId: number | null;
  handlerId: number | null;
  extraDays: string;
  /** The most working days one extension may ask for: the case's jurisdiction policy's limit. */
  maxExtraDays: number;
  measures: string;
  /** One evidence reference per line. */
  evidence: string;
  method: VisitMethod;
  satisfied: boolean | null;
  basis: "manual" | "overdue";
  decision: AppealDecision | null;
  accountability: AccountabilityType | null;
  points: string;
  /** 问责决定: the staff member (`staff.id`) held accountable, picked from the roster. */
  subject: number | null;
  /** 约谈: the day it was held (`YYYY-MM-DD`, not after today). */
  heldOn: string;
  /** 约谈: who was talked to (name and post). */
  interviewee: string;
  /** Today's date (`YYYY-MM-DD`, local), the latest day a talk may have been held. */
  today: string;
}

/** The fields a dialog shows (the extension limit is a setting of the form, not a field). */
export type FieldName = Exclude<keyof CommandForm, "maxExtraDays" | "today">;

/** `YYYY-MM-DD` of a date, local time. */
export function isoDay(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

export function emptyForm(maxExtraDays: number, now: Date = new Date()): CommandForm {
  return {
    outcome: null,
    reason: "",
    departmentId: null,
    handlerId: null,
    extraDays: "",
    maxExtraDays,
    measures: "",
    evidence: "",
    method: "phone",
    satisfied: null,
    basis: "manual",
    decision: null,
    accountability: null,
    points: "",
    subject: null,
    heldOn: isoDay(now),
    interviewee: "",
    today: isoDay(now),
  };
}

/** How each command uses the free-text field: required (always, or depending on the form) and its limit. */
const REASON: Partial<Record<IssuableKind, { required: boolean | ((f: CommandForm) => boolean); max: number }>> = {
  verify: { required: (f) => f.outcome === "malicious" || f.outcome === "mistaken", max: LIMITS.reason },
  approve_exclusion: { required: false, max: LIMITS.reason },
  reject_exclusion: { required: true, max: LIMITS.reason },
  resolve_on_spot: { required: true, max: LIMITS.explanation },
  request_extension: { required: true, max: LIMITS.reason },
  approve_extension: { required: false, max: LIMITS.reason },
  reject_extension: { required: true, max: LIMITS.reason },
  return_visit: { required: false, max: LIMITS.reason },
  close: { required: true, max: LIMITS.reason },
  reopen: { required: true, max: LIMITS.reason },
  escalate: { required: (f) => f.basis === "manual", max: LIMITS.reason },
  urge: { required: true, max: LIMITS.reason },
  appeal: { required: true, max: LIMITS.reason },
  decide_appeal: { required: true, max: LIMITS.reason },
  record_accountability: { required: true, max: LIMITS.reason },
  record_interview: { required: true, max: LIMITS.explanation },
};

export function reasonRequired(kind: IssuableKind, f: CommandForm): boolean {
  const spec = REASON[kind];
  if (!spec) return false;
  return typeof spec.required === "function" ? spec.required(f) : spec.required;
}

export function reasonMax(kind: IssuableKind): number {
  return REASON[kind]?.max ?? LIMITS.reason;
}

/** The i18n key of the free-text field's label for this command. */
export function reasonLabelKey(kind: IssuableKind, f: CommandForm): string {
  if (kind === "verify" && reasonRequired(kind, f)) return "command.reason.verifyExclusion";
  return `command.reason.${kind}`;
}

/** The fields a command's dialog shows, in order. */
export function fieldsFor(kind: IssuableKind, f: CommandForm): FieldName[] {
  switch (kind) {
    case "verify":
      return ["outcome", "reason"];
    case "assign":
      return ["handlerId"];
    case "accept":
    case "warn":
      return [];
    case "request_extension":
      return ["extraDays", "reason"];
    case "report_rectification":
      return ["measures", "evidence"];
    case "return_visit":
      return ["method", "satisfied", "reason"];
    case "escalate":
      return f.basis === "manual" ? ["basis", "reason"] : ["basis"];
    case "decide_appeal":
      return ["decision", "reason"];
    case "record_interview":
      return ["heldOn", "interviewee", "reason"];
    case "record_accountability":
      return f.accountability === "deducted_points"
        ? ["accountability", "points", "subject", "reason", "evidence"]
        : ["accountability", "subject", "reason", "evidence"];
    default:
      return ["reason"];
  }
}

/** A validation failure: an i18n key and its parameters (`field` is an i18n key, translated by the caller). */
export interface FieldError {
  key: string;
  params?: Record<string, string | number>;
  /** An i18n key to translate into the `field` parameter. */
  fieldKey?: string;
}

export function evidenceLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function intInRange(text: string, min: number, max: number): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

const length = (s: string) => [...s.trim()].length;

/** Checks one field of a command's form; null when it is fine. */
export function validateField(kind: IssuableKind, field: FieldName, f: CommandForm): FieldError | null {
  switch (field) {
    case "outcome":
      return f.outcome ? null : { key: "form.choose", fieldKey: "command.field.outcome" };
    case "reason": {
      const fieldKey = reasonLabelKey(kind, f);
      if (reasonRequired(kind, f) && length(f.reason) === 0) return { key: "form.required", fieldKey };
      const max = reasonMax(kind);
      return length(f.reason) > max ? { key: "form.tooLong", fieldKey, params: { max } } : null;
    }
    case "departmentId":
      return f.departmentId !== null ? null : { key: "form.choose", fieldKey: "command.field.department" };
    case "handlerId":
      if (f.departmentId === null) return { key: "form.choose", fieldKey: "command.field.department" };
      return f.handlerId !== null ? null : { key: "form.choose", fieldKey: "command.field.handler" };
    case "extraDays":
      return intInRange(f.extraDays, 1, f.maxExtraDays) !== null ? null : { key: "form.days", params: { max: f.maxExtraDays } };
    case "measures":
      if (length(f.measures) === 0) return { key: "form.required", fieldKey: "command.field.measures" };
      return length(f.measures) > LIMITS.measures
        ? { key: "form.tooLong", fieldKey: "command.field.measures", params: { max: LIMITS.measures } }
        : null;
    case "evidence": {
      const lines = evidenceLines(f.evidence);
      if (kind === "record_accountability" && lines.length === 0) return { key: "form.evidenceRequired" };
      if (lines.length > LIMITS.evidenceItems) return { key: "form.evidenceTooMany", params: { max: LIMITS.evidenceItems } };
      if (lines.some((l) => [...l].length > LIMITS.evidenceLine)) return { key: "form.evidenceLineTooLong", params: { max: LIMITS.evidenceLine } };
      return null;
    }
    case "method":
      return f.method ? null : { key: "form.choose", fieldKey: "command.field.method" };
    case "satisfied":
      return f.satisfied !== null ? null : { key: "form.choose", fieldKey: "command.field.satisfied" };
    case "basis":
      return f.basis ? null : { key: "form.choose", fieldKey: "command.field.basis" };
    case "decision":
      return f.decision ? null : { key: "form.choose", fieldKey: "command.field.decision" };
    case "accountability":
      return f.accountability ? null : { key: "form.choose", fieldKey: "command.field.accountability" };
    case "points":
      return intInRange(f.points, 1, LIMITS.points) !== null ? null : { key: "form.points", params: { max: LIMITS.points } };
    case "subject":
      return f.subject !== null ? null : { key: "form.choose", fieldKey: "command.field.subject" };
    case "heldOn":
      if (!/^\d{4}-\d{2}-\d{2}$/.test(f.heldOn)) return { key: "form.choose", fieldKey: "command.field.heldOn" };
      return f.heldOn > f.today ? { key: "form.notFuture", fieldKey: "command.field.heldOn" } : null;
    case "interviewee":
      if (length(f.interviewee) === 0) return { key: "form.required", fieldKey: "command.field.interviewee" };
      return length(f.interviewee) > LIMITS.interviewee
        ? { key: "form.tooLong", fieldKey: "command.field.interviewee", params: { max: LIMITS.interviewee } }
        : null;
  }
}

/** Every failing field of the form (empty when it can be submitted). */
export function validateForm(kind: IssuableKind, f: CommandForm): Partial<Record<FieldName, FieldError>> {
  const errors: Partial<Record<FieldName, FieldError>> = {};
  for (const field of fieldsFor(kind, f)) {
    const e = validateField(kind, field, f);
    if (e) errors[field] = e;
  }
  return errors;
}

/** The command for a valid form. */
export function buildCommand(kind: IssuableKind, f: CommandForm): CaseCommand {
  const reason = f.reason.trim();
  switch (kind) {
    case "verify":
      return { type: "verify", outcome: f.outcome!, reason };
    case "approve_exclusion":
      return { type: "approve_exclusion", comment: reason };
    case "reject_exclusion":
      return { type: "reject_exclusion", reason };
    case "resolve_on_spot":
      return { type: "resolve_on_spot", explanation: reason };
    case "assign":
      return { type: "assign", department_id: f.departmentId!, handler_id: f.handlerId!, due_date: null };
    case "accept":
      return { type: "accept" };
    case "request_extension":
      return { type: "request_extension", reason, extra_working_days: Number(f.extraDays.trim()) };
    case "approve_extension":
      return { type: "approve_extension", comment: reason };
    case "reject_extension":
      return { type: "reject_extension", reason };
    case "report_rectification":
      return { type: "report_rectification", measures: f.measures.trim(), evidence: evidenceLines(f.evidence) };
    case "return_visit":
      return { type: "return_visit", method: f.method, satisfied: f.satisfied!, note: reason };
    case "close":
      return { type: "close", note: reason };
    case "reopen":
      return { type: "reopen", reason };
    case "escalate":
      return { type: "escalate", basis: f.basis === "manual" ? { type: "manual", reason } : { type: "overdue" } };
    case "urge":
      return { type: "urge", note: reason };
    case "warn":
      return { type: "warn" };
    case "appeal":
      return { type: "appeal", reason };
    case "decide_appeal":
      return { type: "decide_appeal", decision: f.decision!, reason };
    case "record_accountability":
      return {
        type: "record_accountability",
        decision:
          f.accountability === "deducted_points"
            ? { type: "deducted_points", points: Number(f.points.trim()) }
            : { type: f.accountability! },
        subject_staff_id: f.subject!,
        reason,
        evidence: evidenceLines(f.evidence),
      };
    case "record_interview":
      return { type: "record_interview", held_on: f.heldOn, interviewee: f.interviewee.trim(), content: reason };
  }
}

/** The handlers of one department (none when no department is chosen or it has none). */
export function handlersOf(departments: DepartmentChoice[], departmentId: number | null): Assignee[] {
  return departments.find((d) => d.id === departmentId)?.handlers ?? [];
}

/** A staff member as the picker and the timeline show them: name, staff number and unit. */
export function staffLabel(s: StaffOption): string {
  return s.unit ? `${s.name}（${s.employeeNo}，${s.unit}）` : `${s.name}（${s.employeeNo}）`;
}

/** Whether a staff member matches a picker search (name, staff number or unit, any case). */
export function staffMatches(s: StaffOption, query: string): boolean {
  const q = query.trim().toLowerCase();
  return q === "" || [s.name, s.employeeNo, s.unit].some((x) => x.toLowerCase().includes(q));
}
