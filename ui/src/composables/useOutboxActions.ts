import { ElMessage, ElMessageBox } from "element-plus";
import { useI18n } from "vue-i18n";
import { backend, BackendError, type OutboxItem } from "@/api/backend";
import { commandLabel } from "@/i18n/labels";
import { useSyncStore } from "@/stores/sync";

/**
 * 撤销 (a queued command not yet sent), 放弃 (a refused one), both after confirmation, and 重新提交;
 * each refreshes the status bar counts.
 */
export function useOutboxActions() {
  const { t } = useI18n();
  const sync = useSyncStore();

  function fail(e: unknown) {
    const err = e instanceof BackendError ? e : new BackendError("internal", String(e));
    if (!err.isAuthLost) ElMessage.error(t("detail.actionFailed", { message: err.message }));
  }

  /** True when the command was discarded. */
  async function discard(item: OutboxItem): Promise<boolean> {
    try {
      await ElMessageBox.confirm(t("detail.discardConfirm", { action: commandLabel(t, item.kind) }), t("detail.discardTitle"), {
        confirmButtonText: t("detail.discard"),
        cancelButtonText: t("common.cancel"),
        type: "warning",
      });
    } catch {
      return false; // cancelled
    }
    try {
      await backend.discardCommand(item.commandId);
      ElMessage.success(t("detail.discarded"));
      void sync.refresh();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  }

  /** True when the queued command was taken back before it was sent. */
  async function cancel(item: OutboxItem): Promise<boolean> {
    try {
      await ElMessageBox.confirm(t("outbox.cancelConfirm", { action: commandLabel(t, item.kind) }), t("outbox.cancelTitle"), {
        confirmButtonText: t("outbox.cancel"),
        cancelButtonText: t("outbox.keep"),
        type: "warning",
      });
    } catch {
      return false; // kept
    }
    try {
      await backend.cancelCommand(item.commandId);
      ElMessage.success(t("outbox.cancelled"));
      void sync.refresh();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  }

  /** True when the command was queued again. */
  async function reissue(item: OutboxItem): Promise<boolean> {
    try {
      await backend.reissueCommand(item.commandId);
      ElMessage.success(sync.online ? t("detail.reissued") : t("command.submittedOffline"));
      void sync.refresh();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  }

  return { cancel, discard, reissue };
}
