//! Certificate revocation lists supplied by the user (`--crl`).
//!
//! A [`Crl`] is decoded with x509-parser for display and direct lookups
//! (issuer DN + serial, usable without a trust store) and is also checked to
//! be acceptable to rustls-webpki at load time, so that a CRL which the
//! verifier would refuse is reported when it is loaded, not mid-analysis.

use super::summary::{CertSummary, serial_hex};
use super::{CertError, read_file};
use crate::types::Timestamp;
use rustls_pki_types::CertificateRevocationListDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// One revoked certificate listed by a CRL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokedEntry {
    /// Serial, formatted like [`CertSummary::serial`].
    pub serial: String,
    /// When the CA revoked it.
    pub revocation_date: Timestamp,
    /// CRL reason code (`key_compromise`, `superseded`, …) when given.
    pub reason: Option<String>,
}

/// A decoded CRL.
#[derive(Debug, Clone, Serialize)]
pub struct Crl {
    /// Issuer DN, rendered like [`CertSummary::issuer`].
    pub issuer: String,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate, when present.
    pub next_update: Option<Timestamp>,
    /// Revoked certificates in CRL order.
    pub revoked: Vec<RevokedEntry>,
    #[serde(skip)]
    raw_issuer: Vec<u8>,
    #[serde(skip)]
    der: Vec<u8>,
    #[serde(skip)]
    by_serial: HashMap<String, usize>,
}

impl Crl {
    /// Decodes a DER CRL.
    pub fn from_der(der: &[u8]) -> Result<Crl, CertError> {
        let (_, crl) =
            CertificateRevocationList::from_der(der).map_err(|e| CertError::Crl(e.to_string()))?;
        webpki::BorrowedCertRevocationList::from_der(der)
            .map_err(|e| CertError::Crl(format!("rustls-webpki refuses it: {e:?}")))?;
        let revoked: Vec<RevokedEntry> = crl
            .iter_revoked_certificates()
            .map(|r| RevokedEntry {
                serial: serial_hex(r.raw_serial()),
                revocation_date: Timestamp::new(r.revocation_date.timestamp(), 0),
                reason: r.reason_code().map(|(_, code)| reason_name(code.0)),
            })
            .collect();
        let by_serial = revoked
            .iter()
            .enumerate()
            .map(|(i, r)| (r.serial.clone(), i))
            .collect();
        Ok(Crl {
            issuer: crl.issuer().to_string(),
            this_update: Timestamp::new(crl.last_update().timestamp(), 0),
            next_update: crl.next_update().map(|t| Timestamp::new(t.timestamp(), 0)),
            revoked,
            raw_issuer: crl.issuer().as_raw().to_vec(),
            der: der.to_vec(),
            by_serial,
        })
    }

    /// Decodes the first `X509 CRL` block of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Crl, CertError> {
        let der = CertificateRevocationListDer::from_pem_slice(pem)
            .map_err(|e| CertError::Pem(e.to_string()))?;
        Crl::from_der(der.as_ref())
    }

    /// Decodes PEM or DER, whichever `bytes` is.
    pub fn from_bytes(bytes: &[u8]) -> Result<Crl, CertError> {
        if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            Crl::from_pem(bytes)
        } else {
            Crl::from_der(bytes)
        }
    }

    /// Reads a PEM or DER CRL file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Crl, CertError> {
        Crl::from_bytes(&read_file(path.as_ref())?)
    }

    /// The CRL's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The revocation entry for `cert` if this CRL is from its issuer and lists its serial.
    pub fn revoked(&self, cert: &CertSummary) -> Option<RevokedEntry> {
        let same_issuer = if cert.raw_issuer.is_empty() {
            // Summaries read back from JSON carry no DER; fall back to the rendered DN.
            cert.issuer == self.issuer
        } else {
            cert.raw_issuer == self.raw_issuer
        };
        if !same_issuer || cert.parse_error.is_some() {
            return None;
        }
        self.by_serial
            .get(&cert.serial)
            .and_then(|i| self.revoked.get(*i))
            .cloned()
    }
}

fn reason_name(code: u8) -> String {
    match code {
        0 => "unspecified",
        1 => "key_compromise",
        2 => "ca_compromise",
        3 => "affiliation_changed",
        4 => "superseded",
        5 => "cessation_of_operation",
        6 => "certificate_hold",
        8 => "remove_from_crl",
        9 => "privilege_withdrawn",
        10 => "aa_compromise",
        other => return format!("reason_{other}"),
    }
    .to_owned()
}
