//! Downloads that resume (evidence files, replica images): the one byte range a request asks for
//! (`Range: bytes=…`), the 416 answer when it cannot be served, and the response head both send.

use axum::http::{header, response::Builder, StatusCode};
use axum::response::{IntoResponse, Response};
use hcp_protocol::ErrorCode;

use crate::error::AppError;

/// A single byte range `bytes=a-b`, `bytes=a-` or `bytes=-n` of `size` bytes:
/// `Some(Ok((first, last)))`, `Some(Err(()))` when unsatisfiable, `None` to send everything
/// (no range, several ranges, or one this server does not read).
pub fn parse(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (first, last) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        (size.saturating_sub(n), size.checked_sub(1)?)
    } else {
        let first: u64 = a.parse().ok()?;
        let last =
            if b.is_empty() { size.saturating_sub(1) } else { b.parse::<u64>().ok()?.min(size.saturating_sub(1)) };
        if first > last {
            return if first >= size { Some(Err(())) } else { None };
        }
        (first, last)
    };
    if first >= size || size == 0 {
        return Some(Err(()));
    }
    Some(Ok((first, last)))
}

/// The range `value` (the request's `Range`, when it applies) asks of `size` bytes: `Ok(None)`
/// for everything, or the 416 answer (`what`: what is downloaded, for the message).
pub fn asked(value: Option<&str>, size: u64, what: &str) -> Result<Option<(u64, u64)>, Box<Response>> {
    match value.and_then(|v| parse(v, size)) {
        None => Ok(None),
        Some(Ok(r)) => Ok(Some(r)),
        Some(Err(())) => {
            let mut r = AppError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                ErrorCode::InvalidInput,
                format!("请求的范围超出{what}大小（{size} 字节）"),
            )
            .into_response();
            if let Ok(v) = format!("bytes */{size}").parse() {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            Err(Box::new(r))
        }
    }
}

/// The head of a download of `range` (or everything) of `size` bytes: 200 or 206, its type,
/// length, ranges accepted, `ETag` (quoted here) and `Content-Range`; sent as stored
/// (compressing would change what the ranges count).
pub fn head(range: Option<(u64, u64)>, size: u64, content_type: &str, etag: &str) -> Builder {
    let (from, to) = range.unwrap_or((0, size.saturating_sub(1)));
    let length = if size == 0 { 0 } else { to - from + 1 };
    let builder = axum::http::Response::builder()
        .status(if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK })
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, length.to_string())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{etag}\""))
        .header(header::CONTENT_ENCODING, "identity");
    match range {
        Some(_) => builder.header(header::CONTENT_RANGE, format!("bytes {from}-{to}/{size}")),
        None => builder,
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn ranges_are_read_as_http_says() {
        assert_eq!(parse("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse("bytes=-200", 100), Some(Ok((0, 99))));
        assert_eq!(parse("bytes=95-200", 100), Some(Ok((95, 99))));
        assert_eq!(parse("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse("bytes=-0", 100), Some(Err(())));
        assert_eq!(parse("bytes=0-0", 0), Some(Err(())));
        assert_eq!(parse("bytes=0-1,5-6", 100), None);
        assert_eq!(parse("items=0-1", 100), None);
        assert_eq!(parse("bytes=x-1", 100), None);
        assert_eq!(parse("bytes=9-5", 100), None);
    }
}
