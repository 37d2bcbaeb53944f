//! Test helpers: hand-built connection models for rule unit tests.
//! Real-capture tests live in tests/rules.rs; these pin down edge cases.

use crate::model::*;
use crate::tcp::{DirStats, RoleBasis, TcpConnection, TcpEnd};
use crate::types::{ConnId, FrameNo, Side, Timestamp};

/// 2026-03-01 10:22:03 UTC plus `ms` milliseconds.
pub fn ts(ms: u64) -> Timestamp {
    Timestamp::new(
        1_772_360_523 + (ms / 1000) as i64,
        ((ms % 1000) * 1_000_000) as u32,
    )
}

pub fn named(id: u16, name: &str) -> Named {
    Named {
        id,
        name: Some(name.to_string().into()),
    }
}

/// A TCP connection 10.0.0.5:51514 → 10.0.0.9:443 with a 3-way handshake in frames 1–3
/// and no payload; closed by FIN from the client at frame 20.
pub fn tcp(id: u32) -> TcpConnection {
    TcpConnection {
        id: ConnId(id),
        client: "10.0.0.5:51514".parse().expect("literal"),
        server: "10.0.0.9:443".parse().expect("literal"),
        role_basis: RoleBasis::Syn,
        first_frame: FrameNo(1),
        last_frame: FrameNo(20),
        first_ts: ts(0),
        last_ts: ts(200),
        syn_frame: Some(FrameNo(1)),
        synack_frame: Some(FrameNo(2)),
        refused: false,
        syn_data: false,
        mid_stream: false,
        one_sided: None,
        to_server: DirStats::default(),
        to_client: DirStats::default(),
        end: TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(20),
        },
        gaps: vec![],
        conflicts: vec![],
        ooo_bytes_dropped: 0,
    }
}

/// An empty TLS view (nothing seen yet); fill in what the test needs.
pub fn tls() -> Tls {
    Tls {
        sni: None,
        version: None,
        cipher_suite: None,
        client_hello: None,
        hello_retry: None,
        server_hello: None,
        server_certificates: None,
        certificate_request: None,
        client_certificates: None,
        server_key_exchange: None,
        ocsp_stapled: None,
        alerts: vec![],
        timeline: vec![],
        handshake_complete: false,
        resumed: false,
        renegotiations: 0,
        encrypted_handshake: false,
        encrypted_flight: vec![],
        application_data: AppData::default(),
        not_tls: None,
        starttls: None,
        malformed: vec![],
        durations: Durations::default(),
        limits_hit: vec![],
        decryption: None,
    }
}

/// A ClientHello offering TLS 1.3 and 1.2 with a few common suites, at frame 4.
pub fn client_offer() -> ClientOffer {
    ClientOffer {
        frame: FrameNo(4),
        ts: ts(10),
        legacy_version: named(0x0303, "TLS 1.2"),
        versions: vec![named(0x0304, "TLS 1.3"), named(0x0303, "TLS 1.2")],
        cipher_suites: vec![
            named(0x1301, "TLS_AES_128_GCM_SHA256"),
            named(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        ],
        supported_groups: vec![named(0x001d, "x25519"), named(0x0017, "secp256r1")],
        key_share_groups: vec![named(0x001d, "x25519")],
        signature_algorithms: vec![
            named(0x0804, "rsa_pss_rsae_sha256"),
            named(0x0403, "ecdsa_secp256r1_sha256"),
        ],
        alpn: vec![],
        extensions: vec![],
        fallback_scsv: false,
        renegotiation_info: true,
        session_id_len: 32,
        psk_offered: false,
        sslv2_format: false,
        ja4: String::new(),
        ja3: String::new(),
        ja3_hash: String::new(),
    }
}

/// A connection with the given TLS view and outcome.
pub fn conn(id: u32, tls: Option<Tls>, status: Status) -> Connection {
    let t = tcp(id);
    Connection {
        id: t.id,
        client: t.client,
        server: t.server,
        first_frame: t.first_frame,
        last_frame: t.last_frame,
        first_ts: t.first_ts,
        last_ts: t.last_ts,
        outcome: Outcome {
            status,
            reason: String::new(),
            ended_by: None,
        },
        history: String::new(),
        tcp: t,
        tls,
    }
}
