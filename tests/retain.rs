//! The ticket reports keep only the models they detail (`report::retain`);
//! what they say must not change. Every capture in `captures/`, and failing
//! captures replayed until examples of one kind must be dropped, rendered as
//! text, Markdown and HTML from whole models and from retained ones: the
//! same bytes.

mod common;

use std::path::Path;
use tlsdiag::model::Analysis;
use tlsdiag::pipeline::{self, Limits, Streaming};
use tlsdiag::report::retain::{Keep, Retained};
use tlsdiag::report::{self, ReportOptions, TextOptions};

/// The analysis of `file` with every model whole, and as `keep` retains it.
fn whole_and_retained(file: &Path, keep: Keep) -> (Analysis, Analysis) {
    let opts = tlsdiag::rules::RuleOptions::default();
    let cx = tlsdiag::rules::Context {
        options: &opts,
        trust: None,
        crls: &[],
    };
    let sel = tlsdiag::rules::Selection::default();
    let certs = tlsdiag::certs::CertCache::new();
    let mut decoding = pipeline::decode_file(
        file.to_str().expect("utf-8 path"),
        &Limits::default(),
        None,
        &certs,
        &mut |_| {},
    )
    .expect("decode");
    let connections = std::mem::take(&mut decoding.connections);
    let mut stream = Streaming::new(&cx, &sel);
    let (mut whole, mut retained) = (Retained::new(Keep::Everything), Retained::new(keep));
    for c in connections {
        let findings = stream.add(&c);
        retained.add(c.clone(), findings.clone());
        whole.add(c, findings);
    }
    let rest = stream.finish(decoding);
    (whole.finish(rest.clone()), retained.finish(rest))
}

fn render(a: &Analysis, keep: Keep) -> String {
    let mut out = Vec::new();
    match keep {
        Keep::Lines => report::text::write(&mut out, a, TextOptions::default()).expect("text"),
        _ => {
            report::markdown::write(&mut out, a, &ReportOptions::default()).expect("markdown");
            report::html::write(&mut out, a, &ReportOptions::default()).expect("html");
        }
    }
    String::from_utf8(out).expect("utf-8 report")
}

/// Connections that still have their ClientHello in the model.
fn whole_models(a: &Analysis) -> usize {
    a.connections
        .iter()
        .filter(|c| c.tls.as_ref().is_some_and(|t| t.client_hello.is_some()))
        .count()
}

fn assert_same_reports(file: &Path) -> (Analysis, Analysis) {
    let mut last = None;
    for keep in [Keep::Lines, Keep::Examples] {
        let (whole, retained) = whole_and_retained(file, keep);
        assert_eq!(
            whole.connections.len(),
            retained.connections.len(),
            "{}",
            file.display()
        );
        assert_eq!(whole.findings, retained.findings, "{}", file.display());
        let (w, r) = (render(&whole, keep), render(&retained, keep));
        assert!(
            w == r,
            "{} ({keep:?}): the report changed when models were retained",
            file.display()
        );
        last = Some((whole, retained));
    }
    last.expect("two kinds")
}

#[test]
fn every_capture_reports_the_same_from_retained_models() {
    let dir = common::root().join("captures");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("captures/") {
        let path = entry.expect("entry").path();
        if path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            assert_same_reports(&path);
            n += 1;
        }
    }
    assert!(n >= 50, "only {n} captures checked");
}

#[test]
fn replayed_failures_keep_five_examples_and_report_the_same() {
    // 12 identical failures: the report details 5 and folds 7.
    for name in [
        "mtls12-client-cert-missing.pcap",
        "server-cert-expired.pcap",
        "cipher-mismatch.pcap",
    ] {
        let file = common::replayed(name, 12);
        let (whole, retained) = assert_same_reports(file.path());
        assert_eq!(whole.connections.len(), 12, "{name}");
        assert_eq!(whole_models(&whole), 12, "{name}");
        // The property above is only tested if details were dropped.
        assert_eq!(whole_models(&retained), 5, "{name}");
        let md = render(&retained, Keep::Examples);
        assert!(md.contains("7 more ×"), "{name}: {md}");
    }
}
