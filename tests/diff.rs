//! `tlsdiag diff` on hand-built analyses: each before/after scenario of the
//! capture catalog (diff-intermediate, diff-client-cert, diff-min-version,
//! diff-ciphers, diff-sni) must put the change that explains the new failure
//! first; a diff is symmetric; an analysis equals itself, also after a JSON
//! round trip. The helpers take `Analysis` values, so capture-based tests can
//! feed pipeline output to the same assertions.

use std::sync::Arc;
use tlsdiag::certs::CertSummary;
use tlsdiag::diff::{self, ChangeKind, Diff, GroupState, Importance};
use tlsdiag::model::*;
use tlsdiag::rules::{Evidence, Finding, Severity};
use tlsdiag::tcp::{DirStats, RoleBasis, TcpConnection, TcpEnd};
use tlsdiag::types::{ConnId, FrameNo, Side, Timestamp};

// ---- builders ---------------------------------------------------------------

const SERVER: &str = "10.0.0.9:443";
const NAME: &str = "server.tlsdiag.test";

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

fn tls12() -> Named {
    named(0x0303, "TLS 1.2")
}

fn aes128_sha() -> Named {
    named(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
}

fn aes256_gcm() -> Named {
    named(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
}

/// A certificate summary: `cn` issued by `issuer_cn`, identified by `sha`.
fn cert(cn: &str, issuer_cn: &str, sha: &str, valid_from_year: i64) -> Cert {
    let year = |y: i64| Timestamp::new(tlsdiag::types::days_from_civil(y, 1, 1) * 86_400, 0);
    Cert {
        summary: Arc::new(CertSummary {
            subject: format!("CN={cn}"),
            issuer: format!("CN={issuer_cn}"),
            subject_cn: Some(cn.to_string()),
            issuer_cn: Some(issuer_cn.to_string()),
            sha256: sha.repeat(64 / sha.len().max(1)),
            not_before: Some(year(valid_from_year)),
            not_after: Some(year(valid_from_year + 1)),
            ..CertSummary::default()
        }),
    }
}

fn chain(certs: Vec<Cert>) -> Chain {
    Chain {
        frame: FrameNo(6),
        ts: ts(20),
        certificates: certs,
        total_size: 0,
        malformed: None,
        decrypted: false,
    }
}

const INTERMEDIATE: &str = "tlsdiag Test Intermediate CA";

fn server_chain() -> Chain {
    chain(vec![
        cert(NAME, INTERMEDIATE, "a1", 2025),
        cert(INTERMEDIATE, "tlsdiag Test Root CA", "b2", 2024),
    ])
}

fn client_chain(issuer: &str, sha: &str) -> Chain {
    chain(vec![cert("jane", issuer, sha, 2025)])
}

fn offer(versions: Vec<Named>, suites: Vec<Named>) -> ClientOffer {
    ClientOffer {
        frame: FrameNo(4),
        ts: ts(10),
        legacy_version: tls12(),
        versions,
        cipher_suites: suites,
        supported_groups: vec![named(0x001d, "x25519")],
        key_share_groups: vec![],
        signature_algorithms: vec![],
        alpn: vec![],
        extensions: vec![],
        fallback_scsv: false,
        renegotiation_info: true,
        session_id_len: 32,
        psk_offered: false,
        sslv2_format: false,
        ja4: "t12d0201h2_abc_def".into(),
        ja3: String::new(),
        ja3_hash: String::new(),
    }
}

fn server_hello(version: Named, suite: Named) -> ServerChoice {
    ServerChoice {
        frame: FrameNo(5),
        ts: ts(15),
        version,
        cipher_suite: suite,
        group: Some(named(0x001d, "x25519")),
        alpn: None,
        extensions: vec![],
        downgrade_sentinel: None,
        session_id_echoed: false,
        ja3s: String::new(),
        ja3s_hash: String::new(),
    }
}

/// A completed TLS 1.2 handshake with SNI `server.tlsdiag.test` and the full chain.
fn ok_tls() -> Tls {
    let suites = vec![aes128_sha(), aes256_gcm()];
    Tls {
        sni: Some(NAME.into()),
        version: Some(tls12()),
        cipher_suite: Some(aes128_sha()),
        client_hello: Some(Box::new(offer(vec![tls12()], suites))),
        hello_retry: None,
        server_hello: Some(Box::new(server_hello(tls12(), aes128_sha()))),
        server_certificates: Some(server_chain()),
        certificate_request: None,
        client_certificates: None,
        server_key_exchange: None,
        ocsp_stapled: None,
        alerts: vec![],
        timeline: vec![],
        handshake_complete: true,
        resumed: false,
        renegotiations: 0,
        encrypted_handshake: false,
        encrypted_flight: vec![],
        application_data: AppData::default(),
        not_tls: None,
        starttls: None,
        malformed: vec![],
        durations: Durations {
            client_hello_to_server_hello_ms: Some(5.0),
            client_hello_to_finished_ms: Some(12.0),
        },
        limits_hit: vec![],
        decryption: None,
    }
}

/// Turns a handshake into a failed one: a fatal alert from `by`, nothing negotiated after it.
fn fail(mut t: Tls, by: Side, alert: (u16, &str)) -> Tls {
    t.handshake_complete = false;
    t.durations.client_hello_to_finished_ms = None;
    t.alerts.push(Alert {
        frame: FrameNo(8),
        ts: ts(30),
        sender: by,
        level: "fatal".into(),
        description: Some(named(alert.0, alert.1)),
        encrypted: false,
        decrypted: false,
        after: None,
    });
    t
}

/// The failure happened before the ServerHello: nothing negotiated.
fn no_server_hello(mut t: Tls) -> Tls {
    t.version = None;
    t.cipher_suite = None;
    t.server_hello = None;
    t.server_certificates = None;
    t
}

fn connection(id: u32, server: &str, tls: Tls) -> Connection {
    let client = format!("10.0.0.5:{}", 50_000 + id)
        .parse()
        .expect("literal");
    let server = server.parse().expect("literal");
    let status = if tls.handshake_complete {
        Status::Completed
    } else {
        Status::Failed
    };
    let tcp = TcpConnection {
        id: ConnId(id),
        client,
        server,
        role_basis: RoleBasis::Syn,
        first_frame: FrameNo(1),
        last_frame: FrameNo(20),
        first_ts: ts(0),
        last_ts: ts(200),
        syn_frame: Some(FrameNo(1)),
        synack_frame: Some(FrameNo(2)),
        refused: false,
        syn_data: false,
        mid_stream: false,
        one_sided: None,
        to_server: DirStats::default(),
        to_client: DirStats::default(),
        end: TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(20),
        },
        gaps: vec![],
        conflicts: vec![],
        ooo_bytes_dropped: 0,
    };
    Connection {
        id: tcp.id,
        client,
        server,
        first_frame: tcp.first_frame,
        last_frame: tcp.last_frame,
        first_ts: tcp.first_ts,
        last_ts: tcp.last_ts,
        outcome: Outcome {
            status,
            reason: String::new(),
            ended_by: None,
        },
        history: String::new(),
        tcp,
        tls: Some(tls),
    }
}

fn finding(rule: &str, conn: u32) -> Finding {
    Finding {
        rule: rule.to_string().into(),
        severity: Severity::Error,
        title: rule.into(),
        connection: Some(ConnId(conn)),
        explanation: String::new(),
        remediation: String::new().into(),
        evidence: Evidence::default(),
        inferred: false,
    }
}

/// An analysis of `file` with three connections to SERVER built by `tls`, each
/// with the error findings `rules`, plus one unchanged connection to another server.
fn analysis(file: &str, tls: impl Fn() -> Tls, rules: &[&str]) -> Analysis {
    let mut conns: Vec<Connection> = (1..=3).map(|i| connection(i, SERVER, tls())).collect();
    let mut other = ok_tls();
    other.sni = Some("api.tlsdiag.test".into());
    conns.push(connection(4, "10.0.0.10:8443", other));
    let findings: Vec<Finding> = (1..=3)
        .flat_map(|i| rules.iter().map(move |r| finding(r, i)))
        .collect();
    Analysis {
        schema_version: SCHEMA_VERSION,
        tool: Tool::default(),
        capture: CaptureFacts {
            files: vec![FileFacts {
                name: file.into(),
                format: "pcap".into(),
                compression: "none".into(),
                frames: 80,
                bytes: 0,
                link_types: vec![],
                ts_precision_digits: 6,
                file_truncated: false,
                sha256: None,
            }],
            frames: 80,
            first_ts: Some(ts(0)),
            last_ts: Some(ts(200)),
            warnings: vec![],
            limits_hit: vec![],
        },
        summary: Summary::of(&conns, &findings),
        connections: conns,
        findings,
    }
}

fn before(name: &str) -> Analysis {
    analysis(&format!("diff-{name}-before.pcap"), ok_tls, &[])
}

// ---- the scenarios (capture catalog: "Before/after pairs for tlsdiag diff") ----

/// diff-intermediate: renewed certificate (OU=renewed, new key) sent without the intermediate.
fn intermediate_after() -> Analysis {
    let renewed = || {
        let mut t = fail(ok_tls(), Side::Client, (48, "unknown_ca"));
        let mut leaf = cert(NAME, INTERMEDIATE, "c3", 2026);
        Arc::make_mut(&mut leaf.summary).subject = format!("OU=renewed, CN={NAME}");
        t.server_certificates = Some(chain(vec![leaf]));
        t
    };
    analysis(
        "diff-intermediate-after.pcap",
        renewed,
        &["server-chain-incomplete"],
    )
}

/// The client stopped sending its certificate; the server requires one.
fn client_cert_pair() -> (Analysis, Analysis) {
    let request = || CertificateRequest {
        frame: FrameNo(6),
        ts: ts(20),
        ca_names: vec!["CN=tlsdiag Test Client CA".into()],
        certificate_types: vec![],
        signature_algorithms: vec![],
        decrypted: false,
    };
    let with_cert = || {
        let mut t = ok_tls();
        t.certificate_request = Some(Box::new(request()));
        t.client_certificates = Some(client_chain("tlsdiag Test Client CA", "d4"));
        t
    };
    let without = || {
        let mut t = fail(ok_tls(), Side::Server, (116, "certificate_required"));
        t.certificate_request = Some(Box::new(request()));
        t.client_certificates = Some(chain(vec![]));
        t
    };
    (
        analysis("diff-client-cert-before.pcap", with_cert, &[]),
        analysis(
            "diff-client-cert-after.pcap",
            without,
            &["client-certificate-missing"],
        ),
    )
}

/// diff-min-version: the client offers only TLS 1.2; the server now wants TLS 1.3.
fn min_version_after() -> Analysis {
    let refused = || no_server_hello(fail(ok_tls(), Side::Server, (70, "protocol_version")));
    analysis(
        "diff-min-version-after.pcap",
        refused,
        &["protocol-version-mismatch"],
    )
}

/// diff-ciphers: the client's list narrowed to a suite the server does not have.
fn ciphers_after() -> Analysis {
    let narrowed = || {
        let mut t = no_server_hello(fail(ok_tls(), Side::Server, (40, "handshake_failure")));
        if let Some(o) = t.client_hello.as_mut() {
            o.cipher_suites = vec![aes256_gcm()];
        }
        t
    };
    analysis(
        "diff-ciphers-after.pcap",
        narrowed,
        &["cipher-suite-mismatch"],
    )
}

/// diff-sni: no SNI, the server's default certificate for another name, the client rejects it.
fn sni_after() -> Analysis {
    let no_sni = || {
        let mut t = fail(ok_tls(), Side::Client, (42, "bad_certificate"));
        t.sni = None;
        t.server_certificates = Some(chain(vec![cert(
            "other.example.net",
            INTERMEDIATE,
            "e5",
            2025,
        )]));
        t
    };
    analysis(
        "diff-sni-after.pcap",
        no_sni,
        &["sni-missing", "certificate-name-mismatch"],
    )
}

fn first(d: &Diff) -> &diff::Change {
    d.changes.first().expect("at least one change")
}

/// Asserts the explaining change is first, a cause, and explains an error of AFTER.
fn assert_first_cause(d: &Diff, kind: ChangeKind, words: &[&str]) {
    let c = first(d);
    assert_eq!(c.kind, kind, "first change: {c:#?}");
    assert_eq!(c.importance, Importance::Cause, "{c:#?}");
    for w in words {
        assert!(c.summary.contains(w), "summary {:?} lacks {w:?}", c.summary);
    }
    assert!(!c.explains.is_empty());
    assert!(diff::new_errors(d), "AFTER has new errors");
}

// ---- tests ------------------------------------------------------------------------

#[test]
fn renewed_certificate_without_intermediate_comes_first() {
    let d = diff::diff(&before("intermediate"), &intermediate_after());
    assert_first_cause(
        &d,
        ChangeKind::ServerCertificate,
        &[
            "server certificate changed: new leaf CN=server.tlsdiag.test issued by CN=tlsdiag Test Intermediate CA",
            "subject now OU=renewed, CN=server.tlsdiag.test",
            "the intermediate CN=tlsdiag Test Intermediate CA is no longer sent",
        ],
    );
    assert!(
        first(&d)
            .explains
            .contains(&"server-chain-incomplete".to_string())
    );
    assert!(first(&d).explains.contains(&"alert:unknown_ca".to_string()));
    // The unrelated server is identical; failures follow the cause.
    let api = d
        .groups
        .iter()
        .find(|g| g.group == "api.tlsdiag.test:8443")
        .expect("api group");
    assert_eq!(api.state, GroupState::Identical);
    let kinds: Vec<ChangeKind> = d.changes.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ChangeKind::Outcome) && kinds.contains(&ChangeKind::ErrorFinding));
    assert!(
        d.changes
            .iter()
            .all(|c| c.group == "server.tlsdiag.test:443")
    );
}

