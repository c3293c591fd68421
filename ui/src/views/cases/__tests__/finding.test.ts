import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import FindingDialog from "../FindingDialog.vue";
import { choicesFor, emptyFinding, findingProblem, toInput } from "../finding";
import { ledgerBackend, type FindingOptions } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

const OPTIONS: FindingOptions = {
  units: [
    { id: 1, name: "东湖区", kind: "district", depth: 0, path: "/1/" },
    { id: 2, name: "东湖区政务服务中心", kind: "hall", depth: 1, path: "/1/2/" },
    { id: 3, name: "东湖区税务局窗口", kind: "department", depth: 2, path: "/1/2/3/" },
    { id: 4, name: "东湖区人社局窗口", kind: "department", depth: 2, path: "/1/2/4/" },
  ],
  items: [
    { id: 10, code: "TAX-1", name: "税务登记", unitPath: "/1/2/3/" },
    { id: 11, code: "HR-1", name: "社保卡补换", unitPath: "/1/2/4/" },
  ],
  staff: [
    { userId: 20, name: "王窗口", unitPath: "/1/2/3/5/" },
    { userId: 21, name: "李窗口", unitPath: "/1/2/4/6/" },
  ],
  codes: [{ code: 202, zh: "材料未一次性告知、重复提交", en: "Documents not listed at once" }],
};

let env: TestEnv;
let wrapper: VueWrapper | null = null;

describe("finding logic", () => {
  it("offers the chosen unit's items and staff, at or below it", () => {
    expect(choicesFor(OPTIONS, null)).toEqual({ items: [], staff: [] });
    const tax = choicesFor(OPTIONS, 3);
    expect(tax.items.map((i) => i.id)).toEqual([10]);
    expect(tax.staff.map((s) => s.userId)).toEqual([20]);
    const hall = choicesFor(OPTIONS, 2);
    expect(hall.items.map((i) => i.id)).toEqual([10, 11]);
    expect(hall.staff).toHaveLength(2);
  });

  it("checks the unit and the description", () => {
    const f = emptyFinding();
    expect(findingProblem(f)).toBe("finding.errors.unit");
    f.unitId = 3;
    f.description = " 短 ";
    expect(findingProblem(f)).toBe("finding.errors.description");
    f.description = "窗口未执行一次性告知制度";
    expect(findingProblem(f)).toBeNull();
    f.description = "字".repeat(2001);
    expect(findingProblem(f)).toBe("finding.errors.tooLong");
    f.description = "  窗口未执行一次性告知制度 ";
    f.contentCodes = [202];
    expect(toInput(f)).toEqual({ unitId: 3, itemId: null, staffUserId: null, contentCodes: [202], description: "窗口未执行一次性告知制度" });
  });
});

describe("FindingDialog", () => {
  beforeEach(() => {
    env = testEnv();
    vi.spyOn(ledgerBackend, "findingOptions").mockResolvedValue(OPTIONS);
    useSessionStore().session = session({ role: "supervisor" });
    useSyncStore().status = syncStatus({ online: false, phase: "offline" });
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("refuses an incomplete form without calling the backend", async () => {
    const create = vi.spyOn(ledgerBackend, "createFinding");
    wrapper = mount(FindingDialog, { props: { modelValue: true }, global: env.global as never, attachTo: document.body });
    await settle(8);
    document.querySelector<HTMLElement>('[data-testid="finding-submit"]')!.click();
    await settle(4);
    expect(create).not.toHaveBeenCalled();
    expect(document.querySelector('[data-testid="finding-error"]')!.textContent).toContain("请选择被检查单位");
  });
});
