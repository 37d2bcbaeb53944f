//! Builds a connection's model from its TCP summary and TLS session.
//!
//! This is where raw decoding turns into facts a person reads: who is the
//! client (the sender of the ClientHello, not a port guess), what each side
//! offered and chose, which certificates were sent, how the connection
//! ended. It judges nothing beyond the outcome; the rules do the judging.

use super::fingerprint::{self, ClientHelloNumbers};
use super::*;
use crate::certs::{self, CertCache};
use crate::tcp::{TcpConnection, TcpEnd};
use crate::tls::{self, HandshakeMsg, TlsSession};
use crate::types::{Dir, FrameNo, Side, Timestamp};
use std::borrow::Cow;

/// Builds one connection's model.
pub fn build(mut tcp: TcpConnection, session: Option<TlsSession>, certs: &CertCache) -> Connection {
    let session = session.filter(has_tls_or_data);
    let swapped = session.as_ref().is_some_and(|s| s.roles_swapped);
    if swapped {
        swap_roles(&mut tcp);
    }
    let tls = session
        .as_ref()
        .and_then(|s| tls_facts(s, swapped, &tcp, certs));
    let outcome = outcome(&tcp, tls.as_ref());
    let history = history(&tcp, tls.as_ref());
    Connection {
        id: tcp.id,
        client: tcp.client,
        server: tcp.server,
        first_frame: tcp.first_frame,
        last_frame: tcp.last_frame,
        first_ts: tcp.first_ts,
        last_ts: tcp.last_ts,
        outcome,
        history,
        tcp,
        tls,
    }
}

fn has_tls_or_data(s: &TlsSession) -> bool {
    !s.messages.is_empty()
        || !s.alerts.is_empty()
        || !s.not_tls.is_empty()
        || s.records_to_server.records + s.records_to_client.records > 0
}

/// The ClientHello came from TCP's server side: make its sender the client.
fn swap_roles(t: &mut TcpConnection) {
    std::mem::swap(&mut t.client, &mut t.server);
    std::mem::swap(&mut t.to_server, &mut t.to_client);
    for g in &mut t.gaps {
        g.dir = g.dir.flip();
    }
    for c in &mut t.conflicts {
        c.dir = c.dir.flip();
    }
    t.one_sided = t.one_sided.map(Dir::flip);
    t.end = match t.end {
        TcpEnd::Fin { by, frame } => TcpEnd::Fin {
            by: by.other(),
            frame,
        },
        TcpEnd::Rst { by, frame } => TcpEnd::Rst {
            by: by.other(),
            frame,
        },
        other => other,
    };
}

/// Who sent in TCP direction `dir`, after any role swap.
fn sender(dir: Dir, swapped: bool) -> Side {
    if swapped {
        dir.flip().sender()
    } else {
        dir.sender()
    }
}

fn named(v: &tls::IanaValue) -> Named {
    Named {
        id: v.id,
        name: v.name.map(Cow::Borrowed),
    }
}

fn named_list(v: &[tls::IanaValue]) -> Vec<Named> {
    v.iter().filter(|x| !x.grease).map(named).collect()
}

/// CamelCase message name as people and Wireshark say it.
pub fn message_name(m: &HandshakeMsg) -> &'static str {
    match m {
        HandshakeMsg::HelloRequest => "HelloRequest",
        HandshakeMsg::ClientHello(_) => "ClientHello",
        HandshakeMsg::ServerHello(_) => "ServerHello",
        HandshakeMsg::HelloRetryRequest(_) => "HelloRetryRequest",
        HandshakeMsg::NewSessionTicket(_) => "NewSessionTicket",
        HandshakeMsg::EndOfEarlyData => "EndOfEarlyData",
        HandshakeMsg::EncryptedExtensions(_) => "EncryptedExtensions",
        HandshakeMsg::Certificate(_) => "Certificate",
        HandshakeMsg::ServerKeyExchange(_) => "ServerKeyExchange",
        HandshakeMsg::CertificateRequest(_) => "CertificateRequest",
        HandshakeMsg::ServerHelloDone => "ServerHelloDone",
        HandshakeMsg::CertificateVerify(_) => "CertificateVerify",
        HandshakeMsg::ClientKeyExchange { .. } => "ClientKeyExchange",
        HandshakeMsg::Finished { .. } => "Finished",
        HandshakeMsg::CertificateStatus(_) => "CertificateStatus",
        HandshakeMsg::KeyUpdate { .. } => "KeyUpdate",
        HandshakeMsg::Unknown { .. } => "UnknownHandshake",
        HandshakeMsg::Malformed { .. } => "MalformedHandshake",
    }
}