#[test]
fn client_certificate_no_longer_sent_comes_first() {
    let (b, a) = client_cert_pair();
    let d = diff::diff(&b, &a);
    assert_first_cause(
        &d,
        ChangeKind::ClientCertificate,
        &[
            "client stopped sending a certificate",
            "CN=jane issued by CN=tlsdiag Test Client CA",
            "an empty Certificate message",
        ],
    );
    // `[]` (empty Certificate message) stays distinct from `null` (none sent).
    assert_eq!(first(&d).after, serde_json::json!([[]]));
    assert!(
        !d.changes
            .iter()
            .any(|c| c.kind == ChangeKind::CertificateRequest),
        "request unchanged"
    );
}

#[test]
fn no_certificate_message_differs_from_an_empty_one() {
    let (with_cert, _) = client_cert_pair();
    let with_empty = |empty: bool| {
        let mut a = with_cert.clone();
        for c in &mut a.connections {
            if let Some(t) = c.tls.as_mut().filter(|t| t.certificate_request.is_some()) {
                t.client_certificates = empty.then(|| chain(vec![]));
            }
        }
        a
    };
    let d = diff::diff(&with_empty(false), &with_empty(true));
    let c = first(&d);
    assert_eq!(c.kind, ChangeKind::ClientCertificate);
    assert_eq!(
        c.summary,
        "client now sends an empty Certificate message (before: no Certificate message)"
    );
    assert_eq!(
        (&c.before, &c.after),
        (&serde_json::json!([null]), &serde_json::json!([[]]))
    );
}

