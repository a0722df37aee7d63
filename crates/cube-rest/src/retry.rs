//! When to retry a request and after how long: a pure decision, tested without a network.
//!
//! The caller (cube-client) owns the clock and the random numbers: it passes the attempt number,
//! what happened, the `Retry-After` header and a jitter value, and sleeps for the answer.

use std::time::Duration;

use http::Method;

/// How many times to try and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; 1 means never retry.
    pub max_attempts: u32,
    /// The delay before the first retry; doubled for each further retry.
    pub base_delay: Duration,
    /// The longest delay; a `Retry-After` asking for more means giving up.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 250 ms then 500 ms (with jitter), at most 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// What happened to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// No answer in time; the request may have been processed.
    Timeout,
    /// The connection could not be established: the request was not sent.
    ConnectFailed,
    /// Anything else (TLS, a reset mid-response, an unreadable body): not retried.
    Other,
}

/// The decision for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then send the request again.
    Retry(Duration),
    /// Report the outcome to the caller.
    GiveUp,
}

/// True for methods that may be repeated without changing the result: GET, HEAD, OPTIONS, PUT,
/// DELETE.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// True for statuses worth retrying: 429 and the gateway/unavailable family 502, 503, 504.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses `Retry-After` as delta-seconds; HTTP dates are ignored (this layer has no clock).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Decides whether to retry after `attempt` attempts (1 after the first) ended in `outcome`.
///
/// - Idempotent methods retry on 429/502/503/504, timeouts and connection failures.
/// - Other methods (POST) retry only on connection failures, where nothing was sent.
/// - The delay is `Retry-After` when given in seconds (giving up if it exceeds `max_delay`),
///   otherwise `base_delay * 2^(attempt-1)` capped at `max_delay`, scaled into `[1/2, 1)` of
///   itself by `jitter` (a number in `[0, 1)` chosen by the caller).
pub fn decide(
    policy: &RetryPolicy,
    method: &Method,
    outcome: Outcome,
    attempt: u32,
    retry_after: Option<&str>,
    jitter: f64,
) -> RetryDecision {
    if attempt >= policy.max_attempts {
        return RetryDecision::GiveUp;
    }
    let retryable = match outcome {
        Outcome::ConnectFailed => true,
        Outcome::Timeout => is_idempotent(method),
        Outcome::Status(s) => is_idempotent(method) && is_retryable_status(s),
        Outcome::Other => false,
    };
    if !retryable {
        return RetryDecision::GiveUp;
    }
    if let Some(wait) = retry_after.and_then(parse_retry_after) {
        return if wait > policy.max_delay {
            RetryDecision::GiveUp
        } else {
            RetryDecision::Retry(wait)
        };
    }
    let exponent = attempt.saturating_sub(1).min(30);
    let backoff = policy
        .base_delay
        .saturating_mul(1u32 << exponent)
        .min(policy.max_delay);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    RetryDecision::Retry(backoff.mul_f64(0.5 + jitter / 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    };

    #[test]
    fn idempotent_methods_retry_transient_failures() {
        let d = |o, a| decide(&P, &Method::GET, o, a, None, 0.0);
        assert_eq!(
            d(Outcome::Status(503), 1),
            RetryDecision::Retry(Duration::from_millis(50))
        );
        assert_eq!(
            d(Outcome::Status(429), 2),
            RetryDecision::Retry(Duration::from_millis(100))
        );
        assert_eq!(
            d(Outcome::Timeout, 3),
            RetryDecision::Retry(Duration::from_millis(200))
        );
        assert_eq!(d(Outcome::Status(503), 4), RetryDecision::GiveUp);
        assert_eq!(d(Outcome::Status(500), 1), RetryDecision::GiveUp);
        assert_eq!(d(Outcome::Status(404), 1), RetryDecision::GiveUp);
        assert_eq!(d(Outcome::Other, 1), RetryDecision::GiveUp);
    }

    #[test]
    fn post_retries_only_when_nothing_was_sent() {
        let d = |o| decide(&P, &Method::POST, o, 1, None, 0.5);
        assert_eq!(d(Outcome::Status(503)), RetryDecision::GiveUp);
        assert_eq!(d(Outcome::Timeout), RetryDecision::GiveUp);
        assert_eq!(
            d(Outcome::ConnectFailed),
            RetryDecision::Retry(Duration::from_millis(75))
        );
    }

    #[test]
    fn retry_after_wins_and_caps() {
        let d = |h| decide(&P, &Method::PUT, Outcome::Status(429), 1, Some(h), 0.9);
        assert_eq!(d("1"), RetryDecision::Retry(Duration::from_secs(1)));
        assert_eq!(d("5"), RetryDecision::GiveUp);
        assert_eq!(
            d("Wed, 21 Oct 2015 07:28:00 GMT"),
            RetryDecision::Retry(Duration::from_millis(95))
        );
    }

    #[test]
    fn backoff_is_capped_and_jitter_is_sanitised() {
        let p = RetryPolicy {
            max_attempts: 100,
            ..P
        };
        assert_eq!(
            decide(&p, &Method::GET, Outcome::Timeout, 60, None, f64::NAN),
            RetryDecision::Retry(Duration::from_millis(500))
        );
        assert_eq!(
            decide(
                &RetryPolicy::never(),
                &Method::GET,
                Outcome::Timeout,
                1,
                None,
                0.0
            ),
            RetryDecision::GiveUp
        );
    }
}
