import type { Board, BoardCase, BoardStatus, EscalationLevel } from "@/api/backend";

/** The board's filters: everything, or one kind of case (the workbench's cards open them). */
export const FILTERS = ["all", "overdue", "at_risk", "escalated"] as const;
export type BoardFilter = (typeof FILTERS)[number];

/** One row of a rung's table: a case, with its unit's cell spanning the unit's rows. */
export interface BoardRow {
  key: string;
  case: BoardCase;
  unitName: string;
  /** Cases of the unit shown at this rung. */
  unitCount: number;
  /** Rows the unit's cell spans: its count on the unit's first row, 0 on the others. */
  span: number;
}

export interface LevelRows {
  level: EscalationLevel;
  rows: BoardRow[];
  unitCount: number;
}

function keep(c: BoardCase, filter: BoardFilter): boolean {
  if (filter === "all") return true;
  if (filter === "escalated") return c.item.escalation !== "first_line";
  const s: BoardStatus = c.status;
  // A paused case (extension pending) is shown with the overdue ones: its deadline has passed or is due.
  return filter === "overdue" ? s === "overdue" || s === "paused" : s === filter;
}

/** The board's rungs as table rows under `filter`; rungs and units left empty are dropped. */
export function boardRows(board: Board, filter: BoardFilter): LevelRows[] {
  const out: LevelRows[] = [];
  for (const level of board.levels) {
    const rows: BoardRow[] = [];
    let unitCount = 0;
    for (const unit of level.units) {
      const cases = unit.cases.filter((c) => keep(c, filter));
      if (!cases.length) continue;
      unitCount += 1;
      cases.forEach((c, i) =>
        rows.push({
          key: `${unit.unitId}-${c.item.id}`,
          case: c,
          unitName: unit.unitName,
          unitCount: cases.length,
          span: i === 0 ? cases.length : 0,
        }),
      );
    }
    if (rows.length) out.push({ level: level.level, rows, unitCount });
  }
  return out;
}
