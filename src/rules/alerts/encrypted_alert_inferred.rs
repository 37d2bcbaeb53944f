//! encrypted-alert-inferred: a small encrypted record followed by a close is
//! most likely an alert (TLS 1.3 without keys, or an encrypted TLS 1.2 alert).
//!
//! Size reasoning: a TLS 1.3 alert record carries 2 bytes of alert, 1 byte of
//! inner content type and a 16-byte AEAD tag: 19 bytes, a few more with
//! padding (19–24 accepted). The client's second flight is read from its
//! record sizes: an empty Certificate is 8 bytes of message + 17 = 25 bytes
//! (≤ 40 accepted), a real certificate hundreds of bytes. Other rules ask
//! [`inferred_alert`] so that closed-without-alert and
//! tcp-reset-during-handshake stay quiet when this rule speaks.
use crate::model::{Connection, EncryptedRecord, Tls};
use crate::rules::transport::facts::tcp_close;
use crate::rules::{Context, Finding};
use crate::types::{FrameNo, Side};

declare_rule! {
    ENCRYPTED_ALERT_INFERRED {
        id: "encrypted-alert-inferred",
        severity: Warning,
        title: "an encrypted record followed by a close is most likely an alert",
        explanation: "In TLS 1.3 everything after the ServerHello is encrypted, alerts included, so without the session keys the capture cannot say which alert was sent. Its size gives it away: an encrypted alert record is about 19 bytes (2 bytes of alert, 1 byte of content type, a 16-byte authentication tag). A record of that size sent right after the peer's flight and followed by the connection closing is almost certainly a fatal alert; which one is inferred from the step at which it was sent. This is an inference, not a decoded fact.",
        remediation: "Get the keys to see the real alert: set `SSLKEYLOGFILE=/tmp/keys.log` for the client (curl, Firefox, Chrome, Python's ssl and OpenSSL 3.5 `s_client -keylogfile` honour it), reproduce, and run `tlsdiag analyze CAPTURE --keylog /tmp/keys.log`. Meanwhile check the sending side's logs for the handshake error at that timestamp.",
        fires_on: ["mtls13-client-cert-missing.pcap"],
        quiet_on: ["tls13-ok.pcap", "mtls13-ok.pcap", "tls12-ok.pcap", "mtls13-client-cert-missing.pcap --keylog captures/mtls13-client-cert-missing.keys"],
        check: Connection(check),
    }
}

/// What the record sizes suggest about a connection's end.
pub(crate) struct Inference {
    /// Who sent the small record.
    pub sender: Side,
    /// The record's frame and length.
    pub frame: FrameNo,
    pub len: usize,
    /// The peer's flight that it answered (frames).
    pub answered: Vec<FrameNo>,
    /// For a server alert: what the client's second flight looked like.
    pub client_flight: ClientFlight,
    /// The FIN/RST that followed.
    pub close: Option<FrameNo>,
    /// An alert record whose content type was visible (TLS 1.2 encrypted alert).
    pub typed: bool,
}

/// The client's second flight as read from record sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientFlight {
    /// An empty Certificate (≈25 bytes) then Finished.
    EmptyCertificate,
    /// A large first record then more: Certificate, CertificateVerify, Finished.
    Certificate { size: usize },
    /// Just Finished (no client authentication).
    FinishedOnly,
    /// Not applicable (the client sent the record).
    None,
}

const ALERT_RECORD: std::ops::RangeInclusive<usize> = 19..=24;

