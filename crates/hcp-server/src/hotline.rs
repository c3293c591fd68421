//! The two-way link with the 12345 hotline: besides taking its complaints in
//! (`POST /api/v1/intake/complaints`), the server reports each 12345 case's progress and result
//! back to the hotline system with an HTTP callback to a configured URL.
//!
//! - **An outbox, in the event's transaction.** The case workflow enqueues a callback
//!   ([`crate::db::hotline_outbox::enqueue`]) in the transaction that records the event, for the
//!   kinds of event [`reported`] names, when the case came from a 12345 ticket. Nothing is lost
//!   (the callback commits with the event) and nothing is invented (it rolls back with it).
//! - **The body** ([`HotlineCallback`]) is fixed when the event happens: the ticket and case
//!   numbers, the event and the case's status after it, the time, the unit handling the case and,
//!   for the events that carry one, the result text with personal numbers masked
//!   ([`hcp_report::notice::redact_personal_numbers`]). Never an evaluator's or staff member's
//!   identity, never the complaint's text (the hotline has it).
//! - **Idempotent.** Every attempt at one delivery sends the same body and the same
//!   `Idempotency-Key` header (`case-event-<event id>`); with a shared secret configured, an
//!   `X-Hcp-Signature: sha256=<hex>` header carries the HMAC-SHA256 of `<X-Hcp-Timestamp>.<body>`.
//! - **In order per ticket.** A delivery is attempted only once every earlier delivery of its
//!   ticket is delivered; a failed one holds the later ones back until it is delivered.
//! - **Retries.** A 2xx answer delivers; anything else (another status, a timeout, no connection)
//!   schedules another attempt after an exponential backoff ([`backoff`]: base × 2ⁿ⁻¹, capped),
//!   until `max_attempts` attempts have failed: then the delivery is *failed* and waits for an
//!   administrator's retry (`POST /api/v1/admin/hotline/deliveries/{id}/retry`), which grants a new
//!   round of attempts. Every attempt is recorded (time, HTTP status or error, the answer's first
//!   characters, duration).
//! - **One process.** The worker runs in the server process when a URL is configured, under a
//!   lease of its own on PostgreSQL ([`Db::try_lease`], as the deadline watch): one server of
//!   several delivers at a time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use hcp_domain::case::machine::{EventPayload, VerifyOutcome};
use hcp_protocol::CaseRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::hotline_outbox::{self, AttemptOutcome, Due};
use crate::db::{Db, DbResult, Lease};

/// The advisory-lock key of the delivery worker's lease ("hcphotln").
pub const HOTLINE_LEASE: i64 = 0x6863_7068_6f74_6c6e;

/// Deliveries attempted at once (each of another ticket).
const PARALLEL: usize = 8;
/// Deliveries read per batch.
const BATCH: i64 = 32;
/// Characters of the answer kept with an attempt.
const EXCERPT_CHARS: usize = 200;
/// Bytes of the answer read at most.
const EXCERPT_BYTES: usize = 4096;

/// Where and how the callbacks go (`hotline_callback_*` in the configuration file,
/// `HCP_HOTLINE_CALLBACK_URL` / `HCP_HOTLINE_CALLBACK_SECRET`).
#[derive(Clone, PartialEq)]
pub struct HotlineConfig {
    /// The hotline's callback URL; `None`: no deliveries (the outbox still fills, and is delivered
    /// once a URL is configured).
    pub url: Option<String>,
    /// The shared secret of the HMAC-SHA256 signature header, if any.
    pub secret: Option<String>,
    /// The longest one request may take (connecting, sending, the answer).
    pub timeout: Duration,
    /// Failed attempts in a round before a delivery is failed.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; doubled after each further one…
    pub backoff_base: Duration,
    /// …up to this.
    pub backoff_max: Duration,
    /// How often the worker looks for due deliveries.
    pub poll_every: Duration,
}

impl Default for HotlineConfig {
    fn default() -> HotlineConfig {
        HotlineConfig {
            url: None,
            secret: None,
            timeout: Duration::from_secs(10),
            max_attempts: 10,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            poll_every: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for HotlineConfig {
    /// Never the secret, nor what the URL may hold after its host (a token in a query, say).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotlineConfig")
            .field("url", &self.url.as_deref().map(origin_of))
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("backoff_base", &self.backoff_base)
            .field("backoff_max", &self.backoff_max)
            .field("poll_every", &self.poll_every)
            .finish()
    }
}

/// `scheme://host[:port]` of a URL, for logs.
fn origin_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or(host);
            format!("{}://{host}", &url[..i])
        }
        None => "(invalid URL)".into(),
    }
}

