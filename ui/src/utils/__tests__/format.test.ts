import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beijingMonth, formatDate, formatDateTime, formatNumber, isEditableTarget, localToday } from "@/utils/format";

describe("format", () => {
  // A misconfigured laptop: the machine's zone is UTC (then New York), yet every time is Beijing's.
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "UTC";
  });
  afterAll(() => {
    process.env.TZ = zone;
  });

  it("formats RFC 3339 times in Beijing time whatever the machine's zone", () => {
    expect(new Date("2026-11-21T09:05:07Z").getHours()).toBe(9); // the machine really is on UTC
    expect(formatDateTime("2026-11-21T09:05:07Z")).toBe("2026-11-21 17:05");
    expect(formatDateTime("2026-11-21T09:05:07Z", true)).toBe("2026-11-21 17:05:07");
    expect(formatDateTime("2026-11-21T17:30:00+08:00")).toBe("2026-11-21 17:30");
    // Late evening UTC is the next morning in Beijing.
    expect(formatDateTime("2026-11-30T16:30:00Z")).toBe("2026-12-01 00:30");
    expect(formatDate("2026-11-30T16:30:00Z")).toBe("2026-12-01");
    process.env.TZ = "America/New_York";
    expect(formatDateTime("2026-11-21T09:05:07Z")).toBe("2026-11-21 17:05");
    process.env.TZ = "UTC";
    expect(formatDateTime(null)).toBe("");
    expect(formatDateTime("not a date")).toBe("not a date");
  });

  it("gives today and this month in Beijing", () => {
    expect(localToday(new Date("2026-12-31T16:00:00Z"))).toBe("2027-01-01");
    expect(localToday(new Date("2026-01-05T15:59:00Z"))).toBe("2026-01-05");
    expect(beijingMonth(new Date("2026-11-30T16:00:00Z"))).toBe("2026-12");
  });

  it("keeps plain dates", () => {
    expect(formatDate("2026-11-28")).toBe("2026-11-28");
    expect(formatDate(null)).toBe("");
  });

  it("adds thousands separators", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(1234)).toBe("1,234");
    expect(formatNumber(13900000)).toBe("13,900,000");
  });

  it("knows editable targets", () => {
    expect(isEditableTarget(document.createElement("input"))).toBe(true);
    expect(isEditableTarget(document.createElement("textarea"))).toBe(true);
    expect(isEditableTarget(document.createElement("div"))).toBe(false);
    expect(isEditableTarget(null)).toBe(false);
  });
});
