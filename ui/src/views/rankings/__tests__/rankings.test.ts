import { describe, expect, it } from "vitest";
import { MENU } from "@/router/menu";
import { defaultPeriod, formatPoints, kindOf, periodLabel, periodOptions, starStatusType } from "../rankings";

// 2026-12-06 10:00 Beijing time.
const now = new Date("2026-12-06T02:00:00Z");

describe("league periods", () => {
  it("lists months, quarters and years newest first, up to now", () => {
    expect(periodOptions("month", now, 3)).toEqual(["2026-12", "2026-11", "2026-10"]);
    expect(periodOptions("month", new Date("2026-01-15T02:00:00Z"), 2)).toEqual(["2026-01", "2025-12"]);
    expect(periodOptions("quarter", now, 5)).toEqual(["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]);
    expect(periodOptions("year", now)).toEqual(["2026", "2025", "2024"]);
  });

  it("defaults to the last complete period", () => {
    expect(defaultPeriod("month", now)).toBe("2026-11");
    expect(defaultPeriod("quarter", now)).toBe("2026-Q3");
    expect(defaultPeriod("year", now)).toBe("2025");
  });

  it("reads and labels period keys", () => {
    expect(kindOf("2026-Q4")).toBe("quarter");
    expect(kindOf("2026-11")).toBe("month");
    expect(kindOf("2026")).toBe("year");
    expect(periodLabel("2026-Q4", "zh-CN")).toBe("2026年第四季度");
    expect(periodLabel("2026-03", "zh-CN")).toBe("2026年3月");
    expect(periodLabel("2026", "zh-CN")).toBe("2026年度");
    expect(periodLabel("2026-Q4", "en")).toBe("Q4 2026");
  });

  it("is a menu entry every role sees", () => {
    const entry = MENU.find((m) => m.key === "rankings");
    expect(entry?.path).toBe("/rankings");
    expect(entry?.roles).toBeUndefined();
  });
});

describe("stars and score sheets", () => {
  it("colours a star line by its status", () => {
    expect(starStatusType("confirmed")).toBe("success");
    expect(starStatusType("pending")).toBe("warning");
    expect(starStatusType("candidate")).toBe("info");
  });
  it("shows points without trailing zeros", () => {
    expect(formatPoints(100)).toBe("100");
    expect(formatPoints(93.5)).toBe("93.5");
    expect(formatPoints(0)).toBe("0");
    expect(formatPoints(-2.25)).toBe("-2.25");
    expect(formatPoints(3, true)).toBe("+3");
    expect(formatPoints(-1, true)).toBe("-1");
    expect(formatPoints(null)).toBe("—");
    expect(formatPoints(Number.NaN)).toBe("—");
  });
});
