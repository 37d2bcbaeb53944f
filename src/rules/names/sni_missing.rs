//! sni-missing: the ClientHello has no server_name extension.
//!
//! Error when the handshake then failed, or when `--expect-host` is given and
//! the certificate served does not cover it; info otherwise (clients
//! legitimately omit SNI when connecting to an IP address).
use crate::certs::matches_host;
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};

declare_rule! {
    SNI_MISSING {
        id: "sni-missing",
        severity: Error,
        title: "the client did not send a server name (sni)",
        explanation: "The ClientHello has no server_name extension, so the server cannot tell which of its sites the client wants. Servers and load balancers that host several names then serve their default certificate (often for another name, so the client's hostname check fails) or refuse the handshake. Clients omit SNI when they connect to an IP address, when SNI is disabled (Java `jsse.enableSNIExtension=false`, old libraries), or when a proxy rewrites the connection.",
        remediation: "Client team: connect by host name and make sure SNI is sent (curl and browsers do; for OpenSSL `-servername NAME`; in Java do not disable `jsse.enableSNIExtension` and use a host name, not an IP). Server team: make the default certificate cover the name clients use without SNI. Compare `openssl s_client -connect HOST:PORT -noservername` with `-servername NAME`.",
        fires_on: ["sni-missing.pcap"],
        quiet_on: ["tls12-ok.pcap", "sni-unrecognized.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    if tls.sni.is_some() || tls.not_tls.is_some() {
        return;
    }
    let leaf = tls
        .server_certificates
        .as_ref()
        .and_then(|c| c.leaf().map(|l| (c.frame, l)));
    let expected = cx.options.expect_host.as_deref();
    let wrong_cert = match (expected, leaf) {
        (Some(host), Some((_, cert))) if cert.parse_error.is_none() => {
            Some(matches_host(cert, host)).filter(|m| !m.matched)
        }
        _ => None,
    };
    let failed = conn.failed() && !tls.handshake_complete;
    let served = leaf.map(|(f, c)| {
        format!(
            " The server then sent a certificate for {} (frame {f}).",
            if c.san.dns.is_empty() {
                c.subject_cn.clone().unwrap_or_else(|| c.subject.clone())
            } else {
                c.san.dns.join(", ")
            }
        )
    });
    let mut explanation = format!(
        "The ClientHello (frame {}) to {} carries no server_name extension, so the server had to guess which site is meant.{}",
        offer.frame,
        conn.server,
        served.unwrap_or_default()
    );
    let severity = if let Some(m) = &wrong_cert {
        explanation.push_str(&format!(
            " That certificate does not cover {} (the expected host): without SNI the server served its default certificate.",
            m.host
        ));
        Severity::Error
    } else if failed {
        let reason = conn.outcome.reason.trim_end_matches('.');
        let reason = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        explanation.push_str(&format!(
            " The handshake then failed{reason}: without SNI a multi-site server serves its default certificate or refuses, which is the likely cause."
        ));
        Severity::Error
    } else {
        explanation.push_str(
            " The handshake still worked; it may break when the server gains a second site.",
        );
        Severity::Info
    };
    out.push(
        Finding::new(
            &SNI_MISSING,
            Some(conn.id),
            format!("ClientHello to {} has no SNI", conn.server),
            explanation,
        )
        .severity(severity)
        .frames([offer.frame])
        .frames(leaf.map(|l| l.0))
        .frames(tls.alerts.first().map(|a| a.frame)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::RuleOptions;
    use crate::rules::alerts::testkit::*;
    use crate::types::{FrameNo, Side};

    fn without_sni(c: &mut Connection) {
        if let Some(t) = c.tls.as_mut() {
            t.sni = None;
        }
    }

    #[test]
    fn failed_handshake_without_sni_is_an_error() {
        let mut c = completed12();
        without_sni(&mut c);
        if let Some(t) = c.tls.as_mut() {
            t.handshake_complete = false;
            t.alerts.push(alert(Side::Client, 8, 42, "bad_certificate"));
        }
        c.outcome.status = Status::Failed;
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        assert_eq!(
            out[0].evidence.frames,
            vec![FrameNo(4), FrameNo(6), FrameNo(8)]
        );
        assert!(
            out[0]
                .explanation
                .contains("certificate for server.tlsdiag.test (frame 6)")
        );
    }

    #[test]
    fn working_handshake_without_sni_is_info_unless_the_name_is_wrong() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty(), "SNI present");
        without_sni(&mut c);
        assert_eq!(run_conn(check, &c)[0].severity, Severity::Info);
        let opts = RuleOptions {
            expect_host: Some("api.tlsdiag.test".into()),
            ..RuleOptions::default()
        };
        let out = run_conn_opts(check, &c, &opts);
        assert_eq!(out[0].severity, Severity::Error);
        assert!(
            out[0]
                .explanation
                .contains("does not cover api.tlsdiag.test")
        );
    }
}
