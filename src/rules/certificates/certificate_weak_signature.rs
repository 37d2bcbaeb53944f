//! client-certificate-weak-signature / server-certificate-weak-signature:
//! a certificate signed with MD5 or SHA-1.
use super::common::per_certificate;
use crate::certs::{Weakness, weaknesses};
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_WEAK_SIGNATURE, SERVER_CERTIFICATE_WEAK_SIGNATURE, run,
    client: {
        id: "client-certificate-weak-signature", severity: Error,
        title: "the client's certificate is signed with MD5 or SHA-1",
        remediation: "Re-issue the client certificate (and any intermediate) with a SHA-256 (or stronger) signature. API Gateway requires SHA-256 or stronger; OpenSSL 3 at security level 1+ refuses SHA-1 (\"CA signature digest algorithm too weak\").",
        fires_on: ["mtls12-client-weak-sha1.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-weak-signature", severity: Warning,
        title: "the server's certificate is signed with MD5 or SHA-1",
        remediation: "Re-issue the server certificate (and intermediates) with SHA-256 or stronger signatures; browsers and current TLS libraries reject SHA-1 certificates.",
        fires_on: ["server-cert-weak-sha1.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "MD5 and SHA-1 collisions can be forged, so signatures made with them no longer prove anything. Current TLS stacks (OpenSSL 3 at its default security level, browsers, Java, Go, rustls) refuse such certificates with bad_certificate; the self-signature of a root does not count and is not reported.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let (rule, sev) = match side {
        Side::Client => (&CLIENT_CERTIFICATE_WEAK_SIGNATURE, Severity::Error),
        Side::Server => (&SERVER_CERTIFICATE_WEAK_SIGNATURE, Severity::Warning),
    };
    per_certificate(
        conn,
        side,
        rule,
        sev,
        out,
        |_, c| {
            if c.self_signed && c.basic_constraints.as_ref().is_some_and(|b| b.ca) {
                return None; // a root's self-signature is not checked by anyone
            }
            weaknesses(c).into_iter().find_map(|w| match w {
                Weakness::WeakSignatureHash { algorithm, .. } => {
                    Some(format!("signed with {algorithm}"))
                }
                _ => None,
            })
        },
        |c, d| format!("{side} certificate {} is {d}", super::common::name(c)),
        "MD5 and SHA-1 signatures are refused by current TLS stacks.",
    );
}
