//! Handshake message bodies, named after the RFCs, decoded with the bounded
//! [`Reader`]. Version-dependent layouts (Certificate, CertificateRequest,
//! ServerKeyExchange) are chosen from the negotiated version, because
//! tls-parser silently mis-decodes the TLS 1.3 forms.

use super::enums::{self, IanaValue, KxFamily, Registry};
use super::extensions::{self as ext, DistinguishedName, ExtensionInfo, RawExt, hex};
use super::reader::{DResult, DecodeError, Reader};
use serde::Serialize;

/// SHA-256("HelloRetryRequest"), the random of a TLS 1.3 HelloRetryRequest.
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What decoding a message depends on: what the ServerHello negotiated.
#[derive(Debug, Clone, Copy, Default)]
pub struct HsContext {
    /// Negotiated version (supported_versions if present, else legacy).
    pub version: Option<u16>,
    /// Negotiated cipher suite.
    pub cipher_suite: Option<u16>,
}

impl HsContext {
    fn tls13(&self) -> bool {
        self.version.is_some_and(enums::is_tls13)
    }
}

/// A decoded handshake message body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HandshakeMsg {
    HelloRequest,
    ClientHello(Box<ClientHello>),
    ServerHello(ServerHello),
    /// A ServerHello carrying the RFC 8446 HelloRetryRequest random (or the
    /// draft type-6 message).
    HelloRetryRequest(ServerHello),
    NewSessionTicket(NewSessionTicket),
    EndOfEarlyData,
    EncryptedExtensions(EncryptedExtensions),
    Certificate(Certificate),
    ServerKeyExchange(ServerKeyExchange),
    CertificateRequest(CertificateRequest),
    ServerHelloDone,
    CertificateVerify(CertificateVerify),
    ClientKeyExchange {
        length: usize,
    },
    Finished {
        length: usize,
    },
    CertificateStatus(CertificateStatus),
    KeyUpdate {
        request_update: u8,
    },
    /// A message type this decoder does not interpret; its number is in the event.
    Unknown {
        length: usize,
    },
    /// The body did not match its grammar; the error is also in `TlsSession::malformed`.
    Malformed {
        error: String,
    },
}

/// ClientHello (RFC 8446 §4.1.2), or an SSLv2-compatible CLIENT-HELLO.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClientHello {
    /// Sent in the SSLv2 2-byte-header format; `random` is then the challenge.
    pub sslv2_format: bool,
    pub legacy_version: IanaValue,
    /// Hex.
    pub random: String,
    /// Hex.
    pub session_id: String,
    pub cipher_suites: Vec<IanaValue>,
    /// SSLv2 cipher specs whose first byte was non-zero (pure SSLv2 kinds), dropped from `cipher_suites`.
    pub sslv2_only_cipher_specs: usize,
    /// TLS_FALLBACK_SCSV (0x5600) offered.
    pub fallback_scsv: bool,
    /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00ff) offered.
    pub renegotiation_scsv: bool,
    pub compression_methods: Vec<u8>,
    /// In wire order, unknown ones kept by number.
    pub extensions: Vec<ExtensionInfo>,
    pub server_name: Option<String>,
    /// Hex of the host name when it is not valid UTF-8 (`server_name` is then lossy).
    pub server_name_raw_hex: Option<String>,
    pub supported_versions: Vec<IanaValue>,
    pub supported_groups: Vec<IanaValue>,
    pub key_share_groups: Vec<IanaValue>,
    pub signature_algorithms: Vec<IanaValue>,
    pub signature_algorithms_cert: Vec<IanaValue>,
    pub alpn: Vec<String>,
    pub ec_point_formats: Vec<u8>,
    pub status_request: bool,
    pub psk_key_exchange_modes: Vec<u8>,
    /// Number of PSK identities offered (pre_shared_key present).
    pub pre_shared_key_identities: Option<usize>,
    pub early_data: bool,
    pub renegotiation_info: bool,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    /// session_ticket extension present: its length (0 = asking for a new ticket).
    pub session_ticket_len: Option<usize>,
    pub certificate_authorities: Vec<DistinguishedName>,
    pub post_handshake_auth: bool,
    /// encrypted_client_hello (0xfe0d) present.
    pub ech: bool,
    /// padding extension length.
    pub padding_len: Option<usize>,
}

