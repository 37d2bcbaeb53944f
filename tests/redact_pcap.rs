//! `tlsdiag redact IN OUT`: the redacted capture gives the same findings,
//! names no original client address, keeps checksums as valid as they were,
//! drops decryption secrets, and never overwrites without --force.

mod common;

use common::{capture, tlsdiag};
use std::path::{Path, PathBuf};
use std::process::Command;

fn redact(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    tlsdiag()
        .arg("redact")
        .arg(input)
        .arg(out)
        .args(extra)
        .output()
        .expect("run")
}

fn findings(a: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut v: Vec<_> = a["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["evidence"]["frames"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn same_findings_without_the_client_addresses() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "mtls12-client-cert-missing.pcap",
        "intermittent-server-cert.pcap",
        "tls13-ok.pcap",
    ] {
        let out = dir.path().join(format!("{name}.pcapng"));
        let r = redact(&capture(name), &out, &[]);
        assert!(
            r.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let before = common::analyze_json(&capture(name), &[]);
        let after = common::analyze_json(&out, &[]);
        assert_eq!(
            findings(&before),
            findings(&after),
            "{name}: findings differ"
        );
        assert_eq!(
            before["connections"].as_array().map(Vec::len),
            after["connections"].as_array().map(Vec::len)
        );
        // The client address (here loopback, also the server's) is gone from
        // every endpoint (the server certificate's SAN still names 127.0.0.1:
        // certificates are kept byte for byte).
        for c in after["connections"].as_array().expect("connections") {
            for side in ["client", "server"] {
                assert!(
                    !c[side].as_str().unwrap_or("").starts_with("127.0.0.1"),
                    "{name}: {side} {}",
                    c[side]
                );
            }
        }
        assert!(
            after["connections"][0]["client"]
                .as_str()
                .is_some_and(|c| c.starts_with("192.0.2.")),
            "{name}"
        );
    }
}

fn checksum_statuses(file: &Path) -> Option<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-T",
            "fields",
        ])
        .args(["-e", "ip.checksum.status", "-e", "tcp.checksum.status"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn tshark_reads_it_and_checksums_stay_as_valid_as_they_were() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inputs: Vec<PathBuf> = vec![capture("mtls12-ok.pcap")];
    if let Some(c) = common::corpus_dir() {
        // A capture from a real network, with real TCP checksums.
        inputs.push(c.join("suricata-verify/sv_tls12_sni-dogfish_full-handshake.pcap"));
    }
    for input in inputs {
        let out = dir.path().join("out.pcapng");
        let r = redact(&input, &out, &["--force"]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let (Some(before), Some(after)) = (checksum_statuses(&input), checksum_statuses(&out))
        else {
            eprintln!("skipped: tshark is not installed");
            return;
        };
        assert_eq!(
            before,
            after,
            "{}: IP/TCP checksum statuses changed by the rewrite",
            input.display()
        );
    }
}

#[test]
fn secrets_are_dropped_unless_asked_for_and_output_is_not_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.pcapng");
    assert!(
        redact(&capture("tls12-ok.pcap"), &out, &[])
            .status
            .success()
    );
    // No Decryption Secrets Block (type 0x0000000A) among the blocks.
    let bytes = std::fs::read(&out).expect("read");
    let mut at = 0;
    while let Some(h) = bytes.get(at..at + 8) {
        let kind = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        assert_ne!(kind, 0x0A, "a Decryption Secrets Block was written");
        assert!(len >= 12);
        at += len;
    }
    assert_eq!(at, bytes.len(), "blocks tile the file");
    let again = redact(&capture("tls12-ok.pcap"), &out, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
}

#[test]
fn application_data_is_cut_but_its_size_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cut.pcapng");
    let r = redact(&capture("tls12-ok.pcap"), &out, &["--keep-payload", "1000"]);
    assert!(r.status.success());
    let a = common::analyze_json(&out, &[]);
    let c = &a["connections"][0];
    // The handshake (first 1000 bytes each way) is still read; later bytes are missing, not invented.
    assert!(c["tls"]["client_hello"].is_object());
    let original = common::analyze_json(&capture("tls12-ok.pcap"), &[]);
    assert_eq!(
        c["tcp"]["to_client"]["wire_bytes"],
        original["connections"][0]["tcp"]["to_client"]["wire_bytes"],
        "sizes kept"
    );
}
