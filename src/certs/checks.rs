//! Single-certificate checks that explain refusals webpki reports without a
//! reason (weak hash, short key, X.509 v1) and usage mismatches (EKU,
//! keyUsage, a CA certificate used as a leaf).
//!
//! These read only a [`CertSummary`], so they also work for certificates the
//! trust-store verifier never got to.

use super::summary::{CertSummary, KeyType};
use serde::{Deserialize, Serialize};

/// What a certificate is presented for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// A server certificate (EKU id-kp-serverAuth).
    ServerAuth,
    /// A client certificate (EKU id-kp-clientAuth).
    ClientAuth,
}

impl Usage {
    /// The EKU name as it appears in [`CertSummary::extended_key_usage`].
    pub fn eku_name(self) -> &'static str {
        match self {
            Usage::ServerAuth => "server_auth",
            Usage::ClientAuth => "client_auth",
        }
    }
}

/// A cryptographic or format weakness that modern verifiers refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Weakness {
    /// Signed with MD2, MD5 or SHA-1.
    WeakSignatureHash { hash: String, algorithm: String },
    /// RSA or DSA key under 2048 bits, or EC key under 256 bits.
    WeakKey { key_type: KeyType, bits: u32 },
    /// X.509 version 1 or 2 (rustls-webpki accepts only v3).
    NotV3 { version: u32 },
}

/// Weaknesses of one certificate. Unparseable certificates yield none (that
/// is reported through `parse_error`).
pub fn weaknesses(c: &CertSummary) -> Vec<Weakness> {
    let mut out = Vec::new();
    if c.parse_error.is_some() {
        return out;
    }
    if let Some(hash) = c.signature_algorithm.hash.as_deref()
        && matches!(hash, "md2" | "md5" | "sha1")
    {
        out.push(Weakness::WeakSignatureHash {
            hash: hash.to_owned(),
            algorithm: c.signature_algorithm.name.clone(),
        });
    }
    let min_bits = match c.key.key_type {
        KeyType::Rsa | KeyType::Dsa => Some(2048),
        KeyType::Ec => Some(256),
        _ => None,
    };
    if let Some(min) = min_bits
        && c.key.bits > 0
        && c.key.bits < min
    {
        out.push(Weakness::WeakKey {
            key_type: c.key.key_type,
            bits: c.key.bits,
        });
    }
    if c.version < 3 {
        out.push(Weakness::NotV3 { version: c.version });
    }
    out
}

/// Why a certificate may not be used for its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UsageProblem {
    /// An extendedKeyUsage extension is present but lists neither the role's
    /// purpose nor anyExtendedKeyUsage. Applies to intermediates too, since
    /// verifiers (webpki, browsers) intersect EKUs along the chain.
    EkuMissingPurpose {
        required: Usage,
        present: Vec<String>,
    },
    /// keyUsage is present on a leaf without digitalSignature, so the key may
    /// not sign the handshake (ECDHE/DHE key exchange, TLS 1.3, a client's
    /// CertificateVerify).
    KeyUsageWithoutDigitalSignature { present: Vec<String> },
    /// Like [`UsageProblem::KeyUsageWithoutDigitalSignature`], but a server's
    /// RSA key has keyEncipherment: acceptable only with RSA key exchange
    /// (TLS 1.2 `TLS_RSA_*` suites). The rules stage decides with the suite.
    KeyUsageOnlyKeyEncipherment { present: Vec<String> },
    /// A leaf certificate has basicConstraints CA:TRUE.
    LeafIsCa,
    /// A certificate used as an issuer has keyUsage without keyCertSign.
    IssuerWithoutKeyCertSign { present: Vec<String> },
}

