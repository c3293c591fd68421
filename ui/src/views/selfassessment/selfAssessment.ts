// 自我评价 and 第三方评价: the screen's pure logic (what the form may send, the states' tags, the
// survey figures beside the citizens' own), tested without the backend.

/** One heading of the form as the screen edits it. */
export interface EditEntry {
  heading: string;
  label: string;
  maxPoints: number;
  score: number | null;
  text: string;
}

/** The states the backend reports. */
export type AssessmentState = "none" | "draft" | "queued" | "submitted" | "returned" | "approved";

const STATES: readonly AssessmentState[] = ["none", "draft", "queued", "submitted", "returned", "approved"];

export function isAssessmentState(s: string): s is AssessmentState {
  return (STATES as readonly string[]).includes(s);
}

/** Element Plus tag type of a state: 草稿 grey, 待同步 and 已提交 blue/orange, 已退回 red, 已通过 green. */
export function stateTagType(s: string): "info" | "primary" | "warning" | "danger" | "success" {
  switch (s) {
    case "draft":
    case "none":
      return "info";
    case "queued":
      return "warning";
    case "submitted":
      return "primary";
    case "returned":
      return "danger";
    case "approved":
      return "success";
    default:
      return "info";
  }
}

/** The sum of the scores given. */
export function totalOf(entries: readonly EditEntry[]): number {
  return entries.reduce((n, e) => n + (typeof e.score === "number" && Number.isFinite(e.score) ? e.score : 0), 0);
}

export const TEXT_MIN = 2;
export const TEXT_MAX = 1000;

/** A problem of one heading: the i18n key under selfAssessment.problem and its parameters. */
export interface EntryProblem {
  heading: string;
  key: "over" | "noScore" | "noText" | "tooLong";
  params: Record<string, string | number>;
}

/**
 * What keeps the form from being saved (`submit` false: over a maximum, text too long) or submitted
 * (also: every heading scored and described). The same rules as hcp-domain's; the backend checks again.
 */
export function entryProblems(entries: readonly EditEntry[], submit: boolean): EntryProblem[] {
  const out: EntryProblem[] = [];
  for (const e of entries) {
    const base = { label: e.label, max: e.maxPoints };
    if (e.score !== null && (e.score < 0 || e.score > e.maxPoints || !Number.isInteger(e.score))) {
      out.push({ heading: e.heading, key: "over", params: base });
    }
    const n = [...e.text.trim()].length;
    if (n > TEXT_MAX) out.push({ heading: e.heading, key: "tooLong", params: { ...base, n: TEXT_MAX } });
    if (submit) {
      if (e.score === null) out.push({ heading: e.heading, key: "noScore", params: base });
      if (n < TEXT_MIN) out.push({ heading: e.heading, key: "noText", params: { ...base, n: TEXT_MIN } });
    }
  }
  return out;
}

/** The entries as the backend takes them. */
export function toInput(entries: readonly EditEntry[]): { heading: string; score: number | null; text: string }[] {
  return entries.map((e) => ({ heading: e.heading, score: e.score, text: e.text }));
}

/** Whether two forms differ (unsaved edits). */
export function changed(a: readonly EditEntry[], b: readonly EditEntry[]): boolean {
  if (a.length !== b.length) return true;
  return a.some((e, i) => {
    const o = b[i];
    return !o || e.heading !== o.heading || e.score !== o.score || e.text !== o.text;
  });
}

/** The survey score minus the citizens' satisfaction rate, in points (`+1.2`, `−3.4`), or null. */
export function surveyGap(satisfaction: string, citizens: number | null): string | null {
  const s = Number(satisfaction);
  if (citizens === null || !Number.isFinite(s)) return null;
  const d = Math.round((s - citizens) * 10) / 10;
  if (d === 0) return "0.0";
  return d > 0 ? `+${d.toFixed(1)}` : `−${Math.abs(d).toFixed(1)}`;
}

/** The survey columns, as the file's first row names them (documented on the screen and in the README). */
export const SURVEY_COLUMNS = [
  { name: "单位编码", required: true },
  { name: "期间", required: true },
  { name: "测评方式", required: true },
  { name: "测评机构", required: true },
  { name: "样本数", required: true },
  { name: "满意度", required: false },
  { name: "非常满意", required: false },
  { name: "满意", required: false },
  { name: "基本满意", required: false },
  { name: "不满意", required: false },
  { name: "非常不满意", required: false },
  { name: "备注", required: false },
] as const;

type Translate = (key: string, named?: Record<string, unknown>) => string;

/** The outbox kinds of 自我评价 (hcp_sync::SUBMIT_SELF_ASSESSMENT / REVIEW_SELF_ASSESSMENT). */
export const SUBMIT_SELF_ASSESSMENT = "submit_self_assessment";
export const REVIEW_SELF_ASSESSMENT = "review_self_assessment";

/**
 * A short summary of a queued submission (`2026-Q4，自评 93 分`) or review (`通过；意见：…`) for the
 * outbox page; "" for other kinds or unreadable commands. Values end up as plain text.
 */
export function selfAssessmentSummary(t: Translate, kind: string, command: string): string {
  let v: unknown;
  try {
    v = JSON.parse(command);
  } catch {
    return "";
  }
  if (typeof v !== "object" || v === null) return "";
  const o = v as Record<string, unknown>;
  if (kind === SUBMIT_SELF_ASSESSMENT) {
    const form = o.form as { entries?: { score?: unknown }[] } | undefined;
    if (typeof o.period !== "string" || !Array.isArray(form?.entries)) return "";
    const total = form.entries.reduce((n, e) => n + (typeof e.score === "number" ? e.score : 0), 0);
    return t("selfAssessment.outboxSubmit", { period: o.period, total });
  }
  if (kind === REVIEW_SELF_ASSESSMENT) {
    if (o.decision !== "approve" && o.decision !== "return") return "";
    const decision = t(o.decision === "approve" ? "selfAssessment.approve" : "selfAssessment.return");
    const comment = typeof o.comment === "string" ? o.comment.trim() : "";
    return comment ? t("selfAssessment.outboxReviewComment", { decision, comment }) : decision;
  }
  return "";
}
