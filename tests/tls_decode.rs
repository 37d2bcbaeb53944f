//! TLS decoding on real captures, re-segmentation invariance, and hostile input.

mod common;

use proptest::prelude::*;
use tlsdiag::tcp::Interest;
use tlsdiag::tls::*;
use tlsdiag::types::{Dir, FrameNo, Timestamp};

const CLIENT_CERT_AUTH: &str =
    "suricata-verify/sv_tls12_sni-localhost_client-certificate-auth.pcap";

fn one_session(rel: &str) -> Option<TlsSession> {
    let p = common::corpus(rel)?;
    let mut s = common::sessions(&p);
    assert_eq!(s.len(), 1, "{rel}: expected one connection");
    s.pop()
}

fn messages(s: &TlsSession, dir: Dir) -> Vec<&HandshakeMsg> {
    s.messages
        .iter()
        .filter(|m| m.dir == dir)
        .map(|m| &m.body)
        .collect()
}

fn x509_subject(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("valid DER");
    cert.subject().to_string()
}

#[test]
fn corpus_decodes_without_unexpected_errors() {
    let Some(dir) = common::corpus("suricata-verify") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("../wireshark")).unwrap())
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    assert!(files.len() > 40);
    let mut client_hellos = 0;
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for s in common::sessions(&f) {
            for m in &s.messages {
                // In an out-of-order capture the first bytes can arrive in a later frame.
                if !name.contains("out-of-order") {
                    assert!(
                        m.frame_first <= m.frame_last,
                        "{name}: {:?}",
                        m.msg_type_name
                    );
                }
                client_hellos += usize::from(matches!(m.body, HandshakeMsg::ClientHello(_)));
            }
            // Only the two deliberately broken certificate captures have decode errors.
            if name.contains("cert-malformed-der") {
                assert!(
                    s.malformed.iter().any(|m| m.message.contains("exceeds")),
                    "{name}"
                );
            } else {
                assert!(s.malformed.is_empty(), "{name}: {:?}", s.malformed);
            }
            assert!(!s.roles_swapped, "{name}");
        }
    }
    assert!(client_hellos >= 90, "{client_hellos}");
}

