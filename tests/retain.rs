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
use tlsdiag::report::text::TextDigest;
use tlsdiag::report::{self, ReportOptions, TextOptions};

/// The analysis of `file` with every model whole, and as `keep` retains it.
fn whole_and_retained(file: &Path, keep: Keep) -> (Analysis, (Analysis, Option<TextDigest>)) {
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
    (whole.finish(rest.clone()).0, retained.finish(rest))
}

/// The report `keep` is for, from a whole analysis (`digest` None) or from
/// what was retained.
fn render(a: &Analysis, digest: Option<&TextDigest>, keep: Keep) -> String {
    let mut out = Vec::new();
    match (keep, digest) {
        (Keep::Lines(_), Some(d)) => report::text::write_digest(&mut out, a, d).expect("text"),
        (Keep::Lines(opts), None) => report::text::write(&mut out, a, opts).expect("text"),
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

/// Text options the tests try: the default, a limit small enough to fold
/// and prune finding groups, no limit, and every connection.
const TEXT: [TextOptions; 4] = [
    TextOptions {
        all: false,
        limit: 50,
    },
    TextOptions {
        all: false,
        limit: 1,
    },
    TextOptions {
        all: false,
        limit: 0,
    },
    TextOptions {
        all: true,
        limit: 50,
    },
];

/// Renders `file` from whole and from retained models in every way the
/// formats keep; returns the whole and the retained analysis for Markdown
/// and HTML.
fn assert_same_reports(file: &Path) -> (Analysis, Analysis) {
    for opts in TEXT {
        let keep = Keep::Lines(opts);
        let (whole, (rest, digest)) = whole_and_retained(file, keep);
        assert!(rest.connections.is_empty(), "text keeps no connection");
        let (w, r) = (
            render(&whole, None, keep),
            render(&rest, digest.as_ref(), keep),
        );
        assert!(
            w == r,
            "{} ({opts:?}): the text report changed when streamed:\n{w}\n---\n{r}",
            file.display()
        );
    }
    let (whole, (retained, _)) = whole_and_retained(file, Keep::Examples);
    assert_eq!(
        whole.connections.len(),
        retained.connections.len(),
        "{}",
        file.display()
    );
    assert_eq!(whole.findings, retained.findings, "{}", file.display());
    let (w, r) = (
        render(&whole, None, Keep::Examples),
        render(&retained, None, Keep::Examples),
    );
    assert!(
        w == r,
        "{}: the report changed when models were retained",
        file.display()
    );
    (whole, retained)
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
        let md = render(&retained, None, Keep::Examples);
        assert!(md.contains("7 more ×"), "{name}: {md}");
    }
}
