// A short, human summary of a timeline event's `details` (the event payload as JSON text).
// Only known fields are read and every value ends up as plain text; unknown or malformed
// details give an empty summary rather than raw JSON.
import type { AppealDecision, Assignee, CaseSource, EscalationLevel, StaffOption, VerifyOutcome, VisitMethod } from "@/api/backend";
import {
  ACCOUNTABILITY_KINDS,
  APPEAL_DECISIONS,
  CASE_SOURCES,
  CONFIRM_AWARD,
  DECIDE_FLAG,
  ESCALATION_LEVELS,
  FLAG_VERDICTS,
  VERIFY_OUTCOMES,
  VISIT_METHODS,
  accountabilityLabel,
  appealDecisionLabel,
  escalationLabel,
  flagVerdictLabel,
  outcomeLabel,
  sourceLabel,
  visitMethodLabel,
} from "@/i18n/labels";
import { formatDate } from "@/utils/format";
import { staffLabel } from "./commandForm";
import { selfAssessmentSummary } from "@/views/selfassessment/selfAssessment";

type T = (key: string, named?: Record<string, unknown>) => string;
type Obj = Record<string, unknown>;

export function parseDetails(details: string): Obj {
  try {
    const v: unknown = JSON.parse(details);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
  } catch {
    return {};
  }
}

const str = (o: Obj, k: string): string => (typeof o[k] === "string" ? (o[k] as string).trim() : "");
const num = (o: Obj, k: string): number | null => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : null);
const oneOf = <V extends string>(list: readonly V[], v: unknown): V | null =>
  typeof v === "string" && (list as readonly string[]).includes(v) ? (v as V) : null;
const obj = (o: Obj, k: string): Obj | null => (o[k] && typeof o[k] === "object" && !Array.isArray(o[k]) ? (o[k] as Obj) : null);
const list = (o: Obj, k: string): string[] =>
  Array.isArray(o[k]) ? (o[k] as unknown[]).filter((x): x is string => typeof x === "string" && x.trim() !== "") : [];

export interface SummaryContext {
  handlers?: Assignee[];
  /** The staff members the timeline names (accountability decisions), to show them by name. */
  staff?: StaffOption[];
}

/** The parts of the summary, each already translated. */
export function eventSummaryParts(t: T, kind: string, details: string, ctx: SummaryContext = {}): string[] {
  const d = parseDetails(details);
  const parts: string[] = [];
  const text = (key: string, field: string) => {
    const v = str(d, field);
    if (v) parts.push(t(key, { text: v }));
  };
  const date = (key: string, field = "due_date") => {
    const v = str(d, field);
    if (v) parts.push(t(key, { date: formatDate(v) }));
  };
  const evidence = () => {
    const n = list(d, "evidence").length;
    if (n > 0) parts.push(t("event.detail.evidence", { n }));
  };

  switch (kind) {
    case "created": {
      const source = oneOf<CaseSource>(CASE_SOURCES, d.source);
      if (source) parts.push(t("event.detail.source", { source: sourceLabel(t, source) }));
      if (typeof d.real_name === "boolean") parts.push(t(d.real_name ? "event.detail.realName" : "event.detail.anonymous"));
      break;
    }
    case "verified": {
      const outcome = oneOf<VerifyOutcome>(VERIFY_OUTCOMES, d.outcome);
      if (outcome) parts.push(t("event.detail.outcome", { outcome: outcomeLabel(t, outcome) }));
      text("event.detail.reason", "reason");
      break;
    }
    case "exclusion_approved":
    case "extension_approved":
      if (kind === "extension_approved") {
        const granted = num(d, "granted_working_days");
        if (granted) parts.push(t("event.detail.granted", { n: granted }));
        const paused = num(d, "paused_working_days");
        if (paused) parts.push(t("event.detail.paused", { n: paused }));
        date("event.detail.newDeadline");
      }
      text("event.detail.comment", "comment");
      break;
    case "exclusion_rejected":
    case "extension_rejected":
    case "appealed":
      text("event.detail.reason", "reason");
      if (kind === "extension_rejected") date("event.detail.deadline");
      break;
    case "resolved_on_spot":
      text("event.detail.explanation", "explanation");
      break;
    case "assigned": {
      const id = num(d, "handler_id");
      if (id !== null) {
        const h = ctx.handlers?.find((x) => x.userId === id);
        parts.push(
          h
            ? t("event.detail.handlerDept", { name: h.name, department: h.departmentName })
            : t("event.detail.handler", { name: t("event.detail.personId", { id }) }),
        );
      }
      date("event.detail.deadline");
      break;
    }
    case "extension_requested": {
      const n = num(d, "extra_working_days");
      if (n) parts.push(t("event.detail.extraDays", { n }));
      text("event.detail.reason", "reason");
      break;
    }
    case "rectification_reported":
      text("event.detail.measures", "measures");
      evidence();
      if (d.on_time === false) parts.push(t("event.detail.late"));
      break;
    case "return_visited": {
      const method = oneOf<VisitMethod>(VISIT_METHODS, d.method);
      if (method) parts.push(t("event.detail.visit", { method: visitMethodLabel(t, method) }));
      if (typeof d.satisfied === "boolean") parts.push(t(d.satisfied ? "event.detail.satisfied" : "event.detail.unsatisfied"));
      text("event.detail.note", "note");
      date("event.detail.newDeadline");
      break;
    }
    case "closed":
      text("event.detail.closeNote", "note");
      break;
    case "reopened":
      text("event.detail.reason", "reason");
      date("event.detail.newDeadline");
      break;
    case "escalated": {
      const from = oneOf<EscalationLevel>(ESCALATION_LEVELS, d.from);
      const to = oneOf<EscalationLevel>(ESCALATION_LEVELS, d.to);
      if (from && to) parts.push(t("event.detail.escalated", { from: escalationLabel(t, from), to: escalationLabel(t, to) }));
      const basis = obj(d, "basis");
      if (basis?.type === "overdue") parts.push(t("event.detail.basisOverdue"));
      else if (basis?.type === "manual" && str(basis, "reason")) parts.push(t("event.detail.basisManual", { text: str(basis, "reason") }));
      break;
    }
    case "urged": {
      text("event.detail.urgeNote", "note");
      const n = num(d, "working_days_overdue");
      if (n) parts.push(t("event.detail.overdueDays", { n }));
      break;
    }
    case "warned": {
      date("event.detail.deadline");
      const n = num(d, "working_days_left");
      if (n !== null) parts.push(n === 0 ? t("event.detail.dueToday") : t("event.detail.daysLeft", { n }));
      break;
    }
    case "appeal_decided": {
      const decision = oneOf<AppealDecision>(APPEAL_DECISIONS, d.decision);
      if (decision) parts.push(t("event.detail.decision", { decision: appealDecisionLabel(t, decision) }));
      text("event.detail.reason", "reason");
      break;
    }
    case "accountability_recorded": {
      const decision = obj(d, "decision");
      const type = oneOf(ACCOUNTABILITY_KINDS, decision?.type);
      if (type === "deducted_points" && decision && num(decision, "points") !== null) {
        parts.push(t("event.detail.points", { n: num(decision, "points")! }));
      } else if (type) {
        parts.push(t("event.detail.accountability", { kind: accountabilityLabel(t, type) }));
      }
      const subject = num(d, "subject_staff_id");
      if (subject !== null) {
        const p = ctx.staff?.find((x) => x.id === subject);
        parts.push(t("event.detail.subject", { name: p ? staffLabel(p) : t("event.detail.personId", { id: subject }) }));
      }
      text("event.detail.reason", "reason");
      evidence();
      break;
    }
    case "interview_recorded": {
      const day = str(d, "held_on");
      const who = str(d, "interviewee");
      if (day && who) parts.push(t("event.detail.interview", { date: day, who }));
      text("event.detail.interviewContent", "content");
      break;
    }
    default:
      break;
  }
  return parts;
}

