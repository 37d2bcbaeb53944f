//! Verdict on a sent chain against the user's CA bundle (`--ca-bundle`),
//! judged at the packet's timestamp with rustls-webpki.
//!
//! webpki stops at the first error and names it without context; the
//! [`Verdict`] adds what we can recover from the chain itself (which
//! certificate expired, which serial was revoked). Its blanket refusals of
//! SHA-1, short RSA keys and v1 certificates are explained separately by
//! [`super::weaknesses`].

use super::checks::Usage;
use super::crl::Crl;
use super::summary::{CertSummary, summarize};
use super::{CertError, read_file};
use crate::types::Timestamp;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};

/// Outcome of verifying a chain against a [`TrustStore`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A path to a trust anchor exists and every check passed.
    Ok,
    /// A certificate's notAfter is before the verification time.
    Expired {
        index: Option<usize>,
        not_after: Timestamp,
    },
    /// A certificate's notBefore is after the verification time.
    NotYetValid {
        index: Option<usize>,
        not_before: Timestamp,
    },
    /// No path from the leaf to any trust anchor.
    UnknownIssuer,
    /// A signature on the path does not verify.
    BadSignature,
    /// A certificate on the path is listed in a supplied CRL.
    Revoked {
        index: Option<usize>,
        serial: String,
    },
    /// An algorithm webpki refuses (SHA-1, RSA < 2048, …); see `weaknesses`.
    UnsupportedSignatureAlgorithm,
    /// Not an X.509 v3 certificate.
    UnsupportedCertVersion,
    /// EKU without the role's purpose, or a CA certificate used as the leaf.
    WrongUsage { detail: String },
    /// The peer sent no certificate.
    EmptyChain,
    /// A certificate is not DER that webpki can read.
    Malformed { detail: String },
    /// Any other webpki error, by its debug name.
    Other { detail: String },
}

/// Trust anchors loaded from a PEM bundle.
#[derive(Debug, Clone)]
pub struct TrustStore {
    anchors: Vec<TrustAnchor<'static>>,
    summaries: Vec<Arc<CertSummary>>,
    skipped: Vec<String>,
}

impl TrustStore {
    /// Loads every `CERTIFICATE` block of a PEM file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<TrustStore, CertError> {
        TrustStore::from_pem(&read_file(path.as_ref())?)
    }

    /// Loads every `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<TrustStore, CertError> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CertError::Pem(e.to_string()))?;
        let refs: Vec<&[u8]> = ders.iter().map(|d| d.as_ref()).collect();
        TrustStore::from_der_certs(&refs)
    }

    /// Builds a store from DER certificates. Certificates webpki cannot use
    /// as anchors are skipped and listed in [`TrustStore::skipped`].
    pub fn from_der_certs(ders: &[&[u8]]) -> Result<TrustStore, CertError> {
        let mut store = TrustStore {
            anchors: Vec::new(),
            summaries: Vec::new(),
            skipped: Vec::new(),
        };
        for (i, der) in ders.iter().enumerate() {
            let cert = CertificateDer::from(*der);
            match webpki::anchor_from_trusted_cert(&cert) {
                Ok(anchor) => {
                    store.anchors.push(anchor.to_owned());
                    store.summaries.push(Arc::new(summarize(der)));
                }
                Err(e) => store.skipped.push(format!("certificate {}: {e:?}", i + 1)),
            }
        }
        if store.anchors.is_empty() {
            return Err(CertError::EmptyBundle);
        }
        Ok(store)
    }

    /// Number of trust anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Always false: an empty bundle is refused at load time.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Summaries of the anchors, in bundle order.
    pub fn anchors(&self) -> &[Arc<CertSummary>] {
        &self.summaries
    }

    /// Bundle certificates that could not become anchors, with webpki's reason.
    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    /// True when an anchor's subject is exactly this DER DistinguishedName
    /// (e.g. the issuer of a chain's last sent certificate).
    pub fn has_subject(&self, raw_dn: &[u8]) -> bool {
        self.summaries.iter().any(|s| s.raw_subject == raw_dn)
    }

    /// Verifies `chain_der` (leaf first, then whatever the peer sent, in any
    /// order) for `usage` at time `at`, checking revocation against `crls`
    /// for every certificate on the path. CRL expiry is ignored (CRLs are
    /// usually fetched long after the capture; see [`Crl::next_update`]), and
    /// certificates without a matching CRL are not treated as revoked.
    pub fn verify(
        &self,
        chain_der: &[&[u8]],
        at: Timestamp,
        usage: Usage,
        crls: &[Crl],
    ) -> Verdict {
        let Some((leaf, rest)) = chain_der.split_first() else {
            return Verdict::EmptyChain;
        };
        let leaf_der = CertificateDer::from(*leaf);
        let ee = match EndEntityCert::try_from(&leaf_der) {
            Ok(ee) => ee,
            Err(e) => return explain(e, chain_der, crls),
        };
        let intermediates: Vec<CertificateDer<'_>> =
            rest.iter().map(|d| CertificateDer::from(*d)).collect();
        let webpki_crls: Vec<CertRevocationList<'_>> = crls
            .iter()
            .filter_map(|c| BorrowedCertRevocationList::from_der(c.der()).ok())
            .map(CertRevocationList::from)
            .collect();
        let crl_refs: Vec<&CertRevocationList<'_>> = webpki_crls.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&crl_refs).ok().map(|b| {
            b.with_depth(RevocationCheckDepth::Chain)
                .with_status_policy(UnknownStatusPolicy::Allow)
                .with_expiration_policy(ExpirationPolicy::Ignore)
                .build()
        });
        let eku = match usage {
            Usage::ServerAuth => KeyUsage::server_auth(),
            Usage::ClientAuth => KeyUsage::client_auth(),
        };
        let time =
            UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(at.secs).unwrap_or(0)));
        match ee.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            &intermediates,
            time,
            eku,
            revocation,
            None,
        ) {
            Ok(_) => Verdict::Ok,
            Err(e) => explain(e, chain_der, crls),
        }
    }
}

