//! The MQTT client ids of a publisher's two broker sessions (the live feed and the notice
//! broadcaster). Both are clean sessions, so an id need not survive a restart, but it must be
//! unique: a broker disconnects the older session when a second client connects with its id, and
//! replicas in containers share the PID and port that ids were once made of.

/// The feed's and the broadcaster's ids: `{configured}` and `{configured}-notices`, or, without
/// a setting, `envmon-publisher-{host}-{random}` and `envmon-notices-{host}-{random}`.
pub(crate) fn client_ids(configured: Option<&str>) -> (String, String) {
    match configured {
        Some(id) => (id.to_owned(), format!("{id}-notices")),
        None => {
            let (host, suffix) = (host_name(), random_suffix());
            (
                format!("envmon-publisher-{host}-{suffix}"),
                format!("envmon-notices-{host}-{suffix}"),
            )
        }
    }
}

/// The machine's (or container's) name, reduced to the characters every broker accepts in a
/// client id, at most 32 of them.
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let name: String = name
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    if name.is_empty() {
        "host".to_owned()
    } else {
        name
    }
}

/// Eight hex digits from the system's randomness (the clock's nanoseconds should it fail).
fn random_suffix() -> String {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_setting_or_unique_per_process() {
        assert_eq!(
            client_ids(Some("pub-a")),
            ("pub-a".to_owned(), "pub-a-notices".to_owned())
        );
        let (feed, notices) = client_ids(None);
        assert!(feed.starts_with("envmon-publisher-"), "{feed}");
        assert!(notices.starts_with("envmon-notices-"), "{notices}");
        assert_eq!(feed.rsplit('-').next(), notices.rsplit('-').next());
        // Two publishers on one host (same PID and port in containers) differ.
        assert_ne!(client_ids(None).0, client_ids(None).0);
        assert!(feed.len() <= 64);
    }
}
