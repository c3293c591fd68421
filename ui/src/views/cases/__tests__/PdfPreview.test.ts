import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import CaseFilesSection from "../CaseFilesSection.vue";
import { backend } from "@/api/backend";
import { filesBackend, type CaseFile } from "@/api/filesBackend";
import { useSyncStore } from "@/stores/sync";
import { settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

// pdf.js itself is replaced: the preview must hand it the fetched bytes with scripting and
// XFA off, show the page count, draw pages on demand and explain a file it cannot read.
const pdfjs = vi.hoisted(() => ({
  getDocument: vi.fn(),
  GlobalWorkerOptions: { workerSrc: "" },
  AnnotationMode: { DISABLE: 0, ENABLE: 1, ENABLE_FORMS: 2, ENABLE_STORAGE: 3 },
}));
vi.mock("pdfjs-dist/legacy/build/pdf.mjs", () => pdfjs);
vi.mock("pdfjs-dist/legacy/build/pdf.worker.min.mjs?url", () => ({ default: "/assets/pdf.worker.min.mjs" }));

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

const pdfFile: CaseFile = {
  sha256: "b".repeat(64),
  name: "整改报告.pdf",
  size: 9,
  mime: "application/pdf",
  uploadedByName: "王主任",
  uploadedAt: "2026-12-01T02:00:00Z",
  state: "uploaded",
  progress: 100,
  error: null,
  local: false,
  availableOffline: true,
  tampered: false,
};

function fakeDocument(numPages: number) {
  const rendered: number[] = [];
  const doc = {
    numPages,
    getPage: vi.fn(async (n: number) => ({
      getViewport: ({ scale }: { scale: number }) => ({ width: 600 * scale, height: 800 * scale, scale }),
      render: vi.fn(() => {
        rendered.push(n);
        return { promise: Promise.resolve(), cancel: vi.fn() };
      }),
    })),
  };
  return { doc, rendered };
}

async function openPdfPreview(bytes: ArrayBuffer) {
  vi.spyOn(filesBackend, "caseFiles").mockResolvedValue({ files: [pdfFile], maxFileBytes: 20 << 20, maxCaseBytes: 200 << 20, usedBytes: 9 });
  const fetch = vi.spyOn(filesBackend, "bytes").mockResolvedValue(bytes);
  useSyncStore().status = syncStatus({ online: false });
  wrapper = mount(CaseFilesSection, { props: { caseId: 5 }, global: env.global as never, attachTo: document.body });
  await settle(8);
  $("case-file-open")!.click();
  await settle(12);
  expect(fetch).toHaveBeenCalledWith(5, pdfFile.sha256);
}

describe("PDF preview", () => {
  beforeEach(() => {
    env = testEnv();
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus({ online: false }));
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue({} as never);
    pdfjs.getDocument.mockReset();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("draws page 1 from the fetched bytes, shows the page count and pages through", async () => {
    const { doc, rendered } = fakeDocument(3);
    const destroy = vi.fn(async () => undefined);
    pdfjs.getDocument.mockReturnValue({ promise: Promise.resolve(doc), destroy });
    const bytes = new TextEncoder().encode("%PDF-1.7\n").buffer as ArrayBuffer;
    await openPdfPreview(bytes);

    expect(pdfjs.getDocument).toHaveBeenCalledTimes(1);
    const options = pdfjs.getDocument.mock.calls[0]![0];
    // The bytes themselves (a copy: pdf.js transfers its buffer), never a path or a URL.
    expect(options.url).toBeUndefined();
    expect(new TextDecoder().decode(options.data)).toBe("%PDF-1.7\n");
    expect(options.isEvalSupported).toBe(false);
    expect(options.enableXfa).toBe(false);
    expect(pdfjs.GlobalWorkerOptions.workerSrc).toBe("/assets/pdf.worker.min.mjs");
    // Fonts not embedded read their CMaps from the bundle, not from a URL.
    expect(options.useWorkerFetch).toBe(false);
    expect(options.cMapUrl).toBeUndefined();
    const cmap = await new options.CMapReaderFactory().fetch({ name: "UniGB-UCS2-H" });
    expect(cmap.isCompressed).toBe(true);
    expect(cmap.cMapData.length).toBeGreaterThan(1000);

    expect($("file-preview-pdf-count")!.textContent).toBe("第 1 / 3 页");
    expect(rendered).toEqual([1]);
    expect($("file-preview-pdf-canvas")!.getAttribute("data-drawn")).toBe("1");
    expect($("file-preview-pdf-prev")!.hasAttribute("disabled")).toBe(true);
    expect($("file-preview-image")).toBeNull();

    $("file-preview-pdf-next")!.click();
    await settle(8);
    expect(rendered).toEqual([1, 2]);
    expect($("file-preview-pdf-count")!.textContent).toBe("第 2 / 3 页");
    $("file-preview-pdf-next")!.click();
    await settle(8);
    expect($("file-preview-pdf-next")!.hasAttribute("disabled")).toBe(true);
    $("file-preview-pdf-prev")!.click();
    await settle(8);
    expect(rendered).toEqual([1, 2, 3, 2]);
    expect($("file-preview-pdf-canvas")!.getAttribute("data-drawn")).toBe("2");

    // Closing the preview releases the document.
    wrapper!.unmount();
    wrapper = null;
    expect(destroy).toHaveBeenCalled();
  });

  it("says in Chinese that a PDF it cannot read is damaged, not a blank dialog", async () => {
    const broken = Object.assign(new Error("Invalid PDF structure."), { name: "InvalidPDFException" });
    pdfjs.getDocument.mockImplementation(() => ({ promise: Promise.reject(broken), destroy: vi.fn(async () => undefined) }));
    await openPdfPreview(new TextEncoder().encode("not a pdf").buffer as ArrayBuffer);

    const err = $("file-preview-pdf-error")!;
    expect(err.textContent).toContain("无法预览此 PDF：文件已损坏或不是有效的 PDF");
    expect(err.textContent).toContain("Invalid PDF structure.");
    expect($("file-preview-pdf-canvas")).toBeNull();
    expect($("file-preview-pdf-count")).toBeNull();
  });
});

describe("bundled pdf.js data", () => {
  it("holds the Chinese CMaps and the standard fonts, and names what it lacks", async () => {
    const { builtInCMap, standardFont } = await import("../pdfData");
    for (const name of ["GBK-EUC-H", "UniGB-UCS2-H", "Adobe-GB1-UCS2"]) {
      const bytes = await builtInCMap(name);
      // A packed CMap starts with its type byte and names no URL: real bytes, not a data URL.
      expect(bytes.length).toBeGreaterThan(100);
      expect(new TextDecoder().decode(bytes.slice(0, 5))).not.toBe("data:");
    }
    expect((await standardFont("FoxitSerif.pfb")).length).toBeGreaterThan(10_000);
    await expect(builtInCMap("No-Such-CMap")).rejects.toThrow("CMap not bundled: No-Such-CMap.bcmap");
  });
});
