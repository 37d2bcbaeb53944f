//! sni-unrecognized: the server does not know the requested name.
use crate::model::Connection;
use crate::rules::alerts::meaning::id;
use crate::rules::transport::facts::alert_with;
use crate::rules::{Context, Finding, Severity};

declare_rule! {
    SNI_UNRECOGNIZED {
        id: "sni-unrecognized",
        severity: Error,
        title: "the server does not recognise the requested server name",
        explanation: "The client named a site in the SNI extension and the server answered with an unrecognized_name alert: it has no virtual host or certificate configured for that name. As a fatal alert it ends the handshake; as a warning (some Java and Apache versions send one) the handshake goes on with the default certificate, and strict clients abort on the warning itself.",
        remediation: "Server team: add the name to the server's configuration (nginx `server_name`, a certificate/SNI mapping on the load balancer) or fix the default; client team: check the host name in the URL (a typo, an internal vs external name). Test with `openssl s_client -connect HOST:PORT -servername NAME`.",
        fires_on: ["sni-unrecognized.pcap"],
        quiet_on: ["tls12-ok.pcap", "sni-missing.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(a) = alert_with(tls, id::UNRECOGNIZED_NAME) else {
        return;
    };
    let sni = tls.sni.as_deref().unwrap_or("(no SNI sent)");
    let fatal = a.level == "fatal";
    out.push(
        Finding::new(
            &SNI_UNRECOGNIZED,
            Some(conn.id),
            format!("{} does not recognise server name {sni}", conn.server),
            format!(
                "The client asked for {sni} (ClientHello{}) and the {} answered with a {} unrecognized_name alert (frame {}): it has no site configured for that name. {}",
                tls.client_hello.as_ref().map(|c| format!(", frame {}", c.frame)).unwrap_or_default(),
                a.sender,
                a.level,
                a.frame,
                if fatal {
                    "The alert is fatal, so the handshake ended there."
                } else {
                    "The alert is only a warning: the handshake may go on with the server's default certificate, which strict clients reject."
                }
            ),
        )
        .severity(if fatal { Severity::Error } else { Severity::Warning })
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([a.frame])
        .fact(format!("requested name: {sni}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Alert;
    use crate::rules::alerts::testkit::*;
    use crate::types::FrameNo;

    #[test]
    fn fatal_is_error_and_warning_is_warning() {
        let mut c = refused_hello(id::UNRECOGNIZED_NAME, "unrecognized_name");
        if let Some(t) = c.tls.as_mut() {
            t.sni = Some("unknown.tlsdiag.test".into());
        }
        let out = run_conn(check, &c);
        assert_eq!(out[0].severity, Severity::Error);
        assert_eq!(
            out[0].title,
            "10.0.0.9:443 does not recognise server name unknown.tlsdiag.test"
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
        if let Some(t) = c.tls.as_mut() {
            let a = t.alerts[0].clone();
            t.alerts = vec![Alert {
                level: "warning".into(),
                ..a
            }];
        }
        assert_eq!(run_conn(check, &c)[0].severity, Severity::Warning);
        assert!(run_conn(check, &completed12()).is_empty());
    }
}
