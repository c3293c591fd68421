import { describe, expect, it } from "vitest";
import type { AccountInput, AdminUnit } from "@/api/adminBackend";
import { accountProblem, isAdminTab, moveTargets, unitOptions, unitTree } from "../admin";

function unit(id: number, parentId: number | null, kind: string, depth: number, active = true): AdminUnit {
  return { id, parentId, kind, name: `单位${id}`, code: `C${id}`, depth, childKinds: [], active };
}

const units = [unit(2, 1, "district", 0), unit(3, 2, "hall", 1), unit(4, 3, "department", 2), unit(5, 2, "hall", 1)];

describe("the organisation tree", () => {
  it("nests units under their parents and keeps the administrator's unit as the root", () => {
    const tree = unitTree(units);
    expect(tree.map((u) => u.id)).toEqual([2]);
    expect(tree[0]?.children?.map((u) => u.id)).toEqual([3, 5]);
    expect(tree[0]?.children?.[0]?.children?.map((u) => u.id)).toEqual([4]);
    expect(tree[0]?.children?.[1]?.children).toBeUndefined();
  });

  it("offers units of the right kinds, indented by depth", () => {
    expect(unitOptions(units, ["hall"])).toEqual([
      { value: 3, label: "\u3000单位3", disabled: false },
      { value: 5, label: "\u3000单位5", disabled: false },
    ]);
    expect(unitOptions(units)).toHaveLength(4);
  });

  it("offers as new parents only active units that may hold the unit, outside its own subtree", () => {
    const kinds = (u: AdminUnit, childKinds: string[]) => ({ ...u, childKinds });
    const tree = [
      kinds(unit(2, 1, "district", 0), ["hall", "department"]),
      kinds(unit(3, 2, "hall", 1), ["department", "window"]),
      kinds(unit(4, 3, "department", 2), ["window"]),
      kinds(unit(5, 2, "hall", 1), ["department", "window"]),
      kinds(unit(6, 4, "window", 3), []),
      kinds(unit(7, 2, "hall", 1, false), ["department", "window"]),
    ];
    // The department 4 (below hall 3): the district and hall 5, not its own hall, not the closed hall 7.
    expect(moveTargets(tree, tree[2]!).map((o) => o.value)).toEqual([2, 5]);
    // Hall 3: nowhere below itself (its department 4), only where a hall fits.
    expect(moveTargets(tree, tree[1]!).map((o) => o.value)).toEqual([]);
  });

  it("lists a deactivated unit as 已停用 and does not let it be chosen", () => {
    const withClosed = [...units, unit(6, 2, "hall", 1, false)];
    expect(unitOptions(withClosed, ["hall"], "（已停用）").at(-1)).toEqual({ value: 6, label: "\u3000单位6（已停用）", disabled: true });
  });
});

describe("account forms", () => {
  const ok: AccountInput = { id: null, username: "dh.new", displayName: "新用户", role: "hall_manager", unitId: 3, active: true, password: "Secret@2026" };

  it("accept a complete new account", () => {
    expect(accountProblem(ok, true)).toBeNull();
  });

  it("name what is wrong", () => {
    expect(accountProblem({ ...ok, username: "Bad Name" }, true)?.key).toBe("admin.accounts.usernameRule");
    expect(accountProblem({ ...ok, displayName: " " }, true)?.key).toBe("admin.accounts.required");
    expect(accountProblem({ ...ok, password: "short" }, true)?.key).toBe("admin.accounts.passwordRule");
    expect(accountProblem({ ...ok, password: null }, true)?.key).toBe("admin.accounts.passwordRule");
  });

  it("let an edit keep the password, but not set a short one", () => {
    expect(accountProblem({ ...ok, id: 9, password: "" }, false)).toBeNull();
    expect(accountProblem({ ...ok, id: 9, password: "abc" }, false)?.key).toBe("admin.accounts.passwordRule");
  });

  it("know their tabs", () => {
    expect(isAdminTab("calendar")).toBe(true);
    expect(isAdminTab("audit")).toBe(false);
  });
});
