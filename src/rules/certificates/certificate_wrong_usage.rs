//! client-certificate-wrong-usage / server-certificate-wrong-usage: the
//! certificate's extended key usage does not allow its role, its key usage
//! lacks digitalSignature, or a leaf is a CA.
use super::common::{per_certificate, usage};
use crate::certs::{UsageProblem, usage_problems};
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_WRONG_USAGE, SERVER_CERTIFICATE_WRONG_USAGE, run,
    client: {
        id: "client-certificate-wrong-usage", severity: Error,
        title: "the client's certificate is not allowed for client authentication",
        remediation: "Re-issue the client certificate with extendedKeyUsage clientAuth (and keyUsage digitalSignature), basicConstraints CA:FALSE. Check with `openssl x509 -in client.pem -noout -ext extendedKeyUsage,keyUsage,basicConstraints`.",
        fires_on: ["mtls12-client-wrong-usage.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-wrong-usage", severity: Error,
        title: "the server's certificate is not allowed for server authentication",
        remediation: "Re-issue the server certificate with extendedKeyUsage serverAuth (and keyUsage digitalSignature), basicConstraints CA:FALSE. Check with `openssl x509 -in server.pem -noout -ext extendedKeyUsage,keyUsage,basicConstraints`.",
        fires_on: ["server-cert-weak-sha1.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "A certificate states what its key may be used for. A certificate whose extendedKeyUsage lacks serverAuth (for a server) or clientAuth (for a client), whose keyUsage lacks digitalSignature (needed to sign the handshake), or a leaf marked CA:TRUE, is refused by strict verifiers with unsupported_certificate or bad_certificate.",
}

fn describe(p: &UsageProblem) -> Option<String> {
    Some(match p {
        UsageProblem::EkuMissingPurpose { required, present } => {
            format!(
                "extendedKeyUsage is {} without {}",
                present.join(", "),
                required.eku_name()
            )
        }
        UsageProblem::KeyUsageWithoutDigitalSignature { present } => {
            format!(
                "keyUsage is {} without digitalSignature",
                present.join(", ")
            )
        }
        UsageProblem::LeafIsCa => "a leaf marked CA:TRUE".to_string(),
        // Acceptable only with RSA key exchange, and for CAs only a
        // certificate-signing matter: not this rule's concern.
        UsageProblem::KeyUsageOnlyKeyEncipherment { .. }
        | UsageProblem::IssuerWithoutKeyCertSign { .. } => return None,
    })
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let rule = match side {
        Side::Client => &CLIENT_CERTIFICATE_WRONG_USAGE,
        Side::Server => &SERVER_CERTIFICATE_WRONG_USAGE,
    };
    per_certificate(
        conn,
        side,
        rule,
        Severity::Error,
        out,
        |i, c| {
            if i != 0 || c.parse_error.is_some() {
                return None;
            }
            let list: Vec<String> = usage_problems(c, usage(side), true)
                .iter()
                .filter_map(describe)
                .collect();
            (!list.is_empty()).then(|| list.join("; "))
        },
        |c, d| format!("{side} certificate {}: {d}", super::common::name(c)),
        "The peer checks these against the certificate's role.",
    );
}
