import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

import { backend, BackendError, setAuthLostHandler } from "@/api/backend";

describe("backend adapter", () => {
  beforeEach(() => {
    invoke.mockReset();
    setAuthLostHandler(null);
  });

  it("passes the request to the right command and unwraps the data", async () => {
    const page = { total: 1234, items: [] };
    invoke.mockResolvedValueOnce(page);
    const query = { state: null, level: "dissatisfied" as const, source: null, search: "许可", offset: 20, limit: 20 };
    await expect(backend.listCases(query)).resolves.toEqual(page);
    expect(invoke).toHaveBeenCalledWith("list_cases", { query });
  });

  it("sends login as { req }", async () => {
    const session = { serverUrl: "https://x", user: { id: 1 } };
    invoke.mockResolvedValueOnce(session);
    const req = { serverUrl: "https://x", username: "u", password: "p", remember: true };
    await expect(backend.login(req)).resolves.toBe(session);
    expect(invoke).toHaveBeenCalledWith("login", { req });
  });

  it("maps the simple commands", async () => {
    invoke.mockResolvedValue(null);
    await backend.sessionRestore();
    await backend.logout();
    await backend.syncNow();
    await backend.syncStatus();
    await backend.appInfo();
    expect(invoke.mock.calls.map((c) => c[0])).toEqual(["session_restore", "logout", "sync_now", "sync_status", "app_info"]);
  });

  it("throws a typed BackendError with the backend's code and message", async () => {
    invoke.mockRejectedValueOnce({ code: "auth_failed", message: "bad credentials" });
    const err = await backend.login({ serverUrl: "https://x", username: "u", password: "p", remember: false }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe("auth_failed");
    expect(err.message).toBe("bad credentials");
    expect(err.isAuthLost).toBe(false);
  });

  it("flags network errors", async () => {
    invoke.mockRejectedValueOnce({ code: "network", message: "connection refused" });
    const err = await backend.syncNow().catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.isNetwork).toBe(true);
  });

  it("turns thrown JS errors (no IPC, serialization) into BackendError 'internal'", async () => {
    invoke.mockRejectedValueOnce(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    const err = await backend.syncStatus().catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe("internal");
    expect(err.message).toContain("__TAURI_INTERNALS__");
  });

  it("appInfo errors are BackendErrors too", async () => {
    invoke.mockRejectedValueOnce(new Error("boom"));
    await expect(backend.appInfo()).rejects.toBeInstanceOf(BackendError);
  });

  it("reports session_expired / not_logged_in to the auth-lost handler", async () => {
    const handler = vi.fn();
    setAuthLostHandler(handler);
    invoke.mockRejectedValueOnce({ code: "session_expired", message: "expired" });
    const err = await backend.listCases({ state: null, level: null, source: null, search: null, offset: 0, limit: 20 }).catch((e) => e);
    expect(err.isAuthLost).toBe(true);
    expect(handler).toHaveBeenCalledTimes(1);
    invoke.mockRejectedValueOnce({ code: "not_logged_in", message: "no session" });
    await backend.syncStatus().catch(() => undefined);
    expect(handler).toHaveBeenCalledTimes(2);
  });

  it("does not report auth loss from login or session restore", async () => {
    const handler = vi.fn();
    setAuthLostHandler(handler);
    invoke.mockRejectedValueOnce({ code: "not_logged_in", message: "no session" });
    await backend.sessionRestore().catch(() => undefined);
    invoke.mockRejectedValueOnce({ code: "session_expired", message: "x" });
    await backend.login({ serverUrl: "https://x", username: "u", password: "p", remember: false }).catch(() => undefined);
    expect(handler).not.toHaveBeenCalled();
  });

  it("returns null from sessionRestore when nothing is saved", async () => {
    invoke.mockResolvedValueOnce(null);
    await expect(backend.sessionRestore()).resolves.toBeNull();
  });
});
