import { describe, expect, it } from "vitest";
import { changed, entryProblems, isAssessmentState, stateTagType, surveyGap, toInput, totalOf, type EditEntry } from "../selfAssessment";

const entry = (heading: string, max: number, score: number | null, text = "已完成"): EditEntry => ({
  heading,
  label: heading,
  maxPoints: max,
  score,
  text,
});

describe("self-assessment form", () => {
  it("totals the scores given", () => {
    expect(totalOf([entry("a", 15, 10), entry("b", 20, null), entry("c", 10, 7)])).toBe(17);
    expect(totalOf([])).toBe(0);
  });

  it("lets a draft be incomplete but never over a maximum", () => {
    const draft = [entry("a", 15, null, ""), entry("b", 20, 21)];
    expect(entryProblems(draft, false)).toEqual([{ heading: "b", key: "over", params: { label: "b", max: 20 } }]);
    const keys = entryProblems(draft, true).map((p) => `${p.heading}:${p.key}`);
    expect(keys).toEqual(["a:noScore", "a:noText", "b:over"]);
    expect(entryProblems([entry("a", 15, 15), entry("b", 20, 0)], true)).toEqual([]);
    expect(entryProblems([entry("a", 15, 1.5)], false).map((p) => p.key)).toEqual(["over"]);
    expect(entryProblems([entry("a", 15, 1, "长".repeat(1001))], false).map((p) => p.key)).toEqual(["tooLong"]);
  });

  it("sends what the backend takes and notices edits", () => {
    const a = [entry("a", 15, 3)];
    expect(toInput(a)).toEqual([{ heading: "a", score: 3, text: "已完成" }]);
    expect(changed(a, [entry("a", 15, 3)])).toBe(false);
    expect(changed(a, [entry("a", 15, 4)])).toBe(true);
    expect(changed(a, [])).toBe(true);
  });

  it("tags each state", () => {
    expect(stateTagType("approved")).toBe("success");
    expect(stateTagType("returned")).toBe("danger");
    expect(stateTagType("queued")).toBe("warning");
    expect(stateTagType("submitted")).toBe("primary");
    expect(stateTagType("draft")).toBe("info");
    expect(isAssessmentState("approved")).toBe(true);
    expect(isAssessmentState("bogus")).toBe(false);
  });
});

describe("survey beside the citizens' ratings", () => {
  it("gives the gap in points, or nothing without citizens' ratings", () => {
    expect(surveyGap("95.50", 94.3)).toBe("+1.2");
    expect(surveyGap("90.00", 93.44)).toBe("−3.4");
    expect(surveyGap("90.00", 90)).toBe("0.0");
    expect(surveyGap("90.00", null)).toBeNull();
  });
});

describe("outbox summaries", () => {
  const tz = (key: string, named?: Record<string, unknown>) =>
    ({
      "selfAssessment.outboxSubmit": `${String(named?.period)} 自我评价，自评 ${String(named?.total)} 分`,
      "selfAssessment.outboxReviewComment": `${String(named?.decision)}；意见：${String(named?.comment)}`,
      "selfAssessment.approve": "通过",
      "selfAssessment.return": "退回修改",
    })[key] ?? key;

  it("summarises a queued submission and review, and nothing else", async () => {
    const { selfAssessmentSummary } = await import("../selfAssessment");
    const form = { entries: [{ heading: "item_list", score: 14, text: "x" }, { heading: "process", score: 13, text: "y" }] };
    expect(selfAssessmentSummary(tz, "submit_self_assessment", JSON.stringify({ unit_id: 3, period: "2026-Q4", form }))).toBe(
      "2026-Q4 自我评价，自评 27 分",
    );
    expect(selfAssessmentSummary(tz, "review_self_assessment", JSON.stringify({ assessment_id: 1, decision: "return", comment: " 补充 " }))).toBe(
      "退回修改；意见：补充",
    );
    expect(selfAssessmentSummary(tz, "review_self_assessment", JSON.stringify({ assessment_id: 1, decision: "approve", comment: "" }))).toBe("通过");
    expect(selfAssessmentSummary(tz, "review_self_assessment", JSON.stringify({ decision: "bogus" }))).toBe("");
    expect(selfAssessmentSummary(tz, "submit_self_assessment", "not json")).toBe("");
    expect(selfAssessmentSummary(tz, "verify", "{}")).toBe("");
  });
});
