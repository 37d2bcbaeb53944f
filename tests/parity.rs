//! Parity with tshark: on every capture in captures/ and in the public corpus,
//! the TCP connections (endpoints, frames and frame bytes each way) and the TLS
//! facts (handshake message types and the frames they complete in, SNI, the
//! selected cipher suite, plaintext alerts, certificate serials) equal what
//! tshark 4.0 reads from the same bytes.
//!
//! tshark's reading is recorded in tests/data/tshark-parity.json by
//! tests/data/tshark-parity.py, so these tests do not need tshark.
//! Known, explained differences are listed in `KNOWN` with the reason.

mod common;

use common::type_of;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tlsdiag::certs::CertCache;
use tlsdiag::model::Connection;
use tlsdiag::pipeline::{self, Limits};

fn expectations() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(common::root().join("tests/data/tshark-parity.json"))
        .expect("parity data");
    serde_json::from_str(&text).expect("parity json")
}

fn resolve(key: &str) -> Option<PathBuf> {
    match key.strip_prefix("corpus/") {
        Some(rest) => common::corpus_dir().map(|c| c.join(rest)),
        None => Some(common::root().join(key)),
    }
}

fn connections(path: &std::path::Path) -> Vec<Connection> {
    let certs = CertCache::new();
    let path = path.to_str().expect("utf-8 path");
    pipeline::decode_file(path, &Limits::default(), None, &certs, &mut |_| {})
        .expect("decodes")
        .connections
}

/// Captures where tshark and tlsdiag are known to differ, and why.
const KNOWN: &[(&str, &str)] = &[
    (
        "captures/weak-cipher-null.pcap",
        "NULL cipher: tshark reads the 'encrypted' Finished and alerts as plaintext; tlsdiag counts every record after ChangeCipherSpec as encrypted",
    ),
    (
        "corpus/suricata-verify/sv_tls13-draft14_sni-tls13.crypto.mozilla.org.pcap",
        "tshark 4.0 reads the draft-14 ServerHello with the final layout (a session id field), so its cipher suite is garbage (0xacad); tlsdiag reads 0xc02b",
    ),
];

fn known(key: &str) -> bool {
    KNOWN.iter().any(|(k, _)| *k == key)
}

/// Per 4-tuple (sorted endpoints): frames and frame bytes in each direction.
/// Summed per 4-tuple because tshark keeps a SYN that follows a RST with the
/// same ISN in the old stream ("port numbers reused"), where tlsdiag starts a
/// new connection (a new attempt); every frame and byte must still agree.
type Flows = BTreeMap<(String, String), [u64; 4]>;

fn add(flows: &mut Flows, a: String, b: String, ab: (u64, u64), ba: (u64, u64)) {
    let (key, x, y) = if a <= b {
        ((a, b), ab, ba)
    } else {
        ((b, a), ba, ab)
    };
    let e = flows.entry(key).or_default();
    e[0] += x.0;
    e[1] += x.1;
    e[2] += y.0;
    e[3] += y.1;
}

