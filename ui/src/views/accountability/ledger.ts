// The 问责 register's view logic: the filter form to the query the Rust side takes, the chain
// badge of a decision (online or offline), and the default period of the concentration tab.
import type { ChainBadge, ChainCheck, LedgerCase, LedgerQuery } from "@/api/backend";

export const DECISION_FILTERS = [
  "awaiting",
  "deducted_points",
  "loss_of_annual_award",
  "admonition",
  "referral_to_discipline_inspection",
] as const;
export type DecisionFilter = (typeof DECISION_FILTERS)[number];

export interface LedgerForm {
  unitId: number | null;
  staffId: number | null;
  decision: DecisionFilter | "";
  /** [from, to] as "YYYY-MM-DD", or null for any time. */
  period: [string, string] | null;
}

export function emptyForm(): LedgerForm {
  return { unitId: null, staffId: null, decision: "", period: null };
}

export function toQuery(f: LedgerForm): LedgerQuery {
  return {
    unitId: f.unitId ?? null,
    staffId: f.staffId ?? null,
    decision: f.decision || null,
    from: f.period?.[0] ?? null,
    to: f.period?.[1] ?? null,
  };
}

/** What a badge shows: the i18n key of its text and its tag type. Unverified reads 未验证·离线 offline. */
export function badgeView(badge: ChainBadge, online: boolean): { key: string; type: "success" | "danger" | "info" | "warning" } {
  switch (badge) {
    case "verified":
      return { key: "ledger.badge.verified", type: "success" };
    case "broken":
      return { key: "ledger.badge.broken", type: "danger" };
    case "pending":
      return { key: "ledger.badge.pending", type: "warning" };
    default:
      return { key: online ? "ledger.badge.unverified" : "ledger.badge.unverifiedOffline", type: "info" };
  }
}

/** The chain's summary line: never checked, intact or broken, with when it was checked. */
export function chainSummaryKey(check: ChainCheck | null): string {
  if (!check) return "ledger.chain.never";
  return check.valid ? "ledger.chain.valid" : "ledger.chain.broken";
}

/** Counts for the header: cases awaiting a decision, decisions recorded. */
export function ledgerCounts(cases: LedgerCase[]): { awaiting: number; decisions: number } {
  return {
    awaiting: cases.filter((c) => c.awaiting).length,
    decisions: cases.reduce((n, c) => n + c.decisions.length, 0),
  };
}

/** "YYYY-MM" of a date in Beijing time, `monthsBack` months before it. */
export function monthOf(now: Date, monthsBack = 0): string {
  const b = new Date(now.getTime() + 8 * 3600 * 1000);
  let y = b.getUTCFullYear();
  let m = b.getUTCMonth() + 1 - monthsBack;
  while (m < 1) {
    m += 12;
    y -= 1;
  }
  return `${y}-${String(m).padStart(2, "0")}`;
}

/** The concentration tab's default: the last three months including this one, at least 2 each. */
export function defaultConcentrationPeriod(now: Date): { from: string; to: string; minCount: number } {
  return { from: monthOf(now, 2), to: monthOf(now), minCount: 2 };
}
