//! mutual-tls-summary: per server, how client certificates were requested
//! and answered across the capture.
use super::client_certificate_issuer_not_accepted::chain_accepted;
use crate::model::{CaptureFacts, Connection};
use crate::rules::certificates::common::issuer_name;
use crate::rules::{CaptureCheck, Context, Finding};
use crate::types::{ConnId, FrameNo, Timestamp};
use std::collections::BTreeMap;

declare_rule! {
    MUTUAL_TLS_SUMMARY {
        id: "mutual-tls-summary",
        severity: Info,
        title: "how each server asked for client certificates and what clients sent",
        explanation: "For every server (SNI, else address:port) that asked for a client certificate at least once: whether it asked on every connection or only sometimes (a load balancer with backends configured differently), which CA names it advertised (or none), how many clients sent a certificate, and whose issuers match the advertised list. It is the overview to read first when mutual TLS fails for some clients only.",
        remediation: "Compare the advertised CA names with the issuers of the certificates clients send. A server that asks only sometimes points at inconsistent backends or listeners; CA names that change between connections point at different trust stores behind one name.",
        fires_on: ["mtls12-ok.pcap", "mtls12-client-cert-missing.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Capture(check),
    }
}

fn check() -> Box<dyn CaptureCheck> {
    Box::<Servers>::default()
}

/// Per server key (SNI:port, else address:port).
#[derive(Default)]
struct Servers(BTreeMap<String, Server>);

#[derive(Default)]
struct Server {
    /// The lowest connection id seen (the finding points at it).
    first: Option<ConnId>,
    tls_connections: usize,
    requested: usize,
    ca_lists: Vec<Vec<String>>,
    sent: usize,
    sent_empty: usize,
    accepted: usize,
    issuers: BTreeMap<String, usize>,
    /// The earliest CertificateRequest frames and their times.
    frames: Vec<(FrameNo, Option<Timestamp>)>,
}

impl CaptureCheck for Servers {
    fn add(&mut self, c: &Connection, _cx: &Context<'_>, _out: &mut Vec<Finding>) {
        let Some(t) = c.tls.as_ref().filter(|t| t.server_hello.is_some()) else {
            return;
        };
        let s = self.0.entry(c.server_key()).or_default();
        if s.first.is_none_or(|f| c.id < f) {
            s.first = Some(c.id);
        }
        s.tls_connections += 1;
        let Some(cr) = &t.certificate_request else {
            return;
        };
        s.requested += 1;
        if !s.ca_lists.contains(&cr.ca_names) && s.ca_lists.len() < 16 {
            s.ca_lists.push(cr.ca_names.clone());
        }
        // The 8 earliest requests, whatever order connections arrive in.
        let at = s.frames.partition_point(|(f, _)| *f < cr.frame);
        if at < 8 {
            s.frames.insert(at, (cr.frame, c.frame_time(cr.frame)));
            s.frames.truncate(8);
        }
        match &t.client_certificates {
            Some(ch) if !ch.certificates.is_empty() => {
                s.sent += 1;
                if chain_accepted(cr, ch) || cr.ca_names.is_empty() {
                    s.accepted += 1;
                }
                if let Some(l) = ch.leaf() {
                    *s.issuers.entry(issuer_name(l)).or_default() += 1;
                }
            }
            Some(_) => s.sent_empty += 1,
            None => {}
        }
    }

    fn finish(self: Box<Self>, _capture: &CaptureFacts, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        report(self.0, out);
    }
}

fn report(servers: BTreeMap<String, Server>, out: &mut Vec<Finding>) {
    for (key, mut s) in servers.into_iter().filter(|(_, s)| s.requested > 0) {
        let Some(first) = s.first else { continue };
        s.ca_lists.sort();
        let how = if s.requested == s.tls_connections {
            "always"
        } else {
            "sometimes"
        };
        let cas = match s.ca_lists.as_slice() {
            [one] if one.is_empty() => "no CA names".to_string(),
            [one] => one.join("; "),
            many => format!("{} different CA lists", many.len()),
        };
        let issuers: Vec<String> = s.issuers.iter().map(|(i, n)| format!("{i} ×{n}")).collect();
        let mut f = Finding::new(
            &MUTUAL_TLS_SUMMARY,
            Some(first),
            format!("{key}: client certificate requested {how} ({} of {} handshakes)", s.requested, s.tls_connections),
            format!(
                "{key} sent a CertificateRequest on {} of {} TLS connections, advertising {cas}. Clients sent a certificate {} time(s), an empty Certificate {} time(s){}; {} of the certificates sent came from an advertised CA.{}",
                s.requested,
                s.tls_connections,
                s.sent,
                s.sent_empty,
                if s.requested > s.sent + s.sent_empty { ", and no visible answer otherwise (encrypted or aborted)" } else { "" },
                s.accepted,
                if issuers.is_empty() { String::new() } else { format!(" Client certificate issuers: {}.", issuers.join(", ")) }
            ),
        )
        .frames(s.frames.iter().map(|(f, _)| *f))
        .at(s.frames.first().and_then(|(_, ts)| *ts))
        .fact(format!("requested: {how} ({}/{})", s.requested, s.tls_connections));
        for list in &s.ca_lists {
            f = f.fact(format!(
                "advertised CAs: {}",
                if list.is_empty() {
                    "none".to_string()
                } else {
                    list.join("; ")
                }
            ));
        }
        out.push(f);
    }
}
