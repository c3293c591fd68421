import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import CaseFilesSection from "../CaseFilesSection.vue";
import AttachFilesField from "../AttachFilesField.vue";
import { backend, BackendError } from "@/api/backend";
import { filesBackend, formatSize, type CaseFile, type CaseFiles } from "@/api/filesBackend";
import { useSyncStore } from "@/stores/sync";
import { settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const $$ = (id: string) => [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)];

function file(overrides: Partial<CaseFile>): CaseFile {
  return {
    sha256: "a".repeat(64),
    name: "整改后窗口.jpg",
    size: 1_500_000,
    mime: "image/jpeg",
    uploadedByName: "王主任",
    uploadedAt: "2026-12-01T02:00:00Z",
    state: "uploaded",
    progress: 100,
    error: null,
    local: false,
    availableOffline: false,
    tampered: false,
    ...overrides,
  };
}

function files(list: CaseFile[]): CaseFiles {
  return { files: list, maxFileBytes: 20 << 20, maxCaseBytes: 200 << 20, usedBytes: list.reduce((n, f) => n + f.size, 0) };
}

async function mountSection() {
  useSyncStore().status = syncStatus({ online: false });
  wrapper = mount(CaseFilesSection, { props: { caseId: 5 }, global: env.global as never, attachTo: document.body });
  await settle(8);
}

describe("CaseFilesSection", () => {
  beforeEach(() => {
    env = testEnv();
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus({ online: false }));
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("lists the case's files with their state, progress, errors and the limits", async () => {
    vi.spyOn(filesBackend, "caseFiles").mockResolvedValue(
      files([
        file({ sha256: "b".repeat(64), name: "整改报告.pdf", mime: "application/pdf", state: "uploaded", tampered: true }),
        file({ sha256: "c".repeat(64), name: "照片一.jpg", state: "uploading", progress: 40, local: true, availableOffline: true }),
        file({ sha256: "d".repeat(64), name: "照片二.jpg", state: "failed", local: true, error: "文件“照片二.jpg”大小 25.0 MB，超过单个文件上限 20.0 MB，未上传", uploadedByName: "" }),
        file({ sha256: "e".repeat(64), name: "待传.png", mime: "image/png", state: "queued", progress: 0, local: true, uploadedByName: "" }),
      ]),
    );
    vi.spyOn(filesBackend, "bytes").mockRejectedValue(new BackendError("network", "offline"));
    await mountSection();
    expect($("case-files")!.getAttribute("data-count")).toBe("4");
    const rows = $$("case-file");
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["uploaded", "uploading", "failed", "queued"]);
    expect(rows.map((r) => r.querySelector('[data-testid="case-file-state"]')!.textContent!.trim())).toEqual([
      "已上传",
      "上传中 40%",
      "失败",
      "待上传",
    ]);
    expect(rows[2]!.querySelector('[data-testid="case-file-error"]')!.textContent).toContain("超过单个文件上限");
    // The evidence verification found the PDF changed after upload: flagged.
    expect(rows[0]!.querySelector('[data-testid="case-file-tampered"]')!.textContent).toBe("已被篡改");
    expect(rows[1]!.querySelector('[data-testid="case-file-tampered"]')).toBeNull();
    expect(rows[2]!.querySelector('[data-testid="case-file-retry"]')).not.toBeNull();
    expect(rows[0]!.querySelector('[data-testid="case-file-retry"]')).toBeNull();
    expect(rows[0]!.querySelector('[data-testid="case-file-remove"]')).toBeNull();
    expect(rows[3]!.textContent).toContain("本机（尚未登记）");
    expect($("case-files-limits")!.textContent).toContain("单个文件不超过 20.0 MB");
  });

  it("retries a failed file and removes one after confirmation", async () => {
    const failed = file({ sha256: "d".repeat(64), state: "failed", local: true, error: "服务器拒收" });
    vi.spyOn(filesBackend, "caseFiles").mockResolvedValue(files([failed]));
    vi.spyOn(filesBackend, "bytes").mockRejectedValue(new BackendError("network", "offline"));
    const retry = vi.spyOn(filesBackend, "retry").mockResolvedValue(files([{ ...failed, state: "queued", error: null }]));
    const remove = vi.spyOn(filesBackend, "remove").mockResolvedValue(files([]));
    vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    await mountSection();
    $("case-file-retry")!.click();
    await settle(6);
    expect(retry).toHaveBeenCalledWith(5, "d".repeat(64));
    expect($("case-file")!.getAttribute("data-state")).toBe("queued");
    $("case-file-remove")!.click();
    await settle(6);
    expect(remove).toHaveBeenCalledWith(5, "d".repeat(64));
    expect($("case-files-empty")).not.toBeNull();
  });

  it("adds a chosen file and reports a refused one with its reason", async () => {
    vi.spyOn(filesBackend, "caseFiles").mockResolvedValue(files([]));
    vi.spyOn(filesBackend, "chooseFile").mockResolvedValue("/home/u/照片.jpg");
    const queued = file({ state: "queued", local: true, availableOffline: true, uploadedByName: "" });
    const attach = vi.spyOn(filesBackend, "attach").mockResolvedValue({
      added: [queued.sha256],
      refused: [{ name: "程序.jpg", message: "文件内容是可执行程序（已改扩展名）" }],
      files: files([queued]),
    });
    vi.spyOn(filesBackend, "bytes").mockResolvedValue(new ArrayBuffer(4));
    await mountSection();
    $("case-files-add")!.click();
    await settle(8);
    expect(attach).toHaveBeenCalledWith(5, ["/home/u/照片.jpg"]);
    expect($$("case-file")).toHaveLength(1);
    expect(document.body.textContent).toContain("“程序.jpg”未添加：文件内容是可执行程序");
  });

  it("opens an image in the preview, or says clearly that it is not on this computer", async () => {
    const photo = file({ availableOffline: false });
    vi.spyOn(filesBackend, "caseFiles").mockResolvedValue(files([photo]));
    const bytes = vi
      .spyOn(filesBackend, "bytes")
      .mockRejectedValue(new BackendError("network", "该文件尚未缓存到本机，当前无法连接服务器；联网后再打开即可下载"));
    await mountSection();
    $("case-file-open")!.click();
    await settle(8);
    expect(bytes).toHaveBeenCalledWith(5, photo.sha256);
    expect($("file-preview-error")!.textContent).toContain("尚未缓存到本机");
  });
});

describe("AttachFilesField", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("queues the chosen file on the case and lists it for the command to cite", async () => {
    vi.spyOn(filesBackend, "chooseFile").mockResolvedValue("/tmp/整改后.jpg");
    const f = file({ sha256: "f".repeat(64), name: "整改后.jpg", size: 2048, state: "queued", local: true });
    vi.spyOn(filesBackend, "attach").mockResolvedValue({ added: [f.sha256], refused: [], files: files([f]) });
    const model = { value: [] as { sha256: string; name: string; size: number }[] };
    wrapper = mount(AttachFilesField, {
      props: { caseId: 9, modelValue: model.value, "onUpdate:modelValue": (v: typeof model.value) => (model.value = v) },
      global: env.global as never,
      attachTo: document.body,
    });
    $("command-files-add")!.click();
    await settle(8);
    expect(model.value).toEqual([{ sha256: f.sha256, name: "整改后.jpg", size: 2048 }]);
    expect(formatSize(2048)).toBe("2 KB");
  });
});
