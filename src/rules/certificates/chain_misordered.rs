//! client-chain-misordered / server-chain-misordered: the certificates link,
//! but not in sending order, or unrelated certificates ride along.
use super::common::{answered, by_role, chains, frames_of, name, rejection};
use crate::certs::chain_report;
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Side;

role_pair! {
    CLIENT_CHAIN_MISORDERED, SERVER_CHAIN_MISORDERED, run,
    client: {
        id: "client-chain-misordered", severity: Warning,
        title: "the client's certificates are out of order or include unrelated ones",
        remediation: "Configure the client's certificate file leaf first, then each issuer in turn (leaf, intermediate, …), and remove certificates that are not part of the path. Check with `openssl crl2pkcs7 -nocrl -certfile client-chain.pem | openssl pkcs7 -print_certs -noout`.",
        fires_on: ["mtls12-client-chain-misordered.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-chain-misordered", severity: Warning,
        title: "the server's certificates are out of order or include unrelated ones",
        remediation: "Order the server's chain file leaf first, then the intermediate(s); the root may be left out; remove certificates that are not part of the path. Check what is served with `openssl s_client -connect HOST:443 -servername NAME -showcerts </dev/null`.",
        fires_on: ["server-chain-misordered.pcap"], quiet_on: ["tls12-ok.pcap", "server-chain-incomplete.pcap"],
    },
    explanation: "TLS 1.2 requires each certificate to certify the one before it (RFC 5246 7.4.2); TLS 1.3 relaxes this but still expects the leaf first. Many clients rebuild the path anyway, but strict ones (older Java, embedded stacks, some load balancers validating client certificates) fail with bad_certificate or unknown_ca when the order is wrong or extra certificates confuse path building.",
}

fn run(conn: &Connection, _cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let ders: Vec<&[u8]> = chain
            .certificates
            .iter()
            .map(|c| c.summary.der.as_slice())
            .collect();
        if ders.len() < 2 || ders.iter().any(|d| d.is_empty()) {
            continue;
        }
        let report = chain_report(&chain.summaries());
        if !report.misordered && report.unrelated.is_empty() {
            continue;
        }
        let sent: Vec<String> = chain
            .certificates
            .iter()
            .map(|c| name(&c.summary))
            .collect();
        let path: Vec<String> = report
            .path
            .iter()
            .filter_map(|i| chain.certificates.get(*i).map(|c| name(&c.summary)))
            .collect();
        let unrelated: Vec<String> = report
            .unrelated
            .iter()
            .filter_map(|i| chain.certificates.get(*i).map(|c| name(&c.summary)))
            .collect();
        let answer = rejection(tls, s, chain);
        let mut explanation = format!(
            "The {s} sent {} certificates in frame {}: {}. The path from the leaf runs {}.",
            sent.len(),
            chain.frame,
            sent.join(", "),
            path.join(" → ")
        );
        if !unrelated.is_empty() {
            explanation.push_str(&format!(" Not on the path: {}.", unrelated.join(", ")));
        }
        explanation.push_str(&answered(answer));
        out.push(
            Finding::new(
                by_role(s, &CLIENT_CHAIN_MISORDERED, &SERVER_CHAIN_MISORDERED),
                Some(conn.id),
                format!(
                    "{s} chain is {}",
                    match (report.misordered, unrelated.is_empty()) {
                        (true, true) => "out of order".to_string(),
                        (true, false) => format!(
                            "out of order and carries {} unrelated certificate(s)",
                            unrelated.len()
                        ),
                        _ => format!("carrying {} unrelated certificate(s)", unrelated.len()),
                    }
                ),
                explanation,
            )
            .frames(frames_of(chain, answer))
            .fact(format!("sent order: {}", sent.join(" | "))),
        );
    }
}
