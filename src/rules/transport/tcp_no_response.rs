//! tcp-no-response: SYNs without any SYN-ACK.
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    TCP_NO_RESPONSE {
        id: "tcp-no-response",
        severity: Error,
        title: "the server never answered the tcp connection attempt",
        explanation: "The client sent SYN(s) and no SYN-ACK or RST came back: the packets are dropped on the way (a firewall or security group that drops instead of rejecting), the address is wrong or unreachable, or the server's accept queue is full. TLS never started.",
        remediation: "Check routing and firewalls between the two hosts (security groups, network ACLs, host firewall: `iptables -L -n -v`, `nft list ruleset`), that the address resolves to the right host (`dig HOST`), and on the server that the listener keeps up (`ss -ltn` shows Recv-Q vs Send-Q of the listening socket). Try `nc -vz -w 3 HOST PORT` from the client's network.",
        fires_on: ["tcp-no-response.pcap"],
        quiet_on: ["tls12-ok.pcap", "tcp-refused.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let t = &conn.tcp;
    let Some(syn) = t.syn_frame else { return };
    if t.synack_frame.is_some() || t.refused || t.to_client.packets > 0 {
        return;
    }
    let tries = t.to_server.packets.max(1);
    let waited = conn.last_ts.since(conn.first_ts);
    out.push(
        Finding::new(
            &TCP_NO_RESPONSE,
            Some(conn.id),
            format!("no answer from {} to {} SYN(s) over {:.1} s", conn.server, tries, waited),
            format!(
                "The client {} sent {tries} SYN(s) to {} (first at frame {syn}) over {waited:.1} s and the capture shows no SYN-ACK and no RST in return: the packets are dropped somewhere (a firewall that drops, a wrong or unreachable address, or a full accept queue on the server).",
                conn.client, conn.server
            ),
        )
        .frames([syn, conn.last_frame])
        .fact(format!("SYN packets: {tries}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn unanswered_syns_fire() {
        let mut c = conn(1, None, Status::Failed);
        assert!(run_conn(check, &c).is_empty(), "a SYN-ACK was seen");
        c.tcp.synack_frame = None;
        c.tcp.to_server.packets = 3;
        c.last_frame = FrameNo(3);
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains("3 SYN(s)"));
        assert_eq!(out[0].evidence.frames, vec![FrameNo(1), FrameNo(3)]);
        c.tcp.refused = true;
        assert!(run_conn(check, &c).is_empty(), "refused is another rule");
    }
}
