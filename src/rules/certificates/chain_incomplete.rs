//! client-chain-incomplete / server-chain-incomplete: a certificate's issuer
//! is neither sent nor a known trust anchor (a missing intermediate).
//!
//! Without `--ca-bundle`, an unsent issuer may simply be the root, which is
//! normally left out. The rule then concludes only on evidence: for a
//! client chain, the issuer is not among the CA names the server asked for;
//! for either side, the peer refused the chain (unknown_ca and friends)
//! right after it. With `--ca-bundle`, an issuer the bundle does not hold is
//! missing.
use super::common::{
    answered, by_role, chains, frames_of, issuer_name, name, position, rejection, same_dn,
};
use crate::certs::{ChainEnd, chain_report};
use crate::model::{Chain, Connection, Tls};
use crate::rules::{Context, Finding};
use crate::types::Side;

role_pair! {
    CLIENT_CHAIN_INCOMPLETE, SERVER_CHAIN_INCOMPLETE, run,
    client: {
        id: "client-chain-incomplete", severity: Error,
        title: "the client's chain is missing an intermediate certificate",
        remediation: "The client team configures the full chain: the client certificate followed by every intermediate up to (not including) a root the server trusts. Build and check it with `openssl verify -CAfile root.pem -untrusted intermediates.pem client.pem`.",
        fires_on: ["mtls12-client-chain-incomplete.pcap --ca-bundle captures/pki/clientca.crt"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-issuer-not-accepted.pcap"],
    },
    server: {
        id: "server-chain-incomplete", severity: Error,
        title: "the server's chain is missing an intermediate certificate",
        remediation: "The server team serves the full chain: the leaf followed by its intermediate(s) (e.g. `fullchain.pem`, nginx `ssl_certificate`, Apache `SSLCertificateChainFile`, an ALB/ACM import with the chain). Check with `openssl s_client -connect HOST:443 -servername NAME -showcerts </dev/null` and `openssl verify -CAfile root.pem -untrusted chain.pem leaf.pem`.",
        fires_on: ["server-chain-incomplete.pcap", "server-chain-incomplete.pcap --ca-bundle captures/pki/root.crt"],
        quiet_on: ["tls12-ok.pcap", "tls12-ok.pcap --ca-bundle captures/pki/root.crt",
            "intermittent-server-cert.pcap", "server-chain-misordered.pcap"],
    },
    explanation: "Each certificate must be signed by the next one sent, up to a root the peer already trusts. Here a certificate's issuer was not sent and is not a trust anchor, so the peer cannot build a path: it fails with unknown_ca (certificate_unknown, bad_certificate). Browsers sometimes hide this by fetching or caching intermediates; API clients, Java, Go, curl and load balancers do not, which is why it fails for some clients only. AWS ALB logs ClientCertUntrusted for a client chain it cannot complete.",
}

/// The CA names of the CertificateRequest contain `dn`.
fn requested(tls: &Tls, dn: &str) -> bool {
    tls.certificate_request
        .as_ref()
        .is_some_and(|cr| cr.ca_names.iter().any(|n| same_dn(n, dn)))
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        if let Some(f) = missing_issuer(conn, tls, cx, s, chain) {
            out.push(f);
        }
    }
}

fn missing_issuer(
    conn: &Connection,
    tls: &Tls,
    cx: &Context<'_>,
    s: Side,
    chain: &Chain,
) -> Option<Finding> {
    let ders: Vec<&[u8]> = chain
        .certificates
        .iter()
        .map(|c| c.summary.der.as_slice())
        .collect();
    if ders.is_empty() || ders.iter().any(|d| d.is_empty()) {
        return None;
    }
    let report = chain_report(&chain.summaries());
    let ChainEnd::IssuerNotSent { index, .. } = report.end else {
        return None;
    };
    let cert = chain.certificates.get(index)?.summary.as_ref();
    let answer = rejection(tls, s, chain);
    let issuer_is_ca_name = s == Side::Client && requested(tls, &cert.issuer);
    let known_anchor = cx.trust.map(|t| {
        t.has_subject(&cert.raw_issuer)
            || t.anchors()
                .iter()
                .any(|a| same_dn(&a.subject, &cert.issuer))
    });
    let evidence = match known_anchor {
        Some(true) => return None,
        Some(false) => "the --ca-bundle given holds no certificate with that subject".to_string(),
        None if issuer_is_ca_name => return None,
        // A client chain from an issuer the server did not list: without a
        // trust store, a foreign CA and missing intermediates look the same on
        // the wire; client-certificate-issuer-not-accepted reports it (and
        // names both causes).
        None if s == Side::Client
            && tls
                .certificate_request
                .as_ref()
                .is_some_and(|cr| !cr.ca_names.is_empty()) =>
        {
            return None;
        }
        // The chain ends at a CA whose issuer (the root) is left out, as it
        // should be: nothing to conclude without a trust store.
        None if cert.basic_constraints.as_ref().is_some_and(|b| b.ca) => return None,
        // Only "I cannot reach a trusted root" answers point at a missing
        // intermediate; certificate_expired and friends have other causes.
        None => match answer.filter(|a| {
            matches!(
                crate::rules::alerts::meaning::description_id(a),
                Some(crate::rules::alerts::meaning::id::UNKNOWN_CA)
                    | Some(crate::rules::alerts::meaning::id::BAD_CERTIFICATE)
                    | Some(crate::rules::alerts::meaning::id::CERTIFICATE_UNKNOWN)
            )
        }) {
            Some(a) => format!(
                "the {} refused the chain with {} (frame {}), which is how a peer says it cannot reach a trusted root",
                a.sender,
                crate::rules::alerts::meaning::description_name(a),
                a.frame
            ),
            None if s == Side::Client && tls.certificate_request.is_some() => {
                "it is not among the CA names the server asked for".to_string()
            }
            None => return None,
        },
    };
    let mut explanation = format!(
        "The {s} sent {} certificate(s) in frame {}; the last one on the path, the {} {}, was issued by {}, which was not sent: {evidence}.",
        chain.certificates.len(),
        chain.frame,
        position(index),
        name(cert),
        issuer_name(cert),
    );
    if let Some(aki) = &cert.authority_key_id {
        explanation.push_str(&format!(" The missing issuer's key id is {aki}."));
    }
    explanation.push_str(&answered(answer));
    Some(
        Finding::new(
            by_role(s, &CLIENT_CHAIN_INCOMPLETE, &SERVER_CHAIN_INCOMPLETE),
            Some(conn.id),
            format!(
                "{s} chain stops at {}: its issuer {} was not sent",
                name(cert),
                issuer_name(cert)
            ),
            explanation,
        )
        .frames(frames_of(chain, answer))
        .fact(format!("missing issuer: {}", cert.issuer)),
    )
}
