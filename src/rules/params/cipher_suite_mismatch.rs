//! cipher-suite-mismatch: the server refused the ClientHello; the suites are
//! the most likely reason (see `params::refusal` for how that is decided).
use crate::model::{ClientOffer, Connection};
use crate::rules::params::refusal::{Missing, refusal};
use crate::rules::params::weak_cipher_negotiated::weakness;
use crate::rules::transport::facts::{labels, real_suites};
use crate::rules::{Context, Finding};

declare_rule! {
    CIPHER_SUITE_MISMATCH {
        id: "cipher-suite-mismatch",
        severity: Error,
        title: "client and server have no cipher suite in common",
        explanation: "The server answered the ClientHello with handshake_failure (or insufficient_security) and no ServerHello: it found nothing it accepts in the client's offer. The client's cipher-suite list is the usual culprit: a client restricted to a few suites (or only old CBC/RSA ones) meeting a server restricted to others, or suites for a certificate type the server does not have (ECDSA suites against an RSA certificate, or the reverse). The server alone knows its list, so compare it with the client's suites listed here.",
        remediation: "List what the server accepts: `nmap --script ssl-enum-ciphers -p PORT HOST`, or try suites one by one with `openssl s_client -connect HOST:PORT -tls1_2 -cipher SUITE`. Then widen the client's list (Java `jdk.tls.client.cipherSuites`, curl `--ciphers`) or the server's (nginx `ssl_ciphers`), keeping to ECDHE with AES-GCM or ChaCha20.",
        fires_on: ["cipher-mismatch.pcap"],
        quiet_on: ["tls12-ok.pcap", "no-common-group.pcap", "signature-algorithm-mismatch.pcap", "version-mismatch.pcap"],
        check: Connection(check),
    }
}

/// The client's suites grouped by kind, e.g. `TLS 1.3: …; ECDHE-ECDSA: …`.
pub(crate) fn classify_suites(offer: &ClientOffer) -> Vec<String> {
    let mut groups: Vec<(&str, Vec<String>)> = vec![];
    for s in real_suites(offer) {
        let name = s.label();
        let kind = if weakness(&name).is_some() {
            "weak"
        } else if matches!(s.id, 0x1301..=0x1305) {
            "TLS 1.3"
        } else if name.contains("ECDHE_ECDSA") {
            "ECDHE with ECDSA certificate"
        } else if name.contains("ECDHE_RSA") {
            "ECDHE with RSA certificate"
        } else if name.contains("DHE_") {
            "DHE"
        } else if name.starts_with("TLS_RSA_") {
            "RSA key exchange (no forward secrecy)"
        } else {
            "other"
        };
        match groups.iter_mut().find(|g| g.0 == kind) {
            Some(g) => g.1.push(name),
            None => groups.push((kind, vec![name])),
        }
    }
    groups
        .into_iter()
        .map(|(k, v)| format!("{k}: {}", v.join(", ")))
        .collect()
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some((alert, Missing::CipherSuites)) = refusal(tls) else {
        return;
    };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    let classes = classify_suites(offer);
    let n = real_suites(offer).len();
    let mut f = Finding::new(
        &CIPHER_SUITE_MISMATCH,
        Some(conn.id),
        format!("server accepted none of the client's {n} cipher suites ({} after the ClientHello)", crate::rules::alerts::meaning::description_name(alert)),
        format!(
            "The client offered {} with {n} cipher suite(s) (ClientHello, frame {}): {}. The server answered with a fatal {} alert (frame {}) and no ServerHello: none of these suites is enabled on it (or none fits its certificate's key type). Offered key-exchange groups ({}) and signature algorithms cover the usual choices, so the suite list is the most likely gap.",
            labels(&offer.versions),
            offer.frame,
            classes.join("; "),
            crate::rules::alerts::meaning::description_name(alert),
            alert.frame,
            labels(&offer.supported_groups)
        ),
    )
    .frames([offer.frame, alert.frame]);
    for c in classes {
        f = f.fact(format!("client suites, {c}"));
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::meaning::id;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn narrow_ecdsa_list_fires_with_classified_suites() {
        let mut c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions = vec![named(0x0303, "TLS 1.2")];
            o.cipher_suites = vec![
                named(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
                named(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
                named(0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
            ];
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(
            out[0]
                .title
                .contains("none of the client's 2 cipher suites")
        );
        assert!(
            out[0]
                .explanation
                .contains("ECDHE with ECDSA certificate: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            "{}",
            out[0].explanation
        );
    }

    #[test]
    fn group_and_sigalg_readings_are_quiet() {
        let mut c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.signature_algorithms = vec![named(0x0401, "rsa_pkcs1_sha256")];
        }
        assert!(run_conn(check, &c).is_empty());
        assert!(
            run_conn(
                check,
                &refused_hello(id::PROTOCOL_VERSION, "protocol_version")
            )
            .is_empty()
        );
    }
}
