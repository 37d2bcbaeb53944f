//! One certificate, decoded once into plain data for reports and rules.
//!
//! A [`CertSummary`] is what the JSON report shows for a certificate and what
//! every later check reads. Parsing is tolerant: DER that x509-parser refuses
//! still yields a summary (fingerprint, size, `parse_error`), because an
//! unparseable certificate is itself a finding. [`CertCache`] makes sure a
//! chain repeated on thousands of connections is decoded only once.

use super::chain::{SignatureCheck, check_signature};
use super::hex;
use crate::types::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::X509Name;

/// Decoded facts about one certificate (part of the public JSON output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema, Default)]
pub struct CertSummary {
    /// Subject DN, rendered like `C=US, O=Example, CN=www.example.com`.
    pub subject: String,
    /// Issuer DN, rendered the same way as `subject`.
    pub issuer: String,
    /// First commonName of the subject, if any.
    pub subject_cn: Option<String>,
    /// First commonName of the issuer, if any.
    pub issuer_cn: Option<String>,
    /// Serial number as lowercase hex without separators or sign-padding zero bytes.
    pub serial: String,
    /// Start of validity.
    pub not_before: Option<Timestamp>,
    /// End of validity.
    pub not_after: Option<Timestamp>,
    /// Subject alternative names by type.
    pub san: SubjectAltNames,
    /// Public key type and size.
    pub key: KeyInfo,
    /// How the issuer signed this certificate.
    pub signature_algorithm: SignatureInfo,
    /// X.509 version as people say it: 1, 2 or 3.
    pub version: u32,
    /// Basic constraints extension, if present.
    pub basic_constraints: Option<BasicConstraints>,
    /// Key usage bits that are set (`digital_signature`, `key_encipherment`, …);
    /// `None` when the extension is absent.
    pub key_usage: Option<Vec<String>>,
    /// Extended key usages (`server_auth`, `client_auth`, …, or dotted OIDs);
    /// `None` when the extension is absent.
    pub extended_key_usage: Option<Vec<String>>,
    /// Subject key identifier (hex).
    pub subject_key_id: Option<String>,
    /// Authority key identifier's keyIdentifier (hex).
    pub authority_key_id: Option<String>,
    /// SHA-256 of the DER (lowercase hex), as `openssl x509 -fingerprint -sha256` without colons.
    pub sha256: String,
    /// DER size in bytes.
    pub size: usize,
    /// Subject and issuer DNs are byte-identical.
    pub self_issued: bool,
    /// Self-issued and its signature checks with its own public key: valid,
    /// or not checkable by the crypto backend (see `self_signature`).
    pub self_signed: bool,
    /// Result of checking a self-issued certificate's signature with its own
    /// key; `None` when not self-issued or not parsed.
    pub self_signature: Option<SignatureCheck>,
    /// Why the certificate could not be decoded; the other fields are then mostly empty.
    pub parse_error: Option<String>,
    /// Extensions that were present but malformed (the certificate itself parsed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_errors: Vec<String>,
    /// Subject DN as DER, for exact comparison with CertificateRequest CA names.
    #[serde(skip)]
    pub raw_subject: Vec<u8>,
    /// Issuer DN as DER, for exact comparison with CA names and CRL issuers.
    #[serde(skip)]
    pub raw_issuer: Vec<u8>,
    /// The certificate itself (DER), kept for PEM export (`tlsdiag certs`); not in JSON.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// Subject alternative names, grouped by type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default)]
pub struct SubjectAltNames {
    pub dns: Vec<String>,
    pub ip: Vec<String>,
    pub uri: Vec<String>,
    pub email: Vec<String>,
}

impl SubjectAltNames {
    /// True when the certificate carries a DNS or IP SAN (which disables the CN fallback).
    pub fn has_host_names(&self) -> bool {
        !self.dns.is_empty() || !self.ip.is_empty()
    }
}

/// Public key algorithm family.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum KeyType {
    Rsa,
    Ec,
    Ed25519,
    Ed448,
    Dsa,
    #[default]
    Other,
}

/// The subject public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default)]
pub struct KeyInfo {
    #[serde(rename = "type")]
    pub key_type: KeyType,
    /// Key size in bits (RSA modulus, EC field size); 0 when unknown.
    pub bits: u32,
    /// Named curve for EC keys (`secp256r1`, …), or the dotted OID.
    pub curve: Option<String>,
}

