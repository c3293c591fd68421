//! Per-token request rate limits: a token bucket per bearer token (kept by the token's SHA-256,
//! never the token), so one client, or one stolen token, cannot take the server for itself.
//! Requests without a token are not counted here (sign-in has its own throttling, connections
//! their caps: see [`crate::serve`]). The buckets live in each server process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hcp_protocol::ErrorCode;

use crate::error::AppError;

/// Requests per second and burst of one token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit { per_second: 100.0, burst: 1_000.0 }
    }
}

/// Buckets kept before full (idle) ones are dropped.
const PRUNE_AT: usize = 10_000;

/// The buckets of every token seen.
pub struct Buckets {
    limit: RateLimit,
    tokens: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Buckets {
    pub fn new(limit: RateLimit) -> Arc<Buckets> {
        Arc::new(Buckets { limit, tokens: Mutex::new(HashMap::new()) })
    }

    /// Takes one request from `key`'s bucket; `Err(seconds to wait)` when it is empty.
    fn take(&self, key: String, now: Instant) -> Result<(), u64> {
        let RateLimit { per_second, burst } = self.limit;
        let mut all = self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.len() >= PRUNE_AT {
            all.retain(|_, (left, at)| *left + now.duration_since(*at).as_secs_f64() * per_second < burst);
        }
        let (left, at) = all.entry(key).or_insert((burst, now));
        *left = (*left + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *left >= 1.0 {
            *left -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *left) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Middleware: a request with a bearer token over its token's rate gets a 429 with `Retry-After`.
pub async fn limit(buckets: Arc<Buckets>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| crate::auth::token_hash(t.trim()));
    if let Some(key) = key {
        if let Err(wait) = buckets.take(key, Instant::now()) {
            tracing::warn!("request rate limit reached");
            let mut r = AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::Throttled, "请求过于频繁，请稍后再试")
                .into_response();
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, wait.into());
            return r;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let b = Buckets::new(RateLimit { per_second: 2.0, burst: 3.0 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.take("a".into(), t0), Ok(()));
        }
        assert_eq!(b.take("a".into(), t0), Err(1));
        assert_eq!(b.take("b".into(), t0), Ok(()), "another token has its own bucket");
        let later = t0 + std::time::Duration::from_millis(500);
        assert_eq!(b.take("a".into(), later), Ok(()), "half a second refills one request at 2/s");
        assert_eq!(b.take("a".into(), later), Err(1));
    }
}
