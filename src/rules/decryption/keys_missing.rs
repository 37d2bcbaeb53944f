//! keys-missing: keys were given, none is for this connection.
use crate::model::{Connection, DecryptionStatus};
use crate::rules::{Context, Finding};

declare_rule! {
    KEYS_MISSING {
        id: "keys-missing",
        severity: Info,
        title: "no key in the key log matches this connection",
        explanation: "A key log was given (--keylog, or secrets stored in the pcapng), but it holds no secrets for this connection's ClientHello random, so its encrypted records stay encrypted. A key log only covers the sessions of the process that wrote it, during the time it was writing: another client, a restarted process that no longer had SSLKEYLOGFILE set, or a log from another reproduction all leave connections without keys.",
        remediation: "Use the key log written by the client of this very connection, during the same run as the capture. Check that the ClientHello random appears in it: in Wireshark, `tls.handshake.random` of the ClientHello is the second field of the key-log lines (`grep -i RANDOM keys.log`). Set SSLKEYLOGFILE in the client's environment before it starts, and capture and reproduce again.",
        fires_on: ["tls13-ok.pcap --keylog captures/tls13-aes256-keylog.keys"],
        quiet_on: ["tls13-ok.pcap --keylog captures/tls13-ok.keys", "tls13-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else {
        return;
    };
    if tls
        .decryption
        .as_ref()
        .is_none_or(|d| d.status != DecryptionStatus::KeysMissing)
    {
        return;
    }
    let ch = tls.client_hello.as_ref().map(|c| c.frame);
    let encrypted = tls.encrypted_flight.len();
    out.push(
        Finding::new(
            &KEYS_MISSING,
            Some(conn.id),
            format!(
                "the key log has no secrets for this connection's ClientHello{}",
                ch.map(|f| format!(" (frame {f})")).unwrap_or_default()
            ),
            format!(
                "Keys were given, but none is for the ClientHello random of this connection{}, so its {encrypted} encrypted records (first at frame {}) stay encrypted and the findings below rest on what is visible without keys.",
                ch.map(|f| format!(" (frame {f})")).unwrap_or_default(),
                tls.encrypted_flight
                    .first()
                    .map_or("?".to_string(), |r| r.frame.to_string())
            ),
        )
        .frames(ch),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Decryption;
    use crate::rules::alerts::testkit::*;

    #[test]
    fn only_keys_missing_fires() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        for (status, fires) in [
            (DecryptionStatus::Decrypted, false),
            (DecryptionStatus::KeysWrong, false),
            (DecryptionStatus::NotNeeded, false),
            (DecryptionStatus::KeysMissing, true),
        ] {
            if let Some(t) = c.tls.as_mut() {
                t.decryption = Some(Decryption {
                    status,
                    secrets: vec![],
                    records_decrypted: 0,
                    failures: vec![],
                    note: None,
                });
            }
            assert_eq!(run_conn(check, &c).len(), usize::from(fires), "{status:?}");
        }
    }
}
