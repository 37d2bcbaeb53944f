//! The command line as a user meets it: exit statuses, formats, errors.

mod common;

use common::{capture, tlsdiag};
use predicates::prelude::*;

#[test]
fn help_and_version() {
    tlsdiag()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("analyze"));
    tlsdiag()
        .args(["analyze", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--fail-on").and(predicate::str::contains("--ca-bundle")));
    tlsdiag().arg("--version").assert().success().stdout(
        predicate::str::contains(env!("CARGO_PKG_VERSION")).and(predicate::str::contains("schema")),
    );
}

#[test]
fn missing_file_is_exit_2_with_one_error_line() {
    tlsdiag()
        .args(["analyze", "captures/does-not-exist.pcap"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::starts_with("tlsdiag: error:")
                .and(predicate::str::contains("does-not-exist.pcap")),
        );
}

#[test]
fn not_a_capture_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, b"this is not a capture at all, just some text\n").expect("write");
    tlsdiag()
        .arg("analyze")
        .arg(&p)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("notes.txt"));
}

#[test]
fn usage_error_is_exit_2() {
    tlsdiag().args(["analyze"]).assert().code(2);
    tlsdiag()
        .args(["analyze", "--format", "yaml", "x.pcap"])
        .assert()
        .code(2);
    tlsdiag()
        .args([
            "analyze",
            "--select",
            "no-such-rule",
            "captures/tls12-ok.pcap",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-rule"));
}

#[test]
fn failing_capture_exits_1_and_success_capture_exits_0() {
    tlsdiag()
        .arg("analyze")
        .arg(capture("mtls12-client-cert-missing.pcap"))
        .assert()
        .code(1);
    tlsdiag()
        .arg("analyze")
        .arg(capture("tls12-ok.pcap"))
        .assert()
        .code(0);
    tlsdiag()
        .arg("analyze")
        .arg(capture("mtls12-client-cert-missing.pcap"))
        .args(["--fail-on", "never"])
        .assert()
        .code(0);
    tlsdiag()
        .arg("analyze")
        .arg(capture("mtls12-client-cert-missing.pcap"))
        .args([
            "--ignore",
            "client-certificate-,fatal-alert,closed-without-alert,tcp-",
        ])
        .args(["--select", "client-certificate-missing"])
        .assert()
        .code(0);
}

#[test]
fn text_output_names_rule_frames_and_summary() {
    let out = tlsdiag()
        .arg("analyze")
        .arg(capture("mtls12-client-cert-missing.pcap"))
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[client-certificate-missing]"), "{text}");
    assert!(text.contains("-->") && text.contains("frame"), "{text}");
    assert!(text.contains("= help:"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("summary: ")), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a pipe");
}

#[test]
fn jsonl_is_one_object_per_connection_plus_capture_line() {
    let out = tlsdiag()
        .arg("analyze")
        .arg(capture("tls12-ok.pcap"))
        .args(["--format", "jsonl"])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.len() >= 2);
    for l in &lines[..lines.len() - 1] {
        assert_eq!(l["schema_version"], tlsdiag::model::SCHEMA_VERSION);
        assert!(l["connection"]["id"].is_number());
    }
    assert!(lines[lines.len() - 1]["summary"].is_object());
}

#[test]
fn stdin_and_gzip_input_give_the_same_analysis() {
    let path = capture("tls12-ok.pcap");
    let plain = common::analyze_json(&path, &[]);
    let bytes = std::fs::read(&path).expect("read");
    let out = tlsdiag()
        .args(["analyze", "-", "--format", "json"])
        .write_stdin(bytes.clone())
        .output()
        .expect("run");
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(plain["connections"], from_stdin["connections"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("renamed.bin");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &bytes).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let from_gz = common::analyze_json(&gz, &[]);
    assert_eq!(plain["connections"], from_gz["connections"]);
}

#[test]
fn explain_and_rules() {
    tlsdiag()
        .args(["explain", "client-certificate-missing"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("client-certificate-missing")
                .and(predicate::str::contains("How to fix it")),
        );
    tlsdiag().args(["explain", "no-such-rule"]).assert().code(2);
    let out = tlsdiag()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run");
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rules.len(), tlsdiag::rules::RULES.len());
}

#[test]
fn closed_pipe_exits_quietly() {
    // json is written at the end; jsonl streams from a second thread.
    for format in ["json", "jsonl"] {
        closed_pipe_exits_quietly_in(format);
    }
}

fn closed_pipe_exits_quietly_in(format: &str) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("tlsdiag");
    let mut child = Command::new(bin)
        .args(["analyze", "--all", "--format", format])
        .arg(capture("tls12-ok.pcap"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(!err.contains("panicked"), "panic on closed pipe: {err}");
    assert!(
        status.code().is_some_and(|c| c == 0 || c == 1),
        "status {status:?}"
    );
}

/// Hostile and broken files through the whole binary: a clear error naming the
/// file (exit 2) when nothing is readable, else a warning and everything
/// readable still reported; never a panic.
#[test]
fn hostile_files_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read(capture("tls12-ok.pcap")).expect("read");
    let mut random = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        random.push((x >> 24) as u8);
    }
    let mut garbage_after_header = good[..24].to_vec();
    garbage_after_header.extend_from_slice(&random);
    let mut absurd = good[..24].to_vec();
    absurd.extend_from_slice(&[
        0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff,
    ]);
    let cut = good[..good.len() - 30].to_vec();
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("empty.pcap", Vec::new(), false),
        ("random.pcap", random, false),
        ("garbage-after-header.pcap", garbage_after_header, true),
        ("absurd-length.pcap", absurd, true),
        ("cut.pcap", cut, true),
    ];
    for (name, bytes, readable) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        let out = tlsdiag()
            .arg("analyze")
            .arg(&path)
            .args(["--format", "json"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        if readable {
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "{name}: {stderr}"
            );
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert!(
                !json["capture"]["warnings"]
                    .as_array()
                    .is_none_or(|w| w.is_empty()),
                "{name}: no warning"
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{name}");
            assert!(
                stderr.contains(name),
                "{name}: error does not name the file: {stderr}"
            );
        }
    }
    // The cut file still reports the connection it holds.
    let json = common::analyze_json(&dir.path().join("cut.pcap"), &[]);
    assert_eq!(json["connections"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["capture"]["files"][0]["file_truncated"], true);
}

#[test]
fn limit_folds_and_says_so_and_servers_are_summarised() {
    let full = tlsdiag()
        .arg("analyze")
        .arg(capture("intermittent-server-cert.pcap"))
        .args(["--limit", "0"])
        .output()
        .expect("run");
    let full = String::from_utf8_lossy(&full.stdout).to_string();
    assert!(!full.contains("folded"), "{full}");
    let groups = full
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .count();
    assert!(groups >= 3, "{full}");
    let short = tlsdiag()
        .arg("analyze")
        .arg(capture("intermittent-server-cert.pcap"))
        .args(["--limit", "1"])
        .output()
        .expect("run");
    let short = String::from_utf8_lossy(&short.stdout).to_string();
    let shown = short
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .count();
    assert_eq!(shown, 1, "{short}");
    assert!(
        short.contains(&format!("… {} more finding group(s)", groups - 1)),
        "{short}"
    );
    // The per-server overview names the two certificates the server presented.
    assert!(
        short.contains("servers:") && short.contains("3 connections, 2 completed, 1 failed"),
        "{short}"
    );
    let certs_line = short
        .lines()
        .find(|l| l.trim_start().starts_with("certificates:"))
        .unwrap_or_default();
    assert_eq!(
        certs_line.matches("CN=server.tlsdiag.test").count(),
        2,
        "{certs_line}"
    );
}

#[test]
fn output_files_are_not_replaced_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.json");
    std::fs::write(&out, b"keep me").expect("write");
    tlsdiag()
        .args(["analyze", "--format", "json", "-o"])
        .arg(&out)
        .arg(capture("tls12-ok.pcap"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read(&out).expect("read"), b"keep me");
    tlsdiag()
        .args(["analyze", "--format", "json", "--force", "-o"])
        .arg(&out)
        .arg(capture("tls12-ok.pcap"))
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("schema_version")
    );
}

#[test]
fn disk_full_is_a_clean_error() {
    for format in ["json", "jsonl"] {
        disk_full_is_a_clean_error_in(format);
    }
}

fn disk_full_is_a_clean_error_in(format: &str) {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full here");
        return;
    };
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("tlsdiag"))
        .current_dir(common::root())
        .args(["analyze", "--all", "--format", format])
        .arg(capture("tls12-ok.pcap"))
        .stdout(full)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("tlsdiag: error:") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn read_only_output_folder_is_a_clean_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    let mut perms = std::fs::metadata(&ro).expect("meta").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&ro, perms).expect("chmod");
    if std::fs::write(ro.join("probe"), b"x").is_ok() {
        eprintln!("skipped: running as a user who can write to read-only folders (root)");
        return;
    }
    let out = tlsdiag()
        .args(["certs", "--out"])
        .arg(&ro)
        .arg(capture("mtls12-ok.pcap"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn limits_are_flags_and_hitting_one_is_reported() {
    let a = common::analyze_json(
        &capture("server-chain-misordered.pcap"),
        &["--max-certificates", "2"],
    );
    let f = common::findings_of(&a, "analysis-limit-reached");
    assert!(!f.is_empty(), "a chain of 4 cut at 2 must be reported");
    let certs = a["connections"][0]["tls"]["server_certificates"]["certificates"]
        .as_array()
        .map(Vec::len);
    assert_eq!(certs, Some(2));
}
