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

  /** Runs `call` and says `done`; true when it succeeded. */
  async function run(call: () => Promise<unknown>, done: string): Promise<boolean> {
    try {
      await call();
      ElMessage.success(done);
      void sync.refresh();
      return true;
    } catch (e) {
      fail(e);
      return false;
    }
  }

  /** Asks first; true when the user confirmed. */
  async function confirmed(message: string, title: string, confirmButtonText: string, cancelButtonText: string): Promise<boolean> {
    try {
      await ElMessageBox.confirm(message, title, { confirmButtonText, cancelButtonText, type: "warning" });
      return true;
    } catch {
      return false; // cancelled
    }
  }

  /** True when the refused command was discarded. */
  async function discard(item: OutboxItem): Promise<boolean> {
    const action = commandLabel(t, item.kind);
    if (!(await confirmed(t("detail.discardConfirm", { action }), t("detail.discardTitle"), t("detail.discard"), t("common.cancel")))) {
      return false;
    }
    return run(() => backend.discardCommand(item.commandId), t("detail.discarded"));
  }

  /** True when the queued command was taken back before it was sent. */
  async function cancel(item: OutboxItem): Promise<boolean> {
    const action = commandLabel(t, item.kind);
    if (!(await confirmed(t("outbox.cancelConfirm", { action }), t("outbox.cancelTitle"), t("outbox.cancel"), t("outbox.keep")))) {
      return false;
    }
    return run(() => backend.cancelCommand(item.commandId), t("outbox.cancelled"));
  }

  /** True when the command was queued again. */
  function reissue(item: OutboxItem): Promise<boolean> {
    return run(() => backend.reissueCommand(item.commandId), sync.online ? t("detail.reissued") : t("command.submittedOffline"));
  }

  return { cancel, discard, reissue };
}