#[test]
fn ambiguous_groups_are_not_paired() {
    // Two names on one address before, no SNI after: which one lost its SNI is unknown.
    let mut b = before("x");
    if let Some(t) = b.connections.get_mut(2).and_then(|c| c.tls.as_mut()) {
        t.sni = Some("www.tlsdiag.test".into());
    }
    let mut a = before("x");
    for c in a.connections.iter_mut().take(3) {
        if let Some(t) = c.tls.as_mut() {
            t.sni = None;
        }
    }
    let d = diff::diff(&b, &a);
    let one_sided: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::GroupOneSide)
        .map(|c| c.group.as_str())
        .collect();
    assert_eq!(
        one_sided,
        [
            "10.0.0.9:443",
            "server.tlsdiag.test:443",
            "www.tlsdiag.test:443"
        ]
    );
}

#[test]
fn server_minimum_version_raised_comes_first() {
    let d = diff::diff(&before("min-version"), &min_version_after());
    assert_first_cause(
        &d,
        ChangeKind::NegotiatedVersion,
        &[
            "server now refuses TLS 1.2, the client's highest offered version (unchanged)",
            "requires a newer version",
        ],
    );
    assert_eq!(
        first(&d).explains,
        vec!["protocol-version-mismatch", "alert:protocol_version"]
    );
    assert!(
        !d.changes
            .iter()
            .any(|c| c.kind == ChangeKind::OfferedVersions),
        "client offer unchanged"
    );
}

