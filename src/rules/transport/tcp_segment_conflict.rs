//! tcp-segment-conflict: a retransmission carries different bytes than the first copy.
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Dir;

declare_rule! {
    TCP_SEGMENT_CONFLICT {
        id: "tcp-segment-conflict",
        severity: Warning,
        title: "a retransmitted segment carries different bytes than the first copy",
        explanation: "Two TCP segments cover the same sequence numbers with different contents. A correct TCP stack never does that: the packets were altered on the way (a middlebox rewriting them, a NIC offload bug, corruption), or the capture mixes two connections that reused the same ports. tlsdiag keeps the first copy, like most receivers; if the peer used the other copy, its view of the handshake differs from what is decoded here.",
        remediation: "Capture on the endpoint itself to see what it really received; look for devices between client and server that inspect or rewrite TLS (proxies, IPS, load balancers), and for checksum/offload errors (`ethtool -K IFACE tso off gso off gro off` while capturing).",
        fires_on: ["tcp-segment-conflict.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(first) = conn.tcp.conflicts.first() else {
        return;
    };
    let dir = |d: Dir| match d {
        Dir::ToServer => "client→server",
        Dir::ToClient => "server→client",
    };
    let mut f = Finding::new(
        &TCP_SEGMENT_CONFLICT,
        Some(conn.id),
        format!(
            "frame {} overwrites bytes of frame {} with different content",
            first.frame, first.first_frame
        ),
        format!(
            "{} overlapping segment(s) disagree with the first copy; the first: {} bytes {} at stream offset {} in frame {} differ from frame {}. The first copy was kept; if the receiver used the other one, the handshake it saw is not the one decoded here.",
            conn.tcp.conflicts.len(),
            first.len,
            dir(first.dir),
            first.offset,
            first.frame,
            first.first_frame
        ),
    );
    for c in conn.tcp.conflicts.iter().take(5) {
        f = f.frames([c.first_frame, c.frame]).fact(format!(
            "conflict: {} bytes {} at offset {}: frame {} vs frame {}",
            c.len,
            dir(c.dir),
            c.offset,
            c.first_frame,
            c.frame
        ));
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::tcp::Conflict;
    use crate::types::FrameNo;

    #[test]
    fn conflict_frames_are_evidence() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        c.tcp.conflicts.push(Conflict {
            dir: Dir::ToClient,
            offset: 100,
            len: 20,
            first_frame: FrameNo(6),
            frame: FrameNo(7),
        });
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(6), FrameNo(7)]);
        assert!(out[0].title.contains("frame 7 overwrites bytes of frame 6"));
    }
}
