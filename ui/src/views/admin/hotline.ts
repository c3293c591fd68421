// View logic of 12345回传 (callbacks to the 12345 hotline): the states' labels and tag colours,
// what the retry button may do, and what a delivery is waiting for.
import type { DeliveryState, HotlineDelivery } from "@/api/adminBackend";

export const DELIVERY_STATES: DeliveryState[] = ["pending", "retrying", "delivered", "failed"];

/** The Element Plus tag type of each state. */
export function stateTag(s: DeliveryState): "info" | "warning" | "success" | "danger" {
  switch (s) {
    case "pending":
      return "info";
    case "retrying":
      return "warning";
    case "delivered":
      return "success";
    case "failed":
      return "danger";
  }
}

/** The i18n key of a state's label (待发送 / 重试中 / 已送达 / 失败). */
export const stateKey = (s: DeliveryState): string => `admin.hotline.state.${s}`;

/** A retry is offered for failed deliveries, and for retrying ones (to try now, not at the next backoff). */
export const canRetry = (d: HotlineDelivery): boolean => d.state === "failed" || d.state === "retrying";

/**
 * What the "last error" column shows: the server's description of the last failed attempt, or
 * for a delivery waiting behind an earlier one of its ticket, that wait.
 */
export function lastProblem(d: HotlineDelivery): { key: string; params: Record<string, string | number> } | null {
  if (d.state === "delivered") return null;
  if (d.lastError) return { key: "admin.hotline.lastError", params: { error: d.lastError } };
  if (d.blockedBy !== null) return { key: "admin.hotline.blockedBy", params: { id: d.blockedBy } };
  return null;
}

/** An attempt's outcome in a few words: the HTTP status, or the error. */
export function attemptOutcome(a: HotlineDelivery["attemptLog"][number]): string {
  if (a.httpStatus !== null) return a.error ? `HTTP ${a.httpStatus}（${a.error}）` : `HTTP ${a.httpStatus}`;
  return a.error ?? "";
}
