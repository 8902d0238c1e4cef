//! The address a request comes from, for the per-address limits (request
//! rate, live connections).
//!
//! Behind a load balancer or reverse proxy every connection comes from the
//! proxy, so one budget would be shared by every visitor. When the peer is
//! a proxy named in `trusted_proxies`, the client is the rightmost address
//! in `X-Forwarded-For` that is not itself a trusted proxy: each proxy
//! appends the address it received from, so that is the last hop nobody
//! trusted could have written. Anyone else's `X-Forwarded-For` is ignored.

use std::fmt;
use std::net::IpAddr;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

/// An address or a network (`10.0.0.0/8`, `::1`), as written in the
/// settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.as_str(), None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a network like 10.0.0.0/8"))?;
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {most}"))?,
        };
        Ok(Self { address, prefix })
    }
}

impl From<Network> for String {
    fn from(network: Network) -> Self {
        network.to_string()
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// The unit a per-address limit counts: an IPv4 address, or the /64 an
/// IPv6 address is in (one subscriber line usually gets a whole /64, so
/// counting single IPv6 addresses would give one attacker billions of
/// budgets).
pub(crate) fn address_group(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

/// The client's address: `peer`, or what the trusted proxies say.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => {}
            Ok(ip) => return ip,
            // A hop we cannot read: what is left of it was written by
            // someone untrusted; the last trusted hop is the client.
            Err(_) => break,
        }
    }
    forwarded
        .iter()
        .rev()
        .map_while(|hop| hop.parse::<IpAddr>().ok())
        .last()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(list: &[&str]) -> Vec<Network> {
        list.iter()
            .map(|n| Network::try_from((*n).to_owned()).unwrap())
            .collect()
    }

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in forwarded {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain_their_addresses() {
        let private = networks(&["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);
        assert!(private[0].contains(ip("10.200.3.4")));
        assert!(!private[0].contains(ip("11.0.0.1")));
        assert!(private[1].contains(ip("192.168.1.7")));
        assert!(!private[1].contains(ip("192.168.1.8")));
        assert!(private[2].contains(ip("fd12::1")));
        assert!(
            private[0].contains(ip("::ffff:10.1.2.3")),
            "IPv4 mapped into IPv6, as a dual-stack socket shows it"
        );
        assert!(networks(&["0.0.0.0/0"])[0].contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "ten/8", "10.0.0.0/", "::/129"] {
            assert!(Network::try_from(bad.to_owned()).is_err(), "{bad}");
        }
        assert_eq!(private[0].to_string(), "10.0.0.0/8");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(
            address_group(ip("2001:db8:1:2:aaaa::1")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            address_group(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            address_group(ip("2001:db8:1:2::9"))
        );
        assert_ne!(address_group(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_group(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(address_group(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_untrusted_hop() {
        let trusted = networks(&["10.0.0.0/8"]);
        // The client sent a forged entry first; the edge proxy appended the
        // real address, an inner proxy its own.
        let chain = headers(&["6.6.6.6, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &chain, &trusted),
            ip("203.0.113.9")
        );
        // Not from a trusted proxy: the header is anyone's, ignored.
        assert_eq!(
            client_address(ip("198.51.100.4"), &chain, &trusted),
            ip("198.51.100.4")
        );
        // No proxies trusted: the peer.
        assert_eq!(client_address(ip("10.0.0.2"), &chain, &[]), ip("10.0.0.2"));
        // A trusted proxy that forwarded nothing is the client itself.
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        // Garbage before the trusted hops ends the walk at the last
        // readable one.
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers(&["nonsense, 10.0.0.9"]), &trusted),
            ip("10.0.0.9")
        );
    }
}
