/**
 * The adapter of 附件 (evidence files on cases): the same `call` wrapper as `backend` (typed
 * `BackendError`s, lost sessions reported). The bytes of a file come through a raw command
 * (`case_file_bytes`, outside the typed bindings: an `ArrayBuffer`, for blob URLs).
 */
import { ref } from "vue";
import { invoke } from "@tauri-apps/api/core";
import {
  commands,
  type Attached,
  type CaseFiles,
  type CaseFile,
  type FileCacheInfo,
  type SaveFilter,
  type Issued,
  type ApiError,
} from "./bindings";
import { BackendError, ErrorCode, call, type CaseCommand } from "./backend";

export type { Attached, CaseFiles, CaseFile, FileCacheInfo };

/** The file-type filter of the open dialog (the content is checked anyway). */
export function evidenceFilters(name: string): SaveFilter[] {
  return [{ name, extensions: ["jpg", "jpeg", "png", "gif", "webp", "heic", "pdf", "ofd", "doc", "docx", "xls", "xlsx", "ppt", "pptx"] }];
}

/** Increases whenever files were added, retried or removed: open 附件 sections reload. */
export const filesVersion = ref(0);

export const filesBackend = {
  /** A case's files: replicated metadata and this computer's queue (offline). */
  caseFiles(caseId: number): Promise<CaseFiles> {
    return call(() => commands.caseFiles(caseId));
  },
  /** Reads, checks and queues files for a case (offline); refusals come back per file. */
  async attach(caseId: number, paths: string[]): Promise<Attached> {
    const out = await call(() => commands.attachFiles(caseId, paths));
    filesVersion.value++;
    return out;
  },
  retry(caseId: number, sha256: string): Promise<CaseFiles> {
    return call(() => commands.retryCaseFile(caseId, sha256));
  },
  remove(caseId: number, sha256: string): Promise<CaseFiles> {
    return call(() => commands.removeCaseFile(caseId, sha256));
  },
  /** Queues a command citing files of its case (offline). */
  issueWithFiles(caseId: number, command: CaseCommand, attachments: string[]): Promise<Issued> {
    return call(() => commands.issueCommandWithFiles(caseId, command, attachments));
  },
  /** The open dialog (null: cancelled). */
  chooseFile(filterName: string): Promise<string | null> {
    return call(() => commands.chooseOpenPath(evidenceFilters(filterName)));
  },
  chooseSavePath(name: string): Promise<string | null> {
    return call(() => commands.chooseSavePath(name, []));
  },
  async saveAs(caseId: number, sha256: string, path: string): Promise<void> {
    await call(() => commands.saveCaseFile(caseId, sha256, path));
  },
  /** The download cache's cap and use (设置). */
  fileCache(): Promise<FileCacheInfo> {
    return call(() => commands.fileCache());
  },
  /** Saves the cache's cap in MB (null: the default) and trims the cache to it. */
  saveFileCacheCap(capMb: number | null): Promise<FileCacheInfo> {
    return call(() => commands.saveFileCacheCap(capMb));
  },
  /** The bytes of a file (from this computer, else downloaded and cached). */
  async bytes(caseId: number, sha256: string): Promise<ArrayBuffer> {
    try {
      return await invoke<ArrayBuffer>("case_file_bytes", { caseId, sha256 });
    } catch (e) {
      if (e && typeof e === "object" && "code" in e) {
        const err = e as ApiError;
        throw new BackendError(err.code, err.message ?? err.code);
      }
      throw new BackendError(ErrorCode.Internal, String(e));
    }
  },
};

/** `1.2 MB`, `340 KB`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

/** Whether the webview can show the file as an image. */
export function isImage(mime: string): boolean {
  return ["image/jpeg", "image/png", "image/gif", "image/webp"].includes(mime);
}

/** Whether the preview draws the file's pages (pdf.js, loaded on first use). */
export function isPdf(mime: string): boolean {
  return mime === "application/pdf";
}
