import type { CaseState, Role } from "@/api/backend";

/** A workbench card: a count of the inbox filtered by one state, or a count we cannot make yet. */
export type CardKey = CaseState | "escalated";

/** The cards each role starts its day with. */
export const ROLE_CARDS: Record<Role, CardKey[]> = {
  hall_manager: ["new", "verified", "assigned"],
  supervisor: ["in_rectification", "extension_requested", "exclusion_requested"],
  // The inbox cannot filter by escalation rung yet: the card says so instead of guessing.
  discipline_liaison: ["escalated", "in_rectification", "rectified"],
  department_handler: ["assigned", "in_rectification"],
  staff_member: ["in_rectification", "rectified", "closed"],
  administrator: ["new", "in_rectification", "closed"],
};

export const isStateCard = (k: CardKey): k is CaseState => k !== "escalated";
