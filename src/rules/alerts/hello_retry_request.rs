//! hello-retry-request: the server asked the client to retry with another key share.
use crate::model::Connection;
use crate::rules::transport::facts::labels;
use crate::rules::{Context, Finding};

declare_rule! {
    HELLO_RETRY_REQUEST {
        id: "hello-retry-request",
        severity: Info,
        title: "the server sent a helloretryrequest",
        explanation: "In TLS 1.3 the client guesses a key-exchange group and sends a key share for it. When the server prefers (or only supports) another group that the client listed, it answers with a HelloRetryRequest naming that group and the client sends a second ClientHello. It works, but costs a round trip on every new connection.",
        remediation: "Align preferences to avoid the extra round trip: put the server's preferred group among the client's initial key shares (e.g. OpenSSL `-groups X25519:P-256`, nginx `ssl_ecdh_curve X25519:prime256v1;`), or let the server accept the group clients send first.",
        fires_on: ["hello-retry-request.pcap"],
        quiet_on: ["tls13-ok.pcap", "tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(hrr) = tls.hello_retry.as_ref() else {
        return;
    };
    let group = hrr
        .group
        .as_ref()
        .map_or("an unnamed group".to_string(), |g| g.label());
    let shares = tls
        .client_hello
        .as_ref()
        .map_or("unknown".to_string(), |c| labels(&c.key_share_groups));
    let second = tls
        .timeline
        .iter()
        .find(|e| e.frame > hrr.frame && e.what.starts_with("ClientHello"));
    out.push(
        Finding::new(
            &HELLO_RETRY_REQUEST,
            Some(conn.id),
            format!("server asked for a {group} key share (helloretryrequest, frame {})", hrr.frame),
            format!(
                "The client's first ClientHello carried key shares for {shares}; the server answered with a HelloRetryRequest (frame {}) asking for {group}{}. One extra round trip per new connection.",
                hrr.frame,
                second.map(|e| format!(", and the client sent a second ClientHello (frame {})", e.frame)).unwrap_or_else(|| ", and no second ClientHello followed".to_string())
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([hrr.frame])
        .frames(second.map(|e| e.frame))
        .fact(format!("requested group: {group}"))
        .fact(format!("initial key shares: {shares}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HelloRetry;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::{FrameNo, Side};

    #[test]
    fn names_requested_group_and_initial_shares() {
        let mut t = hello_only();
        assert!(run_conn(check, &conn(1, Some(t.clone()), Status::Completed)).is_empty());
        t.hello_retry = Some(Box::new(HelloRetry {
            frame: FrameNo(6),
            ts: ts(60),
            group: Some(named(0x0017, "secp256r1")),
            cipher_suite: named(0x1301, "TLS_AES_128_GCM_SHA256"),
        }));
        t.timeline.push(entry(8, Side::Client, "ClientHello"));
        let out = run_conn(check, &conn(1, Some(t), Status::Completed));
        assert_eq!(out.len(), 1);
        assert!(out[0].title.contains("secp256r1"));
        assert!(out[0].explanation.contains("key shares for x25519"));
        assert_eq!(
            out[0].evidence.frames,
            vec![FrameNo(4), FrameNo(6), FrameNo(8)]
        );
    }
}
