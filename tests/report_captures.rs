//! Ticket reports of real captures: a success, a mutual-TLS failure and a
//! version mismatch, as Markdown and HTML, snapshotted.

mod common;

use common::{capture, tlsdiag};

fn report(name: &str, format: &str) -> String {
    let out = tlsdiag()
        .args(["analyze", "--fail-on", "never", "--format", format])
        .arg(capture(name))
        .output()
        .expect("run tlsdiag");
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn reports_of_real_captures() {
    for name in [
        "tls12-ok.pcap",
        "mtls12-client-cert-missing.pcap",
        "version-mismatch.pcap",
    ] {
        let stem = name.trim_end_matches(".pcap");
        let md = report(name, "md");
        let html = report(name, "html");
        // Both carry the file's SHA-256 and the verdict before anything else.
        assert!(md.contains("| SHA-256 |"), "{name}");
        assert!(
            md.find("**Verdict:**") < md.find("## Connections"),
            "{name}"
        );
        assert!(
            html.contains("SHA-256") && !html.contains("<script"),
            "{name}"
        );
        insta::assert_snapshot!(format!("report_md_{stem}"), md);
        insta::assert_snapshot!(format!("report_html_{stem}"), html);
    }
}

#[test]
fn mtls_report_shows_requested_cas_next_to_the_empty_client_chain() {
    let md = report("mtls12-client-cert-missing.pcap", "md");
    let section = md
        .split("## Connection 1")
        .nth(1)
        .expect("a section for the failed connection");
    assert!(section.contains("CN=tlsdiag Test Client CA"), "{section}");
    assert!(
        section.contains("Certificate(0)"),
        "the ladder shows the empty Certificate"
    );
    assert!(section.contains("client-certificate-missing"));
}

/// captures/hostile-names.pcap: an SNI and a certificate CN with markup,
/// pipes and backticks, as sent on the wire by a real openssl.
#[test]
fn hostile_names_from_a_real_capture_stay_data() {
    let html = report("hostile-names.pcap", "html");
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "the hostile CN is shown, escaped"
    );
    assert!(!html.contains("<script"), "no markup from the wire");
    let md = report("hostile-names.pcap", "md");
    let header = md
        .lines()
        .find(|l| l.starts_with("| # |"))
        .expect("connection table");
    let cols = header.matches('|').count();
    for row in md.lines().filter(|l| l.starts_with("| 1 |")) {
        assert_eq!(
            row.matches('|').count() - row.matches("\\|").count(),
            cols,
            "{row}"
        );
    }
    let out = tlsdiag()
        .args(["analyze", "--all", "--fail-on", "never"])
        .arg(capture("hostile-names.pcap"))
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("<script>") && !text.contains('\u{1b}'),
        "{text}"
    );
}
