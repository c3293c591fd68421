// Label helpers: one place maps backend enum values to translated text.
import type {
  AppealDecision,
  AppealState,
  CaseSource,
  CaseState,
  CommandKind,
  EscalationLevel,
  FlagStatus,
  FlagVerdict,
  Level,
  Role,
  Stage,
  VerifyOutcome,
  VisitMethod,
} from "@/api/backend";

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

export const CASE_SOURCES: CaseSource[] = ["bad_review", "hotline_12345", "supervision", "assessment"];

export const ROLES: Role[] = [
  "hall_manager",
  "supervisor",
  "discipline_liaison",
  "department_handler",
  "staff_member",
  "administrator",
];

export const CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/** Commands a user issues on an existing case (everything but `create`), in lifecycle order. */
export const CASE_COMMANDS: Exclude<CommandKind, "create">[] = [
  "verify",
  "approve_exclusion",
  "reject_exclusion",
  "resolve_on_spot",
  "assign",
  "accept",
  "request_extension",
  "approve_extension",
  "reject_extension",
  "report_rectification",
  "return_visit",
  "close",
  "reopen",
  "escalate",
  "urge",
  "warn",
  "appeal",
  "decide_appeal",
  "record_accountability",
  "record_interview",
];

export const EVENT_KINDS = [
  "created",
  "verified",
  "exclusion_approved",
  "exclusion_rejected",
  "resolved_on_spot",
  "assigned",
  "accepted",
  "extension_requested",
  "extension_approved",
  "extension_rejected",
  "rectification_reported",
  "return_visited",
  "closed",
  "reopened",
  "escalated",
  "urged",
  "warned",
  "appealed",
  "appeal_decided",
  "accountability_recorded",
  "interview_recorded",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const ESCALATION_LEVELS: EscalationLevel[] = ["first_line", "coordination_office", "government_inspection", "accountability"];
export const APPEAL_STATES: AppealState[] = ["none", "pending", "upheld", "overturned"];
export const VERIFY_OUTCOMES: VerifyOutcome[] = ["genuine", "malicious", "mistaken"];
export const VISIT_METHODS: VisitMethod[] = ["phone", "sms", "wechat", "in_person"];
export const APPEAL_DECISIONS: AppealDecision[] = ["upheld", "overturned"];
export const ACCOUNTABILITY_KINDS = ["deducted_points", "loss_of_annual_award", "admonition", "referral_to_discipline_inspection"] as const;
export type AccountabilityType = (typeof ACCOUNTABILITY_KINDS)[number];

/** The verdicts on an integrity flag (异常评价线索), in the order the dialog offers them. */
export const FLAG_VERDICTS: FlagVerdict[] = ["confirmed_fake", "confirmed_malicious", "dismissed"];
export const FLAG_STATUSES: FlagStatus[] = ["open", ...FLAG_VERDICTS];
/** Highest first. */
export const FLAG_SEVERITIES = ["high", "medium", "low"] as const;
export type FlagSeverity = (typeof FLAG_SEVERITIES)[number];
/** The kinds of integrity flag the server's detection raises. */
export const FLAG_KINDS = [
  "burst_same_device",
  "burst_same_phone",
  "burst_same_certificate",
  "self_rating",
  "many_ratings_one_record",
  "near_duplicate_text",
  "evaluator_cluster_on_staff",
] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];
/** The outbox kind of a verdict on an integrity flag (not a case command). */
export const DECIDE_FLAG = "decide_flag";
/** The outbox kind of a supervisor's confirmation of an award (服务明星 / 办事能手). */
export const CONFIRM_AWARD = "confirm_award";

const has = <V extends string>(list: readonly V[], v: string): v is V => (list as readonly string[]).includes(v);
export const isCaseState = (v: unknown): v is CaseState => typeof v === "string" && has(CASE_STATES, v);
export const isEventKind = (v: string): v is EventKind => has(EVENT_KINDS, v);
export const isCaseCommand = (v: string): v is Exclude<CommandKind, "create"> => has(CASE_COMMANDS, v);
export const isLevel = (v: unknown): v is Level => typeof v === "string" && has(LEVELS, v);
export const isFlagVerdict = (v: unknown): v is FlagVerdict => typeof v === "string" && has(FLAG_VERDICTS, v);
export const isFlagStatus = (v: unknown): v is FlagStatus => typeof v === "string" && has(FLAG_STATUSES, v);
export const isFlagKind = (v: unknown): v is FlagKind => typeof v === "string" && has(FLAG_KINDS, v);
export const isFlagSeverity = (v: unknown): v is FlagSeverity => typeof v === "string" && has(FLAG_SEVERITIES, v);

export const stateLabel = (t: T, s: CaseState) => t(`state.${s}`);
export const levelLabel = (t: T, l: Level) => t(`level.${l}`);
export const sourceLabel = (t: T, s: CaseSource) => t(`source.${s}`);
export const roleLabel = (t: T, r: Role) => t(`role.${r}`);
/** 核实, 交办, 核实异常评价线索…; an unknown kind (newer backend) is shown as is. */
export const commandLabel = (t: T, k: string) =>
  isCaseCommand(k) || k === "create" || k === DECIDE_FLAG || k === CONFIRM_AWARD ? t(`command.kind.${k}`) : k;
/** 创建工单, 核实…; an unknown kind is shown as is. */
export const eventLabel = (t: T, k: string) => (isEventKind(k) ? t(`event.kind.${k}`) : k);
export const escalationLabel = (t: T, e: EscalationLevel) => t(`escalation.${e}`);
/** The name of a stage's deadline: 核实处置期限, 签收期限, 整改期限, 回访期限. */
export const stageLabel = (t: T, s: Stage) => t(`stage.${s}`);
export const appealStateLabel = (t: T, a: AppealState) => t(`appeal.${a}`);
export const outcomeLabel = (t: T, o: VerifyOutcome) => t(`outcome.${o}`);
export const visitMethodLabel = (t: T, m: VisitMethod) => t(`visitMethod.${m}`);
export const appealDecisionLabel = (t: T, d: AppealDecision) => t(`appealDecision.${d}`);
export const accountabilityLabel = (t: T, k: AccountabilityType) => t(`accountabilityKind.${k}`);
/** 核实为虚假评价, 核实为恶意差评, 核实为正常评价. */
export const flagVerdictLabel = (t: T, v: FlagVerdict) => t(`integrity.verdict.${v}`);
/** 待核实 or the verdict; an unknown status (newer backend) is shown as is. */
export const flagStatusLabel = (t: T, s: string) => (isFlagStatus(s) ? t(`integrity.status.${s}`) : s);
/** 同一设备集中评价…; an unknown kind (newer backend) falls back to the server's label. */
export const flagKindLabel = (t: T, kind: string, fallback: string) => (isFlagKind(kind) ? t(`integrity.kind.${kind}`) : fallback);
/** 高 / 中 / 低; an unknown severity is shown as is. */
export const severityLabel = (t: T, s: string) => (isFlagSeverity(s) ? t(`integrity.severity.${s}`) : s);
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

/** Severity colours: 高 red, 中 orange, 低 grey. */
export function severityTagType(severity: string): TagType {
  switch (severity) {
    case "high":
      return "danger";
    case "medium":
      return "warning";
    default:
      return "info";
  }
}

/** Flag status colours: 待核实 red (needs a look), confirmed ones grey (out of the statistics), 正常 green. */
export function flagStatusTagType(status: string): TagType {
  switch (status) {
    case "open":
      return "danger";
    case "dismissed":
      return "success";
    default:
      return "info";
  }
}