#[test]
fn cipher_list_narrowed_comes_first() {
    let d = diff::diff(&before("ciphers"), &ciphers_after());
    assert_first_cause(
        &d,
        ChangeKind::OfferedCiphers,
        &[
            "client's cipher list narrowed: no longer offers TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
            "no suite in common with the server any more",
        ],
    );
}

#[test]
fn server_dropping_the_common_suite_comes_first() {
    let dropped = || no_server_hello(fail(ok_tls(), Side::Server, (40, "handshake_failure")));
    let d = diff::diff(
        &before("ciphers"),
        &analysis("after.pcap", dropped, &["cipher-suite-mismatch"]),
    );
    assert_first_cause(
        &d,
        ChangeKind::SelectedCipher,
        &[
            "no cipher suite in common any more: the server no longer accepts TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        ],
    );
}

#[test]
fn sni_dropped_comes_first_and_groups_pair_by_address() {
    let d = diff::diff(&before("sni"), &sni_after());
    assert_first_cause(
        &d,
        ChangeKind::Sni,
        &["client no longer sends SNI (was server.tlsdiag.test)"],
    );
    assert_eq!(first(&d).group, "10.0.0.9:443 / server.tlsdiag.test:443");
    let second = d.changes.get(1).expect("two changes");
    assert_eq!(
        (second.kind, second.importance),
        (ChangeKind::ServerCertificate, Importance::Cause)
    );
    assert!(
        second.summary.contains("new leaf CN=other.example.net"),
        "{}",
        second.summary
    );
    assert!(
        !d.changes.iter().any(|c| c.kind == ChangeKind::GroupOneSide),
        "groups were paired"
    );
}

#[test]
fn an_analysis_equals_itself() {
    for a in [
        before("x"),
        intermediate_after(),
        client_cert_pair().1,
        min_version_after(),
        ciphers_after(),
        sni_after(),
    ] {
        let d = diff::diff(&a, &a);
        assert!(d.changes.is_empty(), "{:#?}", d.changes);
        assert!(d.groups.iter().all(|g| g.state == GroupState::Identical));
        assert!(!diff::new_errors(&d));
    }
}

#[test]
fn diff_is_symmetric() {
    let (cb, ca) = client_cert_pair();
    let pairs = [
        (before("i"), intermediate_after()),
        (cb, ca),
        (before("v"), min_version_after()),
        (before("c"), ciphers_after()),
        (before("s"), sni_after()),
    ];
    for (b, a) in pairs {
        let key = |c: &diff::Change, swap: bool| {
            let (x, y) = if swap {
                (&c.after, &c.before)
            } else {
                (&c.before, &c.after)
            };
            (
                c.group.clone(),
                c.kind,
                c.importance,
                x.to_string(),
                y.to_string(),
                c.explains.clone(),
            )
        };
        let forward: Vec<_> = diff::diff(&b, &a)
            .changes
            .iter()
            .map(|c| key(c, false))
            .collect();
        let backward: Vec<_> = diff::diff(&a, &b)
            .changes
            .iter()
            .map(|c| key(c, true))
            .collect();
        assert!(!forward.is_empty());
        assert_eq!(
            forward, backward,
            "same changes, same order, before/after swapped"
        );
        assert!(diff::new_errors(&diff::diff(&b, &a)));
        assert!(
            !diff::new_errors(&diff::diff(&a, &b)),
            "the errors went away"
        );
    }
}

#[test]
fn json_round_trip_loads_an_equal_analysis() {
    let original = sni_after();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("after.json");
    let mut text = Vec::new();
    tlsdiag::report::json::write(&mut text, &original).expect("serialise");
    std::fs::write(&path, &text).expect("write");
    assert!(diff::is_json_file(&path).expect("sniff"));
    let loaded = diff::load_analysis(&path).expect("load");
    assert_eq!(loaded.connections.len(), original.connections.len());
    let d = diff::diff(&original, &loaded);
    assert!(d.changes.is_empty(), "{:#?}", d.changes);
    let d = diff::diff(&before("sni"), &loaded);
    assert_eq!(first(&d).kind, ChangeKind::Sni);
}

#[test]
fn load_rejects_captures_and_other_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pcap = dir.path().join("x.pcap");
    std::fs::write(&pcap, b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00").expect("write");
    assert!(!diff::is_json_file(&pcap).expect("sniff"));
    assert!(matches!(
        diff::load_analysis(&pcap),
        Err(diff::LoadError::NotJson { .. })
    ));
    let json = dir.path().join("old.json");
    let mut v = serde_json::to_value(before("x")).expect("value");
    v["schema_version"] = 99.into();
    std::fs::write(&json, v.to_string()).expect("write");
    assert!(matches!(
        diff::load_analysis(&json),
        Err(diff::LoadError::Schema { found: 99, .. })
    ));
    let garbage = dir.path().join("g.json");
    std::fs::write(&garbage, "{\"hello\": 1}").expect("write");
    assert!(matches!(
        diff::load_analysis(&garbage),
        Err(diff::LoadError::Json { .. })
    ));
}

#[test]
fn groups_on_one_side_only_are_listed() {
    let b = before("x");
    let mut a = before("x");
    let mut extra = ok_tls();
    extra.sni = Some("new.tlsdiag.test".into());
    a.connections.push(connection(5, "10.0.0.11:443", extra));
    let d = diff::diff(&b, &a);
    let c = first(&d);
    assert_eq!(
        (c.kind, c.importance),
        (ChangeKind::GroupOneSide, Importance::Change)
    );
    assert_eq!(c.group, "new.tlsdiag.test:443");
    assert!(c.before.is_null() && !c.after.is_null());
    assert_eq!(
        d.groups
            .iter()
            .filter(|g| g.state == GroupState::AfterOnly)
            .count(),
        1
    );
    assert!(!diff::new_errors(&d));
}

#[test]
fn slower_handshakes_are_a_detail() {
    let slow = || {
        let mut t = ok_tls();
        t.durations.client_hello_to_finished_ms = Some(150.0);
        t
    };
    let d = diff::diff(&before("t"), &analysis("slow.pcap", slow, &[]));
    assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
    let c = first(&d);
    assert_eq!(
        (c.kind, c.importance),
        (ChangeKind::Timing, Importance::Detail)
    );
    assert_eq!(
        c.summary,
        "handshake duration p50 150 ms, p90 150 ms (was p50 12 ms, p90 12 ms)"
    );
    // 12 → 14 ms is within the noise threshold.
    let near = || {
        let mut t = ok_tls();
        t.durations.client_hello_to_finished_ms = Some(14.0);
        t
    };
    assert!(
        diff::diff(&before("t"), &analysis("near.pcap", near, &[]))
            .changes
            .is_empty()
    );
}

// ---- renderers ------------------------------------------------------------------

fn render(f: fn(&mut dyn std::io::Write, &Diff) -> std::io::Result<()>, d: &Diff) -> String {
    let mut out = Vec::new();
    f(&mut out, d).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn text_report_of_a_missing_intermediate() {
    let d = diff::diff(&before("intermediate"), &intermediate_after());
    let text = render(diff::write_text, &d);
    // Colour codes are always written; the app strips them off terminals.
    let plain = String::from_utf8(anstream::adapter::strip_bytes(text.as_bytes()).into_vec())
        .expect("utf-8");
    assert!(plain.contains("identical: 1 server group: api.tlsdiag.test:8443"));
    insta::assert_snapshot!("text_intermediate", plain);
}

#[test]
fn json_report_of_a_missing_intermediate() {
    let d = diff::diff(&before("intermediate"), &intermediate_after());
    let text = render(diff::write_json, &d);
    let back: Diff = serde_json::from_str(&text).expect("diff JSON parses back");
    assert_eq!(back, d);
    insta::assert_snapshot!("json_intermediate", text);
}

#[test]
fn markdown_report_of_a_dropped_sni() {
    let d = diff::diff(&before("sni"), &sni_after());
    insta::assert_snapshot!("markdown_sni", render(diff::write_markdown, &d));
}

/// An SNI with table, code and HTML markup, a newline and an escape sequence.
fn hostile_pair() -> (Analysis, Analysis) {
    let hostile = "x|`id`<script>\n\u{1b}[31m.tlsdiag.test";
    let b = before("h");
    let mut a = before("h");
    for c in a.connections.iter_mut().take(3) {
        if let Some(t) = c.tls.as_mut() {
            t.sni = Some(hostile.into());
        }
    }
    (b, a)
}

#[test]
fn wire_strings_are_escaped_in_every_format() {
    let (b, a) = hostile_pair();
    let d = diff::diff(&b, &a);
    assert_eq!(first(&d).kind, ChangeKind::Sni);
    let text = render(diff::write_text, &d);
    assert!(
        !text.contains("<script>\n") && !text.contains("\u{1b}[31m."),
        "{text}"
    );
    let md = render(diff::write_markdown, &d);
    assert!(
        md.contains("x\\|\\`id\\`\\<script\\>\\\\x0a\\\\x1b\\[31m.tlsdiag.test"),
        "{md}"
    );
    let html = render(diff::write_html, &d);
    assert!(
        html.contains("x|`id`&lt;script&gt;\\x0a\\x1b[31m.tlsdiag.test"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
}
