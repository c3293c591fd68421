import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount, type VueWrapper } from "@vue/test-utils";
import { ElMessageBox } from "element-plus";
import SettingsView from "../SettingsView.vue";
import { backend, type AppSettingsView, type ReplicaInfo } from "@/api/backend";
import { useSessionStore } from "@/stores/session";
import { usePreferencesStore } from "@/stores/preferences";
import { session, settle, testEnv, type TestEnv } from "@/test/helpers";

let env: TestEnv;
let wrapper: VueWrapper | null = null;
const byId = (w: VueWrapper, id: string) => w.find(`[data-testid="${id}"]`);

function view(overrides: Partial<AppSettingsView> = {}): AppSettingsView {
  return {
    serverUrl: "http://127.0.0.1:8787",
    sessionServerUrl: "http://127.0.0.1:8787",
    syncIntervalSeconds: 15,
    syncIntervalIsDefault: true,
    minSyncIntervalSeconds: 5,
    maxSyncIntervalSeconds: 3600,
    dataDir: "/home/u/.local/share/haochaping",
    ...overrides,
  };
}

function replica(overrides: Partial<ReplicaInfo> = {}): ReplicaInfo {
  return {
    path: "/home/u/.local/share/haochaping/replicas/abc.db",
    bytes: 3 * 1024 * 1024,
    rows: [
      { entity: "case", rows: 412 },
      { entity: "rating", rows: 9876 },
    ],
    scope: "/1/2/",
    cursor: 1234,
    lastSyncAt: "2026-12-06T02:00:00Z",
    pending: 0,
    rejected: 0,
    ...overrides,
  };
}

async function mountPage() {
  useSessionStore().session = session();
  await env.router.push("/settings");
  wrapper = mount(SettingsView, { global: env.global as never, attachTo: document.body });
  await settle(6);
  return wrapper;
}

describe("SettingsView", () => {
  beforeEach(() => {
    env = testEnv();
    vi.spyOn(backend, "appSettings").mockResolvedValue(view());
    vi.spyOn(backend, "replicaInfo").mockResolvedValue(replica());
    vi.spyOn(backend, "about").mockResolvedValue({
      appVersion: "0.1.0",
      serverUrl: "http://127.0.0.1:8787",
      serverVersion: "0.1.0",
      os: "linux x86_64",
    });
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = null;
    vi.restoreAllMocks();
    document.body.innerHTML = "";
  });

  it("shows the replica's rows by kind in the user's language, its size and the versions", async () => {
    const w = await mountPage();
    const rows = byId(w, "settings-replica-rows").text();
    expect(rows).toContain("工单");
    expect(rows).toContain("9,876");
    expect(byId(w, "settings-replica").text()).toContain("3 MB");
    expect(byId(w, "settings-about").text()).toContain("linux x86_64");
  });

  it("saves the address and a chosen interval, and says when the new address needs a new sign-in", async () => {
    const save = vi
      .spyOn(backend, "saveAppSettings")
      .mockResolvedValue(view({ serverUrl: "http://10.0.0.5:8787", syncIntervalSeconds: 60, syncIntervalIsDefault: false }));
    const w = await mountPage();
    await byId(w, "settings-server-url").setValue("http://10.0.0.5:8787");
    await byId(w, "settings-interval-default").find("input").setValue(false);
    await byId(w, "settings-interval").find("input").setValue("60");
    await byId(w, "settings-interval").find("input").trigger("change");
    await byId(w, "settings-save").trigger("click");
    await settle(4);
    expect(save).toHaveBeenCalledWith({ serverUrl: "http://10.0.0.5:8787", syncIntervalSeconds: 60 });
    expect(byId(w, "settings-sign-in-again").exists()).toBe(true);
  });

  it("asks before erasing, names unsent actions, then signs the user out to the login page", async () => {
    vi.spyOn(backend, "replicaInfo").mockResolvedValue(replica({ pending: 2, rejected: 1 }));
    const confirm = vi.spyOn(ElMessageBox, "confirm").mockResolvedValue("confirm" as never);
    const erase = vi.spyOn(backend, "eraseReplica").mockResolvedValue();
    const w = await mountPage();
    await byId(w, "settings-erase").trigger("click");
    await settle(6);
    expect(String(confirm.mock.calls[0]?.[0])).toContain("3");
    expect(erase).toHaveBeenCalledWith(true);
    expect(useSessionStore().loggedIn).toBe(false);
    expect(env.router.currentRoute.value.name).toBe("login");
  });

  it("does nothing when the user cancels the erase", async () => {
    vi.spyOn(ElMessageBox, "confirm").mockRejectedValue("cancel");
    const erase = vi.spyOn(backend, "eraseReplica").mockResolvedValue();
    const w = await mountPage();
    await byId(w, "settings-erase").trigger("click");
    await settle(4);
    expect(erase).not.toHaveBeenCalled();
  });

  it("switches the language and the theme through the shared preferences", async () => {
    const w = await mountPage();
    const prefs = usePreferencesStore();
    const dark = byId(w, "settings-theme").findAll("input").find((i) => (i.element as HTMLInputElement).value === "dark");
    await dark!.setValue(true);
    await settle(2);
    expect(prefs.theme).toBe("dark");
    prefs.theme = "light";
  });
});
