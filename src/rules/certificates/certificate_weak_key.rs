//! client-certificate-weak-key / server-certificate-weak-key: an RSA or DSA
//! key under 2048 bits, or an EC key under 256 bits.
use super::common::per_certificate;
use crate::certs::{Weakness, weaknesses};
use crate::model::Connection;
use crate::rules::{Context, Finding, Severity};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_WEAK_KEY, SERVER_CERTIFICATE_WEAK_KEY, run,
    client: {
        id: "client-certificate-weak-key", severity: Error,
        title: "the client's certificate has a weak key",
        remediation: "Re-issue the client certificate with an RSA key of at least 2048 bits or an EC P-256 (or larger) key: `openssl x509 -in client.pem -noout -text | grep 'Public-Key'` shows the size. API Gateway requires RSA-2048+ or ECDSA-256+.",
        fires_on: ["mtls12-client-weak-rsa1024.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-certificate-weak-key", severity: Warning,
        title: "the server's certificate has a weak key",
        remediation: "Re-issue the server certificate with an RSA-2048+ or EC P-256+ key; clients at OpenSSL security level 2 and browsers refuse smaller keys.",
        fires_on: ["corpus-sslv3-snakeoil.pcap"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "Small keys can be factored or broken with affordable effort. OpenSSL 3 (security level 2), browsers, Java and cloud load balancers refuse RSA keys under 2048 bits and EC keys under 256 bits, usually with bad_certificate or handshake_failure.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let (rule, sev) = match side {
        Side::Client => (&CLIENT_CERTIFICATE_WEAK_KEY, Severity::Error),
        Side::Server => (&SERVER_CERTIFICATE_WEAK_KEY, Severity::Warning),
    };
    per_certificate(
        conn,
        side,
        rule,
        sev,
        out,
        |_, c| {
            weaknesses(c).into_iter().find_map(|w| match w {
                Weakness::WeakKey { key_type, bits } => Some(format!(
                    "{} key of {bits} bits",
                    format!("{key_type:?}").to_uppercase()
                )),
                _ => None,
            })
        },
        |c, d| format!("{side} certificate {} has a {d}", super::common::name(c)),
        "The minimum accepted today is RSA 2048 or EC 256 bits.",
    );
}
