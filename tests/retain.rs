//! The ticket reports keep only the models they detail (`report::retain`);
//! what they say must not change. Every capture in `captures/`, and failing
//! captures replayed until examples of one kind must be dropped, rendered as
//! text, Markdown and HTML from whole models and from retained ones: the
//! same bytes.

mod common;

use std::path::Path;
use tlsdiag::model::Analysis;
use tlsdiag::pipeline::{self, Limits, Streaming};
use tlsdiag::report::retain::{Finished, Keep, Retained};
use tlsdiag::report::{self, ReportOptions, TextOptions};

/// The analysis of `file` with every model whole, and as `keep` retains it.
fn whole_and_retained(file: &Path, keep: Keep) -> (Analysis, Finished) {
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
    (whole.finish(rest.clone()).analysis, retained.finish(rest))
}

/// The report `keep` is for, from a whole analysis or from what was
/// retained (`gathered`).
fn render(a: &Analysis, gathered: Option<&Finished>, keep: &Keep) -> String {
    let mut out = Vec::new();
    let text = gathered.and_then(|g| g.text.as_ref());
    let tally = gathered.and_then(|g| g.tally.as_ref());
    match (keep, text, tally) {
        (Keep::Lines(_), Some(d), _) => report::text::write_digest(&mut out, a, d).expect("text"),
        (Keep::Lines(opts), None, _) => report::text::write(&mut out, a, *opts).expect("text"),
        (Keep::Examples(opts), _, Some(t)) => {
            report::markdown::write_with(&mut out, a, opts, t).expect("markdown");
            report::html::write_with(&mut out, a, opts, t).expect("html");
        }
        (_, _, _) => {
            let opts = ReportOptions::default();
            report::markdown::write(&mut out, a, &opts).expect("markdown");
            report::html::write(&mut out, a, &opts).expect("html");
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
        let (whole, done) = whole_and_retained(file, keep.clone());
        assert!(
            done.analysis.connections.is_empty(),
            "text keeps no connection"
        );
        let (w, r) = (
            render(&whole, None, &keep),
            render(&done.analysis, Some(&done), &keep),
        );
        assert!(
            w == r,
            "{} ({opts:?}): the text report changed when streamed:\n{w}\n---\n{r}",
            file.display()
        );
    }
    let keep = Keep::Examples(ReportOptions::default());
    let (whole, done) = whole_and_retained(file, keep.clone());
    let (w, r) = (
        render(&whole, None, &keep),
        render(&done.analysis, Some(&done), &keep),
    );
    assert!(
        w == r,
        "{}: the report changed when models were retained:\n{w}\n---\n{r}",
        file.display()
    );
    (whole, done.analysis)
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
        let md = render(&whole, None, &Keep::Examples(ReportOptions::default()));
        // The first five in report order are detailed, the next seven folded.
        for id in 1..=5 {
            assert!(
                md.contains(&format!("## Connection {id}: ")),
                "{name}: {md}"
            );
        }
        assert!(!md.contains("## Connection 6: "), "{name}: {md}");
        assert!(
            md.contains("7 more × ") && md.contains("connections #6, #7, #8, #9, #10, #11, #12"),
            "{name}: {md}"
        );
    }
}

#[test]
fn long_tables_keep_only_the_rows_they_list() {
    // 1,010 failures: the table lists 1,000 and says 10 more; 210 successes:
    // it lists 200 and says 10 more. Only those rows stay in memory.
    for (name, n, listed) in [
        ("cipher-mismatch.pcap", 1_010, 1_000),
        ("tls12-ok.pcap", 210, 200),
    ] {
        let file = common::replayed(name, n);
        let (whole, retained) = assert_same_reports(file.path());
        assert_eq!(whole.connections.len(), usize::from(n), "{name}");
        assert_eq!(retained.connections.len(), listed, "{name}");
        let md = render(&whole, None, &Keep::Examples(ReportOptions::default()));
        assert!(md.contains("\n10 more connection"), "{name}");
    }
}