#[test]
fn rfc8446_tls13_selected_version_comes_from_supported_versions() {
    let Some(p) = common::corpus(
        "wireshark/ws_tls13-rfc8446_full-handshake-then-psk-resumption-with-0rtt-early-data.pcap",
    ) else {
        return;
    };
    let s = common::sessions(&p);
    assert_eq!(s.len(), 2);
    let HandshakeMsg::ServerHello(sh) = messages(&s[0], Dir::ToClient)[0] else {
        panic!()
    };
    assert_eq!(sh.legacy_version.id, 0x0303);
    assert_eq!(sh.supported_versions_ext, Some(0x0304));
    assert_eq!(sh.selected_version.name, Some("TLS 1.3"));
    assert_eq!(sh.cipher_suite.name, Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(
        sh.key_share_group.as_ref().and_then(|g| g.name),
        Some("x25519")
    );
    // Everything after the ServerHello is encrypted and only counted.
    assert_eq!(s[0].messages.len(), 2);
    let server_enc = s[0]
        .encrypted_records
        .iter()
        .filter(|r| r.dir == Dir::ToClient)
        .count();
    assert!(server_enc >= 1);
    // Connection 2: PSK resumption with 0-RTT.
    let HandshakeMsg::ClientHello(ch) = messages(&s[1], Dir::ToServer)[0] else {
        panic!()
    };
    assert_eq!(ch.pre_shared_key_identities, Some(1));
    assert!(ch.early_data);
    assert_eq!(ch.psk_key_exchange_modes, [1]);
    let HandshakeMsg::ServerHello(sh2) = messages(&s[1], Dir::ToClient)[0] else {
        panic!()
    };
    assert_eq!(sh2.pre_shared_key_selected, Some(0));
    let sh_frame = s[1].messages[1].frame_last;
    assert!(
        s[1].encrypted_records
            .iter()
            .any(|r| r.dir == Dir::ToServer && r.frame < sh_frame),
        "0-RTT records precede the ServerHello"
    );
}

#[test]
fn client_certificate_auth_tls12() {
    let Some(s) = one_session(CLIENT_CERT_AUTH) else {
        return;
    };
    let server = messages(&s, Dir::ToClient);
    let Some(HandshakeMsg::CertificateRequest(cr)) = server
        .iter()
        .find(|m| matches!(m, HandshakeMsg::CertificateRequest(_)))
        .copied()
    else {
        panic!("no CertificateRequest")
    };
    assert!(!cr.tls13_format);
    assert!(!cr.certificate_types.is_empty());
    assert!(!cr.signature_algorithms.is_empty());
    assert!(!cr.certificate_authorities.is_empty());
    assert!(
        cr.certificate_authorities
            .iter()
            .all(|dn| dn.der_hex.starts_with("30"))
    );
    let Some(HandshakeMsg::Certificate(server_chain)) = server
        .iter()
        .find(|m| matches!(m, HandshakeMsg::Certificate(_)))
        .copied()
    else {
        panic!()
    };
    assert_eq!(server_chain.certificates.len(), 2);
    let client = messages(&s, Dir::ToServer);
    let Some(HandshakeMsg::Certificate(c)) = client
        .iter()
        .find(|m| matches!(m, HandshakeMsg::Certificate(_)))
        .copied()
    else {
        panic!("no client Certificate")
    };
    assert_eq!(c.certificates.len(), 1);
    assert!(x509_subject(&c.certificates[0].der).contains("CN=SampleClientJane"));
    assert!(client.iter().any(
        |m| matches!(m, HandshakeMsg::CertificateVerify(v) if v.signature_algorithm.is_some())
    ));
    let HandshakeMsg::ClientHello(ch) = client[0] else {
        panic!()
    };
    assert_eq!(ch.server_name.as_deref(), Some("localhost"));
}

#[test]
fn sslv2_compatible_client_hellos() {
    for rel in [
        "suricata-verify/sv_sslv2-clienthello_upgrade-to-tls10.pcap",
        "wireshark/ws_rsasnakeoil2_sslv3-rsa-kx_full-and-resumed_apache-snakeoil-https.pcap",
    ] {
        let Some(p) = common::corpus(rel) else { return };
        let s = common::sessions(&p).remove(0);
        let HandshakeMsg::ClientHello(ch) = messages(&s, Dir::ToServer)[0] else {
            panic!("{rel}")
        };
        assert!(ch.sslv2_format, "{rel}");
        assert!(!ch.cipher_suites.is_empty());
        assert!(
            ch.cipher_suites
                .iter()
                .all(|c| !c.grease && c.id >> 8 != 0xff)
        );
        assert!(
            matches!(messages(&s, Dir::ToClient)[0], HandshakeMsg::ServerHello(_)),
            "{rel}"
        );
    }
}

#[test]
fn starttls_preludes() {
    for (rel, proto, version) in [
        (
            "suricata-verify/sv_smtp-starttls_tls13.pcap",
            "smtp",
            0x0304,
        ),
        (
            "suricata-verify/sv_ldap-starttls_tls12.pcap",
            "ldap",
            0x0303,
        ),
        (
            "suricata-verify/sv_postgresql-sslrequest_tls12.pcap",
            "postgresql",
            0x0303,
        ),
    ] {
        let Some(p) = common::corpus(rel) else { return };
        let s = common::sessions(&p).remove(0);
        let pre = s
            .prelude
            .as_ref()
            .unwrap_or_else(|| panic!("{rel}: no prelude"));
        assert_eq!(pre.protocol, proto, "{rel}");
        assert!(pre.to_server_bytes > 0 && pre.to_client_bytes > 0, "{rel}");
        let ch_frame = s.messages[0].frame_first;
        assert_eq!(pre.tls_start_to_server, Some(ch_frame), "{rel}");
        assert!(pre.frames.iter().all(|f| *f < ch_frame), "{rel}");
        assert_eq!(
            s.negotiated_version.as_ref().map(|v| v.id),
            Some(version),
            "{rel}"
        );
        assert!(s.not_tls.is_empty());
    }
}

/// Feeds whole directions (server first, so the version is known), each
/// split into the given pieces, all from frame 1.
fn feed_split(streams: &[(Dir, Vec<u8>)], split: &dyn Fn(&[u8]) -> Vec<Vec<u8>>) -> TlsSession {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    for (dir, bytes) in streams {
        let mut off = 0u64;
        for piece in split(bytes) {
            d.on_data(*dir, off, &piece, FrameNo(1), Timestamp::default());
            off += piece.len() as u64;
        }
    }
    d.finish()
}

#[test]
fn resegmentation_at_every_boundary_gives_the_same_session() {
    let Some(p) = common::corpus(CLIENT_CERT_AUTH) else {
        return;
    };
    let conn = common::connections(&p).remove(0);
    let streams = [
        (Dir::ToClient, conn.stream(Dir::ToClient)),
        (Dir::ToServer, conn.stream(Dir::ToServer)),
    ];
    let base = feed_split(&streams, &|b| vec![b.to_vec()]);
    assert!(base.messages.len() >= 9, "{}", base.messages.len());
    let ones = feed_split(&streams, &|b| b.chunks(1).map(<[u8]>::to_vec).collect());
    assert_eq!(ones, base, "1-byte chunks");
    for (i, (dir, bytes)) in streams.iter().enumerate() {
        for k in 1..bytes.len() {
            let mut s = streams.clone();
            s[i] = (*dir, bytes.clone());
            let got = feed_split(&s, &|b| {
                if b.len() == bytes.len() && b == bytes.as_slice() {
                    vec![b[..k].to_vec(), b[k..].to_vec()]
                } else {
                    vec![b.to_vec()]
                }
            });
            assert_eq!(got, base, "{dir:?} split at {k}");
        }
    }
}

fn v16(b: &[u8]) -> Vec<u8> {
    [(b.len() as u16).to_be_bytes().as_slice(), b].concat()
}
fn v24(b: &[u8]) -> Vec<u8> {
    [&(b.len() as u32).to_be_bytes()[1..], b].concat()
}
fn hs(t: u8, body: &[u8]) -> Vec<u8> {
    [vec![t], v24(body)].concat()
}
/// Wraps handshake bytes in as many 16 KiB records as needed.
fn records(ct: u8, bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks(16384)
        .flat_map(|c| [vec![ct, 3, 3], v16(c)].concat())
        .collect()
}
fn client_hello(exts: &[u8]) -> Vec<u8> {
    [
        vec![3, 3],
        vec![0; 32],
        vec![0],
        v16(&[0x13, 0x01]),
        vec![1, 0],
        v16(exts),
    ]
    .concat()
}
fn decode_one(dir: Dir, bytes: &[u8]) -> TlsSession {
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    d.on_data(dir, 0, bytes, FrameNo(1), Timestamp::default());
    d.finish()
}

#[test]
fn client_hello_with_300_extensions() {
    let exts: Vec<u8> = (0..300u16)
        .flat_map(|i| [(1000 + i).to_be_bytes().to_vec(), v16(&[i as u8])].concat())
        .collect();
    let s = decode_one(Dir::ToServer, &records(22, &hs(1, &client_hello(&exts))));
    let HandshakeMsg::ClientHello(ch) = &s.messages[0].body else {
        panic!()
    };
    assert_eq!(ch.extensions.len(), 300);
    assert_eq!(ch.extensions[299].id, 1299);
}

fn tls12_server_prefix() -> Vec<u8> {
    let sh = [vec![3, 3], vec![1; 32], vec![0], vec![0xc0, 0x2f, 0]].concat();
    records(22, &hs(2, &sh))
}

#[test]
fn certificate_chain_of_50_and_64k_certificate_over_records() {
    let chain: Vec<u8> = (0..50u8).flat_map(|i| v24(&vec![i; 1000])).collect();
    let mut bytes = tls12_server_prefix();
    bytes.extend(records(22, &hs(11, &v24(&chain))));
    let big = vec![0x5a; 65536];
    bytes.extend(records(22, &hs(11, &v24(&v24(&big)))));
    let s = decode_one(Dir::ToClient, &bytes);
    let HandshakeMsg::Certificate(c) = &s.messages[1].body else {
        panic!()
    };
    assert_eq!(c.certificates.len(), 50);
    assert_eq!(c.certificates[49].der, vec![49; 1000]);
    let HandshakeMsg::Certificate(c) = &s.messages[2].body else {
        panic!()
    };
    assert_eq!(c.certificates[0].der.len(), 65536);
    assert!(s.records_to_client.handshake_records >= 6);
    assert!(s.malformed.is_empty() && s.limits_hit.is_empty());
}

#[test]
fn certificate_limit_is_reported() {
    let limits = TlsLimits {
        max_certificates: 3,
        ..TlsLimits::default()
    };
    let chain: Vec<u8> = (0..5u8).flat_map(|i| v24(&[i; 10])).collect();
    let mut bytes = tls12_server_prefix();
    bytes.extend(records(22, &hs(11, &v24(&chain))));
    let mut d = TlsConnDecoder::new(limits);
    d.on_data(Dir::ToClient, 0, &bytes, FrameNo(1), Timestamp::default());
    let s = d.finish();
    let HandshakeMsg::Certificate(c) = &s.messages[1].body else {
        panic!()
    };
    assert_eq!((c.certificates.len(), c.certificates_dropped), (3, 2));
    assert!(!s.limits_hit.is_empty());
}

#[test]
fn malformed_lengths_never_panic() {
    let cases: Vec<Vec<u8>> = vec![
        records(22, &[1, 0xff, 0xff, 0xff]), // message longer than anything allowed
        records(22, &hs(1, &[])),            // empty ClientHello
        records(22, &hs(11, &[0xff, 0xff, 0xff])), // cert list longer than body
        records(22, &hs(11, &v24(&[0, 0, 200, 1]))), // nested cert length overflow
        records(22, &hs(1, &client_hello(&[0, 0, 0xff, 0xff]))), // extension body overflow
        vec![22, 3, 3, 0, 0],                // zero-length handshake record
        vec![21, 3, 3, 0, 3, 2, 40, 1],      // odd alert length
        vec![22, 3, 3, 0xff, 0xff, 1],       // record longer than the stream
    ];
    for (i, bytes) in cases.iter().enumerate() {
        for dir in [Dir::ToServer, Dir::ToClient] {
            let s = decode_one(dir, bytes);
            let reported = !s.malformed.is_empty()
                || s.messages
                    .iter()
                    .any(|m| matches!(m.body, HandshakeMsg::Malformed { .. }));
            assert!(reported || i == 5, "case {i}: {s:?}");
        }
    }
}

#[test]
fn count_only_after_encrypted_cap_on_real_capture() {
    let Some(p) = common::corpus("suricata-verify/sv_tls13_tor-like-random-sni_bulk-data.pcap")
    else {
        return;
    };
    let conn = common::connections(&p).remove(0);
    let mut d = TlsConnDecoder::new(TlsLimits::default());
    let mut last = [Interest::Bytes; 2];
    for c in &conn.chunks {
        if last[c.dir.index()] == Interest::Bytes {
            last[c.dir.index()] = d.on_data(c.dir, c.offset, &c.data, c.frame, c.ts);
        }
    }
    assert_eq!(last, [Interest::CountOnly; 2]);
    let s = d.finish();
    assert_eq!(s.encrypted_records.len(), 64);
    assert!(s.records_to_client.inspection_stopped_frame.is_some());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_and_chunkings_never_panic(
        a in proptest::collection::vec(any::<u8>(), 0..3000),
        b in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(1usize..400, 1..20),
        prefix_tls in any::<bool>(),
    ) {
        let limits = TlsLimits::default();
        let mut d = TlsConnDecoder::new(limits);
        let mut streams = [(Dir::ToServer, a), (Dir::ToClient, b)];
        if prefix_tls {
            // Start with a valid header so the fuzz reaches deeper layers.
            for (_, s) in &mut streams {
                let len = s.len().min(0xffff) as u16;
                let mut v = vec![22, 3, 3];
                v.extend(len.to_be_bytes());
                v.append(s);
                *s = v;
            }
        }
        let mut offs = [0u64; 2];
        let mut i = 0;
        for round in 0..200 {
            let (dir, s) = &streams[round % 2];
            let o = &mut offs[dir.index()];
            let start = *o as usize;
            if start >= s.len() { continue; }
            let n = cuts[i % cuts.len()].min(s.len() - start);
            i += 1;
            d.on_data(*dir, *o, &s[start..start + n], FrameNo(round as u64 + 1), Timestamp::default());
            *o += n as u64;
        }
        let s = d.finish();
        prop_assert!(s.messages.len() <= limits.max_messages);
        prop_assert!(s.encrypted_records.len() <= 2 * limits.max_encrypted_records);
        prop_assert!(s.malformed.len() <= limits.max_malformed);
        prop_assert!(s.alerts.len() <= limits.max_alerts);
    }

    #[test]
    fn mutated_client_hello_never_panics(flips in proptest::collection::vec((0usize..400, any::<u8>()), 1..8)) {
        let mut sni = vec![0];
        sni.extend(v16(b"example.com"));
        let exts = [vec![0, 0], v16(&v16(&sni)), vec![0, 51], v16(&v16(&[0, 29, 0, 2, 1, 2])), vec![0, 43], v16(&[2, 3, 4])].concat();
        let mut bytes = records(22, &hs(1, &client_hello(&exts)));
        let n = bytes.len();
        for (pos, val) in flips {
            bytes[5 + pos % (n - 5)] = val;
        }
        let s = decode_one(Dir::ToServer, &bytes);
        // Every message needs at least its 4-byte header.
        prop_assert!(s.messages.len() <= bytes.len() / 4);
        prop_assert!(s.malformed.len() <= TlsLimits::default().max_malformed);
    }
}
