import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { backend, BackendError, reportAuthLost, type SyncStatus } from "@/api/backend";

export const POLL_MS = 2000;
export const POLL_BOOTSTRAP_MS = 500;

/**
 * Mirrors the Rust sync engine's status by polling `syncStatus()`:
 * every 2 s, every 500 ms while the first sync (bootstrap) runs.
 * `dataVersion` increases whenever the replica's data moved in a way lists
 * should show (bootstrap finished, cursor advanced); views watch it and reload.
 */
export const useSyncStore = defineStore("sync", () => {
  const status = ref<SyncStatus | null>(null);
  const error = ref<BackendError | null>(null);
  const syncing = ref(false);
  const dataVersion = ref(0);

  let timer: ReturnType<typeof setTimeout> | null = null;
  let running = false;

  const phase = computed(() => status.value?.phase ?? "idle");
  const online = computed(() => status.value?.online ?? false);
  const bootstrapped = computed(() => status.value?.bootstrapped ?? false);
  const bootstrapping = computed(() => phase.value === "bootstrapping");
  const pending = computed(() => status.value?.pending ?? 0);
  const rejected = computed(() => status.value?.rejected ?? 0);

  function apply(next: SyncStatus) {
    const prev = status.value;
    status.value = next;
    error.value = null;
    if (next.code === "session_expired") {
      // The server no longer accepts the token: stop polling and send the user back to sign in.
      stop();
      reportAuthLost(new BackendError("session_expired", next.message ?? "登录已过期，请重新登录"));
      return;
    }
    if (!prev) return;
    const bootstrapFinished =
      (!prev.bootstrapped && next.bootstrapped) ||
      (prev.phase === "bootstrapping" && next.phase !== "bootstrapping");
    const moved = next.phase !== "bootstrapping" && next.cursor !== prev.cursor;
    if (bootstrapFinished || moved) dataVersion.value++;
  }

  function schedule() {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, bootstrapping.value ? POLL_BOOTSTRAP_MS : POLL_MS);
  }

  async function tick() {
    timer = null;
    await refresh();
    schedule();
  }

  async function refresh(): Promise<void> {
    try {
      apply(await backend.syncStatus());
    } catch (e) {
      error.value = e instanceof BackendError ? e : new BackendError("internal", String(e));
      if (error.value.isAuthLost) stop();
    }
  }

  function start() {
    if (running) return;
    running = true;
    void tick();
  }

  function stop() {
    running = false;
    if (timer) clearTimeout(timer);
    timer = null;
  }

  /** "立即同步": runs one sync round; throws BackendError for the caller to show. */
  async function syncNow(): Promise<SyncStatus> {
    syncing.value = true;
    try {
      const s = await backend.syncNow();
      apply(s);
      dataVersion.value++;
      schedule();
      return s;
    } finally {
      syncing.value = false;
    }
  }

  function reset() {
    stop();
    status.value = null;
    error.value = null;
    syncing.value = false;
  }

  return {
    status,
    error,
    syncing,
    dataVersion,
    phase,
    online,
    bootstrapped,
    bootstrapping,
    pending,
    rejected,
    start,
    stop,
    refresh,
    syncNow,
    reset,
  };
});
