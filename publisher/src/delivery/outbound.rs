//! Outbound HTTP for webhooks and push services: one POST on a connection
//! this module opens itself, to an address it has checked.
//!
//! A subscriber names the URL, so a URL is untrusted input: resolved here,
//! and refused when any of its addresses is loopback, private, link-local,
//! shared (CGNAT), unspecified or multicast (unless the settings allow
//! private addresses, as the tests do). The connection then goes to the
//! address checked, not to a second lookup, so a name cannot change its
//! answer in between. No redirects are followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Request, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Response bodies read at most this far: a challenge answer is short, and
/// nothing else of a body is used.
const MAX_RESPONSE_BYTES: usize = 16 * 1024;

/// Why a request was not answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OutboundError {
    /// Not an http(s) URL with a host.
    #[error("not an http(s) URL with a host")]
    BadUrl,
    /// The host resolves to an address that must not be reached.
    #[error("{0} is a private, loopback or link-local address")]
    Forbidden(IpAddr),
    /// The host does not resolve.
    #[error("cannot resolve the host")]
    Resolve(#[source] std::io::Error),
    /// Connecting, TLS or the exchange failed.
    #[error("the request failed: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

/// An answer: its status and the start of its body.
#[derive(Debug)]
pub(crate) struct OutboundResponse {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// Posts to subscriber-given URLs.
#[derive(Clone)]
pub(crate) struct Outbound {
    allow_private: bool,
    timeout: Duration,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow_private", &self.allow_private)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// A client trusting the system's CA store; ring, as for every other
    /// TLS link of envmon (rustls deprecates it for lacking post-quantum
    /// key exchange; what is sent here is public data anyway).
    #[expect(
        deprecated,
        reason = "ring has no post-quantum key exchange; see above"
    )]
    pub(crate) fn new(allow_private: bool, timeout: Duration) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
            .expect("ring supports the default protocol versions");
        Self {
            allow_private,
            timeout,
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
        }
    }

    /// Whether `url` is one this client would try: http(s) with a host.
    pub(crate) fn check_url(url: &str) -> Result<Uri, OutboundError> {
        let uri: Uri = url.parse().map_err(|_| OutboundError::BadUrl)?;
        match (uri.scheme_str(), uri.host()) {
            (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(uri),
            _ => Err(OutboundError::BadUrl),
        }
    }

    /// POSTs `body` to `url` with `headers`; any status is an answer.
    pub(crate) async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<OutboundResponse, OutboundError> {
        tokio::time::timeout(self.timeout, self.exchange(url, headers, body))
            .await
            .map_err(|_| OutboundError::Timeout(self.timeout))?
    }

    async fn exchange(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<OutboundResponse, OutboundError> {
        let uri = Self::check_url(url)?;
        let https = uri.scheme_str() == Some("https");
        let host = uri.host().ok_or(OutboundError::BadUrl)?.to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let addr = self.resolve(host.trim_matches(['[', ']']), port).await?;
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        let authority = uri
            .authority()
            .map_or_else(|| host.clone(), ToString::to_string);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = Request::post(path).header("host", authority);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .header("content-length", body.len())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        if https {
            let name =
                rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                    .map_err(|_| OutboundError::BadUrl)?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|e| OutboundError::Transport(e.to_string()))?;
            send(TokioIo::new(tls), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
    }

    /// The first address of `host`, after checking every one of them.
    async fn resolve(&self, host: &str, port: u16) -> Result<SocketAddr, OutboundError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(OutboundError::Resolve)?
            .collect();
        if !self.allow_private
            && let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip()))
        {
            return Err(OutboundError::Forbidden(bad.ip()));
        }
        addrs.first().copied().ok_or_else(|| {
            OutboundError::Resolve(std::io::Error::other("no addresses for the host"))
        })
    }
}

async fn send<I>(io: I, request: Request<Full<Bytes>>) -> Result<OutboundResponse, OutboundError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let failed = |e: hyper::Error| OutboundError::Transport(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(failed)?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(failed);
    let outcome = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            // A body too long or broken still leaves the status as the answer.
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            Ok(OutboundResponse { status, body })
        }
        Err(e) => Err(e),
    };
    driver.abort();
    outcome
}

/// Addresses a subscriber's URL must not reach: this machine, the private
/// networks behind it, link-local (cloud metadata at 169.254.169.254),
/// shared address space, unspecified, broadcast and multicast.
pub(crate) fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                // RFC 6598 shared address space, 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "101.226.4.6"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_loopback_url_is_refused_after_resolution() {
        let outbound = Outbound::new(false, Duration::from_secs(2));
        let refused = outbound
            .post("http://localhost:9/hook", &[], b"{}".to_vec())
            .await;
        assert!(
            matches!(refused, Err(OutboundError::Forbidden(_))),
            "{refused:?}"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_tried() {
        assert!(Outbound::check_url("https://example.org/hook").is_ok());
        assert!(Outbound::check_url("ftp://example.org/").is_err());
        assert!(Outbound::check_url("/relative").is_err());
    }
}
