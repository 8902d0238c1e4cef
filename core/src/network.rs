//! IP networks in CIDR notation (`10.20.0.0/16`, `2001:db8::/32`): where a
//! station's HJ 212 data logger may connect from.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IPv4 or IPv6 network: an address whose bits past the prefix are zero,
/// and the prefix length. A bare address is the network of that one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

/// Why a string is not a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkError {
    /// The address part is not an IP address.
    #[error("{0:?} is not an IP address or network such as 10.20.0.0/16")]
    Address(String),
    /// The prefix length is not a number within the address's bits.
    #[error("{0:?} has a prefix length outside 0-32 (IPv4) or 0-128 (IPv6)")]
    Prefix(String),
    /// Bits past the prefix are set, so the network is ambiguous (did
    /// `10.20.1.5/16` mean the host or the network?).
    #[error("{given:?} has host bits set; the network is {network}")]
    HostBits {
        /// The text given.
        given: String,
        /// The network it would be with the host bits cleared.
        network: String,
    },
}

impl Network {
    /// Parses `addr/prefix` or a bare address.
    ///
    /// ```
    /// use envmon_core::network::Network;
    /// let net = Network::parse("10.20.0.0/16").unwrap();
    /// assert!(net.contains("10.20.3.4".parse().unwrap()));
    /// assert!(!net.contains("10.21.0.1".parse().unwrap()));
    /// ```
    ///
    /// # Errors
    /// When the address or prefix is malformed, or host bits are set.
    pub fn parse(text: &str) -> Result<Self, NetworkError> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| NetworkError::Address(text.to_owned()))?;
        let bits = max_prefix(addr);
        let prefix = match prefix_text {
            None => bits,
            Some(p) => Some(p)
                .filter(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u8>().ok())
                .filter(|p| *p <= bits)
                .ok_or_else(|| NetworkError::Prefix(text.to_owned()))?,
        };
        let network = Self {
            addr: masked(addr, prefix),
            prefix,
        };
        if network.addr != addr {
            return Err(NetworkError::HostBits {
                given: text.to_owned(),
                network: network.to_string(),
            });
        }
        Ok(network)
    }

    /// Whether `peer` is in this network. An IPv4 peer seen by an IPv6
    /// socket (`::ffff:10.20.3.4`) is taken as the IPv4 address it is.
    pub fn contains(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        match (self.addr, peer) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                masked(peer, self.prefix) == self.addr
            }
            _ => false,
        }
    }
}

/// Whether `peer` is in any of `networks`; an empty list allows every
/// address.
pub fn allowed(networks: &[Network], peer: IpAddr) -> bool {
    networks.is_empty() || networks.iter().any(|n| n.contains(peer))
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `addr` with every bit past the first `prefix` cleared.
fn masked(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Network {
    type Err = NetworkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_ipv4_network_holds_exactly_its_range() {
        let net = Network::parse("10.20.0.0/16").unwrap();
        assert!(net.contains(ip("10.20.0.0")));
        assert!(net.contains(ip("10.20.255.255")));
        assert!(!net.contains(ip("10.19.255.255")));
        assert!(!net.contains(ip("10.21.0.0")));
        let odd = Network::parse("192.168.1.64/27").unwrap();
        assert!(odd.contains(ip("192.168.1.64")) && odd.contains(ip("192.168.1.95")));
        assert!(!odd.contains(ip("192.168.1.63")) && !odd.contains(ip("192.168.1.96")));
    }

    #[test]
    fn a_bare_address_is_one_host_and_zero_prefix_is_everything() {
        let host = Network::parse("203.0.113.7").unwrap();
        assert_eq!(host.to_string(), "203.0.113.7/32");
        assert!(host.contains(ip("203.0.113.7")));
        assert!(!host.contains(ip("203.0.113.8")));
        let all = Network::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("198.51.100.1")));
        assert!(
            !all.contains(ip("2001:db8::1")),
            "IPv4 networks hold no IPv6 peer"
        );
    }

    #[test]
    fn ipv6_networks_and_ipv4_peers_seen_through_ipv6_sockets() {
        let net = Network::parse("2001:db8:10::/48").unwrap();
        assert!(net.contains(ip("2001:db8:10:ffff::1")));
        assert!(!net.contains(ip("2001:db8:11::1")));
        let v4 = Network::parse("10.20.0.0/16").unwrap();
        assert!(v4.contains(ip("::ffff:10.20.3.4")));
        assert!(!v4.contains(ip("::ffff:10.21.3.4")));
        assert_eq!(
            Network::parse("2001:db8::1").unwrap().to_string(),
            "2001:db8::1/128"
        );
    }

    #[test]
    fn malformed_networks_are_refused_with_the_reason() {
        assert!(matches!(
            Network::parse("10.20.0.0/33"),
            Err(NetworkError::Prefix(_))
        ));
        assert!(matches!(
            Network::parse("10.20.0.0/"),
            Err(NetworkError::Prefix(_))
        ));
        assert!(matches!(
            Network::parse("10.20.0.0/-1"),
            Err(NetworkError::Prefix(_))
        ));
        assert!(matches!(
            Network::parse("10.20.0.0/+16"),
            Err(NetworkError::Prefix(_))
        ));
        assert!(matches!(
            Network::parse("2001:db8::/129"),
            Err(NetworkError::Prefix(_))
        ));
        assert!(matches!(
            Network::parse("10.20.0/16"),
            Err(NetworkError::Address(_))
        ));
        assert!(matches!(
            Network::parse("example.org/16"),
            Err(NetworkError::Address(_))
        ));
        assert_eq!(
            Network::parse("10.20.1.5/16"),
            Err(NetworkError::HostBits {
                given: "10.20.1.5/16".into(),
                network: "10.20.0.0/16".into()
            })
        );
    }

    #[test]
    fn an_empty_list_allows_everyone_and_a_list_only_its_members() {
        assert!(allowed(&[], ip("198.51.100.1")));
        let nets = [
            Network::parse("10.20.0.0/16").unwrap(),
            Network::parse("2001:db8::/32").unwrap(),
        ];
        assert!(allowed(&nets, ip("10.20.9.9")));
        assert!(allowed(&nets, ip("2001:db8::5")));
        assert!(!allowed(&nets, ip("127.0.0.1")));
    }

    #[test]
    fn networks_round_trip_through_text() {
        for text in ["10.20.0.0/16", "0.0.0.0/0", "2001:db8::/32", "127.0.0.1/32"] {
            assert_eq!(Network::parse(text).unwrap().to_string(), text);
        }
    }
}
