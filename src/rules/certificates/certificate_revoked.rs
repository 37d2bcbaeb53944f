//! client-certificate-revoked / server-certificate-revoked: a certificate's
//! serial is listed in a `--crl` file from its issuer, revoked before the
//! certificate was sent (a revocation dated after the connection did not
//! cause its failure: CRLs are often fetched long after the incident).
use super::common::per_certificate;
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_REVOKED, SERVER_CERTIFICATE_REVOKED, run,
    client: {
        id: "client-certificate-revoked", severity: Error,
        title: "the client's certificate is revoked",
        remediation: "The client needs a new certificate: the revoked one will keep failing. If the revocation was a mistake, the CA must issue a new CRL without it (and the server reload it). Check with `openssl verify -crl_check -CRLfile crl.pem -CAfile ca.pem client.pem`. AWS ALB logs ClientCertCrlHit.",
        fires_on: ["mtls12-client-cert-revoked.pcap --crl captures/pki/clientca.crl.pem"],
        quiet_on: ["mtls12-ok.pcap --crl captures/pki/clientca.crl.pem"],
    },
    server: {
        id: "server-certificate-revoked", severity: Error,
        title: "the server's certificate is revoked",
        remediation: "Replace the server certificate with a new one; a revoked certificate fails for every client that checks revocation. Check with `openssl verify -crl_check -CRLfile crl.pem -CAfile ca.pem server.pem`.",
        fires_on: ["diff-intermediate-after.pcap --crl captures/pki/inter.crl.pem"],
        quiet_on: ["tls12-ok.pcap --crl captures/pki/clientca.crl.pem"],
    },
    explanation: "The issuing CA has revoked the certificate: its serial number is listed in the CRL given with --crl, signed by that issuer. Peers that check revocation refuse it with certificate_revoked.",
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    if cx.crls.is_empty() {
        return;
    }
    let rule = match side {
        Side::Client => &CLIENT_CERTIFICATE_REVOKED,
        Side::Server => &SERVER_CERTIFICATE_REVOKED,
    };
    let sent_at = conn.tls.as_ref().and_then(|t| match side {
        Side::Client => t.client_certificates.as_ref(),
        Side::Server => t.server_certificates.as_ref(),
    });
    let Some(sent_at) = sent_at.map(|c| c.ts) else {
        return;
    };
    per_certificate(
        conn,
        side,
        rule,
        Severity::Error,
        out,
        |_, c| {
            cx.crls
                .iter()
                .filter_map(|crl| crl.revoked(c))
                .find(|r| r.revocation_date <= sent_at)
                .map(|r| {
                    format!(
                        "serial {} revoked on {}{}",
                        r.serial,
                        super::common::date(r.revocation_date),
                        r.reason
                            .map(|x| format!(", reason {x}"))
                            .unwrap_or_default()
                    )
                })
        },
        |c, d| {
            format!(
                "{side} certificate {} is revoked ({d})",
                super::common::name(c)
            )
        },
        "A CRL given with --crl lists it.",
    );
}
