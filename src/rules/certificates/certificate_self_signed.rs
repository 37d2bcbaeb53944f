//! client-certificate-self-signed / server-certificate-self-signed: the leaf
//! is its own issuer and verifies with its own key.
use super::common::{by_role, per_certificate};
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_SELF_SIGNED, SERVER_CERTIFICATE_SELF_SIGNED, run,
    client: {
        id: "client-certificate-self-signed", severity: Error,
        title: "the client presented a self-signed certificate",
        remediation: "Issue the client certificate from the CA the server trusts (the CA names the server lists in its CertificateRequest) instead of self-signing it. API Gateway and most mTLS servers reject self-signed client certificates even when they are uploaded to the trust store.",
        fires_on: ["mtls12-client-self-signed.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-self-signed", severity: Warning,
        title: "the server presented a self-signed certificate",
        remediation: "Replace the certificate with one issued by a CA the clients trust, or distribute this certificate to the clients' trust stores explicitly (pinning). Check with `openssl s_client -connect HOST:443 -servername NAME </dev/null` (`self-signed certificate` in the verify result).",
        fires_on: ["server-self-signed.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "A self-signed leaf vouches only for itself: no CA stands behind it, so a peer accepts it only if that exact certificate is installed as trusted. Clients without it fail with unknown_ca or bad_certificate. For client certificates, API Gateway answers 403 and AWS ALB logs ClientCertUntrusted.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let (rule, sev) = match side {
        Side::Client => (&CLIENT_CERTIFICATE_SELF_SIGNED, Severity::Error),
        Side::Server => (&SERVER_CERTIFICATE_SELF_SIGNED, Severity::Warning),
    };
    let _ = by_role;
    per_certificate(
        conn,
        side,
        rule,
        sev,
        out,
        |i, c| {
            (i == 0 && c.self_signed && c.parse_error.is_none())
                .then(|| format!("issuer = subject = {}", c.subject))
        },
        |c, _| {
            format!(
                "{side} certificate {} is self-signed",
                super::common::name(c)
            )
        },
        "Nothing but the certificate itself vouches for it.",
    );
}
