//! tcp-connection-refused: the SYN was answered by RST.
use crate::model::Connection;
use crate::rules::transport::facts::{TcpClose, tcp_close};
use crate::rules::{Context, Finding};

declare_rule! {
    TCP_CONNECTION_REFUSED {
        id: "tcp-connection-refused",
        severity: Error,
        title: "the server refused the tcp connection",
        explanation: "The client's SYN was answered with a RST: the server host is reachable but nothing listens on that port (service down, wrong port, listening only on another address such as 127.0.0.1), or a firewall rejects the connection actively. TLS never started.",
        remediation: "Server team: check that the service runs and listens on this address and port (`ss -ltnp 'sport = :PORT'` on the server) and that no firewall rejects it; client team: check the configured host and port. Test with `nc -vz HOST PORT` or `openssl s_client -connect HOST:PORT`.",
        fires_on: ["tcp-refused.pcap"],
        quiet_on: ["tls12-ok.pcap", "tcp-no-response.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    if !conn.tcp.refused {
        return;
    }
    let rst = tcp_close(conn)
        .filter(|c| c.0 == TcpClose::Rst)
        .map(|c| c.2);
    out.push(
        Finding::new(
            &TCP_CONNECTION_REFUSED,
            Some(conn.id),
            format!("{} refused the connection (SYN answered by RST)", conn.server),
            format!(
                "The client {} sent a SYN to {}{} and got a RST back{}: nothing accepts connections on port {} there (or a firewall rejects them). No TLS was exchanged.",
                conn.client,
                conn.server,
                conn.tcp.syn_frame.map(|f| format!(" (frame {f})")).unwrap_or_default(),
                rst.map(|f| format!(" (frame {f})")).unwrap_or_default(),
                conn.server.port()
            ),
        )
        .frames(conn.tcp.syn_frame)
        .frames(rst),
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
    fn refused_syn_fires_with_syn_and_rst_frames() {
        let mut c = conn(1, None, Status::Failed);
        c.tcp.synack_frame = None;
        assert!(run_conn(check, &c).is_empty());
        c.tcp.refused = true;
        c.tcp.end = TcpEnd::Rst {
            by: Side::Server,
            frame: FrameNo(2),
        };
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, crate::rules::Severity::Error);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(1), FrameNo(2)]);
        assert!(out[0].explanation.contains("port 443"));
    }
}
