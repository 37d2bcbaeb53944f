//! Ticket reports (Markdown, HTML), redaction and PEM export.
//!
//! The analyses come from [`sample`]: hand-built models today (a success, an
//! mTLS failure with an empty client Certificate and CA names, a version
//! mismatch); swap that one function for real captures in `captures/` later.
//! Certificates are minted with rcgen from fixed Ed25519 test keys at fixed
//! dates, so their bytes (and fingerprints in the snapshots) are stable.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType, SerialNumber,
    date_time_ymd,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tlsdiag::certs::{CertSummary, summarize};
use tlsdiag::model::*;
use tlsdiag::report::redact::{RedactWhat, redact};
use tlsdiag::report::{ReportOptions, TextOptions, certs_export, html, markdown, text};
use tlsdiag::rules::{Evidence, Finding, Severity};
use tlsdiag::tcp::{DirStats, RoleBasis, TcpConnection, TcpEnd};
use tlsdiag::types::{ConnId, FrameNo, Side, Timestamp};

// ---------------------------------------------------------------- fixtures

/// Throw-away Ed25519 test keys (deterministic signatures → stable DER).
const KEY_CA: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINgjABBDWTYcLnoFLaMKDFaDyN53T0djuiqmtOx6Xbvk\n-----END PRIVATE KEY-----\n";
const KEY_SERVER: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFLMeJ+ZsbMIg0eig1CUlcEHEDMG/6YK1UUXQ0Jf7DSp\n-----END PRIVATE KEY-----\n";
const KEY_CLIENT_CA: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBoMfr/NHuNe6r3J9HZnxLPZp2TifMoF76f4AB2JLQR6\n-----END PRIVATE KEY-----\n";

/// 2026-03-01 10:22:03 UTC plus `ms` milliseconds.
fn ts(ms: u64) -> Timestamp {
    Timestamp::new(
        1_772_360_523 + (ms / 1000) as i64,
        ((ms % 1000) * 1_000_000) as u32,
    )
}

fn named(id: u16, name: &str) -> Named {
    Named {
        id,
        name: Some(name.to_string().into()),
    }
}

fn key(pem: &str) -> KeyPair {
    KeyPair::from_pem(pem).expect("test key")
}

fn params(
    cn: &str,
    sans: &[&str],
    from: (i32, u8, u8),
    to: (i32, u8, u8),
    serial: u64,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::OrganizationName, "Tlsdiag Testing Org");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = sans
        .iter()
        .map(|s| SanType::DnsName((*s).try_into().expect("dns")))
        .collect();
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(to.0, to.1, to.2);
    p.serial_number = Some(SerialNumber::from(serial));
    p
}

/// Server leaf (expired 2026-02-17, 12 days before the connections) and its CA.
fn server_chain_certs(leaf_cn: &str, sans: &[&str]) -> Vec<CertSummary> {
    let ca_key = key(KEY_CA);
    let mut ca = params("Tlsdiag Test Root CA", &[], (2020, 1, 1), (2040, 1, 1), 1);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_der = ca.self_signed(&ca_key).expect("ca").der().to_vec();
    let leaf = params(leaf_cn, sans, (2025, 2, 17), (2026, 2, 17), 2);
    let issuer = Issuer::from_params(&ca, &ca_key);
    let leaf_der = leaf
        .signed_by(&key(KEY_SERVER), &issuer)
        .expect("leaf")
        .der()
        .to_vec();
    vec![summarize(&leaf_der), summarize(&ca_der)]
}

fn client_ca_dn() -> String {
    let mut ca = params("Tlsdiag Client CA", &[], (2020, 1, 1), (2040, 1, 1), 3);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let der = ca
        .self_signed(&key(KEY_CLIENT_CA))
        .expect("client ca")
        .der()
        .to_vec();
    summarize(&der).subject
}

fn chain(frame: u64, ms: u64, certs: Vec<CertSummary>) -> Chain {
    let total_size = certs.iter().map(|c| c.size).sum();
    Chain {
        frame: FrameNo(frame),
        ts: ts(ms),
        certificates: certs
            .into_iter()
            .map(|c| Cert {
                summary: Arc::new(c),
            })
            .collect(),
        total_size,
        malformed: None,
        decrypted: false,
    }
}

