//! What a TLS alert means, in plain words, depending on who sent it and when.
//!
//! An alert description alone is ambiguous: `handshake_failure` from a server
//! answering a ClientHello means "no parameters in common", the same alert
//! right after a client's empty Certificate means "I required a client
//! certificate". Rules in several groups (fatal-alert, the mTLS and
//! certificate rejection rules) share this table so they word alerts the same
//! way. Not a rule.
//!
//! API: [`stage`] places an alert in the handshake, [`meaning`] gives the
//! plain meaning of a description, [`likely_causes`] the typical causes for a
//! sender and stage, [`describe`] one sentence combining them, and
//! [`description_name`] the registry name of an alert.

use crate::model::{Alert, Tls};
use crate::types::{FrameNo, Side};

/// Alert description numbers (RFC 8446 §6, RFC 5246 §7.2, RFC 7301, RFC 7507).
pub(crate) mod id {
    pub const CLOSE_NOTIFY: u16 = 0;
    pub const UNEXPECTED_MESSAGE: u16 = 10;
    pub const HANDSHAKE_FAILURE: u16 = 40;
    pub const BAD_CERTIFICATE: u16 = 42;
    pub const UNSUPPORTED_CERTIFICATE: u16 = 43;
    pub const CERTIFICATE_REVOKED: u16 = 44;
    pub const CERTIFICATE_EXPIRED: u16 = 45;
    pub const CERTIFICATE_UNKNOWN: u16 = 46;
    pub const ILLEGAL_PARAMETER: u16 = 47;
    pub const UNKNOWN_CA: u16 = 48;
    pub const ACCESS_DENIED: u16 = 49;
    pub const DECODE_ERROR: u16 = 50;
    pub const DECRYPT_ERROR: u16 = 51;
    pub const PROTOCOL_VERSION: u16 = 70;
    pub const INSUFFICIENT_SECURITY: u16 = 71;
    pub const INTERNAL_ERROR: u16 = 80;
    pub const INAPPROPRIATE_FALLBACK: u16 = 86;
    pub const USER_CANCELED: u16 = 90;
    pub const NO_RENEGOTIATION: u16 = 100;
    pub const UNRECOGNIZED_NAME: u16 = 112;
    pub const CERTIFICATE_REQUIRED: u16 = 116;
    pub const NO_APPLICATION_PROTOCOL: u16 = 120;
}

/// The certificate-related alert descriptions: sent after the peer's
/// Certificate message, they mean "I refuse your certificate".
pub(crate) const CERTIFICATE_ALERTS: &[u16] = &[
    id::BAD_CERTIFICATE,
    id::UNSUPPORTED_CERTIFICATE,
    id::CERTIFICATE_REVOKED,
    id::CERTIFICATE_EXPIRED,
    id::CERTIFICATE_UNKNOWN,
    id::UNKNOWN_CA,
    id::ACCESS_DENIED,
];

/// Where in the handshake an alert was sent, from the sender's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// The server answered the ClientHello with the alert (no ServerHello).
    AnsweringClientHello,
    /// After a HelloRetryRequest, before any ServerHello.
    AfterHelloRetry,
    /// The client, after the server's Certificate message.
    AfterServerCertificate,
    /// The client, after a ServerHello but with no server Certificate visible.
    AfterServerHello,
    /// The server, after the client's Certificate message (`empty`: no certificate in it).
    AfterClientCertificate { empty: bool },
    /// The server, after the client's second flight without a Certificate message.
    AfterClientFlight,
    /// After the handshake completed.
    AfterHandshake,
    /// Anything else (e.g. the client before any answer, or too little seen).
    Other,
}

impl Stage {
    /// "right after the ClientHello" and friends, for sentences.
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Stage::AnsweringClientHello => {
                "right after the client's ClientHello, without a ServerHello"
            }
            Stage::AfterHelloRetry => "after its HelloRetryRequest, without a ServerHello",
            Stage::AfterServerCertificate => "after receiving the server's Certificate",
            Stage::AfterServerHello => "after the ServerHello",
            Stage::AfterClientCertificate { empty: true } => {
                "right after the client's Certificate message, which contained no certificate"
            }
            Stage::AfterClientCertificate { empty: false } => {
                "after receiving the client's certificate"
            }
            Stage::AfterClientFlight => "after the client's key exchange / Finished flight",
            Stage::AfterHandshake => "after the handshake had completed",
            Stage::Other => "during the handshake",
        }
    }
}

