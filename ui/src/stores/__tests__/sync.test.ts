import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPinia, setActivePinia } from "pinia";
import { backend, BackendError, setAuthLostHandler, type SyncStatus } from "@/api/backend";
import { FALLBACK_POLL_MS, useSyncStore } from "@/stores/sync";
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

  /** Captures the listener the store subscribes with; `push` delivers a status as the engine would. */
  function pushed() {
    let listener: ((s: SyncStatus) => void) | null = null;
    const unlisten = vi.fn();
    const spy = vi.spyOn(backend, "onSyncStatus").mockImplementation(async (l) => {
      listener = l;
      return unlisten;
    });
    return { spy, unlisten, push: (s: SyncStatus) => listener?.(s) };
  }

  it("follows the pushed status without polling, and bumps dataVersion when bootstrap ends or the cursor moves", async () => {
    const events = pushed();
    const read = vi.spyOn(backend, "syncStatus").mockResolvedValue(
      syncStatus({ phase: "bootstrapping", bootstrapped: false, cursor: 0, progress: { phase: "cases", rows: 10, bytes: 1, totalRows: 100, resumedFrom: null } }),
    );
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events.spy).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledTimes(1);
    expect(sync.following).toBe("pushed");
    expect(sync.bootstrapping).toBe(true);
    events.push(syncStatus({ phase: "bootstrapping", bootstrapped: false, cursor: 0 }));
    expect(sync.dataVersion).toBe(0);
    events.push(syncStatus({ phase: "idle", bootstrapped: true, cursor: 50 }));
    expect(sync.bootstrapped).toBe(true);
    expect(sync.dataVersion).toBe(1);
    events.push(syncStatus({ phase: "idle", bootstrapped: true, cursor: 50, pending: 3 }));
    expect(sync.pending).toBe(3);
    expect(sync.dataVersion).toBe(1); // nothing moved
    events.push(syncStatus({ phase: "idle", bootstrapped: true, cursor: 51 }));
    expect(sync.dataVersion).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(read).toHaveBeenCalledTimes(1); // never polled
  });

  it("shows an error reading the status until the next pushed status, and stops listening when the session is lost", async () => {
    const events = pushed();
    vi.spyOn(backend, "syncStatus").mockRejectedValueOnce(new BackendError("internal", "replica busy"));
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(sync.error?.message).toBe("replica busy");
    events.push(syncStatus({ cursor: 1 }));
    expect(sync.error).toBeNull();
    expect(sync.online).toBe(true);
    vi.spyOn(backend, "syncStatus").mockRejectedValue(new BackendError("session_expired", "expired"));
    await sync.refresh();
    expect(sync.error?.code).toBe("session_expired");
    expect(events.unlisten).toHaveBeenCalledTimes(1);
    events.push(syncStatus({ cursor: 9 }));
    expect(sync.status?.cursor).toBe(1); // no longer following
  });

  it("reads the status every 2 s when the event cannot be listened to", async () => {
    vi.spyOn(backend, "onSyncStatus").mockRejectedValue(new BackendError("internal", "no event channel"));
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const read = vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus({ cursor: 4 }));
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(read).toHaveBeenCalledTimes(1);
    expect(sync.following).toBe("polled");
    await vi.advanceTimersByTimeAsync(FALLBACK_POLL_MS * 2);
    expect(read).toHaveBeenCalledTimes(3);
    expect(sync.error).toBeNull();
    sync.stop();
    await vi.advanceTimersByTimeAsync(FALLBACK_POLL_MS * 2);
    expect(read).toHaveBeenCalledTimes(3);
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
    const events = pushed();
    vi.spyOn(backend, "syncStatus").mockResolvedValue(syncStatus());
    const sync = useSyncStore();
    sync.start();
    await vi.advanceTimersByTimeAsync(0);
    events.push(syncStatus({ phase: "error", code: "session_expired", message: "登录已过期或已退出，请重新登录" }));
    expect(lost).toHaveBeenCalledTimes(1);
    expect(lost.mock.calls[0]![0].code).toBe("session_expired");
    expect(events.unlisten).toHaveBeenCalledTimes(1);
    setAuthLostHandler(null);
  });
});