/// ServerHello (RFC 8446 §4.1.3) — also used for HelloRetryRequest.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerHello {
    pub legacy_version: IanaValue,
    /// The version in force: supported_versions if present, else legacy_version.
    pub selected_version: IanaValue,
    /// The supported_versions extension value, if sent.
    pub supported_versions_ext: Option<u16>,
    /// Hex.
    pub random: String,
    /// Hex.
    pub session_id: String,
    pub cipher_suite: IanaValue,
    pub compression_method: u8,
    pub extensions: Vec<ExtensionInfo>,
    /// key_share group (the HRR's requested group for a HelloRetryRequest).
    pub key_share_group: Option<IanaValue>,
    pub alpn: Option<String>,
    /// RFC 8446 §4.1.3 downgrade sentinel in the random: "tls12" or "tls11".
    pub downgrade_sentinel: Option<String>,
    pub renegotiation_info: bool,
    pub extended_master_secret: bool,
    pub encrypt_then_mac: bool,
    pub session_ticket: bool,
    pub status_request: bool,
    /// Index of the selected PSK identity.
    pub pre_shared_key_selected: Option<u16>,
    /// HRR cookie present.
    pub cookie: bool,
    pub ec_point_formats: Vec<u8>,
}

/// One certificate of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertEntry {
    /// The DER bytes; serialised as base64 under `der_b64`.
    #[serde(rename = "der_b64", with = "super::session::b64")]
    pub der: Vec<u8>,
    /// TLS 1.3 per-entry extensions (status_request, SCT…); empty in TLS 1.2.
    pub extensions: Vec<ExtensionInfo>,
}

/// Certificate (TLS 1.2 list of DER, or TLS 1.3 context + entries).
///
/// An empty `certificates` with `malformed: None` is a real empty chain
/// (e.g. a client declining to authenticate), distinct from a missing message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub tls13_format: bool,
    /// TLS 1.3 certificate_request_context, hex.
    pub context: Option<String>,
    /// Certificates decoded before any error, in order sent.
    pub certificates: Vec<CertEntry>,
    /// Certificates beyond the per-chain limit, counted but not kept.
    pub certificates_dropped: usize,
    pub malformed: Option<String>,
}

/// CertificateStatus (stapled OCSP, RFC 6066 §8).
///
/// Only the status type and length are recorded; the OCSP response itself is
/// not parsed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateStatus {
    /// 1 = ocsp, 2 = ocsp_multi.
    pub status_type: u8,
    pub response_len: usize,
    /// The DER OCSPResponse, base64 (for a later stage to parse); empty for ocsp_multi.
    #[serde(rename = "response_b64", with = "super::session::b64")]
    pub response: Vec<u8>,
}

/// CertificateRequest (TLS 1.2 §7.4.4 or TLS 1.3 §4.3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    pub tls13_format: bool,
    /// TLS 1.3 certificate_request_context, hex.
    pub context: Option<String>,
    /// TLS 1.2 ClientCertificateType values (1 rsa_sign, 64 ecdsa_sign, …).
    pub certificate_types: Vec<u8>,
    pub signature_algorithms: Vec<IanaValue>,
    pub signature_algorithms_cert: Vec<IanaValue>,
    /// Acceptable CA names (empty list = any CA).
    pub certificate_authorities: Vec<DistinguishedName>,
    /// TLS 1.3 extensions in wire order.
    pub extensions: Vec<ExtensionInfo>,
}

/// ServerKeyExchange (TLS ≤ 1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerKeyExchange {
    pub length: usize,
    /// "ecdhe", "dhe" or "unknown" (from the negotiated suite).
    pub kx: String,
    pub named_group: Option<IanaValue>,
    /// DHE prime size in bits.
    pub dh_p_bits: Option<usize>,
    /// TLS 1.2 signature algorithm.
    pub signature_algorithm: Option<IanaValue>,
    pub signature_len: Option<usize>,
    /// Why the parameters could not be decoded (the length is still kept).
    pub malformed: Option<String>,
}

/// CertificateVerify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateVerify {
    /// None before TLS 1.2 (no algorithm field).
    pub signature_algorithm: Option<IanaValue>,
    pub signature_len: usize,
}

/// NewSessionTicket (RFC 5077 or RFC 8446 §4.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewSessionTicket {
    pub lifetime_secs: u32,
    pub ticket_len: usize,
    /// TLS 1.3 extensions (early_data…).
    pub extensions: Vec<ExtensionInfo>,
}

