//! server-certificate-inconsistent: one server name presents different
//! certificates within one capture.
use crate::certs::CertSummary;
use crate::model::{CaptureFacts, Connection};
use crate::rules::cross::{ByServer, Merge, SmallestIds};
use crate::rules::{CaptureCheck, Context, Finding};
use crate::types::{ConnId, FrameNo, Timestamp};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

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

fn check() -> Box<dyn CaptureCheck> {
    Box::<ByServer<Variants>>::default()
}

/// The distinct leaf certificates one server presented.
#[derive(Default)]
struct Variants(Vec<Variant>);

struct Variant {
    cert: Arc<CertSummary>,
    conns: SmallestIds,
    /// Server addresses that presented it (at most [`MAX_SERVERS`]).
    servers: BTreeSet<SocketAddr>,
    /// The lowest connection id with it: its start, and its Certificate message.
    first: (ConnId, Timestamp, FrameNo, Timestamp),
}

const MAX_SERVERS: usize = 16;

impl Variant {
    fn merge(&mut self, other: Variant) {
        self.conns.merge(other.conns);
        for s in other.servers {
            if self.servers.len() < MAX_SERVERS {
                self.servers.insert(s);
            }
        }
        if other.first.0 < self.first.0 {
            self.first = other.first;
        }
    }
}

impl Merge for Variants {
    fn merge(&mut self, other: Self) {
        for v in other.0 {
            match self.0.iter_mut().find(|x| x.cert.sha256 == v.cert.sha256) {
                Some(x) => x.merge(v),
                None => self.0.push(v),
            }
        }
    }
}

impl CaptureCheck for ByServer<Variants> {
    fn add(&mut self, c: &Connection, _cx: &Context<'_>, _out: &mut Vec<Finding>) {
        let Some(chain) = c.tls.as_ref().and_then(|t| t.server_certificates.as_ref()) else {
            return;
        };
        let Some(leaf) = chain.certificates.first() else {
            return;
        };
        let mut conns = SmallestIds::default();
        conns.push(c.id);
        let v = Variant {
            cert: leaf.summary.clone(),
            conns,
            servers: BTreeSet::from([c.server]),
            first: (c.id, c.first_ts, chain.frame, chain.ts),
        };
        self.group(c).merge(Variants(vec![v]));
    }

    fn finish(self: Box<Self>, _capture: &CaptureFacts, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (key, Variants(mut variants)) in (*self).finish() {
            if variants.len() < 2 {
                continue;
            }
            variants.sort_by_key(|v| (std::cmp::Reverse(v.conns.len()), v.first.0));
            let Some(odd) = variants.last() else { continue };
            let (odd_id, odd_start, cert_frame, cert_ts) = odd.first;
            let lines: Vec<String> = variants.iter().map(|v| describe(v, odd_start)).collect();
            let mut f = Finding::new(
                &SERVER_CERTIFICATE_INCONSISTENT,
                Some(odd_id),
                format!("{key} presented {} different certificates", variants.len()),
                format!(
                    "Connections to {key} received {} different server certificates in this capture: {}. Clients may succeed or fail depending on which one they get.",
                    variants.len(),
                    lines.join("; ")
                ),
            )
            .frames([cert_frame])
            .at(Some(cert_ts));
            for l in lines {
                f = f.fact(l);
            }
            out.push(f);
        }
    }
}

fn describe(v: &Variant, when: Timestamp) -> String {
    let c = &v.cert;
    let servers: Vec<String> = v.servers.iter().map(ToString::to_string).collect();
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
        v.conns,
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
