import { describe, expect, it } from "vitest";
import { i18n } from "@/i18n";
import { actionLabel, emptyForm, outcomeLabel, outcomeTagText, outcomeTagType, toFilter } from "../audit";

const t = i18n.global.t as (key: string, named?: Record<string, unknown>) => string;
const te = i18n.global.te as (key: string) => boolean;

describe("the audit filter", () => {
  it("sends nothing for an empty form", () => {
    expect(toFilter(emptyForm())).toEqual({ actor: null, action: null, caseNo: null, from: null, to: null, before: null });
  });

  it("sends the trimmed fields, the action's prefix and the period's days", () => {
    const f = toFilter({ actor: " 王 ", action: "admin", caseNo: " HCP-2026-000001 ", period: ["2026-11-01", "2026-11-30"] }, 77);
    expect(f).toEqual({ actor: "王", action: "admin.", caseNo: "HCP-2026-000001", from: "2026-11-01", to: "2026-11-30", before: 77 });
    expect(toFilter({ ...emptyForm(), action: "reveal" }).action).toBe("rating.reveal");
  });
});

describe("audit entries read in Chinese", () => {
  it("outcomes", () => {
    expect(outcomeLabel(t, "applied")).toBe("已执行");
    expect(outcomeLabel(t, "rejected:conflict")).toBe("被拒绝（conflict）");
    expect(outcomeLabel(t, "something")).toBe("something");
    // The tag leaves the code to its tooltip (a long code was cut off by the column).
    expect(outcomeTagText(t, "rejected:escalation_not_required")).toBe("被拒绝");
    expect(outcomeTagText(t, "applied")).toBe("已执行");
    expect(outcomeTagType("rejected:x")).toBe("danger");
    expect(outcomeTagType("ok")).toBe("success");
  });

  it("actions keep their code beside a known command's name", () => {
    expect(actionLabel(t, "admin.user.create", te)).toBe("admin.user.create");
    const assign = actionLabel(t, "case.assign", te);
    expect(assign).toBe("交办（case.assign）");
  });
});
