//! Test-only builders for section-A rule tests, on top of `rules::testutil`.

use crate::certs::CertSummary;
use crate::model::*;
use crate::rules::testutil::*;
use crate::rules::{Context, Finding, RuleOptions};
use crate::types::{FrameNo, Side};
use std::sync::Arc;

/// A fatal alert with a visible description.
pub fn alert(sender: Side, frame: u64, code: u16, name: &str) -> Alert {
    Alert {
        frame: FrameNo(frame),
        ts: ts(frame * 10),
        sender,
        level: "fatal".into(),
        description: Some(named(code, name)),
        encrypted: false,
        decrypted: false,
        after: None,
    }
}

/// A TLS 1.2 ServerHello at `frame`.
pub fn server_hello(frame: u64) -> ServerChoice {
    ServerChoice {
        frame: FrameNo(frame),
        ts: ts(frame * 10),
        version: named(0x0303, "TLS 1.2"),
        cipher_suite: named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        group: None,
        alpn: None,
        extensions: vec![],
        downgrade_sentinel: None,
        session_id_echoed: false,
        ja3s: String::new(),
        ja3s_hash: String::new(),
    }
}

/// A certificate summary for `cn` with DNS SANs `dns`.
pub fn cert(cn: &str, dns: &[&str], sha: &str) -> Cert {
    let mut s = CertSummary {
        subject: format!("CN={cn}"),
        subject_cn: Some(cn.into()),
        sha256: sha.into(),
        ..Default::default()
    };
    s.san.dns = dns.iter().map(|d| d.to_string()).collect();
    s.issuer = "CN=tlsdiag Test Intermediate".into();
    s.issuer_cn = Some("tlsdiag Test Intermediate".into());
    s.serial = "01ab".into();
    Cert {
        summary: Arc::new(s),
    }
}

/// A Certificate message at `frame` holding `certs`.
pub fn chain(frame: u64, certs: Vec<Cert>) -> Chain {
    Chain {
        frame: FrameNo(frame),
        ts: ts(frame * 10),
        certificates: certs,
        total_size: 1000,
        malformed: None,
        decrypted: false,
    }
}

/// A timeline entry.
pub fn entry(frame: u64, sender: Side, what: &str) -> TimelineEntry {
    TimelineEntry {
        frame: FrameNo(frame),
        ts: ts(frame * 10),
        sender,
        what: what.to_string().into(),
        decrypted: false,
    }
}

/// A TLS view with a ClientHello at frame 4 (SNI `server.tlsdiag.test`).
pub fn hello_only() -> Tls {
    let mut t = tls();
    t.sni = Some("server.tlsdiag.test".into());
    t.client_hello = Some(Box::new(client_offer()));
    t.timeline.push(entry(4, Side::Client, "ClientHello"));
    t
}

/// A connection whose server answered the ClientHello (frame 4) with a fatal alert at frame 6.
pub fn refused_hello(code: u16, name: &str) -> Connection {
    let mut t = hello_only();
    t.alerts.push(alert(Side::Server, 6, code, name));
    t.timeline
        .push(entry(6, Side::Server, &format!("Alert({name})")));
    let mut c = conn(1, Some(t), Status::Failed);
    c.tcp.to_client.bytes = 7;
    c
}

/// A completed TLS 1.2 connection with a server certificate for `server.tlsdiag.test`.
pub fn completed12() -> Connection {
    let mut t = hello_only();
    t.server_hello = Some(Box::new(server_hello(6)));
    t.version = Some(named(0x0303, "TLS 1.2"));
    t.cipher_suite = Some(named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    t.server_certificates = Some(chain(
        6,
        vec![cert(
            "server.tlsdiag.test",
            &["server.tlsdiag.test"],
            "aa11",
        )],
    ));
    t.handshake_complete = true;
    for (f, s, w) in [
        (6, Side::Server, "ServerHello"),
        (6, Side::Server, "Certificate"),
        (8, Side::Client, "ClientKeyExchange"),
        (9, Side::Server, "Finished"),
    ] {
        t.timeline.push(entry(f, s, w));
    }
    let mut c = conn(1, Some(t), Status::Completed);
    c.tcp.to_client.bytes = 2000;
    c.tcp.to_server.bytes = 500;
    c
}

/// Runs a connection check with default options.
pub fn run_conn(
    f: fn(&Connection, &Context<'_>, &mut Vec<Finding>),
    c: &Connection,
) -> Vec<Finding> {
    run_conn_opts(f, c, &RuleOptions::default())
}

/// Runs a connection check with `opts`.
pub fn run_conn_opts(
    f: fn(&Connection, &Context<'_>, &mut Vec<Finding>),
    c: &Connection,
    opts: &RuleOptions,
) -> Vec<Finding> {
    let cx = Context {
        options: opts,
        trust: None,
        crls: &[],
    };
    let mut out = vec![];
    f(c, &cx, &mut out);
    out
}

/// Runs a capture-wide check.
pub fn run_capture(new: fn() -> Box<dyn crate::rules::CaptureCheck>, a: &Analysis) -> Vec<Finding> {
    let opts = RuleOptions::default();
    let cx = Context {
        options: &opts,
        trust: None,
        crls: &[],
    };
    let mut out = vec![];
    let mut state = new();
    for c in &a.connections {
        state.add(c, &cx, &mut out);
    }
    state.finish(&a.capture, &cx, &mut out);
    crate::rules::sort(&mut out);
    out
}

/// An analysis holding `connections` and nothing else.
pub fn analysis(connections: Vec<Connection>) -> Analysis {
    Analysis {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        capture: CaptureFacts {
            files: vec![],
            frames: 100,
            first_ts: None,
            last_ts: None,
            warnings: vec![],
            limits_hit: vec![],
        },
        summary: Summary::default(),
        connections,
        findings: vec![],
    }
}
