//! Unit tests with hand-built byte vectors, one per place where tls-parser
//! 0.12.2 is silently wrong or where the record layer must reassemble.

use super::handshake::{self, HRR_RANDOM};
use super::*;

fn v8(b: &[u8]) -> Vec<u8> {
    let mut v = vec![b.len() as u8];
    v.extend_from_slice(b);
    v
}
fn v16(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}
fn v24(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u32).to_be_bytes()[1..].to_vec();
    v.extend_from_slice(b);
    v
}
fn ext(id: u16, body: &[u8]) -> Vec<u8> {
    let mut v = id.to_be_bytes().to_vec();
    v.extend(v16(body));
    v
}
fn hs(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    v.extend(v24(body));
    v
}
fn rec(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![ct, 3, 3];
    v.extend(v16(body));
    v
}
fn client_hello(suites: &[u16], exts: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend([7u8; 32]);
    b.extend(v8(&[1, 2]));
    b.extend(v16(&suites
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect::<Vec<_>>()));
    b.extend(v8(&[0]));
    b.extend(v16(exts));
    b
}
fn server_hello(random: [u8; 32], suite: u16, exts: &[u8]) -> Vec<u8> {
    let mut b = vec![3, 3];
    b.extend(random);
    b.extend(v8(&[1, 2]));
    b.extend(suite.to_be_bytes());
    b.push(0);
    b.extend(v16(exts));
    b
}
fn tls13_ctx() -> HsContext {
    HsContext {
        version: Some(0x0304),
        cipher_suite: Some(0x1301),
    }
}
fn feed(
    d: &mut TlsConnDecoder,
    dir: Dir,
    off: &mut [u64; 2],
    frame: u64,
    bytes: &[u8],
) -> crate::tcp::Interest {
    let o = &mut off[dir.index()];
    let r = d.on_data(
        dir,
        *o,
        bytes,
        FrameNo(frame),
        Timestamp::new(1_700_000_000 + frame as i64, 0),
    );
    *o += bytes.len() as u64;
    r
}

#[test]
fn tls13_certificate_with_one_cert_yields_one_cert() {
    let der = vec![0x30, 0x82, 0x01, 0x00, 0xaa, 0xbb];
    let mut entry = v24(&der);
    entry.extend(v16(&ext(5, &[1, 0, 0, 0, 0])));
    let mut body = v8(&[]);
    body.extend(v24(&entry));
    let HandshakeMsg::Certificate(c) = decode_handshake(11, &body, &tls13_ctx()) else {
        panic!()
    };
    assert!(c.tls13_format && c.malformed.is_none());
    assert_eq!(c.certificates.len(), 1);
    assert_eq!(c.certificates[0].der, der);
    assert_eq!(c.certificates[0].extensions[0].name, Some("status_request"));
    // The same bytes read as TLS 1.2 must not silently succeed.
    let HandshakeMsg::Certificate(c12) = decode_handshake(11, &body, &HsContext::default()) else {
        panic!()
    };
    assert!(c12.malformed.is_some());
}

#[test]
fn tls13_empty_certificate_is_present_and_empty() {
    let mut body = v8(&[]);
    body.extend(v24(&[]));
    let HandshakeMsg::Certificate(c) = decode_handshake(11, &body, &tls13_ctx()) else {
        panic!()
    };
    assert!(c.certificates.is_empty());
    assert_eq!(c.malformed, None);
    assert_eq!(c.context.as_deref(), Some(""));
    // Truncated list: malformed, not "empty".
    let HandshakeMsg::Certificate(bad) = decode_handshake(11, &[0, 0, 0, 9], &tls13_ctx()) else {
        panic!()
    };
    assert!(bad.malformed.is_some());
}

#[test]
fn tls13_certificate_request_with_authorities() {
    let dn1 = [0x30, 0x03, 0x31, 0x01, 0x00];
    let dn2 = [0x30, 0x00];
    let mut cas = v16(&dn1);
    cas.extend(v16(&dn2));
    let mut exts = ext(13, &v16(&[0x04, 0x03, 0x08, 0x04]));
    exts.extend(ext(47, &v16(&cas)));
    exts.extend(ext(50, &v16(&[0x08, 0x07])));
    let mut body = v8(&[0xab]);
    body.extend(v16(&exts));
    let HandshakeMsg::CertificateRequest(cr) = decode_handshake(13, &body, &tls13_ctx()) else {
        panic!()
    };
    assert_eq!(cr.context.as_deref(), Some("ab"));
    assert_eq!(cr.certificate_authorities.len(), 2);
    assert_eq!(cr.certificate_authorities[0].der_hex, "3003310100");
    let sig: Vec<_> = cr
        .signature_algorithms
        .iter()
        .filter_map(|s| s.name)
        .collect();
    assert_eq!(sig, ["ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"]);
    assert_eq!(cr.signature_algorithms_cert[0].name, Some("ed25519"));
}

