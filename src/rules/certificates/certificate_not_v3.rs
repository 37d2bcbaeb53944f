//! client-certificate-not-v3 / server-certificate-not-v3: an X.509 version 1
//! or 2 certificate.
use super::common::per_certificate;
use crate::certs::{Weakness, weaknesses};
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_NOT_V3, SERVER_CERTIFICATE_NOT_V3, run,
    client: {
        id: "client-certificate-not-v3", severity: Error,
        title: "the client's certificate is not X.509 version 3",
        remediation: "Re-issue the client certificate as X.509 v3 with its extensions (basicConstraints, keyUsage, extendedKeyUsage clientAuth): with `openssl x509 -req` pass `-extfile` with the extensions, or use `openssl ca`/`req -x509` which write v3. AWS ALB logs ClientCertTypeUnsupported for v1/v2 certificates.",
        fires_on: ["mtls12-client-not-v3.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-not-v3", severity: Error,
        title: "the server's certificate is not X.509 version 3",
        remediation: "Re-issue the server certificate as X.509 v3 with subjectAltName, keyUsage and extendedKeyUsage serverAuth.",
        fires_on: ["server-cert-not-v3.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "Version 1 and 2 certificates carry no extensions: no basicConstraints (so a v1 certificate cannot be told apart from a CA), no subjectAltName, no key usage. Modern verifiers (rustls/webpki, Go, AWS ALB) accept only v3; OpenSSL still accepts v1, so the same certificate works with one peer and fails with another.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let rule = match side {
        Side::Client => &CLIENT_CERTIFICATE_NOT_V3,
        Side::Server => &SERVER_CERTIFICATE_NOT_V3,
    };
    per_certificate(
        conn,
        side,
        rule,
        Severity::Error,
        out,
        |_, c| {
            weaknesses(c).into_iter().find_map(|w| match w {
                Weakness::NotV3 { version } => Some(format!("X.509 version {version}")),
                _ => None,
            })
        },
        |c, d| format!("{side} certificate {} is {d}", super::common::name(c)),
        "Only v3 certificates carry the extensions verifiers rely on.",
    );
}