/// EncryptedExtensions (TLS 1.3, after decryption).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EncryptedExtensions {
    pub extensions: Vec<ExtensionInfo>,
    pub alpn: Option<String>,
    /// Server acknowledged SNI (empty server_name extension).
    pub server_name_ack: bool,
    pub early_data: bool,
    pub supported_groups: Vec<IanaValue>,
}

/// Decodes one handshake message body. Never panics; a grammar violation
/// yields [`HandshakeMsg::Malformed`] (or a `malformed` field where a partial
/// result is useful, as in Certificate).
pub fn decode(msg_type: u8, body: &[u8], ctx: &HsContext) -> HandshakeMsg {
    let r = match msg_type {
        0 => empty(body, HandshakeMsg::HelloRequest),
        1 => client_hello(body).map(|ch| HandshakeMsg::ClientHello(Box::new(ch))),
        2 => server_hello(body).map(|sh| {
            static HRR_RANDOM_HEX: std::sync::LazyLock<String> =
                std::sync::LazyLock::new(|| hex(&HRR_RANDOM));
            if sh.random == *HRR_RANDOM_HEX {
                HandshakeMsg::HelloRetryRequest(sh)
            } else {
                HandshakeMsg::ServerHello(sh)
            }
        }),
        4 => new_session_ticket(body, ctx).map(HandshakeMsg::NewSessionTicket),
        5 => empty(body, HandshakeMsg::EndOfEarlyData),
        6 => draft_hrr(body).map(HandshakeMsg::HelloRetryRequest),
        8 => encrypted_extensions(body).map(HandshakeMsg::EncryptedExtensions),
        11 => Ok(HandshakeMsg::Certificate(certificate(
            body,
            ctx.tls13(),
            usize::MAX,
        ))),
        12 => Ok(HandshakeMsg::ServerKeyExchange(server_key_exchange(
            body, ctx,
        ))),
        13 => certificate_request(body, ctx.tls13()).map(HandshakeMsg::CertificateRequest),
        14 => empty(body, HandshakeMsg::ServerHelloDone),
        15 => certificate_verify(body, ctx).map(HandshakeMsg::CertificateVerify),
        16 => Ok(HandshakeMsg::ClientKeyExchange { length: body.len() }),
        20 => Ok(HandshakeMsg::Finished { length: body.len() }),
        22 => certificate_status(body).map(HandshakeMsg::CertificateStatus),
        24 => key_update(body),
        _ => Ok(HandshakeMsg::Unknown { length: body.len() }),
    };
    r.unwrap_or_else(|e| HandshakeMsg::Malformed {
        error: e.to_string(),
    })
}

fn empty(body: &[u8], msg: HandshakeMsg) -> DResult<HandshakeMsg> {
    Reader::new(body).expect_end("empty message")?;
    Ok(msg)
}

fn key_update(body: &[u8]) -> DResult<HandshakeMsg> {
    let mut r = Reader::new(body);
    let request_update = r.u8("request_update")?;
    r.expect_end("key_update")?;
    Ok(HandshakeMsg::KeyUpdate { request_update })
}

fn version(v: u16) -> IanaValue {
    IanaValue::new(Registry::Version, v)
}

/// Decodes a TLS ClientHello body.
pub fn client_hello(body: &[u8]) -> DResult<ClientHello> {
    let mut r = Reader::new(body);
    let mut ch = ClientHello {
        legacy_version: version(r.u16("legacy_version")?),
        random: hex(r.take(32, "random")?),
        session_id: hex(r.vec8("session_id")?.rest()),
        ..ClientHello::default()
    };
    let suites = r.vec16("cipher_suites")?.u16_list("cipher_suites")?;
    set_suites(&mut ch, suites);
    ch.compression_methods = r.vec8("compression_methods")?.rest().to_vec();
    if !r.is_empty() {
        let mut block = r.vec16("extensions")?;
        r.expect_end("client_hello")?;
        let raw = ext::split_extensions(&mut block)?;
        let mut errors = Vec::new();
        for (i, e) in raw.iter().enumerate() {
            if let Err(err) = client_ext(&mut ch, e) {
                errors.push((i, err.to_string()));
            }
        }
        ch.extensions = ext::infos(&raw, &errors);
    }
    Ok(ch)
}

