//! certificate-name-mismatch: the server certificate does not cover the name
//! the client asked for (SNI, else `--expect-host`), RFC 6125 rules via
//! `certs::matches_host`.
use crate::certs::{NameSource, matches_host};
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    CERTIFICATE_NAME_MISMATCH {
        id: "certificate-name-mismatch",
        severity: Error,
        title: "the server certificate does not cover the requested host name",
        explanation: "A client checks that the server certificate was issued for the host it connects to: the name must appear in the certificate's subjectAltName DNS entries (the subject CN counts only when there is no SAN at all), where a wildcard `*.example.com` covers exactly one label (`a.example.com`, not `example.com` or `a.b.example.com`). Here the name the client asked for is not covered, so a verifying client aborts (usually with bad_certificate or certificate_unknown) and a non-verifying one is open to impersonation.",
        remediation: "Server team: serve a certificate whose SAN includes the name (or map this SNI to the right certificate on the server or load balancer). Client team: connect with the name the certificate was issued for. Inspect the names with `openssl x509 -in server.pem -noout -ext subjectAltName` (after `tlsdiag certs CAPTURE --out DIR`), and test with `openssl s_client -connect HOST:PORT -servername NAME -verify_hostname NAME`.",
        fires_on: ["server-name-mismatch-abort.pcap", "server-name-mismatch-continue.pcap"],
        quiet_on: ["tls12-ok.pcap", "mtls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(chain) = tls.server_certificates.as_ref() else {
        return;
    };
    let Some(leaf) = chain.leaf().filter(|l| l.parse_error.is_none()) else {
        return;
    };
    let (host, from) = match (&tls.sni, &cx.options.expect_host) {
        (Some(s), _) => (s.as_str(), "SNI"),
        (None, Some(h)) => (h.as_str(), "--expect-host"),
        (None, None) => return,
    };
    let m = matches_host(leaf, host);
    if m.matched {
        return;
    }
    let source = match m.source {
        NameSource::DnsSan => "DNS subjectAltNames",
        NameSource::IpSan => "IP subjectAltNames",
        NameSource::CommonName => "subject CN (the certificate has no DNS/IP SAN)",
    };
    let names = if m.checked.is_empty() {
        "none".to_string()
    } else {
        m.checked.join(", ")
    };
    let reaction = tls
        .alerts
        .iter()
        .find(|a| a.sender == crate::types::Side::Client && a.frame > chain.frame)
        .map(|a| format!(" The client then aborted with {} (frame {}).", crate::rules::alerts::meaning::description_name(a), a.frame))
        .unwrap_or_else(|| {
            if tls.handshake_complete {
                " The handshake still completed: the client did not check the name, so it would accept an impostor too.".to_string()
            } else {
                String::new()
            }
        });
    out.push(
        Finding::new(
            &CERTIFICATE_NAME_MISMATCH,
            Some(conn.id),
            format!("server certificate does not cover {} (it names {names})", m.host),
            format!(
                "The client asked for {} ({from}) but the server's certificate (frame {}, subject {}, issued by {}) only names {names} in its {source}.{reaction}",
                m.host,
                chain.frame,
                leaf.subject,
                leaf.issuer
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([chain.frame])
        .frames(tls.alerts.iter().find(|a| a.frame > chain.frame).map(|a| a.frame))
        .fact(format!("requested ({from}): {}", m.host))
        .fact(format!("certificate names: {names}"))
        .fact(format!("certificate sha256: {}", leaf.sha256)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleOptions;
    use crate::rules::alerts::testkit::*;
    use crate::types::{FrameNo, Side};

    fn wrong_name() -> Connection {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.server_certificates = Some(chain(
                6,
                vec![cert(
                    "wrong.tlsdiag.test",
                    &["wrong.tlsdiag.test", "*.other.test"],
                    "bb",
                )],
            ));
            t.handshake_complete = false;
            t.alerts.push(alert(Side::Client, 8, 42, "bad_certificate"));
        }
        c
    }

    #[test]
    fn sni_not_in_san_fires_with_names() {
        let out = run_conn(check, &wrong_name());
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server certificate does not cover server.tlsdiag.test (it names wrong.tlsdiag.test, *.other.test)"
        );
        assert_eq!(
            out[0].evidence.frames,
            vec![FrameNo(4), FrameNo(6), FrameNo(8)]
        );
        assert!(
            out[0]
                .explanation
                .contains("aborted with bad_certificate (frame 8)")
        );
    }

    #[test]
    fn matching_name_quiet_and_expect_host_used_without_sni() {
        assert!(run_conn(check, &completed12()).is_empty());
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.sni = None;
        }
        assert!(
            run_conn(check, &c).is_empty(),
            "nothing to compare without SNI or --expect-host"
        );
        let opts = RuleOptions {
            expect_host: Some("api.tlsdiag.test".into()),
            ..RuleOptions::default()
        };
        let out = run_conn_opts(check, &c, &opts);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("(--expect-host)"));
        assert!(out[0].explanation.contains("did not check the name"));
    }
}
