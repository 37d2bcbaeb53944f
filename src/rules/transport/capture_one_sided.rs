//! capture-one-sided: only one direction of a connection is in the capture.
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Dir;

declare_rule! {
    CAPTURE_ONE_SIDED {
        id: "capture-one-sided",
        severity: Warning,
        title: "only one direction of the connection was captured",
        explanation: "Every packet of this connection goes the same way; the other direction never reached the capture. That happens with asymmetric routing (the answers return over another link or another load-balancer node), with a one-way port mirror, or with a capture filter that only matches one side. Nothing can be concluded about what the silent side sent: its absence here does not mean it sent nothing.",
        remediation: "Capture where both directions pass (on the client or the server host itself), or mirror both directions (`tcpdump -i any 'host A and host B'`); on a SPAN port, mirror rx and tx.",
        fires_on: ["capture-one-sided.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(seen) = conn.tcp.one_sided else {
        return;
    };
    let (seen_side, missing) = match seen {
        Dir::ToServer => ("client → server", "the server's"),
        Dir::ToClient => ("server → client", "the client's"),
    };
    let packets = match seen {
        Dir::ToServer => conn.tcp.to_server.packets,
        Dir::ToClient => conn.tcp.to_client.packets,
    };
    out.push(
        Finding::new(
            &CAPTURE_ONE_SIDED,
            Some(conn.id),
            format!("only {seen_side} packets were captured; {missing} packets are missing"),
            format!(
                "All {packets} packets of {} → {} travel {seen_side}; {missing} packets never reached the capture (asymmetric routing, a one-way mirror, or a capture filter). Nothing here says what {missing} side sent: a missing answer may just be a missing capture.",
                conn.client, conn.server
            ),
        )
        .frames([conn.first_frame, conn.last_frame])
        .fact(format!("captured direction: {seen_side}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    #[test]
    fn names_the_missing_side() {
        let mut c = conn(1, Some(hello_only()), Status::Incomplete);
        assert!(run_conn(check, &c).is_empty());
        c.tcp.one_sided = Some(Dir::ToServer);
        c.tcp.to_server.packets = 4;
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].title.contains("the server's packets are missing"),
            "{}",
            out[0].title
        );
        assert!(out[0].explanation.contains("All 4 packets"));
    }
}