fn client_offer(ch: &tls::ClientHello, frame: FrameNo, ts: Timestamp) -> ClientOffer {
    let mut versions: Vec<Named> = named_list(&ch.supported_versions);
    if versions.is_empty() {
        versions.push(named(&ch.legacy_version));
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.id));
    let suites: Vec<u16> = ch.cipher_suites.iter().map(|c| c.id).collect();
    let exts: Vec<u16> = ch.extensions.iter().map(|e| e.id).collect();
    let groups: Vec<u16> = ch.supported_groups.iter().map(|g| g.id).collect();
    let sigs: Vec<u16> = ch.signature_algorithms.iter().map(|s| s.id).collect();
    let svs: Vec<u16> = ch.supported_versions.iter().map(|s| s.id).collect();
    let numbers = ClientHelloNumbers {
        legacy_version: ch.legacy_version.id,
        supported_versions: &svs,
        cipher_suites: &suites,
        extensions: &exts,
        groups: &groups,
        point_formats: &ch.ec_point_formats,
        signature_algorithms: &sigs,
        sni_present: ch.server_name.is_some(),
        first_alpn: ch.alpn.first().map(|a| a.as_bytes()),
    };
    let fp = fingerprint::client(&numbers);
    ClientOffer {
        frame,
        ts,
        legacy_version: named(&ch.legacy_version),
        versions,
        cipher_suites: named_list(&ch.cipher_suites),
        supported_groups: named_list(&ch.supported_groups),
        key_share_groups: named_list(&ch.key_share_groups),
        signature_algorithms: named_list(&ch.signature_algorithms),
        alpn: ch.alpn.clone(),
        extensions: ch
            .extensions
            .iter()
            .filter(|e| !e.grease)
            .map(|e| Named {
                id: e.id,
                name: e.name.map(Cow::Borrowed),
            })
            .collect(),
        fallback_scsv: ch.fallback_scsv,
        renegotiation_info: ch.renegotiation_info || ch.renegotiation_scsv,
        session_id_len: ch.session_id.len() / 2,
        psk_offered: ch.pre_shared_key_identities.is_some(),
        sslv2_format: ch.sslv2_format,
        ja4: fp.ja4,
        ja3: fp.ja3,
        ja3_hash: fp.ja3_hash,
    }
}

fn server_choice(
    sh: &tls::ServerHello,
    client_session_id: Option<&str>,
    frame: FrameNo,
    ts: Timestamp,
) -> ServerChoice {
    let exts: Vec<u16> = sh.extensions.iter().map(|e| e.id).collect();
    let (ja3s, ja3s_hash) = fingerprint::ja3s(sh.legacy_version.id, sh.cipher_suite.id, &exts);
    ServerChoice {
        frame,
        ts,
        version: named(&sh.selected_version),
        cipher_suite: named(&sh.cipher_suite),
        group: sh.key_share_group.as_ref().map(named),
        alpn: sh.alpn.clone(),
        extensions: sh
            .extensions
            .iter()
            .map(|e| Named {
                id: e.id,
                name: e.name.map(Cow::Borrowed),
            })
            .collect(),
        downgrade_sentinel: sh.downgrade_sentinel.clone(),
        session_id_echoed: !sh.session_id.is_empty()
            && client_session_id == Some(sh.session_id.as_str()),
        ja3s,
        ja3s_hash,
    }
}

