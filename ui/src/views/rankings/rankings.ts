// 排名考核: the league's period picker and how its lines read.
import { currentMonth } from "@/views/stats/stats";

export type PeriodKind = "month" | "quarter" | "year";

/** The period keys the backend reads (`2026-11`, `2026-Q4`, `2026`), newest first, up to `now`. */
export function periodOptions(kind: PeriodKind, now: Date = new Date(), count?: number): string[] {
  const [y, m] = currentMonth(now).split("-").map(Number) as [number, number];
  const out: string[] = [];
  if (kind === "month") {
    let total = y * 12 + (m - 1);
    for (let i = 0; i < (count ?? 24); i++, total--) {
      out.push(`${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}`);
    }
  } else if (kind === "quarter") {
    let total = y * 4 + Math.floor((m - 1) / 3);
    for (let i = 0; i < (count ?? 8); i++, total--) out.push(`${Math.floor(total / 4)}-Q${(total % 4) + 1}`);
  } else {
    for (let i = 0; i < (count ?? 3); i++) out.push(String(y - i));
  }
  return out;
}

/** The kind of a period key. */
export function kindOf(key: string): PeriodKind {
  if (/^\d{4}-Q[1-4]$/.test(key)) return "quarter";
  if (/^\d{4}-\d{2}$/.test(key)) return "month";
  return "year";
}

/** The default period of a kind: the one before the current (a month, quarter or year being complete). */
export function defaultPeriod(kind: PeriodKind, now: Date = new Date()): string {
  return periodOptions(kind, now, 2)[1]!;
}

/** How a period key reads in the picker. */
export function periodLabel(key: string, lang: "zh-CN" | "en"): string {
  const q = /^(\d{4})-Q([1-4])$/.exec(key);
  if (q) return lang === "zh-CN" ? `${q[1]}年第${"一二三四"[Number(q[2]) - 1]}季度` : `Q${q[2]} ${q[1]}`;
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (m) return lang === "zh-CN" ? `${m[1]}年${Number(m[2])}月` : `${m[1]}-${m[2]}`;
  return lang === "zh-CN" ? `${key}年度` : key;
}

/** The tag colour of a star board line's status. */
export function starStatusType(status: string): "success" | "warning" | "info" {
  if (status === "confirmed") return "success";
  if (status === "pending") return "warning";
  return "info";
}

/** Points as a score sheet shows them: up to two decimals, no trailing zeros; `signed` adds +. */
export function formatPoints(v: number | null | undefined, signed = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const s = (Math.round(v * 100) / 100).toFixed(2).replace(/\.?0+$/, "");
  return signed && v > 0 ? `+${s}` : s;
}
