// Pure helpers of the 统计分析 page: which cards, in which order, how values are written.
import type { DashboardCharts, KpiView, Ratio, UnitKpiRow } from "@/api/backend";
import { beijingMonth } from "@/utils/format";

/** Count fields of `KpiView` shown as cards. */
export type CountKpi = "rated" | "bad" | "excludedRatings" | "overdueOpen";
/** Ratio fields of `KpiView` shown as cards. */
export type RatioKpi = "badRate" | "satisfaction" | "timeliness" | "rectification" | "visitSatisfaction" | "realNameVisitCoverage";
export type CardKpi = CountKpi | RatioKpi;

/** The KPI cards, in reading order (`data-kpi` is the field name). */
export const KPI_CARDS: CardKpi[] = [
  "rated",
  "bad",
  "badRate",
  "satisfaction",
  "timeliness",
  "rectification",
  "visitSatisfaction",
  "realNameVisitCoverage",
  "excludedRatings",
  "overdueOpen",
];

const RATIO_KPIS = new Set<CardKpi>(["badRate", "satisfaction", "timeliness", "rectification", "visitSatisfaction", "realNameVisitCoverage"]);

export function isRatioKpi(key: CardKpi): key is RatioKpi {
  return RATIO_KPIS.has(key);
}

/** Cards that call for action when non-zero (shown in the danger colour). */
export const ALERT_KPIS = new Set<CardKpi>(["overdueOpen"]);

/** The charts, in caption order (图1 … 图4). */
export const CHARTS: (keyof DashboardCharts)[] = ["trend", "channels", "ranking", "timeliness"];

/** 0.087 → "8.70%"; null (denominator 0) or a non-number → "—". */
export function formatPercent(value: number | null | undefined, none = "—"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return none;
  return `${(value * 100).toFixed(2)}%`;
}

export function ratioPercent(r: Ratio, none = "—"): string {
  return r.denominator === 0 ? none : formatPercent(r.value, none);
}

/** Ranked units by rank, then the unranked ones (样本不足) in the backend's order. */
export function sortUnits(units: UnitKpiRow[]): UnitKpiRow[] {
  return units
    .map((u, i) => ({ u, i }))
    .sort((a, b) => {
      const ra = a.u.rank;
      const rb = b.u.rank;
      if (ra !== null && rb !== null) return ra - rb || a.i - b.i;
      if (ra !== null) return -1;
      if (rb !== null) return 1;
      return a.i - b.i;
    })
    .map(({ u }) => u);
}

/** An SVG document as an <img> source (the CSP allows img-src data:; never inlined into the DOM). */
export function svgDataUrl(svg: string): string {
  return "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
}

/** "2026-03" → { year: "2026", month: "3", mm: "03" }; other text is returned as the year. */
export function monthParts(month: string): { year: string; month: string; mm: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  return m ? { year: m[1]!, month: String(Number(m[2])), mm: m[2]! } : { year: month, month: "", mm: "" };
}

/** This month as "YYYY-MM" in Beijing time. */
export function currentMonth(now: Date = new Date()): string {
  return beijingMonth(now);
}

/** The value of a count card. */
export function countOf(kpis: KpiView, key: CountKpi): number {
  return kpis[key];
}
