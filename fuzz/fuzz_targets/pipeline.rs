//! The whole pipeline (capture → rules → every renderer) on an arbitrary file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tlsdiag::certs::CertCache;
use tlsdiag::pipeline::{self, Limits};
use tlsdiag::rules::{Context, RuleOptions, Selection};

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = tlsdiag::capture::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    let certs = CertCache::new();
    let Ok(decoding) = pipeline::decode_capture(reader, &Limits::default(), None, &certs, &mut |_| {}) else {
        return;
    };
    let options = RuleOptions::default();
    let cx = Context { options: &options, trust: None, crls: &[] };
    let analysis = pipeline::analyze(decoding, &cx, &Selection::default());
    let mut out = Vec::new();
    let _ = tlsdiag::report::json::write(&mut out, &analysis);
    let _ = tlsdiag::report::text::write(&mut out, &analysis, tlsdiag::report::TextOptions { all: true, limit: 0 });
    let _ = tlsdiag::report::markdown::write(&mut out, &analysis, &Default::default());
    let _ = tlsdiag::report::html::write(&mut out, &analysis, &Default::default());
});
