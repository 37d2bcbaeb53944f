//! intermittent-failure: the same server both succeeds and fails; what differs.
use crate::model::{Analysis, Connection, Status};
use crate::rules::cross::server_keys;
use crate::rules::transport::facts::{max_offered, version_label};
use crate::rules::{Context, Finding};
use std::collections::{BTreeMap, BTreeSet};

declare_rule! {
    INTERMITTENT_FAILURE {
        id: "intermittent-failure",
        severity: Warning,
        title: "the same server both succeeds and fails",
        explanation: "Some connections to this server name and port completed their handshake and others failed. That points at something that varies between connections rather than a plain misconfiguration: one backend behind a load balancer with a different certificate or TLS settings, different clients (library versions with different defaults), clients that sometimes omit SNI, or a network path that sometimes drops packets. The attributes below are those whose values never overlap between the working and the failing group.",
        remediation: "Follow the attribute that separates the groups: a server address ⇒ fix that backend (test it directly with `openssl s_client -connect BACKEND:PORT -servername NAME`); a client fingerprint (JA4) or version ⇒ update or reconfigure those clients; SNI presence ⇒ make those clients send SNI; a certificate ⇒ deploy the current one on every backend.",
        fires_on: ["intermittent-server-cert.pcap"],
        quiet_on: ["tls12-ok.pcap", "session-resumed.pcap"],
        check: Capture(check),
    }
}

type Attr = (&'static str, fn(&Connection) -> String);

const ATTRIBUTES: &[Attr] = &[
    ("server address", |c| c.server.to_string()),
    ("negotiated version", |c| {
        c.tls
            .as_ref()
            .and_then(|t| t.version.as_ref())
            .map_or("none".into(), version_label)
    }),
    ("cipher suite", |c| {
        c.tls
            .as_ref()
            .and_then(|t| t.cipher_suite.as_ref())
            .map_or("none".into(), |s| s.label())
    }),
    ("client highest version", |c| {
        c.tls
            .as_ref()
            .and_then(|t| t.client_hello.as_ref())
            .and_then(max_offered)
            .map_or("none".into(), version_label)
    }),
    ("client fingerprint (JA4)", |c| {
        c.tls
            .as_ref()
            .and_then(|t| t.client_hello.as_ref())
            .map_or("none".into(), |o| {
                if o.ja4.is_empty() {
                    o.ja3_hash.clone()
                } else {
                    o.ja4.clone()
                }
            })
    }),
    ("SNI", |c| {
        if c.tls.as_ref().is_some_and(|t| t.sni.is_some()) {
            "sent".into()
        } else {
            "not sent".into()
        }
    }),
    ("server certificate", |c| {
        c.tls
            .as_ref()
            .and_then(|t| t.server_certificates.as_ref())
            .and_then(|ch| ch.leaf())
            .map_or("none seen".into(), |l| {
                format!(
                    "{} serial {}",
                    l.subject_cn.clone().unwrap_or_else(|| l.subject.clone()),
                    l.serial
                )
            })
    }),
];

fn check(a: &Analysis, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let keys = server_keys(a);
    let mut groups: BTreeMap<&str, (Vec<&Connection>, Vec<&Connection>)> = BTreeMap::new();
    for (c, key) in a.connections.iter().zip(&keys) {
        if c.tls.as_ref().is_none_or(|t| t.client_hello.is_none()) {
            continue;
        }
        let g = groups.entry(key.as_str()).or_default();
        match c.outcome.status {
            Status::Completed => g.0.push(c),
            Status::Failed => g.1.push(c),
            _ => {}
        }
    }
    for (key, (ok, failed)) in groups {
        let Some(first_fail) = failed.first() else {
            continue;
        };
        if ok.is_empty() {
            continue;
        }
        let diffs = differences(&ok, &failed);
        let reason = first_fail.outcome.reason.trim_end_matches('.');
        let summary = if diffs.is_empty() {
            "No recorded attribute (server address, versions, cipher suite, client fingerprint, SNI, certificate) separates the two groups; the cause varies inside the servers or the network.".to_string()
        } else {
            format!("What separates them: {}.", diffs.join("; "))
        };
        let mut f = Finding::new(
            &INTERMITTENT_FAILURE,
            Some(first_fail.id),
            format!(
                "{key}: {} of {} connections failed",
                failed.len(),
                ok.len() + failed.len()
            ),
            format!(
                "Connections to {key}: {} completed ({}), {} failed ({}){}. {summary}",
                ok.len(),
                ids(&ok),
                failed.len(),
                ids(&failed),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!("; the first failure: {reason}")
                }
            ),
        )
        .frames([first_fail.first_frame]);
        for d in diffs {
            f = f.fact(d);
        }
        out.push(f);
    }
}

fn ids(conns: &[&Connection]) -> String {
    let mut s: Vec<String> = conns.iter().take(10).map(|c| c.id.to_string()).collect();
    if conns.len() > 10 {
        s.push("…".into());
    }
    s.join(", ")
}

/// Attributes whose value sets do not overlap between the two groups.
fn differences(ok: &[&Connection], failed: &[&Connection]) -> Vec<String> {
    ATTRIBUTES
        .iter()
        .filter_map(|(name, get)| {
            let good: BTreeSet<String> = ok.iter().map(|c| get(c)).collect();
            let bad: BTreeSet<String> = failed.iter().map(|c| get(c)).collect();
            good.is_disjoint(&bad)
                .then(|| format!("{name}: working {} vs failing {}", join(&good), join(&bad)))
        })
        .collect()
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::ConnId;

    fn with(id: u32, status: Status, server: &str, serial: &str) -> Connection {
        let mut c = completed12();
        c.id = ConnId(id);
        c.outcome.status = status;
        c.server = server.parse().expect("literal");
        if let Some(t) = c.tls.as_mut() {
            let mut cert = cert("server.tlsdiag.test", &["server.tlsdiag.test"], serial);
            let mut s = (*cert.summary).clone();
            s.serial = serial.into();
            cert.summary = std::sync::Arc::new(s);
            t.server_certificates = Some(chain(6, vec![cert]));
        }
        c
    }

    #[test]
    fn names_the_backend_and_certificate_that_differ() {
        let a = analysis(vec![
            with(1, Status::Completed, "10.0.0.9:443", "01"),
            with(2, Status::Failed, "10.0.0.10:443", "02"),
            with(3, Status::Completed, "10.0.0.9:443", "01"),
        ]);
        let out = run_capture(check, &a);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].connection, Some(ConnId(2)));
        assert_eq!(
            out[0].title,
            "server.tlsdiag.test:443: 1 of 3 connections failed"
        );
        let e = &out[0].explanation;
        assert!(
            e.contains("server address: working 10.0.0.9:443 vs failing 10.0.0.10:443"),
            "{e}"
        );
        assert!(e.contains("server certificate: working server.tlsdiag.test serial 01 vs failing server.tlsdiag.test serial 02"), "{e}");
        assert!(
            !e.contains("negotiated version:"),
            "same version in both groups: {e}"
        );
    }

    #[test]
    fn all_working_or_all_failing_is_quiet() {
        let a = analysis(vec![
            with(1, Status::Failed, "10.0.0.9:443", "01"),
            with(2, Status::Failed, "10.0.0.9:443", "01"),
        ]);
        assert!(run_capture(check, &a).is_empty());
    }
}
