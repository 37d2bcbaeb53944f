//! renegotiation: a handshake after the first one on the same connection.
use crate::model::Connection;
use crate::rules::alerts::meaning::id;
use crate::rules::transport::facts::alert_with;
use crate::rules::{Context, Finding, Severity};

declare_rule! {
    RENEGOTIATION {
        id: "renegotiation",
        severity: Info,
        title: "a second handshake was attempted on the connection",
        explanation: "After the first handshake one side started another (TLS 1.2 renegotiation; servers do it to ask for a client certificate only for some URLs). TLS 1.3 has no renegotiation, and many servers refuse it (no_renegotiation alert). Without the renegotiation_info extension (RFC 5746) renegotiation is insecure: an attacker can splice its own request in front of the client's.",
        remediation: "Prefer TLS 1.3 and post-handshake authentication, or request client certificates on the first handshake (a separate host name or port). If renegotiation is needed, make sure both sides support secure renegotiation (`openssl s_client -connect HOST:PORT` prints \"Secure Renegotiation IS supported\").",
        fires_on: ["renegotiation.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let refused = alert_with(tls, id::NO_RENEGOTIATION);
    if tls.renegotiations == 0 && refused.is_none() {
        return;
    }
    let secure = tls
        .client_hello
        .as_ref()
        .is_some_and(|c| c.renegotiation_info || c.cipher_suites.iter().any(|s| s.id == 0x00ff));
    let attempts: Vec<_> = tls
        .timeline
        .iter()
        .filter(|e| e.what.starts_with("ClientHello"))
        .skip(1)
        .map(|e| e.frame)
        .collect();
    // Inside an encrypted TLS 1.2 session the new handshake itself is not
    // readable; its ChangeCipherSpec messages (after the first pair) are.
    let later_ccs: Vec<_> = if attempts.is_empty() {
        let (mut from_client, mut from_server) = (0u32, 0u32);
        tls.timeline
            .iter()
            .filter(|e| e.what == "ChangeCipherSpec")
            .filter(|e| {
                let seen = match e.sender {
                    crate::types::Side::Client => &mut from_client,
                    crate::types::Side::Server => &mut from_server,
                };
                *seen += 1;
                *seen > 1
            })
            .map(|e| e.frame)
            .collect()
    } else {
        Vec::new()
    };
    let mut explanation = format!(
        "After the first handshake, {} further handshake(s) were seen on this connection{}.",
        tls.renegotiations
            .max(u32::try_from(attempts.len()).unwrap_or(u32::MAX)),
        attempts
            .first()
            .map(|f| format!(" (first new ClientHello at frame {f})"))
            .or_else(|| later_ccs.first().map(|f| format!(
                " (encrypted inside the session: seen as a new ChangeCipherSpec at frame {f}; --keylog would show the handshake)"
            )))
            .unwrap_or_default()
    );
    if let Some(a) = refused {
        explanation.push_str(&format!(
            " The {} refused it with a no_renegotiation alert (frame {}).",
            a.sender, a.frame
        ));
    }
    if !secure {
        explanation.push_str(" The client's first ClientHello had no renegotiation_info extension (nor the SCSV): this is insecure renegotiation (RFC 5746).");
    }
    let mut f = Finding::new(
        &RENEGOTIATION,
        Some(conn.id),
        match refused {
            Some(a) => format!(
                "renegotiation refused by the {} (no_renegotiation, frame {})",
                a.sender, a.frame
            ),
            None => "the connection was renegotiated".to_string(),
        },
        explanation,
    )
    .frames(attempts.iter().copied())
    .frames(later_ccs.iter().copied())
    .frames(refused.map(|a| a.frame))
    .fact(format!(
        "secure renegotiation (RFC 5746): {}",
        if secure { "offered" } else { "not offered" }
    ));
    if !secure {
        f = f.severity(Severity::Warning);
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Alert;
    use crate::rules::alerts::testkit::*;
    use crate::types::{FrameNo, Side};

    #[test]
    fn refused_renegotiation_is_reported_with_frames() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        if let Some(t) = c.tls.as_mut() {
            t.timeline.push(entry(11, Side::Client, "ClientHello"));
            t.alerts.push(Alert {
                level: "warning".into(),
                ..alert(Side::Server, 12, id::NO_RENEGOTIATION, "no_renegotiation")
            });
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Info);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(11), FrameNo(12)]);
        assert!(out[0].title.contains("refused by the server"));
    }

    #[test]
    fn insecure_renegotiation_is_a_warning() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.renegotiations = 1;
            if let Some(ch) = t.client_hello.as_mut() {
                ch.renegotiation_info = false;
            }
        }
        let out = run_conn(check, &c);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(out[0].explanation.contains("insecure renegotiation"));
    }
}
