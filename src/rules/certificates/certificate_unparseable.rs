//! client-certificate-unparseable / server-certificate-unparseable: DER that
//! does not parse as an X.509 certificate.
use super::common::per_certificate;
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_UNPARSEABLE, SERVER_CERTIFICATE_UNPARSEABLE, run,
    client: {
        id: "client-certificate-unparseable", severity: Error,
        title: "a certificate the client sent cannot be parsed",
        remediation: "Export the client certificate again from its source (PEM/DER corrupted, wrong file, or a non-certificate in the chain file). Check each certificate with `openssl x509 -in FILE -noout -text`.",
        fires_on: ["client-cert-corrupt.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-unparseable", severity: Error,
        title: "a certificate the server sent cannot be parsed",
        remediation: "Re-export the server's certificate and chain files (a damaged or truncated PEM, or a non-certificate pasted into the chain). Check with `openssl s_client -connect HOST:443 -servername NAME -showcerts </dev/null` and `openssl x509 -noout -text` on each.",
        fires_on: ["corpus-cert-malformed-der.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "The bytes sent as a certificate are not valid DER X.509: truncated, damaged in a file copy, or not a certificate at all. Every peer refuses it, usually with bad_certificate or decode_error.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let rule = match side {
        Side::Client => &CLIENT_CERTIFICATE_UNPARSEABLE,
        Side::Server => &SERVER_CERTIFICATE_UNPARSEABLE,
    };
    per_certificate(
        conn,
        side,
        rule,
        Severity::Error,
        out,
        |_, c| {
            c.parse_error.as_ref().map(|e| {
                format!(
                    "{} bytes, sha256 {}: {e}",
                    c.size,
                    super::common::short_fp(c)
                )
            })
        },
        |_, d| format!("{side} sent a certificate that does not parse ({d})"),
        "It is not valid DER X.509.",
    );
}
