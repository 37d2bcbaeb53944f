//! `tlsdiag redact`: the redacted pcapng copy still tells the same story
//! (same findings on the same frames), names clients as `--redact ips`
//! does, is valid for Wireshark, keeps no secrets unless asked, and never
//! overwrites a file by accident.

mod common;

use common::{analyze_json, capture, tlsdiag};
use serde_json::Value;
use std::path::{Path, PathBuf};

const CAPTURES: [&str; 2] = [
    "mtls12-client-cert-missing.pcap",
    "intermittent-server-cert.pcap",
];

/// Runs `tlsdiag redact IN OUT extra…` and returns OUT.
fn redact(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.pcapng"));
    tlsdiag()
        .arg("redact")
        .arg(capture(name))
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// (block type, body) of every pcapng block.
fn blocks(bytes: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let word = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        let (btype, len) = (word(at), word(at + 4) as usize);
        assert!(len >= 12 && at + len <= bytes.len(), "block at {at} framed");
        assert_eq!(word(at + len - 4) as usize, len, "trailing length at {at}");
        out.push((btype, bytes[at + 8..at + len - 4].to_vec()));
        at += len;
    }
    assert_eq!(at, bytes.len(), "no trailing bytes");
    out
}

/// (caplen, origlen, data) of each Enhanced Packet Block.
fn packets(bytes: &[u8]) -> Vec<(u32, u32, Vec<u8>)> {
    blocks(bytes)
        .into_iter()
        .filter(|(t, _)| *t == 6)
        .map(|(_, b)| {
            let word = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
            let cap = word(12);
            (cap, word(16), b[20..20 + cap as usize].to_vec())
        })
        .collect()
}

/// The original lengths of a little-endian microsecond pcap's records.
fn pcap_origlens(bytes: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let word = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        out.push(word(at + 12));
        at += 16 + word(at + 8) as usize;
    }
    out
}

/// Rule, connection and frames of every finding.
fn finding_keys(a: &Value) -> Vec<String> {
    a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f["rule"], f["connection"], f["evidence"]["frames"]
            )
        })
        .collect()
}

