//! Why a peer most likely refused a certificate chain: the certificate
//! checks, run on the chain the peer refused, in order of how often each
//! explains a refusal. Shared by client- and server-certificate-rejected.

use super::client_certificate_issuer_not_accepted::chain_accepted;
use crate::certs::{
    ChainEnd, UsageProblem, Verdict, Weakness, chain_report, matches_host, usage_problems,
    weaknesses,
};
use crate::model::{Chain, Tls};
use crate::rules::Context;
use crate::rules::certificates::common::{date, issuer_name, name, span, usage};
use crate::types::Side;

/// Likely reasons, most likely first; empty when no check explains it.
pub(crate) fn likely(tls: &Tls, side: Side, chain: &Chain, cx: &Context<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for c in chain.certificates.iter().map(|c| c.summary.as_ref()) {
        if let Some(na) = c.not_after.filter(|na| *na < chain.ts) {
            out.push(format!(
                "{} expired on {}, {} before the connection",
                name(c),
                date(na),
                span(na, chain.ts)
            ));
        }
        if let Some(nb) = c.not_before.filter(|nb| *nb > chain.ts) {
            out.push(format!("{} is valid only from {}", name(c), date(nb)));
        }
        if let Some(r) = cx.crls.iter().find_map(|crl| crl.revoked(c)) {
            out.push(format!(
                "{} is revoked (serial {}, --crl)",
                name(c),
                r.serial
            ));
        }
    }
    if side == Side::Client
        && let Some(cr) = tls
            .certificate_request
            .as_ref()
            .filter(|cr| !cr.ca_names.is_empty())
        && !chain_accepted(cr, chain)
    {
        let leaf = chain.leaf().map(issuer_name).unwrap_or_default();
        out.push(format!(
            "its issuer {leaf} is not among the CAs the server listed ({})",
            cr.ca_names.join("; ")
        ));
    }
    if let Some(leaf) = chain.leaf() {
        if leaf.self_signed {
            out.push(format!("{} is self-signed", name(leaf)));
        }
        if side == Side::Server
            && let Some(host) = tls.sni.clone().or_else(|| cx.options.expect_host.clone())
        {
            let m = matches_host(leaf, &host);
            if !m.matched {
                out.push(format!(
                    "{} is not valid for {host} (it names {})",
                    name(leaf),
                    m.checked.join(", ")
                ));
            }
        }
        for p in usage_problems(leaf, usage(side), true) {
            match p {
                UsageProblem::EkuMissingPurpose { required, .. } => out.push(format!(
                    "{} is not allowed for {}",
                    name(leaf),
                    required.eku_name()
                )),
                UsageProblem::LeafIsCa => {
                    out.push(format!("{} is a CA certificate used as a leaf", name(leaf)))
                }
                _ => {}
            }
        }
    }
    for c in chain.certificates.iter().map(|c| c.summary.as_ref()) {
        for w in weaknesses(c) {
            match w {
                Weakness::WeakSignatureHash { algorithm, .. }
                    if !(c.self_signed && chain.certificates.len() > 1) =>
                {
                    out.push(format!("{} is signed with {algorithm}", name(c)))
                }
                Weakness::WeakKey { bits, .. } => {
                    out.push(format!("{} has a {bits}-bit key", name(c)))
                }
                Weakness::NotV3 { version } => out.push(format!("{} is X.509 v{version}", name(c))),
                _ => {}
            }
        }
    }
    if chain.certificates.len() > cx.options.max_chain_depth {
        out.push(format!(
            "the chain has {} certificates (limit {})",
            chain.certificates.len(),
            cx.options.max_chain_depth
        ));
    }
    let ders: Vec<&[u8]> = chain
        .certificates
        .iter()
        .map(|c| c.summary.der.as_slice())
        .collect();
    if !ders.is_empty() && ders.iter().all(|d| !d.is_empty()) {
        if let ChainEnd::IssuerNotSent { index, .. } = chain_report(&chain.summaries()).end
            && let Some(c) = chain.certificates.get(index).map(|c| c.summary.as_ref())
            && !c.basic_constraints.as_ref().is_some_and(|b| b.ca)
            && !(side == Side::Client && out.iter().any(|r| r.contains("not among the CAs")))
        {
            out.push(format!(
                "{}'s issuer {} was not sent (a missing intermediate, unless the peer has it)",
                name(c),
                issuer_name(c)
            ));
        }
        if let Some(trust) = cx.trust {
            match trust.verify(&ders, chain.ts, usage(side), cx.crls) {
                Verdict::Ok => {}
                Verdict::UnknownIssuer => {
                    out.push("the chain does not lead to a root in --ca-bundle".to_string())
                }
                Verdict::BadSignature => {
                    out.push("a signature in the chain does not verify".to_string())
                }
                _ => {}
            }
        }
    }
    out.dedup();
    out
}
