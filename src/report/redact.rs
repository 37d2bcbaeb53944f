//! `--redact`: a copy of the analysis with client addresses and names
//! replaced by stable pseudonyms, so a report can go into a ticket. The app
//! applies it before rendering, so every format gets the same redaction.
//!
//! Choices (documented in the `--redact` help):
//! - Pseudonyms are numbered in order of appearance (connections in order,
//!   then findings), so the same input gets the same pseudonym within one
//!   report, and nothing is derived from the original value: no key is
//!   needed and nothing can be reversed. Two reports are not correlatable.
//! - Client IPs become documentation addresses: IPv4 192.0.2.1–254, then
//!   198.51.100.x and 203.0.113.x (RFC 5737), then 198.18.0.0/15 (RFC 2544);
//!   IPv6 becomes 2001:db8::N (RFC 3849). Ports are kept. An address that
//!   also appears as a server is redacted there too. A pseudonym that would
//!   collide with an address left in the report is skipped.
//! - Host names are pseudonymised label by label, keeping the public suffix
//!   approximately (the last label, or the last two when the second-to-last
//!   is `co`, `com`, `net`, `org`, `gov`, `ac`, `edu` or `ne` under a
//!   two-letter TLD — no public-suffix list): `www.example.co.uk` →
//!   `host-1.domain-1.co.uk`, `*.example.co.uk` → `*.domain-1.co.uk`, so a
//!   wildcard still visibly covers the same names.
//! - Distinguished names keep their attribute types; every value except
//!   `C=` becomes a pseudonym (`CN=` values that look like host names as
//!   above, others `name-N`).
//! - Free text (finding titles, explanations, facts, outcome reasons,
//!   warnings, previews) is scanned for addresses and host names that belong
//!   to a redacted domain, and for redacted DN values of 3 or more
//!   characters (shorter values are only replaced inside DNs).
//! - With names redacted, certificate DER, fingerprints, serials and key
//!   ids are replaced too (a fingerprint or serial finds the certificate,
//!   and its names, in public CT logs); `tlsdiag certs` then exports nothing.

use crate::certs::CertSummary;
use crate::model::{Analysis, Cert, Chain, Connection};
use crate::rules::Finding;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// What to redact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedactWhat {
    /// Client IP addresses.
    pub ips: bool,
    /// SNI, certificate names, CA names, and their mentions in texts.
    pub names: bool,
}

/// Returns a redacted copy of `analysis`.
pub fn redact(analysis: &Analysis, what: RedactWhat) -> Analysis {
    let mut p = Pseudonyms::collect(analysis, what);
    let mut a = analysis.clone();
    // Names first (they number the pseudonyms), then every free text.
    for c in &mut a.connections {
        p.connection_fields(c);
    }
    for c in &mut a.connections {
        p.connection_texts(c);
    }
    for f in &mut a.findings {
        p.finding(f);
    }
    for w in &mut a.capture.warnings {
        w.message = p.text(&w.message);
    }
    for l in &mut a.capture.limits_hit {
        *l = p.text(l);
    }
    for s in &mut a.summary.servers {
        s.server = p.text(&s.server);
        s.certificates = std::mem::take(&mut s.certificates)
            .into_iter()
            .map(|(k, n)| (p.text(&k), n))
            .collect();
    }
    a
}

/// The pseudonym of every client address of `connections`, numbered in
/// order of appearance (see the module doc). `redact` and `tlsdiag redact`
/// (which rewrites the packets) share it, so a redacted capture and a
/// redacted report of the original name the same clients alike.
pub fn client_ip_pseudonyms(connections: &[Connection]) -> HashMap<IpAddr, IpAddr> {
    let clients: HashSet<IpAddr> = connections.iter().map(|c| c.client.ip()).collect();
    let mut p = Pseudonyms {
        kept: connections
            .iter()
            .map(|c| c.server.ip())
            .filter(|ip| !clients.contains(ip))
            .collect(),
        ..Pseudonyms::default()
    };
    for c in connections {
        p.ip(c.client.ip());
    }
    p.ips
}

/// Second-to-last labels that, under a two-letter TLD, form a public suffix.
const SECOND_LEVEL: &[&str] = &["co", "com", "net", "org", "gov", "ac", "edu", "ne"];

