//! protocol-version-mismatch: client and server have no TLS version in common.
use crate::model::{Connection, Tls};
use crate::rules::alerts::meaning::{self, Stage, id};
use crate::rules::transport::facts::{labels, max_offered, version_label, version_rank};
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    PROTOCOL_VERSION_MISMATCH {
        id: "protocol-version-mismatch",
        severity: Error,
        title: "client and server have no tls version in common",
        explanation: "The TLS versions the client offers (its legacy_version plus the supported_versions extension) and the versions the server accepts do not overlap, so the side that notices sends a protocol_version alert (some servers just close). Typical pairs: a client pinned to TLS 1.3 against a server capped at TLS 1.2, or an old client (TLS 1.0/1.1 only) against a server whose minimum was raised to TLS 1.2 or 1.3.",
        remediation: "Decide which side moves: raise the client's maximum or lower its minimum (Java `-Djdk.tls.client.protocols=TLSv1.2,TLSv1.3`, curl `--tlsv1.2`, OpenSSL `MinProtocol`), or adjust the server's range (nginx `ssl_protocols TLSv1.2 TLSv1.3;`). Check what the server takes: `openssl s_client -connect HOST:PORT -tls1_2` and `-tls1_3`.",
        fires_on: ["version-mismatch.pcap", "server-min-version-raised.pcap", "fallback-retry.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap", "cipher-mismatch.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    let offered = labels(&offer.versions);
    if let Some(a) = tls.alerts.iter().find(|a| {
        meaning::description_id(a) == Some(id::PROTOCOL_VERSION)
            && meaning::stage(tls, a) != Stage::AfterHandshake
    }) {
        let guess = server_guess(tls);
        let explanation = match a.sender {
            Side::Server => format!(
                "The client offered {offered} (ClientHello, frame {}) and the server answered with a protocol_version alert (frame {}) {}: it supports none of these versions. {guess}",
                offer.frame,
                a.frame,
                meaning::stage(tls, a).phrase()
            ),
            Side::Client => format!(
                "The client offered {offered} (frame {}); the server chose {} and the client refused it with a protocol_version alert (frame {}): that version is below the client's minimum.",
                offer.frame,
                tls.version
                    .as_ref()
                    .map_or("a version".to_string(), version_label),
                a.frame
            ),
        };
        out.push(
            Finding::new(
                &PROTOCOL_VERSION_MISMATCH,
                Some(conn.id),
                format!(
                    "{} rejected the version: client offered {offered}",
                    a.sender
                ),
                explanation,
            )
            .frames([offer.frame, a.frame])
            .frames(tls.server_hello.as_ref().map(|s| s.frame))
            .fact(format!("client offered: {offered}"))
            .fact(format!(
                "alert: protocol_version from the {} (frame {})",
                a.sender, a.frame
            )),
        );
        return;
    }
    // A ServerHello choosing a version the client never offered.
    if let Some(sh) = tls.server_hello.as_ref()
        && !offer.versions.is_empty()
        && !offer.versions.iter().any(|v| v.id == sh.version.id)
        && !tls.handshake_complete
    {
        out.push(
            Finding::new(
                &PROTOCOL_VERSION_MISMATCH,
                Some(conn.id),
                format!("server chose {} which the client did not offer ({offered})", version_label(&sh.version)),
                format!(
                    "The client offered {offered} (frame {}) but the ServerHello (frame {}) selected {}, outside that list; the client cannot continue.",
                    offer.frame,
                    sh.frame,
                    version_label(&sh.version)
                ),
            )
            .frames([offer.frame, sh.frame]),
        );
    }
}

fn server_guess(tls: &Tls) -> String {
    let Some(offer) = tls.client_hello.as_ref() else {
        return String::new();
    };
    let min = offer.versions.iter().min_by_key(|v| version_rank(v.id));
    match (max_offered(offer), min) {
        (Some(max), Some(min)) if min.id == 0x0304 && max.id == 0x0304 => {
            "The client offers only TLS 1.3, so the server most likely stops at TLS 1.2 or below."
                .to_string()
        }
        (Some(max), _) if version_rank(max.id) <= 0x0303 => format!(
            "The client's highest version is {}, so the server most likely requires something newer (TLS 1.3 only, or a raised minimum).",
            version_label(max)
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn tls13_only_client_against_older_server() {
        let mut c = refused_hello(id::PROTOCOL_VERSION, "protocol_version");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions = vec![named(0x0304, "TLS 1.3")];
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server rejected the version: client offered TLS 1.3"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(
            out[0].explanation.contains("stops at TLS 1.2 or below"),
            "{}",
            out[0].explanation
        );
    }

    #[test]
    fn tls12_client_against_raised_minimum() {
        let mut c = refused_hello(id::PROTOCOL_VERSION, "protocol_version");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.versions = vec![named(0x0303, "TLS 1.2")];
        }
        let out = run_conn(check, &c);
        assert!(out[0].explanation.contains("highest version is TLS 1.2"));
    }

    #[test]
    fn other_refusals_are_quiet() {
        assert!(
            run_conn(
                check,
                &refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure")
            )
            .is_empty()
        );
        assert!(run_conn(check, &completed12()).is_empty());
    }
}
