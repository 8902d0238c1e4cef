//! Requests per address on the public API: a token bucket per client
//! address, refilled at `rate_limit_per_second` up to `rate_limit_burst`;
//! past it the answer is 429 with `Retry-After`.
//!
//! Behind a load balancer or proxy, name it in `trusted_proxies` and the
//! address it forwarded for is the client's (see `client_address`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client_address::{Network, client_address};
use crate::error::ApiError;

/// Addresses tracked before idle ones (full buckets) are forgotten.
const MAX_TRACKED: usize = 100_000;

/// The buckets.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    trusted_proxies: Vec<Network>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// The limiter the settings ask for.
    pub(crate) fn from_settings(settings: &crate::Settings) -> Arc<Self> {
        Arc::new(Self::new(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
            settings.trusted_proxies.clone(),
        ))
    }

    pub(crate) fn new(per_second: f64, burst: u32, trusted_proxies: Vec<Network>) -> Self {
        Self {
            per_second: per_second.max(f64::MIN_POSITIVE),
            burst: f64::from(burst.max(1)),
            trusted_proxies,
            buckets: Mutex::default(),
        }
    }

    /// Takes a token for `address`, or says how many seconds until one.
    pub(crate) fn check(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refilled).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / self.per_second).ceil();
            // Saturating float-to-int conversion; at least one second.
            Err((wait as u64).max(1))
        }
    }
}

/// The middleware. Requests without a peer address (in-process tests) pass.
pub(crate) async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_address(c.0.ip(), request.headers(), &limiter.trusted_proxies));
    if let Some(peer) = peer
        && let Err(retry_after) = limiter.check(peer, Instant::now())
    {
        return ApiError::rate_limited(
            format!("too many requests from this address; retry in {retry_after} s"),
            std::time::Duration::from_secs(retry_after),
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_the_rate_and_the_wait_is_told() {
        let limiter = RateLimiter::new(2.0, 3, Vec::new());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            limiter.check(a, start).unwrap();
        }
        assert_eq!(limiter.check(a, start), Err(1));
        assert!(
            limiter.check(b, start).is_ok(),
            "each address its own bucket"
        );
        assert!(limiter.check(a, start + Duration::from_millis(500)).is_ok());
        assert!(
            limiter
                .check(a, start + Duration::from_millis(500))
                .is_err()
        );
    }
}
