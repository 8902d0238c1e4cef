//! Who may speak for a station over HJ 212.
//!
//! HJ 212 names a data logger by its MN and authenticates it by nothing but
//! the `PW` field (§6.3.2), sent in clear in every packet. envmon checks the
//! PW of every packet against the station's secret, stored hashed
//! ([`SecretHash`]); over TCP the logger's address must also be in the
//! station's networks, when it has any. A station without a secret is
//! refused unless `[ingest] hj212_require_secret` is false.
//!
//! [`authenticate`] is the decision, pure. Verified PWs are remembered per
//! credential, so the steady stream of packets from a logger costs a string
//! comparison rather than an HMAC.

use std::net::IpAddr;
use std::sync::Mutex;

use envmon_core::logger_secret::SecretHash;
use envmon_core::network::{self, Network};

/// What the platform knows of a station's logger: its hashed secret, if set,
/// and the networks it may connect from (empty: anywhere).
pub struct LoggerCredential {
    secret: Option<SecretHash>,
    networks: Vec<Network>,
    /// The PW that last verified against `secret`. A directory reload builds
    /// new credentials, so a changed secret is never served from here.
    verified: Mutex<Option<Box<str>>>,
}

impl std::fmt::Debug for LoggerCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoggerCredential")
            .field("has_secret", &self.secret.is_some())
            .field("networks", &self.networks)
            .finish_non_exhaustive()
    }
}

impl LoggerCredential {
    /// A credential from the registry's networks and the stored secret.
    pub fn new(secret: Option<SecretHash>, networks: Vec<Network>) -> Self {
        Self {
            secret,
            networks,
            verified: Mutex::new(None),
        }
    }

    /// Whether a secret is set.
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// Whether `pw` is the secret: from the remembered PW when it is that
    /// one, else by the HMAC (and then remembered).
    fn verify(&self, secret: &SecretHash, pw: &str) -> bool {
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified
            .as_deref()
            .is_some_and(|known| constant_time_eq(known.as_bytes(), pw.as_bytes()))
        {
            return true;
        }
        let ok = secret.verify(pw);
        if ok {
            *verified = Some(pw.into());
        }
        ok
    }
}

/// Why a logger whose MN is registered is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its station has no secret and secrets are required.
    NoSecret,
    /// The PW is missing or is not the station's secret.
    Password,
    /// It connected from outside its station's networks.
    Network(IpAddr),
}

impl Refusal {
    /// The dead letter's reason code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoSecret => "hj212_no_secret",
            Self::Password => "hj212_password",
            Self::Network(_) => "hj212_network",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSecret => f.write_str(
                "its station has no logger secret set, and [ingest] hj212_require_secret is on",
            ),
            Self::Password => f.write_str("its PW is missing or is not its station's secret"),
            Self::Network(peer) => write!(
                f,
                "it connected from {peer}, outside its station's hj212_networks"
            ),
        }
    }
}

/// Lets a packet in, or says why not. `credential` is what the station has
/// (`None`: neither secret nor networks), `pw` the packet's PW, `peer` the
/// TCP peer (`None` on MQTT, where the broker knows the sender and the
/// networks do not apply).
///
/// The network is checked first, so a logger outside its networks learns
/// nothing about its PW.
///
/// # Errors
/// The [`Refusal`].
pub fn authenticate(
    credential: Option<&LoggerCredential>,
    pw: Option<&str>,
    peer: Option<IpAddr>,
    require_secret: bool,
) -> Result<(), Refusal> {
    if let (Some(credential), Some(peer)) = (credential, peer)
        && !network::allowed(&credential.networks, peer)
    {
        return Err(Refusal::Network(peer));
    }
    match credential.and_then(|c| c.secret.as_ref().map(|s| (c, s))) {
        Some((credential, secret)) => match pw {
            Some(pw) if credential.verify(secret, pw) => Ok(()),
            _ => Err(Refusal::Password),
        },
        None if require_secret => Err(Refusal::NoSecret),
        None => Ok(()),
    }
}

/// Equality that takes as long for a near miss as for a wild guess.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(secret: Option<&str>, networks: &[&str]) -> LoggerCredential {
        LoggerCredential::new(
            secret.map(|s| SecretHash::new(s).unwrap()),
            networks
                .iter()
                .map(|n| Network::parse(n).unwrap())
                .collect(),
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_right_pw_is_let_in_and_any_other_refused() {
        let c = credential(Some("s3cret-1"), &[]);
        assert_eq!(authenticate(Some(&c), Some("s3cret-1"), None, true), Ok(()));
        for pw in [Some("s3cret-2"), Some(""), Some("s3cret-1 "), None] {
            assert_eq!(
                authenticate(Some(&c), pw, None, true),
                Err(Refusal::Password),
                "{pw:?}"
            );
        }
        // The secret is checked whether or not secrets are required.
        assert_eq!(
            authenticate(Some(&c), Some("123456"), None, false),
            Err(Refusal::Password)
        );
    }

    #[test]
    fn a_remembered_pw_still_lets_nothing_else_in() {
        let c = credential(Some("s3cret-1"), &[]);
        for _ in 0..3 {
            assert_eq!(authenticate(Some(&c), Some("s3cret-1"), None, true), Ok(()));
        }
        assert_eq!(
            authenticate(Some(&c), Some("s3cret-x"), None, true),
            Err(Refusal::Password)
        );
        assert_eq!(authenticate(Some(&c), Some("s3cret-1"), None, true), Ok(()));
    }

    #[test]
    fn without_a_secret_the_setting_decides() {
        let networks_only = credential(None, &["10.0.0.0/8"]);
        for c in [None, Some(&networks_only)] {
            assert_eq!(
                authenticate(c, Some("anything"), None, true),
                Err(Refusal::NoSecret)
            );
            assert_eq!(authenticate(c, None, None, false), Ok(()));
        }
    }

    #[test]
    fn the_network_is_checked_first_and_only_over_tcp() {
        let c = credential(Some("s3cret-1"), &["10.20.0.0/16"]);
        assert_eq!(
            authenticate(Some(&c), Some("s3cret-1"), Some(ip("10.20.1.2")), true),
            Ok(())
        );
        let outside = ip("192.0.2.1");
        for pw in [Some("s3cret-1"), Some("wrong-pw")] {
            assert_eq!(
                authenticate(Some(&c), pw, Some(outside), true),
                Err(Refusal::Network(outside))
            );
        }
        assert_eq!(
            authenticate(
                Some(&c),
                Some("s3cret-1"),
                Some(ip("::ffff:10.20.9.9")),
                true
            ),
            Ok(())
        );
        // MQTT: no peer address, the broker vouches for the sender.
        assert_eq!(authenticate(Some(&c), Some("s3cret-1"), None, true), Ok(()));
        let no_networks = credential(Some("s3cret-1"), &[]);
        assert_eq!(
            authenticate(Some(&no_networks), Some("s3cret-1"), Some(outside), true),
            Ok(())
        );
    }

    #[test]
    fn debug_shows_no_secret_and_no_pw() {
        let c = credential(Some("s3cret-1"), &[]);
        assert_eq!(authenticate(Some(&c), Some("s3cret-1"), None, true), Ok(()));
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("has_secret: true"), "{shown}");
    }

    #[test]
    fn constant_time_equality_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }
}