#[test]
fn tls12_certificate_request_and_tls10_form() {
    let mut body = v8(&[1, 64]);
    body.extend(v16(&[0x04, 0x01]));
    body.extend(v16(&v16(&[0x30, 0x00])));
    let cr = handshake::certificate_request(&body, false).unwrap();
    assert_eq!(cr.certificate_types, [1, 64]);
    assert_eq!(cr.signature_algorithms.len(), 1);
    assert_eq!(cr.certificate_authorities.len(), 1);
    // TLS 1.0: no signature_algorithms field.
    let mut old = v8(&[1]);
    old.extend(v16(&v16(&[0x30, 0x00])));
    let cr = handshake::certificate_request(&old, false).unwrap();
    assert!(cr.signature_algorithms.is_empty());
    assert_eq!(cr.certificate_authorities.len(), 1);
}

#[test]
fn encrypted_extensions_with_alpn() {
    let mut exts = ext(16, &v16(&v8(b"h2")));
    exts.extend(ext(0, &[]));
    let HandshakeMsg::EncryptedExtensions(ee) = decode_handshake(8, &v16(&exts), &tls13_ctx())
    else {
        panic!()
    };
    assert_eq!(ee.alpn.as_deref(), Some("h2"));
    assert!(ee.server_name_ack);
    assert_eq!(ee.extensions.len(), 2);
}

#[test]
fn sslv2_client_hello_then_tls_records() {
    let challenge = [0x11u8; 16];
    let specs = [0x00, 0x00, 0x2f, 0x01, 0x00, 0x80, 0x00, 0x56, 0x00];
    let mut body = vec![1, 3, 1, 0, specs.len() as u8, 0, 0, 0, 16];
    body.extend(specs);
    body.extend(challenge);
    let mut bytes = vec![0x80 | (body.len() >> 8) as u8, body.len() as u8];
    bytes.extend(&body);
    bytes.extend(rec(21, &[2, 40]));
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(&mut d, Dir::ToServer, &mut off, 1, &bytes);
    let s = d.finish();
    let HandshakeMsg::ClientHello(ch) = &s.messages[0].body else {
        panic!()
    };
    assert!(ch.sslv2_format && ch.fallback_scsv);
    let ids: Vec<u16> = ch.cipher_suites.iter().map(|c| c.id).collect();
    assert_eq!(ids, [0x002f, 0x5600]);
    assert_eq!(ch.sslv2_only_cipher_specs, 1);
    assert_eq!(ch.legacy_version.name, Some("TLS 1.0"));
    assert_eq!(s.alerts[0].description_name, Some("handshake_failure"));
    assert!(s.not_tls.is_empty() && s.malformed.is_empty());
}

