//! IANA registries as open tables: a number is always kept, a name is added
//! when known. Unknown values are data, never decode errors.
//!
//! Cipher-suite names come from tls-parser's IANA table; the smaller
//! registries (extensions, groups, signature schemes, alerts, handshake types,
//! versions) are listed here.

use serde::Serialize;

/// A 16-bit registry value with its IANA name (null when unknown) and GREASE flag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IanaValue {
    pub id: u16,
    pub name: Option<&'static str>,
    /// RFC 8701 GREASE value (`0x?a?a`).
    pub grease: bool,
}

/// Which registry a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    CipherSuite,
    Extension,
    NamedGroup,
    SignatureScheme,
    Version,
}

impl IanaValue {
    /// Looks `id` up in `reg`.
    pub fn new(reg: Registry, id: u16) -> Self {
        let name = match reg {
            Registry::CipherSuite => cipher_suite_name(id),
            Registry::Extension => extension_name(id),
            Registry::NamedGroup => group_name(id),
            Registry::SignatureScheme => signature_scheme_name(id),
            Registry::Version => version_name(id),
        };
        IanaValue {
            id,
            name,
            grease: is_grease(id),
        }
    }
}

/// RFC 8701: both bytes equal and of the form `0x?a`.
pub fn is_grease(id: u16) -> bool {
    id & 0x0f0f == 0x0a0a && (id >> 8) == (id & 0xff)
}

/// IANA cipher-suite name (tls-parser's table, plus the two signalling values).
pub fn cipher_suite_name(id: u16) -> Option<&'static str> {
    match id {
        0x00ff => Some("TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
        0x5600 => Some("TLS_FALLBACK_SCSV"),
        _ if is_grease(id) => Some("GREASE"),
        _ => suite(id).map(|c| c.name),
    }
}

/// tls-parser's description of a cipher suite. Its own lookup hashes with
/// SipHash-1-3 (a ClientHello offers dozens of suites); this table is built
/// from the same map once and hashed with foldhash.
fn suite(id: u16) -> Option<&'static tls_parser::TlsCipherSuite> {
    type Table = std::collections::HashMap<
        u16,
        &'static tls_parser::TlsCipherSuite,
        foldhash::fast::FixedState,
    >;
    static TABLE: std::sync::LazyLock<Table> = std::sync::LazyLock::new(|| {
        tls_parser::CIPHERS
            .entries()
            .map(|(id, suite)| (*id, suite))
            .collect()
    });
    TABLE.get(&id).copied()
}

/// Key exchange family of a suite, as far as ServerKeyExchange parsing needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KxFamily {
    Ecdhe,
    Dhe,
    Other,
    Unknown,
}

/// The key exchange family of a cipher suite.
pub fn kx_family(id: u16) -> KxFamily {
    use tls_parser::TlsCipherKx as K;
    match suite(id).map(|c| c.kx) {
        Some(K::Ecdhe | K::Aecdh) => KxFamily::Ecdhe,
        Some(K::Dhe | K::Dh) => KxFamily::Dhe,
        Some(_) => KxFamily::Other,
        None => KxFamily::Unknown,
    }
}

/// Extension type names (IANA "TLS ExtensionType Values").
pub fn extension_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0 => "server_name",
        1 => "max_fragment_length",
        2 => "client_certificate_url",
        3 => "trusted_ca_keys",
        4 => "truncated_hmac",
        5 => "status_request",
        6 => "user_mapping",
        7 => "client_authz",
        8 => "server_authz",
        9 => "cert_type",
        10 => "supported_groups",
        11 => "ec_point_formats",
        12 => "srp",
        13 => "signature_algorithms",
        14 => "use_srtp",
        15 => "heartbeat",
        16 => "application_layer_protocol_negotiation",
        17 => "status_request_v2",
        18 => "signed_certificate_timestamp",
        19 => "client_certificate_type",
        20 => "server_certificate_type",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        24 => "token_binding",
        25 => "cached_info",
        27 => "compress_certificate",
        28 => "record_size_limit",
        34 => "delegated_credential",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        47 => "certificate_authorities",
        48 => "oid_filters",
        49 => "post_handshake_auth",
        50 => "signature_algorithms_cert",
        51 => "key_share",
        57 => "quic_transport_parameters",
        0x3374 => "next_protocol_negotiation",
        0x4469 | 0x44cd => "application_settings",
        0xfe0d => "encrypted_client_hello",
        0xff01 => "renegotiation_info",
        _ if is_grease(id) => "GREASE",
        _ => return None,
    })
}

