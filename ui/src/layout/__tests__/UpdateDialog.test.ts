import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import UpdateDialog from "../UpdateDialog.vue";
import { backend, BackendError } from "@/api/backend";
import { settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const offer = {
  version: "0.2.0",
  currentVersion: "0.1.0",
  notes: "修复离线同步问题\n<b>新增</b>月度通报导出",
  date: "2026-12-06T08:00:00Z",
};

async function mountDialog(everyMs = 60_000) {
  wrapper = mount(UpdateDialog, { props: { firstCheckMs: 0, everyMs }, global: env.global as never, attachTo: document.body });
  await new Promise((r) => setTimeout(r, 5));
  await settle(6);
  return wrapper;
}

describe("UpdateDialog", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows what is new and installs only when the user agrees", async () => {
    vi.spyOn(backend, "checkUpdate").mockResolvedValue(offer);
    const install = vi.spyOn(backend, "installUpdate").mockResolvedValue();
    await mountDialog();
    expect(q("update-version")!.textContent).toContain("新版本 0.2.0（当前 0.1.0）");
    // The administrator's notes are text, never markup.
    expect(q("update-notes")!.textContent).toContain("<b>新增</b>月度通报导出");
    expect(q("update-notes")!.querySelector("b")).toBeNull();
    expect(install).not.toHaveBeenCalled();
    q("update-install")!.click();
    await settle(4);
    expect(install).toHaveBeenCalledTimes(1);
  });

  it("says later without installing, and shows nothing when there is no update or no server", async () => {
    const check = vi.spyOn(backend, "checkUpdate").mockResolvedValue(offer);
    const install = vi.spyOn(backend, "installUpdate").mockResolvedValue();
    await mountDialog();
    q("update-later")!.click();
    await settle(6);
    expect(install).not.toHaveBeenCalled();
    wrapper!.unmount();
    document.body.innerHTML = "";
    check.mockResolvedValue(null);
    await mountDialog();
    expect(q("update-version")).toBeNull();
    wrapper!.unmount();
    document.body.innerHTML = "";
    check.mockRejectedValue(new BackendError("network", "无法检查更新"));
    await mountDialog();
    expect(q("update-version")).toBeNull();
  });

  it("reports a refused package and lets the user try again", async () => {
    vi.spyOn(backend, "checkUpdate").mockResolvedValue(offer);
    vi.spyOn(backend, "installUpdate").mockRejectedValue(
      new BackendError("internal", "更新包的签名校验未通过，已拒绝安装"),
    );
    await mountDialog();
    q("update-install")!.click();
    await settle(6);
    expect(document.body.textContent).toContain("更新失败：更新包的签名校验未通过，已拒绝安装");
    expect(q("update-install")!.hasAttribute("disabled")).toBe(false);
  });
});
