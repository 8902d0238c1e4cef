//! The site's own public origin, as configured: every link the publisher
//! writes (embed codes, oEmbed answers, CAP and Atom links) and every
//! origin it checks (the staff console's `Origin`, the page's CSP) comes
//! from here, never from a request's `Host` header, which anyone can set.
//! A cache in front of the site would otherwise keep and serve an
//! attacker's host name in an embed code to everyone.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An origin: `http` or `https`, a host and an optional port. Nothing
/// else: no path, query, fragment or user name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl {
    https: bool,
    /// Lowercased host name, or an IPv6 address in brackets.
    host: String,
    /// Only when it is not the scheme's default.
    port: Option<u16>,
}

impl PublicUrl {
    /// Parses `http(s)://host[:port]`, with or without a trailing `/`.
    ///
    /// # Errors
    /// Names what is wrong with the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!("{text:?} must start with https:// or http://"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#', '@', '\\']) {
            return Err(format!(
                "{text:?} must be an origin only (scheme, host, optional port): no path, query or user"
            ));
        }
        let (host, port) = split_port(authority).ok_or_else(|| format!("{text:?}: bad port"))?;
        if !valid_host(host) {
            return Err(format!("{text:?}: {host:?} is not a host name or address"));
        }
        let default = if https { 443 } else { 80 };
        Ok(Self {
            https,
            host: host.to_owned(),
            port: port.filter(|p| *p != default),
        })
    }

    /// `http://{addr}`: the fallback on loopback, where no link leaves the
    /// machine.
    pub fn from_addr(addr: std::net::SocketAddr) -> Self {
        let host = match addr.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        Self {
            https: false,
            host,
            port: (addr.port() != 80).then_some(addr.port()),
        }
    }

    /// Whether the scheme is https.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host name (or bracketed address) without the port.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `host[:port]`, as a `Host` header names it.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// `https://host[:port]`, without a trailing slash: links are this
    /// plus a path.
    pub fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.authority())
    }

    /// The WebSocket origin of the same host: `wss://` for https.
    pub fn websocket_origin(&self) -> String {
        let scheme = if self.https { "wss" } else { "ws" };
        format!("{scheme}://{}", self.authority())
    }
}

/// Splits `host:port` (or `[v6]:port`); `None` for an unreadable port.
pub(crate) fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, rest) = authority.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if rest.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> Self {
        url.origin()
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

impl fmt::Debug for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicUrl({})", self.origin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_and_print_without_default_ports() {
        let url = PublicUrl::parse("https://Air.Example.gov.cn/").unwrap();
        assert_eq!(url.origin(), "https://air.example.gov.cn");
        assert_eq!(url.websocket_origin(), "wss://air.example.gov.cn");
        assert!(url.is_https());
        assert_eq!(
            PublicUrl::parse("https://air.example.gov.cn:443").unwrap(),
            url
        );
        let local = PublicUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(local.authority(), "127.0.0.1:8080");
        assert_eq!(local.websocket_origin(), "ws://127.0.0.1:8080");
        let v6 = PublicUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(v6.host(), "[::1]");
        assert_eq!(v6, PublicUrl::from_addr("[::1]:8080".parse().unwrap()));
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in [
            "air.example.gov.cn",
            "ftp://air.example.gov.cn",
            "https://air.example.gov.cn/path",
            "https://user@air.example.gov.cn",
            "https://air.example.gov.cn?x=1",
            "https://",
            "https://air..example",
            "https://air.example:99999",
            "https://a b",
            "http://[not-v6]",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
