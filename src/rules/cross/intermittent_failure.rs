//! intermittent-failure: the same server both succeeds and fails; what differs.
use crate::model::{CaptureFacts, Connection, Status};
use crate::rules::cross::{ByServer, Merge, SmallestIds};
use crate::rules::transport::facts::{max_offered, version_label};
use crate::rules::{CaptureCheck, Context, Finding};
use crate::types::{ConnId, FrameNo, Timestamp};
use std::collections::BTreeSet;

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
            .and_then(|t| t.client_hello.as_deref())
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

fn check() -> Box<dyn CaptureCheck> {
    Box::<ByServer<Outcomes>>::default()
}

/// One server's completed and failed connections, with the values each
/// attribute took in either group.
#[derive(Default)]
struct Outcomes {
    ok: SmallestIds,
    failed: SmallestIds,
    /// The failed connection with the lowest id: id, first frame, its time, reason.
    first_fail: Option<(ConnId, FrameNo, Timestamp, String)>,
    /// Per attribute of [`ATTRIBUTES`]: values among working and failing connections.
    values: Vec<(Values, Values)>,
}

/// The distinct values of one attribute in one group, up to [`MAX_VALUES`];
/// past that the attribute can no longer separate the groups.
#[derive(Default)]
struct Values {
    set: BTreeSet<String>,
    overflow: bool,
}

const MAX_VALUES: usize = 64;

impl Values {
    fn insert(&mut self, v: String) {
        if self.set.len() < MAX_VALUES || self.set.contains(&v) {
            self.set.insert(v);
        } else {
            self.overflow = true;
        }
    }

    fn merge(&mut self, other: Values) {
        self.overflow |= other.overflow;
        for v in other.set {
            self.insert(v);
        }
    }
}

impl Merge for Outcomes {
    fn merge(&mut self, other: Self) {
        self.ok.merge(other.ok);
        self.failed.merge(other.failed);
        if let Some(f) = other.first_fail
            && self.first_fail.as_ref().is_none_or(|mine| f.0 < mine.0)
        {
            self.first_fail = Some(f);
        }
        if self.values.is_empty() {
            self.values = other.values;
        } else {
            for ((good, bad), (og, ob)) in self.values.iter_mut().zip(other.values) {
                good.merge(og);
                bad.merge(ob);
            }
        }
    }
}

impl CaptureCheck for ByServer<Outcomes> {
    fn add(&mut self, c: &Connection, _cx: &Context<'_>, _out: &mut Vec<Finding>) {
        if c.tls.as_ref().is_none_or(|t| t.client_hello.is_none()) {
            return;
        }
        let failed = match c.outcome.status {
            Status::Completed => false,
            Status::Failed => true,
            _ => return,
        };
        let g = self.group(c);
        if g.values.is_empty() {
            g.values = ATTRIBUTES.iter().map(|_| Default::default()).collect();
        }
        for ((_, get), (good, bad)) in ATTRIBUTES.iter().zip(g.values.iter_mut()) {
            if failed { bad } else { good }.insert(get(c));
        }
        if !failed {
            g.ok.push(c.id);
            return;
        }
        g.failed.push(c.id);
        if g.first_fail.as_ref().is_none_or(|f| c.id < f.0) {
            g.first_fail = Some((c.id, c.first_frame, c.first_ts, c.outcome.reason.clone()));
        }
    }

    fn finish(self: Box<Self>, _capture: &CaptureFacts, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (key, g) in (*self).finish() {
            let Some((fail_id, fail_frame, fail_ts, reason)) = &g.first_fail else {
                continue;
            };
            if g.ok.len() == 0 {
                continue;
            }
            let diffs = differences(&g.values);
            let reason = reason.trim_end_matches('.');
            let summary = if diffs.is_empty() {
                "No recorded attribute (server address, versions, cipher suite, client fingerprint, SNI, certificate) separates the two groups; the cause varies inside the servers or the network.".to_string()
            } else {
                format!("What separates them: {}.", diffs.join("; "))
            };
            let mut f = Finding::new(
                &INTERMITTENT_FAILURE,
                Some(*fail_id),
                format!(
                    "{key}: {} of {} connections failed",
                    g.failed.len(),
                    g.ok.len() + g.failed.len()
                ),
                format!(
                    "Connections to {key}: {} completed ({}), {} failed ({}){}. {summary}",
                    g.ok.len(),
                    g.ok,
                    g.failed.len(),
                    g.failed,
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!("; the first failure: {reason}")
                    }
                ),
            )
            .frames([*fail_frame])
            .at(Some(*fail_ts));
            for d in diffs {
                f = f.fact(d);
            }
            out.push(f);
        }
    }
}

fn differences(values: &[(Values, Values)]) -> Vec<String> {
    ATTRIBUTES
        .iter()
        .zip(values)
        .filter(|(_, (good, bad))| {
            !good.overflow && !bad.overflow && good.set.is_disjoint(&bad.set)
        })
        .map(|((name, _), (good, bad))| {
            format!(
                "{name}: working {} vs failing {}",
                join(&good.set),
                join(&bad.set)
            )
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