#[test]
fn client_hello_decodes_extensions_tls_parser_leaves_raw() {
    let mut ks = Vec::new();
    ks.extend([0x0a, 0x0a]);
    ks.extend(v16(&[0]));
    ks.extend(29u16.to_be_bytes());
    ks.extend(v16(&[9; 32]));
    let mut sni = vec![0];
    sni.extend(v16(b"example.com"));
    let mut exts = ext(0x0a0a, &[]);
    exts.extend(ext(0, &v16(&sni)));
    exts.extend(ext(51, &v16(&ks)));
    exts.extend(ext(47, &v16(&v16(&[0x30, 0x00]))));
    exts.extend(ext(50, &v16(&[0x04, 0x01])));
    exts.extend(ext(0xfe0d, &[0, 0, 1]));
    exts.extend(ext(43, &v8(&[0x7a, 0x7a, 0x03, 0x04, 0x03, 0x03])));
    exts.extend(ext(16, &v16(&[v8(b"h2"), v8(b"http/1.1")].concat())));
    exts.extend(ext(0x1234, &[1, 2, 3]));
    let mut psk = v16(&[v16(&[1, 2, 3]), vec![0, 0, 0, 5]].concat());
    psk.extend(v16(&v8(&[0; 32])));
    exts.extend(ext(41, &psk));
    let body = client_hello(&[0x1a1a, 0x1301, 0xc02f, 0x5600], &exts);
    let HandshakeMsg::ClientHello(ch) = decode_handshake(1, &body, &HsContext::default()) else {
        panic!()
    };
    assert_eq!(ch.server_name.as_deref(), Some("example.com"));
    let groups: Vec<(u16, bool)> = ch
        .key_share_groups
        .iter()
        .map(|g| (g.id, g.grease))
        .collect();
    assert_eq!(groups, [(0x0a0a, true), (29, false)]);
    assert_eq!(ch.key_share_groups[1].name, Some("x25519"));
    assert_eq!(ch.certificate_authorities.len(), 1);
    assert_eq!(
        ch.signature_algorithms_cert[0].name,
        Some("rsa_pkcs1_sha256")
    );
    assert!(ch.ech && ch.fallback_scsv);
    assert_eq!(
        ch.supported_versions
            .iter()
            .map(|v| v.id)
            .collect::<Vec<_>>(),
        [0x7a7a, 0x0304, 0x0303]
    );
    assert_eq!(ch.alpn, ["h2", "http/1.1"]);
    assert_eq!(ch.pre_shared_key_identities, Some(1));
    assert!(ch.cipher_suites[0].grease);
    assert_eq!(
        ch.cipher_suites[2].name,
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    assert!(ch.extensions[0].grease);
    let unknown = ch.extensions.iter().find(|e| e.id == 0x1234).unwrap();
    assert_eq!((unknown.name, unknown.length), (None, 3));
    assert!(ch.extensions.iter().all(|e| e.malformed.is_none()));
}

#[test]
fn sni_not_utf8_keeps_raw_hex() {
    let mut sni = vec![0];
    sni.extend(v16(&[b'a', 0xff]));
    let body = client_hello(&[0x1301], &ext(0, &v16(&sni)));
    let HandshakeMsg::ClientHello(ch) = decode_handshake(1, &body, &HsContext::default()) else {
        panic!()
    };
    assert_eq!(ch.server_name_raw_hex.as_deref(), Some("61ff"));
}

#[test]
fn hello_retry_request_is_detected_and_not_treated_as_encryption_start() {
    let mut exts = ext(43, &[3, 4]);
    exts.extend(ext(51, &23u16.to_be_bytes()));
    let hrr = server_hello(HRR_RANDOM, 0x1301, &exts);
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        1,
        &rec(22, &hs(1, &client_hello(&[0x1301], &[]))),
    );
    feed(&mut d, Dir::ToClient, &mut off, 2, &rec(22, &hs(2, &hrr)));
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        3,
        &rec(22, &hs(1, &client_hello(&[0x1301], &[]))),
    );
    let s = d.finish();
    let HandshakeMsg::HelloRetryRequest(h) = &s.messages[1].body else {
        panic!("{:?}", s.messages[1])
    };
    assert_eq!(h.selected_version.id, 0x0304);
    assert_eq!(h.key_share_group.as_ref().map(|g| g.id), Some(23));
    assert!(matches!(s.messages[2].body, HandshakeMsg::ClientHello(_)));
    assert!(s.encrypted_records.is_empty());
}

#[test]
fn downgrade_sentinel() {
    let mut random = [5u8; 32];
    random[24..].copy_from_slice(b"DOWNGRD\x01");
    let HandshakeMsg::ServerHello(sh) =
        decode_handshake(2, &server_hello(random, 0xc02f, &[]), &HsContext::default())
    else {
        panic!()
    };
    assert_eq!(sh.downgrade_sentinel.as_deref(), Some("tls12"));
    random[31] = 0;
    let HandshakeMsg::ServerHello(sh) =
        decode_handshake(2, &server_hello(random, 0xc02f, &[]), &HsContext::default())
    else {
        panic!()
    };
    assert_eq!(sh.downgrade_sentinel.as_deref(), Some("tls11"));
}

#[test]
fn handshake_message_spanning_three_records_names_its_frames() {
    let der = vec![0x42u8; 300];
    let msg = hs(11, &v24(&v24(&der)));
    let (a, rest) = msg.split_at(100);
    let (b, c) = rest.split_at(100);
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    for (i, part) in [a, b, c].into_iter().enumerate() {
        feed(
            &mut d,
            Dir::ToClient,
            &mut off,
            10 + i as u64,
            &rec(22, part),
        );
    }
    let s = d.finish();
    assert_eq!(s.messages.len(), 1);
    let m = &s.messages[0];
    assert_eq!((m.frame_first, m.frame_last), (FrameNo(10), FrameNo(12)));
    let HandshakeMsg::Certificate(c) = &m.body else {
        panic!()
    };
    assert_eq!(c.certificates[0].der, der);
    assert_eq!(s.records_to_client.handshake_records, 3);
}