fn endpoints(a: &Value) -> Vec<(String, String)> {
    a["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["client"].as_str().unwrap().to_string(),
                c["server"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn findings_and_frames_survive_redaction() {
    let dir = tempfile::tempdir().unwrap();
    for name in CAPTURES {
        let original = analyze_json(&capture(name), &[]);
        let redacted = analyze_json(&redact(dir.path(), name, &[]), &[]);
        let keys = finding_keys(&original);
        assert!(!keys.is_empty(), "{name}: the original has findings");
        assert_eq!(finding_keys(&redacted), keys, "{name}");
        assert_eq!(
            redacted["connections"].as_array().unwrap().len(),
            original["connections"].as_array().unwrap().len(),
            "{name}"
        );
    }
}

#[test]
fn clients_get_the_same_pseudonyms_as_redacted_reports() {
    let dir = tempfile::tempdir().unwrap();
    for name in CAPTURES {
        let original = endpoints(&analyze_json(&capture(name), &[]));
        let report = endpoints(&analyze_json(&capture(name), &["--redact=ips"]));
        let out = redact(dir.path(), name, &[]);
        let from_pcap = endpoints(&analyze_json(&out, &[]));
        assert_eq!(from_pcap, report, "{name}");
        // Ports stay; client addresses changed (loopback: 127.0.0.1 is both ends).
        for ((oc, _), (rc, _)) in original.iter().zip(&from_pcap) {
            assert_ne!(oc, rc);
            assert!(rc.starts_with("192.0.2."), "{rc}");
            assert_eq!(oc.rsplit(':').next(), rc.rsplit(':').next());
        }
        // No IPv4 header (Ethernet captures) still carries 127.0.0.1.
        for (_, _, data) in packets(&std::fs::read(&out).unwrap()) {
            assert_eq!(&data[12..14], &[0x08, 0x00]);
            assert_ne!(&data[26..30], &[127, 0, 0, 1]);
            assert_ne!(&data[30..34], &[127, 0, 0, 1]);
        }
    }
}

#[test]
fn tshark_reads_it_without_checksum_errors() {
    if std::process::Command::new("tshark")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in CAPTURES {
        let out = redact(dir.path(), name, &[]);
        let run = std::process::Command::new("tshark")
            .arg("-r")
            .arg(&out)
            .args([
                "-o",
                "ip.check_checksum:TRUE",
                "-o",
                "tcp.check_checksum:TRUE",
            ])
            .arg("-V")
            .output()
            .unwrap();
        assert!(run.status.success(), "{name}: tshark failed");
        let text = String::from_utf8_lossy(&run.stdout).to_lowercase();
        assert!(text.contains("192.0.2.1"), "{name}: tshark saw the packets");
        for bad in ["bad checksum", "[incorrect", "malformed"] {
            assert!(!text.contains(bad), "{name}: tshark reports {bad}");
        }
    }
}

#[test]
fn payload_beyond_the_kept_prefix_is_cut_to_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let name = CAPTURES[0];
    let out = redact(dir.path(), name, &["--keep-payload", "0"]);
    let pkts = packets(&std::fs::read(&out).unwrap());
    let origlens = pcap_origlens(&std::fs::read(common::root().join(capture(name))).unwrap());
    assert_eq!(pkts.len(), origlens.len());
    let mut cut = 0;
    for ((caplen, origlen, data), orig) in pkts.iter().zip(&origlens) {
        assert_eq!(origlen, orig, "original length kept");
        // Ethernet 14 + IPv4 20 + TCP header (with options).
        let tcp_hdr = usize::from(data[14 + 20 + 12] >> 4) * 4;
        assert_eq!(*caplen as usize, 14 + 20 + tcp_hdr, "headers only");
        cut += usize::from(caplen < origlen);
    }
    // ClientHello, server flight, client flight, alert at least.
    assert!(cut >= 4, "the handshake segments were cut ({cut})");
}

/// The capture as pcapng with a Decryption Secrets Block after the SHB.
fn with_secrets(dir: &Path, keylog: &[u8]) -> PathBuf {
    let plain = redact(dir, CAPTURES[0], &[]);
    let bytes = std::fs::read(&plain).unwrap();
    let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let mut body = 0x544C_534Bu32.to_le_bytes().to_vec();
    body.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
    body.extend_from_slice(keylog);
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let total = (body.len() + 12) as u32;
    let mut out = bytes[..shb_len].to_vec();
    out.extend_from_slice(&10u32.to_le_bytes());
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(&bytes[shb_len..]);
    let path = dir.join("with-secrets.pcapng");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn secrets_are_dropped_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let keylog = b"CLIENT_RANDOM 00112233 44556677\n";
    let input = with_secrets(dir.path(), keylog);
    assert!(
        blocks(&std::fs::read(&input).unwrap())
            .iter()
            .any(|(t, _)| *t == 10)
    );
    let run = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        tlsdiag()
            .arg("redact")
            .arg(&input)
            .arg(&out)
            .args(extra)
            .assert()
            .success();
        blocks(&std::fs::read(&out).unwrap())
    };
    let dropped = run("dropped.pcapng", &[]);
    assert!(dropped.iter().all(|(t, _)| *t != 10), "no DSB by default");
    assert_eq!(dropped.iter().filter(|(t, _)| *t == 6).count(), 12);
    let kept = run("kept.pcapng", &["--keep-secrets"]);
    let dsb: Vec<_> = kept.iter().filter(|(t, _)| *t == 10).collect();
    assert_eq!(dsb.len(), 1);
    assert_eq!(&dsb[0].1[8..8 + keylog.len()], keylog);
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pcapng");
    std::fs::write(&out, b"precious").unwrap();
    let attempt = |extra: &[&str]| {
        tlsdiag()
            .arg("redact")
            .arg(capture(CAPTURES[0]))
            .arg(&out)
            .args(extra)
            .assert()
    };
    attempt(&[]).code(2);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    attempt(&["--force"]).success();
    assert_eq!(
        &std::fs::read(&out).unwrap()[..4],
        &[0x0a, 0x0d, 0x0d, 0x0a]
    );
}
