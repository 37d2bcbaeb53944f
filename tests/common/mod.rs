//! Helpers shared by the integration tests.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file in `captures/`, relative to the repository root (the tests' and
/// the binary's working directory), so outputs that name it stay the same
/// in any checkout.
pub fn capture(name: &str) -> PathBuf {
    PathBuf::from("captures").join(name)
}

/// Every example capture in `captures/` (pcap, pcapng and their gzip
/// twins), as [`capture`] names them, sorted.
pub fn example_captures() -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("captures"))
        .expect("captures/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")
        })
        .map(|p| capture(&p.file_name().expect("name").to_string_lossy()))
        .collect();
    v.sort();
    assert!(v.len() > 40, "captures/ holds the example captures");
    v
}

/// The public corpus beside the repository, if present.
pub fn corpus_dir() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    p.is_dir().then_some(p)
}

/// The tlsdiag binary, run from the repository root.
pub fn tlsdiag() -> Command {
    let mut c = Command::cargo_bin("tlsdiag").expect("binary built");
    c.current_dir(root());
    c.env("NO_COLOR", "1");
    c
}

/// Runs `analyze --format json` with extra arguments and returns the parsed output.
pub fn analyze_json(file: &Path, extra: &[&str]) -> serde_json::Value {
    let out = tlsdiag()
        .arg("analyze")
        .arg(file)
        .args(["--format", "json", "--fail-on", "never"])
        .args(extra)
        .output()
        .expect("run tlsdiag");
    assert!(
        out.status.success(),
        "tlsdiag failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The findings of one rule in an analysis.
pub fn findings_of<'a>(analysis: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    analysis["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

mod streams;
#[allow(unused_imports)]
pub use streams::*;

/// Handshake type numbers of the message names in the timeline.
pub fn type_of(what: &str) -> Option<u64> {
    let base = what.split('(').next().unwrap_or(what);
    Some(match base {
        "HelloRequest" => 0,
        "ClientHello" => 1,
        "ServerHello" | "HelloRetryRequest" => 2,
        "NewSessionTicket" => 4,
        "EndOfEarlyData" => 5,
        "EncryptedExtensions" => 8,
        "Certificate" => 11,
        "ServerKeyExchange" => 12,
        "CertificateRequest" => 13,
        "ServerHelloDone" => 14,
        "CertificateVerify" => 15,
        "ClientKeyExchange" => 16,
        "Finished" => 20,
        "CertificateStatus" => 22,
        "KeyUpdate" => 24,
        _ => return None,
    })
}

/// A capture from `captures/` (Ethernet, IPv4 without options, one TCP
/// connection) replayed `n` times one after the other, each from its own
/// client port and two seconds after the previous, into a temporary file:
/// many connections of the same kind.
pub fn replayed(name: &str, n: u16) -> tempfile::NamedTempFile {
    use std::io::Write;
    let one = std::fs::read(root().join("captures").join(name)).expect("read capture");
    let (header, mut rest) = one.split_at(24);
    let mut frames = Vec::new();
    while rest.len() >= 16 {
        let caplen = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]) as usize;
        let (rec, tail) = rest.split_at(16 + caplen);
        frames.push(rec.to_vec());
        rest = tail;
    }
    // Ethernet + 20-byte IPv4 header: TCP ports at 34..38; the SYN's source is the client.
    let client = [frames[0][16 + 34], frames[0][16 + 35]];
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    out.write_all(header).expect("write");
    for i in 0..n {
        let port = (10_000 + i).to_be_bytes();
        for f in &frames {
            let mut f = f.clone();
            let secs = u32::from_le_bytes([f[0], f[1], f[2], f[3]]) + 2 * u32::from(i);
            f[..4].copy_from_slice(&secs.to_le_bytes());
            for at in [16 + 34, 16 + 36] {
                if f[at..at + 2] == client {
                    f[at..at + 2].copy_from_slice(&port);
                }
            }
            out.write_all(&f).expect("write");
        }
    }
    out.flush().expect("flush");
    drop(out);
    file
}
