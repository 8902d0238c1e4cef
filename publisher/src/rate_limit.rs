//! Requests per address on the public API: a token bucket per client
//! address group (an IPv4 address or an IPv6 /64), refilled at
//! `rate_limit_per_second` up to `rate_limit_burst`; past it the answer is
//! 429 with `Retry-After`. Sign-in uses the same limiter with its own rate.
//!
//! Behind a load balancer or proxy, name it in `trusted_proxies` and the
//! address it forwarded for is the client's (see `client_address`).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;

use crate::client_address::{Network, address_group, client_address};
use crate::error::{ApiError, whole_seconds};

/// Address groups tracked before idle ones (full buckets) are forgotten.
const MAX_TRACKED: usize = 100_000;

/// A GCRA token bucket per address group (`address_group`: an IPv4
/// address, or an IPv6 /64), from `governor`.
#[derive(Debug)]
pub(crate) struct RateLimiter<C: Clock = DefaultClock> {
    buckets:
        governor::RateLimiter<IpAddr, HashMapStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    trusted_proxies: Vec<Network>,
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

    /// `per_second` on average, `burst` at once, per address group; the
    /// client address read through `trusted_proxies`.
    pub(crate) fn new(per_second: f64, burst: u32, trusted_proxies: Vec<Network>) -> Self {
        Self::with_clock(per_second, burst, trusted_proxies, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    fn with_clock(per_second: f64, burst: u32, trusted_proxies: Vec<Network>, clock: C) -> Self {
        // One token every 1/rate seconds; a rate too small to state is one a
        // day, and a burst of zero is one.
        let period = Duration::try_from_secs_f64(1.0 / per_second)
            .unwrap_or(Duration::from_secs(86_400))
            .clamp(Duration::from_nanos(1), Duration::from_secs(86_400));
        let quota = Quota::with_period(period)
            .expect("the period is at least a nanosecond")
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Self {
            buckets: governor::RateLimiter::hashmap_with_clock(quota, clock.clone()),
            clock,
            trusted_proxies,
        }
    }

    /// Takes a token for the group `address` is in, or says how long until
    /// one.
    pub(crate) fn check(&self, address: IpAddr) -> Result<(), Duration> {
        if self.buckets.len() >= MAX_TRACKED {
            self.buckets.retain_recent();
            self.buckets.shrink_to_fit();
        }
        self.buckets
            .check_key(&address_group(address))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
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
        && let Err(wait) = limiter.check(peer)
    {
        let message = format!(
            "too many requests from this address; retry in {} s",
            whole_seconds(wait)
        );
        return ApiError::rate_limited(message, wait).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_burst_is_allowed_then_the_rate_and_the_wait_is_told() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(2.0, 3, Vec::new(), clock.clone());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            limiter.check(a).unwrap();
        }
        assert_eq!(limiter.check(a), Err(Duration::from_millis(500)));
        assert!(limiter.check(b).is_ok(), "each address its own bucket");
        clock.advance(Duration::from_millis(500));
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_err());
    }

    #[test]
    fn an_ipv6_slash_64_shares_one_bucket() {
        let limiter = RateLimiter::with_clock(1.0, 1, Vec::new(), FakeRelativeClock::default());
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        limiter.check(one).unwrap();
        assert!(limiter.check(same_64).is_err(), "the same /64");
        assert!(limiter.check(other_64).is_ok(), "another /64");
    }
}
