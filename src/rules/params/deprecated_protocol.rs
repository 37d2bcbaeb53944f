//! deprecated-protocol: SSL 2/3 or TLS 1.0/1.1 negotiated.
use crate::model::Connection;
use crate::rules::transport::facts::version_label;
use crate::rules::{Context, Finding};

declare_rule! {
    DEPRECATED_PROTOCOL {
        id: "deprecated-protocol",
        severity: Warning,
        title: "the connection uses a deprecated protocol version",
        explanation: "SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1 are deprecated (RFC 6176, RFC 7568, RFC 8996): they rely on SHA-1/MD5 constructions and CBC modes with known attacks, and current browsers, Java, OpenSSL security levels and compliance rules (PCI DSS) refuse them. A connection that works today with them will break when either side is updated.",
        remediation: "Enable TLS 1.2 and 1.3 on both sides and turn the old versions off: server e.g. nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`; upgrade clients that offer nothing newer. Check with `openssl s_client -connect HOST:PORT -tls1_2`.",
        fires_on: ["deprecated-tls10.pcap", "deprecated-tls11.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap"],
        check: Connection(check),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(sh) = tls.server_hello.as_ref() else {
        return;
    };
    if !matches!(sh.version.id, 0x0002 | 0x0300 | 0x0301 | 0x0302) {
        return;
    }
    let v = version_label(&sh.version);
    let best = tls
        .client_hello
        .as_deref()
        .and_then(crate::rules::transport::facts::max_offered)
        .map(version_label);
    out.push(
        Finding::new(
            &DEPRECATED_PROTOCOL,
            Some(conn.id),
            format!("server negotiated {v}"),
            format!(
                "The ServerHello (frame {}) selected {v}{}. {v} is deprecated and refused by current clients and security policies.",
                sh.frame,
                match best {
                    Some(b) if b != v => format!(" although the client offered up to {b}"),
                    Some(_) => format!("; the client offered nothing newer than {v}"),
                    None => String::new(),
                }
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([sh.frame])
        .fact(format!("negotiated: {v}")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    #[test]
    fn tls10_fires_tls12_quiet() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        if let Some(t) = c.tls.as_mut() {
            if let Some(o) = t.client_hello.as_mut() {
                o.versions = vec![named(0x0301, "TLS 1.0")];
            }
            if let Some(s) = t.server_hello.as_mut() {
                s.version = named(0x0301, "TLS 1.0");
            }
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "server negotiated TLS 1.0");
        assert!(
            out[0]
                .explanation
                .contains("offered nothing newer than TLS 1.0")
        );
    }
}
