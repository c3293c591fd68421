// The 通知书 centre's view logic: filters to the query the Rust side takes, the key of a
// registered notice, and the kinds' labels.
import type { NoticeEntry, NoticeKey, NoticeQuery } from "@/api/backend";

export const KIND_FILTERS = ["rectification", "reminder", "supervision"] as const;
export type KindFilter = (typeof KIND_FILTERS)[number];

export interface NoticeForm {
  kind: KindFilter | "";
  period: [string, string] | null;
  text: string;
}

export function emptyNoticeForm(): NoticeForm {
  return { kind: "", period: null, text: "" };
}

export function toNoticeQuery(f: NoticeForm): NoticeQuery {
  const text = f.text.trim();
  return { kind: f.kind || null, from: f.period?.[0] ?? null, to: f.period?.[1] ?? null, text: text || null };
}

export function keyOf(n: Pick<NoticeEntry, "caseId" | "kind">): NoticeKey {
  return { caseId: n.caseId, kind: n.kind };
}

/** A stable row key for the table and the selection. */
export function rowKey(n: Pick<NoticeEntry, "caseId" | "kind">): string {
  return `${n.caseId}|${n.kind}`;
}

/** The tag type of a notice's family. */
export function familyType(family: string): "primary" | "warning" | "danger" {
  return family === "reminder" ? "warning" : family === "supervision" ? "danger" : "primary";
}

/** The PDF filter of the save dialog. */
export const PDF_FILTER = { name: "PDF", extensions: ["pdf"] };