/// Named group names (IANA "TLS Supported Groups").
pub fn group_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1..=22 => [
            "sect163k1",
            "sect163r1",
            "sect163r2",
            "sect193r1",
            "sect193r2",
            "sect233k1",
            "sect233r1",
            "sect239k1",
            "sect283k1",
            "sect283r1",
            "sect409k1",
            "sect409r1",
            "sect571k1",
            "sect571r1",
            "secp160k1",
            "secp160r1",
            "secp160r2",
            "secp192k1",
            "secp192r1",
            "secp224k1",
            "secp224r1",
            "secp256k1",
        ]
        .get(usize::from(id) - 1)
        .copied()?,
        23 => "secp256r1",
        24 => "secp384r1",
        25 => "secp521r1",
        26 => "brainpoolP256r1",
        27 => "brainpoolP384r1",
        28 => "brainpoolP512r1",
        29 => "x25519",
        30 => "x448",
        31 => "brainpoolP256r1tls13",
        32 => "brainpoolP384r1tls13",
        33 => "brainpoolP512r1tls13",
        34 => "GC256A",
        256 => "ffdhe2048",
        257 => "ffdhe3072",
        258 => "ffdhe4096",
        259 => "ffdhe6144",
        260 => "ffdhe8192",
        512 => "MLKEM512",
        513 => "MLKEM768",
        514 => "MLKEM1024",
        0x11eb => "SecP256r1MLKEM768",
        0x11ec => "X25519MLKEM768",
        0x11ed => "SecP384r1MLKEM1024",
        0x6399 => "X25519Kyber768Draft00",
        0xff01 => "arbitrary_explicit_prime_curves",
        0xff02 => "arbitrary_explicit_char2_curves",
        _ if is_grease(id) => "GREASE",
        _ => return None,
    })
}

/// Signature scheme names (RFC 8446 registry, plus TLS 1.2 hash/signature pairs).
pub fn signature_scheme_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0201 => "rsa_pkcs1_sha1",
        0x0202 => "dsa_sha1",
        0x0203 => "ecdsa_sha1",
        0x0301 => "rsa_pkcs1_sha224",
        0x0302 => "dsa_sha224",
        0x0303 => "ecdsa_sha224",
        0x0401 => "rsa_pkcs1_sha256",
        0x0402 => "dsa_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0420 => "rsa_pkcs1_sha256_legacy",
        0x0501 => "rsa_pkcs1_sha384",
        0x0502 => "dsa_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0520 => "rsa_pkcs1_sha384_legacy",
        0x0601 => "rsa_pkcs1_sha512",
        0x0602 => "dsa_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0620 => "rsa_pkcs1_sha512_legacy",
        0x0101 => "rsa_pkcs1_md5",
        0x0102 => "dsa_md5",
        0x0103 => "ecdsa_md5",
        0x0704 => "eccsi_sha256",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ if is_grease(id) => "GREASE",
        _ => return None,
    })
}

