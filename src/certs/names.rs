//! Does a certificate cover the host name the client asked for (RFC 6125)?
//!
//! Rules implemented, and deliberately strict: DNS SANs are the reference
//! identifiers; the subject CN is consulted only when the certificate has no
//! DNS or IP SAN at all; a wildcard is allowed only as the whole left-most
//! label, matches exactly one label, needs at least two labels after it, and
//! never matches an IP address; partial wildcards (`f*o.example.com`) match
//! nothing; comparison is ASCII case-insensitive and ignores a trailing dot.
//! IP literals (optionally in brackets) match iPAddress SANs only.

use super::summary::CertSummary;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Where the names that were checked came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// DNS subjectAltNames (host was a name).
    DnsSan,
    /// IP subjectAltNames (host was an IP literal).
    IpSan,
    /// Subject commonName, because the certificate has no DNS/IP SAN.
    CommonName,
}

/// Result of matching one host against one certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameMatch {
    /// The host as compared (lowercased, trailing dot removed).
    pub host: String,
    /// True when one of `checked` covers the host.
    pub matched: bool,
    /// The certificate name that matched.
    pub matched_name: Option<String>,
    /// Every certificate name that was compared, in certificate order.
    pub checked: Vec<String>,
    /// Which certificate field `checked` came from.
    pub source: NameSource,
}

/// Matches `host` (an SNI value, URL host or IP literal) against `c`.
pub fn matches_host(c: &CertSummary, host: &str) -> NameMatch {
    let host_norm = normalize(host);
    let bare = host_norm.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let hit = c
            .san
            .ip
            .iter()
            .find(|s| s.parse::<IpAddr>().ok() == Some(ip))
            .cloned();
        return NameMatch {
            host: ip.to_string(),
            matched: hit.is_some(),
            matched_name: hit,
            checked: c.san.ip.clone(),
            source: NameSource::IpSan,
        };
    }
    let (checked, source) = if c.san.has_host_names() {
        (c.san.dns.clone(), NameSource::DnsSan)
    } else {
        (
            c.subject_cn.iter().cloned().collect(),
            NameSource::CommonName,
        )
    };
    let hit = checked
        .iter()
        .find(|pattern| dns_name_matches(pattern, &host_norm))
        .cloned();
    NameMatch {
        host: host_norm,
        matched: hit.is_some(),
        matched_name: hit,
        checked,
        source,
    }
}

fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// One certificate name (possibly `*.rest`) against a normalised host.
fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = normalize(pattern);
    if host.is_empty() || host.contains('*') {
        return false;
    }
    if !pattern.contains('*') {
        return pattern == host;
    }
    let Some(rest) = pattern.strip_prefix("*.") else {
        return false;
    };
    if rest.contains('*') || !rest.contains('.') {
        return false;
    }
    match host.split_once('.') {
        Some((first, host_rest)) => !first.is_empty() && host_rest == rest,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::dns_name_matches;

    #[test]
    fn wildcard_rules() {
        assert!(dns_name_matches("*.example.com", "a.example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("f*o.example.com", "foo.example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("a.*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        assert!(dns_name_matches("WWW.Example.COM.", "www.example.com"));
    }
}