/// Maps a webpki error to a [`Verdict`], locating the certificate concerned.
fn explain(e: webpki::Error, chain_der: &[&[u8]], crls: &[Crl]) -> Verdict {
    use webpki::Error as E;
    let summaries = || chain_der.iter().map(|d| summarize(d)).collect::<Vec<_>>();
    match e {
        E::CertExpired { not_after, .. } => {
            let not_after = unix_to_ts(not_after);
            let index = summaries()
                .iter()
                .position(|s| s.not_after == Some(not_after));
            Verdict::Expired { index, not_after }
        }
        E::CertNotValidYet { not_before, .. } => {
            let not_before = unix_to_ts(not_before);
            let index = summaries()
                .iter()
                .position(|s| s.not_before == Some(not_before));
            Verdict::NotYetValid { index, not_before }
        }
        E::UnknownIssuer => Verdict::UnknownIssuer,
        E::InvalidSignatureForPublicKey => Verdict::BadSignature,
        E::CertRevoked => {
            let all = summaries();
            let hit = all.iter().enumerate().find_map(|(i, s)| {
                crls.iter()
                    .find_map(|c| c.revoked(s))
                    .map(|r| (i, r.serial))
            });
            match hit {
                Some((i, serial)) => Verdict::Revoked {
                    index: Some(i),
                    serial,
                },
                None => Verdict::Revoked {
                    index: None,
                    serial: all.first().map(|s| s.serial.clone()).unwrap_or_default(),
                },
            }
        }
        E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            Verdict::UnsupportedSignatureAlgorithm
        }
        E::UnsupportedCertVersion => Verdict::UnsupportedCertVersion,
        E::BadDer | E::BadDerTime | E::TrailingData(_) => Verdict::Malformed {
            detail: format!("{e:?}"),
        },
        E::RequiredEkuNotFoundContext(_) | E::CaUsedAsEndEntity => Verdict::WrongUsage {
            detail: format!("{e:?}"),
        },
        other => Verdict::Other {
            detail: format!("{other:?}"),
        },
    }
}

fn unix_to_ts(t: UnixTime) -> Timestamp {
    Timestamp::new(i64::try_from(t.as_secs()).unwrap_or(i64::MAX), 0)
}
