//! 12345回传 (callbacks to the 12345 hotline), for administrators: the server reports each 12345
//! case's progress and result to the hotline from an outbox; this lists those deliveries with
//! their state, attempts and last error, and retries a failed one.
//!
//! Online only (the outbox lives on the server): offline, every call answers `network` with a
//! message saying so.

use hcp_sync::Method;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::exports::beijing;
use crate::{online_only, App, ErrorCode};

const WHAT: &str = "12345回传";

/// Deliveries per page.
pub const PAGE: i64 = 50;

/// How a delivery stands: `pending` (待发送), `retrying` (重试中), `delivered` (已送达) or
/// `failed` (失败).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Retrying,
    Delivered,
    Failed,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    pub at: String,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub excerpt: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub duration_ms: i64,
}

/// A callback to the hotline about one event of a 12345 case (times in Beijing time,
/// `YYYY-MM-DD HH:MM:SS`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct HotlineDelivery {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub id: i64,
    pub delivery_key: String,
    pub ticket_no: String,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub case_id: i64,
    pub case_no: String,
    /// The event reported (`assigned`, `closed`…) and its Chinese label as sent.
    pub event: String,
    pub event_label: String,
    /// The case's status label as sent.
    pub status_label: String,
    pub state: DeliveryState,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub attempts: i64,
    pub next_attempt_at: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    /// An earlier delivery of the same ticket not yet delivered, which this one waits for.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub blocked_by: Option<i64>,
    /// The result text sent, if any.
    pub result: Option<String>,
    /// Newest first.
    pub attempt_log: Vec<DeliveryAttempt>,
}

/// How many deliveries are in each state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeliveryCounts {
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub pending: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub retrying: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub delivered: i64,
    #[cfg_attr(feature = "specta", specta(type = specta_typescript::Number))]
    pub failed: i64,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct HotlinePage {
    /// Whether the server has a callback URL configured (without one nothing is sent).
    pub enabled: bool,
    pub counts: DeliveryCounts,
    pub deliveries: Vec<HotlineDelivery>,
    /// The `before` of the next page.
    #[cfg_attr(feature = "specta", specta(type = Option<specta_typescript::Number>))]
    pub next_before: Option<i64>,
}

// ---------------------------------------------------------------- the server's wire format

#[derive(Deserialize)]
struct CallbackWire {
    event_label: String,
    status_label: String,
    result: Option<String>,
}

#[derive(Deserialize)]
struct AttemptWire {
    at: String,
    http_status: Option<u16>,
    error: Option<String>,
    excerpt: String,
    duration_ms: i64,
}

#[derive(Deserialize)]
struct DeliveryWire {
    id: i64,
    delivery_key: String,
    ticket_no: String,
    case_id: i64,
    case_no: String,
    event: String,
    status: DeliveryState,
    attempts: i64,
    next_attempt_at: String,
    created_at: String,
    delivered_at: Option<String>,
    last_status: Option<u16>,
    last_error: Option<String>,
    blocked_by: Option<i64>,
    payload: CallbackWire,
    attempt_log: Vec<AttemptWire>,
}

#[derive(Deserialize)]
struct PageWire {
    enabled: bool,
    counts: DeliveryCounts,
    deliveries: Vec<DeliveryWire>,
    next_before: Option<i64>,
}

