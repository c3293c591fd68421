import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { backend, setAuthLostHandler, type BackendError, type LoginRequest, type Session } from "@/api/backend";

/** Who is logged in. The Rust side owns the real session (keyring); this mirrors it. */
export const useSessionStore = defineStore("session", () => {
  const session = ref<Session | null>(null);
  /** Set once a restore has been tried this run (the router guard tries once). */
  const restoreTried = ref(false);
  /** Bumped when a call reports a lost session; the layout listens and goes to login. */
  const authLost = ref<BackendError | null>(null);
  let restoring: Promise<Session | null> | null = null;

  const user = computed(() => session.value?.user ?? null);
  const loggedIn = computed(() => session.value !== null);

  /** Ask the backend for a saved session (works offline). */
  async function restore(): Promise<Session | null> {
    if (!restoring) {
      restoring = backend
        .sessionRestore()
        .then((s) => {
          session.value = s;
          return s;
        })
        .finally(() => {
          restoreTried.value = true;
          restoring = null;
        });
    }
    return restoring;
  }

  /** Restore once per run; later navigations reuse the answer. */
  async function ensureRestored(): Promise<Session | null> {
    if (session.value || restoreTried.value) return session.value;
    try {
      return await restore();
    } catch {
      return null;
    }
  }

  async function login(req: LoginRequest): Promise<Session> {
    const s = await backend.login(req);
    session.value = s;
    authLost.value = null;
    restoreTried.value = true;
    return s;
  }

  /** Ends the session on the backend; the local state is cleared even if that fails. */
  async function logout(): Promise<void> {
    try {
      await backend.logout();
    } finally {
      session.value = null;
    }
  }

  function clear() {
    session.value = null;
  }

  setAuthLostHandler((err) => {
    session.value = null;
    authLost.value = err;
    // The server refused this session: never bring it back from the keyring on the way to the
    // login screen (that would loop between the login screen and a page that fails again).
    restoreTried.value = true;
  });

  return { session, user, loggedIn, restoreTried, authLost, restore, ensureRestored, login, logout, clear };
});
