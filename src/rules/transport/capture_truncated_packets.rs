//! capture-truncated-packets: tcpdump's snaplen cut segments, so TLS bytes are missing.
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    CAPTURE_TRUNCATED_PACKETS {
        id: "capture-truncated-packets",
        severity: Warning,
        title: "packets were cut by the capture's snap length",
        explanation: "Some TCP segments on this connection were stored shorter than they were on the wire (caplen < original length), because tcpdump ran with a small snap length (`-s`). The missing bytes are lost for good: handshake messages that span them cannot be decoded, so certificates or alerts may be absent from the analysis even though they were sent.",
        remediation: "Capture again with the full packet: `tcpdump -s 0 -w FILE ...` (0 = no limit; the default in modern tcpdump, but older versions and some appliances cut at 68 or 96 bytes).",
        fires_on: ["capture-truncated-packets.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let (up, down) = (
        conn.tcp.to_server.truncated_segments,
        conn.tcp.to_client.truncated_segments,
    );
    if up + down == 0 {
        return;
    }
    let decoded = conn.tls.as_ref().map_or(0, |t| t.timeline.len());
    out.push(
        Finding::new(
            &CAPTURE_TRUNCATED_PACKETS,
            Some(conn.id),
            format!("{} segments were cut by the snap length", up + down),
            format!(
                "{up} segments from the client ({}) and {down} from the server ({}) were stored shorter than sent, so their TLS bytes are missing from the capture; {decoded} handshake events could still be decoded. Anything the missing bytes carried (certificates, alerts) cannot be judged.",
                conn.client, conn.server
            ),
        )
        .frames([conn.first_frame])
        .fact(format!("truncated segments: client→server {up}, server→client {down}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    #[test]
    fn fires_with_counts_and_stays_quiet_without() {
        let mut c = conn(1, Some(tls()), Status::Incomplete);
        assert!(run_conn(check, &c).is_empty());
        c.tcp.to_client.truncated_segments = 3;
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "capture-truncated-packets");
        assert!(out[0].explanation.contains("3 from the server"));
    }
}