/// The state of one redaction: original → pseudonym maps, numbered on first sight.
#[derive(Default)]
struct Pseudonyms {
    what: RedactWhat,
    ips: HashMap<IpAddr, IpAddr>,
    /// Addresses that stay in the report (servers): pseudonyms must avoid them.
    kept: HashSet<IpAddr>,
    v4_next: u32,
    v6_next: u32,
    /// Lowercased host label → pseudonym label.
    labels: HashMap<String, String>,
    /// Registrable domains (lowercased `label.suffix`) whose names are redacted.
    domains: HashSet<String>,
    /// DN values (not host names) → `name-N`.
    values: HashMap<String, String>,
    /// Certificate fingerprint → pseudonym.
    certs: HashMap<String, usize>,
    hosts_n: usize,
    domains_n: usize,
}

impl Pseudonyms {
    /// Numbers client addresses in order of appearance and records the
    /// redacted domains, so free text anywhere can be scanned afterwards.
    fn collect(a: &Analysis, what: RedactWhat) -> Pseudonyms {
        let mut p = Pseudonyms {
            what,
            ..Pseudonyms::default()
        };
        if what.ips {
            p.ips = client_ip_pseudonyms(&a.connections);
        }
        if what.names {
            for c in &a.connections {
                for name in host_names_of(c) {
                    p.register_domain(&name);
                }
            }
        }
        p
    }

    fn register_domain(&mut self, name: &str) {
        if let Some((_, registrable, _)) = split_host(name) {
            self.domains.insert(registrable);
        }
    }

    /// The pseudonym of a client address (other addresses are kept).
    fn ip(&mut self, ip: IpAddr) -> IpAddr {
        if let Some(p) = self.ips.get(&ip) {
            return *p;
        }
        let pseudo = loop {
            let candidate = match ip {
                IpAddr::V4(_) => {
                    self.v4_next += 1;
                    IpAddr::V4(doc_v4(self.v4_next))
                }
                IpAddr::V6(_) => {
                    self.v6_next += 1;
                    IpAddr::V6(Ipv6Addr::new(
                        0x2001,
                        0xdb8,
                        0,
                        0,
                        0,
                        0,
                        (self.v6_next >> 16) as u16,
                        self.v6_next as u16,
                    ))
                }
            };
            if !self.kept.contains(&candidate) {
                break candidate;
            }
        };
        self.ips.insert(ip, pseudo);
        pseudo
    }

    fn addr(&mut self, a: SocketAddr) -> SocketAddr {
        match self.ips.get(&a.ip()) {
            Some(p) => SocketAddr::new(*p, a.port()),
            None => a,
        }
    }

    /// Addresses and names in the structured fields.
    fn connection_fields(&mut self, c: &mut Connection) {
        if self.what.ips {
            c.client = self.addr(c.client);
            c.server = self.addr(c.server);
            c.tcp.client = c.client;
            c.tcp.server = c.server;
        }
        let Some(t) = &mut c.tls else { return };
        if !self.what.names {
            return;
        }
        t.sni = t.sni.as_deref().map(|s| self.host(s));
        for chain in [&mut t.server_certificates, &mut t.client_certificates]
            .into_iter()
            .flatten()
        {
            self.chain(chain);
        }
        if let Some(req) = &mut t.certificate_request {
            req.ca_names = req.ca_names.iter().map(|n| self.dn(n)).collect();
        }
    }

    /// Free texts of a connection.
    fn connection_texts(&mut self, c: &mut Connection) {
        c.outcome.reason = self.text(&c.outcome.reason);
        c.history = self.text(&c.history);
        if let Some(crate::model::EndedBy::Alert { description, .. }) = &mut c.outcome.ended_by {
            *description = self.text(description);
        }
        let Some(t) = &mut c.tls else { return };
        if let Some(np) = &mut t.not_tls {
            np.preview = self.text(&np.preview);
        }
        for w in &mut t.malformed {
            w.message = self.text(&w.message);
        }
        for l in &mut t.limits_hit {
            *l = self.text(l);
        }
        for e in &mut t.timeline {
            e.what = self.text(&e.what).into();
        }
        if let Some(ch) = &mut t.client_hello {
            ch.alpn = ch.alpn.iter().map(|x| self.text(x)).collect();
        }
    }