/// Usage problems of `c` presented for `role`; `is_leaf` says whether it is
/// the end-entity certificate (index 0 of the chain) or an issuer.
pub fn usage_problems(c: &CertSummary, role: Usage, is_leaf: bool) -> Vec<UsageProblem> {
    let mut out = Vec::new();
    if let Some(eku) = &c.extended_key_usage
        && !eku.iter().any(|e| e == role.eku_name() || e == "any")
    {
        out.push(UsageProblem::EkuMissingPurpose {
            required: role,
            present: eku.clone(),
        });
    }
    let has = |ku: &[String], bit: &str| ku.iter().any(|k| k == bit);
    match (&c.key_usage, is_leaf) {
        (Some(ku), true) if !has(ku, "digital_signature") => {
            let rsa_kex_ok = role == Usage::ServerAuth
                && c.key.key_type == KeyType::Rsa
                && has(ku, "key_encipherment");
            out.push(if rsa_kex_ok {
                UsageProblem::KeyUsageOnlyKeyEncipherment {
                    present: ku.clone(),
                }
            } else {
                UsageProblem::KeyUsageWithoutDigitalSignature {
                    present: ku.clone(),
                }
            });
        }
        (Some(ku), false) if !has(ku, "key_cert_sign") => {
            out.push(UsageProblem::IssuerWithoutKeyCertSign {
                present: ku.clone(),
            });
        }
        _ => {}
    }
    if is_leaf && c.basic_constraints.is_some_and(|bc| bc.ca) {
        out.push(UsageProblem::LeafIsCa);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::summary::{BasicConstraints, KeyInfo, SignatureInfo};

    fn cert(key_type: KeyType, bits: u32, hash: &str, version: u32) -> CertSummary {
        CertSummary {
            key: KeyInfo {
                key_type,
                bits,
                curve: None,
            },
            signature_algorithm: SignatureInfo {
                name: format!("{hash}-test"),
                hash: Some(hash.to_owned()),
                oid: String::new(),
            },
            version,
            ..CertSummary::default()
        }
    }

    #[test]
    fn weakness_thresholds() {
        assert!(weaknesses(&cert(KeyType::Rsa, 2048, "sha256", 3)).is_empty());
        assert_eq!(
            weaknesses(&cert(KeyType::Rsa, 2047, "sha256", 3)),
            vec![Weakness::WeakKey {
                key_type: KeyType::Rsa,
                bits: 2047
            }]
        );
        assert!(weaknesses(&cert(KeyType::Ec, 256, "sha256", 3)).is_empty());
        assert_eq!(weaknesses(&cert(KeyType::Ec, 224, "sha256", 3)).len(), 1);
        assert!(weaknesses(&cert(KeyType::Ed25519, 256, "sha512", 3)).is_empty());
        let w = weaknesses(&cert(KeyType::Rsa, 4096, "md5", 1));
        assert!(
            matches!(&w[..], [Weakness::WeakSignatureHash { hash, .. }, Weakness::NotV3 { version: 1 }] if hash == "md5")
        );
    }

    #[test]
    fn key_encipherment_only_is_distinguished_for_rsa_servers() {
        let mut c = cert(KeyType::Rsa, 2048, "sha256", 3);
        c.key_usage = Some(vec!["key_encipherment".into()]);
        assert!(matches!(
            usage_problems(&c, Usage::ServerAuth, true)[..],
            [UsageProblem::KeyUsageOnlyKeyEncipherment { .. }]
        ));
        assert!(matches!(
            usage_problems(&c, Usage::ClientAuth, true)[..],
            [UsageProblem::KeyUsageWithoutDigitalSignature { .. }]
        ));
        c.key = KeyInfo {
            key_type: KeyType::Ec,
            bits: 256,
            curve: None,
        };
        assert!(matches!(
            usage_problems(&c, Usage::ServerAuth, true)[..],
            [UsageProblem::KeyUsageWithoutDigitalSignature { .. }]
        ));
    }

    #[test]
    fn any_eku_is_accepted_and_issuer_needs_cert_sign() {
        let mut c = cert(KeyType::Ec, 256, "sha256", 3);
        c.extended_key_usage = Some(vec!["any".into()]);
        assert!(usage_problems(&c, Usage::ClientAuth, true).is_empty());
        c.key_usage = Some(vec!["digital_signature".into()]);
        c.basic_constraints = Some(BasicConstraints {
            ca: true,
            path_len: None,
        });
        assert!(matches!(
            usage_problems(&c, Usage::ServerAuth, false)[..],
            [UsageProblem::IssuerWithoutKeyCertSign { .. }]
        ));
    }
}
