/**
 * The adapter of 自我评价 and 第三方评价: the same `call` wrapper as `backend` (typed
 * `BackendError`s, lost sessions reported), kept in its own module so the screen's calls live
 * together.
 */
import {
  commands,
  type EntryIn_Deserialize,
  type SaveFilter,
  type SelfAssessmentItem_Serialize,
  type SelfAssessmentScreen_Serialize,
  type SurveyImportView,
  type SurveyView_Serialize,
} from "./bindings";
import { call } from "./backend";

// The exact shapes each way (tauri-specta also emits a looser union under the plain name).
export type SelfAssessmentItem = SelfAssessmentItem_Serialize;
export type SelfAssessmentScreen = SelfAssessmentScreen_Serialize;
export type SurveyView = SurveyView_Serialize;
export type EntryIn = EntryIn_Deserialize;
export type { SurveyImportView };

export const saBackend = {
  /** The screen for a quarter (`2026-Q4`; the current one when null), from the replica (offline). */
  selfAssessments(period: string | null): Promise<SelfAssessmentScreen> {
    return call(() => commands.selfAssessments(period));
  },
  /** Saves the hall manager's draft on this computer (offline). */
  saveDraft(period: string, entries: EntryIn[]): Promise<SelfAssessmentItem> {
    return call(() => commands.saveSelfAssessmentDraft(period, entries));
  },
  /** Queues the hall's self-assessment for review (offline; sent with the next sync). */
  submit(period: string, entries: EntryIn[]): Promise<SelfAssessmentItem> {
    return call(() => commands.submitSelfAssessment(period, entries));
  },
  /** Queues a review: `approve`, or `return` with the reason (offline). */
  review(id: number, decision: "approve" | "return", comment: string): Promise<SelfAssessmentItem> {
    return call(() => commands.reviewSelfAssessment(id, decision, comment));
  },
  /** Survey results of the jurisdiction (`2026-11`, `2026` or all) with the citizens' figures beside (offline). */
  surveyResults(period: string | null): Promise<SurveyView[]> {
    return call(() => commands.surveyResults(period));
  },
  /** The open dialog (null: the user cancelled). */
  chooseOpenPath(filters: SaveFilter[]): Promise<string | null> {
    return call(() => commands.chooseOpenPath(filters));
  },
  /** Checks (`dryRun`) or imports a survey file through the server (online only). */
  importSurveys(path: string, dryRun: boolean): Promise<SurveyImportView> {
    return call(() => commands.importSurveys(path, dryRun));
  },
};