/// Protocol version names as people write them (`TLS 1.2`, drafts as `TLS 1.3 draft NN`).
pub fn version_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0002 => "SSL 2.0",
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        0x7f0e => "TLS 1.3 draft 14",
        0x7f0f => "TLS 1.3 draft 15",
        0x7f10 => "TLS 1.3 draft 16",
        0x7f11 => "TLS 1.3 draft 17",
        0x7f12 => "TLS 1.3 draft 18",
        0x7f13 => "TLS 1.3 draft 19",
        0x7f14 => "TLS 1.3 draft 20",
        0x7f15 => "TLS 1.3 draft 21",
        0x7f16 => "TLS 1.3 draft 22",
        0x7f17 => "TLS 1.3 draft 23",
        0x7f18 => "TLS 1.3 draft 24",
        0x7f19 => "TLS 1.3 draft 25",
        0x7f1a => "TLS 1.3 draft 26",
        0x7f1b => "TLS 1.3 draft 27",
        0x7f1c => "TLS 1.3 draft 28",
        0xfeff => "DTLS 1.0",
        0xfefd => "DTLS 1.2",
        0xfefc => "DTLS 1.3",
        _ if is_grease(id) => "GREASE",
        _ if id >> 8 == 0x7f => "TLS 1.3 draft",
        _ if id >> 8 == 0xfb => "TLS 1.3 draft (Facebook)",
        _ => return None,
    })
}

/// True for TLS 1.3 and its drafts (the record layer is encrypted after ServerHello).
pub fn is_tls13(version: u16) -> bool {
    version == 0x0304 || version >> 8 == 0x7f || version >> 8 == 0xfb
}

/// Handshake message type names (IANA "TLS HandshakeType").
pub fn handshake_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "hello_request",
        1 => "client_hello",
        2 => "server_hello",
        3 => "hello_verify_request",
        4 => "new_session_ticket",
        5 => "end_of_early_data",
        6 => "hello_retry_request",
        8 => "encrypted_extensions",
        11 => "certificate",
        12 => "server_key_exchange",
        13 => "certificate_request",
        14 => "server_hello_done",
        15 => "certificate_verify",
        16 => "client_key_exchange",
        20 => "finished",
        21 => "certificate_url",
        22 => "certificate_status",
        23 => "supplemental_data",
        24 => "key_update",
        25 => "compressed_certificate",
        254 => "message_hash",
        _ => return None,
    })
}

/// Record content type names.
pub fn content_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        24 => "heartbeat",
        25 => "tls12_cid",
        26 => "ack",
        _ => return None,
    })
}

/// Alert description names (RFC 8446 / RFC 5246 registry).
pub fn alert_description_name(d: u8) -> Option<&'static str> {
    Some(match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        111 => "certificate_unobtainable",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        114 => "bad_certificate_hash_value",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        121 => "ech_required",
        _ => return None,
    })
}

/// Alert level names.
pub fn alert_level_name(l: u8) -> &'static str {
    match l {
        1 => "warning",
        2 => "fatal",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_table_agrees_with_tls_parser_for_every_id() {
        for id in 0..=u16::MAX {
            let ours = suite(id).map(|s| (s.id, s.name));
            let theirs = tls_parser::TlsCipherSuite::from_id(id).map(|s| (s.id, s.name));
            assert_eq!(ours, theirs, "{id:#06x}");
        }
        assert_eq!(
            cipher_suite_name(0xc02f),
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
    }

    #[test]
    fn grease_detection() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    #[test]
    fn names() {
        assert_eq!(cipher_suite_name(0x1301), Some("TLS_AES_128_GCM_SHA256"));
        assert_eq!(cipher_suite_name(0x5600), Some("TLS_FALLBACK_SCSV"));
        assert_eq!(group_name(1), Some("sect163k1"));
        assert_eq!(group_name(22), Some("secp256k1"));
        assert_eq!(group_name(0), None);
        assert_eq!(alert_description_name(116), Some("certificate_required"));
        assert_eq!(version_name(0x7f12), Some("TLS 1.3 draft 18"));
        assert!(is_tls13(0x7f1c) && !is_tls13(0x0303));
        assert_eq!(kx_family(0xc02f), KxFamily::Ecdhe);
    }
}
