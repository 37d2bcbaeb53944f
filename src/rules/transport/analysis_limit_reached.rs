//! analysis-limit-reached: a resource cap cut what tlsdiag could analyse.
use crate::model::{CaptureFacts, Connection};
use crate::rules::{CaptureCheck, Context, Finding};
use crate::tcp::TcpEnd;

declare_rule! {
    ANALYSIS_LIMIT_REACHED {
        id: "analysis-limit-reached",
        severity: Warning,
        title: "a resource limit was reached and part of the capture was not analysed",
        explanation: "tlsdiag bounds its memory so that a huge or hostile capture cannot exhaust it: connections tracked at once (and, within them, connections still waiting for the server's first answer), out-of-order bytes buffered per direction, handshake bytes and certificates per connection. One of these caps was hit, so some data was dropped or cut; findings about the affected connections may be incomplete.",
        remediation: "Raise the cap that was hit and run again: `--max-connections N` (connections tracked at once), `--max-half-open N` (connections the server has not answered yet, e.g. in a SYN flood) or `--max-ooo-bytes BYTES` (out-of-order bytes buffered per direction); or narrow the capture first, e.g. `tcpdump -r BIG.pcap -w small.pcap 'host SERVER and port 443'`.",
        fires_on: ["corpus-sslv3-snakeoil.pcap --max-connections 1"],
        quiet_on: ["tls12-ok.pcap"],
        check: Capture(check),
    }
}

fn check() -> Box<dyn CaptureCheck> {
    Box::new(LimitsHit)
}

/// Reports each connection's own limits as it passes, the capture's at the end.
struct LimitsHit;

impl CaptureCheck for LimitsHit {
    fn add(&mut self, c: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        connection_limits(c, out);
    }

    fn finish(self: Box<Self>, capture: &CaptureFacts, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        capture_limits(capture, out);
    }

    fn reports_per_connection(&self) -> bool {
        true
    }
}

fn capture_limits(capture: &CaptureFacts, out: &mut Vec<Finding>) {
    if !capture.limits_hit.is_empty() {
        let mut f = Finding::new(
            &ANALYSIS_LIMIT_REACHED,
            None,
            format!(
                "{} resource limit(s) hit while reading the capture",
                capture.limits_hit.len()
            ),
            format!(
                "While reading the capture tlsdiag hit: {}. Data beyond these caps was dropped, so connections near them may be missing or incomplete.",
                capture.limits_hit.join("; ")
            ),
        );
        for l in &capture.limits_hit {
            f = f.fact(format!("limit: {l}"));
        }
        out.push(f);
    }
}

fn connection_limits(c: &Connection, out: &mut Vec<Finding>) {
    let mut hits: Vec<String> = c
        .tls
        .as_ref()
        .map(|t| t.limits_hit.clone())
        .unwrap_or_default();
    if let TcpEnd::Evicted { frame } = c.tcp.end {
        hits.push(if c.tcp.to_client.packets == 0 && c.tcp.syn_frame.is_some() {
            format!(
                "connection evicted from the table at frame {frame}, still unanswered by the server, because too many connections were in flight or waiting for an answer at once (--max-connections, --max-half-open)"
            )
        } else {
            format!(
                "connection evicted from the table at frame {frame} because too many connections were open at once (--max-connections)"
            )
        });
    }
    if c.tcp.ooo_bytes_dropped > 0 {
        hits.push(format!(
            "{} out-of-order bytes dropped because the per-direction buffer was full (--max-ooo-bytes)",
            c.tcp.ooo_bytes_dropped
        ));
    }
    if hits.is_empty() {
        return;
    }
    let evicted = match c.tcp.end {
        TcpEnd::Evicted { frame } => Some(frame),
        _ => None,
    };
    let mut f = Finding::new(
        &ANALYSIS_LIMIT_REACHED,
        Some(c.id),
        format!(
            "analysis of {} → {} was cut by a resource limit",
            c.client, c.server
        ),
        format!(
            "On this connection tlsdiag hit: {}. What came after may be missing from the analysis.",
            hits.join("; ")
        ),
    )
    .frames([c.first_frame])
    .frames(evicted);
    for h in &hits {
        f = f.fact(format!("limit: {h}"));
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::FrameNo;

    #[test]
    fn capture_and_connection_limits_are_reported() {
        let mut c = completed12();
        let mut a = analysis(vec![c.clone()]);
        assert!(run_capture(check, &a).is_empty());
        c.tcp.end = TcpEnd::Evicted { frame: FrameNo(30) };
        a = analysis(vec![c]);
        a.capture
            .limits_hit
            .push("max connections in flight (100000)".into());
        let out = run_capture(check, &a);
        assert_eq!(out.len(), 2);
        assert!(out[0].connection.is_none());
        assert!(out[1].explanation.contains("--max-connections"));
        assert!(out[1].evidence.frames.contains(&FrameNo(30)));
    }
}
