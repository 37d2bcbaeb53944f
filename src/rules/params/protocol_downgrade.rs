//! protocol-downgrade: a version below the client's best, or fallback signals.
//!
//! Owns the `inappropriate_fallback` alert (fatal-alert stays quiet for it);
//! that case is reported as an error because it ended the handshake. The
//! "client retried lower after a failure" case is fallback-retry's.
use crate::model::Connection;
use crate::rules::alerts::meaning::id;
use crate::rules::transport::facts::{
    alert_with, labels, max_offered, version_label, version_rank,
};
use crate::rules::{Context, Finding, Severity};

declare_rule! {
    PROTOCOL_DOWNGRADE {
        id: "protocol-downgrade",
        severity: Warning,
        title: "the connection used a lower tls version than the client supports",
        explanation: "The negotiated version is below the best the client offered, or the handshake carries a downgrade signal: the TLS 1.3 downgrade sentinel in ServerHello.random (a TLS 1.3 server negotiating 1.2 or lower), or TLS_FALLBACK_SCSV in the ClientHello (a client retrying with a lower version after a failed attempt). A server that supports a higher version answers such a fallback with inappropriate_fallback. Either the server is older than the client, or something between them interferes with the first attempt.",
        remediation: "Server team: enable TLS 1.3 (nginx `ssl_protocols TLSv1.2 TLSv1.3;`). If the client falls back, find why its first attempt failed (look for an earlier failed connection from the same client in the capture; middleboxes that drop large or TLS 1.3 ClientHellos are a usual cause). `openssl s_client -connect HOST:PORT -tls1_3` shows whether the server speaks TLS 1.3.",
        fires_on: ["fallback-scsv.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    let offered = labels(&offer.versions);
    if let Some(a) = alert_with(tls, id::INAPPROPRIATE_FALLBACK) {
        out.push(
            Finding::new(
                &PROTOCOL_DOWNGRADE,
                Some(conn.id),
                format!("server refused the client's fallback to {offered} (inappropriate_fallback, frame {})", a.frame),
                format!(
                    "The client offered {offered} and marked the ClientHello (frame {}) with TLS_FALLBACK_SCSV, i.e. \"I am retrying with a lower version after a failure\". The server supports a higher version, so it treated this as a possible downgrade attack and ended the handshake with inappropriate_fallback (frame {}). The real problem is whatever made the client's first attempt fail.",
                    offer.frame, a.frame
                ),
            )
            .severity(Severity::Error)
            .frames([offer.frame, a.frame])
            .fact("TLS_FALLBACK_SCSV: offered"),
        );
        return;
    }
    let sh = tls.server_hello.as_ref();
    let mut reasons = vec![];
    if let (Some(sh), Some(max)) = (sh, max_offered(offer))
        && version_rank(sh.version.id) < version_rank(max.id)
    {
        reasons.push(format!(
            "the client offered up to {} but the server chose {} (frame {})",
            version_label(max),
            version_label(&sh.version),
            sh.frame
        ));
    }
    // A TLS 1.3 server sets the sentinel whenever it negotiates TLS 1.2 or
    // lower (RFC 8446 4.1.3); it only signals a downgrade to a client that
    // offered TLS 1.3 itself.
    let client_offered_tls13 = max_offered(offer).is_some_and(|m| version_rank(m.id) >= 0x0304);
    if let Some(s) = sh
        .and_then(|s| s.downgrade_sentinel.as_ref())
        .filter(|_| client_offered_tls13)
    {
        reasons.push(format!("ServerHello.random carries the TLS 1.3 downgrade sentinel ({s}): the server itself supports TLS 1.3"));
    }
    if offer.fallback_scsv {
        reasons.push(format!("the ClientHello (frame {}) carries TLS_FALLBACK_SCSV: the client is retrying after a failed attempt", offer.frame));
    }
    if reasons.is_empty() {
        return;
    }
    let negotiated = sh.map_or("no version yet".to_string(), |s| version_label(&s.version));
    out.push(
        Finding::new(
            &PROTOCOL_DOWNGRADE,
            Some(conn.id),
            format!("connection downgraded to {negotiated} (client offered {offered})"),
            {
                let mut e = reasons.join("; ");
                if let Some(c) = e.get(..1) {
                    e = c.to_uppercase() + e.get(1..).unwrap_or("");
                }
                e + "."
            },
        )
        .frames([offer.frame])
        .frames(sh.map(|s| s.frame))
        .fact(format!("offered: {offered}"))
        .fact(format!("negotiated: {negotiated}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::FrameNo;

    #[test]
    fn lower_than_offered_is_a_warning() {
        let c = completed12(); // client offers 1.3 and 1.2; server chose 1.2
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(
            out[0]
                .explanation
                .contains("offered up to TLS 1.3 but the server chose TLS 1.2 (frame 6)")
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
    }

    #[test]
    fn inappropriate_fallback_is_the_error() {
        let mut c = refused_hello(id::INAPPROPRIATE_FALLBACK, "inappropriate_fallback");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.fallback_scsv = true;
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        assert!(out[0].title.contains("inappropriate_fallback, frame 6"));
    }

    #[test]
    fn same_version_is_quiet() {
        let mut c = completed12();
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions.remove(0);
        }
        assert!(run_conn(check, &c).is_empty());
    }
}