/// Checks a configured callback URL: `http://` or `https://` with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && reqwest::Url::parse(url).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(format!("hotline_callback_url '{}' is not an http(s) URL with a host", origin_of(url)))
    }
}

/// The wait before the next attempt after `failed` failed attempts in a round (1 or more):
/// `base × 2^(failed−1)`, at most `max`.
pub fn backoff(failed: u32, base: Duration, max: Duration) -> Duration {
    let exp = failed.saturating_sub(1).min(30);
    base.checked_mul(1u32 << exp).unwrap_or(max).min(max)
}

/// How a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// 待发送: not attempted yet.
    Pending,
    /// 重试中: attempted and failed; attempted again at `next_attempt_at`.
    Retrying,
    /// 已送达: the hotline answered 2xx.
    Delivered,
    /// 失败: every attempt of its round failed; waits for an administrator's retry.
    Failed,
}

hcp_domain::str_enum!(DeliveryState {
    Pending => "pending",
    Retrying => "retrying",
    Delivered => "delivered",
    Failed => "failed",
});

/// The idempotency key of the callback of an event.
pub fn delivery_key(event_id: i64) -> String {
    format!("case-event-{event_id}")
}

/// The body of a callback to the 12345 hotline (`POST` to the configured URL, JSON), one per
/// reported case event.
///
/// Headers: `Idempotency-Key` (the same on every attempt of one delivery, equal to
/// `delivery_id`: the receiver must treat a repeat as already received), `X-Hcp-Event` (the
/// event), `X-Hcp-Timestamp` (Unix seconds of the attempt) and, when a shared secret is
/// configured, `X-Hcp-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`.
/// Any 2xx answer counts as received; anything else is retried with backoff. Events of one ticket
/// arrive in the order they happened, each after the previous one was received.
///
/// Reported events: `created` (已受理), `verified` (已核实), `exclusion_approved` (不属实，已剔除),
/// `exclusion_rejected` (剔除未获批准), `resolved_on_spot` (已当场解决), `assigned` (已交办),
/// `accepted` (承办部门已签收), `extension_approved` (已批准延期), `rectification_reported`
/// (已整改), `return_visited` (已回访), `closed` (已办结), `reopened` (重新办理), `escalated`
/// (升级督办). Internal supervision (催办, 预警, extension requests and refusals, appeals,
/// accountability) is not reported. Never an evaluator's or staff member's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HotlineCallback {
    /// The delivery's stable id, also sent as `Idempotency-Key` (`case-event-<n>`).
    pub delivery_id: String,
    /// The hotline's ticket number (工单编号) the complaint came with.
    pub ticket_no: String,
    /// This system's case number, e.g. `RX-2026-000045`.
    pub case_no: String,
    /// The event, e.g. `assigned`, `closed` (see the list above).
    pub event: String,
    /// The event in Chinese, e.g. 已交办.
    pub event_label: String,
    /// The case's status after the event: `new`, `exclusion_requested`, `verified`, `assigned`,
    /// `in_rectification`, `extension_requested`, `rectified`, `closed` or `excluded`.
    pub status: String,
    /// The status in Chinese, e.g. 整改中.
    pub status_label: String,
    /// When the event happened (RFC 3339, UTC).
    pub occurred_at: String,
    /// The unit handling the case: the department it is assigned to, else the hall or unit it
    /// concerns.
    pub handling_unit: String,
    /// The deadline the event set (assignment, extension, a return to rectification), `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// The result or reason in words (verification, on-the-spot resolution, rectification
    /// measures, return visit, closure…), personal numbers masked.
    pub result: Option<String>,
    /// For `return_visited`: whether the citizen was satisfied.
    pub satisfied: Option<bool>,
}

/// Whether the hotline hears of this kind of event.
pub fn reported(payload: &EventPayload) -> bool {
    event_label(payload).is_some()
}

