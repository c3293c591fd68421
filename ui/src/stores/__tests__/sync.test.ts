import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPinia, setActivePinia } from "pinia";
import { backend, BackendError, setAuthLostHandler } from "@/api/backend";
import { useSyncStore, POLL_BOOTSTRAP_MS, POLL_MS } from "@/stores/sync";
import { syncStatus } from "@/test/helpers";

describe("sync store", () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.useFakeTimers();
  });
  afterEach(() => {
    useSyncStore().stop();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("polls every 2 s, every 500 ms while bootstrapping, and bumps dataVersion when bootstrap ends", async () => {
    const statuses = [
      syncStatus({ phase: "bootstrapping", bootstrapped: false, cursor: 0, progress: { phase: "cases", rows: 10, bytes: 1, totalRows: 100, resumedFrom: null } }),
      syncStatus({ phase: "bootstrapping", bootstrapped: false, cursor: 0 }),
      syncStatus({ phase: "idle", bootstrapped: true, cursor: 50 }),
      syncStatus({ phase: "idle", bootstrapped: true, cursor: 50 }),
    ];
    let i = 0;
    const spy = vi.spyOn(backend, "syncStatus").mockImplementation(async () => statuses[Math.min(i++, statuses.length - 1)]!);
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(sync.bootstrapping).toBe(true);
    await vi.advanceTimersByTimeAsync(POLL_BOOTSTRAP_MS);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(sync.dataVersion).toBe(0);
    await vi.advanceTimersByTimeAsync(POLL_BOOTSTRAP_MS);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(sync.bootstrapped).toBe(true);
    expect(sync.dataVersion).toBe(1);
    await vi.advanceTimersByTimeAsync(POLL_BOOTSTRAP_MS);
    expect(spy).toHaveBeenCalledTimes(3); // now on the slow interval
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(spy).toHaveBeenCalledTimes(4);
    expect(sync.dataVersion).toBe(1); // nothing moved
  });

  it("keeps polling after an error and stops when the session is lost", async () => {
    const spy = vi
      .spyOn(backend, "syncStatus")
      .mockRejectedValueOnce(new BackendError("internal", "replica busy"))
      .mockResolvedValueOnce(syncStatus({ cursor: 1 }))
      .mockRejectedValue(new BackendError("session_expired", "expired"));
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sync.error?.message).toBe("replica busy");
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(sync.error).toBeNull();
    expect(sync.online).toBe(true);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(sync.error?.code).toBe("session_expired");
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("syncNow applies the returned status and asks lists to reload", async () => {
    vi.spyOn(backend, "syncNow").mockResolvedValue(syncStatus({ pending: 2, rejected: 1 }));
    const sync = useSyncStore();
    await sync.syncNow();
    expect(sync.pending).toBe(2);
    expect(sync.rejected).toBe(1);
    expect(sync.dataVersion).toBe(1);
    expect(sync.syncing).toBe(false);
  });
  it("stops and reports a lost session when the background sync finds the token expired", async () => {
    const lost = vi.fn();
    setAuthLostHandler(lost);
    const spy = vi
      .spyOn(backend, "syncStatus")
      .mockResolvedValue(syncStatus({ phase: "error", code: "session_expired", message: "登录已过期或已退出，请重新登录" }));
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0]![0].code).toBe("session_expired");
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    expect(spy).toHaveBeenCalledTimes(1);
    setAuthLostHandler(null);
  });
});
