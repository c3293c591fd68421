import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import AccountsTab from "../AccountsTab.vue";
import UnitsTab from "../UnitsTab.vue";
import { adminBackend, type AdminAccount, type AdminUnit } from "@/api/adminBackend";
import { BackendError } from "@/api/backend";
import { session, settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;

const UNITS: AdminUnit[] = [
  { id: 2, parentId: 1, kind: "district", name: "东湖区", code: "420102", depth: 0, childKinds: ["town", "hall", "department"], active: true },
  { id: 3, parentId: 2, kind: "hall", name: "东湖区政务服务中心", code: "DH01", depth: 1, childKinds: ["department", "window"], active: true },
];
const ACCOUNT: AdminAccount = { id: 9, username: "donghu.manager", displayName: "王主任", role: "hall_manager", unitId: 3, unitName: "东湖区政务服务中心", active: true };

beforeEach(() => {
  env = testEnv();
  vi.spyOn(adminBackend, "units").mockResolvedValue(UNITS);
  vi.spyOn(adminBackend, "accounts").mockResolvedValue([ACCOUNT]);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

describe("组织机构", () => {
  it("adds a unit below another after the user confirms", async () => {
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const save = vi.spyOn(adminBackend, "saveUnit").mockResolvedValue({ ...UNITS[1]!, id: 4, name: "临江中心" });
    wrapper = mount(UnitsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.findAll("[data-testid=unit-name]").map((n) => n.text())).toEqual(["东湖区", "东湖区政务服务中心"]);
    await wrapper.find("[data-testid=unit-add-2]").trigger("click");
    await settle();
    const dialog = document.body.querySelector("[data-testid=unit-dialog]")!;
    const set = async (css: string, v: string) => {
      const input = dialog.querySelector(css) as HTMLInputElement;
      input.value = v;
      input.dispatchEvent(new Event("input"));
      await settle();
    };
    await set("input[data-testid=unit-form-name]", "临江中心");
    await set("input[data-testid=unit-form-code]", "DH-LJ");
    (dialog.querySelector("[data-testid=unit-form-save]") as HTMLButtonElement).click();
    await settle();
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("在“东湖区”下新增乡镇/街道“临江中心”"), expect.anything(), expect.anything());
    expect(save).toHaveBeenCalledWith({ id: null, parentId: 2, kind: "town", name: "临江中心", code: "DH-LJ" });
  });
});

describe("停用单位", () => {
  it("deactivates a unit after confirmation and shows the server's refusal with what is left", async () => {
    vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const refusal = "“东湖区政务服务中心”及其下级仍有 1 个启用的账号：请先停用下级单位、办结工单、停用或调走账号，再停用该单位";
    const toggle = vi.spyOn(adminBackend, "setUnitActive").mockRejectedValueOnce(new BackendError("conflict", refusal));
    wrapper = mount(UnitsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find("[data-testid=unit-toggle-2]").exists()).toBe(false);
    expect(wrapper.find("[data-testid=unit-status-3]").text()).toBe("启用");
    await wrapper.find("[data-testid=unit-toggle-3]").trigger("click");
    await settle();
    expect(toggle).toHaveBeenCalledWith(3, false);
    expect(document.body.textContent).toContain("1 个启用的账号");
  });

  it("shows a deactivated unit as 已停用, offers nothing below it and lets it be reactivated", async () => {
    vi.spyOn(adminBackend, "units").mockResolvedValue([UNITS[0]!, { ...UNITS[1]!, active: false }]);
    vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const toggle = vi.spyOn(adminBackend, "setUnitActive").mockResolvedValue({ ...UNITS[1]!, active: true });
    wrapper = mount(UnitsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find("[data-testid=unit-status-3]").text()).toBe("已停用");
    expect(wrapper.find("[data-testid=unit-add-3]").exists()).toBe(false);
    expect(wrapper.find("[data-testid=unit-toggle-3]").text()).toBe("启用");
    await wrapper.find("[data-testid=unit-toggle-3]").trigger("click");
    await settle();
    expect(toggle).toHaveBeenCalledWith(3, true);
  });
});

describe("账号与角色", () => {
  it("deactivates an account only after confirmation, and says when offline", async () => {
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockRejectedValueOnce("cancel");
    const save = vi.spyOn(adminBackend, "saveAccount").mockRejectedValue(new BackendError("network", "系统管理需要连接服务器，请联网后再试"));
    wrapper = mount(AccountsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    await wrapper.find("[data-testid=account-toggle-donghu\\.manager]").trigger("click");
    await settle();
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(save).not.toHaveBeenCalled();

    confirm.mockResolvedValueOnce("confirm" as never);
    await wrapper.find("[data-testid=account-toggle-donghu\\.manager]").trigger("click");
    await settle();
    expect(save).toHaveBeenCalledWith(expect.objectContaining({ id: 9, active: false, password: null }));
    expect(document.body.textContent).toContain("系统管理需要连接服务器");
  });

  it("offers no deactivation of the administrator's own account and locks its role and unit", async () => {
    const { useSessionStore } = await import("@/stores/session");
    useSessionStore().session = session({ id: 9, role: "administrator" });
    wrapper = mount(AccountsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find("[data-testid=account-toggle-donghu\\.manager]").exists()).toBe(false);
    expect(wrapper.find("[data-testid=account-self-donghu\\.manager]").exists()).toBe(true);
    await wrapper.find("[data-testid=account-edit-donghu\\.manager]").trigger("click");
    await settle();
    expect(document.body.querySelector("[data-testid=account-self-hint]")).not.toBeNull();
  });

  it("shows the offline message instead of an empty list", async () => {
    vi.spyOn(adminBackend, "accounts").mockRejectedValue(new BackendError("network", "x"));
    wrapper = mount(AccountsTab, { global: env.global as never, attachTo: document.body });
    await settle();
    expect(wrapper.find("[data-testid=admin-error]").text()).toContain("系统管理需要连接服务器：当前离线");
  });
});
