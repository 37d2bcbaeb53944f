//! tcp-reset-during-handshake: a RST between the ClientHello and the end of the handshake.
//!
//! Precedence: quiet when an alert (visible, or inferred from an encrypted
//! record) came before the RST — the alert explains the failure and the RST
//! is only the teardown; quiet when the server never answered and the client
//! reset (no-server-response); quiet on non-TLS streams (not-tls).
use crate::model::Connection;
use crate::rules::alerts::encrypted_alert_inferred::inferred_alert;
use crate::rules::transport::facts::{TcpClose, handshake_unfinished, server_spoke, tcp_close};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    TCP_RESET_DURING_HANDSHAKE {
        id: "tcp-reset-during-handshake",
        severity: Error,
        title: "the tcp connection was reset during the tls handshake",
        explanation: "A TCP RST ended the connection after the ClientHello and before the handshake finished, without any TLS alert. A TLS stack that rejects a handshake normally sends an alert first; a bare RST points at something else: a firewall or IPS that kills TLS it does not like (often on the SNI), a load balancer without a healthy backend, a server process that crashed or is not speaking TLS, or a peer that closed the socket with unread data.",
        remediation: "Find out who sent the RST: if it came from the server side, look at the server's logs and at any middlebox in front of it (firewall/IPS policies matching SNI, load balancer backend health); compare with a capture taken on the server itself: if the server never sent it, a device in between did. Retry with `openssl s_client -connect HOST:PORT -servername NAME -msg` to see how far the handshake gets.",
        fires_on: ["reset-during-handshake.pcap"],
        quiet_on: ["tls12-ok.pcap", "closed-without-alert.pcap", "cipher-mismatch.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn
        .tls
        .as_ref()
        .filter(|t| handshake_unfinished(t) && t.not_tls.is_none())
    else {
        return;
    };
    let Some((TcpClose::Rst, by, rst)) = tcp_close(conn) else {
        return;
    };
    if tls.alerts.iter().any(|a| a.frame <= rst) || inferred_alert(conn).is_some() {
        return;
    }
    if by == Side::Client && !server_spoke(conn) {
        return;
    }
    let last = tls.timeline.iter().rev().find(|e| e.frame <= rst);
    let after = last.map_or("the ClientHello".to_string(), |e| {
        format!("the {}'s {} (frame {})", e.sender, e.what, e.frame)
    });
    let ch = tls.client_hello.as_ref().map(|c| c.frame);
    out.push(
        Finding::new(
            &TCP_RESET_DURING_HANDSHAKE,
            Some(conn.id),
            format!("{by} reset the connection (frame {rst}) during the handshake, with no tls alert"),
            format!(
                "The {by} side ({}) sent a TCP RST at frame {rst}, after {after}, before the handshake finished and without a TLS alert{}. A TLS implementation that refuses a handshake normally says why with an alert; a bare RST usually comes from a firewall/IPS or load balancer in the path, a crashed or non-TLS server process, or a socket closed with unread data. The RST may also have been forged by a device in between: only a capture on the {by} itself proves who sent it.",
                if by == Side::Server { conn.server } else { conn.client },
                tls.sni.as_ref().map(|s| format!(" (SNI {s})")).unwrap_or_default()
            ),
        )
        .frames(ch)
        .frames(last.map(|e| e.frame))
        .frames([rst])
        .fact(format!("reset by: {by}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::tcp::TcpEnd;
    use crate::types::FrameNo;

    fn reset(by: Side) -> Connection {
        let mut c = conn(1, Some(hello_only()), Status::Failed);
        c.tcp.end = TcpEnd::Rst {
            by,
            frame: FrameNo(6),
        };
        c
    }

    #[test]
    fn server_rst_after_client_hello_fires() {
        let out = run_conn(check, &reset(Side::Server));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(
            out[0]
                .title
                .starts_with("server reset the connection (frame 6)")
        );
        assert!(out[0].explanation.contains("SNI server.tlsdiag.test"));
    }

    #[test]
    fn quiet_after_an_alert_or_when_the_client_gave_up_on_silence() {
        let mut c = reset(Side::Server);
        if let Some(t) = c.tls.as_mut() {
            t.alerts
                .push(alert(Side::Server, 5, 40, "handshake_failure"));
        }
        assert!(run_conn(check, &c).is_empty());
        assert!(run_conn(check, &reset(Side::Client)).is_empty());
    }
}