fn set_suites(ch: &mut ClientHello, suites: Vec<u16>) {
    ch.fallback_scsv = suites.contains(&0x5600);
    ch.renegotiation_scsv = suites.contains(&0x00ff);
    ch.cipher_suites = suites
        .into_iter()
        .map(|s| IanaValue::new(Registry::CipherSuite, s))
        .collect();
}

fn client_ext(ch: &mut ClientHello, e: &RawExt<'_>) -> DResult<()> {
    let b = e.body;
    match e.id {
        0 => (ch.server_name, ch.server_name_raw_hex) = ext::server_name(b)?,
        5 => ch.status_request = true,
        10 => ch.supported_groups = ext::u16_values(b, Registry::NamedGroup, "supported_groups")?,
        11 => ch.ec_point_formats = ext::u8_list(b, "ec_point_formats")?,
        13 => {
            ch.signature_algorithms =
                ext::u16_values(b, Registry::SignatureScheme, "signature_algorithms")?
        }
        16 => ch.alpn = ext::alpn(b)?,
        21 => ch.padding_len = Some(b.len()),
        22 => ch.encrypt_then_mac = true,
        23 => ch.extended_master_secret = true,
        35 => ch.session_ticket_len = Some(b.len()),
        41 => ch.pre_shared_key_identities = Some(ext::psk_identities(b)?),
        42 => ch.early_data = true,
        43 => ch.supported_versions = ext::client_versions(b)?,
        45 => ch.psk_key_exchange_modes = ext::u8_list(b, "psk_key_exchange_modes")?,
        47 => ch.certificate_authorities = ext::certificate_authorities(b)?,
        49 => ch.post_handshake_auth = true,
        50 => {
            ch.signature_algorithms_cert =
                ext::u16_values(b, Registry::SignatureScheme, "signature_algorithms_cert")?
        }
        51 => ch.key_share_groups = ext::client_key_share_groups(b)?,
        0xfe0d => ch.ech = true,
        0xff01 => ch.renegotiation_info = true,
        _ => {}
    }
    Ok(())
}

/// Decodes an SSLv2-format CLIENT-HELLO body (after the 2-byte record header).
pub fn sslv2_client_hello(body: &[u8]) -> DResult<ClientHello> {
    let mut r = Reader::new(body);
    let msg_type = r.u8("msg_type")?;
    if msg_type != 1 {
        return Err(DecodeError::Invalid {
            field: "sslv2 msg_type",
            why: "not CLIENT-HELLO",
        });
    }
    let legacy_version = version(r.u16("version")?);
    let spec_len = r.u16("cipher_spec_length")?;
    let sid_len = r.u16("session_id_length")?;
    let chal_len = r.u16("challenge_length")?;
    let mut specs = r.sub(usize::from(spec_len), "cipher_specs")?;
    let session_id = hex(r.take(usize::from(sid_len), "session_id")?);
    let random = hex(r.take(usize::from(chal_len), "challenge")?);
    r.expect_end("sslv2 client_hello")?;
    if specs.left() % 3 != 0 {
        return Err(DecodeError::Invalid {
            field: "cipher_specs",
            why: "length not a multiple of 3",
        });
    }
    let mut suites = Vec::new();
    let mut dropped = 0;
    while !specs.is_empty() {
        let first = specs.u8("cipher_spec")?;
        let rest = specs.u16("cipher_spec")?;
        if first == 0 {
            suites.push(rest);
        } else {
            dropped += 1;
        }
    }
    let mut ch = ClientHello {
        sslv2_format: true,
        legacy_version,
        random,
        session_id,
        sslv2_only_cipher_specs: dropped,
        compression_methods: vec![0],
        ..ClientHello::default()
    };
    set_suites(&mut ch, suites);
    Ok(ch)
}

/// True for TLS 1.3 drafts before 22 (and early stacks that sent 0x0304 in
/// the version field), whose ServerHello has no session_id/compression.
fn early_draft(v: u16) -> bool {
    v == 0x0304 || (v >> 8 == 0x7f && (v & 0xff) < 22)
}

