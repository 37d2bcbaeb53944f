//! client-certificate-not-yet-valid / server-certificate-not-yet-valid: a
//! certificate's notBefore lies after the moment it was sent.
use super::common::{
    by_role, chains, date, frames_of, issuer_name, name, position, rejection, span,
};
use crate::model::Connection;
use crate::rules::{Context, Finding};
use crate::types::Side;

const EXPLANATION: &str = "A certificate in the chain was not valid yet when it was sent: its notBefore date lies after the packet's timestamp. Usually the certificate was issued with a future start date, or the clock of the machine that issued or checks it is wrong. Peers refuse it (bad_certificate, certificate_unknown); AWS ALB logs ClientCertNotYetValid for a client certificate.";

declare_rule! {
    CLIENT_CERTIFICATE_NOT_YET_VALID {
        id: "client-certificate-not-yet-valid",
        severity: Error,
        title: "the client's certificate was not valid yet when it was sent",
        explanation: EXPLANATION,
        remediation: "Check the client certificate's dates (`openssl x509 -in client.pem -noout -dates`) and the clocks of the issuing CA and of the server (NTP). Re-issue the certificate with a start date in the past if it was issued ahead of time.",
        fires_on: ["mtls12-client-not-yet-valid.pcap"],
        quiet_on: ["mtls12-client-cert-missing.pcap"],
        check: Connection(check_client),
    }
}

declare_rule! {
    SERVER_CERTIFICATE_NOT_YET_VALID {
        id: "server-certificate-not-yet-valid",
        severity: Error,
        title: "the server's certificate was not valid yet when it was sent",
        explanation: EXPLANATION,
        remediation: "Check the served certificate's dates (`openssl s_client -connect HOST:443 -servername NAME </dev/null | openssl x509 -noout -dates`) and the server's and clients' clocks (NTP). Re-issue the certificate with a start date in the past if it was issued ahead of time.",
        fires_on: ["server-cert-not-yet-valid.pcap"],
        quiet_on: ["tls12-ok.pcap", "server-cert-expired.pcap"],
        check: Connection(check_server),
    }
}

fn check_client(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    run(conn, Side::Client, out);
}

fn check_server(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    run(conn, Side::Server, out);
}

fn run(conn: &Connection, side: Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let early = chain
            .certificates
            .iter()
            .enumerate()
            .find(|(_, c)| c.summary.not_before.is_some_and(|nb| nb > chain.ts));
        let Some((i, c)) = early else { continue };
        let c = c.summary.as_ref();
        let Some(nb) = c.not_before else { continue };
        let answer = rejection(tls, s, chain);
        let mut explanation = format!(
            "The {s}'s {} {} (issued by {}) becomes valid only on {}, {} after it was sent in frame {} ({}).",
            position(i),
            name(c),
            issuer_name(c),
            date(nb),
            span(chain.ts, nb),
            chain.frame,
            chain.ts.human()
        );
        if let Some(a) = answer {
            explanation.push_str(&format!(
                " The {} then refused it with {} (frame {}).",
                a.sender,
                crate::rules::alerts::meaning::description_name(a),
                a.frame
            ));
        }
        out.push(
            Finding::new(
                by_role(
                    s,
                    &CLIENT_CERTIFICATE_NOT_YET_VALID,
                    &SERVER_CERTIFICATE_NOT_YET_VALID,
                ),
                Some(conn.id),
                format!(
                    "{s} certificate {} is valid only from {}",
                    name(c),
                    date(nb)
                ),
                explanation,
            )
            .frames(frames_of(chain, answer))
            .fact(format!("notBefore: {}", nb.human())),
        );
    }
}
