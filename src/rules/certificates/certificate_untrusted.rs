//! client-certificate-untrusted / server-certificate-untrusted: with
//! `--ca-bundle`, the chain does not lead to a trust anchor of the bundle,
//! or a signature on it does not verify.
//!
//! Verification runs at the time the chain was sent (the packet's
//! timestamp). Expired, not-yet-valid, revoked and wrong-usage verdicts have
//! rules of their own. A chain that stops at an unsent issuer the bundle
//! does not hold is reported here and by chain-incomplete: whether the
//! missing certificate is an intermediate or an untrusted root cannot be
//! told from the wire.
use super::common::{answered, by_role, chains, frames_of, name, rejection, usage};
use crate::certs::{ChainEnd, Verdict, chain_report};
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_UNTRUSTED, SERVER_CERTIFICATE_UNTRUSTED, run,
    client: {
        id: "client-certificate-untrusted", severity: Error,
        title: "the client's certificate does not lead to a trusted root",
        remediation: "Either the server's trust store lacks the client's CA (add the CA that issued the client certificates to the server's client-CA file / ALB trust store), or the client uses a certificate from the wrong CA (issue one from a CA the server trusts). Check with `openssl verify -CAfile server-trust.pem -untrusted chain.pem client.pem`.",
        fires_on: ["mtls12-issuer-not-accepted.pcap --ca-bundle captures/pki/clientca.crt"],
        quiet_on: ["mtls12-ok.pcap --ca-bundle captures/pki/clientca.crt"],
    },
    server: {
        id: "server-certificate-untrusted", severity: Error,
        title: "the server's certificate does not lead to a trusted root",
        remediation: "Either the clients' trust store lacks the server's root (install it, e.g. a private CA into the OS/Java trust store or the client's CA file), or the server uses a certificate from a CA the clients do not trust (replace it). Check with `openssl s_client -connect HOST:443 -servername NAME -CAfile clients-trust.pem </dev/null` (look for `Verify return code: 0`).",
        fires_on: ["server-untrusted.pcap --ca-bundle captures/pki/otherca.crt"],
        quiet_on: ["tls12-ok.pcap --ca-bundle captures/pki/root.crt"],
    },
    explanation: "With --ca-bundle, tlsdiag verifies each chain against that trust store (signatures, path, validity at the time of the packet) as a strict TLS client or server would. A chain that ends in a root the store does not hold, or whose signatures do not verify, is refused by any peer with that trust store: unknown_ca, bad_certificate or certificate_unknown.",
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let (Some(tls), Some(trust)) = (conn.tls.as_ref(), cx.trust) else {
        return;
    };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let ders: Vec<&[u8]> = chain
            .certificates
            .iter()
            .map(|c| c.summary.der.as_slice())
            .collect();
        if ders.is_empty() || ders.iter().any(|d| d.is_empty()) {
            continue;
        }
        let verdict = trust.verify(&ders, chain.ts, usage(s), &[]);
        let what = match &verdict {
            Verdict::UnknownIssuer => match chain_report(&chain.summaries()).end {
                ChainEnd::IssuerNotSent { index, .. } => format!(
                    "no path to a trust anchor of the bundle (the issuer of {} was neither sent nor in the bundle)",
                    chain
                        .certificates
                        .get(index)
                        .map(|c| name(&c.summary))
                        .unwrap_or_default()
                ),
                _ => "no path to a trust anchor of the bundle".to_string(),
            },
            Verdict::BadSignature => "a signature in the chain does not verify".to_string(),
            Verdict::UnsupportedSignatureAlgorithm => {
                "a signature algorithm in the chain is not accepted".to_string()
            }
            Verdict::UnsupportedCertVersion => "a certificate is not X.509 v3".to_string(),
            Verdict::Malformed { detail } | Verdict::Other { detail } => detail.clone(),
            _ => continue,
        };
        let leaf = chain.leaf().map(name).unwrap_or_else(|| "(empty)".into());
        let top = chain
            .certificates
            .last()
            .map(|c| c.summary.issuer.clone())
            .unwrap_or_default();
        let answer = rejection(tls, s, chain);
        out.push(
            Finding::new(
                by_role(s, &CLIENT_CERTIFICATE_UNTRUSTED, &SERVER_CERTIFICATE_UNTRUSTED),
                Some(conn.id),
                format!("{s} certificate {leaf} is not trusted by the given CA bundle: {what}"),
                format!(
                    "Verifying the {s}'s chain (frame {}, {} certificate(s), leaf {leaf}) against the --ca-bundle ({} trust anchor(s)) at {}: {what}. The chain's top issuer is {top}.{}",
                    chain.frame,
                    chain.certificates.len(),
                    trust.len(),
                    chain.ts.human(),
                    answered(answer)
                ),
            )
            .frames(frames_of(chain, answer))
            .fact(format!("top issuer: {top}")),
        );
    }
}
