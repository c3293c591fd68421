// Label helpers: one place maps backend enum values to translated text.
import type { CaseSource, CaseState, Level, Role } from "@/api/backend";

type T = (key: string, named?: Record<string, unknown>) => string;

export const CASE_STATES: CaseState[] = [
  "new",
  "exclusion_requested",
  "verified",
  "assigned",
  "in_rectification",
  "extension_requested",
  "rectified",
  "closed",
  "excluded",
];

/** Worst first: the order users scan for. */
export const LEVELS: Level[] = ["very_dissatisfied", "dissatisfied", "basically_satisfied", "satisfied", "very_satisfied"];

export const CASE_SOURCES: CaseSource[] = ["bad_review", "hotline_12345", "supervision"];

export const ROLES: Role[] = [
  "hall_manager",
  "supervisor",
  "discipline_liaison",
  "department_handler",
  "staff_member",
  "administrator",
];

export const CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

export const stateLabel = (t: T, s: CaseState) => t(`state.${s}`);
export const levelLabel = (t: T, l: Level) => t(`level.${l}`);
export const sourceLabel = (t: T, s: CaseSource) => t(`source.${s}`);
export const roleLabel = (t: T, r: Role) => t(`role.${r}`);
export function channelLabel(t: T, code: number): string {
  return code >= 1 && code <= 8 ? t(`channel.c${code}`) : t("channel.unknown", { code });
}

export type TagType = "primary" | "success" | "info" | "warning" | "danger";

/** Fixed level colours: 非常不满意 red … 满意/非常满意 green. */
export function levelTagType(level: Level): TagType {
  switch (level) {
    case "very_dissatisfied":
      return "danger";
    case "dissatisfied":
      return "warning";
    case "basically_satisfied":
      return "info";
    case "satisfied":
    case "very_satisfied":
      return "success";
  }
}

/** Fixed state colours: red = needs a first look, orange = waiting on a decision, blue = being worked, green = done, grey = out of scope. */
export function stateTagType(state: CaseState): TagType {
  switch (state) {
    case "new":
      return "danger";
    case "exclusion_requested":
    case "verified":
    case "extension_requested":
      return "warning";
    case "assigned":
    case "in_rectification":
    case "rectified":
      return "primary";
    case "closed":
      return "success";
    case "excluded":
      return "info";
  }
}
