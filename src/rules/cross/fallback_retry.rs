//! fallback-retry: a client retries after a failure with a lower version or
//! fewer cipher suites (same client IP, same server, within 60 s).
use crate::model::{CaptureFacts, ClientOffer, Connection, Named};
use crate::rules::transport::facts::{max_offered, real_suites, version_label, version_rank};
use crate::rules::{CaptureCheck, Context, Finding};
use crate::types::{ConnId, Timestamp};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

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

fn check() -> Box<dyn CaptureCheck> {
    Box::<Retries>::default()
}

/// The last failed attempt of each client at each server address, for
/// [`WINDOW_SECS`]: a later connection that succeeds or is not weaker clears
/// it, and old attempts are pruned, so this follows the failures in flight.
#[derive(Default)]
struct Retries {
    last_failed: HashMap<(IpAddr, SocketAddr), Attempt>,
    added: u64,
}

struct Attempt {
    id: ConnId,
    client: SocketAddr,
    sni: Option<String>,
    key: String,
    last_ts: Timestamp,
    reason: String,
    offer: Shape,
    offer_ts: Option<Timestamp>,
}

/// What a later attempt is compared with: the highest version offered and
/// the real cipher suites (not the whole offer: failures are kept for 60 s).
struct Shape {
    frame: crate::types::FrameNo,
    max: Option<Named>,
    suites: Vec<u16>,
}

impl Shape {
    fn of(offer: &ClientOffer) -> Shape {
        Shape {
            frame: offer.frame,
            max: max_offered(offer).cloned(),
            suites: real_suites(offer).iter().map(|s| s.id).collect(),
        }
    }
}

impl CaptureCheck for Retries {
    fn add(&mut self, c: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(t) = c.tls.as_ref() else { return };
        let Some(offer) = t.client_hello.as_ref() else {
            return;
        };
        self.added += 1;
        if self.added.is_multiple_of(4096) {
            self.last_failed
                .retain(|_, a| c.first_ts.since(a.last_ts) <= WINDOW_SECS);
        }
        let slot = (c.client.ip(), c.server);
        if let Some(prev) = self.last_failed.remove(&slot)
            && (prev.sni.is_none() || t.sni.is_none() || prev.sni == t.sni)
            && c.first_ts.since(prev.last_ts) <= WINDOW_SECS
            && let Some(weaker) = weaker(&prev.offer, &Shape::of(offer))
        {
            let key = if t.sni.is_some() {
                c.server_key()
            } else {
                prev.key
            };
            let reason = prev.reason.trim_end_matches('.');
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
                        prev.offer.frame
                    ),
                )
                .frames([prev.offer.frame, offer.frame])
                .at(prev.offer_ts)
                .fact(format!("failed attempt: connection {} (frame {})", prev.id, prev.offer.frame)),
            );
        }
        if c.failed() {
            self.last_failed.insert(
                slot,
                Attempt {
                    id: c.id,
                    client: c.client,
                    sni: t.sni.clone(),
                    key: c.server_key(),
                    last_ts: c.last_ts,
                    reason: c.outcome.reason.clone(),
                    offer: Shape::of(offer),
                    offer_ts: c.frame_time(offer.frame),
                },
            );
        }
    }

    fn finish(
        self: Box<Self>,
        _capture: &CaptureFacts,
        _cx: &Context<'_>,
        _out: &mut Vec<Finding>,
    ) {
    }

    fn reports_per_connection(&self) -> bool {
        true
    }
}

fn weaker(first: &Shape, retry: &Shape) -> Option<String> {
    let (a, b) = (first.max.as_ref()?, retry.max.as_ref()?);
    if version_rank(b.id) < version_rank(a.id) {
        return Some(format!(
            "a lower maximum version ({} instead of {})",
            version_label(b),
            version_label(a)
        ));
    }
    let (sa, sb) = (&first.suites, &retry.suites);
    if sb.len() < sa.len() && sb.iter().all(|s| sa.contains(s)) {
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