export function eventSummary(t: T, kind: string, details: string, ctx: SummaryContext = {}): string {
  return eventSummaryParts(t, kind, details, ctx).join(t("event.sep"));
}

/** The event a command produces, to summarise a queued command (its fields match the event's). */
const COMMAND_EVENT: Record<string, string> = {
  verify: "verified",
  approve_exclusion: "exclusion_approved",
  reject_exclusion: "exclusion_rejected",
  resolve_on_spot: "resolved_on_spot",
  assign: "assigned",
  accept: "accepted",
  request_extension: "extension_requested",
  approve_extension: "extension_approved",
  reject_extension: "extension_rejected",
  report_rectification: "rectification_reported",
  return_visit: "return_visited",
  close: "closed",
  reopen: "reopened",
  escalate: "escalated",
  urge: "urged",
  warn: "warned",
  appeal: "appealed",
  decide_appeal: "appeal_decided",
  record_accountability: "accountability_recorded",
  record_interview: "interview_recorded",
};

/** A verdict on an integrity flag (`{"flag_id":…,"verdict":…,"note":…}`): its label and the notes. */
function decideFlagParts(t: T, command: string): string[] {
  const d = parseDetails(command);
  const parts: string[] = [];
  const verdict = oneOf(FLAG_VERDICTS, d.verdict);
  if (verdict) parts.push(t("event.detail.verdict", { verdict: flagVerdictLabel(t, verdict) }));
  const note = str(d, "note");
  if (note) parts.push(t("event.detail.flagNote", { text: note }));
  return parts;
}

/** The flag a queued verdict is about (`flag_id` of a `decide_flag` command), or null. */
export function commandFlagId(kind: string, command: string): number | null {
  return kind === DECIDE_FLAG ? num(parseDetails(command), "flag_id") : null;
}

/** An award confirmation (`{"kind":"star","period":"2026-11","staff_id":…}`) in a line. */
function awardSummary(t: T, command: string): string {
  const d = parseDetails(command);
  const kind = oneOf(["star", "able"] as const, d.kind);
  const period = str(d, "period");
  const staff = num(d, "staff_id");
  if (!kind || !period || staff === null) return "";
  return t("event.detail.award", { period, title: t(`stars.kinds.${kind}`), staff });
}

/** A short summary of a queued command (`OutboxItem.command`, JSON text). */
export function commandSummary(t: T, kind: string, command: string, ctx: SummaryContext = {}): string {
  if (kind === DECIDE_FLAG) return decideFlagParts(t, command).join(t("event.sep"));
  if (kind === CONFIRM_AWARD) return awardSummary(t, command);
  const sa = selfAssessmentSummary(t, kind, command);
  if (sa) return sa;
  const event = COMMAND_EVENT[kind];
  return event ? eventSummary(t, event, command, ctx) : "";
}
