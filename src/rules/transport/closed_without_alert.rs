//! closed-without-alert: a FIN during the handshake with no alert.
//!
//! Precedence: quiet when an alert came before the FIN (visible, encrypted,
//! or inferred from an encrypted record size), when the server never spoke
//! and the client closed (no-server-response), on non-TLS streams (not-tls).
use crate::model::Connection;
use crate::rules::alerts::encrypted_alert_inferred::inferred_alert;
use crate::rules::transport::facts::{TcpClose, handshake_unfinished, server_spoke, tcp_close};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    CLOSED_WITHOUT_ALERT {
        id: "closed-without-alert",
        severity: Error,
        title: "the connection was closed during the handshake without an alert",
        explanation: "One side closed the TCP connection (FIN) after the ClientHello and before the handshake finished, without sending a TLS alert first. Many servers do this instead of an alert when they reject the ClientHello outright: a TLS version they do not speak (old servers facing a TLS 1.3-only client), no common cipher suite, an SNI they do not serve, or a service that is not TLS. The peer then typically reports \"unexpected EOF\" or \"connection reset\".",
        remediation: "Look at the closing side's logs for the reason. Compare the ClientHello with what the server accepts: `openssl s_client -connect HOST:PORT -servername NAME -tls1_2` (then `-tls1_3`, and with a wider `-cipher` list) shows which combination the server takes; `nmap --script ssl-enum-ciphers -p PORT HOST` lists what it supports.",
        fires_on: ["closed-without-alert.pcap"],
        quiet_on: ["tls12-ok.pcap", "no-server-response.pcap", "cipher-mismatch.pcap", "not-tls-http-to-tls.pcap"],
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
    let Some((TcpClose::Fin, by, fin)) = tcp_close(conn) else {
        return;
    };
    // An alert from either side before the close already says why (e.g. the
    // server's handshake_failure, after which the client just hangs up).
    let explained = tls
        .alerts
        .iter()
        .any(|a| a.frame <= fin && (a.sender == by || (a.level == "fatal" && !a.encrypted)));
    if explained || inferred_alert(conn).is_some() {
        return;
    }
    if by == Side::Client && !server_spoke(conn) {
        return;
    }
    let last = tls
        .timeline
        .iter()
        .rev()
        .find(|e| e.frame <= fin && !e.what.starts_with("Alert"));
    let after = last.map_or("the ClientHello".to_string(), |e| {
        format!("the {}'s {} (frame {})", e.sender, e.what, e.frame)
    });
    let later_alert = tls.alerts.iter().find(|a| a.frame > fin);
    let reaction = later_alert
        .map(|a| {
            format!(
                " The {} then answered with a {} alert (frame {}), its reaction to the close.",
                a.sender,
                crate::rules::alerts::meaning::description_name(a),
                a.frame
            )
        })
        .unwrap_or_default();
    let why = if by == Side::Server && last.is_some_and(|e| e.what == "ClientHello") {
        "The server read the ClientHello and hung up: it rejects something in it (TLS version, cipher suites, SNI) without saying so, or it does not speak TLS on this port."
    } else if by == Side::Client {
        "The client gave up without telling the server why: look at the client's own error (certificate verification, timeout, or a protocol error in its TLS library)."
    } else {
        "The server stopped the handshake without telling the client why: its logs hold the reason."
    };
    out.push(
        Finding::new(
            &CLOSED_WITHOUT_ALERT,
            Some(conn.id),
            format!("{by} closed the connection (frame {fin}) after {after} without a tls alert"),
            format!(
                "The {by} sent a TCP FIN at frame {fin}, right after {after}, before the handshake finished and with no TLS alert. {why}{reaction}"
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames(last.map(|e| e.frame))
        .frames([fin])
        .frames(later_alert.map(|a| a.frame))
        .fact(format!("closed by: {by}")),
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

    fn server_fin() -> Connection {
        let mut t = hello_only();
        t.alerts.push(alert(Side::Client, 8, 50, "decode_error"));
        let mut c = conn(1, Some(t), Status::Failed);
        c.tcp.end = TcpEnd::Fin {
            by: Side::Server,
            frame: FrameNo(6),
        };
        c
    }

    #[test]
    fn server_fin_after_client_hello_fires_and_mentions_the_reaction() {
        let out = run_conn(check, &server_fin());
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains(
            "server closed the connection (frame 6) after the client's ClientHello (frame 4)"
        ));
        assert!(out[0].explanation.contains("decode_error alert (frame 8)"));
        assert_eq!(
            out[0].evidence.frames,
            vec![FrameNo(4), FrameNo(6), FrameNo(8)]
        );
    }

    #[test]
    fn quiet_when_the_closer_sent_an_alert_first() {
        let mut c = server_fin();
        c.tcp.end = TcpEnd::Fin {
            by: Side::Server,
            frame: FrameNo(8),
        };
        if let Some(t) = c.tls.as_mut() {
            t.alerts = vec![alert(Side::Server, 6, 40, "handshake_failure")];
        }
        assert!(run_conn(check, &c).is_empty());
    }

    #[test]
    fn quiet_when_the_server_never_answered() {
        let mut c = conn(1, Some(hello_only()), Status::Failed);
        c.tcp.end = TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(6),
        };
        assert!(run_conn(check, &c).is_empty());
    }
}
