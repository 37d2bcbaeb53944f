//! capture-started-mid-connection: no SYN and/or no ClientHello for a stream.
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::tcp::RoleBasis;

declare_rule! {
    CAPTURE_STARTED_MID_CONNECTION {
        id: "capture-started-mid-connection",
        severity: Info,
        title: "the capture started after this connection had begun",
        explanation: "The connection's first packets (the TCP SYN, and possibly the ClientHello) are not in the capture: tcpdump was started after the connection opened, or the capture file was rotated. Client and server roles are then guessed from the ports, and what the handshake negotiated cannot be known; only later traffic is analysed.",
        remediation: "Start the capture before reproducing the problem, so that new connections are opened while it runs (restart the client, or force a new connection, e.g. `curl -v https://HOST/` or `openssl s_client -connect HOST:443`).",
        fires_on: ["capture-started-mid-connection.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let tls = conn.tls.as_ref();
    let no_hello = tls
        .is_some_and(|t| t.client_hello.is_none() && t.not_tls.is_none() && !t.timeline.is_empty());
    if !conn.tcp.mid_stream && !no_hello {
        return;
    }
    let (what, title) = match (conn.tcp.mid_stream, no_hello) {
        (true, true) => (
            "neither the TCP handshake (SYN) nor the ClientHello",
            "capture has neither the SYN nor the ClientHello of this connection",
        ),
        (true, false) => (
            "not the TCP handshake (SYN)",
            "capture has no SYN for this connection",
        ),
        _ => (
            "not the ClientHello",
            "capture has no ClientHello for this connection",
        ),
    };
    out.push(
        Finding::new(
            &CAPTURE_STARTED_MID_CONNECTION,
            Some(conn.id),
            title,
            format!(
                "The capture contains {what} of {} → {}: it begins at frame {} ({}), after the connection had opened. {} The negotiated parameters before that point are unknown.",
                conn.client,
                conn.server,
                conn.first_frame,
                conn.first_ts.human(),
                match conn.tcp.role_basis {
                    RoleBasis::Syn => "",
                    RoleBasis::SynAck => "Client and server were told apart by the SYN-ACK.",
                    RoleBasis::PortGuess => "Which side is the client was guessed from the ports (or from who sent the ClientHello).",
                }
            ),
        )
        .frames([conn.first_frame]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::Side;

    #[test]
    fn no_syn_fires_and_normal_is_quiet() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        c.tcp.mid_stream = true;
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, crate::rules::Severity::Info);
        assert!(out[0].explanation.contains("not the TCP handshake (SYN)"));
    }

    #[test]
    fn tls_records_without_client_hello_fire() {
        let mut t = tls();
        t.timeline
            .push(entry(5, Side::Server, "EncryptedRecord(120)"));
        let c = conn(1, Some(t), Status::Incomplete);
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("not the ClientHello"));
    }
}
