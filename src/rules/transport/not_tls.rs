//! not-tls: bytes on the connection do not parse as TLS.
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Side;

declare_rule! {
    NOT_TLS {
        id: "not-tls",
        severity: Error,
        title: "the connection carries something other than tls",
        explanation: "Bytes on this connection are not TLS records. Either the client spoke plain text (usually HTTP) to a port that expects TLS — the server then answers with an alert, a plain-text error (nginx: \"The plain HTTP request was sent to HTTPS port\") or just closes — or the client started TLS and the server answered in plain text: the port is served by a non-TLS service, or TLS is terminated somewhere else.",
        remediation: "Check which side has the wrong idea about the port: for a plain request to a TLS port, fix the client URL (`https://` instead of `http://`) or its TLS setting; for a plain answer to a ClientHello, fix the server (enable TLS on that listener, e.g. `listen 443 ssl;` in nginx) or point the client to the TLS port. `curl -v http://HOST:PORT/` vs `curl -v https://HOST:PORT/` shows which one the port speaks.",
        fires_on: ["not-tls-http-to-tls.pcap", "not-tls-tls-to-http.pcap"],
        quiet_on: ["tls12-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(nt) = tls.not_tls.as_ref() else {
        return;
    };
    let kind = match nt.kind.as_str() {
        "http_request" => "a plain HTTP request",
        "http_response" => "a plain HTTP response",
        "ssh" => "an SSH banner",
        _ => "bytes that are not TLS",
    };
    let (title, story) = match (nt.sender, tls.client_hello.as_ref()) {
        (Side::Server, Some(ch)) => (
            format!("server answered the ClientHello with {kind} instead of TLS"),
            format!(
                "The client sent a TLS ClientHello (frame {}) and {} answered with {kind} (frame {}): this port is served by a non-TLS service (or TLS is terminated elsewhere). The client's TLS library then reports a record/packet-length or \"wrong version number\" error.",
                ch.frame, conn.server, nt.frame
            ),
        ),
        (Side::Client, _) => (
            format!("client sent {kind} to a tls port"),
            format!(
                "The client {} sent {kind} (frame {}) to {} instead of a TLS ClientHello: it was configured for plain text (`http://` URL, TLS disabled) while the port expects TLS.",
                conn.client, nt.frame, conn.server
            ),
        ),
        (Side::Server, None) => (
            format!("server sent {kind} instead of TLS"),
            format!(
                "{} sent {kind} (frame {}) on a connection where TLS was expected.",
                conn.server, nt.frame
            ),
        ),
    };
    out.push(
        Finding::new(
            &NOT_TLS,
            Some(conn.id),
            title,
            format!("{story} First bytes: \"{}\".", nt.preview),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([nt.frame])
        .fact(format!("{} sent: {}", nt.sender, nt.preview)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NotTls;
    use crate::model::Status;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;

    #[test]
    fn http_answer_to_client_hello() {
        let mut t = hello_only();
        t.not_tls = Some(NotTls {
            sender: Side::Server,
            frame: FrameNo(6),
            kind: "http_response".into(),
            preview: "HTTP/1.1 400 Bad Request".into(),
        });
        let out = run_conn(check, &conn(1, Some(t), Status::NotTls));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server answered the ClientHello with a plain HTTP response instead of TLS"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        assert!(out[0].explanation.contains("HTTP/1.1 400 Bad Request"));
    }

    #[test]
    fn plain_request_to_tls_port() {
        let mut t = tls();
        t.not_tls = Some(NotTls {
            sender: Side::Client,
            frame: FrameNo(4),
            kind: "http_request".into(),
            preview: "GET / HTTP/1.1".into(),
        });
        let out = run_conn(check, &conn(1, Some(t), Status::NotTls));
        assert_eq!(
            out[0].title,
            "client sent a plain HTTP request to a tls port"
        );
        assert!(run_conn(check, &completed12()).is_empty());
    }
}
