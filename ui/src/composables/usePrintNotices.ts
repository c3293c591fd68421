import { ref } from "vue";
import { useI18n } from "vue-i18n";
import { ElMessage } from "element-plus";
import type { PrintedFile } from "@/api/backend";

/**
 * Rectification notices for cases: opens the preview (NoticePreviewDialog, bound to `open` and
 * `caseIds`), from which the user saves or prints; remembers where the last PDF went.
 */
export function usePrintNotices() {
  const { t } = useI18n();
  const open = ref(false);
  const caseIds = ref<number[]>([]);
  const printed = ref<PrintedFile | null>(null);

  function preview(ids: number[]): boolean {
    if (ids.length === 0) {
      ElMessage.warning(t("print.selectFirst"));
      return false;
    }
    caseIds.value = [...ids];
    open.value = true;
    return true;
  }

  function saved(file: PrintedFile) {
    printed.value = file;
  }

  return { preview, open, caseIds, printed, saved };
}
