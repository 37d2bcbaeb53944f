//! client-certificate-issuer-not-accepted: the client's certificate was not
//! issued by any CA the server listed in its CertificateRequest.
use super::common::requested_cas;
use crate::model::{CertificateRequest, Chain, Connection};
use crate::rules::certificates::common::{issuer_name, name, rejection, same_dn};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    CLIENT_CERTIFICATE_ISSUER_NOT_ACCEPTED {
        id: "client-certificate-issuer-not-accepted",
        severity: Error,
        title: "the client's certificate is not from a CA the server accepts",
        explanation: "The server's CertificateRequest lists the distinguished names of the CAs whose client certificates it accepts. The client sent a certificate whose issuer (and whose chain's issuers) are not in that list, so the server cannot build a path to a CA it trusts and refuses it (unknown_ca, bad_certificate; AWS ALB logs ClientCertUntrusted, API Gateway answers 403).",
        remediation: "Either give the client a certificate issued by one of the listed CAs, or add the client's CA to the server's trust store for client certificates (nginx `ssl_client_certificate`, ALB trust store, API Gateway truststore) so it is listed and accepted. Compare `openssl x509 -in client.pem -noout -issuer` with the `Acceptable client certificate CA names` printed by `openssl s_client -connect HOST:PORT`.",
        fires_on: ["mtls12-issuer-not-accepted.pcap", "mtls13-wrong-ca-keylog.pcap --keylog captures/mtls13-wrong-ca-keylog.keys"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-client-cert-missing.pcap", "mtls12-chain-too-deep.pcap"],
        check: Connection(check),
    }
}

/// Some certificate of the chain is listed, or was issued by a listed CA.
pub(crate) fn chain_accepted(cr: &CertificateRequest, chain: &Chain) -> bool {
    chain.certificates.iter().any(|c| {
        cr.ca_names
            .iter()
            .any(|n| same_dn(n, &c.summary.issuer) || same_dn(n, &c.summary.subject))
    })
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let (Some(cr), Some(chain)) = (
        tls.certificate_request.as_ref(),
        tls.client_certificates.as_ref(),
    ) else {
        return;
    };
    let Some(leaf) = chain.leaf().filter(|l| l.parse_error.is_none()) else {
        return;
    };
    if cr.ca_names.is_empty() || chain_accepted(cr, chain) {
        return;
    }
    let answer = rejection(tls, Side::Client, chain);
    let issuers: Vec<String> = chain
        .certificates
        .iter()
        .map(|c| c.summary.issuer.clone())
        .collect();
    let mut f = Finding::new(
        &CLIENT_CERTIFICATE_ISSUER_NOT_ACCEPTED,
        Some(conn.id),
        format!("client certificate {} was issued by {}, which the server does not list", name(leaf), issuer_name(leaf)),
        format!(
            "In its CertificateRequest (frame {}) {}. The client sent {} (frame {}), issued by {}{}; no certificate of its chain is from a listed CA: either the certificate comes from another CA, or the client left out the intermediates that lead to a listed one.{}",
            cr.frame,
            requested_cas(cr),
            name(leaf),
            chain.frame,
            leaf.issuer,
            if issuers.len() > 1 { format!(" (chain issuers: {})", issuers.join("; ")) } else { String::new() },
            answer
                .map(|a| format!(
                    " The server refused it with {} (frame {}).",
                    crate::rules::alerts::meaning::description_name(a),
                    a.frame
                ))
                .unwrap_or_default()
        ),
    )
    .frames([cr.frame, chain.frame])
    .frames(answer.map(|a| a.frame))
    .fact(format!("client certificate issuer: {}", leaf.issuer));
    for n in &cr.ca_names {
        f = f.fact(format!("accepted CA: {n}"));
    }
    out.push(f);
}
