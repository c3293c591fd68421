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
    expect(preview).toHaveBeenCalledWith([3, 4], 0, "rectification");
    const img = $("notice-preview-page") as HTMLImageElement;
    expect(img.tagName).toBe("IMG");
    expect(img.getAttribute("src")).toBe("data:image/png;base64,PAGE0");
    expect(img.getAttribute("alt")).toBe("整改通知书第 1 页");
    expect($("notice-preview-summary")!.textContent).toBe("共 2 份 · 第 1 / 3 页");
    expect($("notice-preview")!.getAttribute("data-pages")).toBe("3");
    ($("notice-preview-pager")!.querySelector(".btn-next") as HTMLElement).click();
    await settle(6);
    expect(preview).toHaveBeenLastCalledWith([3, 4], 1, "rectification");
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

  it("saves the PDF or sends it to the printer, says what happened in the footer and opens the file", async () => {
    const preview = vi.spyOn(backend, "previewNotices").mockResolvedValue(page(0, 1));
    const numbers = ["东政管督〔2026〕3号", "东政管督〔2026〕4号"];
    const saved = { path: "/n/整改通知书-CP-3等2件.pdf", count: 2, docNumbers: numbers };
    const save = vi.spyOn(backend, "printNotices").mockResolvedValue(saved);
    const print = vi.spyOn(backend, "sendNoticesToPrinter").mockResolvedValue({ ...saved, path: "/n/整改通知书-CP-3等2件-2.pdf" });
    const openDoc = vi.spyOn(backend, "openDocument").mockResolvedValue();
    await open();
    expect($("notice-preview-pager")).toBeNull();
    expect($("print-open")).toBeNull();
    $("notice-save")!.click();
    await settle(6);
    expect(save).toHaveBeenCalledWith([3, 4], "rectification");
    expect($("print-result")!.getAttribute("data-kind")).toBe("save");
    expect($("print-result")!.textContent).toContain(
      "已生成 2 份整改通知书（PDF），保存在：/n/整改通知书-CP-3等2件.pdf（文号：东政管督〔2026〕3号、东政管督〔2026〕4号）",
    );
    expect(wrapper!.emitted("saved")![0]).toEqual([saved]);
    expect(preview).toHaveBeenCalledTimes(2); // the preview shows the numbers taken
    // The message sits in the footer beside the buttons, so it can never push them away.
    const footer = $("print-result")!.closest(".el-dialog__footer");
    expect(footer).not.toBeNull();
    expect(footer!.contains($("notice-save")) && footer!.contains($("notice-print")) && footer!.contains($("notice-close"))).toBe(true);
    $("print-open")!.click();
    await settle(4);
    expect(openDoc).toHaveBeenLastCalledWith("/n/整改通知书-CP-3等2件.pdf", false);
    $("print-open-folder")!.click();
    await settle(4);
    expect(openDoc).toHaveBeenLastCalledWith("/n/整改通知书-CP-3等2件.pdf", true);
    openDoc.mockRejectedValue(new BackendError("no_viewer", "未找到可用的打印/查看程序，无法打开文件。"));
    $("print-open")!.click();
    await settle(4);
    expect($("print-error")!.textContent!.trim()).toBe("无法打开：未找到可用的打印/查看程序，无法打开文件。");

    $("notice-print")!.click();
    await settle(6);
    expect(print).toHaveBeenCalledWith([3, 4], "rectification");
    expect($("print-result")!.getAttribute("data-kind")).toBe("print");
    expect($("print-result")!.textContent).toContain("请在打开的 PDF 阅读器中选择打印机打印");
    print.mockRejectedValue(new BackendError("no_viewer", "未找到可用的打印/查看程序，无法打印。请安装 xdg-utils 和 PDF 阅读器"));
    $("notice-print")!.click();
    await settle(6);
    expect($("print-error")!.textContent!.trim()).toBe("打印失败：未找到可用的打印/查看程序，无法打印。请安装 xdg-utils 和 PDF 阅读器");
    expect($("print-error")!.classList.contains("np-error")).toBe(true);
  });

  it("says plainly when this laptop has no document numbers left offline", async () => {
    vi.spyOn(backend, "previewNotices").mockResolvedValue(page(0, 1));
    vi.spyOn(backend, "printNotices").mockRejectedValue(
      new BackendError("no_doc_numbers", "本机预留的文号不足（需要 2 个，剩余 0 个），且现在连不上服务器，无法取得新文号。请联网后再保存或打印"),
    );
    await open();
    $("notice-save")!.click();
    await settle(6);
    const err = $("print-error")!;
    expect(err.textContent).toContain("本机预留的文号不足");
    expect(err.classList.contains("np-warning")).toBe(true);
    expect($("print-open")).toBeNull();
    expect(($("notice-save") as HTMLButtonElement).disabled).toBe(false);
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
