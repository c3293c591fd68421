import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { backend, BackendError, reportAuthLost, type SyncStatus } from "@/api/backend";

/** Only when the engine's event cannot be listened to: how often the status is read instead. */
export const FALLBACK_POLL_MS = 2000;

/**
 * Mirrors the Rust sync engine's status. The engine pushes every change as the typed
 * `syncStatusChanged` event; the store reads the status once when it starts listening (and on
 * `refresh()`). It polls only if the event cannot be listened to.
 * `dataVersion` increases whenever the replica's data moved in a way lists
 * should show (bootstrap finished, cursor advanced); views watch it and reload.
 */
export const useSyncStore = defineStore("sync", () => {
  const status = ref<SyncStatus | null>(null);
  const error = ref<BackendError | null>(null);
  const syncing = ref(false);
  const dataVersion = ref(0);

  /** How the store follows the engine: its pushed event, or (when unavailable) polling. */
  const following = ref<"pushed" | "polled" | null>(null);

  let running = false;
  let unlisten: (() => void) | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;

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
      // The server no longer accepts the token: stop listening and send the user back to sign in.
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

  async function refresh(): Promise<void> {
    try {
      apply(await backend.syncStatus());
    } catch (e) {
      error.value = e instanceof BackendError ? e : new BackendError("internal", String(e));
      if (error.value.isAuthLost) stop();
    }
  }

  /** Starts following the engine: listens for pushed changes, then reads the current status. */
  function start() {
    if (running) return;
    running = true;
    void backend
      .onSyncStatus((next) => {
        if (running) apply(next);
      })
      .then(
        (stopListening) => {
          if (running) {
            unlisten = stopListening;
            following.value = "pushed";
          } else stopListening();
        },
        (e: unknown) => {
          console.warn("the sync status event is unavailable: reading the status every 2 s", e);
          if (running && !poll) {
            poll = setInterval(() => void refresh(), FALLBACK_POLL_MS);
            following.value = "polled";
          }
        },
      );
    void refresh();
  }

  function stop() {
    running = false;
    unlisten?.();
    unlisten = null;
    if (poll) clearInterval(poll);
    poll = null;
    following.value = null;
  }

  /** "立即同步": runs one sync round; throws BackendError for the caller to show. */
  async function syncNow(): Promise<SyncStatus> {
    syncing.value = true;
    try {
      const s = await backend.syncNow();
      apply(s);
      dataVersion.value++;
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
    following,
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
