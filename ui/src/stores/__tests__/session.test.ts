import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPinia, setActivePinia } from "pinia";
import { backend, BackendError, reportAuthLost, type Session } from "@/api/backend";
import { useSessionStore } from "@/stores/session";

describe("session store", () => {
  beforeEach(() => setActivePinia(createPinia()));
  afterEach(() => vi.restoreAllMocks());

  it("never restores from the keyring a session the server has just refused", async () => {
    const saved = { user: { username: "admin" } } as unknown as Session;
    const restore = vi.spyOn(backend, "sessionRestore").mockResolvedValue(saved);
    const session = useSessionStore();
    // A session restored at start, then refused by the server.
    expect(await session.ensureRestored()).toBe(saved);
    reportAuthLost(new BackendError("session_expired", "登录状态已失效"));
    expect(session.loggedIn).toBe(false);
    // The router guard on the way to the login screen does not bring it back.
    expect(await session.ensureRestored()).toBeNull();
    expect(restore).toHaveBeenCalledTimes(1);
    expect(session.authLost?.code).toBe("session_expired");
  });
});