/// Decodes a ServerHello (or RFC 8446 HelloRetryRequest) body.
pub fn server_hello(body: &[u8]) -> DResult<ServerHello> {
    let mut r = Reader::new(body);
    let legacy = r.u16("legacy_version")?;
    let random = r.take(32, "random")?;
    let (session_id, cipher, compression) = if early_draft(legacy) {
        (String::new(), r.u16("cipher_suite")?, 0)
    } else {
        let sid = hex(r.vec8("session_id")?.rest());
        (sid, r.u16("cipher_suite")?, r.u8("compression_method")?)
    };
    let mut sh = ServerHello {
        legacy_version: version(legacy),
        selected_version: version(legacy),
        random: hex(random),
        session_id,
        cipher_suite: IanaValue::new(Registry::CipherSuite, cipher),
        compression_method: compression,
        downgrade_sentinel: downgrade_sentinel(random),
        ..ServerHello::default()
    };
    if !r.is_empty() {
        let mut block = r.vec16("extensions")?;
        r.expect_end("server_hello")?;
        server_exts(&mut sh, &mut block)?;
    }
    Ok(sh)
}

/// Draft-era HelloRetryRequest (type 6): version, [cipher,] extensions.
fn draft_hrr(body: &[u8]) -> DResult<ServerHello> {
    let mut r = Reader::new(body);
    let v = r.u16("server_version")?;
    let mut sh = ServerHello {
        legacy_version: version(v),
        selected_version: version(v),
        ..ServerHello::default()
    };
    if !early_draft(v) || v & 0xff >= 19 {
        sh.cipher_suite = IanaValue::new(Registry::CipherSuite, r.u16("cipher_suite")?);
    }
    let mut block = r.vec16("extensions")?;
    r.expect_end("hello_retry_request")?;
    server_exts(&mut sh, &mut block)?;
    Ok(sh)
}

fn server_exts(sh: &mut ServerHello, block: &mut Reader<'_>) -> DResult<()> {
    let raw = ext::split_extensions(block)?;
    let mut errors = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        if let Err(err) = server_ext(sh, e) {
            errors.push((i, err.to_string()));
        }
    }
    sh.extensions = ext::infos(&raw, &errors);
    Ok(())
}

fn server_ext(sh: &mut ServerHello, e: &RawExt<'_>) -> DResult<()> {
    let b = e.body;
    match e.id {
        5 => sh.status_request = true,
        11 => sh.ec_point_formats = ext::u8_list(b, "ec_point_formats")?,
        16 => sh.alpn = ext::alpn(b)?.into_iter().next(),
        22 => sh.encrypt_then_mac = true,
        23 => sh.extended_master_secret = true,
        35 => sh.session_ticket = true,
        41 => sh.pre_shared_key_selected = Some(ext::single_u16(b, "selected_identity")?),
        43 => {
            let v = ext::single_u16(b, "supported_versions")?;
            sh.supported_versions_ext = Some(v);
            sh.selected_version = version(v);
        }
        44 => sh.cookie = true,
        51 | 40 => {
            let g = ext::server_key_share_group(b)?;
            sh.key_share_group = Some(IanaValue::new(Registry::NamedGroup, g));
        }
        0xff01 => sh.renegotiation_info = true,
        _ => {}
    }
    Ok(())
}

/// RFC 8446 §4.1.3: the last 8 bytes of a downgraded server random.
fn downgrade_sentinel(random: &[u8]) -> Option<String> {
    let tail = random.get(24..32)?;
    let (head, last) = tail.split_at(7);
    if head != b"DOWNGRD" {
        return None;
    }
    match last {
        [1] => Some("tls12".into()),
        [0] => Some("tls11".into()),
        _ => None,
    }
}

/// Decodes a Certificate body; `tls13` selects the layout. At most
/// `max_certs` DER blobs are kept, the rest are counted in `certificates_dropped`.
pub fn certificate(body: &[u8], tls13: bool, max_certs: usize) -> Certificate {
    let mut c = Certificate {
        tls13_format: tls13,
        ..Certificate::default()
    };
    if let Err(e) = certificate_into(&mut c, body, max_certs) {
        c.malformed = Some(e.to_string());
    }
    c
}

