// View logic of 系统管理: the organisation tree, account checks, and what the UI needs to pick units.
import type { AccountInput, AdminUnit } from "@/api/adminBackend";

export type AdminTab = "units" | "staff" | "accounts" | "items" | "calendar" | "policy" | "hotline";
export const ADMIN_TABS: AdminTab[] = ["units", "staff", "accounts", "items", "calendar", "policy", "hotline"];
export const isAdminTab = (v: unknown): v is AdminTab => typeof v === "string" && (ADMIN_TABS as string[]).includes(v);

/** A unit with the units directly below it, for el-table's tree rows. */
export interface UnitNode extends AdminUnit {
  children?: UnitNode[];
}

/** The flat list (in path order) as a tree; units whose parent is not in the list are roots. */
export function unitTree(units: AdminUnit[]): UnitNode[] {
  const byId = new Map<number, UnitNode>();
  for (const u of units) byId.set(u.id, { ...u });
  const roots: UnitNode[] = [];
  for (const u of units) {
    const node = byId.get(u.id)!;
    const parent = u.parentId === null ? undefined : byId.get(u.parentId);
    if (parent) (parent.children ??= []).push(node);
    else roots.push(node);
  }
  return roots;
}

/**
 * Units an account, a staff member or an item can belong to, indented by depth for a select. A
 * deactivated unit is listed (an existing row may still name it) but cannot be chosen, its label
 * followed by `inactiveSuffix` (e.g. "（已停用）").
 */
export function unitOptions(
  units: AdminUnit[],
  kinds?: readonly string[],
  inactiveSuffix = "",
): { value: number; label: string; disabled: boolean }[] {
  return units
    .filter((u) => !kinds || kinds.includes(u.kind))
    .map((u) => ({
      value: u.id,
      label: `${"\u3000".repeat(u.depth)}${u.name}${u.active ? "" : inactiveSuffix}`,
      disabled: !u.active,
    }));
}

/**
 * Where `unit` may be moved (移动): active units whose kind may hold it, other than its parent,
 * the unit itself and everything below it; indented by depth for a select.
 */
export function moveTargets(units: AdminUnit[], unit: AdminUnit): { value: number; label: string }[] {
  const below = new Set<number>([unit.id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of units) {
      if (u.parentId !== null && below.has(u.parentId) && !below.has(u.id)) {
        below.add(u.id);
        grew = true;
      }
    }
  }
  return units
    .filter((u) => u.active && !below.has(u.id) && u.id !== unit.parentId && u.childKinds.includes(unit.kind))
    .map((u) => ({ value: u.id, label: `${"\u3000".repeat(u.depth)}${u.name}` }));
}

export const USERNAME_RE = /^[a-z0-9._-]{3,64}$/;

/** What is wrong with an account form (an i18n key; `field`: the i18n key of the missing field), or null. */
export function accountProblem(a: AccountInput, isNew: boolean): { key: string; field?: string } | null {
  if (isNew && !USERNAME_RE.test(a.username.trim())) return { key: "admin.accounts.usernameRule" };
  if (!a.displayName.trim()) return { key: "admin.accounts.required", field: "admin.accounts.displayName" };
  if (!a.unitId) return { key: "admin.accounts.required", field: "admin.accounts.unit" };
  const p = a.password ?? "";
  if (isNew && p.length < 8) return { key: "admin.accounts.passwordRule" };
  if (!isNew && p.length > 0 && p.length < 8) return { key: "admin.accounts.passwordRule" };
  return null;
}

/** The kinds a staff member works in and items are handled by. */
export const STAFF_UNIT_KINDS = ["hall"] as const;
export const ITEM_UNIT_KINDS = ["hall", "department"] as const;