    fn chain(&mut self, chain: &mut Chain) {
        chain.malformed = chain.malformed.as_deref().map(|m| self.text(m));
        for cert in &mut chain.certificates {
            *cert = Cert {
                summary: Arc::new(self.cert(&cert.summary)),
            };
        }
    }

    fn cert(&mut self, c: &CertSummary) -> CertSummary {
        let next = self.certs.len() + 1;
        let n = *self.certs.entry(c.sha256.clone()).or_insert(next);
        let mut r = c.clone();
        r.subject = self.dn(&c.subject);
        r.issuer = self.dn(&c.issuer);
        r.subject_cn = c.subject_cn.as_deref().map(|v| self.dn_value("CN", v));
        r.issuer_cn = c.issuer_cn.as_deref().map(|v| self.dn_value("CN", v));
        r.san.dns = c.san.dns.iter().map(|d| self.host(d)).collect();
        r.san.uri = c.san.uri.iter().map(|u| self.text(u)).collect();
        r.san.email = c.san.email.iter().map(|e| self.email(e)).collect();
        r.sha256 = format!("redacted-certificate-{n}");
        r.serial = format!("redacted-{n}");
        r.subject_key_id = c.subject_key_id.as_ref().map(|_| format!("redacted-{n}"));
        r.authority_key_id = c.authority_key_id.as_ref().map(|_| "redacted".to_string());
        r.raw_subject.clear();
        r.raw_issuer.clear();
        r.der.clear();
        r.parse_error = c.parse_error.as_deref().map(|e| self.text(e));
        r.extension_errors = c.extension_errors.iter().map(|e| self.text(e)).collect();
        r
    }

    fn finding(&mut self, f: &mut Finding) {
        f.title = self.text(&f.title);
        f.explanation = self.text(&f.explanation);
        f.remediation = self.text(&f.remediation).into();
        f.evidence.facts = f.evidence.facts.iter().map(|s| self.text(s)).collect();
    }

    /// A host name, label by label (see the module doc). Not a host name
    /// (spaces, empty labels): treated as an opaque value.
    fn host(&mut self, name: &str) -> String {
        let Some((labels, registrable, suffix)) = split_host(name) else {
            return self.value(name);
        };
        self.domains.insert(registrable);
        let last = labels.len().saturating_sub(1);
        let mut out: Vec<String> = Vec::with_capacity(labels.len() + 1);
        for (i, label) in labels.iter().enumerate() {
            if label == "*" {
                out.push("*".into());
                continue;
            }
            let domain = i == last;
            let key = if domain {
                format!("domain:{label}")
            } else {
                format!("host:{label}")
            };
            let pseudo = match self.labels.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p = if domain {
                        self.domains_n += 1;
                        format!("domain-{}", self.domains_n)
                    } else {
                        self.hosts_n += 1;
                        format!("host-{}", self.hosts_n)
                    };
                    self.labels.insert(key, p.clone());
                    p
                }
            };
            out.push(pseudo);
        }
        out.push(suffix);
        out.join(".")
    }

    fn email(&mut self, e: &str) -> String {
        match e.rsplit_once('@') {
            Some((_, domain)) => {
                let user = self.value(e);
                format!("{}@{}", user.replace("name-", "user-"), self.host(domain))
            }
            None => self.value(e),
        }
    }

    /// An opaque value → `name-N`.
    fn value(&mut self, v: &str) -> String {
        let next = format!("name-{}", self.values.len() + 1);
        self.values.entry(v.to_string()).or_insert(next).clone()
    }

    fn dn_value(&mut self, attr: &str, v: &str) -> String {
        if attr.eq_ignore_ascii_case("C") {
            v.to_string()
        } else if attr.eq_ignore_ascii_case("CN") && split_host(v).is_some() {
            self.host(v)
        } else {
            self.value(v)
        }
    }

    /// An RFC 4514-like DN (`C=US, O=Acme, Inc., CN=x`): each value replaced.
    fn dn(&mut self, dn: &str) -> String {
        let parts: Vec<(String, String)> = split_dn(dn);
        if parts.is_empty() {
            return if dn.is_empty() {
                String::new()
            } else {
                self.value(dn)
            };
        }
        let out: Vec<String> = parts
            .iter()
            .map(|(k, v)| format!("{k}={}", self.dn_value(k, v)))
            .collect();
        out.join(", ")
    }

    /// Free text: client addresses, host names under a redacted domain, and
    /// DN values already seen are replaced.
    fn text(&mut self, s: &str) -> String {
        let mut out = if self.what.ips && !self.ips.is_empty() {
            self.text_ips(s)
        } else {
            s.to_string()
        };
        if self.what.names {
            out = self.text_hosts(&out);
            out = self.text_values(&out);
        }
        out
    }

    fn text_ips(&self, s: &str) -> String {
        replace_tokens(
            s,
            |c| c.is_ascii_hexdigit() || c == '.' || c == ':',
            |tok| {
                let (core, tail) = split_ip_token(tok)?;
                let pseudo = self.ips.get(&core)?;
                Some(format!("{pseudo}{tail}"))
            },
        )
    }

    fn text_hosts(&mut self, s: &str) -> String {
        let is_host_char =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*' | '@');
        let mut seen: Vec<(String, String)> = Vec::new();
        let tokens: Vec<String> = tokens(s, is_host_char);
        for tok in tokens {
            let trimmed = tok.trim_end_matches('.');
            let (user, host) = match trimmed.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, trimmed),
            };
            let under_redacted =
                split_host(host).is_some_and(|(_, reg, _)| self.domains.contains(&reg));
            if under_redacted {
                let replacement = match user {
                    Some(_) => self.email(trimmed),
                    None => self.host(host),
                };
                seen.push((trimmed.to_string(), replacement));
            }
        }
        replace_tokens(s, is_host_char, |tok| {
            let trimmed = tok.trim_end_matches('.');
            let dots = &tok[trimmed.len()..];
            seen.iter()
                .find(|(o, _)| o == trimmed)
                .map(|(_, r)| format!("{r}{dots}"))
        })
    }

    fn text_values(&self, s: &str) -> String {
        let mut list: Vec<(&String, &String)> = self
            .values
            .iter()
            .filter(|(k, _)| k.chars().count() >= 3)
            .collect();
        list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
        let mut out = s.to_string();
        for (orig, pseudo) in list {
            if out.contains(orig.as_str()) {
                out = out.replace(orig.as_str(), pseudo);
            }
        }
        out
    }
}

