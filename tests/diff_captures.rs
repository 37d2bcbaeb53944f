//! `tlsdiag diff` on the before/after capture pairs of captures/make.sh: the
//! difference that explains the new failure comes first, the exit status
//! says a new error appeared, and the text is snapshotted.

mod common;

use common::{capture, tlsdiag};

fn diff_json(before: &str, after: &str) -> (serde_json::Value, Option<i32>) {
    let out = tlsdiag()
        .args(["diff", "--format", "json"])
        .arg(capture(before))
        .arg(capture(after))
        .output()
        .expect("run tlsdiag diff");
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{before}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code())
}

#[test]
fn the_explaining_difference_comes_first() {
    let pairs = [
        ("diff-intermediate", "server_certificate", "intermediate"),
        (
            "diff-client-cert",
            "client_certificate",
            "client certificate changed",
        ),
        ("diff-min-version", "negotiated_version", "refuses TLS 1.2"),
        (
            "diff-ciphers",
            "selected_cipher",
            "no cipher suite in common",
        ),
        ("diff-sni", "sni", "no longer sends SNI"),
    ];
    for (pair, kind, words) in pairs {
        let (before, after) = (format!("{pair}-before.pcap"), format!("{pair}-after.pcap"));
        let (d, code) = diff_json(&before, &after);
        let first = &d["changes"][0];
        assert_eq!(first["kind"], kind, "{pair}: first change {first}");
        assert_eq!(first["importance"], "cause", "{pair}");
        assert!(
            first["summary"].as_str().is_some_and(|s| s.contains(words)),
            "{pair}: {}",
            first["summary"]
        );
        assert_eq!(code, Some(1), "{pair}: the after side has new errors");
        // Swapping the sides finds the same first difference, and no new error.
        let (back, code) = diff_json(&after, &before);
        assert_eq!(back["changes"][0]["kind"], kind, "{pair} swapped");
        assert_eq!(code, Some(0), "{pair} swapped: nothing new fails");

        let text = tlsdiag()
            .arg("diff")
            .arg(capture(&before))
            .arg(capture(&after))
            .output()
            .expect("run");
        insta::assert_snapshot!(
            format!("diff_capture_{pair}"),
            String::from_utf8_lossy(&text.stdout)
        );
    }
}

#[test]
fn a_capture_diffed_with_itself_has_no_difference() {
    for name in ["mtls12-ok.pcap", "intermittent-server-cert.pcap"] {
        let (d, code) = diff_json(name, name);
        assert_eq!(
            d["changes"].as_array().map(Vec::len),
            Some(0),
            "{name}: {}",
            d["changes"]
        );
        assert_eq!(code, Some(0));
    }
}

#[test]
fn saved_json_analyses_diff_like_captures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut paths = Vec::new();
    for side in ["before", "after"] {
        let out = tlsdiag()
            .args(["analyze", "--format", "json", "--fail-on", "never"])
            .arg(capture(&format!("diff-intermediate-{side}.pcap")))
            .output()
            .expect("run");
        let p = dir.path().join(format!("{side}.json"));
        std::fs::write(&p, &out.stdout).expect("write");
        paths.push(p);
    }
    let out = tlsdiag()
        .args(["diff", "--format", "json"])
        .args(&paths)
        .output()
        .expect("run");
    let from_json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let (from_pcap, _) = diff_json(
        "diff-intermediate-before.pcap",
        "diff-intermediate-after.pcap",
    );
    assert_eq!(
        from_json["changes"][0]["kind"],
        from_pcap["changes"][0]["kind"]
    );
    assert_eq!(
        from_json["changes"][0]["summary"],
        from_pcap["changes"][0]["summary"]
    );
}
