//! no-common-group: no key-exchange group in common.
use crate::model::Connection;
use crate::rules::params::refusal::{Missing, refusal};
use crate::rules::transport::facts::labels;
use crate::rules::{Context, Finding};

declare_rule! {
    NO_COMMON_GROUP {
        id: "no-common-group",
        severity: Error,
        title: "client and server have no key-exchange group in common",
        explanation: "ECDHE and TLS 1.3 key exchange need a group (x25519, secp256r1, secp384r1, a post-quantum hybrid...) both sides support. The client lists its groups in supported_groups and sends key shares for some; if the server supports another listed group it asks for it with a HelloRetryRequest, and if none of the listed groups is enabled on the server it refuses with handshake_failure. Typical: a client restricted to one group (x25519 only, or a post-quantum hybrid only) meeting a server restricted to NIST curves, or the reverse.",
        remediation: "Make the group lists overlap: offer both x25519 and secp256r1 on the client (OpenSSL `-groups X25519:P-256`, Java `jdk.tls.namedGroups`), or enable them on the server (nginx `ssl_ecdh_curve X25519:prime256v1:secp384r1;`). Check with `openssl s_client -connect HOST:PORT -groups P-256` and `-groups X25519`.",
        fires_on: ["no-common-group.pcap"],
        quiet_on: ["tls12-ok.pcap", "hello-retry-request.pcap", "cipher-mismatch.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    let groups = labels(&offer.supported_groups);
    let shares = labels(&offer.key_share_groups);
    if let Some((alert, Missing::Groups)) = refusal(tls) {
        let name = crate::rules::alerts::meaning::description_name(alert);
        let hrr = tls.hello_retry.as_ref();
        out.push(
            Finding::new(
                &NO_COMMON_GROUP,
                Some(conn.id),
                format!("server supports none of the client's key-exchange groups ({groups})"),
                format!(
                    "The client listed only {groups} in supported_groups (key shares: {shares}) in its ClientHello (frame {}); the server answered with a fatal {name} alert (frame {}){}. The client's cipher suites include the usual ones, so the narrow group list is the most likely gap: the server has none of these groups enabled.",
                    offer.frame,
                    alert.frame,
                    hrr.map(|h| format!(" after a HelloRetryRequest (frame {}) asking for {}", h.frame, h.group.as_ref().map_or("another group".into(), |g| g.label())))
                        .unwrap_or_else(|| " without a ServerHello".to_string())
                ),
            )
            .frames([offer.frame, alert.frame])
            .frames(hrr.map(|h| h.frame))
            .fact(format!("client groups: {groups}"))
            .fact(format!("client key shares: {shares}")),
        );
        return;
    }
    // A HelloRetryRequest for a group the client never listed, or one the client then abandoned.
    let Some(hrr) = tls.hello_retry.as_ref() else {
        return;
    };
    if tls.server_hello.is_some() || tls.handshake_complete {
        return;
    }
    let wanted = hrr.group.as_ref();
    let listed = wanted.is_some_and(|g| offer.supported_groups.iter().any(|s| s.id == g.id));
    let wanted_label = wanted.map_or("an unnamed group".to_string(), |g| g.label());
    out.push(
        Finding::new(
            &NO_COMMON_GROUP,
            Some(conn.id),
            format!("handshake stopped after the server asked for {wanted_label} (helloretryrequest)"),
            format!(
                "The client offered groups {groups} (key shares: {shares}, frame {}). The server's HelloRetryRequest (frame {}) asked for {wanted_label}{}, and the handshake ended without a ServerHello.",
                offer.frame,
                hrr.frame,
                if listed { ", which the client listed but then did not complete" } else { ", which the client never offered: the server has none of the client's groups" }
            ),
        )
        .frames([offer.frame, hrr.frame]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HelloRetry, Status};
    use crate::rules::alerts::meaning::id;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn x25519_only_tls13_client_refused() {
        let mut c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions = vec![named(0x0304, "TLS 1.3")];
            o.supported_groups = vec![named(0x001d, "x25519")];
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server supports none of the client's key-exchange groups (x25519)"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
    }

    #[test]
    fn completed_retry_is_quiet_and_unmet_retry_fires() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.hello_retry = Some(Box::new(HelloRetry {
                frame: FrameNo(5),
                ts: ts(50),
                group: Some(named(0x0018, "secp384r1")),
                cipher_suite: named(0x1301, "TLS_AES_128_GCM_SHA256"),
            }));
        }
        assert!(run_conn(check, &c).is_empty());
        let mut t = hello_only();
        t.hello_retry = Some(Box::new(HelloRetry {
            frame: FrameNo(6),
            ts: ts(60),
            group: Some(named(0x0018, "secp384r1")),
            cipher_suite: named(0x1301, "TLS_AES_128_GCM_SHA256"),
        }));
        let out = run_conn(check, &conn(1, Some(t), Status::Failed));
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("never offered"));
        // Default refusal (two suites, broad groups) reads as suites, not groups.
        assert!(
            run_conn(
                check,
                &refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure")
            )
            .is_empty()
        );
    }
}