/// Looks for an inferred alert on `conn`.
pub(crate) fn inferred_alert(conn: &Connection) -> Option<Inference> {
    let tls = conn.tls.as_ref()?;
    if let Some(a) = tls
        .alerts
        .iter()
        .find(|a| a.encrypted && a.description.is_none() && !tls.handshake_complete)
    {
        return Some(Inference {
            sender: a.sender,
            frame: a.frame,
            len: 0,
            answered: vec![],
            client_flight: ClientFlight::None,
            close: tcp_close(conn).map(|c| c.2).filter(|f| *f >= a.frame),
            typed: true,
        });
    }
    if !tls.encrypted_handshake || tls.alerts.iter().any(|a| a.description.is_some()) {
        return None;
    }
    let close = tcp_close(conn).map(|c| c.2)?;
    let recs: Vec<&EncryptedRecord> = tls
        .encrypted_flight
        .iter()
        .filter(|r| r.content_type != 20)
        .collect();
    let of = |s: Side| recs.iter().copied().filter(move |r| r.sender == s);
    let first_client = of(Side::Client).next();
    // Server: after the client's flight started, its only record is alert-sized.
    if let Some(fc) = first_client {
        let after: Vec<_> = of(Side::Server).filter(|r| r.frame > fc.frame).collect();
        if let [r] = after.as_slice()
            && ALERT_RECORD.contains(&r.len)
            && r.frame <= close
        {
            let client: Vec<_> = of(Side::Client).filter(|c| c.frame < r.frame).collect();
            return Some(Inference {
                sender: Side::Server,
                frame: r.frame,
                len: r.len,
                answered: client.iter().map(|c| c.frame).collect(),
                client_flight: read_client_flight(&client),
                close: Some(close),
                typed: false,
            });
        }
    }
    // Client: its only record after the server's flight is alert-sized.
    let server: Vec<_> = of(Side::Server).collect();
    let client: Vec<_> = of(Side::Client).collect();
    if let ([r], false) = (client.as_slice(), server.is_empty())
        && ALERT_RECORD.contains(&r.len)
        && r.frame <= close
    {
        return Some(Inference {
            sender: Side::Client,
            frame: r.frame,
            len: r.len,
            answered: server
                .iter()
                .filter(|s| s.frame < r.frame)
                .map(|s| s.frame)
                .collect(),
            client_flight: ClientFlight::None,
            close: Some(close),
            typed: false,
        });
    }
    None
}

pub(crate) fn read_client_flight(client: &[&EncryptedRecord]) -> ClientFlight {
    match client {
        [first, _, ..] if first.len <= 40 => ClientFlight::EmptyCertificate,
        [first, _, _, ..] if first.len > 100 => ClientFlight::Certificate { size: first.len },
        _ => ClientFlight::FinishedOnly,
    }
}

