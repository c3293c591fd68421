import { describe, expect, it } from "vitest";
import type { UnitKpiRow } from "@/api/backend";
import { MENU } from "@/router/menu";
import { routes } from "@/router";
import { currentMonth, formatPercent, monthParts, ratioPercent, sortUnits, svgDataUrl } from "../stats";

const row = (unitId: number, rank: number | null) => ({ unitId, rank }) as UnitKpiRow;

describe("stats helpers", () => {
  it("writes shares as percentages with two decimals, — without a sample", () => {
    expect(formatPercent(4 / 46)).toBe("8.70%");
    expect(formatPercent(1)).toBe("100.00%");
    expect(formatPercent(0)).toBe("0.00%");
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
    expect(ratioPercent({ numerator: 0, denominator: 0, value: null, label: "—（0/0）" })).toBe("—");
    expect(ratioPercent({ numerator: 0, denominator: 0, value: 0, label: "" })).toBe("—");
    expect(ratioPercent({ numerator: 3, denominator: 4, value: 0.75, label: "" })).toBe("75.00%");
  });

  it("orders ranked units by rank and keeps the unranked last, in the backend's order", () => {
    const sorted = sortUnits([row(1, null), row(2, 3), row(3, 1), row(4, null), row(5, 2)]);
    expect(sorted.map((u) => u.unitId)).toEqual([3, 5, 2, 1, 4]);
  });

  it("encodes an SVG document as a data: URL", () => {
    const url = svgDataUrl('<svg xmlns="http://www.w3.org/2000/svg"><text>差评率 #1 50%</text></svg>');
    expect(url.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
    expect(url).not.toMatch(/[<>"# ]/);
    expect(decodeURIComponent(url.slice("data:image/svg+xml;charset=utf-8,".length))).toContain("差评率 #1 50%");
  });

  it("splits months for the picker and knows this month", () => {
    expect(monthParts("2026-03")).toEqual({ year: "2026", month: "3", mm: "03" });
    expect(monthParts("x")).toEqual({ year: "x", month: "", mm: "" });
    expect(currentMonth(new Date("2026-01-31T03:00:00Z"))).toBe("2026-01");
    expect(currentMonth(new Date("2026-01-31T16:00:00Z"))).toBe("2026-02");
  });

  it("serves 统计分析 at /stats (and the old /statistics redirects there)", () => {
    expect(MENU.find((m) => m.key === "statistics")).toMatchObject({ path: "/stats", ready: true });
    const children = routes.find((r) => r.path === "/")!.children!;
    const stats = children.find((r) => r.path === "stats")!;
    expect(stats.meta?.module).toBe("statistics");
    expect(stats.props).toBeUndefined();
    expect(children.find((r) => r.path === "statistics")!.redirect).toBe("/stats");
  });
});
