import type { ExportFormat } from "@/api/bindings";

/** Characters no file system accepts in a name. */
const UNSAFE = /[\\/:*?"<>|\u0000-\u001f]/g;

/** `差评工单-20261206.csv`: the base name made safe, today's date (local) and the extension. */
export function exportFileName(base: string, format: ExportFormat, today: Date = new Date()): string {
  const safe = base.replace(UNSAFE, "_").trim() || "export";
  const d = `${today.getFullYear()}${String(today.getMonth() + 1).padStart(2, "0")}${String(today.getDate()).padStart(2, "0")}`;
  return `${safe}-${d}.${format}`;
}