fn event_label(payload: &EventPayload) -> Option<&'static str> {
    Some(match payload {
        EventPayload::Created { .. } => "已受理",
        EventPayload::Verified { .. } => "已核实",
        EventPayload::ExclusionApproved { .. } => "不属实，已剔除",
        EventPayload::ExclusionRejected { .. } => "剔除未获批准，按属实办理",
        EventPayload::ResolvedOnSpot { .. } => "已当场解决",
        EventPayload::Assigned { .. } => "已交办",
        EventPayload::Accepted => "承办部门已签收",
        EventPayload::ExtensionApproved { .. } => "已批准延期",
        EventPayload::RectificationReported { .. } => "已整改",
        EventPayload::ReturnVisited { .. } => "已回访",
        EventPayload::Closed { .. } => "已办结",
        EventPayload::Reopened { .. } => "重新办理",
        EventPayload::Escalated { .. } => "升级督办",
        EventPayload::ExtensionRequested { .. }
        | EventPayload::ExtensionRejected { .. }
        | EventPayload::Urged { .. }
        | EventPayload::Warned { .. }
        | EventPayload::Appealed { .. }
        | EventPayload::AppealDecided { .. }
        | EventPayload::AccountabilityRecorded { .. }
        | EventPayload::InterviewRecorded { .. } => return None,
    })
}

/// Free text for the hotline: trimmed, personal numbers masked, none when empty.
fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| hcp_report::notice::redact_personal_numbers(t))
}

