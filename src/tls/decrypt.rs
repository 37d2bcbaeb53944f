//! Record decryption with secrets from a key log.
//!
//! The key log is the NSS `SSLKEYLOGFILE` text that curl, browsers and
//! `openssl -keylogfile` write (and that pcapng Decryption Secrets Blocks
//! carry). TLS 1.3 record keys come from the traffic secrets through
//! HKDF-Expand-Label (RFC 8446 §7.1, §7.3); TLS 1.2 keys from the master secret
//! through the PRF's key expansion (RFC 5246 §6.3). Ciphers are RustCrypto's:
//! AES-GCM, ChaCha20-Poly1305 (RFC 8446, RFC 7905) and, for TLS 1.2, AES-CBC
//! with HMAC-SHA1/SHA256/SHA384, with and without encrypt_then_mac (RFC 7366).
//!
//! Every length is checked before use: a record that does not authenticate
//! is a [`DecryptError`], never a panic.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};
use std::collections::HashMap;
use std::fmt;

/// Secrets are at most 48 bytes (SHA-384); anything longer is not a secret.
const MAX_SECRET: usize = 64;
/// Problems kept per key log (the rest are counted).
const MAX_PROBLEMS: usize = 20;

/// The secrets logged for one ClientHello random.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS ≤ 1.2 master secret (`CLIENT_RANDOM`).
    pub master: Option<Vec<u8>>,
    pub client_handshake: Option<Vec<u8>>,
    pub server_handshake: Option<Vec<u8>>,
    pub client_traffic_0: Option<Vec<u8>>,
    pub server_traffic_0: Option<Vec<u8>>,
}

impl Secrets {
    /// The labels present, in key-log spelling.
    pub fn labels(&self) -> Vec<&'static str> {
        [
            (self.master.is_some(), "CLIENT_RANDOM"),
            (
                self.client_handshake.is_some(),
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            ),
            (
                self.server_handshake.is_some(),
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            ),
            (self.client_traffic_0.is_some(), "CLIENT_TRAFFIC_SECRET_0"),
            (self.server_traffic_0.is_some(), "SERVER_TRAFFIC_SECRET_0"),
        ]
        .into_iter()
        .filter_map(|(present, label)| present.then_some(label))
        .collect()
    }
}

/// A parsed key log: secrets by ClientHello random.
#[derive(Debug, Clone, Default)]
pub struct KeyLog {
    entries: HashMap<[u8; 32], Secrets>,
    /// Lines that were not understood (first few, with their line number).
    pub problems: Vec<String>,
    pub problem_count: usize,
    /// Lines read (comments and blank lines included).
    pub lines: usize,
}

impl KeyLog {
    /// Parses key-log text; bad lines are noted and skipped.
    pub fn parse(text: &[u8]) -> KeyLog {
        let mut log = KeyLog::default();
        log.extend(text);
        log
    }

    /// Adds the lines of `text` (a second file, or a later pcapng block).
    pub fn extend(&mut self, text: &[u8]) {
        for line in text.split(|b| *b == b'\n') {
            self.lines += 1;
            let line = String::from_utf8_lossy(line);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Err(why) = self.line(line) {
                self.problem_count += 1;
                if self.problems.len() < MAX_PROBLEMS {
                    self.problems.push(format!("line {}: {why}", self.lines));
                }
            }
        }
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        let mut fields = line.split_ascii_whitespace();
        let (Some(label), Some(random), Some(secret), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err("expected three fields: LABEL CLIENT_RANDOM SECRET".into());
        };
        let mut cr = [0u8; 32];
        hex::decode_to_slice(random, &mut cr)
            .map_err(|_| "the client random is not 64 hex digits".to_string())?;
        if secret.len() > 2 * MAX_SECRET {
            return Err(format!("secret of {} hex digits is too long", secret.len()));
        }
        let secret = hex::decode(secret).map_err(|_| "the secret is not hex".to_string())?;
        if secret.is_empty() {
            return Err("empty secret".into());
        }
        let e = self.entries.entry(cr).or_default();
        let slot = match label {
            "CLIENT_RANDOM" => &mut e.master,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut e.client_handshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut e.server_handshake,
            "CLIENT_TRAFFIC_SECRET_0" => &mut e.client_traffic_0,
            "SERVER_TRAFFIC_SECRET_0" => &mut e.server_traffic_0,
            // Known labels tlsdiag has no use for (0-RTT data, exporters).
            "CLIENT_EARLY_TRAFFIC_SECRET" | "EARLY_EXPORTER_SECRET" | "EXPORTER_SECRET" => {
                return Ok(());
            }
            "RSA" => return Err("RSA pre-master lines are not supported".into()),
            other => return Err(format!("unknown label {other:?}")),
        };
        *slot = Some(secret);
        Ok(())
    }