fn tcp(id: u32, client: &str, end: TcpEnd) -> TcpConnection {
    let base = u64::from(id) * 100;
    TcpConnection {
        id: ConnId(id),
        client: client.parse().expect("client"),
        server: "10.1.2.3:443".parse().expect("server"),
        role_basis: RoleBasis::Syn,
        first_frame: FrameNo(base + 1),
        last_frame: FrameNo(base + 20),
        first_ts: ts(u64::from(id) * 1000),
        last_ts: ts(u64::from(id) * 1000 + 60),
        syn_frame: Some(FrameNo(base + 1)),
        synack_frame: Some(FrameNo(base + 2)),
        refused: false,
        syn_data: false,
        mid_stream: false,
        one_sided: None,
        to_server: DirStats::default(),
        to_client: DirStats::default(),
        end,
        gaps: vec![],
        conflicts: vec![],
        ooo_bytes_dropped: 0,
    }
}

fn empty_tls(sni: &str) -> Tls {
    Tls {
        sni: Some(sni.to_string()),
        version: None,
        cipher_suite: None,
        client_hello: None,
        hello_retry: None,
        server_hello: None,
        server_certificates: None,
        certificate_request: None,
        client_certificates: None,
        server_key_exchange: None,
        ocsp_stapled: None,
        alerts: vec![],
        timeline: vec![],
        handshake_complete: false,
        resumed: false,
        renegotiations: 0,
        encrypted_handshake: false,
        encrypted_flight: vec![],
        application_data: AppData::default(),
        not_tls: None,
        starttls: None,
        malformed: vec![],
        durations: Durations::default(),
        limits_hit: vec![],
        decryption: None,
    }
}

