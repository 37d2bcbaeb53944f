//! Client and server fingerprints: JA4 (FoxIO's JA4 specification, BSD
//! 3-Clause; JA4S/JA4X are under a licence that forbids commercial use and
//! are deliberately not implemented) and JA3/JA3S for compatibility.
//!
//! Inputs are plain numbers in wire order; GREASE values are removed here.

use md5::{Digest as _, Md5};
use sha2::Sha256;

/// True for the reserved GREASE values of RFC 8701 (0x0a0a, 0x1a1a, …).
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// What the fingerprints need from a ClientHello.
pub struct ClientHelloNumbers<'a> {
    pub legacy_version: u16,
    /// supported_versions as sent (may contain GREASE).
    pub supported_versions: &'a [u16],
    pub cipher_suites: &'a [u16],
    /// Extension types in wire order.
    pub extensions: &'a [u16],
    pub groups: &'a [u16],
    pub point_formats: &'a [u8],
    pub signature_algorithms: &'a [u16],
    pub sni_present: bool,
    /// First ALPN value as sent.
    pub first_alpn: Option<&'a [u8]>,
}

fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        _ => "00",
    }
}

fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".to_string();
    }
    let digest = Sha256::digest(s.as_bytes());
    hex(digest.get(..6).unwrap_or_default())
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn alpn_chars(alpn: Option<&[u8]>) -> String {
    let Some(v) = alpn.filter(|v| !v.is_empty()) else {
        return "00".to_string();
    };
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return "00".to_string();
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        format!("{}{}", first as char, last as char)
    } else {
        let h = hex(v);
        let (a, b) = (
            h.chars().next().unwrap_or('0'),
            h.chars().last().unwrap_or('0'),
        );
        format!("{a}{b}")
    }
}

/// JA4 for a ClientHello over TCP, e.g. `t13d1516h2_8daaf6152771_02713d6af862`.
pub fn ja4(ch: &ClientHelloNumbers<'_>) -> String {
    let version = ch
        .supported_versions
        .iter()
        .copied()
        .filter(|v| !is_grease(*v))
        .max()
        .unwrap_or(ch.legacy_version);
    let ciphers: Vec<u16> = ch
        .cipher_suites
        .iter()
        .copied()
        .filter(|c| !is_grease(*c))
        .collect();
    let exts: Vec<u16> = ch
        .extensions
        .iter()
        .copied()
        .filter(|e| !is_grease(*e))
        .collect();
    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let cipher_str: Vec<String> = sorted_ciphers.iter().map(|c| format!("{c:04x}")).collect();
    let mut sorted_exts: Vec<u16> = exts
        .iter()
        .copied()
        .filter(|e| *e != 0x0000 && *e != 0x0010)
        .collect();
    sorted_exts.sort_unstable();
    let ext_str: Vec<String> = sorted_exts.iter().map(|e| format!("{e:04x}")).collect();
    let sig_str: Vec<String> = ch
        .signature_algorithms
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect();
    let mut ext_input = ext_str.join(",");
    if !sig_str.is_empty() {
        ext_input.push('_');
        ext_input.push_str(&sig_str.join(","));
    }
    format!(
        "t{}{}{:02}{:02}{}_{}_{}",
        ja4_version(version),
        if ch.sni_present { 'd' } else { 'i' },
        ciphers.len().min(99),
        exts.len().min(99),
        alpn_chars(ch.first_alpn),
        hash12(&cipher_str.join(",")),
        if sorted_exts.is_empty() {
            "000000000000".to_string()
        } else {
            hash12(&ext_input)
        }
    )
}

fn dash_join<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

/// JA3 string and its MD5.
pub fn ja3(ch: &ClientHelloNumbers<'_>) -> (String, String) {
    let s = format!(
        "{},{},{},{},{}",
        ch.legacy_version,
        dash_join(ch.cipher_suites.iter().filter(|c| !is_grease(**c))),
        dash_join(ch.extensions.iter().filter(|e| !is_grease(**e))),
        dash_join(ch.groups.iter().filter(|g| !is_grease(**g))),
        dash_join(ch.point_formats.iter()),
    );
    let h = hex(&Md5::digest(s.as_bytes()));
    (s, h)
}

/// JA3S string and its MD5.
pub fn ja3s(legacy_version: u16, cipher: u16, extensions: &[u16]) -> (String, String) {
    let s = format!(
        "{},{},{}",
        legacy_version,
        cipher,
        dash_join(extensions.iter())
    );
    let h = hex(&Md5::digest(s.as_bytes()));
    (s, h)
}

/// A ClientHello's fingerprints: JA3 string and MD5, JA4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFingerprints {
    pub ja3: String,
    pub ja3_hash: String,
    pub ja4: String,
}

/// Distinct ClientHellos remembered by [`client`]; the memo is emptied when
/// it holds this many (a capture of random hellos costs no more memory).
const MEMO_CAP: usize = 4096;

