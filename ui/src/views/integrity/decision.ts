// The verdict form of an integrity flag (异常评价线索): what it holds and when it may be sent.
import type { FlagVerdict } from "@/api/backend";

/** The notes (核实情况) the backend accepts, counted in characters after trimming. */
export const NOTE_MIN = 2;
export const NOTE_MAX = 500;

export interface DecisionForm {
  verdict: FlagVerdict | null;
  note: string;
}

export const emptyDecision = (): DecisionForm => ({ verdict: null, note: "" });

export interface DecisionErrors {
  verdict?: string;
  note?: string;
}

/** The i18n keys of what is missing; empty when the form may be sent. */
export function validateDecision(form: DecisionForm): DecisionErrors {
  const errors: DecisionErrors = {};
  if (!form.verdict) errors.verdict = "integrity.verdictRequired";
  const n = [...form.note.trim()].length;
  if (n < NOTE_MIN || n > NOTE_MAX) errors.note = "integrity.noteRequired";
  return errors;
}
