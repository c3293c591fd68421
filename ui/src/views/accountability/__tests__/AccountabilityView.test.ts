import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import AccountabilityView from "../AccountabilityView.vue";
import { badgeView, chainSummaryKey, defaultConcentrationPeriod, emptyForm, ledgerCounts, monthOf, toQuery } from "../ledger";
import { backend, ledgerBackend, type Ledger, type LedgerCase, type LedgerDecision } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { caseItem, session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let registerSpy: MockInstance<typeof ledgerBackend.accountabilityRegister>;
let verifySpy: MockInstance<typeof ledgerBackend.verifyEvidenceChain>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function decision(over: Partial<LedgerDecision> = {}): LedgerDecision {
  return {
    decision: { type: "admonition" },
    decisionLabel: "诫勉谈话",
    subjectStaffId: 7,
    subjectName: "王窗口",
    subjectNo: "GH0007",
    subjectUnit: "东湖区税务局窗口",
    reason: "<b>整改期限内未落实</b>",
    evidence: ["谈话记录.pdf"],
    decidedBy: "李联络",
    decidedAt: "2026-12-06T02:00:00Z",
    badge: "verified",
    ...over,
  };
}

function ledgerCase(id: number, over: Partial<LedgerCase> = {}): LedgerCase {
  return { item: caseItem(id, { escalation: "accountability", state: "in_rectification" }), awaiting: false, decisions: [], ...over };
}

const LEDGER: Ledger = {
  cases: [ledgerCase(1, { awaiting: true }), ledgerCase(2, { decisions: [decision(), decision({ badge: "unverified", decisionLabel: "扣减绩效分（3分）" })] })],
  chain: { valid: true, length: 4, firstBrokenSeq: null, checkedAt: "2026-12-06T03:00:00Z" },
  staff: [{ id: 7, name: "王窗口", employeeNo: "GH0007", unit: "东湖区税务局窗口" }],
};

async function mountAs(online: boolean) {
  useSessionStore().session = session({ role: "discipline_liaison" });
  useSyncStore().status = syncStatus({ online, phase: online ? "idle" : "offline" });
  wrapper = mount(AccountabilityView, { global: env.global as never, attachTo: document.body });
  await settle(8);
  return wrapper;
}

describe("ledger logic", () => {
  it("turns the form into the query and badges into labels", () => {
    expect(toQuery(emptyForm())).toEqual({ unitId: null, staffId: null, decision: null, from: null, to: null });
    expect(toQuery({ unitId: 3, staffId: null, decision: "admonition", period: ["2026-01-01", "2026-03-31"] })).toEqual({
      unitId: 3,
      staffId: null,
      decision: "admonition",
      from: "2026-01-01",
      to: "2026-03-31",
    });
    expect(badgeView("verified", false)).toEqual({ key: "ledger.badge.verified", type: "success" });
    expect(badgeView("broken", true).type).toBe("danger");
    expect(badgeView("unverified", true).key).toBe("ledger.badge.unverified");
    expect(badgeView("unverified", false).key).toBe("ledger.badge.unverifiedOffline");
    expect(badgeView("pending", true).key).toBe("ledger.badge.pending");
    expect(chainSummaryKey(null)).toBe("ledger.chain.never");
    expect(chainSummaryKey({ valid: false, length: 2, firstBrokenSeq: 2, checkedAt: "x" })).toBe("ledger.chain.broken");
    expect(ledgerCounts(LEDGER.cases)).toEqual({ awaiting: 1, decisions: 2 });
  });

  it("counts months back in Beijing time", () => {
    // 2026-12-31 20:00 UTC is already 2027-01-01 in Beijing.
    const now = new Date("2026-12-31T20:00:00Z");
    expect(monthOf(now)).toBe("2027-01");
    expect(monthOf(now, 2)).toBe("2026-11");
    expect(defaultConcentrationPeriod(now)).toEqual({ from: "2026-11", to: "2027-01", minCount: 2 });
  });
});

describe("AccountabilityView", () => {
  beforeEach(() => {
    env = testEnv();
    registerSpy = vi.spyOn(ledgerBackend, "accountabilityRegister").mockResolvedValue(LEDGER);
    verifySpy = vi.spyOn(ledgerBackend, "verifyEvidenceChain").mockResolvedValue(LEDGER.chain!);
    vi.spyOn(backend, "units").mockResolvedValue([]);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("lists awaiting cases and decisions with their badges, verifying online", async () => {
    await mountAs(true);
    expect(registerSpy).toHaveBeenCalled();
    expect(verifySpy).toHaveBeenCalledTimes(1);
    expect($$("ledger-case").map((c) => c.getAttribute("data-awaiting"))).toEqual(["true", "false"]);
    expect($("ledger-awaiting")!.textContent).toContain("待问责决定");
    expect($$("ledger-badge").map((b) => b.textContent!.trim())).toEqual(["已验证", "未验证"]);
    expect($("ledger-counts")!.textContent).toContain("待问责决定 1 件，已记录问责决定 2 项");
    expect($("ledger-chain")!.getAttribute("data-valid")).toBe("true");
    // The reason is text, never markup.
    expect(document.querySelector(".decision b")).toBeNull();
    expect(document.body.textContent).toContain("<b>整改期限内未落实</b>");
    expect($$("ledger-print-record")).toHaveLength(1);
  });

  it("offline: no check, the unverified badge says offline", async () => {
    await mountAs(false);
    expect(verifySpy).not.toHaveBeenCalled();
    expect($$("ledger-badge").map((b) => b.textContent!.trim())).toEqual(["已验证", "未验证·离线"]);
    expect($("ledger-offline")).not.toBeNull();
  });

  it("prints the decision record of a decided case", async () => {
    const spy = vi.spyOn(ledgerBackend, "accountabilityRecord").mockResolvedValue({ path: "/tmp/问责决定记录.pdf", count: 2 });
    await mountAs(true);
    $("ledger-print-record")!.click();
    await settle(4);
    expect(spy).toHaveBeenCalledWith(2, true);
    expect($("ledger-record")!.getAttribute("data-path")).toBe("/tmp/问责决定记录.pdf");
    // Without the photos when the box is cleared.
    ($("ledger-with-photos")!.querySelector("input") as HTMLInputElement).click();
    await settle(2);
    $("ledger-print-record")!.click();
    await settle(4);
    expect(spy).toHaveBeenLastCalledWith(2, false);
  });
});
