//! The per-connection result of TLS decoding: plain, serialisable data that
//! the model stage combines with the TCP summary.
//!
//! Directions are TCP's orientation (`to_server` = from the TCP client); when
//! the ClientHello came the other way, `roles_swapped` says so and the model
//! swaps.

use super::enums::IanaValue;
use super::handshake::HandshakeMsg;
use crate::types::{Dir, FrameNo, Timestamp};
use serde::Serialize;

/// Everything decoded from one connection's two byte streams.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TlsSession {
    /// The ClientHello was sent in TCP's `to_client` direction.
    pub roles_swapped: bool,
    /// Version selected by the (last) ServerHello: supported_versions, else legacy.
    pub negotiated_version: Option<IanaValue>,
    /// Cipher suite selected by the (last) ServerHello.
    pub negotiated_cipher_suite: Option<IanaValue>,
    /// Plaintext handshake messages in the order they completed (capture order).
    pub messages: Vec<HandshakeEvent>,
    pub alerts: Vec<AlertEvent>,
    pub ccs: Vec<CcsEvent>,
    pub records_to_server: RecordStats,
    pub records_to_client: RecordStats,
    /// Encrypted records (first N per direction), in capture order.
    pub encrypted_records: Vec<EncryptedRecord>,
    /// Directions whose bytes were not TLS and never turned into TLS.
    pub not_tls: Vec<NotTls>,
    /// Plaintext protocol exchange before TLS started (STARTTLS and friends).
    pub prelude: Option<Prelude>,
    pub malformed: Vec<Malformed>,
    /// Gaps in the TCP stream that hit a direction before its handshake was over.
    pub gaps_in_handshake: Vec<HandshakeGap>,
    /// Limits that were reached; something was not inspected (never silent).
    pub limits_hit: Vec<String>,
    /// Record-layer versions seen, per direction.
    pub record_versions: Vec<RecordVersion>,
    /// What decryption did; `None` when no keys were given at all.
    pub decryption: Option<Decryption>,
}

/// Decryption of one connection with the key log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decryption {
    /// The key log has secrets for this connection's ClientHello random.
    pub key_found: bool,
    /// Key-log labels present for it.
    pub secrets: Vec<String>,
    /// TLS 1.3 key schedule in use.
    pub tls13: bool,
    pub records_decrypted: u64,
    /// Records that did not authenticate (decryption of that direction ended there).
    pub failures: Vec<DecryptFailure>,
    /// Why something could not be decrypted although a key was found.
    pub note: Option<String>,
}

/// A record that the key in force did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecryptFailure {
    pub dir: Dir,
    pub frame: FrameNo,
    /// Records of this direction decrypted before (0: the key never worked).
    pub records_before: u64,
    pub message: String,
}

impl TlsSession {
    /// The record statistics of one direction.
    pub fn records(&self, dir: Dir) -> &RecordStats {
        match dir {
            Dir::ToServer => &self.records_to_server,
            Dir::ToClient => &self.records_to_client,
        }
    }
}

/// One handshake message with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandshakeEvent {
    pub dir: Dir,
    /// Frame holding the message's first byte.
    pub frame_first: FrameNo,
    /// Frame that completed the record holding the message's last byte (where
    /// Wireshark shows the message).
    pub frame_last: FrameNo,
    /// Timestamp of `frame_last` (when the message was complete).
    pub ts: Timestamp,
    pub msg_type: u8,
    /// IANA name of `msg_type` (a HelloRetryRequest is type 2, `server_hello`).
    pub msg_type_name: Option<String>,
    /// Body length from the handshake header.
    pub length: u32,
    /// False: read from plaintext records (true only for a later decryption layer).
    pub decrypted: bool,
    pub body: HandshakeMsg,
}

/// An alert record (plaintext or encrypted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    pub dir: Dir,
    pub frame: FrameNo,
    pub ts: Timestamp,
    /// Sent after encryption started; level/description are then unknown.
    pub encrypted: bool,
    pub level: Option<u8>,
    /// "warning", "fatal" or "unknown".
    pub level_name: Option<String>,
    pub description: Option<u8>,
    pub description_name: Option<&'static str>,
    /// Record payload length.
    pub len: usize,
    /// Read through decryption (level and description then known).
    pub decrypted: bool,
}

/// A ChangeCipherSpec record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CcsEvent {
    pub dir: Dir,
    pub frame: FrameNo,
    pub ts: Timestamp,
}

/// An encrypted record: counted, not decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptedRecord {
    pub dir: Dir,
    /// Frame holding the record header.
    pub frame: FrameNo,
    /// Frame holding the record's last byte (None if the stream ended first).
    pub frame_last: Option<FrameNo>,
    pub ts: Timestamp,
    /// Outer content type (23 for every TLS 1.3 record).
    pub content_type: u8,
    /// Record payload length from the header.
    pub len: usize,
    /// Inner content type when the record was decrypted.
    pub decrypted_type: Option<u8>,
}

