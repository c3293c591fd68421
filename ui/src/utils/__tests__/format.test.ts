import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatNumber, isEditableTarget, localToday } from "@/utils/format";

describe("format", () => {
  it("formats RFC 3339 times in local time", () => {
    const iso = "2026-11-21T09:05:07Z";
    const d = new Date(iso);
    const p = (n: number) => String(n).padStart(2, "0");
    const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
    expect(formatDateTime(iso)).toBe(local);
    expect(formatDateTime(iso, true)).toBe(`${local}:${p(d.getSeconds())}`);
    expect(formatDateTime(null)).toBe("");
    expect(formatDateTime("not a date")).toBe("not a date");
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

  it("gives today's local date", () => {
    expect(localToday(new Date(2026, 0, 5, 23, 59))).toBe("2026-01-05");
  });

  it("knows editable targets", () => {
    expect(isEditableTarget(document.createElement("input"))).toBe(true);
    expect(isEditableTarget(document.createElement("textarea"))).toBe(true);
    expect(isEditableTarget(document.createElement("div"))).toBe(false);
    expect(isEditableTarget(null)).toBe(false);
  });
});
