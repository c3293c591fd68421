// 监督检查发现's form logic: what the chosen unit offers (its service items and window staff, at or
// below it) and the form's checks before the Rust side checks again.
import type { FindingInput, FindingOptions } from "@/api/backend";

export interface FindingForm {
  unitId: number | null;
  itemId: number | null;
  staffUserId: number | null;
  contentCodes: number[];
  description: string;
}

export function emptyFinding(): FindingForm {
  return { unitId: null, itemId: null, staffUserId: null, contentCodes: [], description: "" };
}

function under(path: string, base: string): boolean {
  const b = base.replace(/\/$/, "");
  return path === base || path === b || path.startsWith(`${b}/`);
}

/** The service items and staff of the chosen unit (none until a unit is chosen). */
export function choicesFor(opts: FindingOptions, unitId: number | null) {
  const unit = opts.units.find((u) => u.id === unitId);
  if (!unit) return { items: [], staff: [] };
  return {
    items: opts.items.filter((i) => under(i.unitPath, unit.path)),
    staff: opts.staff.filter((s) => under(s.unitPath, unit.path)),
  };
}

export const MIN_DESCRIPTION = 5;
export const MAX_DESCRIPTION = 2000;

/** The i18n key of the form's first problem, or null. */
export function findingProblem(f: FindingForm): string | null {
  if (f.unitId === null) return "finding.errors.unit";
  const n = [...f.description.trim()].length;
  if (n < MIN_DESCRIPTION) return "finding.errors.description";
  if (n > MAX_DESCRIPTION) return "finding.errors.tooLong";
  return null;
}

export function toInput(f: FindingForm): FindingInput {
  return {
    unitId: f.unitId ?? 0,
    itemId: f.itemId,
    staffUserId: f.staffUserId,
    contentCodes: [...f.contentCodes],
    description: f.description.trim(),
  };
}
