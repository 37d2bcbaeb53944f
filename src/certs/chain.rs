//! How the certificates a peer sent link together, without any trust store.
//!
//! From the sent list alone we can tell: which certificate issued which (DN
//! equality, AKI/SKI when both exist, and the signature itself), whether the
//! leaf signs itself, whether the last link's issuer was simply not sent (a
//! missing intermediate, unless a trust anchor covers it: the caller decides
//! with its trust store), whether the links run out of sending order, and
//! which certificates are not on the leaf's path at all.

use super::summary::{CertSummary, summarize};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

/// Result of checking one signature with x509-parser (ring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheck {
    /// The signature verifies with the issuer's key.
    Valid,
    /// The signature does not verify: wrong key or corrupted certificate.
    Invalid,
    /// The algorithm (or an RSA key under 2048 bits with SHA-2) cannot be
    /// checked by the crypto backend; no conclusion.
    Unsupported,
}

/// Verifies `child`'s signature with `issuer`'s public key.
pub(crate) fn check_signature(
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> SignatureCheck {
    match child.verify_signature(Some(issuer.public_key())) {
        Ok(()) => SignatureCheck::Valid,
        Err(X509Error::SignatureUnsupportedAlgorithm) => SignatureCheck::Unsupported,
        // ring only checks RSA with SHA-2 for moduli of 2048 bits and more.
        Err(_) if rsa_below_2048(issuer) => SignatureCheck::Unsupported,
        Err(_) => SignatureCheck::Invalid,
    }
}

fn rsa_below_2048(cert: &X509Certificate<'_>) -> bool {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let significant = rsa.modulus.iter().skip_while(|b| **b == 0).count();
            significant < 256
        }
        _ => false,
    }
}

/// Linking facts for one certificate of the sent chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainLink {
    /// Position in the sent chain (0 = leaf).
    pub index: usize,
    /// Position of the certificate that issued this one, if it was sent;
    /// equal to `index` for a self-signed certificate.
    pub issuer_index: Option<usize>,
    /// The issuer is the next certificate in sending order.
    pub issued_by_next: bool,
    /// Signature check against the certificate at `issuer_index`.
    pub signature: Option<SignatureCheck>,
    /// Issuer DN equals the subject DN of the next certificate.
    pub issuer_name_matches_next: bool,
    /// Authority key id equals the next certificate's subject key id
    /// (`None` when either is absent or there is no next certificate).
    pub key_id_matches_next: Option<bool>,
}

/// Where the path from the leaf stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainEnd {
    /// Nothing was sent.
    Empty,
    /// At a self-signed certificate that was sent (a root, or a self-signed leaf).
    SelfSigned { index: usize },
    /// At a certificate whose issuer was not sent. Normal when the issuer is
    /// a trust anchor; otherwise an intermediate is missing.
    IssuerNotSent {
        index: usize,
        issuer: String,
        authority_key_id: Option<String>,
    },
    /// A certificate names a sent issuer whose key does not verify its signature.
    BadSignature { index: usize, issuer_index: usize },
    /// The certificate at `index` does not parse.
    Unparseable { index: usize },
    /// Issuers lead back to a certificate already on the path.
    Loop { index: usize },
}

/// Structure of a sent chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainReport {
    /// Number of certificates sent.
    pub depth: usize,
    /// Sum of their DER sizes.
    pub total_size: usize,
    /// One entry per sent certificate, in sending order.
    pub links: Vec<ChainLink>,
    /// Indices from the leaf following issuers, as far as they were sent.
    pub path: Vec<usize>,
    /// Why the path stops.
    pub end: ChainEnd,
    /// The leaf is self-issued and its self-signature is valid or uncheckable.
    pub leaf_self_signed: bool,
    /// The path exists but is not `0, 1, 2, …` in sending order.
    pub misordered: bool,
    /// Parseable certificates that are not on the leaf's path.
    pub unrelated: Vec<usize>,
    /// Certificates that do not parse.
    pub unparseable: Vec<usize>,
}

impl ChainReport {
    /// True when the path ends in a sent self-signed certificate.
    pub fn ends_at_root(&self) -> bool {
        matches!(self.end, ChainEnd::SelfSigned { .. })
    }
}

/// One parsed certificate of the chain.
struct Entry<'a> {
    summary: CertSummary,
    cert: Option<X509Certificate<'a>>,
}

