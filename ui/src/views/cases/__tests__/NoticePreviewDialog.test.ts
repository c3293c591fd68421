import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import NoticePreviewDialog from "../NoticePreviewDialog.vue";
import { backend, BackendError, type NoticePreview } from "@/api/backend";
import { settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

const page = (n: number, pageCount = 3): NoticePreview => ({
  page: n,
  pageCount,
  count: 2,
  image: `data:image/png;base64,PAGE${n}`,
  width: 1191,
  height: 1684,
});

async function open(caseIds = [3, 4]) {
  wrapper = mount(NoticePreviewDialog, {
    props: { modelValue: true, caseIds },
    global: env.global as never,
    attachTo: document.body,
  });
  await settle(6);
}

describe("NoticePreviewDialog", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows the notices page by page as images of the printed pages", async () => {
    const preview = vi.spyOn(backend, "previewNotices").mockImplementation(async (_ids, n) => page(n));
    await open();
    expect(preview).toHaveBeenCalledWith([3, 4], 0);
    const img = $("notice-preview-page") as HTMLImageElement;
    expect(img.tagName).toBe("IMG");
    expect(img.getAttribute("src")).toBe("data:image/png;base64,PAGE0");
    expect(img.getAttribute("alt")).toBe("整改通知书第 1 页");
    expect($("notice-preview-summary")!.textContent).toBe("共 2 份 · 第 1 / 3 页");
    expect($("notice-preview")!.getAttribute("data-pages")).toBe("3");
    ($("notice-preview-pager")!.querySelector(".btn-next") as HTMLElement).click();
    await settle(6);
    expect(preview).toHaveBeenLastCalledWith([3, 4], 1);
    expect($("notice-preview-page")!.getAttribute("src")).toBe("data:image/png;base64,PAGE1");
    expect($("notice-preview-page")!.getAttribute("data-page")).toBe("2");
    expect($("notice-preview-summary")!.textContent).toBe("共 2 份 · 第 2 / 3 页");
  });

  it("keeps only the answer to the latest page asked for", async () => {
    let release: (p: NoticePreview) => void = () => {};
    const slow = new Promise<NoticePreview>((r) => (release = r));
    vi.spyOn(backend, "previewNotices").mockImplementation((_ids, n) => (n === 1 ? slow : Promise.resolve(page(n))));
    await open();
    ($("notice-preview-pager")!.querySelector(".btn-next") as HTMLElement).click();
    await settle(2);
    ($("notice-preview-pager")!.querySelector(".btn-next") as HTMLElement).click();
    await settle(6);
    release(page(1));
    await settle(6);
    expect($("notice-preview-page")!.getAttribute("src")).toBe("data:image/png;base64,PAGE2");
  });

  it("saves the PDF or sends it to the printer, and says what happened", async () => {
    vi.spyOn(backend, "previewNotices").mockResolvedValue(page(0, 1));
    const save = vi.spyOn(backend, "printNotices").mockResolvedValue({ path: "/n/整改通知书-CP-3等2件.pdf", count: 2 });
    const print = vi.spyOn(backend, "sendNoticesToPrinter").mockResolvedValue({ path: "/n/整改通知书-CP-3等2件-2.pdf", count: 2 });
    await open();
    expect($("notice-preview-pager")).toBeNull();
    $("notice-save")!.click();
    await settle(6);
    expect(save).toHaveBeenCalledWith([3, 4]);
    expect($("print-result")!.getAttribute("data-kind")).toBe("save");
    expect($("print-result")!.textContent).toContain("已生成 2 份整改通知书（PDF），保存在：/n/整改通知书-CP-3等2件.pdf");
    expect(wrapper!.emitted("saved")![0]).toEqual([{ path: "/n/整改通知书-CP-3等2件.pdf", count: 2 }]);
    $("notice-print")!.click();
    await settle(6);
    expect(print).toHaveBeenCalledWith([3, 4]);
    expect($("print-result")!.getAttribute("data-kind")).toBe("print");
    expect($("print-result")!.textContent).toContain("请在打开的 PDF 阅读器中选择打印机打印");
    print.mockRejectedValue(new BackendError("internal", "系统未能打开打印（xdg-open 退出码 3）"));
    $("notice-print")!.click();
    await settle(6);
    expect($("print-error")!.textContent).toBe("打印失败：系统未能打开打印（xdg-open 退出码 3）");
  });

  it("says why a preview failed and offers no save or print without one", async () => {
    vi.spyOn(backend, "previewNotices").mockRejectedValue(new BackendError("fonts_missing", "无法生成通知书：缺少字体"));
    const save = vi.spyOn(backend, "printNotices");
    await open([9]);
    expect($("notice-preview-error")!.textContent).toContain("预览生成失败：无法生成通知书：缺少字体");
    expect($("notice-preview-page")).toBeNull();
    expect(($("notice-save") as HTMLButtonElement).disabled).toBe(true);
    expect(($("notice-print") as HTMLButtonElement).disabled).toBe(true);
    $("notice-save")!.click();
    await settle(2);
    expect(save).not.toHaveBeenCalled();
  });
});