#[test]
fn coalesced_messages_and_split_record_header() {
    let mut body = hs(2, &server_hello([1; 32], 0xc02f, &ext(23, &[])));
    body.extend(hs(11, &v24(&[])));
    body.extend(hs(14, &[]));
    let bytes = rec(22, &body);
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(&mut d, Dir::ToClient, &mut off, 1, &bytes[..3]);
    feed(&mut d, Dir::ToClient, &mut off, 2, &bytes[3..]);
    let s = d.finish();
    let names: Vec<_> = s
        .messages
        .iter()
        .filter_map(|m| m.msg_type_name.as_deref())
        .collect();
    assert_eq!(names, ["server_hello", "certificate", "server_hello_done"]);
    // The message's first byte (stream offset 5) came in frame 2.
    assert_eq!(s.messages[0].frame_first, FrameNo(2));
    assert_eq!(s.records_to_client.first_record_frame, Some(FrameNo(1)));
    assert!(!s.roles_swapped && s.negotiated_version.as_ref().unwrap().id == 0x0303);
}

#[test]
fn tls13_records_after_server_hello_are_counted_encrypted() {
    let sh_exts = [ext(43, &[3, 4]), ext(51, [0, 29, 0, 1, 9].as_slice())].concat();
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        1,
        &rec(22, &hs(1, &client_hello(&[0x1301], &[]))),
    );
    let mut flight = rec(22, &hs(2, &server_hello([3; 32], 0x1301, &sh_exts)));
    flight.extend(rec(20, &[1]));
    flight.extend(rec(23, &[0; 2000]));
    flight.extend(rec(23, &[0; 300]));
    feed(&mut d, Dir::ToClient, &mut off, 2, &flight[..1000]);
    feed(&mut d, Dir::ToClient, &mut off, 3, &flight[1000..]);
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        4,
        &[rec(20, &[1]), rec(23, &[0; 53])].concat(),
    );
    let s = d.finish();
    assert!(s.malformed.is_empty(), "{:?}", s.malformed);
    assert_eq!(
        s.negotiated_version.as_ref().and_then(|v| v.name),
        Some("TLS 1.3")
    );
    let enc: Vec<_> = s
        .encrypted_records
        .iter()
        .map(|r| (r.dir, r.frame, r.frame_last, r.len))
        .collect();
    assert_eq!(
        enc,
        [
            (Dir::ToClient, FrameNo(2), Some(FrameNo(3)), 2000),
            (Dir::ToClient, FrameNo(3), Some(FrameNo(3)), 300),
            (Dir::ToServer, FrameNo(4), Some(FrameNo(4)), 53)
        ]
    );
    assert_eq!(s.ccs.len(), 2);
    assert_eq!(s.records_to_client.app_data_records, 2);
}

#[test]
fn tls12_after_ccs_finished_and_alert_are_encrypted() {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    let bytes = [
        rec(22, &hs(16, &[0; 66])),
        rec(20, &[1]),
        rec(22, &[0; 40]),
        rec(21, &[0; 26]),
    ]
    .concat();
    feed(&mut d, Dir::ToServer, &mut off, 7, &bytes);
    let s = d.finish();
    assert_eq!(s.messages.len(), 1);
    assert_eq!(s.records_to_server.encrypted_handshake_records, 1);
    assert_eq!(
        s.records_to_server.encryption_started_frame,
        Some(FrameNo(7))
    );
    assert!(s.alerts[0].encrypted && s.alerts[0].description.is_none());
    assert_eq!(s.encrypted_records.len(), 2);
}

#[test]
fn encrypted_record_cap_switches_to_count_only() {
    let limits = TlsLimits {
        max_encrypted_records: 3,
        ..TlsLimits::default()
    };
    let mut d = TlsConnDecoder::new(limits);
    let mut off = [0, 0];
    let got: Vec<_> = (1..=4)
        .map(|f| feed(&mut d, Dir::ToClient, &mut off, f, &rec(23, &[0; 10])))
        .collect();
    use crate::tcp::Interest::{Bytes, CountOnly};
    assert_eq!(got, [Bytes, Bytes, CountOnly, CountOnly]);
    let s = d.finish();
    assert_eq!(s.encrypted_records.len(), 3);
    assert_eq!(
        s.records_to_client.inspection_stopped_frame,
        Some(FrameNo(3))
    );
}