#[test]
fn tcp_connections_match_tshark() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut flows_compared = 0;
    for (key, exp) in expectations() {
        let Some(path) = resolve(&key) else { continue };
        if !path.is_file() {
            continue;
        }
        checked += 1;
        let mut ours = Flows::new();
        for c in connections(&path) {
            let (s, r) = (&c.tcp.to_server, &c.tcp.to_client);
            add(
                &mut ours,
                c.client.to_string(),
                c.server.to_string(),
                (s.packets, s.wire_bytes),
                (r.packets, r.wire_bytes),
            );
        }
        let mut theirs = Flows::new();
        for s in exp["streams"].as_array().expect("streams") {
            let n = |k: &str| s[k].as_u64().unwrap_or(0);
            let (a, b) = (
                s["a"].as_str().unwrap_or("").to_string(),
                s["b"].as_str().unwrap_or("").to_string(),
            );
            add(
                &mut theirs,
                a,
                b,
                (n("frames_ab"), n("bytes_ab")),
                (n("frames_ba"), n("bytes_ba")),
            );
        }
        flows_compared += theirs.len();
        if ours != theirs {
            let diff: Vec<String> = theirs
                .iter()
                .filter(|(k, v)| ours.get(*k) != Some(*v))
                .map(|(k, v)| format!("{k:?}: tshark {v:?} tlsdiag {:?}", ours.get(k)))
                .chain(
                    ours.keys()
                        .filter(|k| !theirs.contains_key(*k))
                        .map(|k| format!("{k:?}: only in tlsdiag")),
                )
                .collect();
            failures.push(format!("{key}:\n    {}", diff.join("\n    ")));
        }
    }
    eprintln!("tcp parity: {checked} captures, {flows_compared} flows compared");
    assert!(checked >= 60, "only {checked} captures checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tls_facts_match_tshark() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut fields = 0;
    for (key, exp) in expectations() {
        let Some(path) = resolve(&key) else { continue };
        if !path.is_file() || known(&key) {
            continue;
        }
        checked += 1;
        let conns = connections(&path);
        let mut types: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut sni: BTreeMap<u64, String> = BTreeMap::new();
        let mut suite: BTreeMap<u64, String> = BTreeMap::new();
        let mut alerts: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut serials: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut later_hellos: Vec<u64> = Vec::new();
        for c in &conns {
            let Some(t) = &c.tls else { continue };
            for e in t.timeline.iter().filter(|e| !e.decrypted) {
                if let Some(ty) = type_of(&e.what) {
                    types.entry(e.frame.0).or_default().push(ty);
                }
            }
            if let (Some(ch), Some(s)) = (&t.client_hello, &t.sni) {
                sni.insert(ch.frame.0, s.clone());
            }
            if let Some(sh) = &t.server_hello {
                suite.insert(sh.frame.0, format!("0x{:04x}", sh.cipher_suite.id));
            }
            if let Some(hrr) = &t.hello_retry {
                suite.insert(hrr.frame.0, format!("0x{:04x}", hrr.cipher_suite.id));
            }
            // The model details the first ClientHello of a connection; later ones
            // (after a HelloRetryRequest, or renegotiation) are only in the timeline.
            for e in t
                .timeline
                .iter()
                .filter(|e| e.what == "ClientHello")
                .skip(1)
            {
                later_hellos.push(e.frame.0);
            }
            for a in t.alerts.iter().filter(|a| !a.encrypted) {
                if let Some(d) = &a.description {
                    alerts.entry(a.frame.0).or_default().push(u64::from(d.id));
                }
            }
            for ch in [&t.server_certificates, &t.client_certificates]
                .into_iter()
                .flatten()
            {
                serials
                    .entry(ch.frame.0)
                    .or_default()
                    .extend(ch.certificates.iter().map(|c| c.summary.serial.clone()));
            }
        }
        let mut problems = Vec::new();
        for row in exp["tls"].as_array().expect("tls rows") {
            let frame = row["frame"].as_u64().unwrap_or(0);
            let mut want: Vec<u64> = row["types"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            let mut got = types.get(&frame).cloned().unwrap_or_default();
            want.sort_unstable();
            got.sort_unstable();
            fields += 1;
            if want != got {
                problems.push(format!(
                    "frame {frame}: handshake types tshark {want:?} tlsdiag {got:?}"
                ));
            }
            if let Some(s) = row["sni"]
                .as_str()
                .filter(|_| !later_hellos.contains(&frame))
            {
                fields += 1;
                if sni.get(&frame).map(String::as_str) != Some(s) {
                    problems.push(format!(
                        "frame {frame}: SNI tshark {s:?} tlsdiag {:?}",
                        sni.get(&frame)
                    ));
                }
            }
            if let Some(s) = row["suites"].as_str().filter(|_| want == [2]) {
                fields += 1;
                if suite.get(&frame).map(String::as_str) != Some(s) {
                    problems.push(format!(
                        "frame {frame}: suite tshark {s} tlsdiag {:?}",
                        suite.get(&frame)
                    ));
                }
            }
            if let Some(d) = row["alert_descs"].as_str() {
                let want: Vec<u64> = d.split(',').filter_map(|x| x.parse().ok()).collect();
                fields += 1;
                if alerts.get(&frame).cloned().unwrap_or_default() != want {
                    problems.push(format!(
                        "frame {frame}: alerts tshark {want:?} tlsdiag {:?}",
                        alerts.get(&frame)
                    ));
                }
            }
            if let Some(s) = row["serials"].as_str() {
                let want: Vec<String> = s
                    .split(',')
                    .map(|x| x.trim_start_matches('0').to_string())
                    .collect();
                let got: Vec<String> = serials
                    .get(&frame)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|x| x.trim_start_matches('0').to_string())
                    .collect();
                fields += 1;
                // tshark's x509af.serialNumber also lists the serials named inside a
                // stapled OCSP response (CertificateStatus, type 22) after the chain's.
                let ocsp = row["types"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x == 22));
                let same = if ocsp {
                    want.starts_with(&got) && want.len() <= got.len() + 1
                } else {
                    want == got
                };
                if !same {
                    problems.push(format!(
                        "frame {frame}: serials tshark {want:?} tlsdiag {got:?}"
                    ));
                }
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{key}:\n    {}", problems.join("\n    ")));
        }
    }
    assert!(checked >= 60, "only {checked} captures checked");
    eprintln!("parity: {checked} captures, {fields} fields compared");
    assert!(
        failures.is_empty(),
        "{} of {checked} captures differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
