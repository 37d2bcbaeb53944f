//! Decryption with key logs, against real captures made by captures/make.sh
//! (openssl -keylogfile) and against tshark's decrypted reading of the same
//! bytes with the same key log (tests/data/tshark-decrypted.json, recorded by
//! tests/data/tshark-decrypted.py).

mod common;

use common::{analyze_json, capture, findings_of, root, tlsdiag, type_of};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tlsdiag::certs::CertCache;
use tlsdiag::model::{Connection, DecryptionStatus};
use tlsdiag::pipeline::{self, Limits};
use tlsdiag::tls::KeyLog;

fn decode(path: &str, keylog: Option<&str>) -> Vec<Connection> {
    let keys = keylog.map(|k| KeyLog::parse(&std::fs::read(root().join(k)).expect("key log")));
    let path = root().join(path);
    pipeline::decode_file(
        path.to_str().expect("utf-8"),
        &Limits::default(),
        keys.as_ref(),
        &CertCache::new(),
        &mut |_| {},
    )
    .expect("decodes")
    .connections
}

/// Per frame: handshake types, alert descriptions and certificate serials.
type Seen = BTreeMap<u64, (Vec<u64>, Vec<u64>, Vec<String>)>;

/// Frames of Certificate messages after the first one of their sender (a
/// renegotiation's): the model details only the first chain of each side.
fn later_chains(conns: &[Connection]) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for t in conns.iter().filter_map(|c| c.tls.as_ref()) {
        let mut senders = BTreeSet::new();
        for e in t
            .timeline
            .iter()
            .filter(|e| e.what.starts_with("Certificate("))
        {
            if !senders.insert(format!("{}", e.sender)) {
                out.insert(e.frame.0);
            }
        }
    }
    out
}

fn seen(conns: &[Connection]) -> Seen {
    let mut out = Seen::new();
    for t in conns.iter().filter_map(|c| c.tls.as_ref()) {
        for e in &t.timeline {
            if let Some(ty) = type_of(&e.what) {
                out.entry(e.frame.0).or_default().0.push(ty);
            }
        }
        for a in t.alerts.iter().filter(|a| !a.encrypted) {
            if let Some(d) = &a.description {
                out.entry(a.frame.0).or_default().1.push(u64::from(d.id));
            }
        }
        for ch in [&t.server_certificates, &t.client_certificates]
            .into_iter()
            .flatten()
        {
            out.entry(ch.frame.0).or_default().2.extend(
                ch.certificates
                    .iter()
                    .map(|c| c.summary.serial.trim_start_matches('0').to_string()),
            );
        }
    }
    for v in out.values_mut() {
        v.0.sort_unstable();
        v.1.sort_unstable();
        v.2.sort();
    }
    out
}

fn nums(v: &Value) -> Vec<u64> {
    let mut n: Vec<u64> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    n.sort_unstable();
    n
}

#[test]
fn decrypted_messages_alerts_and_certificates_match_tshark() {
    let text = std::fs::read_to_string(root().join("tests/data/tshark-decrypted.json"))
        .expect("tshark data");
    let data: BTreeMap<String, Value> = serde_json::from_str(&text).expect("json");
    let (mut checked, mut only_decrypted, mut failures) = (0, 0u64, Vec::new());
    for (path, exp) in &data {
        let conns = decode(path, exp["keylog"].as_str());
        let got = seen(&conns);
        let later = later_chains(&conns);
        checked += 1;
        for row in exp["decrypted"].as_array().expect("rows") {
            let frame = row["frame"].as_u64().expect("frame");
            let empty = (Vec::new(), Vec::new(), Vec::new());
            let (types, alerts, serials) = got.get(&frame).unwrap_or(&empty);
            let want_types = nums(&row["types"]);
            let want_alerts = nums(&row["alert_descs"]);
            let mut want_serials: Vec<String> = row["serials"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim_start_matches('0').to_string())
                        .collect()
                })
                .unwrap_or_default();
            want_serials.sort();
            if later.contains(&frame) {
                // Compared as types only (see later_chains).
                want_serials.clone_from(serials);
            }
            if (&want_types, &want_alerts, &want_serials) != (types, alerts, serials) {
                failures.push(format!(
                    "{path} frame {frame}: tshark types {want_types:?} alerts {want_alerts:?} serials {want_serials:?}; tlsdiag {types:?} {alerts:?} {serials:?}"
                ));
            }
        }
        let summary = &exp["summary"];
        only_decrypted += summary["handshake_messages_decrypted"]
            .as_u64()
            .unwrap_or(0)
            - summary["handshake_messages_encrypted"]
                .as_u64()
                .unwrap_or(0);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 17, "only {checked} captures checked");
    // The data must exercise decryption, not just the plaintext hellos.
    assert!(only_decrypted >= 90, "{only_decrypted}");
}

