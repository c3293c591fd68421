// Display formats our users expect: 2026-11-21 14:05, numbers with thousands separators.
//
// Every time is shown in Beijing time (UTC+8), the time of every official record and deadline in
// this domain, whatever the zone of the computer (a laptop set to UTC must not show 01:05 for a
// rating made at 09:05). China has no daylight saving time, so a fixed offset is exact.

const pad = (n: number) => String(n).padStart(2, "0");

/** Beijing time's offset from UTC in milliseconds. */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

function parse(value: string): Date | null {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The Beijing wall-clock fields of an instant (read with the getUTC… methods). */
function beijing(d: Date): Date {
  return new Date(d.getTime() + BEIJING_OFFSET_MS);
}

function ymd(b: Date): string {
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())}`;
}

/** RFC 3339 → Beijing "YYYY-MM-DD HH:mm" (or with ":ss"). Unparseable input is shown as is. */
export function formatDateTime(value: string | null | undefined, withSeconds = false): string {
  if (!value) return "";
  const d = parse(value);
  if (!d) return value;
  const b = beijing(d);
  const base = `${ymd(b)} ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}`;
  return withSeconds ? `${base}:${pad(b.getUTCSeconds())}` : base;
}

/** "YYYY-MM-DD" stays as is; an RFC 3339 value is cut to its Beijing date. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = parse(value);
  if (!d) return value;
  return ymd(beijing(d));
}

/** This month in Beijing as "YYYY-MM". */
export function beijingMonth(now: Date = new Date()): string {
  return ymd(beijing(now)).slice(0, 7);
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "0";
  return numberFormat.format(n);
}

/** Today's date in Beijing as "YYYY-MM-DD" (the clock is a parameter for tests). */
export function localToday(now: Date = new Date()): string {
  return ymd(beijing(now));
}

/** True when focus is in something that takes typing (so global shortcuts stay out of the way). */
export function isEditableTarget(target: EventTarget | null): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
}
