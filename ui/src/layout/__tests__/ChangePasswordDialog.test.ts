import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import ChangePasswordDialog from "../ChangePasswordDialog.vue";
import { backend, BackendError } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { useSyncStore } from "@/stores/sync";
import { session, settle, syncStatus, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

const q = (id: string) => document.body.querySelector<HTMLElement>(`[data-testid="${id}"]`);

async function mountDialog(opts: { online?: boolean; offlineLogin?: boolean } = {}) {
  useSessionStore().session = { ...session(), offline: opts.offlineLogin ?? false };
  useSyncStore().status = syncStatus({ online: opts.online ?? true });
  wrapper = mount(ChangePasswordDialog, { props: { modelValue: false }, global: env.global as never, attachTo: document.body });
  await wrapper.setProps({ modelValue: true });
  await settle(4);
  return wrapper;
}

async function type(id: string, value: string) {
  const input = q(id)!.querySelector("input") ?? (q(id) as HTMLInputElement);
  (input as HTMLInputElement).value = value;
  input.dispatchEvent(new Event("input"));
  await settle();
}

describe("ChangePasswordDialog", () => {
  beforeEach(() => {
    env = testEnv();
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("checks the policy first, then changes the password on the server", async () => {
    const change = vi.spyOn(backend, "changePassword").mockResolvedValue();
    await mountDialog();
    await type("password-old", "Old12345");
    await type("password-new", "short1");
    await type("password-confirm", "short1");
    q("password-submit")!.click();
    await settle(4);
    expect(change).not.toHaveBeenCalled();
    expect(document.body.textContent).toContain("新密码至少需要 8 个字符");
    await type("password-new", "Newpass2026");
    await type("password-confirm", "Newpass2026");
    q("password-submit")!.click();
    await settle(4);
    expect(change).toHaveBeenCalledWith("Old12345", "Newpass2026");
    expect(wrapper!.emitted("update:modelValue")?.at(-1)).toEqual([false]);
  });

  it("shows the server's refusal in Chinese", async () => {
    vi.spyOn(backend, "changePassword").mockRejectedValue(new BackendError("invalid_input", "原密码不正确"));
    await mountDialog();
    await type("password-old", "Wrong1234");
    await type("password-new", "Newpass2026");
    await type("password-confirm", "Newpass2026");
    q("password-submit")!.click();
    await settle(4);
    expect(q("password-error")!.textContent).toContain("原密码不正确");
  });

  it("says it needs the server when offline or signed in offline, and sends nothing", async () => {
    const change = vi.spyOn(backend, "changePassword").mockResolvedValue();
    await mountDialog({ online: true, offlineLogin: true });
    expect(q("password-offline")!.textContent).toContain("需要连接服务器");
    expect(q("password-submit")!.hasAttribute("disabled") || q("password-submit")!.classList.contains("is-disabled")).toBe(true);
    wrapper!.unmount();
    document.body.innerHTML = "";
    await mountDialog({ online: false });
    expect(q("password-offline")).not.toBeNull();
    expect(change).not.toHaveBeenCalled();
  });
});
