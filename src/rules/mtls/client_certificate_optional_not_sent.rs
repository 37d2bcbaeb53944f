//! client-certificate-optional-not-sent: a CertificateRequest, no client
//! certificate, and the handshake completed anyway.
use super::common::{no_client_certificate, requested_cas};
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    CLIENT_CERTIFICATE_OPTIONAL_NOT_SENT {
        id: "client-certificate-optional-not-sent",
        severity: Warning,
        title: "client sent no certificate and the server let the handshake complete",
        explanation: "The server asked for a client certificate but accepts connections without one (client authentication optional: nginx `ssl_verify_client optional`, API Gateway mutual TLS passing the decision on). The TLS handshake succeeds, and the application behind it then rejects the request: API Gateway answers 403 Forbidden, nginx 400 \"No required SSL certificate was sent\". The TLS layer looks healthy while every request fails.",
        remediation: "On the client: send a certificate issued by one of the CAs the server names (see this finding). On the server: if a certificate is required, make client authentication mandatory so the failure shows at the TLS layer (`ssl_verify_client on`), where it is easier to diagnose.",
        fires_on: ["mtls12-optional-not-sent.pcap"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-client-cert-missing.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(cr) = tls.certificate_request.as_ref() else {
        return;
    };
    if !tls.handshake_complete || !no_client_certificate(tls) {
        return;
    }
    out.push(
        Finding::new(
            &CLIENT_CERTIFICATE_OPTIONAL_NOT_SENT,
            Some(conn.id),
            format!("client sent no certificate after the CertificateRequest (frame {}) and the handshake still completed", cr.frame),
            format!(
                "In its CertificateRequest (frame {}) {}. The client sent {}, and the server completed the handshake anyway: client authentication is optional there. The application behind it will see a request without a client identity and is likely to reject it (HTTP 403 or 400) — look at the response, not the handshake.",
                cr.frame,
                requested_cas(cr),
                match &tls.client_certificates {
                    Some(c) => format!("an empty Certificate message (frame {})", c.frame),
                    None => "no Certificate message".to_string(),
                }
            ),
        )
        .frames([cr.frame])
        .frames(tls.client_certificates.as_ref().map(|c| c.frame))
        .frames(tls.application_data.first_frame),
    );
}
