//! `analyze --host / --port / --sni`: only the chosen connections are
//! analysed, and cross-connection rules see only those.

mod common;

use common::{analyze_json, capture, tlsdiag};
use predicates::prelude::*;

fn client_ports(a: &serde_json::Value) -> Vec<u64> {
    a["connections"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| port_of(&c["client"])).collect())
        .unwrap_or_default()
}

fn port_of(addr: &serde_json::Value) -> Option<u64> {
    addr.as_str()?.rsplit(':').next()?.parse().ok()
}

fn rules_of(a: &serde_json::Value) -> Vec<String> {
    a["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["rule"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn port_keeps_one_connection_and_its_findings() {
    let file = capture("fallback-retry.pcap");
    let all = analyze_json(&file, &[]);
    let ports = client_ports(&all);
    assert_eq!(ports.len(), 2, "fallback-retry.pcap has two connections");
    assert!(rules_of(&all).iter().any(|r| r == "fallback-retry"));

    let second = ports[1].to_string();
    let one = analyze_json(&file, &["--port", &second]);
    assert_eq!(client_ports(&one), vec![ports[1]]);
    assert_eq!(one["summary"]["connections"], 1);
    // The retry rule needs both connections: with one, it must stay quiet.
    assert!(!rules_of(&one).iter().any(|r| r == "fallback-retry"));

    // The server port is on every connection.
    let server_port = port_of(&all["connections"][0]["server"]).expect("server port");
    let both = analyze_json(&file, &["--port", &server_port.to_string()]);
    assert_eq!(client_ports(&both), ports);
}

#[test]
fn host_matches_either_end() {
    let file = capture("intermittent-server-cert.pcap");
    let all = analyze_json(&file, &[]);
    assert_eq!(client_ports(&all).len(), 3);
    let kept = analyze_json(&file, &["--host", "127.0.0.1"]);
    assert_eq!(client_ports(&kept), client_ports(&all));
    let none = analyze_json(&file, &["--host", "192.0.2.1"]);
    assert_eq!(none["summary"]["connections"], 0);
    assert_eq!(rules_of(&none), Vec::<String>::new());
}

#[test]
fn sni_glob_is_case_insensitive_and_drops_connections_without_sni() {
    // Three captures merged: SNI server.tlsdiag.test, no SNI, and a hostile name.
    let files = [
        "diff-sni-before.pcap",
        "diff-sni-after.pcap",
        "hostile-names.pcap",
    ]
    .map(capture);
    let run = |glob: &str| {
        let out = tlsdiag()
            .arg("analyze")
            .args(&files)
            .args([
                "--merge",
                "--format",
                "json",
                "--fail-on",
                "never",
                "--sni",
                glob,
            ])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let a: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let mut snis: Vec<String> = a["connections"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["tls"]["sni"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        snis.sort();
        (a["summary"]["connections"].as_u64(), snis)
    };
    let (n, snis) = run("*.TLSDIAG.test");
    assert_eq!(n, Some(2));
    assert!(
        snis.contains(&"server.tlsdiag.test".to_string()),
        "{snis:?}"
    );
    assert_eq!(
        run("server.tlsdiag.tes?"),
        (Some(1), vec!["server.tlsdiag.test".to_string()])
    );
    assert_eq!(run("nothing.example").0, Some(0));
}

#[test]
fn help_documents_the_filters() {
    tlsdiag()
        .args(["analyze", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--host")
                .and(predicate::str::contains("--port"))
                .and(predicate::str::contains("--sni")),
        );
    tlsdiag()
        .args([
            "analyze",
            "captures/fallback-retry.pcap",
            "--host",
            "not-an-ip",
        ])
        .assert()
        .code(2);
}