/// The certificate's signature algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default)]
pub struct SignatureInfo {
    /// OpenSSL-style name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`) or the dotted OID.
    pub name: String,
    /// Digest used (`md5`, `sha1`, `sha256`, …) when known.
    pub hash: Option<String>,
    /// Dotted OID.
    pub oid: String,
}

/// Basic constraints extension.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, Default,
)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
}

/// Summarises one DER certificate. Never fails and never panics: undecodable
/// input gives a summary with `parse_error` set.
pub fn summarize(der: &[u8]) -> CertSummary {
    let mut s = CertSummary {
        sha256: sha256_hex(der),
        size: der.len(),
        der: der.to_vec(),
        ..CertSummary::default()
    };
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => fill_from_cert(&mut s, &cert),
        Err(e) => s.parse_error = Some(e.to_string()),
    }
    s
}

/// Renders a DER-encoded DistinguishedName (for example an entry of a
/// CertificateRequest's `certificate_authorities`) exactly as
/// [`CertSummary::subject`]/[`CertSummary::issuer`] are rendered.
pub fn dn_to_string(der: &[u8]) -> Option<String> {
    let (_, name) = X509Name::from_der(der).ok()?;
    Some(name.to_string())
}

pub(crate) fn sha256_hex(der: &[u8]) -> String {
    hex(&Sha256::digest(der))
}

fn first_cn(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_owned)
}

/// Serial magnitude: the DER INTEGER bytes without sign-padding zero bytes.
pub(crate) fn serial_hex(raw: &[u8]) -> String {
    let trimmed = match raw.iter().position(|b| *b != 0) {
        Some(i) => raw.get(i..).unwrap_or_default(),
        None => &[0u8][..],
    };
    hex(trimmed)
}

fn fill_from_cert(s: &mut CertSummary, cert: &X509Certificate<'_>) {
    s.subject = cert.subject().to_string();
    s.issuer = cert.issuer().to_string();
    s.subject_cn = first_cn(cert.subject());
    s.issuer_cn = first_cn(cert.issuer());
    s.raw_subject = cert.subject().as_raw().to_vec();
    s.raw_issuer = cert.issuer().as_raw().to_vec();
    s.serial = serial_hex(cert.raw_serial());
    s.not_before = Some(Timestamp::new(cert.validity().not_before.timestamp(), 0));
    s.not_after = Some(Timestamp::new(cert.validity().not_after.timestamp(), 0));
    s.version = cert.version().0.saturating_add(1);
    s.key = key_info(cert);
    s.signature_algorithm = signature_info(cert);
    s.self_issued = s.raw_subject == s.raw_issuer;
    if s.self_issued {
        let check = check_signature(cert, cert);
        s.self_signature = Some(check);
        s.self_signed = check != SignatureCheck::Invalid;
    }
    fill_extensions(s, cert);
}

fn fill_extensions(s: &mut CertSummary, cert: &X509Certificate<'_>) {
    match cert.basic_constraints() {
        Ok(Some(bc)) => {
            s.basic_constraints = Some(BasicConstraints {
                ca: bc.value.ca,
                path_len: bc.value.path_len_constraint,
            })
        }
        Ok(None) => {}
        Err(e) => s.extension_errors.push(format!("basicConstraints: {e}")),
    }
    match cert.key_usage() {
        Ok(Some(ku)) => s.key_usage = Some(key_usage_names(ku.value.flags)),
        Ok(None) => {}
        Err(e) => s.extension_errors.push(format!("keyUsage: {e}")),
    }
    match cert.extended_key_usage() {
        Ok(Some(eku)) => s.extended_key_usage = Some(eku_names(eku.value)),
        Ok(None) => {}
        Err(e) => s.extension_errors.push(format!("extendedKeyUsage: {e}")),
    }
    match cert.subject_alternative_name() {
        Ok(Some(san)) => s.san = san_lists(&san.value.general_names),
        Ok(None) => {}
        Err(e) => s.extension_errors.push(format!("subjectAltName: {e}")),
    }
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(kid) => s.subject_key_id = Some(hex(kid.0)),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                s.authority_key_id = aki.key_identifier.as_ref().map(|k| hex(k.0))
            }
            ParsedExtension::ParseError { error } => {
                s.extension_errors.push(format!("{}: {error}", ext.oid))
            }
            _ => {}
        }
    }
}

