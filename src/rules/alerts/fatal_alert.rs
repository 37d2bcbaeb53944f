//! fatal-alert: any fatal alert that no more specific rule explains.
//!
//! # Precedence (mirror this in rules that explain alerts)
//!
//! fatal-alert stays quiet for an alert when [`covering_rule`] names another
//! rule. "Stage" is [`meaning::stage`]: the last messages seen before the
//! alert frame.
//!
//! | description | sender | stage | explained by |
//! |---|---|---|---|
//! | protocol_version | any | before the handshake completed | protocol-version-mismatch |
//! | inappropriate_fallback | any | any | protocol-downgrade |
//! | no_application_protocol | any | any | alpn-mismatch |
//! | unrecognized_name | any | any | sni-unrecognized |
//! | handshake_failure, insufficient_security | server | answering the ClientHello (no ServerHello), or after a HelloRetryRequest | one of signature-algorithm-mismatch / no-common-group / cipher-suite-mismatch (`params::refusal`) |
//! | certificate_required | server | any | client-certificate-missing |
//! | handshake_failure, bad_certificate, certificate_unknown | server | after the client's Certificate message with no certificate in it | client-certificate-missing |
//! | bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired, certificate_unknown, unknown_ca, access_denied | server | after the client's (non-empty) Certificate | client-certificate-rejected |
//! | the same seven | client | after the server's Certificate | server-certificate-rejected |
//! | close_notify (not fatal) | any | before the handshake completed | close-notify-during-handshake |
//! | any | any | after the peer's TCP FIN/RST during the handshake (a reaction to the close) | closed-without-alert / tcp-reset-during-handshake |
//!
//! Everything else (decrypt_error, illegal_parameter, internal_error,
//! decode_error, a certificate alert with no Certificate before it, ...) is
//! reported here, worded by who sent it at which step.
use crate::model::{Alert, Connection, Tls};
use crate::rules::alerts::meaning::{self, CERTIFICATE_ALERTS, Stage, id};
use crate::rules::params::refusal::{Missing, refusal};
use crate::rules::transport::facts::{fatal_alerts, tcp_close};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    FATAL_ALERT {
        id: "fatal-alert",
        severity: Error,
        title: "a fatal tls alert ended the connection",
        explanation: "One side sent a fatal TLS alert, which ends the connection at once. The alert names the reason only coarsely; who sent it and after which message narrows it down (the same `handshake_failure` means \"no parameters in common\" in answer to a ClientHello and \"you sent no client certificate\" after an empty Certificate). This rule reports alerts that no more specific rule explains.",
        remediation: "Read the sender's logs around the alert's timestamp: the sender knows the exact reason. Reproduce with `openssl s_client -connect HOST:PORT -servername NAME -msg -state` to see the message before the alert.",
        fires_on: ["fatal-alert-illegal-parameter.pcap"],
        quiet_on: ["tls12-ok.pcap", "closed-without-alert.pcap", "version-mismatch.pcap", "cipher-mismatch.pcap", "alpn-mismatch.pcap", "sni-unrecognized.pcap", "mtls12-client-cert-missing.pcap", "server-cert-expired.pcap", "fallback-scsv.pcap", "no-common-group.pcap", "signature-algorithm-mismatch.pcap"],
        check: Connection(check),
    }
}

/// The rule that explains `alert` better than fatal-alert does, if any.
pub(crate) fn covering_rule(tls: &Tls, alert: &Alert) -> Option<&'static str> {
    let code = meaning::description_id(alert)?;
    let stage = meaning::stage(tls, alert);
    let refused = refusal(tls)
        .filter(|(a, _)| a.frame == alert.frame)
        .map(|(_, m)| m);
    match (code, alert.sender, stage) {
        (id::PROTOCOL_VERSION, _, s) if s != Stage::AfterHandshake => {
            Some("protocol-version-mismatch")
        }
        (id::INAPPROPRIATE_FALLBACK, _, _) => Some("protocol-downgrade"),
        (id::NO_APPLICATION_PROTOCOL, _, _) => Some("alpn-mismatch"),
        (id::UNRECOGNIZED_NAME, _, _) => Some("sni-unrecognized"),
        (id::CLOSE_NOTIFY, _, s) if s != Stage::AfterHandshake => {
            Some("close-notify-during-handshake")
        }
        (id::HANDSHAKE_FAILURE | id::INSUFFICIENT_SECURITY, Side::Server, _)
            if refused.is_some() =>
        {
            Some(match refused {
                Some(Missing::SignatureAlgorithms) => "signature-algorithm-mismatch",
                Some(Missing::Groups) => "no-common-group",
                _ => "cipher-suite-mismatch",
            })
        }
        (id::CERTIFICATE_REQUIRED, Side::Server, _) => Some("client-certificate-missing"),
        (
            id::HANDSHAKE_FAILURE | id::BAD_CERTIFICATE | id::CERTIFICATE_UNKNOWN,
            Side::Server,
            Stage::AfterClientCertificate { empty: true },
        ) => Some("client-certificate-missing"),
        (c, Side::Server, Stage::AfterClientCertificate { empty: false })
            if CERTIFICATE_ALERTS.contains(&c) =>
        {
            Some("client-certificate-rejected")
        }
        (c, Side::Client, Stage::AfterServerCertificate) if CERTIFICATE_ALERTS.contains(&c) => {
            Some("server-certificate-rejected")
        }
        _ => None,
    }
}

