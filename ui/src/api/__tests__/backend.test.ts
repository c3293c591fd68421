import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

import { backend, BackendError, setAuthLostHandler } from "@/api/backend";
import { commands } from "@/api/bindings";

/** `commands.dashboard` is being added on the Rust side; these tests hold before and after it lands. */

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

  it("maps the case commands with their arguments", async () => {
    invoke.mockResolvedValue(null);
    await backend.caseDetail(12);
    await backend.issueCommand(12, { type: "verify", outcome: "genuine", reason: "" });
    await backend.outbox();
    await backend.discardCommand("c-1");
    await backend.reissueCommand("c-2");
    expect(invoke.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      ["case_detail", { caseId: 12 }],
      ["issue_command", { caseId: 12, command: { type: "verify", outcome: "genuine", reason: "" } }],
      ["outbox", undefined],
      ["discard_command", { commandId: "c-1" }],
      ["reissue_command", { commandId: "c-2" }],
    ]);
  });

  it("maps the integrity-flag queue and verdicts", async () => {
    invoke.mockResolvedValue([]);
    await backend.integrityFlags("open");
    await backend.integrityFlags(null);
    invoke.mockResolvedValue({ id: 5 });
    await expect(backend.decideFlag(5, "confirmed_fake", "调取监控确认")).resolves.toEqual({ id: 5 });
    expect(invoke.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      ["integrity_flags", { status: "open" }],
      ["integrity_flags", { status: null }],
      ["decide_flag", { flagId: 5, verdict: "confirmed_fake", note: "调取监控确认" }],
    ]);
    invoke.mockRejectedValueOnce({ code: "forbidden", message: "只有大厅负责人和督查人员可以核实异常评价线索" });
    await expect(backend.decideFlag(5, "dismissed", "ok")).rejects.toMatchObject({
      name: "BackendError",
      code: "forbidden",
      message: "只有大厅负责人和督查人员可以核实异常评价线索",
    });
  });

  it("passes a domain rule's code and Chinese message through", async () => {
    invoke.mockRejectedValueOnce({ code: "reason_required", message: "剔除理由不能为空" });
    const err = await backend.issueCommand(1, { type: "verify", outcome: "malicious", reason: "" }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe("reason_required");
    expect(err.message).toBe("剔除理由不能为空");
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

  it("sends dashboard as { month, style }, null meaning the newest month with data", async () => {
    const data = { month: "2026-11", months: ["2026-11"] };
    invoke.mockResolvedValueOnce(data);
    await expect(backend.dashboard("2026-11")).resolves.toEqual(data);
    expect(invoke).toHaveBeenCalledWith("dashboard", { month: "2026-11", style: { language: "zh-CN", theme: "light" } });
    invoke.mockResolvedValueOnce(data);
    await backend.dashboard(null, { language: "en", theme: "dark" });
    expect(invoke).toHaveBeenLastCalledWith("dashboard", { month: null, style: { language: "en", theme: "dark" } });
  });

  it("unwraps dashboard and reports a lost session like every call", async () => {
    const c = commands as Record<string, unknown>;
    const original = c.dashboard;
    const fake = vi.fn();
    c.dashboard = fake;
    try {
      fake.mockResolvedValueOnce({ status: "ok", data: { month: "2026-10" } });
      await expect(backend.dashboard("2026-10")).resolves.toEqual({ month: "2026-10" });
      expect(fake).toHaveBeenCalledWith("2026-10", { language: "zh-CN", theme: "light" });
      const handler = vi.fn();
      setAuthLostHandler(handler);
      fake.mockResolvedValueOnce({ status: "error", error: { code: "session_expired", message: "expired" } });
      const err = await backend.dashboard("2026-10").catch((e) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect(err.code).toBe("session_expired");
      expect(handler).toHaveBeenCalledTimes(1);
    } finally {
      if (original === undefined) delete c.dashboard;
      else c.dashboard = original;
    }
  });
});