/// keyUsage bit names in RFC 5280 order (bit 0 first).
const KEY_USAGE_BITS: [&str; 9] = [
    "digital_signature",
    "non_repudiation",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
];

fn key_usage_names(flags: u16) -> Vec<String> {
    KEY_USAGE_BITS
        .iter()
        .enumerate()
        .filter(|(bit, _)| flags & (1u16 << bit) != 0)
        .map(|(_, name)| (*name).to_owned())
        .collect()
}

fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let flags = [
        (eku.any, "any"),
        (eku.server_auth, "server_auth"),
        (eku.client_auth, "client_auth"),
        (eku.code_signing, "code_signing"),
        (eku.email_protection, "email_protection"),
        (eku.time_stamping, "time_stamping"),
        (eku.ocsp_signing, "ocsp_signing"),
    ];
    let mut out: Vec<String> = flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, n)| (*n).to_owned())
        .collect();
    out.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    out
}

fn san_lists(names: &[GeneralName<'_>]) -> SubjectAltNames {
    let mut san = SubjectAltNames::default();
    for name in names {
        match name {
            GeneralName::DNSName(d) => san.dns.push((*d).to_owned()),
            GeneralName::IPAddress(b) => san.ip.push(ip_string(b)),
            GeneralName::URI(u) => san.uri.push((*u).to_owned()),
            GeneralName::RFC822Name(e) => san.email.push((*e).to_owned()),
            _ => {}
        }
    }
    san
}

/// Renders an iPAddress SAN; lengths other than 4/16 (e.g. name-constraint
/// style address+mask) are shown as hex so nothing is silently dropped.
fn ip_string(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        IpAddr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        IpAddr::from(v6).to_string()
    } else {
        hex(bytes)
    }
}

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let curve_oid = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    match (alg.as_str(), spki.parsed()) {
        ("1.3.101.112", _) => KeyInfo {
            key_type: KeyType::Ed25519,
            bits: 256,
            curve: None,
        },
        ("1.3.101.113", _) => KeyInfo {
            key_type: KeyType::Ed448,
            bits: 456,
            curve: None,
        },
        (_, Ok(PublicKey::RSA(rsa))) => KeyInfo {
            key_type: KeyType::Rsa,
            bits: integer_bits(rsa.modulus),
            curve: None,
        },
        (_, Ok(PublicKey::EC(point))) => KeyInfo {
            key_type: KeyType::Ec,
            bits: u32::try_from(point.key_size()).unwrap_or(0),
            curve: curve_oid.map(|o| curve_name(&o)),
        },
        (_, Ok(PublicKey::DSA(y))) => KeyInfo {
            key_type: KeyType::Dsa,
            bits: integer_bits(y),
            curve: None,
        },
        _ => KeyInfo {
            key_type: KeyType::Other,
            bits: 0,
            curve: curve_oid,
        },
    }
}

/// Bit length of a big-endian unsigned integer.
fn integer_bits(be: &[u8]) -> u32 {
    let Some(first) = be.iter().position(|b| *b != 0) else {
        return 0;
    };
    let len = u32::try_from(be.len() - first).unwrap_or(u32::MAX / 8);
    let lead = be.get(first).map_or(0, |b| b.leading_zeros());
    (len * 8).saturating_sub(lead)
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "secp256r1",
        "1.3.132.0.34" => "secp384r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.132.0.33" => "secp224r1",
        "1.2.840.10045.3.1.1" => "secp192r1",
        "1.3.132.0.10" => "secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        other => other,
    }
    .to_owned()
}