/// Analyses the chain as sent (leaf first).
/// [`analyze_chain`], computed once per distinct chain (the same certificates
/// in the same order) and shared: behind a load balancer thousands of
/// connections carry the same chain, and checking its signatures is the
/// costly part. The memo holds at most [`CHAIN_MEMO`] chains.
pub fn chain_report(chain: &[&CertSummary]) -> Arc<ChainReport> {
    static MEMO: OnceLock<Mutex<HashMap<String, Arc<ChainReport>>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    let lock = || {
        memo.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    // The certificates' SHA-256 fingerprints, in order, identify the chain.
    let key: String = chain
        .iter()
        .map(|c| c.sha256.as_str())
        .collect::<Vec<_>>()
        .join(",");
    if let Some(hit) = lock().get(&key) {
        return Arc::clone(hit);
    }
    let ders: Vec<&[u8]> = chain.iter().map(|c| c.der.as_slice()).collect();
    let report = Arc::new(analyze_chain(&ders));
    let mut m = lock();
    if m.len() >= CHAIN_MEMO {
        m.clear();
    }
    Arc::clone(m.entry(key).or_insert(report))
}

/// Distinct chains [`chain_report`] remembers (then it starts over).
pub const CHAIN_MEMO: usize = 4096;

pub fn analyze_chain(chain: &[&[u8]]) -> ChainReport {
    let entries: Vec<Entry<'_>> = chain
        .iter()
        .map(|der| Entry {
            summary: summarize(der),
            cert: X509Certificate::from_der(der).ok().map(|(_, c)| c),
        })
        .collect();
    let links: Vec<ChainLink> = (0..entries.len()).map(|i| link_for(&entries, i)).collect();
    let (path, end) = follow_path(&entries, &links);
    let on_path: HashSet<usize> = path.iter().copied().collect();
    let unparseable: Vec<usize> = (0..entries.len())
        .filter(|i| entries.get(*i).is_some_and(|e| e.cert.is_none()))
        .collect();
    let unrelated = (0..entries.len())
        .filter(|i| !on_path.contains(i) && !unparseable.contains(i))
        .collect();
    ChainReport {
        depth: chain.len(),
        total_size: chain.iter().map(|d| d.len()).sum(),
        misordered: path.iter().enumerate().any(|(pos, idx)| pos != *idx),
        leaf_self_signed: end == ChainEnd::SelfSigned { index: 0 },
        links,
        path,
        end,
        unrelated,
        unparseable,
    }
}

/// A parsed certificate is its own root when self-issued and its
/// self-signature is not shown to be invalid.
fn is_root(e: &Entry<'_>) -> bool {
    e.cert.is_some() && e.summary.self_signed
}

fn link_for(entries: &[Entry<'_>], i: usize) -> ChainLink {
    let mut link = ChainLink {
        index: i,
        issuer_index: None,
        issued_by_next: false,
        signature: None,
        issuer_name_matches_next: false,
        key_id_matches_next: None,
    };
    let Some(me) = entries.get(i) else {
        return link;
    };
    let Some(cert) = &me.cert else { return link };
    if let Some(next) = entries.get(i + 1).filter(|n| n.cert.is_some()) {
        link.issuer_name_matches_next = me.summary.raw_issuer == next.summary.raw_subject;
        link.key_id_matches_next = key_ids(&me.summary, &next.summary).map(|(a, s)| a == s);
    }
    if is_root(me) {
        link.issuer_index = Some(i);
        link.signature = me.summary.self_signature;
        return link;
    }
    if let Some((j, check)) = best_issuer(entries, i, cert) {
        link.issuer_index = Some(j);
        link.issued_by_next = j == i + 1 && check != SignatureCheck::Invalid;
        link.signature = Some(check);
    }
    link
}

fn key_ids<'s>(child: &'s CertSummary, issuer: &'s CertSummary) -> Option<(&'s str, &'s str)> {
    Some((
        child.authority_key_id.as_deref()?,
        issuer.subject_key_id.as_deref()?,
    ))
}

/// Among sent certificates whose subject is `i`'s issuer DN (and whose SKI
/// does not contradict `i`'s AKI), the one that best verifies the signature;
/// ties go to the next certificate in sending order.
fn best_issuer(
    entries: &[Entry<'_>],
    i: usize,
    cert: &X509Certificate<'_>,
) -> Option<(usize, SignatureCheck)> {
    let me = &entries.get(i)?.summary;
    let rank = |c: SignatureCheck| match c {
        SignatureCheck::Valid => 0,
        SignatureCheck::Unsupported => 1,
        SignatureCheck::Invalid => 2,
    };
    entries
        .iter()
        .enumerate()
        .filter(|(j, e)| *j != i && e.summary.raw_subject == me.raw_issuer)
        .filter(|(_, e)| key_ids(me, &e.summary).is_none_or(|(a, s)| a == s))
        .filter_map(|(j, e)| e.cert.as_ref().map(|c| (j, check_signature(cert, c))))
        .min_by_key(|(j, check)| (rank(*check), usize::from(*j != i + 1), *j))
}

fn follow_path(entries: &[Entry<'_>], links: &[ChainLink]) -> (Vec<usize>, ChainEnd) {
    let mut path = Vec::new();
    let mut seen = HashSet::new();
    let mut i = 0;
    loop {
        let (Some(entry), Some(link)) = (entries.get(i), links.get(i)) else {
            return (path, ChainEnd::Empty);
        };
        if !seen.insert(i) {
            return (path, ChainEnd::Loop { index: i });
        }
        path.push(i);
        if entry.cert.is_none() {
            return (path, ChainEnd::Unparseable { index: i });
        }
        match (link.issuer_index, link.signature) {
            (Some(j), _) if j == i => return (path, ChainEnd::SelfSigned { index: i }),
            (Some(j), Some(SignatureCheck::Invalid)) => {
                return (
                    path,
                    ChainEnd::BadSignature {
                        index: i,
                        issuer_index: j,
                    },
                );
            }
            (Some(j), _) => i = j,
            (None, _) => {
                let end = ChainEnd::IssuerNotSent {
                    index: i,
                    issuer: entry.summary.issuer.clone(),
                    authority_key_id: entry.summary.authority_key_id.clone(),
                };
                return (path, end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_garbage_chains_do_not_panic() {
        let empty = analyze_chain(&[]);
        assert_eq!(empty.end, ChainEnd::Empty);
        assert_eq!(empty.depth, 0);
        let junk = analyze_chain(&[&[0x30, 0x03, 0x02, 0x01], &[0xff]]);
        assert_eq!(junk.end, ChainEnd::Unparseable { index: 0 });
        assert_eq!(junk.unparseable, vec![0, 1]);
        assert_eq!(junk.total_size, 5);
    }
}
