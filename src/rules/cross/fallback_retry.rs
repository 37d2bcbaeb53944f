//! fallback-retry: a client retries after a failure with a lower version or
//! fewer cipher suites (same client IP, same server, within 60 s).
use crate::model::{Analysis, ClientOffer, Connection};
use crate::rules::cross::server_keys;
use crate::rules::transport::facts::{max_offered, real_suites, version_label, version_rank};
use crate::rules::{Context, Finding};
use std::collections::HashMap;
use std::net::IpAddr;

declare_rule! {
    FALLBACK_RETRY {
        id: "fallback-retry",
        severity: Warning,
        title: "a client retried with weaker parameters after a failed handshake",
        explanation: "A connection failed and, shortly after, the same client connected to the same server again offering a lower TLS version or fewer cipher suites. Some clients (old browsers, Java with fallback settings, hand-written retry loops) do this to get through an incompatible server. It hides the real problem and can be abused to force weaker security (POODLE worked this way); the weaker retry may itself fail or succeed with deprecated settings.",
        remediation: "Fix the first failure instead (see its findings: usually a version or cipher mismatch on the server) and disable the client's fallback (modern clients do not fall back; TLS_FALLBACK_SCSV lets servers refuse it). Check what the server supports with `openssl s_client -connect HOST:PORT -tls1_3` and `-tls1_2`.",
        fires_on: ["fallback-retry.pcap"],
        quiet_on: ["tls12-ok.pcap", "session-resumed.pcap"],
        check: Capture(check),
    }
}

const WINDOW_SECS: f64 = 60.0;

fn check(a: &Analysis, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let keys = server_keys(a);
    // The last connection seen per (client IP, server): one pass, in capture order.
    let mut last: HashMap<(IpAddr, &str), &Connection> = HashMap::new();
    for (c, key) in a.connections.iter().zip(&keys) {
        let Some(offer) = c.tls.as_ref().and_then(|t| t.client_hello.as_ref()) else {
            continue;
        };
        let slot = (c.client.ip(), key.as_str());
        if let Some(prev) = last.get(&slot).copied()
            && prev.failed()
            && c.first_ts.since(prev.last_ts) <= WINDOW_SECS
            && let Some(prev_offer) = prev.tls.as_ref().and_then(|t| t.client_hello.as_ref())
            && let Some(weaker) = weaker(prev_offer, offer)
        {
            let reason = prev.outcome.reason.trim_end_matches('.');
            out.push(
                Finding::new(
                    &FALLBACK_RETRY,
                    Some(c.id),
                    format!("client {} retried {key} with {weaker} after connection {} failed", c.client.ip(), prev.id),
                    format!(
                        "Connection {} from {} to {key} failed{}; {:.1} s later connection {} from the same client offered {weaker} (ClientHello frame {} vs frame {}). The client is falling back to weaker settings instead of the server being fixed.",
                        prev.id,
                        prev.client,
                        if reason.is_empty() { String::new() } else { format!(" ({reason})") },
                        c.first_ts.since(prev.last_ts).max(0.0),
                        c.id,
                        offer.frame,
                        prev_offer.frame
                    ),
                )
                .frames([prev_offer.frame, offer.frame])
                .fact(format!("failed attempt: connection {} (frame {})", prev.id, prev_offer.frame)),
            );
        }
        last.insert(slot, c);
    }
}

/// How `retry` is weaker than `first`, if it is.
fn weaker(first: &ClientOffer, retry: &ClientOffer) -> Option<String> {
    let (a, b) = (max_offered(first)?, max_offered(retry)?);
    if version_rank(b.id) < version_rank(a.id) {
        return Some(format!(
            "a lower maximum version ({} instead of {})",
            version_label(b),
            version_label(a)
        ));
    }
    let (sa, sb) = (real_suites(first), real_suites(retry));
    if sb.len() < sa.len() && sb.iter().all(|s| sa.iter().any(|x| x.id == s.id)) {
        return Some(format!(
            "fewer cipher suites ({} instead of {})",
            sb.len(),
            sa.len()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::{ConnId, FrameNo};

    fn attempt(id: u32, versions: &[(u16, &str)], status: Status, start_ms: u64) -> Connection {
        let mut c = completed12();
        c.id = ConnId(id);
        c.outcome.status = status;
        c.first_ts = ts(start_ms);
        c.last_ts = ts(start_ms + 100);
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions = versions.iter().map(|(v, n)| named(*v, n)).collect();
            o.frame = FrameNo(u64::from(id) * 10 + 4);
        }
        c
    }

    #[test]
    fn lower_version_after_failure_fires() {
        let a = analysis(vec![
            attempt(1, &[(0x0304, "TLS 1.3")], Status::Failed, 0),
            attempt(2, &[(0x0303, "TLS 1.2")], Status::Completed, 1_000),
        ]);
        let out = run_capture(check, &a);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].connection, Some(ConnId(2)));
        assert!(
            out[0].title.contains(
                "a lower maximum version (TLS 1.2 instead of TLS 1.3) after connection #1 failed"
            ),
            "{}",
            out[0].title
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(14), FrameNo(24)]);
    }

    #[test]
    fn quiet_after_success_or_outside_the_window() {
        let ok_first = analysis(vec![
            attempt(1, &[(0x0304, "TLS 1.3")], Status::Completed, 0),
            attempt(2, &[(0x0303, "TLS 1.2")], Status::Completed, 1_000),
        ]);
        assert!(run_capture(check, &ok_first).is_empty());
        let late = analysis(vec![
            attempt(1, &[(0x0304, "TLS 1.3")], Status::Failed, 0),
            attempt(2, &[(0x0303, "TLS 1.2")], Status::Completed, 120_000),
        ]);
        assert!(run_capture(check, &late).is_empty());
    }
}