/// [`ja3`] and [`ja4`] of a ClientHello, computed once per distinct set of
/// numbers: a capture of thousands of connections from a few clients has a
/// few distinct hellos, and the strings, hex, SHA-256 and MD5 behind each
/// fingerprint would otherwise be redone for every connection.
pub fn client(ch: &ClientHelloNumbers<'_>) -> ClientFingerprints {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static MEMO: OnceLock<Mutex<HashMap<Vec<u16>, ClientFingerprints>>> = OnceLock::new();
    let key = memo_key(ch);
    let memo = MEMO.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked mid-insert.
    let mut map = memo
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(hit) = map.get(&key) {
        return hit.clone();
    }
    let (ja3, ja3_hash) = ja3(ch);
    let fp = ClientFingerprints {
        ja3,
        ja3_hash,
        ja4: ja4(ch),
    };
    if map.len() >= MEMO_CAP {
        map.clear();
    }
    map.insert(key, fp.clone());
    fp
}

/// Every number a fingerprint reads, each list preceded by its length.
fn memo_key(ch: &ClientHelloNumbers<'_>) -> Vec<u16> {
    let mut k = Vec::with_capacity(
        8 + ch.supported_versions.len()
            + ch.cipher_suites.len()
            + ch.extensions.len()
            + ch.groups.len()
            + ch.point_formats.len()
            + ch.signature_algorithms.len()
            + ch.first_alpn.map_or(0, <[u8]>::len),
    );
    k.push(ch.legacy_version);
    k.push(u16::from(ch.sni_present));
    for list in [
        ch.supported_versions,
        ch.cipher_suites,
        ch.extensions,
        ch.groups,
        ch.signature_algorithms,
    ] {
        k.push(u16::try_from(list.len()).unwrap_or(u16::MAX));
        k.extend_from_slice(list);
    }
    for bytes in [Some(ch.point_formats), ch.first_alpn] {
        match bytes {
            Some(b) => {
                k.push(u16::try_from(b.len()).unwrap_or(u16::MAX));
                k.extend(b.iter().map(|&x| u16::from(x)));
            }
            None => k.push(u16::MAX),
        }
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    /// The worked example of the JA4 specification (a Chrome ClientHello).
    #[test]
    fn ja4_spec_example() {
        let ciphers = [
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let exts = [
            0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
            0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let ch = ClientHelloNumbers {
            legacy_version: 0x0303,
            supported_versions: &[0x0304, 0x0303],
            cipher_suites: &ciphers,
            extensions: &exts,
            groups: &[],
            point_formats: &[],
            signature_algorithms: &sigs,
            sni_present: true,
            first_alpn: Some(b"h2"),
        };
        assert_eq!(ja4(&ch), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    #[test]
    fn ja3_excludes_grease_and_hashes_md5() {
        let ch = ClientHelloNumbers {
            legacy_version: 771,
            supported_versions: &[],
            cipher_suites: &[0x0a0a, 4865, 4866],
            extensions: &[0x1a1a, 0, 10, 11],
            groups: &[0x2a2a, 29, 23],
            point_formats: &[0],
            signature_algorithms: &[],
            sni_present: true,
            first_alpn: None,
        };
        let (s, h) = ja3(&ch);
        assert_eq!(s, "771,4865-4866,0-10-11,29-23,0");
        assert_eq!(h.len(), 32);
        assert_eq!(h, hex(&Md5::digest(b"771,4865-4866,0-10-11,29-23,0")));
    }

    #[test]
    fn memoised_fingerprints_equal_computed_ones() {
        let suites = [0x1301, 0x1302, 0x0a0a];
        let exts = [0x0000, 0x002b, 0x000a];
        let mk = |sni_present: bool, alpn: Option<&'static [u8]>| ClientHelloNumbers {
            legacy_version: 0x0303,
            supported_versions: &[0x0304, 0x0303],
            cipher_suites: &suites,
            extensions: &exts,
            groups: &[0x001d],
            point_formats: &[0],
            signature_algorithms: &[0x0403],
            sni_present,
            first_alpn: alpn,
        };
        for ch in [
            mk(true, Some(b"h2")),
            mk(false, Some(b"h2")),
            mk(true, None),
        ] {
            let (ja3_s, ja3_h) = ja3(&ch);
            let want = ClientFingerprints {
                ja3: ja3_s,
                ja3_hash: ja3_h,
                ja4: ja4(&ch),
            };
            assert_eq!(client(&ch), want, "first sight");
            assert_eq!(client(&ch), want, "from the memo");
        }
        // Hellos that differ only in SNI presence or ALPN differ in JA4.
        assert_ne!(
            client(&mk(true, Some(b"h2"))).ja4,
            client(&mk(false, Some(b"h2"))).ja4
        );
        assert_ne!(
            client(&mk(true, Some(b"h2"))).ja4,
            client(&mk(true, None)).ja4
        );
    }
}
