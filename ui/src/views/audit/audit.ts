// View logic of 审计日志: the filter form as the backend's filter, and how actions and outcomes read.
import type { AuditFilter } from "@/api/adminBackend";

type T = (key: string, named?: Record<string, unknown>) => string;

/** The action groups of the filter, with the prefix each stands for. */
export const ACTION_GROUPS = [
  { key: "all", prefix: "" },
  { key: "case", prefix: "case." },
  { key: "admin", prefix: "admin." },
  { key: "auth", prefix: "auth." },
  { key: "reveal", prefix: "rating.reveal" },
  { key: "integrity", prefix: "integrity." },
] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number]["key"];

export interface AuditForm {
  actor: string;
  action: ActionGroup;
  caseNo: string;
  /** [from, to] as YYYY-MM-DD, or null. */
  period: [string, string] | null;
}

export const emptyForm = (): AuditForm => ({ actor: "", action: "all", caseNo: "", period: null });

/** The backend filter of a form (first page). */
export function toFilter(f: AuditForm, before: number | null = null): AuditFilter {
  const text = (s: string) => (s.trim() ? s.trim() : null);
  const prefix = ACTION_GROUPS.find((g) => g.key === f.action)?.prefix ?? "";
  return {
    actor: text(f.actor),
    action: prefix || null,
    caseNo: text(f.caseNo),
    from: f.period?.[0] ?? null,
    to: f.period?.[1] ?? null,
    before,
  };
}

/** `applied` → 已执行, `rejected:conflict` → 被拒绝（conflict）. */
export function outcomeLabel(t: T, outcome: string): string {
  if (outcome.startsWith("rejected")) return t("audit.outcome.rejected", { code: outcome.split(":")[1] ?? "" });
  if (outcome === "applied" || outcome === "ok" || outcome === "failed") return t(`audit.outcome.${outcome}`);
  return outcome;
}

/** The outcome as its tag shows it: a refusal without its code, which would not fit (the tag's tooltip has it). */
export function outcomeTagText(t: T, outcome: string): string {
  return outcome.startsWith("rejected") ? t("audit.outcome.refused") : outcomeLabel(t, outcome);
}

export function outcomeTagType(outcome: string): "success" | "danger" | "info" {
  if (outcome === "applied" || outcome === "ok") return "success";
  if (outcome.startsWith("rejected") || outcome === "failed") return "danger";
  return "info";
}

/** The command label for `case.<kind>` actions when the command is known, else the code itself. */
export function actionLabel(t: T, action: string, te: (key: string) => boolean): string {
  const kind = action.startsWith("case.") ? action.slice(5) : null;
  if (kind && te(`command.kind.${kind}`)) return `${t(`command.kind.${kind}`)}（${action}）`;
  return action;
}