/// Record counts of one direction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordStats {
    pub records: u64,
    pub handshake_records: u64,
    pub handshake_bytes: u64,
    /// Handshake-type records after encryption started (TLS 1.2 Finished…).
    pub encrypted_handshake_records: u64,
    pub alert_records: u64,
    pub ccs_records: u64,
    pub app_data_records: u64,
    pub app_data_bytes: u64,
    pub heartbeat_records: u64,
    pub other_records: u64,
    pub first_record_frame: Option<FrameNo>,
    pub first_app_data_frame: Option<FrameNo>,
    /// Frame of the first record treated as encrypted in this direction.
    pub encryption_started_frame: Option<FrameNo>,
    /// Records after this frame were not inspected (handshake over, limit, or framing error).
    pub inspection_stopped_frame: Option<FrameNo>,
}

/// A record-layer version seen in one direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordVersion {
    pub dir: Dir,
    pub version: IanaValue,
    pub first_frame: FrameNo,
    pub count: u64,
}

/// A direction that carried something other than TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotTls {
    pub dir: Dir,
    /// "http_request", "http_response", "ssh_banner", a prelude protocol name
    /// ("smtp", …), "text" or "unknown_binary".
    pub kind: String,
    /// First ≤ 64 bytes, printable ASCII with other bytes as `\xNN`.
    pub preview: String,
    pub frame: FrameNo,
    /// Bytes seen in this direction before inspection stopped.
    pub bytes: u64,
    /// The scan for a later TLS start gave up at `TlsLimits::max_prelude_bytes`.
    pub scan_limit_reached: bool,
}

/// Plaintext exchanged before TLS began (an opportunistic-TLS upgrade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prelude {
    /// "smtp", "imap", "pop3", "ftp", "xmpp", "ldap", "postgresql", "mysql",
    /// "irc", "rdp", "http_connect" or "unknown".
    pub protocol: String,
    pub to_server_bytes: u64,
    pub to_client_bytes: u64,
    /// Frames that carried prelude bytes (first 64).
    pub frames: Vec<FrameNo>,
    /// Frame of the first TLS record after the prelude, per direction.
    pub tls_start_to_server: Option<FrameNo>,
    pub tls_start_to_client: Option<FrameNo>,
    pub preview_to_server: String,
    pub preview_to_client: String,
}

/// A decode error, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    pub dir: Dir,
    pub frame: FrameNo,
    /// Stream offset of the record or message concerned.
    pub offset: u64,
    pub message: String,
}

/// A TCP gap that fell inside a direction's handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HandshakeGap {
    pub dir: Dir,
    pub offset: u64,
    pub len: u64,
}

/// Bounds on what one connection may make the decoder hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsLimits {
    /// Plaintext handshake bytes decoded per direction.
    pub max_handshake_bytes: usize,
    /// Records inspected per direction.
    pub max_records: u64,
    /// Encrypted records listed per direction; after that the direction is counted only.
    pub max_encrypted_records: usize,
    /// Alerts kept per connection.
    pub max_alerts: usize,
    /// Certificates kept per chain.
    pub max_certificates: usize,
    /// Handshake messages kept per connection.
    pub max_messages: usize,
    /// Plaintext bytes scanned for a TLS start per direction.
    pub max_prelude_bytes: usize,
    /// Malformed entries kept per connection.
    pub max_malformed: usize,
}

impl Default for TlsLimits {
    fn default() -> Self {
        TlsLimits {
            max_handshake_bytes: 256 * 1024,
            max_records: 10_000,
            max_encrypted_records: 32,
            max_alerts: 64,
            max_certificates: 100,
            max_messages: 512,
            max_prelude_bytes: 16 * 1024,
            max_malformed: 64,
        }
    }
}

/// Serde helper: bytes as standard base64 (with padding).
pub mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// Encodes bytes.
    pub fn encode(data: &[u8]) -> String {
        let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
        for chunk in data.chunks(3) {
            let b = [chunk.first(), chunk.get(1), chunk.get(2)].map(|x| x.copied().unwrap_or(0));
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    let idx = ((n >> (18 - 6 * i)) & 63) as usize;
                    out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Decodes base64; None on a bad character or length.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let s = s.trim_end_matches('=');
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let mut acc = 0u32;
        let mut bits = 0;
        for c in s.bytes() {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        (bits < 6).then_some(out)
    }

    /// Serde serialize.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    /// Serde deserialize.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        decode(&s).ok_or_else(|| serde::de::Error::custom("invalid base64"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trip() {
            assert_eq!(encode(b"Man"), "TWFu");
            assert_eq!(encode(b"Ma"), "TWE=");
            assert_eq!(encode(b"M"), "TQ==");
            for n in 0..20u8 {
                let v: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
                assert_eq!(decode(&encode(&v)), Some(v));
            }
            assert_eq!(decode("T!=="), None);
        }
    }
}
