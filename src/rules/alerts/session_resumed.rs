//! session-resumed: an abbreviated handshake.
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    SESSION_RESUMED {
        id: "session-resumed",
        severity: Info,
        title: "the session was resumed (abbreviated handshake)",
        explanation: "The client offered a session from an earlier connection (session id, session ticket or TLS 1.3 PSK) and the server accepted it, so no certificates were exchanged on this connection. Certificate problems cannot show here: look at the connection that created the session. A resumed session can also hide a certificate change on the server until the ticket expires.",
        remediation: "Nothing to fix. To see the certificates, look at the full handshake that created the session, or force one: `openssl s_client -connect HOST:PORT -servername NAME -no_ticket` (no resumption).",
        fires_on: ["session-resumed.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref().filter(|t| t.resumed) else {
        return;
    };
    let sh = tls.server_hello.as_ref();
    let how = match tls.client_hello.as_ref() {
        Some(c) if c.psk_offered => "a pre-shared key (TLS 1.3 PSK / ticket)",
        Some(_) if sh.is_some_and(|s| s.session_id_echoed) => "the session id",
        _ => "a session ticket",
    };
    out.push(
        Finding::new(
            &SESSION_RESUMED,
            Some(conn.id),
            format!("session resumed with {how}{}", sh.map(|s| format!(" (ServerHello frame {})", s.frame)).unwrap_or_default()),
            format!(
                "The server accepted {how} from an earlier connection, so this {} handshake sent no certificates. Certificate findings belong to the connection that established the session.",
                tls.version.as_ref().map_or("TLS".to_string(), |v| v.label())
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames(sh.map(|s| s.frame)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::types::FrameNo;

    #[test]
    fn resumed_by_session_id() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        if let Some(t) = c.tls.as_mut() {
            t.resumed = true;
            if let Some(s) = t.server_hello.as_mut() {
                s.session_id_echoed = true;
            }
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "session resumed with the session id (ServerHello frame 6)"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
    }
}
