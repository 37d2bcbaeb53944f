//! close-notify-during-handshake: a close_notify before the handshake finished.
use crate::model::Connection;
use crate::rules::alerts::meaning::{self, Stage, id};
use crate::rules::{Context, Finding};

declare_rule! {
    CLOSE_NOTIFY_DURING_HANDSHAKE {
        id: "close-notify-during-handshake",
        severity: Error,
        title: "a side sent close_notify before the handshake finished",
        explanation: "close_notify is the polite \"I am closing\" alert, but here it came before the handshake completed, so the connection never carried data. The sender gave up without naming a reason: typically the application behind the TLS library aborted (a client that dislikes the certificate but reports it only in its own log, a timeout, a user cancel) or a server closed idle half-open handshakes.",
        remediation: "Look at the sender's own logs or error message at that time: the TLS layer had no error to report, the application decided to stop. Reproduce with `openssl s_client -connect HOST:PORT -servername NAME -msg` and compare.",
        fires_on: ["close-notify-during-handshake.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap", "weak-cipher-null.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn
        .tls
        .as_ref()
        .filter(|t| t.client_hello.is_some() && !t.handshake_complete)
    else {
        return;
    };
    let Some(a) = tls.alerts.iter().find(|a| {
        meaning::description_id(a) == Some(id::CLOSE_NOTIFY)
            && meaning::stage(tls, a) != Stage::AfterHandshake
    }) else {
        return;
    };
    let prev = tls
        .timeline
        .iter()
        .rev()
        .find(|e| e.frame < a.frame && !e.what.starts_with("Alert"));
    out.push(
        Finding::new(
            &CLOSE_NOTIFY_DURING_HANDSHAKE,
            Some(conn.id),
            format!("{} sent close_notify (frame {}) before the handshake finished", a.sender, a.frame),
            format!(
                "The {} sent a close_notify alert at frame {}, {}{}, before the handshake completed: it closed the connection without a TLS error, so the reason lies in the {}'s application (its own verification, a timeout, or a cancel).",
                a.sender,
                a.frame,
                meaning::stage(tls, a).phrase(),
                prev.map(|e| format!(" (last message: {} from the {}, frame {})", e.what, e.sender, e.frame)).unwrap_or_default(),
                a.sender
            ),
        )
        .frames(prev.map(|e| e.frame))
        .frames([a.frame]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Alert;
    use crate::rules::alerts::testkit::*;
    use crate::types::{FrameNo, Side};

    fn close_notify(frame: u64, sender: Side) -> Alert {
        Alert {
            level: "warning".into(),
            ..alert(sender, frame, id::CLOSE_NOTIFY, "close_notify")
        }
    }

    #[test]
    fn close_notify_after_server_flight_fires() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.handshake_complete = false;
            t.alerts.push(close_notify(8, Side::Client));
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(6), FrameNo(8)]);
        assert!(
            out[0]
                .explanation
                .contains("after receiving the server's Certificate"),
            "{}",
            out[0].explanation
        );
    }

    #[test]
    fn close_notify_after_completion_is_quiet() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.alerts.push(close_notify(20, Side::Client));
        }
        assert!(run_conn(check, &c).is_empty());
    }
}