/// The alert's registry name (`bad_certificate`), or its number.
pub(crate) fn description_name(alert: &Alert) -> String {
    match &alert.description {
        Some(d) => match (&d.name, name_of(d.id)) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => n.to_string(),
            (None, None) => d.id.to_string(),
        },
        None => "encrypted alert".to_string(),
    }
}

/// The description number of a visible alert.
pub(crate) fn description_id(alert: &Alert) -> Option<u16> {
    alert.description.as_ref().map(|d| d.id)
}

fn name_of(code: u16) -> Option<&'static str> {
    TABLE.iter().find(|e| e.0 == code).map(|e| e.1)
}

/// (number, name, plain meaning)
const TABLE: &[(u16, &str, &str)] = &[
    (
        0,
        "close_notify",
        "the sender is closing the connection normally",
    ),
    (
        10,
        "unexpected_message",
        "the sender received a message it did not expect at this point of the handshake",
    ),
    (
        20,
        "bad_record_mac",
        "a record failed its integrity check (corruption, or the two sides derived different keys)",
    ),
    (21, "decryption_failed", "a record could not be decrypted"),
    (
        22,
        "record_overflow",
        "a record was longer than the protocol allows",
    ),
    (
        30,
        "decompression_failure",
        "a compressed record could not be decompressed",
    ),
    (
        40,
        "handshake_failure",
        "the sender could not agree on a set of security parameters, or refuses to continue",
    ),
    (
        41,
        "no_certificate",
        "(SSL 3.0) the client has no suitable certificate",
    ),
    (
        42,
        "bad_certificate",
        "the sender refuses the peer's certificate (corrupt, bad signature, or failed verification)",
    ),
    (
        43,
        "unsupported_certificate",
        "the peer's certificate is of a type or usage the sender does not support",
    ),
    (
        44,
        "certificate_revoked",
        "the peer's certificate was revoked by its issuer",
    ),
    (
        45,
        "certificate_expired",
        "the peer's certificate is expired or not yet valid",
    ),
    (
        46,
        "certificate_unknown",
        "the sender refuses the peer's certificate for an unspecified reason",
    ),
    (
        47,
        "illegal_parameter",
        "a field in a handshake message was out of range or inconsistent",
    ),
    (
        48,
        "unknown_ca",
        "the peer's certificate chain does not lead to a CA the sender trusts",
    ),
    (
        49,
        "access_denied",
        "the peer's certificate is valid but its owner is not allowed in",
    ),
    (
        50,
        "decode_error",
        "a message could not be decoded (malformed, or not TLS at all)",
    ),
    (
        51,
        "decrypt_error",
        "a signature or Finished check failed (wrong key, or a tampered handshake)",
    ),
    (
        60,
        "export_restriction",
        "(obsolete) an export-grade parameter was refused",
    ),
    (
        70,
        "protocol_version",
        "the sender supports none of the TLS versions the peer offered",
    ),
    (
        71,
        "insufficient_security",
        "the peer only offered parameters weaker than the sender requires",
    ),
    (
        80,
        "internal_error",
        "the sender hit an error of its own, unrelated to the peer",
    ),
    (
        86,
        "inappropriate_fallback",
        "the client signalled a version fallback (TLS_FALLBACK_SCSV) that the server does not believe",
    ),
    (
        90,
        "user_canceled",
        "the sender's application aborted the handshake",
    ),
    (100, "no_renegotiation", "the sender refuses to renegotiate"),
    (109, "missing_extension", "a required extension was missing"),
    (
        110,
        "unsupported_extension",
        "the peer sent an extension the sender never offered",
    ),
    (
        111,
        "certificate_unobtainable",
        "a certificate could not be fetched from a URL",
    ),
    (
        112,
        "unrecognized_name",
        "the server has no configuration for the name in the SNI",
    ),
    (
        113,
        "bad_certificate_status_response",
        "the OCSP response stapled by the server was refused",
    ),
    (
        114,
        "bad_certificate_hash_value",
        "a certificate hash did not match",
    ),
    (
        115,
        "unknown_psk_identity",
        "the server does not know the offered pre-shared key identity",
    ),
    (
        116,
        "certificate_required",
        "the server requires a client certificate and the client sent none",
    ),
    (
        120,
        "no_application_protocol",
        "the server supports none of the application protocols (ALPN) the client offered",
    ),
];

/// The plain meaning of an alert description number.
pub(crate) fn meaning(code: u16) -> &'static str {
    TABLE
        .iter()
        .find(|e| e.0 == code)
        .map_or("an alert number outside the IANA registry", |e| e.2)
}

