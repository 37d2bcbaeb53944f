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
