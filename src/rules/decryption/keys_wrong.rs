//! keys-wrong: a key matched the connection but does not decrypt its records.
use crate::model::{Connection, DecryptionStatus};
use crate::rules::{Context, Finding};

declare_rule! {
    KEYS_WRONG {
        id: "keys-wrong",
        severity: Warning,
        title: "the key log has secrets for this connection, but they do not decrypt it",
        explanation: "The key log has a line for this connection's ClientHello random, yet the first encrypted record those secrets should open fails authentication. The secrets are wrong for this session: the log was edited or truncated, lines from two runs were mixed, or the capture and the key log come from different reproductions that happen to share a client random (a test client with a fixed random). Whatever tlsdiag reports about the encrypted part of this connection is therefore what is visible without keys.",
        remediation: "Take the key log written during the same run as the capture, unedited (`SSLKEYLOGFILE=/tmp/keys.log` in the client's environment), and check that its lines for this ClientHello random are complete: TLS 1.3 needs CLIENT_HANDSHAKE_TRAFFIC_SECRET, SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0; TLS 1.2 one CLIENT_RANDOM line. Wireshark with the same file (Preferences → Protocols → TLS → (Pre)-Master-Secret log filename) fails the same way if the keys are wrong.",
        fires_on: ["tls13-ok.pcap --keylog captures/keylog-wrong.keys"],
        quiet_on: ["tls13-ok.pcap --keylog captures/tls13-ok.keys", "tls12-gcm-keylog.pcap --keylog captures/tls12-gcm-keylog.keys"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(d) = conn
        .tls
        .as_ref()
        .and_then(|t| t.decryption.as_ref())
        .filter(|d| d.status == DecryptionStatus::KeysWrong)
    else {
        return;
    };
    let failed: Vec<_> = d
        .failures
        .iter()
        .filter(|f| f.records_before == 0)
        .collect();
    let what = failed
        .iter()
        .map(|f| {
            format!(
                "the {}'s first record (frame {}): {}",
                f.sender, f.frame, f.message
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let labels = if d.secrets.is_empty() {
        "no labels".to_string()
    } else {
        d.secrets.join(", ")
    };
    out.push(
        Finding::new(
            &KEYS_WRONG,
            Some(conn.id),
            format!(
                "the key log's secrets for this connection do not decrypt it ({} failed)",
                failed
                    .first()
                    .map_or("a record".to_string(), |f| format!("frame {}", f.frame))
            ),
            format!(
                "The key log has {labels} for this connection's ClientHello random, but decryption failed: {what}. The rest of this connection was analysed as without keys."
            ),
        )
        .frames(failed.iter().map(|f| f.frame)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decryption, DecryptionFailure};
    use crate::rules::alerts::testkit::*;
    use crate::types::{FrameNo, Side};

    #[test]
    fn names_the_record_that_failed() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.decryption = Some(Decryption {
                status: DecryptionStatus::KeysWrong,
                secrets: vec!["CLIENT_RANDOM".into()],
                records_decrypted: 0,
                failures: vec![DecryptionFailure {
                    frame: FrameNo(8),
                    sender: Side::Client,
                    records_before: 0,
                    message: "the record does not authenticate with this key".into(),
                }],
                note: None,
            });
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.frames, vec![FrameNo(8)]);
        assert!(
            out[0]
                .explanation
                .contains("client's first record (frame 8)")
        );
        if let Some(d) = c.tls.as_mut().and_then(|t| t.decryption.as_mut()) {
            d.status = DecryptionStatus::Partial;
        }
        assert!(run_conn(check, &c).is_empty());
    }
}