/// The `n`th IPv4 documentation / benchmarking address (1-based).
fn doc_v4(n: u32) -> Ipv4Addr {
    let nets = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    let i = n.saturating_sub(1);
    match nets.get((i / 254) as usize) {
        Some(net) => Ipv4Addr::new(net[0], net[1], net[2], (i % 254 + 1) as u8),
        None => {
            // 198.18.0.0/15: 131 072 addresses; wraps (and may repeat) beyond.
            let k = (i - 3 * 254) % (1 << 17);
            Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) + k)
        }
    }
}

/// A token such as `10.0.0.5`, `10.0.0.5:51514`, `2001:db8::1`: the address and what follows it.
fn split_ip_token(tok: &str) -> Option<(IpAddr, &str)> {
    if let Ok(ip) = tok.parse::<IpAddr>() {
        return Some((ip, ""));
    }
    let trimmed = tok.trim_end_matches(['.', ':']);
    if let Ok(ip) = trimmed.parse::<IpAddr>() {
        return Some((ip, &tok[trimmed.len()..]));
    }
    let (host, port) = tok.rsplit_once(':')?;
    let ip = host.parse::<Ipv4Addr>().ok()?;
    port.chars()
        .all(|c| c.is_ascii_digit())
        .then_some((IpAddr::V4(ip), &tok[host.len()..]))
}

/// Host labels (lowercased, without the suffix), the registrable domain
/// (`label.suffix`) and the kept suffix; `None` when `name` is not a
/// dotted host name.
fn split_host(name: &str) -> Option<(Vec<String>, String, String)> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let valid = |l: &&str| {
        !l.is_empty()
            && (*l == "*"
                || l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    };
    if labels.len() < 2
        || !labels.iter().all(valid)
        || labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n = labels.len();
    let tld = labels.get(n - 1)?;
    let second = labels.get(n - 2)?;
    let suffix_len = if n >= 3 && tld.len() == 2 && SECOND_LEVEL.contains(second) {
        2
    } else {
        1
    };
    let suffix = labels.get(n - suffix_len..)?.join(".");
    let rest: Vec<String> = labels
        .get(..n - suffix_len)?
        .iter()
        .map(|s| s.to_string())
        .collect();
    let reg_label = rest.last()?;
    if reg_label == "*" {
        return None;
    }
    Some((rest.clone(), format!("{reg_label}.{suffix}"), suffix))
}

