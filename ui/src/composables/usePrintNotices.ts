import { ref } from "vue";
import { useI18n } from "vue-i18n";
import { ElMessage } from "element-plus";
import { backend, isBackendError, type PrintedFile } from "@/api/backend";

/** Prints rectification notices for cases and remembers where the last PDF went. */
export function usePrintNotices() {
  const { t } = useI18n();
  const printing = ref(false);
  const printed = ref<PrintedFile | null>(null);
  const error = ref<string | null>(null);

  async function print(caseIds: number[]): Promise<PrintedFile | null> {
    if (caseIds.length === 0) {
      ElMessage.warning(t("print.selectFirst"));
      return null;
    }
    printing.value = true;
    error.value = null;
    try {
      const file = await backend.printNotices(caseIds);
      printed.value = file;
      ElMessage.success({ message: t("print.done", { count: file.count, path: file.path }), duration: 6000 });
      return file;
    } catch (e) {
      const message = isBackendError(e) ? e.message : String(e);
      error.value = t("print.failed", { message });
      return null;
    } finally {
      printing.value = false;
    }
  }

  return { print, printing, printed, error };
}
