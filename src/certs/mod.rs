//! X.509 certificates: summaries (x509-parser), chain linking, verification
//! against a CA bundle (rustls-webpki) at the capture's time, CRLs, hostname
//! matching, PEM export. Knows nothing about connections.
//!
//! Everything here works on DER bytes and returns plain data: a certificate
//! that does not parse still yields a [`CertSummary`] with its fingerprint and
//! a `parse_error`, and every check returns structured results (indices,
//! names, enums) that the rules stage turns into findings.

mod chain;
mod checks;
mod crl;
mod names;
mod ocsp;
mod summary;
mod verify;

pub use chain::{ChainEnd, ChainLink, ChainReport, SignatureCheck, analyze_chain, chain_report};
pub use checks::{Usage, UsageProblem, Weakness, usage_problems, weaknesses};
pub use crl::{Crl, RevokedEntry};
pub use names::{NameMatch, NameSource, matches_host};
pub use ocsp::{OcspSummary, summarize_ocsp};
pub use summary::{
    BasicConstraints, CertCache, CertSummary, KeyInfo, KeyType, SignatureInfo, SubjectAltNames,
    dn_to_string, summarize,
};
pub use verify::{TrustStore, Verdict};

use std::path::PathBuf;

/// Errors loading certificate material supplied by the user (CA bundles, CRLs).
///
/// Certificates seen in a capture never produce errors: they produce summaries
/// with `parse_error` set.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The PEM text was malformed.
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// The bundle held no certificate usable as a trust anchor.
    #[error("no usable CA certificate in the bundle")]
    EmptyBundle,
    /// The CRL did not parse (x509-parser or rustls-webpki refused it).
    #[error("unusable CRL: {0}")]
    Crl(String),
}

/// Reads a user-supplied file, mapping the I/O error to [`CertError::Io`].
fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|source| CertError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Lowercase hex without separators.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            s.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

/// Renders a DER certificate as a PEM `CERTIFICATE` block (64-column base64).
pub fn to_pem(der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk.first(), chunk.get(1), chunk.get(2)].map(|x| x.copied().unwrap_or(0));
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (i, s) in sextets.iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(
                    ALPHABET.get(*s as usize).copied().unwrap_or(b'A'),
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input.as_bytes()), want, "input {input:?}");
        }
    }

    #[test]
    fn hex_is_lowercase_without_separators() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f, 0xff]), "00ab7fff");
    }

    #[test]
    fn pem_wraps_at_64_columns() {
        let der = vec![0x30u8; 100];
        let pem = to_pem(&der);
        let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(body.len(), 3); // 100 bytes -> 136 base64 chars -> 64 + 64 + 8
        assert!(body.iter().all(|l| l.len() <= 64));
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
    }
}