fn chain(
    c: &tls::Certificate,
    frame: FrameNo,
    ts: Timestamp,
    decrypted: bool,
    certs: &CertCache,
) -> Chain {
    let certificates: Vec<Cert> = c
        .certificates
        .iter()
        .map(|e| Cert {
            summary: certs.get(&e.der),
        })
        .collect();
    let total_size = c.certificates.iter().map(|e| e.der.len()).sum();
    let mut malformed = c.malformed.clone();
    if c.certificates_dropped > 0 {
        let note = format!(
            "{} more certificates were not kept (per-chain limit)",
            c.certificates_dropped
        );
        malformed = Some(match malformed {
            Some(m) => format!("{m}; {note}"),
            None => note,
        });
    }
    Chain {
        frame,
        ts,
        certificates,
        total_size,
        malformed,
        decrypted,
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn dn_text(dn: &tls::DistinguishedName) -> String {
    dn.rendered
        .clone()
        .or_else(|| hex_decode(&dn.der_hex).and_then(|d| certs::dn_to_string(&d)))
        .unwrap_or_else(|| format!("(unparseable name, {} bytes)", dn.der_hex.len() / 2))
}

fn cert_type_name(t: u8) -> String {
    match t {
        1 => "rsa_sign".into(),
        2 => "dss_sign".into(),
        3 => "rsa_fixed_dh".into(),
        4 => "dss_fixed_dh".into(),
        64 => "ecdsa_sign".into(),
        65 => "rsa_fixed_ecdh".into(),
        66 => "ecdsa_fixed_ecdh".into(),
        other => format!("type_{other}"),
    }
}

fn tls_facts(s: &TlsSession, swapped: bool, tcp: &TcpConnection, certs: &CertCache) -> Option<Tls> {
    let side = |d: Dir| sender(d, swapped);
    let mut t = Tls {
        sni: None,
        version: s.negotiated_version.as_ref().map(named),
        cipher_suite: s.negotiated_cipher_suite.as_ref().map(named),
        client_hello: None,
        hello_retry: None,
        server_hello: None,
        server_certificates: None,
        certificate_request: None,
        client_certificates: None,
        server_key_exchange: None,
        ocsp_stapled: None,
        alerts: Vec::new(),
        timeline: Vec::new(),
        handshake_complete: false,
        resumed: false,
        renegotiations: 0,
        encrypted_handshake: false,
        encrypted_flight: Vec::new(),
        application_data: AppData::default(),
        not_tls: None,
        starttls: s.prelude.as_ref().map(|p| p.protocol.clone()),
        malformed: Vec::new(),
        durations: Durations::default(),
        limits_hit: s.limits_hit.clone(),
        decryption: s.decryption.as_ref().map(|d| decryption(d, s, swapped)),
    };
    let mut client_hellos = 0u32;
    let mut client_session_id: Option<String> = None;
    let mut psk_selected = false;
    for m in &s.messages {
        let who = side(m.dir);
        let (frame, ts) = (m.frame_last, m.ts);
        let mut what = Cow::Borrowed(message_name(&m.body));
        match &m.body {
            HandshakeMsg::ClientHello(ch) if who == Side::Client => {
                client_hellos += 1;
                if t.client_hello.is_none() {
                    t.sni = ch.server_name.clone();
                    client_session_id = Some(ch.session_id.clone());
                    t.client_hello = Some(Box::new(client_offer(ch, frame, ts)));
                }
            }
            HandshakeMsg::HelloRetryRequest(sh) if t.hello_retry.is_none() => {
                t.hello_retry = Some(Box::new(HelloRetry {
                    frame,
                    ts,
                    group: sh.key_share_group.as_ref().map(named),
                    cipher_suite: named(&sh.cipher_suite),
                }));
            }
            HandshakeMsg::ServerHello(sh) if who == Side::Server && t.server_hello.is_none() => {
                psk_selected = sh.pre_shared_key_selected.is_some();
                t.server_hello = Some(Box::new(server_choice(
                    sh,
                    client_session_id.as_deref(),
                    frame,
                    ts,
                )));
            }
            HandshakeMsg::Certificate(c) => {
                what = Cow::Owned(labelled("Certificate(", c.certificates.len(), ")"));
                let slot = match who {
                    Side::Server => &mut t.server_certificates,
                    Side::Client => &mut t.client_certificates,
                };
                if slot.is_none() {
                    *slot = Some(chain(c, frame, ts, m.decrypted, certs));
                }
            }
            HandshakeMsg::ServerKeyExchange(ske) if t.server_key_exchange.is_none() => {
                t.server_key_exchange = Some(Box::new(ServerKeyExchange {
                    frame,
                    kx: ske.kx.clone(),
                    group: ske.named_group.as_ref().map(named),
                    dh_bits: ske.dh_p_bits,
                    signature_algorithm: ske.signature_algorithm.as_ref().map(named),
                }));
            }
            HandshakeMsg::CertificateStatus(cs) if t.ocsp_stapled.is_none() => {
                t.ocsp_stapled = Some(Box::new(OcspStapled {
                    frame,
                    response_len: cs.response_len,
                    summary: certs::summarize_ocsp(&cs.response),
                }));
            }
            HandshakeMsg::CertificateRequest(cr) if t.certificate_request.is_none() => {
                t.certificate_request = Some(Box::new(CertificateRequest {
                    frame,
                    ts,
                    ca_names: cr.certificate_authorities.iter().map(dn_text).collect(),
                    certificate_types: cr
                        .certificate_types
                        .iter()
                        .map(|x| cert_type_name(*x))
                        .collect(),
                    signature_algorithms: named_list(&cr.signature_algorithms),
                    decrypted: m.decrypted,
                }));
            }
            _ => {}
        }
        t.timeline.push(TimelineEntry {
            frame,
            ts,
            sender: who,
            what,
            decrypted: m.decrypted,
        });
    }
    t.renegotiations = client_hellos.saturating_sub(1 + u32::from(t.hello_retry.is_some()));
    // In TLS 1.2 a renegotiation runs inside the encrypted session; without
    // keys it shows as another ChangeCipherSpec from both sides.
    let ccs_by = |who: Side| s.ccs.iter().filter(|c| side(c.dir) == who).count();
    let ccs_rounds = ccs_by(Side::Client).min(ccs_by(Side::Server)) as u32;
    let tls13_negotiated = t
        .version
        .as_ref()
        .is_some_and(|v| tls::enums::is_tls13(v.id));
    if !tls13_negotiated {
        t.renegotiations = t.renegotiations.max(ccs_rounds.saturating_sub(1));
    }
    for c in &s.ccs {
        t.timeline.push(TimelineEntry {
            frame: c.frame,
            ts: c.ts,
            sender: side(c.dir),
            what: "ChangeCipherSpec".into(),
            decrypted: false,
        });
    }
    for r in &s.encrypted_records {
        t.encrypted_flight.push(EncryptedRecord {
            frame: r.frame,
            ts: r.ts,
            sender: side(r.dir),
            content_type: r.content_type,
            len: r.len,
            decrypted_type: r.decrypted_type,
        });
        // A decrypted record shows as the messages it held.
        if r.content_type != 21 && r.decrypted_type.is_none() {
            t.timeline.push(TimelineEntry {
                frame: r.frame,
                ts: r.ts,
                sender: side(r.dir),
                what: Cow::Owned(labelled("EncryptedRecord(", r.len, ")")),
                decrypted: false,
            });
        }
    }
    for a in &s.alerts {
        let desc = a.description.map(|d| Named {
            id: u16::from(d),
            name: a.description_name.map(Cow::Borrowed),
        });
        let label = match (&desc, a.encrypted) {
            (Some(d), _) => format!("Alert({})", d.label()),
            (None, true) => "Alert(encrypted)".to_string(),
            (None, false) => "Alert".to_string(),
        };
        t.alerts.push(Alert {
            frame: a.frame,
            ts: a.ts,
            sender: side(a.dir),
            level: a.level_name.clone().unwrap_or_else(|| "unknown".into()),
            description: desc,
            encrypted: a.encrypted,
            decrypted: a.decrypted,
            after: None,
        });
        t.timeline.push(TimelineEntry {
            frame: a.frame,
            ts: a.ts,
            sender: side(a.dir),
            what: Cow::Owned(label),
            decrypted: a.decrypted,
        });
    }
    // Within one frame: plaintext handshake messages, then ChangeCipherSpec,
    // then what was encrypted (records, alerts, decrypted messages).
    t.timeline.sort_by_key(|e| {
        let rank = if e.what == "ChangeCipherSpec" {
            1
        } else if e.decrypted
            || e.what.starts_with("EncryptedRecord")
            || e.what.starts_with("Alert")
        {
            2
        } else {
            0
        };
        (e.frame, rank)
    });
    // The last handshake message before each alert: what the alert answers.
    for a in &mut t.alerts {
        a.after = t
            .timeline
            .iter()
            .rev()
            .find(|e| {
                e.frame <= a.frame
                    && !e.what.starts_with("Alert")
                    && !e.what.starts_with("EncryptedRecord")
                    && e.what != "ChangeCipherSpec"
            })
            .map(|e| format!("{}'s {}", e.sender, e.what));
    }
    if let Some(n) = s.not_tls.first() {
        t.not_tls = Some(NotTls {
            sender: side(n.dir),
            frame: n.frame,
            kind: n.kind.clone(),
            preview: n.preview.clone(),
        });
    }
    for m in &s.malformed {
        t.malformed.push(Warning {
            frame: Some(m.frame),
            message: format!("{}: {}", side(m.dir), m.message),
        });
    }
    for g in &s.gaps_in_handshake {
        t.malformed.push(Warning {
            frame: None,
            message: format!(
                "{} bytes missing from the {}'s handshake at stream offset {}",
                g.len,
                side(g.dir),
                g.offset
            ),
        });
    }
    let (cs, sc) = if swapped {
        (&s.records_to_client, &s.records_to_server)
    } else {
        (&s.records_to_server, &s.records_to_client)
    };
    t.application_data = AppData {
        records_to_server: cs.app_data_records,
        bytes_to_server: cs.app_data_bytes,
        records_to_client: sc.app_data_records,
        bytes_to_client: sc.app_data_bytes,
        first_frame: [cs.first_app_data_frame, sc.first_app_data_frame]
            .into_iter()
            .flatten()
            .min(),
    };
    let tls13 = t
        .version
        .as_ref()
        .is_some_and(|v| tls::enums::is_tls13(v.id));
    let any_decrypted = s.messages.iter().any(|m| m.decrypted);
    t.encrypted_handshake = tls13 && !any_decrypted;
    t.resumed = match &t.server_hello {
        Some(sh) if tls13 => psk_selected,
        Some(sh) => sh.session_id_echoed && t.server_certificates.is_none(),
        None => false,
    };
    // TLS 1.2 negotiates the group in ServerKeyExchange, not in a key_share.
    if let (Some(sh), Some(ske)) = (t.server_hello.as_mut(), t.server_key_exchange.as_ref())
        && sh.group.is_none()
    {
        sh.group = ske.group.clone();
    }
    t.handshake_complete = handshake_complete(&t, cs, sc, tls13, tcp);
    t.durations = durations(&t);
    if t.client_hello.is_none()
        && t.server_hello.is_none()
        && t.alerts.is_empty()
        && t.not_tls.is_some()
    {
        // Only non-TLS bytes: keep the facts (for not-tls) but no TLS handshake.
    }
    Some(t)
}

/// The model's view of what decryption did on a connection.
fn decryption(d: &tls::Decryption, s: &TlsSession, swapped: bool) -> Decryption {
    let encrypted_seen = !s.encrypted_records.is_empty();
    let status = if !d.key_found {
        if encrypted_seen {
            DecryptionStatus::KeysMissing
        } else {
            DecryptionStatus::NotNeeded
        }
    } else if d.failures.iter().any(|f| f.records_before == 0) {
        DecryptionStatus::KeysWrong
    } else if d.records_decrypted == 0 {
        if !encrypted_seen {
            DecryptionStatus::NotNeeded
        } else if d.note.is_some() {
            DecryptionStatus::NotSupported
        } else {
            DecryptionStatus::Partial
        }
    } else if !d.failures.is_empty()
        || s.encrypted_records
            .iter()
            .any(|r| r.decrypted_type.is_none() && r.content_type != 20)
    {
        DecryptionStatus::Partial
    } else {
        DecryptionStatus::Decrypted
    };
    Decryption {
        status,
        secrets: d.secrets.clone(),
        records_decrypted: d.records_decrypted,
        failures: d
            .failures
            .iter()
            .map(|f| DecryptionFailure {
                frame: f.frame,
                sender: sender(f.dir, swapped),
                records_before: f.records_before,
                message: f.message.clone(),
            })
            .collect(),
        note: d.note.clone(),
    }
}

/// Largest encrypted record that is taken to be an alert (2 bytes + content
/// type + 16-byte AEAD tag = 19; a little room for padding).
pub const ALERT_RECORD_MAX: usize = 32;

fn handshake_complete(
    t: &Tls,
    cs: &tls::RecordStats,
    sc: &tls::RecordStats,
    tls13: bool,
    tcp: &TcpConnection,
) -> bool {
    if t.server_hello.is_none() {
        return false;
    }
    let fatal_plain = t.alerts.iter().any(|a| !a.encrypted && a.level == "fatal");
    if !tls13 {
        // Both sides switched to encryption and sent their Finished.
        let both_finished =
            cs.encrypted_handshake_records > 0 && sc.encrypted_handshake_records > 0;
        let data_both = cs.app_data_records > 0 && sc.app_data_records > 0;
        return (both_finished || data_both) && !fatal_plain;
    }
    // A fatal alert read in the clear or decrypted ends the handshake even
    // after both Finished (TLS 1.3 servers reject a client certificate then).
    if fatal_plain {
        return false;
    }
    if t.timeline.iter().filter(|e| e.what == "Finished").count() >= 2 {
        return true;
    }
    tls13_inferred_complete(t, tcp)
}

/// TLS 1.3 without keys: the client's Finished is its first encrypted record;
/// the handshake is taken as complete when the server sends anything larger
/// than an alert after it, or the client sends application data and the
/// server answers.
fn tls13_inferred_complete(t: &Tls, _tcp: &TcpConnection) -> bool {
    let Some(client_first) = t
        .encrypted_flight
        .iter()
        .find(|r| r.sender == Side::Client && r.content_type == 23)
    else {
        return false;
    };
    let after: Vec<&EncryptedRecord> = t
        .encrypted_flight
        .iter()
        .filter(|r| r.sender == Side::Server && r.frame > client_first.frame)
        .collect();
    after.iter().any(|r| r.len > ALERT_RECORD_MAX)
        || (after.len() >= 2 && t.application_data.records_to_server >= 2)
}

/// The small encrypted record the server sent right after the client's
/// flight, when that is how a TLS 1.3 handshake ended (an inferred alert).
pub fn tls13_inferred_alert(t: &Tls) -> Option<&EncryptedRecord> {
    if t.handshake_complete || !t.encrypted_handshake {
        return None;
    }
    let client_first = t
        .encrypted_flight
        .iter()
        .find(|r| r.sender == Side::Client && r.content_type == 23)?;
    t.encrypted_flight.iter().find(|r| {
        r.sender == Side::Server && r.frame > client_first.frame && r.len <= ALERT_RECORD_MAX
    })
}

fn durations(t: &Tls) -> Durations {
    let ms = |a: Timestamp, b: Timestamp| (b.since(a) * 1000.0 * 1000.0).round() / 1000.0;
    let Some(ch) = &t.client_hello else {
        return Durations::default();
    };
    let sh = t.server_hello.as_ref().map(|s| ms(ch.ts, s.ts));
    let fin = if t.handshake_complete {
        let last_fin = t
            .timeline
            .iter()
            .filter(|e| e.what == "Finished" || e.what.starts_with("EncryptedRecord"))
            .filter(|e| e.sender == Side::Client)
            .map(|e| e.ts)
            .next();
        last_fin.map(|f| ms(ch.ts, f))
    } else {
        None
    };
    Durations {
        client_hello_to_server_hello_ms: sh,
        client_hello_to_finished_ms: fin,
    }
}

fn end_as_outcome(tcp: &TcpConnection) -> Option<EndedBy> {
    match tcp.end {
        TcpEnd::Rst { by, frame } => Some(EndedBy::Rst { by, frame }),
        TcpEnd::Fin { by, frame } => Some(EndedBy::Fin { by, frame }),
        TcpEnd::Open | TcpEnd::Evicted { .. } => None,
    }
}

fn version_label(t: &Tls) -> String {
    let v = t
        .version
        .as_ref()
        .map(Named::label)
        .unwrap_or_else(|| "unknown version".into());
    match &t.cipher_suite {
        Some(c) => format!("{v}, {}", c.label()),
        None => v,
    }
}

fn outcome(tcp: &TcpConnection, tls: Option<&Tls>) -> Outcome {
    let o = |status, reason: String, ended_by| Outcome {
        status,
        reason,
        ended_by,
    };
    if tcp.refused {
        let frame = match tcp.end {
            TcpEnd::Rst { frame, .. } => frame,
            _ => tcp.last_frame,
        };
        return o(
            Status::Failed,
            format!(
                "connection refused: the server answered the SYN with a RST (nothing listening on port {})",
                tcp.server.port()
            ),
            Some(EndedBy::Refused { frame }),
        );
    }
    let no_payload = tcp.to_server.bytes == 0 && tcp.to_client.bytes == 0;
    if tcp.syn_frame.is_some()
        && tcp.synack_frame.is_none()
        && no_payload
        && tcp.to_client.packets == 0
    {
        return o(
            Status::Failed,
            "no answer: the SYN was never answered (filtered, wrong address, or the server is down)".into(),
            tcp.syn_frame.map(|frame| EndedBy::NoAnswer { frame }),
        );
    }
    let Some(t) = tls else {
        return if no_payload {
            o(
                Status::NoData,
                "TCP connected but no data was exchanged".into(),
                end_as_outcome(tcp),
            )
        } else {
            o(
                Status::NotTls,
                "the data on this connection is not TLS".into(),
                end_as_outcome(tcp),
            )
        };
    };
    if t.client_hello.is_none() && t.server_hello.is_none() && t.not_tls.is_some() {
        let n = t.not_tls.as_ref().map(|n| {
            format!(
                "the {} sent {} instead of TLS",
                n.sender,
                n.kind.replace('_', " ")
            )
        });
        return o(Status::NotTls, n.unwrap_or_default(), end_as_outcome(tcp));
    }
    if t.handshake_complete {
        return o(
            Status::Completed,
            format!("handshake completed ({})", version_label(t)),
            None,
        );
    }
    if let Some(dir) = tcp.one_sided {
        return o(
            Status::Incomplete,
            format!(
                "only the {}'s packets are in the capture: the outcome cannot be seen",
                dir.sender()
            ),
            end_as_outcome(tcp),
        );
    }
    if let Some(n) = &t.not_tls {
        return o(
            Status::Failed,
            format!(
                "the {} answered with {} instead of TLS",
                n.sender,
                n.kind.replace('_', " ")
            ),
            end_as_outcome(tcp),
        );
    }
    let plaintext_fatal = t.alerts.iter().any(|a| a.level == "fatal" && !a.encrypted);
    if let Some(g) = tcp.gaps.first().filter(|_| !plaintext_fatal) {
        return o(
            Status::Incomplete,
            format!(
                "the capture is missing {} bytes of the {}'s handshake (before frame {}): the outcome cannot be told",
                g.len,
                g.dir.sender(),
                g.frame_after
            ),
            end_as_outcome(tcp),
        );
    }
    if let Some(a) = t
        .alerts
        .iter()
        .find(|a| a.level == "fatal" || (a.encrypted && t.client_hello.is_some()))
    {
        let desc = a
            .description
            .as_ref()
            .map(Named::label)
            .unwrap_or_else(|| "encrypted alert".into());
        let after = a
            .after
            .as_ref()
            .map(|x| format!(" after the {x}"))
            .unwrap_or_default();
        return o(
            Status::Failed,
            format!("the {} sent a fatal alert {desc}{after}", a.sender),
            Some(EndedBy::Alert {
                by: a.sender,
                frame: a.frame,
                description: desc,
            }),
        );
    }
    if let Some(r) = tls13_inferred_alert(t) {
        return o(
            Status::Failed,
            format!(
                "the server sent a small encrypted record ({} bytes) right after the client's flight: most likely an alert",
                r.len
            ),
            Some(EndedBy::Alert {
                by: Side::Server,
                frame: r.frame,
                description: "encrypted alert (inferred)".into(),
            }),
        );
    }
    if let Some(e) = end_as_outcome(tcp) {
        let (kind, by) = match &e {
            EndedBy::Rst { by, .. } => ("reset (RST)", *by),
            EndedBy::Fin { by, .. } => ("closed (FIN)", *by),
            _ => ("ended", Side::Server),
        };
        if t.client_hello.is_some() {
            return o(
                Status::Failed,
                format!("the {by} {kind} the connection before the handshake finished"),
                Some(e),
            );
        }
    }
    let reason = if !tcp.gaps.is_empty() {
        "the capture is missing bytes of the handshake".to_string()
    } else if t.client_hello.is_none() {
        "no ClientHello seen (the capture started after it?)".to_string()
    } else {
        "the capture ends before the handshake finished".to_string()
    };
    o(Status::Incomplete, reason, Some(EndedBy::CaptureEnd))
}

/// `prefix` + `n` + `suffix` without the formatting machinery (built for
/// every certificate message and encrypted record of every connection).
fn labelled(prefix: &str, n: usize, suffix: &str) -> String {
    let mut digits = itoa::Buffer::new();
    let n = digits.format(n);
    let mut s = String::with_capacity(prefix.len() + n.len() + suffix.len());
    s.push_str(prefix);
    s.push_str(n);
    s.push_str(suffix);
    s
}

fn short(what: &str) -> Cow<'_, str> {
    let code = match what {
        "ClientHello" => "CH",
        "ServerHello" => "SH",
        "HelloRetryRequest" => "HRR",
        "CertificateRequest" => "CR",
        "ServerKeyExchange" => "SKE",
        "ServerHelloDone" => "SHD",
        "ClientKeyExchange" => "CKE",
        "CertificateVerify" => "CV",
        "Finished" => "F",
        "NewSessionTicket" => "NST",
        "EncryptedExtensions" => "EE",
        "CertificateStatus" => "CS",
        "ChangeCipherSpec" => "CCS",
        "HelloRequest" => "HR",
        "EndOfEarlyData" => "EOED",
        "KeyUpdate" => "KU",
        other => {
            if let Some(n) = other.strip_prefix("Certificate(") {
                return Cow::Owned(format!("C({n}"));
            }
            if let Some(a) = other.strip_prefix("Alert(") {
                return Cow::Owned(format!("A:{}", a.trim_end_matches(')')));
            }
            if other.starts_with("EncryptedRecord") {
                return Cow::Borrowed("E");
            }
            return Cow::Borrowed(other);
        }
    };
    Cow::Borrowed(code)
}

/// A compact history: one group per run of messages from the same side,
/// e.g. `CH | SH C(2) CR SHD | C(0) CKE CCS E | A:handshake_failure<-server`.
/// Consecutive encrypted records of one side fold into `E×n`.
fn history(tcp: &TcpConnection, tls: Option<&Tls>) -> String {
    use std::fmt::Write as _;
    let mut h = History::default();
    let mut current: Option<Side> = None;
    for e in tls.map_or(&[][..], |t| &t.timeline) {
        let code = short(&e.what);
        if code.starts_with("A:") {
            h.group();
            let _ = write!(h.out, "{code}<-{}", e.sender);
            current = None;
            continue;
        }
        if current != Some(e.sender) {
            h.close_run();
            current = Some(e.sender);
        }
        if code == "E" {
            if h.records == 0 {
                h.item();
            }
            h.records += 1;
        } else {
            h.item();
            h.out.push_str(&code);
        }
    }
    match tcp.end {
        TcpEnd::Rst { by, .. } => {
            h.group();
            let _ = write!(h.out, "RST<-{by}");
        }
        TcpEnd::Fin { by, .. } => {
            h.group();
            let _ = write!(h.out, "FIN<-{by}");
        }
        _ => h.close_run(),
    }
    if h.out.is_empty() && tcp.syn_frame.is_some() && tcp.synack_frame.is_none() {
        let _ = write!(h.out, "SYN×{}", tcp.to_server.packets);
    }
    h.out
}

/// The history being written: groups joined by ` | `, items of the open
/// run by spaces, and the encrypted records that end the run counted until
/// it closes or another item follows.
#[derive(Default)]
struct History {
    out: String,
    in_run: bool,
    records: u32,
}

impl History {
    /// Writes the pending `E` / `E×n`.
    fn write_records(&mut self) {
        match std::mem::take(&mut self.records) {
            0 => {}
            1 => self.out.push('E'),
            n => {
                self.out.push_str("E×");
                self.out.push_str(itoa::Buffer::new().format(n));
            }
        }
    }

    fn close_run(&mut self) {
        self.write_records();
        self.in_run = false;
    }

    /// Starts a group of its own (an alert, the TCP end).
    fn group(&mut self) {
        self.close_run();
        if !self.out.is_empty() {
            self.out.push_str(" | ");
        }
    }

    /// Starts the next item of the run, opening the run if needed.
    fn item(&mut self) {
        self.write_records();
        if self.in_run {
            self.out.push(' ');
        } else {
            self.group();
            self.in_run = true;
        }
    }
}
