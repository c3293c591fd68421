import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessage } from "element-plus";
import LoginView from "../LoginView.vue";
import { backend, BackendError } from "@/api/backend";
import { session, settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

async function mountLogin() {
  await env.router.push("/login");
  await env.router.isReady();
  wrapper = mount(LoginView, { global: env.global as never, attachTo: document.body });
  await settle();
  return wrapper;
}

const byId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`);

describe("LoginView", () => {
  beforeEach(() => {
    env = testEnv();
    vi.spyOn(backend, "appInfo").mockResolvedValue({
      version: "0.1.0",
      dataDir: "/tmp/hcp",
      defaultServerUrl: "https://hcp.example.test",
      lastUsername: "wangfang",
    });
    vi.spyOn(backend, "sessionRestore").mockResolvedValue(null);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
  });

  it("puts the test hooks on the real elements", async () => {
    const w = await mountLogin();
    for (const id of ["login-server", "login-username", "login-password"]) {
      const el = byId(w, id).element;
      expect(el.tagName, id).toBe("INPUT");
      expect(document.querySelectorAll(`[data-testid="${id}"]`).length, id).toBe(1);
    }
    expect((byId(w, "login-password").element as HTMLInputElement).type).toBe("password");
    const remember = byId(w, "login-remember").element;
    expect(remember.classList.contains("el-checkbox")).toBe(true);
    expect(remember.querySelector('input[type="checkbox"]')).not.toBeNull();
    expect(byId(w, "login-submit").element.tagName).toBe("BUTTON");
    expect(byId(w, "login-error").exists()).toBe(false);
  });

  it("shows the product name and prefills from appInfo", async () => {
    const w = await mountLogin();
    expect(w.text()).toContain("好差评督办");
    expect(w.text()).toContain("政务服务“好差评”差评工单督办系统");
    expect((byId(w, "login-server").element as HTMLInputElement).value).toBe("https://hcp.example.test");
    expect((byId(w, "login-username").element as HTMLInputElement).value).toBe("wangfang");
    expect(w.text()).toContain("版本 0.1.0");
  });

  it("validates required fields and the URL scheme before calling the backend", async () => {
    const login = vi.spyOn(backend, "login");
    const w = await mountLogin();
    await byId(w, "login-server").setValue("hcp.example.test");
    await byId(w, "login-username").setValue("");
    await w.find("form").trigger("submit");
    await vi.waitFor(() => {
      const errors = w.findAll(".el-form-item__error").map((e) => e.text());
      expect(errors).toEqual(["服务器地址须以 http:// 或 https:// 开头", "请输入用户名", "请输入密码"]);
    });
    expect(login).not.toHaveBeenCalled();
    expect(byId(w, "login-error").exists()).toBe(false);
  });

  it("logs in and goes to the inbox", async () => {
    const login = vi.spyOn(backend, "login").mockResolvedValue(session());
    const w = await mountLogin();
    await byId(w, "login-password").setValue("secret");
    await byId(w, "login-remember").find("input").setValue(false);
    await w.find("form").trigger("submit");
    await settle(6);
    expect(login).toHaveBeenCalledWith({
      serverUrl: "https://hcp.example.test",
      username: "wangfang",
      password: "secret",
      remember: false,
    });
    expect(env.router.currentRoute.value.path).toBe("/cases");
  });

  it("says so when the server could not be reached and the sign-in was offline", async () => {
    const warning = vi.spyOn(ElMessage, "warning");
    vi.spyOn(backend, "login").mockResolvedValue({ ...session(), offline: true });
    const w = await mountLogin();
    await byId(w, "login-password").setValue("secret");
    await w.find("form").trigger("submit");
    await settle(6);
    expect(env.router.currentRoute.value.path).toBe("/cases");
    expect(JSON.stringify(warning.mock.calls[0]?.[0])).toContain("已离线登录");
  });

  it.each([
    ["auth_failed", "用户名或密码错误"],
    ["network", "无法连接服务器，请检查服务器地址和网络（在本机联网登录并同步过的账号，断网时也可登录）"],
    ["server", "登录失败：数据库不可用"],
  ] as const)("explains %s in Chinese", async (code, text) => {
    vi.spyOn(backend, "login").mockRejectedValue(new BackendError(code, "数据库不可用"));
    const w = await mountLogin();
    await byId(w, "login-password").setValue("wrong");
    await byId(w, "login-submit").trigger("click"); // a native submit button: clicking submits the form
    await vi.waitFor(() => expect(byId(w, "login-error").exists()).toBe(true));
    expect(backend.login).toHaveBeenCalledTimes(1);
    const err = byId(w, "login-error");
    expect(err.text()).toBe(text);
    expect(env.router.currentRoute.value.path).toBe("/login");
  });

  it("opens the inbox straight away when a session is saved (offline start)", async () => {
    vi.spyOn(backend, "sessionRestore").mockResolvedValue(session());
    await mountLogin();
    expect(backend.sessionRestore).toHaveBeenCalled();
    expect(env.router.currentRoute.value.path).toBe("/cases");
  });
});
