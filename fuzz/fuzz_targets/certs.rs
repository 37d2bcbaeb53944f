//! Certificate summary and chain linking on arbitrary DER.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = tlsdiag::certs::summarize(data);
    let _ = tlsdiag::certs::weaknesses(&s);
    let _ = tlsdiag::certs::matches_host(&s, "server.tlsdiag.test");
    let _ = tlsdiag::certs::summarize_ocsp(data);
    let _ = tlsdiag::certs::dn_to_string(data);
    let (a, b) = data.split_at(data.len() / 2);
    let _ = tlsdiag::certs::analyze_chain(&[a, b, data]);
});
