//! `--format jsonl` streams: each connection's line is written when TCP
//! closes it and its model is dropped. The streamed output must say exactly
//! what the buffered JSON document says, for every capture in `captures/`.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn run(file: &std::path::Path, format: &str, extra: &[&str]) -> (Vec<u8>, Option<i32>) {
    let out = tlsdiag()
        .arg("analyze")
        .arg(file)
        .args(["--format", format])
        .args(extra)
        .output()
        .expect("run tlsdiag");
    (out.stdout, out.status.code())
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|x| x.to_string());
    v
}

/// Connection id → rule ids on its line, and the capture line's rule ids.
fn layout(lines: &[Value]) -> (BTreeMap<u64, Vec<String>>, Vec<String>) {
    let rules = |l: &Value| -> Vec<String> {
        let mut r: Vec<String> = l["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().expect("rule").to_string())
            .collect();
        r.sort();
        r
    };
    let (last, conns) = lines.split_last().expect("a capture line");
    let per_conn = conns
        .iter()
        .map(|l| (l["connection"]["id"].as_u64().expect("id"), rules(l)))
        .collect();
    (per_conn, rules(last))
}

#[test]
fn streamed_lines_say_what_the_json_document_says() {
    for file in example_captures() {
        let name = file.display().to_string();
        let (doc, doc_code) = run(&file, "json", &[]);
        let (jl, jl_code) = run(&file, "jsonl", &[]);
        assert_eq!(doc_code, jl_code, "{name}: exit codes differ");
        if doc_code == Some(2) {
            continue; // an unreadable capture: both refuse it
        }
        let doc: Value = serde_json::from_slice(&doc).expect("JSON document");
        let lines = lines(&jl);
        let (last, conns) = lines.split_last().expect("capture line");

        // The same connections, field for field.
        let streamed: Vec<Value> = conns.iter().map(|l| l["connection"].clone()).collect();
        let mut by_id = streamed.clone();
        by_id.sort_by_key(|c| c["id"].as_u64());
        assert_eq!(
            &Value::Array(by_id),
            &doc["connections"],
            "{name}: connections differ"
        );

        // The same findings, each connection's on its own line.
        let mut all = Vec::new();
        for l in conns {
            for f in l["findings"].as_array().expect("findings") {
                assert_eq!(f["connection"], l["connection"]["id"], "{name}: {f}");
                all.push(f.clone());
            }
        }
        for f in last["findings"].as_array().expect("findings") {
            let rule = tlsdiag::rules::find(f["rule"].as_str().expect("rule")).expect("known rule");
            assert!(
                f["connection"].is_null() || !rule.reports_per_connection(),
                "{name}: {} belongs on its connection's line",
                rule.id
            );
            all.push(f.clone());
        }
        assert_eq!(
            sorted(all),
            sorted(doc["findings"].as_array().expect("findings").clone()),
            "{name}: findings differ"
        );
        assert_eq!(last["summary"], doc["summary"], "{name}: summary differs");
        assert_eq!(last["capture"].as_str(), Some(name.as_str()));
    }
}

#[test]
fn redacted_lines_keep_the_streamed_layout() {
    // --redact needs every connection before it can number pseudonyms, so it
    // takes the buffered path; the lines must be laid out the same way.
    for name in [
        "intermittent-server-cert.pcap",
        "mtls12-client-cert-missing.pcap",
        "fallback-retry.pcap",
    ] {
        let file = capture(name);
        let (plain, _) = run(&file, "jsonl", &["--fail-on", "never"]);
        let (redacted, _) = run(&file, "jsonl", &["--fail-on", "never", "--redact=all"]);
        let (p, r) = (layout(&lines(&plain)), layout(&lines(&redacted)));
        assert_eq!(p, r, "{name}");
        assert!(
            !p.1.is_empty() || p.0.values().any(|v| !v.is_empty()),
            "{name}: has findings"
        );
    }
}

#[test]
fn cross_connection_findings_come_on_the_capture_line() {
    let (out, _) = run(
        &capture("intermittent-server-cert.pcap"),
        "jsonl",
        &["--fail-on", "never"],
    );
    let (per_conn, last) = layout(&lines(&out));
    assert!(
        last.contains(&"intermittent-failure".to_string()),
        "{last:?}"
    );
    assert!(
        last.contains(&"server-certificate-inconsistent".to_string()),
        "{last:?}"
    );
    assert!(
        per_conn
            .values()
            .flatten()
            .any(|r| r == "server-certificate-expired"),
        "{per_conn:?}"
    );
}
