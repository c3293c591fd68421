import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import ExportButton from "../ExportButton.vue";
import { adminBackend } from "@/api/adminBackend";
import { BackendError } from "@/api/backend";
import { exportFileName } from "@/utils/exportName";
import { settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

beforeEach(() => {
  env = testEnv();
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

function mountButton(run: (format: "csv" | "xlsx", path: string) => Promise<{ path: string; rows: number }>) {
  wrapper = mount(ExportButton, {
    props: { baseName: "差评工单", run, testid: "x-export" },
    global: env.global as never,
    attachTo: document.body,
  });
  return wrapper;
}

/** Picks an entry of the dropdown the way the user does (the menu's command). */
async function pick(w: VueWrapper, format: "csv" | "xlsx") {
  w.findComponent({ name: "ElDropdown" }).vm.$emit("command", format);
  await settle();
}

describe("the export button", () => {
  it("asks where to save, writes there and keeps what it wrote", async () => {
    const choose = vi.spyOn(adminBackend, "chooseSavePath").mockResolvedValue("/tmp/out/差评工单-20261206.csv");
    const run = vi.fn().mockResolvedValue({ path: "/tmp/out/差评工单-20261206.csv", rows: 12 });
    const w = mountButton(run);
    await pick(w, "csv");
    expect(choose).toHaveBeenCalledWith(expect.stringMatching(/^差评工单-\d{8}\.csv$/), "csv");
    expect(run).toHaveBeenCalledWith("csv", "/tmp/out/差评工单-20261206.csv");
    const root = w.find("[data-testid=x-export]");
    expect(root.attributes("data-last-rows")).toBe("12");
    expect(root.attributes("data-last-path")).toBe("/tmp/out/差评工单-20261206.csv");
  });

  it("does nothing when the dialog is cancelled", async () => {
    vi.spyOn(adminBackend, "chooseSavePath").mockResolvedValue(null);
    const run = vi.fn();
    const w = mountButton(run);
    await pick(w, "xlsx");
    expect(run).not.toHaveBeenCalled();
    expect(w.find("[data-testid=x-export]").attributes("data-last-rows")).toBe("");
  });

  it("says why an export failed", async () => {
    vi.spyOn(adminBackend, "chooseSavePath").mockResolvedValue("/tmp/x.csv");
    const w = mountButton(() => Promise.reject(new BackendError("network", "定期公开数据需要连接服务器，请联网后再试")));
    await pick(w, "csv");
    expect(document.body.textContent).toContain("导出失败：定期公开数据需要连接服务器");
  });
});

describe("export file names", () => {
  it("are safe, dated and carry the format's extension", () => {
    const d = new Date(2026, 11, 6);
    expect(exportFileName("统计分析-2026-11", "xlsx", d)).toBe("统计分析-2026-11-20261206.xlsx");
    expect(exportFileName('a/b:c*"', "csv", d)).toBe("a_b_c__-20261206.csv");
    expect(exportFileName("  ", "csv", d)).toBe("export-20261206.csv");
  });
});