/// The alert answers the peer's FIN/RST, which the transport rules report.
fn reacts_to_close(conn: &Connection, alert: &Alert) -> bool {
    let handshake_open = conn.tls.as_ref().is_some_and(|t| !t.handshake_complete);
    handshake_open
        && tcp_close(conn).is_some_and(|(_, by, frame)| by != alert.sender && frame < alert.frame)
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    // Only the first unexplained fatal alert: later ones answer it.
    let Some(alert) = fatal_alerts(tls).find(|a| covering_rule(tls, a).is_none()) else {
        return;
    };
    if fatal_alerts(tls).any(|a| a.frame < alert.frame) || reacts_to_close(conn, alert) {
        return;
    }
    let name = meaning::description_name(alert);
    let stage = meaning::stage(tls, alert);
    let prev = tls
        .timeline
        .iter()
        .rev()
        .find(|e| e.frame < alert.frame && !e.what.starts_with("Alert"));
    out.push(
        Finding::new(
            &FATAL_ALERT,
            Some(conn.id),
            format!(
                "{} sent fatal alert {name} (frame {}) {}",
                alert.sender,
                alert.frame,
                stage.phrase()
            ),
            meaning::describe(tls, alert),
        )
        .frames(prev.map(|e| e.frame))
        .frames([alert.frame])
        .fact(format!("alert: {name} (fatal) from the {}", alert.sender))
        .fact(format!(
            "after: {}",
            prev.map_or("nothing seen".to_string(), |e| format!(
                "{} from the {} (frame {})",
                e.what, e.sender, e.frame
            ))
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn decode_error_after_server_close_fires() {
        // closed-without-alert.pcap: the server closed, the client answered decode_error.
        let mut t = hello_only();
        t.alerts
            .push(alert(Side::Client, 8, id::DECODE_ERROR, "decode_error"));
        let c = conn(1, Some(t), Status::Failed);
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, crate::rules::Severity::Error);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(8)]);
        assert!(
            out[0]
                .explanation
                .contains("client sent a fatal decode_error alert (frame 8)"),
            "{}",
            out[0].explanation
        );
    }

    #[test]
    fn handshake_failure_after_renegotiation_refusal_fires() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.timeline.push(entry(8, Side::Client, "Finished"));
            t.timeline
                .push(entry(12, Side::Server, "Alert(no_renegotiation)"));
            t.alerts.push(Alert {
                level: "warning".into(),
                ..alert(Side::Server, 12, id::NO_RENEGOTIATION, "no_renegotiation")
            });
            t.alerts.push(alert(
                Side::Client,
                14,
                id::HANDSHAKE_FAILURE,
                "handshake_failure",
            ));
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .explanation
                .contains("no_renegotiation alert just before"),
            "{}",
            out[0].explanation
        );
    }

    #[test]
    fn precedence_table() {
        let quiet = |c: Connection| assert!(run_conn(check, &c).is_empty());
        quiet(refused_hello(id::PROTOCOL_VERSION, "protocol_version"));
        quiet(refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure"));
        quiet(refused_hello(
            id::NO_APPLICATION_PROTOCOL,
            "no_application_protocol",
        ));
        quiet(refused_hello(id::UNRECOGNIZED_NAME, "unrecognized_name"));
        quiet(refused_hello(
            id::INAPPROPRIATE_FALLBACK,
            "inappropriate_fallback",
        ));
        // Client refuses the server's certificate: server-certificate-rejected.
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.handshake_complete = false;
            t.alerts
                .push(alert(Side::Client, 8, id::UNKNOWN_CA, "unknown_ca"));
            assert_eq!(
                covering_rule(t, &t.alerts[0]),
                Some("server-certificate-rejected")
            );
        }
        quiet(c);
        // Server after an empty client Certificate: client-certificate-missing.
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.handshake_complete = false;
            t.client_certificates = Some(chain(8, vec![]));
            t.alerts.push(alert(
                Side::Server,
                9,
                id::HANDSHAKE_FAILURE,
                "handshake_failure",
            ));
            assert_eq!(
                covering_rule(t, &t.alerts[0]),
                Some("client-certificate-missing")
            );
        }
        quiet(c);
    }

    #[test]
    fn certificate_alert_without_a_certificate_is_reported_here() {
        // bad_certificate answering a ClientHello: no certificate was exchanged.
        let c = refused_hello(id::BAD_CERTIFICATE, "bad_certificate");
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains(
            "server sent fatal alert bad_certificate (frame 6) right after the client's ClientHello"
        ));
    }
}