fn offer(frame: u64, ms: u64, versions: Vec<Named>) -> ClientOffer {
    ClientOffer {
        frame: FrameNo(frame),
        ts: ts(ms),
        legacy_version: named(0x0303, "TLS 1.2"),
        versions,
        cipher_suites: vec![named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")],
        supported_groups: vec![named(0x001d, "x25519")],
        key_share_groups: vec![],
        signature_algorithms: vec![named(0x0807, "ed25519")],
        alpn: vec!["h2".into()],
        extensions: vec![],
        fallback_scsv: false,
        renegotiation_info: true,
        session_id_len: 32,
        psk_offered: false,
        sslv2_format: false,
        ja4: String::new(),
        ja3: String::new(),
        ja3_hash: String::new(),
    }
}

fn choice(frame: u64, ms: u64) -> ServerChoice {
    ServerChoice {
        frame: FrameNo(frame),
        ts: ts(ms),
        version: named(0x0303, "TLS 1.2"),
        cipher_suite: named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        group: Some(named(0x001d, "x25519")),
        alpn: None,
        extensions: vec![],
        downgrade_sentinel: None,
        session_id_echoed: false,
        ja3s: String::new(),
        ja3s_hash: String::new(),
    }
}

fn entry(frame: u64, ms: u64, sender: Side, what: &str) -> TimelineEntry {
    TimelineEntry {
        frame: FrameNo(frame),
        ts: ts(ms),
        sender,
        what: what.to_string().into(),
        decrypted: false,
    }
}

fn connection(t: TcpConnection, tls: Tls, outcome: Outcome, history: &str) -> Connection {
    Connection {
        id: t.id,
        client: t.client,
        server: t.server,
        first_frame: t.first_frame,
        last_frame: t.last_frame,
        first_ts: t.first_ts,
        last_ts: t.last_ts,
        outcome,
        history: history.to_string(),
        tcp: t,
        tls: Some(tls),
    }
}

/// A TLS 1.2 handshake that completes (the server's leaf has expired, a warning).
fn success(id: u32, client: &str, sni: &str, leaf_cn: &str) -> Connection {
    let b = u64::from(id) * 100;
    let t0 = u64::from(id) * 1000;
    let mut tls = empty_tls(sni);
    tls.version = Some(named(0x0303, "TLS 1.2"));
    tls.cipher_suite = Some(named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    tls.client_hello = Some(Box::new(offer(
        b + 4,
        t0 + 2,
        vec![named(0x0303, "TLS 1.2")],
    )));
    tls.server_hello = Some(Box::new(choice(b + 6, t0 + 5)));
    tls.server_certificates = Some(chain(
        b + 6,
        t0 + 5,
        server_chain_certs(leaf_cn, &[leaf_cn]),
    ));
    tls.handshake_complete = true;
    tls.timeline = vec![
        entry(b + 4, t0 + 2, Side::Client, "ClientHello"),
        entry(b + 6, t0 + 5, Side::Server, "ServerHello"),
        entry(b + 6, t0 + 5, Side::Server, "Certificate"),
        entry(b + 6, t0 + 5, Side::Server, "ServerHelloDone"),
        entry(b + 8, t0 + 7, Side::Client, "ClientKeyExchange"),
        entry(b + 8, t0 + 7, Side::Client, "ChangeCipherSpec"),
        entry(b + 8, t0 + 7, Side::Client, "EncryptedRecord(40)"),
        entry(b + 9, t0 + 9, Side::Server, "ChangeCipherSpec"),
        entry(b + 9, t0 + 9, Side::Server, "EncryptedRecord(40)"),
    ];
    let outcome = Outcome {
        status: Status::Completed,
        reason: "handshake completed".into(),
        ended_by: None,
    };
    connection(
        tcp(
            id,
            client,
            TcpEnd::Fin {
                by: Side::Client,
                frame: FrameNo(b + 20),
            },
        ),
        tls,
        outcome,
        "CH SH C SHD | CKE CCS F | CCS F",
    )
}

/// The server asks for a client certificate from a named CA; the client sends an empty one.
fn mtls_failure(id: u32, client: &str, sni: &str, leaf_cn: &str) -> (Connection, Finding) {
    let b = u64::from(id) * 100;
    let t0 = u64::from(id) * 1000;
    let mut c = success(id, client, sni, leaf_cn);
    let tls = c.tls.as_mut().expect("tls");
    tls.handshake_complete = false;
    tls.certificate_request = Some(Box::new(CertificateRequest {
        frame: FrameNo(b + 6),
        ts: ts(t0 + 5),
        ca_names: vec![client_ca_dn()],
        certificate_types: vec!["ecdsa_sign".into()],
        signature_algorithms: vec![named(0x0807, "ed25519")],
        decrypted: false,
    }));
    tls.client_certificates = Some(chain(b + 8, t0 + 7, vec![]));
    tls.timeline = vec![
        entry(b + 4, t0 + 2, Side::Client, "ClientHello"),
        entry(b + 6, t0 + 5, Side::Server, "ServerHello"),
        entry(b + 6, t0 + 5, Side::Server, "Certificate"),
        entry(b + 6, t0 + 5, Side::Server, "CertificateRequest"),
        entry(b + 6, t0 + 5, Side::Server, "ServerHelloDone"),
        entry(b + 8, t0 + 7, Side::Client, "Certificate"),
        entry(b + 8, t0 + 7, Side::Client, "ClientKeyExchange"),
        entry(b + 8, t0 + 7, Side::Client, "ChangeCipherSpec"),
        entry(b + 10, t0 + 9, Side::Server, "Alert(bad_certificate)"),
    ];
    tls.alerts = vec![Alert {
        frame: FrameNo(b + 10),
        ts: ts(t0 + 9),
        sender: Side::Server,
        level: "fatal".into(),
        description: Some(named(42, "bad_certificate")),
        encrypted: false,
        decrypted: false,
        after: Some("Certificate".into()),
    }];
    c.outcome = Outcome {
        status: Status::Failed,
        reason:
            "the server sent a fatal bad_certificate alert after the client's empty Certificate"
                .into(),
        ended_by: Some(EndedBy::Alert {
            by: Side::Server,
            frame: FrameNo(b + 10),
            description: "bad_certificate".into(),
        }),
    };
    c.history = "CH SH C CR SHD | C(0) CKE CCS | A:bad_certificate<-server".into();
    let finding = Finding {
        rule: "client-certificate-missing".into(),
        severity: Severity::Error,
        title: format!("server {sni} asked for a client certificate and got none"),
        connection: Some(c.id),
        explanation: format!(
            "The server {sni} ({}) sent a CertificateRequest naming 1 acceptable CA, and the client {} answered with an empty Certificate message; the server then rejected the handshake.",
            c.server,
            c.client.ip()
        ),
        remediation: "Configure the client with a certificate issued by one of the requested CAs."
            .into(),
        evidence: Evidence {
            frames: vec![FrameNo(b + 6), FrameNo(b + 8), FrameNo(b + 10)],
            first_ts: Some(ts(t0 + 5)),
            facts: vec![
                format!("requested CAs: {}", client_ca_dn()),
                format!("client: {}", c.client),
            ],
        },
        inferred: false,
    };
    (c, finding)
}

/// The client offers only TLS 1.0; the server answers with a protocol_version alert.
fn version_mismatch(id: u32, client: &str, sni: &str) -> (Connection, Finding) {
    let b = u64::from(id) * 100;
    let t0 = u64::from(id) * 1000;
    let mut tls = empty_tls(sni);
    tls.client_hello = Some(Box::new(offer(
        b + 4,
        t0 + 2,
        vec![named(0x0301, "TLS 1.0")],
    )));
    tls.timeline = vec![
        entry(b + 4, t0 + 2, Side::Client, "ClientHello"),
        entry(b + 5, t0 + 3, Side::Server, "Alert(protocol_version)"),
    ];
    tls.alerts = vec![Alert {
        frame: FrameNo(b + 5),
        ts: ts(t0 + 3),
        sender: Side::Server,
        level: "fatal".into(),
        description: Some(named(70, "protocol_version")),
        encrypted: false,
        decrypted: false,
        after: Some("ClientHello".into()),
    }];
    let outcome = Outcome {
        status: Status::Failed,
        reason: "the server sent a fatal protocol_version alert in reply to the ClientHello".into(),
        ended_by: Some(EndedBy::Rst {
            by: Side::Server,
            frame: FrameNo(b + 6),
        }),
    };
    let c = connection(
        tcp(
            id,
            client,
            TcpEnd::Rst {
                by: Side::Server,
                frame: FrameNo(b + 6),
            },
        ),
        tls,
        outcome,
        "CH | A:protocol_version<-server | R<-server",
    );
    let finding = Finding {
        rule: "protocol-version-mismatch".into(),
        severity: Severity::Error,
        title: "client offered only TLS 1.0, which the server refuses".into(),
        connection: Some(c.id),
        explanation: format!(
            "The client {} offered TLS 1.0 only; the server {sni} answered with protocol_version.",
            c.client.ip()
        ),
        remediation: "Enable TLS 1.2 or later on the client.".into(),
        evidence: Evidence {
            frames: vec![FrameNo(b + 4), FrameNo(b + 5)],
            first_ts: Some(ts(t0 + 2)),
            facts: vec!["offered: TLS 1.0".into()],
        },
        inferred: false,
    };
    (c, finding)
}

fn expired_finding(c: &Connection) -> Finding {
    let leaf = c
        .tls
        .as_ref()
        .and_then(|t| t.server_certificates.as_ref())
        .and_then(|ch| ch.leaf())
        .expect("leaf");
    Finding {
        rule: "certificate-expired".into(),
        severity: Severity::Warning,
        title: format!(
            "server certificate {} expired 12 days before the connection",
            leaf.subject_cn.clone().unwrap_or_default()
        ),
        connection: Some(c.id),
        explanation: format!(
            "The leaf certificate for {} is no longer valid.",
            leaf.subject
        ),
        remediation: "Renew the certificate.".into(),
        evidence: Evidence {
            frames: vec![FrameNo(c.first_frame.0 + 5)],
            first_ts: None,
            facts: vec![],
        },
        inferred: false,
    }
}

fn analysis(connections: Vec<Connection>, findings: Vec<Finding>) -> Analysis {
    let summary = Summary::of(&connections, &findings);
    Analysis {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "tlsdiag".into(),
            version: "0.0.0-test".into(),
        },
        capture: CaptureFacts {
            files: vec![FileFacts {
                name: "ticket-4711.pcapng".into(),
                format: "pcapng".into(),
                compression: "none".into(),
                frames: 420,
                bytes: 123_456,
                link_types: vec!["ETHERNET".into()],
                ts_precision_digits: 6,
                file_truncated: false,
                sha256: None,
            }],
            frames: 420,
            first_ts: Some(ts(0)),
            last_ts: Some(ts(4060)),
            warnings: vec![],
            limits_hit: vec![],
        },
        summary,
        connections,
        findings,
    }
}

/// The analyses the report tests render. Swap for real captures later.
fn sample(name: &str) -> Analysis {
    match name {
        "success" => {
            let c = success(
                1,
                "10.0.0.5:51514",
                "www.tlsdiag-test.net",
                "www.tlsdiag-test.net",
            );
            let f = expired_finding(&c);
            analysis(vec![c], vec![f])
        }
        "mtls" => {
            let (c, f) = mtls_failure(
                2,
                "10.0.0.6:40000",
                "api.tlsdiag-test.net",
                "api.tlsdiag-test.net",
            );
            analysis(vec![c], vec![f])
        }
        "version" => {
            let (c, f) = version_mismatch(3, "10.0.0.7:40001", "legacy.tlsdiag-test.net");
            analysis(vec![c], vec![f])
        }
        _ => {
            let ok = success(
                1,
                "10.0.0.5:51514",
                "www.tlsdiag-test.net",
                "www.tlsdiag-test.net",
            );
            let exp = expired_finding(&ok);
            let (m, mf) = mtls_failure(
                2,
                "10.0.0.6:40000",
                "api.tlsdiag-test.net",
                "api.tlsdiag-test.net",
            );
            let (v, vf) =
                version_mismatch(3, "[2001:db8:ffff::7]:40001", "legacy.tlsdiag-test.net");
            analysis(vec![ok, m, v], vec![mf, vf, exp])
        }
    }
}

fn opts() -> ReportOptions {
    ReportOptions {
        all: false,
        options: vec![("--ca-bundle".into(), "corp-ca.pem".into())],
    }
}

fn md(a: &Analysis, o: &ReportOptions) -> String {
    let mut v = Vec::new();
    markdown::write(&mut v, a, o).expect("markdown");
    String::from_utf8(v).expect("utf-8")
}

fn html_of(a: &Analysis, o: &ReportOptions) -> String {
    let mut v = Vec::new();
    html::write(&mut v, a, o).expect("html");
    String::from_utf8(v).expect("utf-8")
}

fn text_of(a: &Analysis) -> String {
    let mut v = Vec::new();
    text::write(
        &mut v,
        a,
        TextOptions {
            all: true,
            limit: 0,
        },
    )
    .expect("text");
    String::from_utf8_lossy(&v).into_owned()
}

fn json_of(a: &Analysis) -> String {
    let mut v = Vec::new();
    tlsdiag::report::json::write(&mut v, a).expect("json");
    String::from_utf8(v).expect("utf-8")
}

// ---------------------------------------------------------------- snapshots

#[test]
fn markdown_snapshots() {
    for name in ["success", "mtls", "version"] {
        insta::assert_snapshot!(format!("markdown_{name}"), md(&sample(name), &opts()));
    }
}

#[test]
fn html_snapshots() {
    for name in ["success", "mtls", "version"] {
        insta::assert_snapshot!(format!("html_{name}"), html_of(&sample(name), &opts()));
    }
}

#[test]
fn failed_connections_come_first_with_verdict_and_phrases() {
    let a = sample("all");
    let m = md(&a, &opts());
    assert!(m.contains("**Verdict:** 2 of 3 TLS connections failed: 1 × client-certificate-missing, 1 × protocol-version-mismatch"), "{m}");
    let table: Vec<&str> = m
        .lines()
        .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |") || l.starts_with("| 3 |"))
        .collect();
    assert_eq!(table.len(), 3);
    assert!(
        table[0].starts_with("| 2 |")
            && table[1].starts_with("| 3 |")
            && table[2].starts_with("| 1 |"),
        "{table:?}"
    );
    assert!(m.contains("expired 12 days before this connection"));
    // The mTLS section shows the requested CA next to the (empty) client chain.
    let mtls = m.split("## Connection 2:").nth(1).expect("section 2");
    let ca = mtls
        .find("The server accepts client certificates issued by")
        .expect("ca list");
    let empty = mtls.find("**Empty**").expect("empty chain");
    assert!(ca < empty);
    assert!(mtls.contains("CN=Tlsdiag Client CA"));
    // The ladder ends at the alert, marked.
    assert!(
        mtls.lines()
            .any(|l| l.contains("Alert(bad_certificate)") && l.contains("ended here")),
        "{mtls}"
    );
    // The version mismatch ends with the RST after the alert.
    let ver = m.split("## Connection 3:").nth(1).expect("section 3");
    assert!(
        ver.lines()
            .any(|l| l.contains("RST") && l.contains("ended here"))
    );
    // The completed connection gets a section for its warning; without any
    // finding it only has a table row, unless --all.
    assert!(m.contains("## Connection 1:"));
    let mut quiet = a.clone();
    quiet.findings.retain(|f| f.connection != Some(ConnId(1)));
    assert!(!md(&quiet, &opts()).contains("## Connection 1:"));
    assert!(
        md(
            &quiet,
            &ReportOptions {
                all: true,
                ..opts()
            }
        )
        .contains("## Connection 1:")
    );
}

// ---------------------------------------------------------------- hostile strings

/// SNI / CN text an attacker could put on the wire: markup, table and code
/// breakers, a newline, an ANSI colour escape and non-UTF-8 (lossy-decoded).
fn evil() -> String {
    let mut s = String::from("<script>alert(1)</script>|x`y``z\nline\u{1b}[31mred");
    s.push_str(&String::from_utf8_lossy(b"\xff\xfe"));
    s
}

fn hostile_analysis() -> Analysis {
    hostile_analysis_with(&evil())
}

/// The mTLS failure with `evil` as SNI, certificate CN/SAN, CA name, alert
/// label, outcome reason, finding title and fact.
fn hostile_analysis_with(evil: &str) -> Analysis {
    let evil = evil.to_string();
    let (mut c, mut f) = mtls_failure(
        2,
        "10.0.0.6:40000",
        "api.tlsdiag-test.net",
        "api.tlsdiag-test.net",
    );
    let tls = c.tls.as_mut().expect("tls");
    tls.sni = Some(evil.clone());
    if let Some(ch) = tls.server_certificates.as_mut() {
        let mut leaf = (*ch.certificates[0].summary).clone();
        leaf.subject = format!("CN={evil}");
        leaf.subject_cn = Some(evil.clone());
        leaf.san.dns.push(evil.clone());
        ch.certificates[0].summary = Arc::new(leaf);
    }
    tls.timeline
        .push(entry(210, 2010, Side::Server, &format!("Alert({evil})")));
    tls.certificate_request
        .as_mut()
        .expect("cr")
        .ca_names
        .push(format!("CN={evil}"));
    c.outcome.reason = format!("reason {evil}");
    f.title = format!("title {evil}");
    f.evidence.facts.push(format!("sni: {evil}"));
    analysis(vec![c], vec![f])
}

#[test]
fn hostile_strings_stay_data_in_every_format() {
    let a = hostile_analysis();
    let o = ReportOptions {
        all: true,
        ..opts()
    };
    let h = html_of(&a, &o);
    assert!(
        !h.to_ascii_lowercase().contains("<script"),
        "raw <script in HTML"
    );
    assert!(
        h.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped SNI shown"
    );
    assert!(!h.contains('\u{1b}'), "ESC byte in HTML");

    let m = md(&a, &o);
    assert!(!m.contains('\u{1b}'));
    let mut in_fence = false;
    for line in m.lines() {
        let is_fence =
            line.starts_with("```") && matches!(line.trim_start_matches('`'), "" | "text");
        if is_fence {
            in_fence = !in_fence;
        } else if !in_fence {
            let unescaped = line
                .match_indices("<script")
                .any(|(i, _)| !line[..i].ends_with('\\'));
            assert!(
                !unescaped,
                "unescaped tag in Markdown outside code blocks: {line}"
            );
        }
    }
    let header_cols = m
        .lines()
        .find(|l| l.starts_with("| # |"))
        .map(cells)
        .expect("table header");
    let rows: Vec<&str> = m
        .lines()
        .skip_while(|l| !l.starts_with("| # |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() >= 3);
    for r in rows {
        assert_eq!(cells(r), header_cols, "row changed the column count: {r}");
    }
    // The ladder's fence is longer than any backtick run in its content.
    let fence_open = m
        .lines()
        .find(|l| l.starts_with("```") && l.ends_with("text"))
        .expect("ladder fence");
    let fence = fence_open.trim_end_matches("text");
    let body: Vec<&str> = m
        .lines()
        .skip_while(|l| *l != fence_open)
        .skip(1)
        .take_while(|l| *l != fence)
        .collect();
    assert!(body.iter().all(|l| !l.starts_with(fence)));
    assert!(
        body.iter().any(|l| l.contains("<script>")),
        "the ladder shows the label literally inside the fence"
    );

    // The text renderer writes its own colour codes; the wire ESC must add none.
    let esc = |s: &str| s.matches('\u{1b}').count();
    let t = text_of(&a);
    assert_eq!(
        esc(&t),
        esc(&text_of(&hostile_analysis_with("benign"))),
        "wire ESC byte reached the text output"
    );
    assert!(t.contains("\\x1b[31mred"), "the ESC is shown escaped");
}

/// Counts table cells: `|` not preceded by a backslash.
fn cells(line: &str) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for c in line.chars() {
        if c == '|' && prev != '\\' {
            n += 1;
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    n
}

// ---------------------------------------------------------------- redaction

#[test]
fn redaction_leaves_no_client_ip_or_name_in_any_format() {
    let a = sample("all");
    let mut originals: Vec<String> = a
        .connections
        .iter()
        .map(|c| c.client.ip().to_string())
        .collect();
    for c in &a.connections {
        let t = c.tls.as_ref().expect("tls");
        originals.extend(t.sni.clone());
        for cert in t.server_certificates.iter().flat_map(|ch| &ch.certificates) {
            originals.extend(cert.summary.subject_cn.clone());
            originals.extend(cert.summary.san.dns.clone());
        }
        for n in t.certificate_request.iter().flat_map(|r| &r.ca_names) {
            originals.push(n.clone());
        }
    }
    originals.extend([
        "tlsdiag-test".to_string(),
        "Tlsdiag Testing Org".into(),
        "Tlsdiag Client CA".into(),
        "Tlsdiag Test Root CA".into(),
    ]);
    // The originals really are in the unredacted report (the test can fail).
    let before = md(&a, &opts());
    assert!(
        originals
            .iter()
            .all(|o| before.contains(o.as_str()) || json_of(&a).contains(o.as_str()))
    );

    let r = redact(
        &a,
        RedactWhat {
            ips: true,
            names: true,
        },
    );
    let o = ReportOptions {
        all: true,
        ..opts()
    };
    let outputs = [
        ("markdown", md(&r, &o)),
        ("html", html_of(&r, &o)),
        ("text", text_of(&r)),
        ("json", json_of(&r)),
    ];
    for (fmt, out) in &outputs {
        for orig in &originals {
            assert!(
                !out.contains(orig.as_str()),
                "{fmt} still contains {orig:?}"
            );
            assert!(
                !out.to_lowercase().contains(&orig.to_lowercase()),
                "{fmt} still contains {orig:?} (case-insensitive)"
            );
        }
    }
    let m = &outputs[0].1;
    assert!(
        m.contains("192.0.2.1:51514")
            && m.contains("192.0.2.2:40000")
            && m.contains("\\[2001:db8::1\\]:40001"),
        "{m}"
    );
    assert!(m.contains("10.1.2.3:443"), "server addresses are kept");
    // Same input, same pseudonym: the SNI and the certificate name still match.
    let t = r.connections[1].tls.as_ref().expect("tls");
    let leaf = t
        .server_certificates
        .as_ref()
        .and_then(|c| c.leaf())
        .expect("leaf");
    assert_eq!(t.sni.as_deref(), leaf.san.dns.first().map(String::as_str));
    assert!(
        t.sni
            .as_deref()
            .is_some_and(|s| s.ends_with(".net") && s.contains("domain-"))
    );
    // The finding text uses the same pseudonyms as the model.
    let f = &r.findings[0];
    assert!(
        f.title.contains(t.sni.as_deref().unwrap_or("?")),
        "{}",
        f.title
    );
    assert!(f.explanation.contains("192.0.2.2"), "{}", f.explanation);
    // No DER is left to export.
    assert!(leaf.der.is_empty());
}

#[test]
fn redacting_ips_only_keeps_names() {
    let a = sample("mtls");
    let r = redact(
        &a,
        RedactWhat {
            ips: true,
            names: false,
        },
    );
    let m = md(&r, &opts());
    assert!(!m.contains("10.0.0.6"));
    assert!(m.contains("api.tlsdiag-test.net"));
}

// ---------------------------------------------------------------- PEM export

fn openssl() -> Option<PathBuf> {
    Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("openssl"))
}

fn split_pem(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END") {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

#[test]
fn export_writes_one_pem_per_chain_and_refuses_to_overwrite() {
    let a = sample("all");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("certs");
    let written = certs_export::export(&a, &out, false).expect("export");
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    // Connection 2's client chain is empty: nothing to export for it.
    assert_eq!(
        names,
        [
            "conn-0001-server-chain.pem",
            "conn-0002-server-chain.pem",
            "index.tsv"
        ]
    );
    for p in &written {
        assert!(p.starts_with(&out));
    }
    let pem = std::fs::read_to_string(&written[0]).expect("pem");
    let blocks = split_pem(&pem);
    assert_eq!(blocks.len(), 2, "leaf and CA");
    let index = std::fs::read_to_string(out.join("index.tsv")).expect("index");
    assert!(index.lines().nth(1).is_some_and(|l| l.starts_with("conn-0001-server-chain.pem\t1\t10.0.0.5:51514\t10.1.2.3:443\twww.tlsdiag-test.net\tserver\t106\t")), "{index}");

    match openssl() {
        None => eprintln!("note: openssl not installed; skipping the openssl x509 check"),
        Some(bin) => {
            for p in written
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "pem"))
            {
                for (i, block) in split_pem(&std::fs::read_to_string(p).expect("pem"))
                    .iter()
                    .enumerate()
                {
                    let one = dir.path().join(format!("one-{i}.pem"));
                    std::fs::write(&one, block).expect("write");
                    let st = Command::new(&bin)
                        .args(["x509", "-noout", "-in"])
                        .arg(&one)
                        .status()
                        .expect("openssl");
                    assert!(
                        st.success(),
                        "openssl rejects certificate {i} of {}",
                        p.display()
                    );
                }
            }
        }
    }

    let again = certs_export::export(&a, &out, false);
    assert!(
        matches!(again, Err(certs_export::ExportError::Exists { .. })),
        "{again:?}"
    );
    assert!(certs_export::export(&a, &out, true).is_ok());
}

#[test]
fn export_names_ignore_wire_data() {
    let mut a = hostile_analysis();
    a.connections[0].tls.as_mut().expect("tls").sni = Some("../../etc/passwd\0/x".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let written = certs_export::export(&a, dir.path(), false).expect("export");
    for p in &written {
        assert_eq!(p.parent(), Some(dir.path()));
        let n = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert!(
            n == "index.tsv" || (n.starts_with("conn-") && n.ends_with("-chain.pem")),
            "{n}"
        );
    }
    let index = std::fs::read_to_string(dir.path().join("index.tsv")).expect("index");
    assert!(
        index.lines().skip(1).all(|l| l.split('\t').count() == 8),
        "a wire newline or tab split an index row"
    );
}

// ---------------------------------------------------------------- browser

/// Renders the HTML of [`sample`] in headless Chromium: it must load offline
/// without console errors or network requests, and the screenshot is kept in
/// tests/artifacts/ for a person to look at.
#[test]
fn html_renders_in_headless_chromium() {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!(
            "note: chromium is not installed (apt-get install chromium); skipping the browser test"
        );
        return;
    };
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let page = artifacts.join("report.html");
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    std::fs::write(
        &page,
        html_of(
            &sample("all"),
            &ReportOptions {
                all: true,
                ..opts()
            },
        ),
    )
    .expect("write html");
    let profile = tempfile::tempdir().expect("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,2000",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        shot.metadata().is_ok_and(|m| m.len() > 10_000),
        "no screenshot; chromium said:\n{stderr}"
    );
    let bad: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains("CONSOLE")
                || l.contains("Content Security Policy")
                || (l.contains("net::") && (l.contains("http:") || l.contains("https:")))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "browser complained about the page:\n{}",
        bad.join("\n")
    );
}

#[test]
fn many_identical_failures_are_folded_after_a_few_examples() {
    // 12 connections failing the same way and one failing another way: the
    // report details DETAIL_PER_KIND of the first kind and lists the rest.
    let per_kind = tlsdiag::report::present::DETAIL_PER_KIND;
    let mut conns = Vec::new();
    let mut findings = Vec::new();
    for i in 0..12u32 {
        let (c, f) = mtls_failure(
            i + 1,
            &format!("10.1.0.{}:5{i:04}", i + 1),
            "api.example.com",
            "api.example.com",
        );
        conns.push(c);
        findings.push(f);
    }
    let (c, f) = version_mismatch(13, "10.2.0.1:40000", "old.example.com");
    conns.push(c);
    findings.push(f);
    let a = analysis(conns, findings);
    let out = md(&a, &opts());
    let sections = out.matches("\n## ").count();
    assert!(out.contains("## More of the same"), "{out}");
    assert!(
        out.contains(&format!("- {} more × ", 12 - per_kind)),
        "{out}"
    );
    assert!(
        out.contains("connections #6, #7, #8, #9, #10, #11, #12"),
        "{out}"
    );
    let html = html_of(&a, &opts());
    assert_eq!(
        html.matches("<section class=\"conn").count(),
        per_kind + 1,
        "five examples of the first kind and the other kind"
    );
    assert!(html.contains("id=\"folded\""));
    // --all details every connection.
    let all = ReportOptions {
        all: true,
        ..opts()
    };
    assert!(!md(&a, &all).contains("More of the same"));
    assert_eq!(
        html_of(&a, &all).matches("<section class=\"conn").count(),
        13
    );
    assert!(sections > per_kind);
}
