//! client-certificate-too-large / server-certificate-too-large: a
//! certificate over `--max-cert-size` bytes (default 16 KiB, AWS ALB's limit).
use super::common::per_certificate;
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_TOO_LARGE, SERVER_CERTIFICATE_TOO_LARGE, run,
    client: {
        id: "client-certificate-too-large", severity: Error,
        title: "a client certificate is larger than the verifier accepts",
        remediation: "Re-issue the certificate without bulky extensions (long SAN lists, embedded policies or logos), or raise the limit where it is configurable. AWS ALB logs ClientCertMaxSizeExceeded (16 KiB per certificate). `--max-cert-size BYTES` sets the limit tlsdiag checks.",
        fires_on: ["mtls12-ok.pcap --max-cert-size 300"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-too-large", severity: Error,
        title: "a server certificate is larger than the verifier accepts",
        remediation: "Re-issue the certificate with fewer or shorter extensions (split a huge SAN list over several certificates). `--max-cert-size BYTES` sets the limit tlsdiag checks.",
        fires_on: ["tls12-ok.pcap --max-cert-size 300"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "TLS limits a single certificate to 16 MiB but implementations and load balancers set much lower caps on what they will parse (AWS ALB: 16 KiB per client certificate). Oversized certificates are refused, often with a generic bad_certificate or a dropped connection.",
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let rule = match side {
        Side::Client => &CLIENT_CERTIFICATE_TOO_LARGE,
        Side::Server => &SERVER_CERTIFICATE_TOO_LARGE,
    };
    let max = cx.options.max_cert_size;
    per_certificate(
        conn,
        side,
        rule,
        Severity::Error,
        out,
        |_, c| (c.size > max).then(|| format!("{} bytes, limit {max}", c.size)),
        |c, d| {
            format!(
                "{side} certificate {} is too large ({d})",
                super::common::name(c)
            )
        },
        "The limit checked is --max-cert-size.",
    );
}
