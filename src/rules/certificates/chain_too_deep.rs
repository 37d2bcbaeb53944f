//! client-chain-too-deep / server-chain-too-deep: more certificates than
//! `--max-chain-depth` (default 4, AWS ALB's mutual-TLS limit).
use super::common::{answered, by_role, chains, frames_of, name, rejection};
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Side;

role_pair! {
    CLIENT_CHAIN_TOO_DEEP, SERVER_CHAIN_TOO_DEEP, run,
    client: {
        id: "client-chain-too-deep", severity: Error,
        title: "the client sent more certificates than the verifier accepts",
        remediation: "Shorten the client's chain: send the leaf and only the intermediates needed up to the trusted CA, or flatten the CA hierarchy. On the server, raise the verification depth if the depth is legitimate (nginx `ssl_verify_depth`, OpenSSL `-verify N`; AWS ALB's limit is fixed at 4). `--max-chain-depth N` sets the limit tlsdiag checks.",
        fires_on: ["mtls12-chain-too-deep.pcap"], quiet_on: ["mtls12-ok.pcap"],
    },
    server: {
        id: "server-chain-too-deep", severity: Error,
        title: "the server sent more certificates than the verifier accepts",
        remediation: "Serve only the leaf and the intermediates needed up to a root the clients trust; remove cross-signed or duplicate certificates. `--max-chain-depth N` sets the limit tlsdiag checks.",
        fires_on: ["server-chain-misordered.pcap --max-chain-depth 3"], quiet_on: ["tls12-ok.pcap"],
    },
    explanation: "Verifiers cap the number of certificates in a chain (OpenSSL's default verify depth is 100, nginx's ssl_verify_depth 1, AWS ALB mutual TLS 4 — logged as ClientCertMaxChainDepthExceeded). A chain longer than the cap is refused, typically with unknown_ca or bad_certificate, even when every certificate is valid.",
}

fn run(conn: &Connection, cx: &Context<'_>, side: Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let max = cx.options.max_chain_depth;
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let n = chain.certificates.len();
        if n <= max {
            continue;
        }
        let answer = rejection(tls, s, chain);
        let names: Vec<String> = chain
            .certificates
            .iter()
            .map(|c| name(&c.summary))
            .collect();
        out.push(
            Finding::new(
                by_role(s, &CLIENT_CHAIN_TOO_DEEP, &SERVER_CHAIN_TOO_DEEP),
                Some(conn.id),
                format!("{s} sent {n} certificates, more than the limit of {max}"),
                format!(
                    "The {s}'s Certificate message (frame {}) holds {n} certificates ({} bytes): {}. The limit checked is {max} (--max-chain-depth).{}",
                    chain.frame,
                    chain.total_size,
                    names.join(" → "),
                    answered(answer)
                ),
            )
            .frames(frames_of(chain, answer))
            .fact(format!("certificates: {n} (limit {max})")),
        );
    }
}