fn certificate_into(c: &mut Certificate, body: &[u8], max_certs: usize) -> DResult<()> {
    let mut r = Reader::new(body);
    if c.tls13_format {
        c.context = Some(hex(r.vec8("certificate_request_context")?.rest()));
    }
    let mut list = r.vec24("certificate_list")?;
    r.expect_end("certificate")?;
    while !list.is_empty() {
        let der = list.vec24("cert_data")?.rest();
        let mut extensions = Vec::new();
        if c.tls13_format {
            let mut block = list.vec16("certificate entry extensions")?;
            extensions = ext::infos(&ext::split_extensions(&mut block)?, &[]);
        }
        if c.certificates.len() < max_certs {
            c.certificates.push(CertEntry {
                der: der.to_vec(),
                extensions,
            });
        } else {
            c.certificates_dropped += 1;
        }
    }
    Ok(())
}

/// Decodes a CertificateRequest body; `tls13` selects the layout.
pub fn certificate_request(body: &[u8], tls13: bool) -> DResult<CertificateRequest> {
    let mut r = Reader::new(body);
    let mut cr = CertificateRequest {
        tls13_format: tls13,
        ..CertificateRequest::default()
    };
    if tls13 {
        cr.context = Some(hex(r.vec8("certificate_request_context")?.rest()));
        let mut block = r.vec16("extensions")?;
        r.expect_end("certificate_request")?;
        let raw = ext::split_extensions(&mut block)?;
        let mut errors = Vec::new();
        for (i, e) in raw.iter().enumerate() {
            let res = match e.id {
                13 => ext::u16_values(e.body, Registry::SignatureScheme, "signature_algorithms")
                    .map(|v| cr.signature_algorithms = v),
                50 => ext::u16_values(
                    e.body,
                    Registry::SignatureScheme,
                    "signature_algorithms_cert",
                )
                .map(|v| cr.signature_algorithms_cert = v),
                47 => ext::certificate_authorities(e.body).map(|v| cr.certificate_authorities = v),
                _ => Ok(()),
            };
            if let Err(err) = res {
                errors.push((i, err.to_string()));
            }
        }
        cr.extensions = ext::infos(&raw, &errors);
        return Ok(cr);
    }
    cr.certificate_types = r.vec8("certificate_types")?.rest().to_vec();
    // TLS 1.0/1.1 have no signature_algorithms field; decide by what fits.
    let mut probe = r.clone();
    let with_sigs = probe
        .vec16("supported_signature_algorithms")
        .and_then(|mut s| {
            let algs = s.u16_list("supported_signature_algorithms")?;
            let mut cas = probe.vec16("certificate_authorities")?;
            probe.expect_end("certificate_request")?;
            Ok((algs, ext::dn_list(&mut cas)?))
        });
    match with_sigs {
        Ok((algs, cas)) => {
            cr.signature_algorithms = algs
                .into_iter()
                .map(|a| IanaValue::new(Registry::SignatureScheme, a))
                .collect();
            cr.certificate_authorities = cas;
        }
        Err(first) => {
            let mut cas = r
                .vec16("certificate_authorities")
                .map_err(|_| first.clone())?;
            r.expect_end("certificate_request")
                .map_err(|_| first.clone())?;
            cr.certificate_authorities = ext::dn_list(&mut cas).map_err(|_| first)?;
        }
    }
    Ok(cr)
}

/// Decodes ServerKeyExchange as far as the negotiated suite allows.
pub fn server_key_exchange(body: &[u8], ctx: &HsContext) -> ServerKeyExchange {
    let family = ctx.cipher_suite.map_or(KxFamily::Unknown, enums::kx_family);
    let mut ske = ServerKeyExchange {
        length: body.len(),
        ..ServerKeyExchange::default()
    };
    let has_sigalg = ctx.version.is_none_or(|v| v >= 0x0303);
    let res = match family {
        KxFamily::Ecdhe => ecdhe_params(body, has_sigalg, &mut ske),
        KxFamily::Dhe => dhe_params(body, has_sigalg, &mut ske),
        KxFamily::Other | KxFamily::Unknown => {
            ske.kx = "unknown".into();
            Ok(())
        }
    };
    if let Err(e) = res {
        ske.malformed = Some(e.to_string());
    }
    ske
}

fn ecdhe_params(body: &[u8], has_sigalg: bool, ske: &mut ServerKeyExchange) -> DResult<()> {
    ske.kx = "ecdhe".into();
    let mut r = Reader::new(body);
    let curve_type = r.u8("curve_type")?;
    if curve_type != 3 {
        return Err(DecodeError::Invalid {
            field: "curve_type",
            why: "not named_curve (3)",
        });
    }
    ske.named_group = Some(IanaValue::new(Registry::NamedGroup, r.u16("named_curve")?));
    r.vec8("public")?;
    signature(&mut r, has_sigalg, ske)
}