impl HotlineCallback {
    /// The callback of event `event_id` (`payload`, at `at`) of `row` (the case after the event).
    pub fn of(
        event_id: i64,
        ticket_no: &str,
        row: &CaseRow,
        payload: &EventPayload,
        at: &str,
        handling_unit: String,
    ) -> HotlineCallback {
        let date = |d: &chrono::NaiveDate| Some(d.format("%Y-%m-%d").to_string());
        let (due_date, result, satisfied) = match payload {
            EventPayload::Verified { outcome: VerifyOutcome::Genuine, .. } => (None, Some("核实属实".into()), None),
            EventPayload::Verified { outcome, reason } => {
                let why = text(reason).map_or_else(String::new, |r| format!("：{r}"));
                (None, Some(format!("核实为{}，待审批剔除{why}", outcome.label_zh())), None)
            }
            EventPayload::ExclusionApproved { comment } => (None, text(comment), None),
            EventPayload::ExclusionRejected { reason } => (None, text(reason), None),
            EventPayload::ResolvedOnSpot { explanation, .. } => (None, text(explanation), None),
            EventPayload::Assigned { due_date, .. } => (date(due_date), None, None),
            EventPayload::ExtensionApproved { due_date, .. } => (date(due_date), None, None),
            EventPayload::RectificationReported { measures, .. } => (None, text(measures), None),
            EventPayload::ReturnVisited { satisfied, note, due_date, .. } => {
                (due_date.as_ref().and_then(date), text(note), Some(*satisfied))
            }
            EventPayload::Closed { note } => (None, text(note), None),
            EventPayload::Reopened { reason, due_date } => (due_date.as_ref().and_then(date), text(reason), None),
            EventPayload::Escalated { to, .. } => (None, Some(format!("升级至{}", to.label_zh())), None),
            _ => (None, None, None),
        };
        HotlineCallback {
            delivery_id: delivery_key(event_id),
            ticket_no: ticket_no.to_owned(),
            case_no: row.case_no.clone(),
            event: payload.kind().to_owned(),
            event_label: event_label(payload).unwrap_or("").to_owned(),
            status: row.state.as_str().to_owned(),
            status_label: row.state.label_zh().to_owned(),
            occurred_at: at.to_owned(),
            handling_unit,
            due_date,
            result,
            satisfied,
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` with the shared secret.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The first characters of an answer, on one line.
fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// An error in words, without the URL (which may carry credentials): its causes, joined.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("请求超时（{} 秒内无应答）", timeout.as_secs_f64());
    }
    let mut causes = Vec::new();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        causes.push(c.to_string());
        cur = c.source();
    }
    let why = if causes.is_empty() { "未知错误".to_owned() } else { causes.join(": ") };
    if e.is_connect() {
        format!("无法连接：{why}")
    } else {
        format!("请求失败：{why}")
    }
}

/// One attempt at one delivery.
async fn attempt(
    client: &reqwest::Client,
    cfg: &HotlineConfig,
    url: &str,
    d: &Due,
    now: DateTime<Utc>,
) -> AttemptOutcome {
    let started = Instant::now();
    let timestamp = now.timestamp().to_string();
    let mut req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
        .header("Idempotency-Key", delivery_key(d.event_id))
        .header("X-Hcp-Event", &d.event_kind)
        .header("X-Hcp-Timestamp", &timestamp)
        .body(d.payload.clone());
    if let Some(secret) = &cfg.secret {
        req = req.header("X-Hcp-Signature", signature(secret, &timestamp, &d.payload));
    }
    let at = rfc3339(now);
    let outcome = match req.send().await {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            let mut error = None;
            while body.len() < EXCERPT_BYTES {
                match resp.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(describe(&e, cfg.timeout));
                        break;
                    }
                }
            }
            // A 2xx whose body broke off still counts: the hotline accepted the callback.
            let error = error.filter(|_| !(200..300).contains(&status));
            AttemptOutcome { at, http_status: Some(status), error, excerpt: excerpt(&body), duration_ms: 0 }
        }
        Err(e) => AttemptOutcome {
            at,
            http_status: None,
            error: Some(describe(&e, cfg.timeout)),
            excerpt: String::new(),
            duration_ms: 0,
        },
    };
    AttemptOutcome { duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX), ..outcome }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PassReport {
    pub attempted: u64,
    pub delivered: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Attempts every due delivery (those that become due as earlier ones of their ticket are
/// delivered, too), each ticket's in order, several tickets at once.
pub async fn pass(
    db: &Db,
    client: &reqwest::Client,
    cfg: &HotlineConfig,
    clock: &dyn crate::Clock,
) -> DbResult<PassReport> {
    let mut report = PassReport::default();
    let Some(url) = cfg.url.clone() else { return Ok(report) };
    loop {
        let now = rfc3339(clock.now());
        let due = db.read(move |c| hotline_outbox::due(c, &now, BATCH)).await?;
        if due.is_empty() {
            return Ok(report);
        }
        let outcomes: Vec<(Due, AttemptOutcome)> = futures_util::stream::iter(due)
            .map(|d| {
                let url = url.clone();
                async move {
                    let o = attempt(client, cfg, &url, &d, clock.now()).await;
                    (d, o)
                }
            })
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        let mut progressed = false;
        for (d, outcome) in outcomes {
            let failed_in_round = u32::try_from(d.attempts - d.round_start + 1).unwrap_or(u32::MAX);
            let retry_at = (failed_in_round < cfg.max_attempts).then(|| {
                let wait = backoff(failed_in_round, cfg.backoff_base, cfg.backoff_max);
                rfc3339(clock.now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)))
            });
            let key = delivery_key(d.event_id);
            let state = db.write(move |c| hotline_outbox::record_attempt(c, &d, &outcome, retry_at.as_deref())).await?;
            report.attempted += 1;
            match state {
                DeliveryState::Delivered => {
                    report.delivered += 1;
                    progressed = true;
                }
                DeliveryState::Retrying => report.retrying += 1,
                DeliveryState::Failed => {
                    report.failed += 1;
                    tracing::warn!(delivery = %key, "12345 callback failed after its last attempt");
                }
                DeliveryState::Pending => {}
            }
        }
        // Only a delivery can make another one due now (the next of its ticket).
        if !progressed {
            return Ok(report);
        }
    }
}

/// The state of a running worker, for tests and the log.
#[derive(Debug, Default)]
pub struct WorkerStatus {
    /// This process holds the lease and delivers.
    pub leading: AtomicBool,
    /// Passes completed by this process.
    pub passes: AtomicU64,
}

/// A background worker: abort the task to stop it (its lease ends with it).
pub struct WorkerHandle {
    pub task: tokio::task::JoinHandle<()>,
    pub status: Arc<WorkerStatus>,
}

/// Starts the delivery worker when a callback URL is configured (`None` otherwise): a pass at
/// once and then every `poll_every`, while this process holds the lease.
pub fn spawn_worker(state: crate::AppState) -> Option<WorkerHandle> {
    let cfg = state.config.hotline.clone();
    let url = cfg.url.clone()?;
    if let Err(e) = check_url(&url) {
        tracing::error!(error = %e, "12345 callbacks are off");
        return None;
    }
    let client = match reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "12345 callbacks are off: no HTTP client");
            return None;
        }
    };
    tracing::info!(config = ?cfg, "12345 callbacks on");
    let status = Arc::new(WorkerStatus::default());
    let shared = status.clone();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(cfg.poll_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut lease: Option<Lease> = None;
        loop {
            tick.tick().await;
            let db = state.db.clone();
            let held = lease.take();
            let got = tokio::task::spawn_blocking(move || match held.map(|mut l| (l.holds(), l)) {
                Some((true, l)) => Ok(Some(l)),
                _ => db.try_lease(HOTLINE_LEASE),
            })
            .await;
            lease = match got {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "12345 callbacks: cannot take the lease; retrying");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "12345 callbacks: lease task failed; retrying");
                    None
                }
            };
            let leading = lease.is_some();
            if leading != shared.leading.swap(leading, Ordering::SeqCst) {
                tracing::info!(leading, "12345 callback leadership changed");
            }
            if !leading {
                continue;
            }
            match pass(&state.db, &client, &cfg, state.clock.as_ref()).await {
                Ok(r) => {
                    shared.passes.fetch_add(1, Ordering::SeqCst);
                    if r.attempted > 0 {
                        tracing::info!(?r, "12345 callbacks pass");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "12345 callbacks pass failed; retrying at the next tick"),
            }
        }
    });
    Some(WorkerHandle { task, status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let (base, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        let waits: Vec<u64> = (1..=10).map(|n| backoff(n, base, max).as_secs()).collect();
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        // Huge attempt counts neither overflow nor exceed the cap; 0 counts as the first.
        assert_eq!(backoff(u32::MAX, base, max), max);
        assert_eq!(backoff(0, base, max), base);
        assert_eq!(backoff(3, Duration::from_millis(10), Duration::from_millis(25)), Duration::from_millis(25));
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_and_body() {
        // Computed independently: python3 hmac.new(b"s3cret", b'1700000000.{"ticket_no":"T-1"}', sha256).
        assert_eq!(
            signature("s3cret", "1700000000", r#"{"ticket_no":"T-1"}"#),
            "sha256=be4db1984f18cdad441e273b4616a47a906911b86bcd9797336b5b2232e3e30e"
        );
        assert_ne!(
            signature("other", "1700000000", r#"{"ticket_no":"T-1"}"#),
            signature("s3cret", "1700000000", r#"{"ticket_no":"T-1"}"#)
        );
    }

    #[test]
    fn urls_are_checked_and_never_logged_beyond_their_host() {
        assert!(check_url("https://hotline.example.gov.cn/api/callback").is_ok());
        assert!(check_url("http://10.0.0.5:8080/cb").is_ok());
        assert!(check_url("ftp://x/y").is_err());
        assert!(check_url("https://").is_err());
        let cfg = HotlineConfig {
            url: Some("https://user:pw@hotline.example.gov.cn/cb?token=abc".into()),
            secret: Some("s3cret".into()),
            ..HotlineConfig::default()
        };
        let shown = format!("{cfg:?}");
        assert!(shown.contains("https://hotline.example.gov.cn"), "{shown}");
        assert!(!shown.contains("s3cret") && !shown.contains("token") && !shown.contains("pw"), "{shown}");
    }

    #[test]
    fn the_settings_file_configures_the_callbacks_within_bounds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hcp.toml");
        std::fs::write(
            &path,
            "hotline_callback_url = \"https://hotline.example.gov.cn/cb\"\nhotline_callback_secret = \"k\"\n\
             hotline_callback_max_attempts = 0\nhotline_callback_backoff_seconds = 5\n\
             hotline_callback_backoff_max_seconds = 600\nhotline_callback_timeout_seconds = 9999\n",
        )
        .expect("write");
        let c = crate::FileConfig::load(&path).expect("load").apply(crate::Config::default()).hotline;
        assert_eq!(c.url.as_deref(), Some("https://hotline.example.gov.cn/cb"));
        assert_eq!(c.secret.as_deref(), Some("k"));
        assert_eq!(c.max_attempts, 1, "at least one attempt");
        assert_eq!((c.backoff_base, c.backoff_max), (Duration::from_secs(5), Duration::from_secs(600)));
        assert_eq!(c.timeout, Duration::from_secs(300), "capped");
        // Nothing configured: no URL, so no worker.
        let off = crate::Config::default().hotline;
        assert_eq!((off.url, off.max_attempts, off.timeout), (None, 10, Duration::from_secs(10)));
        std::fs::write(&path, "hotline_callback_url = \"  \"\n").expect("write");
        assert_eq!(crate::FileConfig::load(&path).expect("load").apply(crate::Config::default()).hotline.url, None);
    }

    #[test]
    fn states_round_trip_and_excerpts_stay_short_and_on_one_line() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).expect("json"), format!("\"{}\"", s.as_str()));
        }
        let long = "错误\n".repeat(500);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS, "cut at 200 characters");
        assert!(!e.contains('\n'));
    }
}