fn likely(inf: &Inference, tls: &Tls) -> String {
    match (inf.sender, inf.client_flight) {
        (Side::Server, ClientFlight::EmptyCertificate) => "the client answered with an empty Certificate (a ~25-byte record) and then Finished, so the server had asked for a client certificate (CertificateRequest) and got none: most likely certificate_required (or handshake_failure / bad_certificate), i.e. the server requires a client certificate".to_string(),
        (Side::Server, ClientFlight::Certificate { size }) => format!(
            "the client sent a certificate flight (a {size}-byte record, then CertificateVerify and Finished), so the server had asked for a client certificate and most likely refused the one it got: bad_certificate, unknown_ca, certificate_expired, certificate_revoked or access_denied"
        ),
        (Side::Server, _) => "the client sent only its Finished; the server most likely failed to verify it (decrypt_error) or refused the connection for a policy reason".to_string(),
        (Side::Client, _) => format!(
            "the client answered the server's encrypted flight (which carries the server certificate) with this record instead of its Finished, so it most likely refused the server certificate: unknown_ca (untrusted or missing intermediate), certificate_expired, or bad_certificate (e.g. the name does not match{})",
            tls.sni.as_ref().map(|s| format!(" {s}")).unwrap_or_default()
        ),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(inf) = inferred_alert(conn) else {
        return;
    };
    let who = inf.sender;
    let (title, explanation) = if inf.typed {
        (
            format!(
                "the {who} sent an encrypted alert (frame {}) before the handshake finished",
                inf.frame
            ),
            format!(
                "The {who} sent an alert record (frame {}) whose content is encrypted, before the handshake finished; its description cannot be read without keys. It ended the handshake.",
                inf.frame
            ),
        )
    } else {
        (
            format!(
                "the {who} most likely sent a fatal alert (frame {}, {}-byte encrypted record)",
                inf.frame, inf.len
            ),
            format!(
                "TLS {} hides alerts. The {who} sent a {}-byte encrypted record at frame {} — the size of an alert — right after the {}'s flight{}, and the connection was closed{} with nothing else from the {who}. Inference: {}.",
                tls.version.as_ref().map_or("1.3".to_string(), |v| v
                    .label()
                    .trim_start_matches("TLS ")
                    .to_string()),
                inf.len,
                inf.frame,
                who.other(),
                frames_note(&inf.answered),
                inf.close
                    .map(|f| format!(" (frame {f})"))
                    .unwrap_or_default(),
                likely(&inf, tls)
            ),
        )
    };
    out.push(
        Finding::new(&ENCRYPTED_ALERT_INFERRED, Some(conn.id), title, explanation)
            .frames(inf.answered.iter().copied())
            .frames([inf.frame])
            .frames(inf.close)
            .fact(format!(
                "alert-sized record: {} bytes from the {who}",
                inf.len
            ))
            .inferred(),
    );
}

fn frames_note(frames: &[FrameNo]) -> String {
    match (frames.first(), frames.last()) {
        (Some(a), Some(b)) if a == b => format!(" (frame {a})"),
        (Some(a), Some(b)) => format!(" (frames {a}–{b})"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::tcp::TcpEnd;

    fn rec(frame: u64, sender: Side, len: usize) -> EncryptedRecord {
        EncryptedRecord {
            frame: FrameNo(frame),
            ts: ts(frame * 10),
            sender,
            content_type: 23,
            len,
            decrypted_type: None,
        }
    }

    /// The record sizes of mtls13-client-cert-missing.pcap without keys.
    fn tls13(client: &[(u64, usize)], server_after: &[(u64, usize)]) -> Connection {
        let mut t = hello_only();
        t.version = Some(named(0x0304, "TLS 1.3"));
        t.server_hello = Some(Box::new(server_hello(6)));
        t.encrypted_handshake = true;
        for len in [23, 128, 1056, 96, 69] {
            t.encrypted_flight.push(rec(6, Side::Server, len));
        }
        t.encrypted_flight.push(EncryptedRecord {
            content_type: 20,
            ..rec(8, Side::Client, 1)
        });
        t.encrypted_flight
            .extend(client.iter().map(|(f, l)| rec(*f, Side::Client, *l)));
        t.encrypted_flight
            .extend(server_after.iter().map(|(f, l)| rec(*f, Side::Server, *l)));
        let mut c = conn(1, Some(t), Status::Failed);
        c.tcp.end = TcpEnd::Fin {
            by: Side::Server,
            frame: FrameNo(11),
        };
        c
    }

    #[test]
    fn server_alert_after_empty_client_certificate() {
        let c = tls13(&[(8, 25), (8, 69), (9, 35)], &[(10, 19)]);
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        let f = &out[0];
        assert!(f.inferred);
        assert!(
            f.title
                .contains("server most likely sent a fatal alert (frame 10, 19-byte"),
            "{}",
            f.title
        );
        assert!(
            f.explanation.contains("certificate_required"),
            "{}",
            f.explanation
        );
        assert!(
            f.evidence.frames.contains(&FrameNo(10)) && f.evidence.frames.contains(&FrameNo(11))
        );
    }

    #[test]
    fn server_alert_after_client_certificate_flight() {
        let c = tls13(&[(8, 509), (8, 95), (8, 69)], &[(10, 19)]);
        let out = run_conn(check, &c);
        assert!(
            out[0].explanation.contains("509-byte record"),
            "{}",
            out[0].explanation
        );
        assert!(out[0].explanation.contains("unknown_ca"));
    }

    #[test]
    fn client_alert_after_server_flight() {
        let mut c = tls13(&[(8, 19)], &[]);
        c.tcp.end = TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(9),
        };
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains("client most likely sent"));
        assert!(
            out[0]
                .explanation
                .contains("refused the server certificate")
        );
    }

    #[test]
    fn normal_close_notify_after_data_is_quiet() {
        // tls13-ok.pcap: tickets and data from the server before its 19-byte close_notify.
        let c = tls13(
            &[(8, 69), (12, 35)],
            &[(9, 250), (10, 250), (13, 4498), (14, 19)],
        );
        assert!(run_conn(check, &c).is_empty());
        assert!(run_conn(check, &completed12()).is_empty());
    }
}