/// `C=US, O=Acme, Inc., CN=x` → pairs; a segment without `TYPE=` continues
/// the previous value.
fn split_dn(dn: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for seg in dn.split(", ") {
        let attr = seg.split_once('=').filter(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        });
        match (attr, out.last_mut()) {
            (Some((k, v)), _) => out.push((k.to_string(), v.to_string())),
            (None, Some(last)) => {
                last.1.push_str(", ");
                last.1.push_str(seg);
            }
            (None, None) => return Vec::new(),
        }
    }
    out
}

/// Every name a connection shows: SNI, certificate names, CA names' CNs.
fn host_names_of(c: &Connection) -> Vec<String> {
    let Some(t) = &c.tls else { return Vec::new() };
    let mut v: Vec<String> = t.sni.iter().cloned().collect();
    let chains = [&t.server_certificates, &t.client_certificates];
    for cert in chains.into_iter().flatten().flat_map(|ch| &ch.certificates) {
        let s = &cert.summary;
        v.extend(s.san.dns.iter().cloned());
        v.extend(s.subject_cn.iter().cloned());
        v.extend(s.issuer_cn.iter().cloned());
        v.extend(
            s.san
                .email
                .iter()
                .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string())),
        );
    }
    for dn in t.certificate_request.iter().flat_map(|r| &r.ca_names) {
        v.extend(
            split_dn(dn)
                .into_iter()
                .filter(|(k, _)| k == "CN")
                .map(|(_, v)| v),
        );
    }
    v
}

/// Maximal runs of `is_tok` characters.
fn tokens(s: &str, is_tok: impl Fn(char) -> bool) -> Vec<String> {
    s.split(|c| !is_tok(c))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Rebuilds `s` with each maximal run of `is_tok` characters replaced when `f` says so.
fn replace_tokens(
    s: &str,
    is_tok: impl Fn(char) -> bool,
    f: impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        let inside = i < s.len() && is_tok(c);
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(b)) => {
                let tok = &s[b..i];
                out.push_str(&f(tok).unwrap_or_else(|| tok.to_string()));
                start = None;
            }
            _ => {}
        }
        if !inside && i < s.len() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_pseudonyms_keep_suffix_and_wildcards() {
        let mut p = Pseudonyms {
            what: RedactWhat {
                ips: false,
                names: true,
            },
            ..Pseudonyms::default()
        };
        assert_eq!(p.host("www.example.co.uk"), "host-1.domain-1.co.uk");
        assert_eq!(p.host("*.Example.co.uk"), "*.domain-1.co.uk");
        assert_eq!(p.host("api.other.com"), "host-2.domain-2.com");
        assert_eq!(p.host("www.example.co.uk"), "host-1.domain-1.co.uk");
    }

    #[test]
    fn ips_in_text_are_replaced_on_token_boundaries() {
        let mut p = Pseudonyms {
            what: RedactWhat {
                ips: true,
                names: false,
            },
            ..Pseudonyms::default()
        };
        let ip: IpAddr = "10.0.0.5"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        p.ip(ip);
        assert_eq!(
            p.text("from 10.0.0.5:51514, not 10.0.0.55."),
            "from 192.0.2.1:51514, not 10.0.0.55."
        );
    }

    #[test]
    fn dn_values_replaced_types_kept() {
        let mut p = Pseudonyms {
            what: RedactWhat {
                ips: false,
                names: true,
            },
            ..Pseudonyms::default()
        };
        assert_eq!(
            p.dn("C=US, O=Acme, Inc., CN=www.acme.com"),
            "C=US, O=name-1, CN=host-1.domain-1.com"
        );
        assert_eq!(
            p.text("issued by Acme, Inc. for www.acme.com"),
            "issued by name-1 for host-1.domain-1.com"
        );
    }

    #[test]
    fn documentation_addresses() {
        assert_eq!(doc_v4(1), Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(doc_v4(255), Ipv4Addr::new(198, 51, 100, 1));
        assert_eq!(doc_v4(763), Ipv4Addr::new(198, 18, 0, 0));
    }
}
