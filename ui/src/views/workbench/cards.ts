import type { CaseState, DueWindow, Role } from "@/api/backend";
import { CASE_STATES } from "@/i18n/labels";

/**
 * A workbench card: the count of the inbox under one filter, and the same filter when clicked, so
 * the card and the list it opens always agree. A state, a deadline window (已超期 / 即将到期:
 * only cases whose deadline runs, at-risk in working days of the jurisdiction's calendar) or the
 * cases at the accountability rung still waiting for a decision.
 */
export type CardKey = CaseState | "overdue" | "at_risk" | "accountability_pending";

/** The cards each role starts its day with. */
export const ROLE_CARDS: Record<Role, CardKey[]> = {
  hall_manager: ["new", "verified", "assigned"],
  supervisor: ["overdue", "at_risk", "in_rectification", "extension_requested", "exclusion_requested"],
  discipline_liaison: ["accountability_pending", "in_rectification", "rectified"],
  department_handler: ["assigned", "in_rectification"],
  staff_member: ["in_rectification", "rectified", "closed"],
  administrator: ["new", "in_rectification", "closed"],
};

/** The inbox filter a card counts and opens: `/cases?…` takes the same keys. */
export interface CardFilter {
  state?: CaseState;
  due?: DueWindow;
  escalation?: "accountability_pending";
}

export function cardFilter(key: CardKey): CardFilter {
  if (key === "overdue" || key === "at_risk") return { due: key };
  if (key === "accountability_pending") return { escalation: key };
  return CASE_STATES.includes(key) ? { state: key } : {};
}