    /// Secrets for a ClientHello random.
    pub fn get(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.entries.get(client_random)
    }

    /// Number of ClientHello randoms with at least one secret.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Why a record could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecryptError {
    /// Authentication (tag, MAC or padding) failed: wrong key or wrong sequence.
    BadRecordMac,
    /// The record is too short for the cipher's overhead.
    TooShort,
    /// After removing padding nothing (not even a content type) was left.
    NoContentType,
}

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecryptError::BadRecordMac => "the record does not authenticate with this key",
            DecryptError::TooShort => "the record is shorter than the cipher's overhead",
            DecryptError::NoContentType => "the decrypted record holds only padding",
        })
    }
}

/// The hash of a suite's key schedule / PRF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha256,
    Sha384,
}

impl HashAlg {
    fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AeadKind {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadKind {
    fn key_len(self) -> usize {
        match self {
            AeadKind::Aes128Gcm => 16,
            AeadKind::Aes256Gcm | AeadKind::ChaCha20Poly1305 => 32,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    fn len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
}

/// What a cipher suite needs for record protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuiteCipher {
    Aead(AeadKind),
    /// AES-CBC with the key length in bytes.
    Cbc {
        key_len: usize,
        mac: MacAlg,
    },
}

/// A TLS 1.3 suite's AEAD and hash (None for suites without a RustCrypto AEAD here, e.g. CCM).
fn tls13_suite(suite: u16) -> Option<(AeadKind, HashAlg)> {
    match suite {
        0x1301 => Some((AeadKind::Aes128Gcm, HashAlg::Sha256)),
        0x1302 => Some((AeadKind::Aes256Gcm, HashAlg::Sha384)),
        0x1303 => Some((AeadKind::ChaCha20Poly1305, HashAlg::Sha256)),
        _ => None,
    }
}

/// A TLS 1.2 suite's record cipher and PRF hash, from its IANA name.
fn tls12_suite(name: &str) -> Option<(SuiteCipher, HashAlg)> {
    let prf = if name.ends_with("_SHA384") {
        HashAlg::Sha384
    } else {
        HashAlg::Sha256
    };
    let cipher = if name.contains("_WITH_AES_128_GCM_") {
        SuiteCipher::Aead(AeadKind::Aes128Gcm)
    } else if name.contains("_WITH_AES_256_GCM_") {
        SuiteCipher::Aead(AeadKind::Aes256Gcm)
    } else if name.contains("_WITH_CHACHA20_POLY1305_") {
        SuiteCipher::Aead(AeadKind::ChaCha20Poly1305)
    } else {
        let key_len = if name.contains("_WITH_AES_128_CBC_") {
            16
        } else if name.contains("_WITH_AES_256_CBC_") {
            32
        } else {
            return None;
        };
        let mac = if name.ends_with("_SHA") {
            MacAlg::Sha1
        } else if name.ends_with("_SHA256") {
            MacAlg::Sha256
        } else if name.ends_with("_SHA384") {
            MacAlg::Sha384
        } else {
            return None;
        };
        SuiteCipher::Cbc { key_len, mac }
    };
    Some((cipher, prf))
}

/// Whether tlsdiag can decrypt records of this version and suite.
pub fn suite_supported(version: u16, suite: u16, suite_name: Option<&str>) -> bool {
    if super::enums::is_tls13(version) {
        tls13_suite(suite).is_some()
    } else {
        version == 0x0303 && suite_name.and_then(tls12_suite).is_some()
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_sha384(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let Ok(mut m) = <Hmac<Sha384> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let Ok(mut m) = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hmac(alg: HashAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        HashAlg::Sha256 => hmac_sha256(key, parts),
        HashAlg::Sha384 => hmac_sha384(key, parts),
    }
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
pub fn hkdf_expand_label(alg: HashAlg, secret: &[u8], label: &str, len: usize) -> Option<Vec<u8>> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&u16::try_from(len).ok()?.to_be_bytes());
    info.push(u8::try_from(full.len()).ok()?);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let mut out = vec![0u8; len];
    match alg {
        HashAlg::Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
        HashAlg::Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand(&info, &mut out)
            .ok()?,
    }
    Some(out)
}

/// The TLS 1.2 PRF (RFC 5246 §5): P_hash(secret, label + seed).
pub fn prf12(alg: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + alg.len());
    let mut a = hmac(alg, secret, &[label, seed]);
    while out.len() < len && !a.is_empty() {
        out.extend(hmac(alg, secret, &[&a, label, seed]));
        a = hmac(alg, secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// An AEAD instance with its key set.
#[derive(Clone)]
enum AeadKey {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl AeadKey {
    fn new(kind: AeadKind, key: &[u8]) -> Option<AeadKey> {
        Some(match kind {
            AeadKind::Aes128Gcm => AeadKey::Aes128(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            AeadKind::Aes256Gcm => AeadKey::Aes256(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            AeadKind::ChaCha20Poly1305 => {
                AeadKey::ChaCha(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
        })
    }

    fn open(&self, nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let payload = Payload { msg, aad };
        let nonce = nonce.into();
        match self {
            AeadKey::Aes128(k) => k.decrypt(nonce, payload),
            AeadKey::Aes256(k) => k.decrypt(nonce, payload),
            AeadKey::ChaCha(k) => k.decrypt(nonce, payload),
        }
        .map_err(|_| DecryptError::BadRecordMac)
    }
}

/// Per-record nonce: the IV XORed with the sequence number (RFC 8446 §5.3).
fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut n = *iv;
    for (b, s) in n.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *b ^= s;
    }
    n
}

const AEAD_TAG: usize = 16;
const AES_BLOCK: usize = 16;

#[derive(Clone)]
enum Protection {
    /// TLS 1.3: inner content type after the plaintext; the traffic secret
    /// is kept for KeyUpdate.
    Tls13 {
        aead: AeadKey,
        iv: [u8; 12],
        kind: AeadKind,
        hash: HashAlg,
        secret: Vec<u8>,
    },
    /// TLS 1.2 GCM: 4-byte salt + 8-byte explicit nonce per record.
    Tls12Gcm { aead: AeadKey, salt: [u8; 4] },
    /// TLS 1.2 ChaCha20-Poly1305 (RFC 7905): 12-byte IV XOR sequence.
    Tls12ChaCha { aead: AeadKey, iv: [u8; 12] },
    /// TLS 1.2 AES-CBC with HMAC, MAC-then-encrypt or encrypt-then-MAC.
    Tls12Cbc {
        key: Vec<u8>,
        mac: MacAlg,
        mac_key: Vec<u8>,
        etm: bool,
    },
}

/// Decrypts the records of one direction in one key epoch, in order.
#[derive(Clone)]
pub struct RecordDecryptor {
    prot: Protection,
    seq: u64,
}

impl fmt::Debug for RecordDecryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordDecryptor")
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// A decrypted record: its real content type and plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plaintext {
    pub content_type: u8,
    pub data: Vec<u8>,
    /// Bytes of the record body before the plaintext (explicit nonce or CBC IV).
    pub prefix: usize,
}

impl RecordDecryptor {
    /// TLS 1.3 record protection from a traffic secret.
    pub fn tls13(suite: u16, secret: &[u8]) -> Option<RecordDecryptor> {
        let (kind, hash) = tls13_suite(suite)?;
        Self::tls13_with(kind, hash, secret)
    }

    fn tls13_with(kind: AeadKind, hash: HashAlg, secret: &[u8]) -> Option<RecordDecryptor> {
        let key = hkdf_expand_label(hash, secret, "key", kind.key_len())?;
        let iv: [u8; 12] = hkdf_expand_label(hash, secret, "iv", 12)?.try_into().ok()?;
        Some(RecordDecryptor {
            prot: Protection::Tls13 {
                aead: AeadKey::new(kind, &key)?,
                iv,
                kind,
                hash,
                secret: secret.to_vec(),
            },
            seq: 0,
        })
    }

    /// The next generation after a KeyUpdate (RFC 8446 §7.2).
    pub fn key_update(&self) -> Option<RecordDecryptor> {
        let Protection::Tls13 {
            kind, hash, secret, ..
        } = &self.prot
        else {
            return None;
        };
        let next = hkdf_expand_label(*hash, secret, "traffic upd", hash.len())?;
        Self::tls13_with(*kind, *hash, &next)
    }

    /// Decrypts one record (`header` is its 5 bytes, `body` what follows).
    pub fn open(&mut self, header: &[u8; 5], body: &[u8]) -> Result<Plaintext, DecryptError> {
        let seq = self.seq;
        let plain = match &self.prot {
            Protection::Tls13 { aead, iv, .. } => {
                if body.len() < AEAD_TAG + 1 {
                    return Err(DecryptError::TooShort);
                }
                let mut data = aead.open(&xor_nonce(iv, seq), body, header)?;
                // Strip zero padding; the last non-zero byte is the content type.
                let end = data
                    .iter()
                    .rposition(|b| *b != 0)
                    .ok_or(DecryptError::NoContentType)?;
                let content_type = data.get(end).copied().ok_or(DecryptError::NoContentType)?;
                data.truncate(end);
                Plaintext {
                    content_type,
                    data,
                    prefix: 0,
                }
            }
            Protection::Tls12Gcm { aead, salt } => {
                let (explicit, rest) = body.split_at_checked(8).ok_or(DecryptError::TooShort)?;
                let plain_len = rest
                    .len()
                    .checked_sub(AEAD_TAG)
                    .ok_or(DecryptError::TooShort)?;
                let mut nonce = [0u8; 12];
                for (n, b) in nonce.iter_mut().zip(salt.iter().chain(explicit)) {
                    *n = *b;
                }
                let aad = aad12(seq, header, plain_len);
                Plaintext {
                    content_type: header[0],
                    data: aead.open(&nonce, rest, &aad)?,
                    prefix: 8,
                }
            }
            Protection::Tls12ChaCha { aead, iv } => {
                let plain_len = body
                    .len()
                    .checked_sub(AEAD_TAG)
                    .ok_or(DecryptError::TooShort)?;
                let aad = aad12(seq, header, plain_len);
                Plaintext {
                    content_type: header[0],
                    data: aead.open(&xor_nonce(iv, seq), body, &aad)?,
                    prefix: 0,
                }
            }
            Protection::Tls12Cbc {
                key,
                mac,
                mac_key,
                etm,
            } => Plaintext {
                content_type: header[0],
                data: cbc_open(key, *mac, mac_key, *etm, seq, header, body)?,
                prefix: AES_BLOCK,
            },
        };
        self.seq += 1;
        Ok(plain)
    }
}

/// TLS 1.2 AEAD additional data: seq, type, version, plaintext length.
fn aad12(seq: u64, header: &[u8; 5], plain_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    let len = u16::try_from(plain_len).unwrap_or(u16::MAX).to_be_bytes();
    for (a, b) in aad
        .iter_mut()
        .zip(seq.to_be_bytes().iter().chain(&header[..3]).chain(&len))
    {
        *a = *b;
    }
    aad
}

fn mac_of(alg: MacAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match alg {
        MacAlg::Sha1 => hmac_sha1(key, parts),
        MacAlg::Sha256 => hmac_sha256(key, parts),
        MacAlg::Sha384 => hmac_sha384(key, parts),
    }
}

/// Equal in constant time is not needed (offline analysis); equal is.
fn mac_ok(alg: MacAlg, key: &[u8], header: &[u8; 5], seq: u64, data: &[u8], mac: &[u8]) -> bool {
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
    let expect = mac_of(alg, key, &[&seq.to_be_bytes(), &header[..3], &len, data]);
    !expect.is_empty() && expect == mac
}

fn cbc_open(
    key: &[u8],
    mac: MacAlg,
    mac_key: &[u8],
    etm: bool,
    seq: u64,
    header: &[u8; 5],
    body: &[u8],
) -> Result<Vec<u8>, DecryptError> {
    use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::NoPadding};
    let (iv_and_ct, tag) = if etm {
        let cut = body
            .len()
            .checked_sub(mac.len())
            .ok_or(DecryptError::TooShort)?;
        let (a, b) = body.split_at_checked(cut).ok_or(DecryptError::TooShort)?;
        if !mac_ok(mac, mac_key, header, seq, a, b) {
            return Err(DecryptError::BadRecordMac);
        }
        (a, None)
    } else {
        (body, Some(()))
    };
    let (iv, ct) = iv_and_ct
        .split_at_checked(AES_BLOCK)
        .ok_or(DecryptError::TooShort)?;
    if ct.is_empty() || !ct.len().is_multiple_of(AES_BLOCK) {
        return Err(DecryptError::TooShort);
    }
    let mut buf = ct.to_vec();
    let plain_len = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(|_| DecryptError::BadRecordMac)?
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| DecryptError::BadRecordMac)?
            .len(),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(|_| DecryptError::BadRecordMac)?
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| DecryptError::BadRecordMac)?
            .len(),
        _ => return Err(DecryptError::BadRecordMac),
    };
    buf.truncate(plain_len);
    // TLS padding: `pad` bytes of value `pad`, then the length byte itself.
    let pad = usize::from(*buf.last().ok_or(DecryptError::TooShort)?);
    let unpadded = buf
        .len()
        .checked_sub(pad + 1)
        .ok_or(DecryptError::BadRecordMac)?;
    if buf
        .get(unpadded..)
        .is_none_or(|p| p.iter().any(|b| usize::from(*b) != pad))
    {
        return Err(DecryptError::BadRecordMac);
    }
    buf.truncate(unpadded);
    if tag.is_some() {
        let cut = buf
            .len()
            .checked_sub(mac.len())
            .ok_or(DecryptError::BadRecordMac)?;
        let (data, m) = buf.split_at(cut);
        if !mac_ok(mac, mac_key, header, seq, data, m) {
            return Err(DecryptError::BadRecordMac);
        }
        buf.truncate(cut);
    }
    Ok(buf)
}

/// TLS 1.2 record protection for both directions, from the master secret.
#[derive(Clone, Debug)]
pub struct Tls12Keys {
    pub client: RecordDecryptor,
    pub server: RecordDecryptor,
}

impl Tls12Keys {
    /// Key expansion (RFC 5246 §6.3). `suite_name` is the IANA name of the
    /// selected suite; `etm` whether the ServerHello accepted encrypt_then_mac.
    pub fn derive(
        suite_name: &str,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        etm: bool,
    ) -> Option<Tls12Keys> {
        let (cipher, prf) = tls12_suite(suite_name)?;
        let (mac_len, key_len, iv_len) = match cipher {
            SuiteCipher::Aead(AeadKind::ChaCha20Poly1305) => (0, 32, 12),
            SuiteCipher::Aead(kind) => (0, kind.key_len(), 4),
            SuiteCipher::Cbc { key_len, mac } => (mac.len(), key_len, 0),
        };
        let mut seed = Vec::with_capacity(64);
        seed.extend_from_slice(server_random);
        seed.extend_from_slice(client_random);
        let total = 2 * (mac_len + key_len + iv_len);
        let block = prf12(prf, master, b"key expansion", &seed, total);
        if block.len() != total {
            return None;
        }
        let mut parts = block.chunks_exact(1).map(|b| b.first().copied());
        let mut take = |n: usize| -> Vec<u8> { (&mut parts).take(n).flatten().collect() };
        let (cmac, smac) = (take(mac_len), take(mac_len));
        let (ckey, skey) = (take(key_len), take(key_len));
        let (civ, siv) = (take(iv_len), take(iv_len));
        let one = |mac_key: Vec<u8>, key: Vec<u8>, iv: Vec<u8>| -> Option<RecordDecryptor> {
            let prot = match cipher {
                SuiteCipher::Aead(AeadKind::ChaCha20Poly1305) => Protection::Tls12ChaCha {
                    aead: AeadKey::new(AeadKind::ChaCha20Poly1305, &key)?,
                    iv: iv.try_into().ok()?,
                },
                SuiteCipher::Aead(kind) => Protection::Tls12Gcm {
                    aead: AeadKey::new(kind, &key)?,
                    salt: iv.try_into().ok()?,
                },
                SuiteCipher::Cbc { mac, .. } => Protection::Tls12Cbc {
                    key,
                    mac,
                    mac_key,
                    etm,
                },
            };
            Some(RecordDecryptor { prot, seq: 0 })
        };
        Some(Tls12Keys {
            client: one(cmac, ckey, civ)?,
            server: one(smac, skey, siv)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_log_keeps_good_lines_and_names_bad_ones() {
        let cr = "ab".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_RANDOM {cr} {}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {cr} {}\ngarbage\nCLIENT_RANDOM zz {}\nNEW_LABEL {cr} 00\nCLIENT_RANDOM {cr} {}\n",
            "11".repeat(48),
            "22".repeat(32),
            "11".repeat(48),
            "33".repeat(100),
        );
        let log = KeyLog::parse(text.as_bytes());
        assert_eq!(log.len(), 1);
        let s = log.get(&[0xab; 32]).expect("entry");
        assert_eq!(s.master.as_deref(), Some(&[0x11; 48][..]));
        assert_eq!(s.server_handshake.as_deref(), Some(&[0x22; 32][..]));
        assert_eq!(
            s.labels(),
            vec!["CLIENT_RANDOM", "SERVER_HANDSHAKE_TRAFFIC_SECRET"]
        );
        assert_eq!(log.problem_count, 4);
        assert!(log.problems[0].starts_with("line 5: expected three fields"));
        assert!(log.problems[1].contains("64 hex digits"));
        assert!(log.problems[2].contains("unknown label \"NEW_LABEL\""));
        assert!(log.problems[3].contains("too long"));
    }

    #[test]
    fn prf_matches_the_published_sha256_vector() {
        // The widely used TLS 1.2 PRF test vector (SHA-256, 100 bytes).
        let secret = hex::decode("9bbe436ba940f017b17652849a71db35").expect("hex");
        let seed = hex::decode("a0ba9f936cda311827a6f796ffd5198c").expect("hex");
        let out = prf12(HashAlg::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            hex::encode(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }

    #[test]
    fn tls13_round_trip_and_key_update() {
        // Seal with the AEAD directly, open with the decryptor.
        let secret = [7u8; 32];
        let mut dec = RecordDecryptor::tls13(0x1301, &secret).expect("keys");
        let key = hkdf_expand_label(HashAlg::Sha256, &secret, "key", 16).expect("key");
        let iv: [u8; 12] = hkdf_expand_label(HashAlg::Sha256, &secret, "iv", 12)
            .expect("iv")
            .try_into()
            .expect("12");
        let aead = Aes128Gcm::new_from_slice(&key).expect("aead");
        let inner = [b"\x15".as_slice(), &[2, 116], &[22], &[0, 0, 0]].concat();
        let sealed_len = inner.len() + 16;
        let header = [23u8, 3, 3, 0, sealed_len as u8];
        let sealed = aead
            .encrypt(
                (&xor_nonce(&iv, 0)).into(),
                Payload {
                    msg: &[&[2u8, 116][..], &[21], &[0, 0]].concat(),
                    aad: &header,
                },
            )
            .expect("seal");
        let _ = inner;
        let p = dec.open(&header, &sealed).expect("opens");
        assert_eq!(p.content_type, 21);
        assert_eq!(p.data, vec![2, 116]);
        // The same bytes again fail: the sequence number moved on.
        assert_eq!(dec.open(&header, &sealed), Err(DecryptError::BadRecordMac));
        assert!(dec.key_update().is_some());
        assert!(RecordDecryptor::tls13(0x1304, &secret).is_none());
    }

    /// RFC 8448 §3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256): values
    /// from tests/data/rfc8448-simple-1rtt.txt.
    fn rfc8448(name: &str) -> Vec<u8> {
        let text = include_str!("../../tests/data/rfc8448-simple-1rtt.txt");
        let value = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{name} missing from the RFC 8448 data"));
        hex::decode(value).expect("hex")
    }

    fn split_record(rec: &[u8]) -> ([u8; 5], &[u8]) {
        let (h, body) = rec.split_at(5);
        (h.try_into().expect("header"), body)
    }

    #[test]
    fn rfc8448_key_schedule_gives_the_published_keys_and_ivs() {
        for (secret, key, iv) in [
            (
                "server_handshake_traffic_secret",
                "server_handshake_key",
                "server_handshake_iv",
            ),
            (
                "client_handshake_traffic_secret",
                "client_handshake_key",
                "client_handshake_iv",
            ),
            (
                "server_application_traffic_secret_0",
                "server_application_key",
                "server_application_iv",
            ),
            (
                "client_application_traffic_secret_0",
                "client_application_key",
                "client_application_iv",
            ),
        ] {
            let s = rfc8448(secret);
            assert_eq!(
                hkdf_expand_label(HashAlg::Sha256, &s, "key", 16),
                Some(rfc8448(key)),
                "{key}"
            );
            assert_eq!(
                hkdf_expand_label(HashAlg::Sha256, &s, "iv", 12),
                Some(rfc8448(iv)),
                "{iv}"
            );
        }
    }

    #[test]
    fn rfc8448_records_decrypt_to_the_published_plaintext() {
        let suite = 0x1301;
        let open_all = |secret: &str, records: &[(&str, &str, u8)]| {
            let mut d = RecordDecryptor::tls13(suite, &rfc8448(secret)).expect("keys");
            for (record, plaintext, ct) in records {
                let rec = rfc8448(record);
                let (h, body) = split_record(&rec);
                let p = d.open(&h, body).expect(record);
                assert_eq!(p.content_type, *ct, "{record}");
                assert_eq!(p.data, rfc8448(plaintext), "{record}");
            }
        };
        open_all(
            "server_handshake_traffic_secret",
            &[("server_handshake_record", "server_handshake_plaintext", 22)],
        );
        open_all(
            "client_handshake_traffic_secret",
            &[("client_finished_record", "client_finished_plaintext", 22)],
        );
        // NewSessionTicket is record 0 under the server's application key, its data record 1.
        open_all(
            "server_application_traffic_secret_0",
            &[
                (
                    "server_new_session_ticket_record",
                    "server_new_session_ticket_plaintext",
                    22,
                ),
                (
                    "server_application_data_record",
                    "server_application_data_plaintext",
                    23,
                ),
            ],
        );
        open_all(
            "client_application_traffic_secret_0",
            &[(
                "client_application_data_record",
                "client_application_data_plaintext",
                23,
            )],
        );
        // The wrong direction's key does not open a record.
        let mut d = RecordDecryptor::tls13(suite, &rfc8448("client_handshake_traffic_secret"))
            .expect("keys");
        let rec = rfc8448("server_handshake_record");
        let (h, body) = split_record(&rec);
        assert_eq!(d.open(&h, body), Err(DecryptError::BadRecordMac));
    }

    #[test]
    fn hostile_records_are_errors() {
        let mut dec = RecordDecryptor::tls13(0x1303, &[1u8; 32]).expect("keys");
        assert_eq!(
            dec.open(&[23, 3, 3, 0, 3], &[1, 2, 3]),
            Err(DecryptError::TooShort)
        );
        assert_eq!(
            dec.open(&[23, 3, 3, 0, 40], &[0u8; 40]),
            Err(DecryptError::BadRecordMac)
        );
        let keys = Tls12Keys::derive(
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            &[5u8; 48],
            &[1; 32],
            &[2; 32],
            false,
        )
        .expect("derive");
        let mut c = keys.client;
        for len in [0usize, 15, 16, 17, 31, 32, 48, 64] {
            assert!(c.open(&[22, 3, 3, 0, len as u8], &vec![0u8; len]).is_err());
        }
        assert!(
            Tls12Keys::derive(
                "TLS_RSA_WITH_RC4_128_SHA",
                &[5; 48],
                &[1; 32],
                &[2; 32],
                false
            )
            .is_none()
        );
    }
}
