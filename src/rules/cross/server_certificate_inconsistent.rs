//! server-certificate-inconsistent: one server name presents different
//! certificates within one capture.
use crate::certs::CertSummary;
use crate::model::{Analysis, Connection};
use crate::rules::cross::server_keys;
use crate::rules::{Context, Finding};
use crate::types::Timestamp;
use std::collections::BTreeMap;

declare_rule! {
    SERVER_CERTIFICATE_INCONSISTENT {
        id: "server-certificate-inconsistent",
        severity: Warning,
        title: "the same server presents different certificates",
        explanation: "Connections to the same server name and port received different leaf certificates in one capture. Behind a load balancer this usually means one backend (or one node of a cluster, or one CDN edge) still has an old, expired or wrongly named certificate after a renewal, so only some connections fail — the classic \"works sometimes\" problem. It can also be a planned rollout in progress.",
        remediation: "Find which backend serves which certificate (the server addresses below; behind one VIP, check each backend directly: `openssl s_client -connect BACKEND:PORT -servername NAME | openssl x509 -noout -serial -enddate -fingerprint -sha256`) and deploy the current certificate everywhere; reload every instance after a renewal.",
        fires_on: ["intermittent-server-cert.pcap"],
        quiet_on: ["tls12-ok.pcap", "session-resumed.pcap"],
        check: Capture(check),
    }
}

struct Variant<'a> {
    cert: &'a CertSummary,
    conns: Vec<&'a Connection>,
}

fn check(a: &Analysis, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let keys = server_keys(a);
    let mut groups: BTreeMap<&str, Vec<Variant<'_>>> = BTreeMap::new();
    for (c, key) in a.connections.iter().zip(&keys) {
        let Some(leaf) = c
            .tls
            .as_ref()
            .and_then(|t| t.server_certificates.as_ref())
            .and_then(|ch| ch.leaf())
        else {
            continue;
        };
        let variants = groups.entry(key.as_str()).or_default();
        match variants.iter_mut().find(|v| v.cert.sha256 == leaf.sha256) {
            Some(v) => v.conns.push(c),
            None => variants.push(Variant {
                cert: leaf,
                conns: vec![c],
            }),
        }
    }
    for (key, mut variants) in groups {
        if variants.len() < 2 {
            continue;
        }
        variants.sort_by_key(|v| std::cmp::Reverse(v.conns.len()));
        let Some(odd) = variants.last() else { continue };
        let Some(first_odd) = odd.conns.first() else {
            continue;
        };
        let at = first_odd
            .tls
            .as_ref()
            .and_then(|t| t.server_certificates.as_ref())
            .map(|c| c.frame);
        let lines: Vec<String> = variants
            .iter()
            .map(|v| describe(v, first_odd.first_ts))
            .collect();
        let mut f = Finding::new(
            &SERVER_CERTIFICATE_INCONSISTENT,
            Some(first_odd.id),
            format!("{key} presented {} different certificates", variants.len()),
            format!(
                "Connections to {key} received {} different server certificates in this capture: {}. Clients may succeed or fail depending on which one they get.",
                variants.len(),
                lines.join("; ")
            ),
        )
        .frames(at);
        for l in lines {
            f = f.fact(l);
        }
        out.push(f);
    }
}

fn describe(v: &Variant<'_>, when: Timestamp) -> String {
    let c = v.cert;
    let mut servers: Vec<String> = v.conns.iter().map(|c| c.server.to_string()).collect();
    servers.sort();
    servers.dedup();
    let expiry = match c.not_after {
        Some(t) if t < when => format!("expired {}", t.human()),
        Some(t) => format!("valid until {}", t.human()),
        None => "validity unknown".to_string(),
    };
    format!(
        "{} (serial {}, {expiry}, sha256 {}…) on connections {} from {}",
        c.subject_cn.clone().unwrap_or_else(|| c.subject.clone()),
        c.serial,
        c.sha256.get(..16).unwrap_or(&c.sha256),
        v.conns
            .iter()
            .map(|c| c.id.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        servers.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::ConnId;

    fn with_cert(id: u32, sha: &str) -> Connection {
        let mut c = completed12();
        c.id = ConnId(id);
        if let Some(t) = c.tls.as_mut() {
            t.server_certificates = Some(chain(
                6,
                vec![cert("server.tlsdiag.test", &["server.tlsdiag.test"], sha)],
            ));
        }
        c
    }

    #[test]
    fn odd_certificate_is_reported_once_per_server() {
        let a = analysis(vec![
            with_cert(1, "aaaa"),
            with_cert(2, "bbbb"),
            with_cert(3, "aaaa"),
        ]);
        let out = run_capture(check, &a);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].connection, Some(ConnId(2)));
        assert_eq!(
            out[0].title,
            "server.tlsdiag.test:443 presented 2 different certificates"
        );
        assert!(
            out[0]
                .explanation
                .contains("on connections #2 from 10.0.0.9:443"),
            "{}",
            out[0].explanation
        );
        let same = analysis(vec![with_cert(1, "aaaa"), with_cert(2, "aaaa")]);
        assert!(run_capture(check, &same).is_empty());
    }
}