fn dhe_params(body: &[u8], has_sigalg: bool, ske: &mut ServerKeyExchange) -> DResult<()> {
    ske.kx = "dhe".into();
    let mut r = Reader::new(body);
    let p = r.vec16("dh_p")?.rest();
    let significant = p.iter().skip_while(|&&b| b == 0).count();
    ske.dh_p_bits = Some(
        p.iter()
            .find(|&&b| b != 0)
            .map_or(0, |&b| significant * 8 - b.leading_zeros() as usize),
    );
    r.vec16("dh_g")?;
    r.vec16("dh_Ys")?;
    signature(&mut r, has_sigalg, ske)
}

fn signature(r: &mut Reader<'_>, has_sigalg: bool, ske: &mut ServerKeyExchange) -> DResult<()> {
    if r.is_empty() {
        return Ok(()); // anonymous suites carry no signature
    }
    if has_sigalg {
        ske.signature_algorithm = Some(IanaValue::new(
            Registry::SignatureScheme,
            r.u16("algorithm")?,
        ));
    }
    ske.signature_len = Some(r.vec16("signature")?.left());
    r.expect_end("server_key_exchange")
}

fn certificate_verify(body: &[u8], ctx: &HsContext) -> DResult<CertificateVerify> {
    let mut r = Reader::new(body);
    let signature_algorithm = if ctx.version.is_none_or(|v| v >= 0x0303) {
        Some(IanaValue::new(
            Registry::SignatureScheme,
            r.u16("algorithm")?,
        ))
    } else {
        None
    };
    let signature_len = r.vec16("signature")?.left();
    r.expect_end("certificate_verify")?;
    Ok(CertificateVerify {
        signature_algorithm,
        signature_len,
    })
}

fn new_session_ticket(body: &[u8], ctx: &HsContext) -> DResult<NewSessionTicket> {
    let mut r = Reader::new(body);
    let lifetime_secs = r.u32("ticket_lifetime")?;
    let mut t = NewSessionTicket {
        lifetime_secs,
        ticket_len: 0,
        extensions: Vec::new(),
    };
    if ctx.tls13() {
        r.u32("ticket_age_add")?;
        r.vec8("ticket_nonce")?;
        t.ticket_len = r.vec16("ticket")?.left();
        let mut block = r.vec16("extensions")?;
        t.extensions = ext::infos(&ext::split_extensions(&mut block)?, &[]);
    } else {
        t.ticket_len = r.vec16("ticket")?.left();
    }
    r.expect_end("new_session_ticket")?;
    Ok(t)
}

/// Decodes an EncryptedExtensions body.
pub fn encrypted_extensions(body: &[u8]) -> DResult<EncryptedExtensions> {
    let mut r = Reader::new(body);
    let mut block = r.vec16("extensions")?;
    r.expect_end("encrypted_extensions")?;
    let raw = ext::split_extensions(&mut block)?;
    let mut ee = EncryptedExtensions::default();
    let mut errors = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let res = match e.id {
            0 => {
                ee.server_name_ack = true;
                Ok(())
            }
            16 => ext::alpn(e.body).map(|v| ee.alpn = v.into_iter().next()),
            42 => {
                ee.early_data = true;
                Ok(())
            }
            10 => ext::u16_values(e.body, Registry::NamedGroup, "supported_groups")
                .map(|v| ee.supported_groups = v),
            _ => Ok(()),
        };
        if let Err(err) = res {
            errors.push((i, err.to_string()));
        }
    }
    ee.extensions = ext::infos(&raw, &errors);
    Ok(ee)
}

fn certificate_status(body: &[u8]) -> DResult<CertificateStatus> {
    let mut r = Reader::new(body);
    let status_type = r.u8("status_type")?;
    let resp = if status_type == 1 {
        r.vec24("ocsp_response")?.rest()
    } else {
        r.rest()
    };
    r.expect_end("certificate_status")?;
    Ok(CertificateStatus {
        status_type,
        response_len: resp.len(),
        response: if status_type == 1 {
            resp.to_vec()
        } else {
            Vec::new()
        },
    })
}
