//! capture-missing-segments: sequence gaps inside the handshake bytes.
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Dir;

declare_rule! {
    CAPTURE_MISSING_SEGMENTS {
        id: "capture-missing-segments",
        severity: Warning,
        title: "tcp segments are missing from the capture inside the handshake",
        explanation: "The TCP sequence numbers jump: bytes that the peers exchanged never reached the capture (the capture host dropped packets, the capture started late on one interface, or the traffic took another path). TLS messages that overlap the gap cannot be decoded, so conclusions after the gap are limited: a missing certificate or alert may simply be in the lost bytes.",
        remediation: "Capture closer to one of the endpoints (on the client or the server itself), with a larger buffer (`tcpdump -B 8192`) and a filter narrow enough to keep up (`tcpdump -i IFACE -s 0 -w FILE 'host SERVER and port 443'`). Check `tcpdump`'s \"packets dropped by kernel\" line when it exits.",
        fires_on: ["capture-missing-segments.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let tls = conn.tls.as_ref();
    let complete = tls.is_some_and(|t| t.handshake_complete);
    let handshake_end = tls.and_then(|t| t.timeline.last()).map(|e| e.frame);
    let gaps: Vec<_> = conn
        .tcp
        .gaps
        .iter()
        .filter(|g| !complete || handshake_end.is_some_and(|end| g.frame_after <= end))
        .collect();
    let Some(first) = gaps.first() else { return };
    let lost: u64 = gaps.iter().map(|g| g.len).sum();
    let side = |d: Dir| match d {
        Dir::ToServer => "client→server",
        Dir::ToClient => "server→client",
    };
    let mut f = Finding::new(
        &CAPTURE_MISSING_SEGMENTS,
        Some(conn.id),
        format!("{} bytes missing from the capture in {} gap(s), first before frame {}", lost, gaps.len(), first.frame_after),
        format!(
            "The capture lacks {lost} bytes of this connection's TCP stream ({} gap(s); the first is {} bytes {} at stream offset {}, just before frame {}). TLS messages that overlap a gap cannot be decoded; {}",
            gaps.len(),
            first.len,
            side(first.dir),
            first.offset,
            first.frame_after,
            if complete {
                "the handshake still completed, but some of its messages may be unseen."
            } else {
                "what happened after the gap (alerts, certificates) may be in the lost bytes, so conclusions about this handshake are limited."
            }
        ),
    )
    .frames(gaps.iter().map(|g| g.frame_after));
    for g in gaps.iter().take(5) {
        f = f.fact(format!(
            "gap: {} bytes {} at offset {}, before frame {}",
            g.len,
            side(g.dir),
            g.offset,
            g.frame_after
        ));
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::tcp::Gap;
    use crate::types::FrameNo;

    fn gap(frame: u64) -> Gap {
        Gap {
            dir: Dir::ToClient,
            offset: 1448,
            len: 1448,
            frame_after: FrameNo(frame),
        }
    }

    #[test]
    fn gap_in_an_unfinished_handshake_fires() {
        let mut c = refused_hello(40, "handshake_failure");
        c.tcp.gaps.push(gap(6));
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(6)]);
        assert!(out[0].explanation.contains("1448 bytes server→client"));
    }

    #[test]
    fn gap_after_a_completed_handshake_is_quiet() {
        let mut c = completed12();
        c.tcp.gaps.push(gap(40));
        assert!(run_conn(check, &c).is_empty());
        c.tcp.gaps.push(gap(6));
        assert_eq!(run_conn(check, &c).len(), 1);
    }
}