fn view(d: DeliveryWire) -> HotlineDelivery {
    HotlineDelivery {
        id: d.id,
        delivery_key: d.delivery_key,
        ticket_no: d.ticket_no,
        case_id: d.case_id,
        case_no: d.case_no,
        event: d.event,
        event_label: d.payload.event_label,
        status_label: d.payload.status_label,
        state: d.status,
        attempts: d.attempts,
        next_attempt_at: beijing(&d.next_attempt_at),
        created_at: beijing(&d.created_at),
        delivered_at: d.delivered_at.as_deref().map(beijing),
        last_status: d.last_status,
        last_error: d.last_error,
        blocked_by: d.blocked_by,
        result: d.payload.result,
        attempt_log: d
            .attempt_log
            .into_iter()
            .map(|a| DeliveryAttempt {
                at: beijing(&a.at),
                http_status: a.http_status,
                error: a.error,
                excerpt: a.excerpt,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }
}

/// The query of one page.
pub fn page_query(state: Option<DeliveryState>, before: Option<i64>) -> ApiResult<Vec<(&'static str, String)>> {
    let mut q = vec![("limit", PAGE.to_string())];
    if let Some(s) = state {
        let name = serde_json::to_value(s).map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        q.push(("status", name.as_str().unwrap_or_default().to_owned()));
    }
    match before {
        Some(b) if b < 1 => return Err(ApiError::new(ErrorCode::InvalidInput, "before 应为正整数")),
        Some(b) => q.push(("before", b.to_string())),
        None => {}
    }
    Ok(q)
}

impl App {
    /// A page of the callbacks to the 12345 hotline about the administrator's jurisdiction,
    /// optionally of one state, newest first (online only).
    pub async fn hotline_deliveries(
        &self,
        state: Option<DeliveryState>,
        before: Option<i64>,
    ) -> ApiResult<HotlinePage> {
        let query = page_query(state, before)?;
        let a = self.active()?;
        a.require_online(WHAT)?;
        let page: PageWire = a
            .client
            .get_json(&a.token, "/api/v1/admin/hotline/deliveries", &query)
            .await
            .map_err(|e| online_only(e, WHAT))?;
        Ok(HotlinePage {
            enabled: page.enabled,
            counts: page.counts,
            deliveries: page.deliveries.into_iter().map(view).collect(),
            next_before: page.next_before,
        })
    }

    /// Retries a failed delivery now (the server audits it); a delivered or still queued one is
    /// refused with the server's message.
    pub async fn hotline_retry(&self, id: i64) -> ApiResult<HotlineDelivery> {
        let a = self.active()?;
        a.require_online(WHAT)?;
        let d: DeliveryWire = a
            .client
            .send_json(&a.token, Method::POST, &format!("/api/v1/admin/hotline/deliveries/{id}/retry"), &())
            .await
            .map_err(|e| online_only(e, WHAT))?;
        Ok(view(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_page_reads_into_the_view_and_queries_are_checked() {
        let wire = serde_json::json!({
            "enabled": true,
            "counts": {"pending": 1, "retrying": 0, "delivered": 3, "failed": 1},
            "next_before": 7,
            "deliveries": [{
                "id": 8, "delivery_key": "case-event-55", "ticket_no": "T-1", "case_id": 4, "case_no": "RX-2026-000004",
                "event": "closed", "status": "failed", "attempts": 10, "next_attempt_at": "2026-11-20T01:00:00Z",
                "created_at": "2026-11-20T00:00:00Z", "delivered_at": null, "last_status": 502, "last_error": "HTTP 502",
                "blocked_by": null,
                "payload": {"delivery_id": "case-event-55", "ticket_no": "T-1", "case_no": "RX-2026-000004",
                    "event": "closed", "event_label": "已办结", "status": "closed", "status_label": "已办结",
                    "occurred_at": "2026-11-20T00:00:00Z", "handling_unit": "东湖区政务服务中心", "due_date": null,
                    "result": "已解释", "satisfied": null},
                "attempt_log": [{"at": "2026-11-20T00:30:00Z", "http_status": 502, "error": "HTTP 502",
                                 "excerpt": "bad gateway", "duration_ms": 12}]
            }]
        });
        let page: PageWire = serde_json::from_value(wire).expect("the server's page");
        let d = view(page.deliveries.into_iter().next().expect("one"));
        assert_eq!(
            (d.state, d.event_label.as_str(), d.result.as_deref()),
            (DeliveryState::Failed, "已办结", Some("已解释"))
        );
        assert_eq!(d.attempt_log[0].http_status, Some(502));
        assert_eq!(d.attempt_log[0].at, "2026-11-20 08:30:00", "in Beijing time");
        assert_eq!(d.created_at, "2026-11-20 08:00:00");
        assert_eq!(
            page_query(Some(DeliveryState::Failed), Some(7)).expect("query"),
            vec![("limit", "50".to_owned()), ("status", "failed".to_owned()), ("before", "7".to_owned())]
        );
        assert!(page_query(None, Some(0)).is_err());
    }
}
