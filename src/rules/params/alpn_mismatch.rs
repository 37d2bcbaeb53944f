//! alpn-mismatch: no application protocol in common.
use crate::model::Connection;
use crate::rules::alerts::meaning::id;
use crate::rules::transport::facts::alert_with;
use crate::rules::{Context, Finding};

declare_rule! {
    ALPN_MISMATCH {
        id: "alpn-mismatch",
        severity: Error,
        title: "client and server have no application protocol (alpn) in common",
        explanation: "With ALPN the client lists the application protocols it can speak over TLS (`h2`, `http/1.1`, `grpc-exp`...) and the server picks one. A server configured to require a protocol the client did not list ends the handshake with no_application_protocol. Typical: a gRPC/HTTP2-only backend reached by an HTTP/1.1 client or health check.",
        remediation: "Make the lists overlap: let the client offer the protocol the server requires (curl `--http2`, OpenSSL `-alpn h2,http/1.1`), or let the server accept the client's (e.g. enable HTTP/1.1 on the listener, or don't enforce ALPN). Check with `openssl s_client -connect HOST:PORT -alpn h2,http/1.1` (\"ALPN protocol:\" line).",
        fires_on: ["alpn-mismatch.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    let offered = if offer.alpn.is_empty() {
        "no ALPN at all".to_string()
    } else {
        offer.alpn.join(", ")
    };
    if let Some(a) = alert_with(tls, id::NO_APPLICATION_PROTOCOL) {
        out.push(
            Finding::new(
                &ALPN_MISMATCH,
                Some(conn.id),
                format!("{} refused the client's alpn list ({offered})", a.sender),
                format!(
                    "The client offered {offered} in its ClientHello (frame {}); the {} supports none of them and ended the handshake with no_application_protocol (frame {}). The server requires a protocol (often h2 for gRPC/HTTP2 services) that the client did not list.",
                    offer.frame, a.sender, a.frame
                ),
            )
            .frames([offer.frame, a.frame])
            .fact(format!("client ALPN: {offered}")),
        );
        return;
    }
    if let Some((sh, chosen)) = tls
        .server_hello
        .as_ref()
        .and_then(|s| s.alpn.as_ref().map(|p| (s, p)))
        && !offer.alpn.iter().any(|p| p == chosen)
    {
        out.push(
            Finding::new(
                &ALPN_MISMATCH,
                Some(conn.id),
                format!("server selected alpn {chosen} which the client did not offer"),
                format!(
                    "The client offered {offered} (frame {}) but the ServerHello (frame {}) selected {chosen}; a compliant client aborts the handshake.",
                    offer.frame, sh.frame
                ),
            )
            .frames([offer.frame, sh.frame]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::FrameNo;

    #[test]
    fn names_the_offered_protocols() {
        let mut c = refused_hello(id::NO_APPLICATION_PROTOCOL, "no_application_protocol");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.alpn = vec!["http/1.1".into()];
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server refused the client's alpn list (http/1.1)"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(run_conn(check, &completed12()).is_empty());
    }
}
