// One list of 系统管理: load, loading, the error (offline said plainly), and a confirmed save.
import { ref, type Ref } from "vue";
import { useI18n } from "vue-i18n";
import { ElMessage, ElMessageBox } from "element-plus";
import { BackendError, ErrorCode } from "@/api/backend";

export function useAdminList<T>(fetch: () => Promise<T[]>) {
  const { t } = useI18n();
  const rows = ref([]) as Ref<T[]>;
  const loading = ref(false);
  const error = ref<string | null>(null);
  let seq = 0;

  function describe(e: unknown): string {
    const err = e instanceof BackendError ? e : new BackendError(ErrorCode.Internal, String(e));
    return err.isNetwork ? t("admin.offline") : t("admin.loadFailed", { message: err.message });
  }

  async function load() {
    const mine = ++seq;
    loading.value = true;
    try {
      const list = await fetch();
      if (mine !== seq) return;
      rows.value = list;
      error.value = null;
    } catch (e) {
      if (mine === seq) error.value = describe(e);
    } finally {
      if (mine === seq) loading.value = false;
    }
  }

  /** Asks the user to confirm `message`, then runs `save`; true when it was saved. */
  async function confirmAndSave(message: string, save: () => Promise<unknown>): Promise<boolean> {
    try {
      await ElMessageBox.confirm(message, t("admin.confirmTitle"), {
        confirmButtonText: t("common.confirm"),
        cancelButtonText: t("common.cancel"),
        type: "warning",
      });
    } catch {
      return false; // cancelled
    }
    try {
      await save();
      ElMessage.success(t("admin.saved"));
      void load();
      return true;
    } catch (e) {
      const err = e instanceof BackendError ? e : new BackendError(ErrorCode.Internal, String(e));
      ElMessage.error({ message: err.isNetwork ? t("admin.offline") : err.message, duration: 8000 });
      return false;
    }
  }

  return { rows, loading, error, load, confirmAndSave, describe };
}
