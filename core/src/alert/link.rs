//! Which links a notice may carry (`cap_url`, `evidence_url`): an absolute
//! `http(s)` URL with a host, or a path on this site. Anything else
//! (`javascript:`, `data:`, a protocol-relative `//host`, a backslash that
//! browsers read as a slash) could run script on the page that shows the
//! notice or send its readers elsewhere, so it is refused on issue, on
//! relay and again by the page before it renders a link
//! (`dashboard/trust.js` holds the same rule).

/// Longest link accepted.
pub const MAX_LINK_CHARS: usize = 2000;

/// Whether `url` is a link a notice may carry.
///
/// ```
/// use envmon_core::alert::link::is_safe_link;
/// assert!(is_safe_link("https://air.example.gov.cn/a.cap"));
/// assert!(is_safe_link("/api/v1/stations/1141A/latest"));
/// assert!(!is_safe_link("javascript:alert(1)"));
/// assert!(!is_safe_link("//evil.example/x"));
/// ```
pub fn is_safe_link(url: &str) -> bool {
    if url.is_empty()
        || url.chars().count() > MAX_LINK_CHARS
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    let after_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match after_scheme {
        // A host must follow: `http:///x` or `http://` alone is no link.
        Some(rest) => rest
            .chars()
            .next()
            .is_some_and(|c| !matches!(c, '/' | '?' | '#')),
        // A path on this site, not `//host` (another site).
        None => url.starts_with('/') && !url.starts_with("//"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_links_and_site_paths_pass() {
        for good in [
            "https://air.example.gov.cn/api/v1/alerts/AN-2026-00001.v1.cap",
            "http://127.0.0.1:8080/x",
            "HTTPS://EXAMPLE.ORG/",
            "/api/v1/stations/1141A/latest?range=24h#chart",
            "/",
        ] {
            assert!(is_safe_link(good), "{good}");
        }
    }

    #[test]
    fn script_other_schemes_and_disguised_hosts_fail() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "//evil.example/x",
            "/\\evil.example/x",
            "\\\\evil.example",
            "https:evil.example",
            "https:///x",
            "http://",
            "relative/path",
            "",
            "https://example.org/a b",
            "https://example.org/\u{0}",
        ] {
            assert!(!is_safe_link(bad), "{bad:?}");
        }
        assert!(!is_safe_link(&format!("/{}", "a".repeat(MAX_LINK_CHARS))));
    }
}
