import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import FileCacheCard from "../FileCacheCard.vue";
import { filesBackend } from "@/api/filesBackend";
import { settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const $ = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe("FileCacheCard", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows the cap and its use, and saves a chosen cap", async () => {
    vi.spyOn(filesBackend, "fileCache").mockResolvedValue({ capMb: 500, isDefault: true, usedBytes: 3 * 1024 * 1024 });
    const save = vi.spyOn(filesBackend, "saveFileCacheCap").mockResolvedValue({ capMb: 500, isDefault: true, usedBytes: 0 });
    wrapper = mount(FileCacheCard, { global: env.global as never, attachTo: document.body });
    await settle(6);
    expect($("settings-file-cache-used")!.textContent).toBe("当前已用 3.0 MB");
    expect($("settings-file-cache-cap")!.querySelector("input")!.disabled).toBe(true);
    $("settings-file-cache-save")!.click();
    await settle(6);
    expect(save).toHaveBeenCalledWith(null);
  });
});