/// Places `alert` in the handshake of `tls`.
pub(crate) fn stage(tls: &Tls, alert: &Alert) -> Stage {
    let before = |f: FrameNo| f <= alert.frame;
    let finished_before = tls
        .timeline
        .iter()
        .filter(|e| e.what.starts_with("Finished") && e.frame < alert.frame)
        .count();
    if tls.handshake_complete
        && (tls
            .application_data
            .first_frame
            .is_some_and(|f| f < alert.frame)
            || finished_before >= 2)
    {
        return Stage::AfterHandshake;
    }
    match alert.sender {
        Side::Server => {
            if let Some(cc) = tls.client_certificates.as_ref().filter(|c| before(c.frame)) {
                return Stage::AfterClientCertificate {
                    empty: cc.certificates.is_empty(),
                };
            }
            let hello_seen = tls.server_hello.as_ref().is_some_and(|s| before(s.frame));
            if !hello_seen {
                if tls.hello_retry.as_ref().is_some_and(|h| before(h.frame)) {
                    return Stage::AfterHelloRetry;
                }
                if tls.client_hello.as_ref().is_some_and(|c| before(c.frame)) {
                    return Stage::AnsweringClientHello;
                }
                return Stage::Other;
            }
            let client_flight = tls
                .timeline
                .iter()
                .any(|e| e.sender == Side::Client && before(e.frame) && is_second_flight(&e.what));
            if client_flight {
                Stage::AfterClientFlight
            } else {
                Stage::Other
            }
        }
        Side::Client => {
            if tls
                .server_certificates
                .as_ref()
                .is_some_and(|c| before(c.frame))
            {
                Stage::AfterServerCertificate
            } else if tls.server_hello.as_ref().is_some_and(|s| before(s.frame)) {
                Stage::AfterServerHello
            } else if tls.hello_retry.as_ref().is_some_and(|h| before(h.frame)) {
                Stage::AfterHelloRetry
            } else {
                Stage::Other
            }
        }
    }
}

fn is_second_flight(what: &str) -> bool {
    what.starts_with("ClientKeyExchange")
        || what.starts_with("Finished")
        || what.starts_with("CertificateVerify")
}

/// Typical causes for `code` sent by `sender` at `stage`, specific where the
/// combination says more than the description alone.
pub(crate) fn likely_causes(code: u16, sender: Side, stage: Stage) -> &'static str {
    use Side::{Client, Server};
    match (code, sender, stage) {
        (id::PROTOCOL_VERSION, Server, Stage::AnsweringClientHello) => {
            "the server does not support any TLS version the client offered: typically a TLS 1.3-only client against a server capped at TLS 1.2 (or older), or a TLS 1.2 client against a server whose minimum was raised to TLS 1.3"
        }
        (id::PROTOCOL_VERSION, Client, _) => {
            "the server chose a version the client does not accept (too old for the client's minimum)"
        }
        (
            id::HANDSHAKE_FAILURE | id::INSUFFICIENT_SECURITY,
            Server,
            Stage::AnsweringClientHello,
        ) => {
            "the server found nothing acceptable in the ClientHello: no cipher suite in common, no key-exchange group in common, no signature algorithm that fits its certificate, or a policy refusal"
        }
        (id::HANDSHAKE_FAILURE, Server, Stage::AfterHelloRetry) => {
            "the client's second ClientHello still did not offer a usable key share"
        }
        (
            id::HANDSHAKE_FAILURE | id::CERTIFICATE_REQUIRED,
            Server,
            Stage::AfterClientCertificate { empty: true },
        ) => {
            "the server requires a client certificate and the client sent none: its keystore has no certificate, or none was issued by a CA the server listed in its CertificateRequest"
        }
        (id::BAD_CERTIFICATE, Server, Stage::AfterClientCertificate { empty: true }) => {
            "the server requires a client certificate and the client sent an empty Certificate message"
        }
        (c, Server, Stage::AfterClientCertificate { empty: false })
            if CERTIFICATE_ALERTS.contains(&c) =>
        {
            "the server refused the client certificate: issuer not in its trust store, expired, revoked, wrong key usage, or an incomplete client chain"
        }
        (c, Client, Stage::AfterServerCertificate) if CERTIFICATE_ALERTS.contains(&c) => {
            "the client refused the server certificate: untrusted or missing intermediate CA, expired or not yet valid, or a host name that the certificate does not cover"
        }
        (id::DECRYPT_ERROR, _, _) => {
            "a signature or Finished check failed: a certificate and private key that do not belong together, a TLS-intercepting middlebox, or corrupted packets"
        }
        (id::DECODE_ERROR, Client, Stage::Other) => {
            "the client got bytes that are not a TLS record: the server closed, or answered with another protocol"
        }
        (id::UNEXPECTED_MESSAGE, _, _) => {
            "the peers disagree about the protocol state: a TLS implementation bug, a middlebox rewriting the handshake, or a version-specific extension mishandled"
        }
        (id::ILLEGAL_PARAMETER, _, _) => {
            "a field the sender did not accept: for example a ServerHello picking a group or suite the client never offered, or a malformed key share"
        }
        (id::INTERNAL_ERROR, _, _) => {
            "the sender's own problem: missing or unreadable key/certificate file, an engine/HSM error, or memory exhaustion; look at the sender's logs"
        }
        (id::UNRECOGNIZED_NAME, Server, _) => {
            "the server has no virtual host or certificate configured for the requested SNI name"
        }
        (id::NO_APPLICATION_PROTOCOL, Server, _) => {
            "the server requires an application protocol (ALPN, e.g. h2) the client did not offer"
        }
        (id::INAPPROPRIATE_FALLBACK, Server, _) => {
            "the client retried with a lower version and marked it as a fallback, but the server supports a higher version: the first attempt failed for another reason (network, middlebox)"
        }
        (id::HANDSHAKE_FAILURE, _, Stage::AfterHandshake) => {
            "a second handshake on the established connection (renegotiation, or a request for a client certificate) was refused; look for a no_renegotiation alert just before"
        }
        (id::NO_RENEGOTIATION, _, _) => "renegotiation is disabled on the sender",
        (id::USER_CANCELED, _, _) => {
            "the sender's application gave up, often followed by close_notify"
        }
        (c, _, _) if CERTIFICATE_ALERTS.contains(&c) => "the sender refused the peer's certificate",
        _ => "see the sender's logs for the exact reason",
    }
}