#[test]
fn http_request_is_not_tls() {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        3,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let s = d.finish();
    assert_eq!(s.not_tls.len(), 1);
    assert_eq!(s.not_tls[0].kind, "http_request");
    assert_eq!(
        s.not_tls[0].preview,
        "GET / HTTP/1.1\\x0d\\x0aHost: x\\x0d\\x0a\\x0d\\x0a"
    );
    assert_eq!(s.not_tls[0].frame, FrameNo(3));
}

#[test]
fn smtp_starttls_prelude_then_handshake() {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToClient,
        &mut off,
        1,
        b"220 mx.example ESMTP\r\n",
    );
    feed(&mut d, Dir::ToServer, &mut off, 2, b"EHLO me\r\n");
    feed(&mut d, Dir::ToClient, &mut off, 3, b"250 STARTTLS\r\n");
    feed(&mut d, Dir::ToServer, &mut off, 4, b"STARTTLS\r\n");
    feed(&mut d, Dir::ToClient, &mut off, 5, b"220 go ahead\r\n");
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        6,
        &rec(22, &hs(1, &client_hello(&[0x1301], &[]))),
    );
    let s = d.finish();
    let p = s.prelude.as_ref().unwrap();
    assert_eq!(p.protocol, "smtp");
    assert_eq!(p.tls_start_to_server, Some(FrameNo(6)));
    assert_eq!(p.to_server_bytes, 19);
    assert_eq!(p.frames, [1, 2, 3, 4, 5].map(FrameNo));
    assert!(s.not_tls.is_empty());
    assert!(matches!(s.messages[0].body, HandshakeMsg::ClientHello(_)));
}

#[test]
fn gap_inside_handshake_is_reported_and_decoding_resynchronises() {
    let ch = rec(22, &hs(1, &client_hello(&[0x1301], &[])));
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    d.on_data(
        Dir::ToServer,
        0,
        &ch[..20],
        FrameNo(1),
        Timestamp::default(),
    );
    d.on_gap(Dir::ToServer, 20, 30);
    let after = ch.len() as u64;
    d.on_data(
        Dir::ToServer,
        50,
        &ch[50..],
        FrameNo(2),
        Timestamp::default(),
    );
    d.on_data(
        Dir::ToServer,
        after,
        &rec(21, &[2, 40]),
        FrameNo(3),
        Timestamp::default(),
    );
    let s = d.finish();
    assert_eq!(s.gaps_in_handshake.len(), 1);
    assert!(s.malformed.iter().any(|m| m.message.contains("gap")));
    assert!(s.messages.is_empty());
    assert_eq!(s.alerts.len(), 1, "{s:?}");
}

#[test]
fn malformed_lengths_are_reported_not_fatal() {
    // Extension block claims more than present.
    let mut body = client_hello(&[0x1301], &[]);
    let n = body.len();
    body[n - 1] = 50;
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(&mut d, Dir::ToServer, &mut off, 1, &rec(22, &hs(1, &body)));
    // Inner SNI length overflows its extension.
    let bad_sni = client_hello(&[0x1301], &ext(0, &[0, 5, 0, 0, 200, b'a']));
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        2,
        &rec(22, &hs(1, &bad_sni)),
    );
    // Then garbage instead of a record header.
    feed(&mut d, Dir::ToServer, &mut off, 3, b"\x99garbage");
    let s = d.finish();
    assert!(matches!(s.messages[0].body, HandshakeMsg::Malformed { .. }));
    let HandshakeMsg::ClientHello(ch) = &s.messages[1].body else {
        panic!()
    };
    assert!(ch.extensions[0].malformed.is_some());
    assert_eq!(s.malformed.len(), 3, "{:?}", s.malformed);
    assert_eq!(
        s.records_to_server.inspection_stopped_frame,
        Some(FrameNo(3))
    );
}

#[test]
fn handshake_byte_limit_is_recorded() {
    let limits = TlsLimits {
        max_handshake_bytes: 100,
        ..TlsLimits::default()
    };
    let mut d = TlsConnDecoder::new(limits);
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        1,
        &rec(22, &hs(1, &client_hello(&[0x1301; 60], &[]))),
    );
    let s = d.finish();
    assert!(s.messages.is_empty());
    assert!(
        s.limits_hit.iter().any(|l| l.contains("handshake bytes")),
        "{:?}",
        s.limits_hit
    );
}

