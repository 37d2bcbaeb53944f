//! handshake-encrypted: TLS 1.3 without keys hides the certificates.
use crate::model::{Connection, DecryptionStatus, EncryptedRecord};
use crate::rules::alerts::encrypted_alert_inferred::{ClientFlight, read_client_flight};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    HANDSHAKE_ENCRYPTED {
        id: "handshake-encrypted",
        severity: Info,
        title: "the handshake after the ServerHello is encrypted",
        explanation: "In TLS 1.3 every handshake message after the ServerHello is encrypted: the server's certificate chain, whether the server asked for a client certificate (CertificateRequest), the client's certificate, and most alerts. Without the session keys tlsdiag can only see the hellos and the sizes of encrypted records, so certificate findings are absent because nothing could be checked — not because the certificates are fine.",
        remediation: "Capture the session keys and analyse again: run the client with `SSLKEYLOGFILE=/path/keys.log` (curl, browsers, Python, Go with `KeyLogWriter`, Java via an agent such as jSSLKeyLog; OpenSSL `s_client -keylogfile`), then `tlsdiag analyze CAPTURE --keylog /path/keys.log`. Or, to check the server certificate alone: `openssl s_client -connect HOST:PORT -servername NAME -showcerts`.",
        fires_on: ["tls13-ok.pcap", "mtls13-client-cert-missing.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap --keylog captures/tls13-ok.keys", "tls13-dsb.pcapng"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref().filter(|t| t.encrypted_handshake) else {
        return;
    };
    let count = |s: Side| {
        tls.encrypted_flight
            .iter()
            .filter(|r| r.sender == s && r.content_type != 20)
            .count()
    };
    let sh = tls.server_hello.as_ref().map(|s| s.frame);
    let why = match tls.decryption.as_ref() {
        None => "no keys were given".to_string(),
        Some(d) => match d.status {
            DecryptionStatus::KeysWrong => "the keys given do not decrypt it".to_string(),
            DecryptionStatus::NotSupported => d
                .note
                .clone()
                .unwrap_or_else(|| "it cannot be decrypted".into()),
            _ => "the key log has no secrets for it".to_string(),
        },
    };
    let mut finding = Finding::new(
            &HANDSHAKE_ENCRYPTED,
            Some(conn.id),
            format!(
                "{} handshake after the ServerHello{} is encrypted and {why}",
                tls.version.as_ref().map_or("the".to_string(), |v| v.label()),
                sh.map(|f| format!(" (frame {f})")).unwrap_or_default()
            ),
            format!(
                "After the ServerHello the server sent {} encrypted records and the client {}; the server certificate, any CertificateRequest, the client certificate and alerts are inside them. Certificate and mutual-TLS checks could not run on this connection; a key log (--keylog) would show them.",
                count(Side::Server),
                count(Side::Client)
            ),
        )
        .frames(sh);
    if let Some(guess) = client_auth_from_sizes(tls) {
        finding = finding.fact(format!("inferred from record sizes: {guess}"));
    }
    out.push(finding);
}

/// What the sizes of the client's encrypted flight say about client
/// authentication (an inference, worded as one).
fn client_auth_from_sizes(tls: &crate::model::Tls) -> Option<String> {
    let records: Vec<&EncryptedRecord> = tls
        .encrypted_flight
        .iter()
        .filter(|r| r.content_type == 23)
        .collect();
    let first = records.iter().find(|r| r.sender == Side::Client)?;
    // The client's flight: its records up to the server's next record.
    let end = records
        .iter()
        .find(|r| r.sender == Side::Server && r.frame > first.frame)
        .map_or(u64::MAX, |r| r.frame.0);
    let flight: Vec<&EncryptedRecord> = records
        .iter()
        .copied()
        .filter(|r| r.sender == Side::Client && r.frame.0 <= end)
        .collect();
    Some(match read_client_flight(&flight) {
        ClientFlight::EmptyCertificate => format!(
            "the client's first encrypted record is {} bytes, the size of an empty Certificate: the server most likely asked for a client certificate and the client had none to send",
            first.len
        ),
        ClientFlight::Certificate { size } => format!(
            "the client's first encrypted record is {size} bytes, then more records: most likely a client certificate, CertificateVerify and Finished"
        ),
        ClientFlight::FinishedOnly | ClientFlight::None => format!(
            "the client's flight looks like Finished alone ({} bytes): most likely no client certificate was asked for or sent",
            first.len
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn encrypted_handshake_is_reported_once() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        if let Some(t) = c.tls.as_mut() {
            t.encrypted_handshake = true;
            t.version = Some(named(0x0304, "TLS 1.3"));
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, crate::rules::Severity::Info);
        assert!(
            out[0]
                .title
                .starts_with("TLS 1.3 handshake after the ServerHello (frame 6)")
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(6)]);
    }
}
