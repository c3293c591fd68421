import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import NoticeCentre from "../NoticeCentre.vue";
import { emptyNoticeForm, familyType, keyOf, rowKey, toNoticeQuery } from "../notices";
import { ledgerBackend, type NoticeEntry, type NoticeRegister } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
let listSpy: MockInstance<typeof ledgerBackend.noticeRegister>;

const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function entry(caseId: number, over: Partial<NoticeEntry> = {}): NoticeEntry {
  return {
    caseId,
    kind: "rectification",
    family: "rectification",
    title: "整改通知书",
    docNumber: `东政管督〔2026〕${caseId}号`,
    caseNo: `CP-2026-00000${caseId}`,
    recipientUnit: "东湖区税务局窗口",
    itemName: "税务登记",
    issuingUnit: "东湖区政务服务管理办公室",
    issuedAt: "2026-12-06T02:00:00Z",
    file: `/data/notices/${caseId}.pdf`,
    fileExists: caseId !== 2,
    ...over,
  };
}

const REGISTER: NoticeRegister = { items: [entry(1), entry(2, { kind: "reminder:1", family: "reminder", title: "催办通知书" })], issuedBy: "周督查", total: 2 };

async function mountIt() {
  useSessionStore().session = session({ role: "supervisor" });
  useSyncStore().status = syncStatus();
  wrapper = mount(NoticeCentre, { global: env.global as never, attachTo: document.body });
  await settle(8);
  return wrapper;
}

describe("notice centre logic", () => {
  it("builds the query and the keys", () => {
    expect(toNoticeQuery(emptyNoticeForm())).toEqual({ kind: null, from: null, to: null, text: null });
    expect(toNoticeQuery({ kind: "reminder", period: ["2026-12-01", "2026-12-31"], text: "  东政 " })).toEqual({
      kind: "reminder",
      from: "2026-12-01",
      to: "2026-12-31",
      text: "东政",
    });
    expect(keyOf(entry(3))).toEqual({ caseId: 3, kind: "rectification" });
    expect(rowKey(entry(3, { kind: "supervision:district" }))).toBe("3|supervision:district");
    expect([familyType("rectification"), familyType("reminder"), familyType("supervision")]).toEqual(["primary", "warning", "danger"]);
  });
});

describe("NoticeCentre", () => {
  beforeEach(() => {
    env = testEnv();
    listSpy = vi.spyOn(ledgerBackend, "noticeRegister").mockResolvedValue(REGISTER);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("lists the register with numbers, cases and file state", async () => {
    await mountIt();
    expect(listSpy).toHaveBeenCalledWith({ kind: null, from: null, to: null, text: null });
    const rows = $$("notice-row");
    expect(rows.map((r) => r.getAttribute("data-doc-number"))).toEqual(["东政管督〔2026〕1号", "东政管督〔2026〕2号"]);
    expect($$("notice-file").map((f) => f.getAttribute("data-exists"))).toEqual(["true", "false"]);
    expect($("notices-summary")!.textContent).toContain("本机共登记 2 份通知书，当前显示 2 份");
    expect(document.body.textContent).toContain("周督查");
  });

  it("reprints one notice with its number and reports it", async () => {
    const spy = vi
      .spyOn(ledgerBackend, "reprintNotices")
      .mockResolvedValue({ path: "/data/notices/r.pdf", count: 1, docNumbers: ["东政管督〔2026〕1号"] });
    await mountIt();
    $$("notice-reprint")[0]!.click();
    await settle(6);
    expect(spy).toHaveBeenCalledWith([{ caseId: 1, kind: "rectification" }], true);
    expect($("notices-result")!.getAttribute("data-numbers")).toBe("东政管督〔2026〕1号");
    expect($("notices-result")!.getAttribute("data-kind")).toBe("print");
  });

  it("saves as through the save dialog, and does nothing when it is cancelled", async () => {
    vi.spyOn(ledgerBackend, "noticeFileName").mockResolvedValue("整改通知书-东政管督〔2026〕1号.pdf");
    const choose = vi.spyOn(ledgerBackend, "chooseSavePath").mockResolvedValueOnce(null).mockResolvedValueOnce("/home/u/n.pdf");
    const save = vi.spyOn(ledgerBackend, "saveNoticesAs").mockResolvedValue({ path: "/home/u/n.pdf", count: 1, docNumbers: ["东政管督〔2026〕1号"] });
    await mountIt();
    $$("notice-save-as")[0]!.click();
    await settle(6);
    expect(choose).toHaveBeenCalledWith("整改通知书-东政管督〔2026〕1号.pdf", [{ name: "PDF", extensions: ["pdf"] }]);
    expect(save).not.toHaveBeenCalled();
    $$("notice-save-as")[0]!.click();
    await settle(6);
    expect(save).toHaveBeenCalledWith([{ caseId: 1, kind: "rectification" }], "/home/u/n.pdf");
    expect($("notices-result")!.getAttribute("data-kind")).toBe("save");
  });

  it("prints the whole filter in one batch", async () => {
    const spy = vi.spyOn(ledgerBackend, "reprintNotices").mockResolvedValue({ path: "/p.pdf", count: 2, docNumbers: ["a", "b"] });
    await mountIt();
    $("notices-print-all")!.click();
    await settle(6);
    expect(spy).toHaveBeenCalledWith(
      [
        { caseId: 1, kind: "rectification" },
        { caseId: 2, kind: "reminder:1" },
      ],
      true,
    );
  });
});