/// One sentence: who sent which alert, when, what it means, and typical causes.
pub(crate) fn describe(tls: &Tls, alert: &Alert) -> String {
    let name = description_name(alert);
    let Some(code) = description_id(alert) else {
        return format!(
            "the {} sent an encrypted alert (frame {})",
            alert.sender, alert.frame
        );
    };
    let st = stage(tls, alert);
    format!(
        "the {} sent a {} {} alert (frame {}) {}: {}. Typical causes: {}.",
        alert.sender,
        alert.level,
        name,
        alert.frame,
        st.phrase(),
        meaning(code),
        likely_causes(code, alert.sender, st)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    #[test]
    fn server_alert_without_server_hello_answers_the_client_hello() {
        let mut t = tls();
        t.client_hello = Some(Box::new(client_offer()));
        let a = alert(Side::Server, 6, id::PROTOCOL_VERSION, "protocol_version");
        assert_eq!(stage(&t, &a), Stage::AnsweringClientHello);
        let text = describe(&t, &a);
        assert!(text.contains("server sent a fatal protocol_version alert (frame 6) right after the client's ClientHello"), "{text}");
        assert!(text.contains("TLS 1.3-only client"), "{text}");
    }

    #[test]
    fn server_alert_after_empty_client_certificate() {
        let mut t = tls();
        t.client_hello = Some(Box::new(client_offer()));
        t.server_hello = Some(Box::new(server_hello(6)));
        t.client_certificates = Some(chain(8, vec![]));
        let a = alert(Side::Server, 9, id::HANDSHAKE_FAILURE, "handshake_failure");
        assert_eq!(stage(&t, &a), Stage::AfterClientCertificate { empty: true });
        assert!(
            likely_causes(id::HANDSHAKE_FAILURE, Side::Server, stage(&t, &a))
                .contains("requires a client certificate")
        );
        // The same description answering a ClientHello means something else.
        assert!(
            !likely_causes(
                id::HANDSHAKE_FAILURE,
                Side::Server,
                Stage::AnsweringClientHello
            )
            .contains("client certificate")
        );
    }

    #[test]
    fn names_fall_back_to_the_table_and_numbers() {
        let mut a = alert(Side::Client, 8, id::UNKNOWN_CA, "unknown_ca");
        a.description = Some(crate::model::Named { id: 48, name: None });
        assert_eq!(description_name(&a), "unknown_ca");
        a.description = Some(crate::model::Named {
            id: 200,
            name: None,
        });
        assert_eq!(description_name(&a), "200");
        assert_eq!(meaning(200), "an alert number outside the IANA registry");
    }
}
