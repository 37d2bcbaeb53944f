//! client-certificate-missing: the server sent a CertificateRequest and the
//! handshake failed with the client's Certificate empty (or absent).
use super::common::{no_client_certificate, requested_cas};
use crate::model::Connection;
use crate::rules::alerts::meaning;
use crate::rules::{Context, Finding};

declare_rule! {
    CLIENT_CERTIFICATE_MISSING {
        id: "client-certificate-missing",
        severity: Error,
        title: "server asked for a client certificate and got none",
        explanation: "The server requires mutual TLS: it sent a CertificateRequest naming the CAs it accepts, and the client answered with a Certificate message holding no certificate, so the server ended the handshake (handshake_failure, certificate_required or bad_certificate). Two causes account for nearly all cases: the client has no certificate configured (keystore empty, wrong path, the HTTP client not told to use it), or none of its certificates was issued by a CA in the server's list — Java and many other clients then silently send nothing rather than a certificate the server would refuse.",
        remediation: "On the client: configure a client certificate and key issued by one of the CAs the server lists (see the CA names in this finding), with its intermediates. Test with `openssl s_client -connect HOST:PORT -servername NAME -cert client.pem -key client.key -CAfile server-ca.pem` (the `Acceptable client certificate CA names` section shows the list), and check the client certificate's issuer with `openssl x509 -in client.pem -noout -issuer`. For Java, check the keystore (`keytool -list -v -keystore client.jks`) and that the issuer matches one of the names.",
        fires_on: ["mtls12-client-cert-missing.pcap", "mtls13-client-cert-missing.pcap --keylog captures/mtls13-client-cert-missing.keys", "tls13-dsb.pcapng"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-optional-not-sent.pcap", "tls12-ok.pcap", "mtls13-client-cert-missing.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(cr) = tls.certificate_request.as_ref() else {
        return;
    };
    if tls.handshake_complete || !no_client_certificate(tls) {
        return;
    }
    let sent = match &tls.client_certificates {
        Some(c) => format!(
            "a Certificate message with no certificate in it (frame {})",
            c.frame
        ),
        None => "no Certificate message at all".to_string(),
    };
    let alert = tls
        .alerts
        .iter()
        .find(|a| a.sender == crate::types::Side::Server && a.level == "fatal");
    let ending = match alert {
        Some(a) => format!(
            " The server then ended the handshake with {} (frame {}).",
            meaning::description_name(a),
            a.frame
        ),
        None => format!(" The handshake did not finish: {}.", conn.outcome.reason),
    };
    let mut f = Finding::new(
        &CLIENT_CERTIFICATE_MISSING,
        Some(conn.id),
        format!("server asked for a client certificate (frame {}) and the client sent none", cr.frame),
        format!(
            "In its CertificateRequest (frame {}) {}. The client answered with {sent}.{ending} Either the client has no certificate configured, or none of its certificates was issued by one of those CAs (many clients, Java among them, then send nothing).",
            cr.frame,
            requested_cas(cr)
        ),
    )
    .frames([cr.frame])
    .frames(tls.client_certificates.as_ref().map(|c| c.frame))
    .frames(alert.map(|a| a.frame));
    if cr.ca_names.is_empty() {
        f = f.fact("requested CAs: none named");
    }
    for n in &cr.ca_names {
        f = f.fact(format!("requested CA: {n}"));
    }
    out.push(f);
}
