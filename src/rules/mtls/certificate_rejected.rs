//! client-certificate-rejected / server-certificate-rejected: the peer sent a
//! fatal certificate alert right after a (non-empty) Certificate message.
//!
//! Precedence (mirrors fatal-alert's table): an alert after an empty client
//! Certificate belongs to client-certificate-missing, not here.
use super::reasons::likely;
use crate::model::Connection;
use crate::rules::alerts::meaning;
use crate::rules::certificates::common::{by_role, chains, name, rejection, role_pair};
use crate::rules::{Context, Finding};
use crate::types::Side;

role_pair! {
    CLIENT_CERTIFICATE_REJECTED, SERVER_CERTIFICATE_REJECTED, run,
    client: {
        id: "client-certificate-rejected", severity: Error,
        title: "the server refused the client's certificate",
        remediation: "Fix the reason named in this finding on the client's certificate (renew, re-issue from an accepted CA, send the full chain) or, if the certificate is right, add its CA to the server's client trust store. Reproduce with `openssl s_client -connect HOST:PORT -servername NAME -cert client.pem -key client.key` and read the server's log at the alert's time: the server knows the exact reason.",
        fires_on: ["mtls12-issuer-not-accepted.pcap", "mtls12-client-cert-expired.pcap", "mtls12-client-wrong-usage.pcap", "mtls13-wrong-ca-keylog.pcap --keylog captures/mtls13-wrong-ca-keylog.keys"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-client-cert-missing.pcap"],
    },
    server: {
        id: "server-certificate-rejected", severity: Error,
        title: "the client refused the server's certificate",
        remediation: "Fix the reason named in this finding on the server's certificate (serve the full chain, renew, use a certificate valid for the name the clients use) or, for a private CA, install its root in the clients' trust store. Reproduce with `openssl s_client -connect HOST:443 -servername NAME -CAfile clients-ca.pem </dev/null` and read `Verify return code`.",
        fires_on: ["server-chain-incomplete.pcap", "server-cert-expired.pcap", "server-name-mismatch-abort.pcap"],
        quiet_on: ["tls12-ok.pcap", "version-mismatch.pcap"],
    },
    explanation: "Right after one side's Certificate message, the other side sent a fatal certificate alert (bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired, certificate_unknown, unknown_ca, access_denied or certificate_required): it examined the chain and refused it. The alert names the reason only coarsely; tlsdiag runs the certificate checks on the refused chain to say which reason most likely applies.",
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        if chain.certificates.is_empty() {
            continue; // an empty client Certificate: client-certificate-missing
        }
        let Some(alert) = rejection(tls, s, chain) else {
            continue;
        };
        let desc = meaning::description_name(alert);
        let leaf = chain.leaf().map(name).unwrap_or_default();
        let reasons = likely(tls, s, chain, cx);
        let verdict = match reasons.first() {
            Some(r) => format!("Most likely reason: {r}."),
            None => format!(
                "None of tlsdiag's certificate checks fails on this chain; {} Pass --ca-bundle (the peer's trust store) and --crl to check trust and revocation as the peer does.",
                meaning::meaning(meaning::description_id(alert).unwrap_or(0))
            ),
        };
        let others = if reasons.len() > 1 {
            format!(
                " Also: {}.",
                reasons.get(1..).unwrap_or_default().join("; ")
            )
        } else {
            String::new()
        };
        let mut f = Finding::new(
            by_role(s, &CLIENT_CERTIFICATE_REJECTED, &SERVER_CERTIFICATE_REJECTED),
            Some(conn.id),
            format!("the {} refused the {s}'s certificate {leaf} with {desc} (frame {})", alert.sender, alert.frame),
            format!(
                "The {s} sent {} certificate(s) in frame {} (leaf {leaf}); the {} answered with a fatal {desc} alert in frame {}. {verdict}{others}",
                chain.certificates.len(),
                chain.frame,
                alert.sender,
                alert.frame
            ),
        )
        .frames([chain.frame, alert.frame]);
        for r in &reasons {
            f = f.fact(format!("likely: {r}"));
        }
        out.push(f);
    }
}