/// Signature algorithm OIDs: (dotted OID, OpenSSL name, hash).
const SIG_ALGS: &[(&str, &str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption", "md2"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption", "md5"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption", "sha1"),
    ("1.3.14.3.2.29", "sha1WithRSA", "sha1"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption", "sha224"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption", "sha256"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption", "sha384"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption", "sha512"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1", "sha1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224", "sha224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256", "sha256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384", "sha384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512", "sha512"),
    ("1.2.840.10040.4.3", "dsaWithSHA1", "sha1"),
    ("2.16.840.1.101.3.4.3.2", "dsa_with_SHA256", "sha256"),
    ("1.3.101.112", "ED25519", "sha512"),
    ("1.3.101.113", "ED448", "shake256"),
];

/// Hash algorithm OIDs used inside RSASSA-PSS parameters.
const HASH_OIDS: &[(&str, &str)] = &[
    ("1.3.14.3.2.26", "sha1"),
    ("2.16.840.1.101.3.4.2.4", "sha224"),
    ("2.16.840.1.101.3.4.2.1", "sha256"),
    ("2.16.840.1.101.3.4.2.2", "sha384"),
    ("2.16.840.1.101.3.4.2.3", "sha512"),
];

fn signature_info(cert: &X509Certificate<'_>) -> SignatureInfo {
    let alg = &cert.signature_algorithm;
    let oid = alg.algorithm.to_id_string();
    if let Some((_, name, hash)) = SIG_ALGS.iter().find(|(o, _, _)| *o == oid) {
        return SignatureInfo {
            name: (*name).to_owned(),
            hash: Some((*hash).to_owned()),
            oid,
        };
    }
    if oid == "1.2.840.113549.1.1.10" {
        let hash = alg.parameters.as_ref().and_then(pss_hash);
        return SignatureInfo {
            name: "rsassaPss".to_owned(),
            hash,
            oid,
        };
    }
    SignatureInfo {
        name: oid.clone(),
        hash: None,
        oid,
    }
}

/// Hash named in RSASSA-PSS parameters (SHA-1 when absent, per RFC 4055).
fn pss_hash(params: &x509_parser::der_parser::asn1_rs::Any<'_>) -> Option<String> {
    let parsed = x509_parser::signature_algorithm::RsaSsaPssParams::try_from(params).ok()?;
    let oid: &Oid<'_> = parsed.hash_algorithm_oid();
    let id = oid.to_id_string();
    HASH_OIDS
        .iter()
        .find(|(o, _)| *o == id)
        .map(|(_, n)| (*n).to_owned())
        .or(Some(id))
}

/// Summaries keyed by the certificate's bytes, so a chain sent on many
/// connections is decoded once. Safe to share between threads.
///
/// The map is keyed by a 64-bit hash of the DER (seeded per process) and a
/// hit is confirmed by comparing the DER: hashing with SHA-256 cost a
/// microsecond per certificate per connection. Two certificates whose hashes
/// collide are both decoded; only the first is kept.
#[derive(Debug, Default)]
pub struct CertCache {
    map: Mutex<HashMap<u64, Arc<CertSummary>>>,
    hasher: foldhash::fast::RandomState,
}

impl CertCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The summary of `der`, decoding it on first sight.
    pub fn get(&self, der: &[u8]) -> Arc<CertSummary> {
        let key = self.hasher.hash_one(der);
        if let Some(hit) = self.lock().get(&key).filter(|hit| hit.der == der) {
            return Arc::clone(hit);
        }
        // Decode outside the lock; a concurrent duplicate decode is harmless.
        let summary = Arc::new(summarize(der));
        let mut map = self.lock();
        let kept = map.entry(key).or_insert_with(|| Arc::clone(&summary));
        if kept.der == der {
            Arc::clone(kept)
        } else {
            summary
        }
    }

    /// Number of distinct certificates decoded so far.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing has been decoded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<CertSummary>>> {
        relock(&self.map)
    }
}

/// Locks a cache map. A poisoned lock only means another thread panicked
/// mid-insert; the map itself is still valid.
fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_strips_sign_padding_only() {
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x07]), "07");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }

    #[test]
    fn integer_bits_counts_from_the_top_set_bit() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01, 0x00]), 9);
        assert_eq!(integer_bits(&[0x00]), 0);
        let mut modulus = vec![0x00];
        modulus.extend(std::iter::repeat_n(0xffu8, 256));
        assert_eq!(integer_bits(&modulus), 2048);
    }

    #[test]
    fn key_usage_bits_follow_rfc5280_order() {
        // digitalSignature is bit 0, keyCertSign bit 5 in x509-parser's flag word.
        assert_eq!(
            key_usage_names(0b10_0001),
            vec!["digital_signature", "key_cert_sign"]
        );
    }

    #[test]
    fn garbage_gives_parse_error_not_panic() {
        for input in [
            &b""[..],
            &[0x30],
            &[0x30, 0x82, 0xff, 0xff, 0x01],
            &[0xff; 40],
        ] {
            let s = summarize(input);
            assert!(s.parse_error.is_some(), "input {input:?}");
            assert_eq!(s.size, input.len());
            assert_eq!(s.sha256.len(), 64);
        }
    }

    #[test]
    fn dn_to_string_rejects_garbage() {
        assert_eq!(dn_to_string(&[0x01, 0x02]), None);
    }
}
