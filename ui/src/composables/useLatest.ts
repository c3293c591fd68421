// A value read from the backend where only the latest request counts: a slower earlier answer
// (the user changed the period meanwhile) never overwrites a newer one. `silent` reloads (after a
// sync) keep what is shown when they fail.
import { ref, type Ref } from "vue";
import { BackendError } from "@/api/backend";

export function useLatest<T>(read: () => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  let seq = 0;

  async function load(opts: { silent?: boolean } = {}) {
    const mine = ++seq;
    if (!opts.silent) loading.value = true;
    try {
      const d = await read();
      if (mine !== seq) return;
      data.value = d;
      error.value = null;
    } catch (e) {
      if (mine !== seq) return;
      error.value = e instanceof BackendError ? e.message : String(e);
      if (!opts.silent) data.value = null;
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  return { data, loading, error, load };
}
