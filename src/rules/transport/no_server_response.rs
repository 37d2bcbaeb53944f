//! no-server-response: the ClientHello got no answer at all.
use crate::model::Connection;
use crate::rules::transport::facts::{server_spoke, tcp_close};
use crate::rules::{Context, Finding};

declare_rule! {
    NO_SERVER_RESPONSE {
        id: "no-server-response",
        severity: Error,
        title: "the server never answered the ClientHello",
        explanation: "TCP connected and the client sent its ClientHello, but the server sent nothing back before the client gave up or the capture ended. The service accepted the connection but is not answering TLS: it is hung or overloaded, it waits for the client to speak another protocol first (SMTP, FTP, a proxy protocol header), it expects plain text, or a device in between swallows the ClientHello (an IPS holding it, an MTU problem dropping the large packet).",
        remediation: "Server team: check the service is healthy and really speaks TLS directly on this port (not STARTTLS, not PROXY protocol). Network: a large ClientHello (post-quantum key shares make it > 1500 bytes) that vanishes points at an MTU/MSS problem — compare with `openssl s_client -connect HOST:PORT -groups X25519` (a small ClientHello). Check `curl -v --max-time 10 https://HOST:PORT/`.",
        fires_on: ["no-server-response.pcap"],
        quiet_on: ["tls12-ok.pcap", "reset-during-handshake.pcap", "closed-without-alert.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(ch) = tls.client_hello.as_ref() else {
        return;
    };
    if server_spoke(conn) || tls.not_tls.is_some() || conn.tcp.one_sided.is_some() {
        return;
    }
    let waited = conn.last_ts.since(ch.ts);
    let close = tcp_close(conn);
    // The server closing (FIN or RST) is an answer: closed-without-alert and
    // tcp-reset-during-handshake explain those.
    if close.is_some_and(|(_, by, _)| by == crate::types::Side::Server) {
        return;
    }
    let ending = match close {
        Some((kind, by, frame)) => format!(
            "the {by} then closed the connection ({} at frame {frame})",
            if kind == crate::rules::transport::facts::TcpClose::Fin {
                "FIN"
            } else {
                "RST"
            }
        ),
        None => "the capture ends with the connection still open".to_string(),
    };
    out.push(
        Finding::new(
            &NO_SERVER_RESPONSE,
            Some(conn.id),
            format!("{} sent nothing after the ClientHello (frame {}) for {waited:.1} s", conn.server, ch.frame),
            format!(
                "The client {} sent its ClientHello{} to {} at frame {} ({} bytes towards the server in all) and got no TLS answer in the {waited:.1} s that follow; {ending}. The server accepted TCP but never spoke TLS.",
                conn.client,
                tls.sni.as_ref().map(|s| format!(" (SNI {s})")).unwrap_or_default(),
                conn.server,
                ch.frame,
                conn.tcp.to_server.bytes
            ),
        )
        .frames([ch.frame])
        .frames(close.map(|c| c.2))
        .fact(format!("waited: {waited:.1} s")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::tcp::TcpEnd;
    use crate::types::{FrameNo, Side};

    #[test]
    fn silence_after_client_hello_fires() {
        let mut c = conn(1, Some(hello_only()), Status::Failed);
        c.tcp.end = TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(6),
        };
        c.last_ts = ts(3010);
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(out[0].title.contains("for 3.0 s"), "{}", out[0].title);
        assert!(
            out[0]
                .explanation
                .contains("client then closed the connection (FIN at frame 6)")
        );
    }

    #[test]
    fn quiet_when_the_server_said_anything() {
        let c = refused_hello(40, "handshake_failure");
        assert!(run_conn(check, &c).is_empty());
    }
}
