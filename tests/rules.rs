//! Every rule against real captures: each fires on the captures it declares
//! (`fires_on`) and stays quiet on those it declares quiet (`quiet_on`).
//! A capture entry may carry extra `analyze` options after the file name,
//! e.g. `"server-untrusted.pcap --ca-bundle captures/pki/root-ca.pem"`.
//! The firing findings are snapshotted (insta) so a change in wording or
//! evidence is reviewed, never silent.

mod common;

use common::{analyze_json, capture, findings_of};
use tlsdiag::rules::RULES;

fn split(entry: &str) -> (String, Vec<String>) {
    let mut parts = entry.split_whitespace();
    let file = parts.next().unwrap_or_default().to_string();
    (file, parts.map(String::from).collect())
}

#[test]
fn every_rule_declares_a_firing_and_a_quiet_capture() {
    for rule in RULES {
        assert!(
            !rule.fires_on.is_empty(),
            "rule {} has no capture that triggers it",
            rule.id
        );
        assert!(
            !rule.quiet_on.is_empty(),
            "rule {} has no capture where it must stay quiet",
            rule.id
        );
        for entry in rule.fires_on.iter().chain(rule.quiet_on.iter()) {
            let (file, _) = split(entry);
            assert!(
                capture(&file).is_file(),
                "rule {}: captures/{file} does not exist",
                rule.id
            );
        }
    }
}

#[test]
fn rules_fire_on_their_captures() {
    let mut failures = Vec::new();
    for rule in RULES {
        for entry in rule.fires_on {
            let (file, extra) = split(entry);
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let analysis = analyze_json(&capture(&file), &extra);
            let found = findings_of(&analysis, rule.id);
            if found.is_empty() {
                failures.push(format!("{} did not fire on {entry}", rule.id));
                continue;
            }
            for f in &found {
                assert!(
                    !f["evidence"]["frames"]
                        .as_array()
                        .is_none_or(|a| a.is_empty())
                        || f["connection"].is_null(),
                    "{} on {entry}: a connection finding without frames",
                    rule.id
                );
            }
            let snap: Vec<serde_json::Value> = found
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "severity": f["severity"],
                        "title": f["title"],
                        "connection": f["connection"],
                        "frames": f["evidence"]["frames"],
                        "facts": f["evidence"]["facts"],
                        "explanation": f["explanation"],
                    })
                })
                .collect();
            let mut name = format!(
                "{}__{}",
                rule.id,
                file.trim_end_matches(".pcap").trim_end_matches(".pcapng")
            );
            for opt in &extra {
                let word: String = opt
                    .rsplit('/')
                    .next()
                    .unwrap_or(opt)
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                name.push('_');
                name.push_str(word.trim_matches('-'));
            }
            insta::with_settings!({ snapshot_suffix => "", prepend_module_to_snapshot => false }, {
                insta::assert_json_snapshot!(name, snap);
            });
        }
    }
    assert!(
        failures.is_empty(),
        "rules that did not fire:\n{}",
        failures.join("\n")
    );
}

#[test]
fn rules_stay_quiet_where_declared() {
    let mut failures = Vec::new();
    for rule in RULES {
        for entry in rule.quiet_on {
            let (file, extra) = split(entry);
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let analysis = analyze_json(&capture(&file), &extra);
            for f in findings_of(&analysis, rule.id) {
                failures.push(format!("{} fired on {entry}: {}", rule.id, f["title"]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "rules that fired where they must stay quiet:\n{}",
        failures.join("\n")
    );
}

#[test]
fn success_captures_have_no_error_findings() {
    for name in [
        "tls12-ok.pcap",
        "tls13-ok.pcap",
        "mtls12-ok.pcap",
        "mtls13-ok.pcap",
    ] {
        let analysis = analyze_json(&capture(name), &[]);
        let errors: Vec<_> = analysis["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| format!("{}: {}", f["rule"], f["title"]))
            .collect();
        assert!(errors.is_empty(), "{name} has error findings: {errors:#?}");
    }
}

/// The mutual-TLS stories of the seeds, end to end: the empty client
/// Certificate names the CAs the server asked for; a certificate from
/// another CA is reported as not accepted, naming both sides.
#[test]
fn seed_mtls_stories() {
    let a = analyze_json(&capture("mtls12-client-cert-missing.pcap"), &[]);
    let f = findings_of(&a, "client-certificate-missing");
    assert_eq!(f.len(), 1);
    let text = f[0]["explanation"].as_str().unwrap_or_default();
    assert!(
        text.contains("CN=tlsdiag Test Client CA"),
        "requested CA names missing: {text}"
    );
    assert!(
        findings_of(&a, "fatal-alert").is_empty(),
        "the missing certificate explains the alert"
    );

    let a = analyze_json(&capture("mtls12-issuer-not-accepted.pcap"), &[]);
    let f = findings_of(&a, "client-certificate-issuer-not-accepted");
    assert_eq!(f.len(), 1);
    let text = f[0]["explanation"].as_str().unwrap_or_default();
    assert!(
        text.contains("tlsdiag Other Client CA") && text.contains("tlsdiag Test Client CA"),
        "{text}"
    );
    assert!(findings_of(&a, "client-certificate-missing").is_empty());
}
