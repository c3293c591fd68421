import { defineStore } from "pinia";
import { computed, reactive, ref } from "vue";
import {
  backend,
  BackendError,
  type CaseListItem,
  type CaseQuery,
  type CaseSort,
  type CaseSource,
  type CaseState,
  type DueWindow,
  type EscalationLevel,
  type Level,
} from "@/api/backend";

export const PAGE_SIZES = [20, 50, 100] as const;

/** The escalation filter: one rung, or the top rung's cases still waiting for a decision. */
export type EscalationFilter = EscalationLevel | "accountability_pending";

export interface CaseFilters {
  state: CaseState | null;
  level: Level | null;
  source: CaseSource | null;
  unitId: number | null;
  handlerUserId: number | null;
  channel: number | null;
  due: DueWindow | null;
  escalation: EscalationFilter | null;
  sort: CaseSort;
  search: string;
}

export const emptyFilters = (): CaseFilters => ({
  state: null,
  level: null,
  source: null,
  unitId: null,
  handlerUserId: null,
  channel: null,
  due: null,
  escalation: null,
  sort: "newest",
  search: "",
});

/** The backend query for `f` (the inbox's page and the workbench's counts use the same). */
export function toQuery(f: CaseFilters, offset: number, limit: number): CaseQuery {
  const search = f.search.trim();
  const pending = f.escalation === "accountability_pending";
  return {
    state: f.state,
    level: f.level,
    source: f.source,
    unitId: f.unitId,
    handlerUserId: f.handlerUserId,
    channel: f.channel,
    due: f.due,
    escalation: f.escalation === "accountability_pending" ? null : f.escalation,
    accountabilityPending: pending,
    sort: f.sort,
    search: search === "" ? null : search,
    offset,
    limit,
  };
}

/** The case inbox: filters (kept while the user moves between pages), paging, the loaded page. */
export const useCasesStore = defineStore("cases", () => {
  /** What the form shows (edited freely). */
  const form = reactive<CaseFilters>(emptyFilters());
  /** What the current result was queried with (applied by 查询). */
  const applied = ref<CaseFilters>(emptyFilters());
  const page = ref(1);
  const pageSize = ref<number>(PAGE_SIZES[0]);
  const items = ref<CaseListItem[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<BackendError | null>(null);
  let seq = 0;

  const hasFilters = computed(() => {
    const f = applied.value;
    return (
      f.state !== null ||
      f.level !== null ||
      f.source !== null ||
      f.unitId !== null ||
      f.handlerUserId !== null ||
      f.channel !== null ||
      f.due !== null ||
      f.escalation !== null ||
      f.search.trim() !== ""
    );
  });
  const pageCount = computed(() => Math.max(1, Math.ceil(total.value / pageSize.value)));

  function buildQuery(): CaseQuery {
    return toQuery(applied.value, (page.value - 1) * pageSize.value, pageSize.value);
  }

  /** Loads the current page. `silent` keeps the table on screen (background refresh). */
  async function load(opts: { silent?: boolean } = {}): Promise<void> {
    const mine = ++seq;
    if (!opts.silent) loading.value = true;
    try {
      const result = await backend.listCases(buildQuery());
      if (mine !== seq) return; // a newer query has been sent meanwhile
      items.value = result.items;
      total.value = result.total;
      error.value = null;
      loaded.value = true;
      // The list shrank under us (e.g. cases closed elsewhere): go to the last page that exists.
      if (result.items.length === 0 && result.total > 0 && page.value > pageCount.value) {
        page.value = pageCount.value;
        await load(opts);
      }
    } catch (e) {
      if (mine !== seq) return;
      error.value = e instanceof BackendError ? e : new BackendError("internal", String(e));
      if (!opts.silent) {
        items.value = [];
        total.value = 0;
      }
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  /** 查询: apply the form and go to page 1. */
  function query(): Promise<void> {
    applied.value = { ...form, search: form.search.trim() };
    page.value = 1;
    return load();
  }

  /** 重置: clear the form and query again. */
  function reset(): Promise<void> {
    Object.assign(form, emptyFilters());
    return query();
  }

  /** Shows only the cases in `state`. */
  function filterByState(state: CaseState): Promise<void> {
    return filterBy({ state });
  }

  /** Shows only the cases matching `preset`, other filters cleared (the workbench cards and
   * `/cases?state=…&due=…&escalation=…` link here). */
  function filterBy(preset: Partial<CaseFilters>): Promise<void> {
    Object.assign(form, emptyFilters(), preset);
    return query();
  }

  function setPage(p: number): Promise<void> {
    const clamped = Math.min(Math.max(1, p), pageCount.value);
    if (clamped === page.value && loaded.value) return Promise.resolve();
    page.value = clamped;
    return load();
  }

  function setPageSize(size: number): Promise<void> {
    pageSize.value = size;
    page.value = 1;
    return load();
  }

  function clear() {
    Object.assign(form, emptyFilters());
    applied.value = emptyFilters();
    page.value = 1;
    items.value = [];
    total.value = 0;
    loaded.value = false;
    error.value = null;
  }

  return {
    form,
    applied,
    page,
    pageSize,
    items,
    total,
    loading,
    loaded,
    error,
    hasFilters,
    pageCount,
    buildQuery,
    load,
    query,
    reset,
    filterByState,
    filterBy,
    setPage,
    setPageSize,
    clear,
  };
});