#[test]
fn roles_swapped_and_serialised() {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut off = [0, 0];
    feed(
        &mut d,
        Dir::ToClient,
        &mut off,
        1,
        &rec(22, &hs(1, &client_hello(&[0x1301], &[]))),
    );
    let mut cert = v8(&[]);
    cert.extend(v24(&[]));
    feed(
        &mut d,
        Dir::ToServer,
        &mut off,
        2,
        &rec(22, &hs(11, &v24(&v24(&[0x30, 0])))),
    );
    let s = d.finish();
    assert!(s.roles_swapped);
    let json = serde_json::to_string(&s).unwrap();
    assert!(json.contains("\"der_b64\":\"MAA=\""), "{json}");
    assert!(json.contains("\"kind\":\"client_hello\""));
    // Registry names are borrowed from static tables; they serialise as
    // ordinary strings.
    assert!(
        json.contains("\"name\":\"TLS_AES_128_GCM_SHA256\""),
        "{json}"
    );
}

/// RFC 8448 §3 through the whole decoder: the hellos in the clear, then the
/// encrypted flights, with a key log holding the RFC's traffic secrets.
#[test]
fn rfc8448_handshake_decrypts_through_the_decoder() {
    let text = include_str!("../../tests/data/rfc8448-simple-1rtt.txt");
    let val = |name: &str| -> Vec<u8> {
        let v = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
            .expect(name);
        hex::decode(v).expect("hex")
    };
    let cr = hex::encode(val("client_random"));
    let log = [
        (
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "client_handshake_traffic_secret",
        ),
        (
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "server_handshake_traffic_secret",
        ),
        (
            "CLIENT_TRAFFIC_SECRET_0",
            "client_application_traffic_secret_0",
        ),
        (
            "SERVER_TRAFFIC_SECRET_0",
            "server_application_traffic_secret_0",
        ),
    ]
    .iter()
    .map(|(label, name)| format!("{label} {cr} {}\n", hex::encode(val(name))))
    .collect::<String>();
    let keys = std::sync::Arc::new(KeyLog::parse(log.as_bytes()));
    let mut d = TlsConnDecoder::with_keys(TlsLimits::default(), Some(keys));
    let ts = Timestamp::default();
    let mut to_server = rec(22, &val("client_hello"));
    let mut to_client = rec(22, &val("server_hello"));
    d.on_data(Dir::ToServer, 0, &to_server, FrameNo(1), ts);
    d.on_data(Dir::ToClient, 0, &to_client, FrameNo(2), ts);
    let mut off = to_client.len() as u64;
    for (name, frame) in [
        ("server_handshake_record", 3),
        ("server_new_session_ticket_record", 5),
        ("server_application_data_record", 7),
    ] {
        to_client = val(name);
        d.on_data(Dir::ToClient, off, &to_client, FrameNo(frame), ts);
        off += to_client.len() as u64;
    }
    off = to_server.len() as u64;
    for (name, frame) in [
        ("client_finished_record", 4),
        ("client_application_data_record", 6),
    ] {
        to_server = val(name);
        d.on_data(Dir::ToServer, off, &to_server, FrameNo(frame), ts);
        off += to_server.len() as u64;
    }
    let s = d.finish();
    let msgs: Vec<(u64, u8, bool)> = s
        .messages
        .iter()
        .map(|m| (m.frame_last.0, m.msg_type, m.decrypted))
        .collect();
    assert_eq!(
        msgs,
        vec![
            (1, 1, false),
            (2, 2, false),
            (3, 8, true),
            (3, 11, true),
            (3, 15, true),
            (3, 20, true),
            (5, 4, true),
            (4, 20, true),
        ]
    );
    let dec = s.decryption.expect("decryption facts");
    assert!(dec.key_found && dec.tls13 && dec.failures.is_empty());
    assert_eq!(dec.records_decrypted, 5);
    // The RFC's server certificate is an RSA key for "rsa" (one entry).
    let cert = s.messages.iter().find_map(|m| match &m.body {
        HandshakeMsg::Certificate(c) => Some(c),
        _ => None,
    });
    assert_eq!(cert.map(|c| c.certificates.len()), Some(1));
}