#[test]
fn every_suite_decrypts_completely() {
    for (name, suite, tls13) in [
        ("tls13-aes128-keylog", 0x1301, true),
        ("tls13-aes256-keylog", 0x1302, true),
        ("tls13-chacha20-keylog", 0x1303, true),
        ("tls12-gcm-keylog", 0xc02b, false),
        ("tls12-chacha20-keylog", 0xcca9, false),
        ("tls12-cbc-etm-keylog", 0xc023, false),
        ("tls12-cbc-noetm-keylog", 0xc023, false),
    ] {
        let conns = decode(
            &format!("captures/{name}.pcap"),
            Some(&format!("captures/{name}.keys")),
        );
        let t = conns[0].tls.as_ref().expect("tls");
        assert_eq!(t.cipher_suite.as_ref().map(|s| s.id), Some(suite), "{name}");
        let d = t.decryption.as_ref().expect("decryption facts");
        assert_eq!(d.status, DecryptionStatus::Decrypted, "{name}: {d:?}");
        assert!(d.failures.is_empty(), "{name}");
        // Both Finished messages are read from decrypted records, and the
        // close_notify alerts too.
        let finished: Vec<_> = t
            .timeline
            .iter()
            .filter(|e| e.what == "Finished" && e.decrypted)
            .collect();
        assert_eq!(finished.len(), 2, "{name}");
        assert!(
            t.alerts
                .iter()
                .any(|a| a.decrypted && a.description.as_ref().is_some_and(|d| d.id == 0)),
            "{name}: close_notify"
        );
        if tls13 {
            let chain = t.server_certificates.as_ref().expect("server chain");
            assert!(chain.decrypted && !chain.certificates.is_empty(), "{name}");
            assert!(!t.encrypted_handshake, "{name}");
        }
        assert!(t.handshake_complete, "{name}");
    }
}

#[test]
fn without_keys_the_same_captures_stay_encrypted() {
    let conns = decode("captures/tls13-aes128-keylog.pcap", None);
    let t = conns[0].tls.as_ref().expect("tls");
    assert!(t.decryption.is_none());
    assert!(t.encrypted_handshake && t.server_certificates.is_none());
    assert!(t.timeline.iter().all(|e| !e.decrypted));
}

/// The TLS 1.3 failure, visible only decrypted, gives the same findings as
/// the same failure in TLS 1.2 (where it is plaintext).
#[test]
fn tls13_mtls_failure_with_keys_gives_the_tls12_findings() {
    let errors = |analysis: &Value| -> BTreeSet<String> {
        analysis["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] != "info")
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let tls12 = analyze_json(&capture("mtls12-client-cert-missing.pcap"), &[]);
    let tls13_keys = analyze_json(
        &capture("mtls13-client-cert-missing.pcap"),
        &["--keylog", "captures/mtls13-client-cert-missing.keys"],
    );
    let tls13_dsb = analyze_json(&capture("tls13-dsb.pcapng"), &[]);
    let tls13_bare = analyze_json(&capture("mtls13-client-cert-missing.pcap"), &[]);
    assert_eq!(
        errors(&tls12),
        BTreeSet::from(["client-certificate-missing".into()])
    );
    assert_eq!(errors(&tls13_keys), errors(&tls12));
    assert_eq!(errors(&tls13_dsb), errors(&tls12));
    // Without keys only the inference is possible.
    assert!(errors(&tls13_bare).contains("encrypted-alert-inferred"));
    assert!(!errors(&tls13_bare).contains("client-certificate-missing"));
    let alert = &tls13_keys["connections"][0]["tls"]["alerts"][0];
    assert_eq!(alert["description"]["name"], "certificate_required");
    assert_eq!(alert["decrypted"], true);
}

#[test]
fn a_messy_key_log_is_noted_and_never_fails_the_run() {
    // keylog-mixed.keys: junk lines, wrong secrets for tls13-ok, and the
    // right secrets for tls12-gcm-keylog among others.
    for (file, status) in [
        ("tls13-ok.pcap", "keys_wrong"),
        ("tls12-gcm-keylog.pcap", "decrypted"),
        ("tls12-ok.pcap", "keys_missing"),
    ] {
        let a = analyze_json(&capture(file), &["--keylog", "captures/keylog-mixed.keys"]);
        for c in a["connections"].as_array().expect("connections") {
            assert_eq!(c["tls"]["decryption"]["status"], status, "{file}");
        }
        let warnings = a["capture"]["warnings"].to_string();
        assert!(
            warnings.contains("key log: 5 lines not understood"),
            "{file}: {warnings}"
        );
    }
    let wrong = analyze_json(
        &capture("tls13-ok.pcap"),
        &["--keylog", "captures/keylog-mixed.keys"],
    );
    assert_eq!(findings_of(&wrong, "keys-wrong").len(), 1);
    // Still analysed as without keys.
    assert_eq!(findings_of(&wrong, "handshake-encrypted").len(), 1);
}

#[test]
fn an_unreadable_key_log_is_a_usage_error() {
    tlsdiag()
        .args([
            "analyze",
            "captures/tls13-ok.pcap",
            "--keylog",
            "captures/no-such.keys",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--keylog captures/no-such.keys"));
}

#[test]
fn several_key_logs_combine() {
    let a = analyze_json(
        &capture("tls13-ok.pcap"),
        &[
            "--keylog",
            "captures/tls12-gcm-keylog.keys",
            "--keylog",
            "captures/tls13-ok.keys",
        ],
    );
    assert_eq!(
        a["connections"][0]["tls"]["decryption"]["status"],
        "decrypted"
    );
}
