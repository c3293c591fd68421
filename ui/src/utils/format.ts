// Display formats our users expect: 2026-11-21 14:05, numbers with thousands separators.

const pad = (n: number) => String(n).padStart(2, "0");

function parse(value: string): Date | null {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** RFC 3339 → local "YYYY-MM-DD HH:mm" (or with ":ss"). Unparseable input is shown as is. */
export function formatDateTime(value: string | null | undefined, withSeconds = false): string {
  if (!value) return "";
  const d = parse(value);
  if (!d) return value;
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${base}:${pad(d.getSeconds())}` : base;
}

/** "YYYY-MM-DD" stays as is; an RFC 3339 value is cut to its local date. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = parse(value);
  if (!d) return value;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "0";
  return numberFormat.format(n);
}

/** Today's date as "YYYY-MM-DD" in local time (the clock is a parameter for tests). */
export function localToday(now: Date = new Date()): string {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** True when focus is in something that takes typing (so global shortcuts stay out of the way). */
export function isEditableTarget(target: EventTarget | null): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
}
