//! client-certificate-expired / server-certificate-expired: a certificate's
//! notAfter lies before the moment it was sent (the packet's timestamp).
use super::common::{
    by_role, chains, date, frames_of, issuer_name, name, position, rejection, span,
};
use crate::model::Connection;
use crate::rules::{Context, Finding};

const EXPLANATION: &str = "A certificate in the chain was already past its notAfter date when it was sent. tlsdiag judges validity against the capture's own timestamps, never the date of the analysis, so the verdict is the one the peer reached at that moment. Peers refuse expired certificates with certificate_expired (or bad_certificate / certificate_unknown); AWS ALB logs ClientCertExpired for a client certificate.";

declare_rule! {
    CLIENT_CERTIFICATE_EXPIRED {
        id: "client-certificate-expired",
        severity: Error,
        title: "the client's certificate had expired when it was sent",
        explanation: EXPLANATION,
        remediation: "The client team renews the client certificate (and any expired intermediate) and deploys it with its chain. Check the dates with `openssl x509 -in client.pem -noout -dates` (`tlsdiag certs CAPTURE --out DIR` exports the certificates seen), and monitor notAfter before it passes.",
        fires_on: ["mtls12-client-cert-expired.pcap"],
        quiet_on: ["mtls12-ok.pcap", "mtls12-client-cert-missing.pcap"],
        check: Connection(check),
    }
}

declare_rule! {
    SERVER_CERTIFICATE_EXPIRED {
        id: "server-certificate-expired",
        severity: Error,
        title: "the server's certificate had expired when it was sent",
        explanation: EXPLANATION,
        remediation: "The server team renews the certificate (or the expired intermediate) and reloads the server or load balancer. Check what is served with `openssl s_client -connect HOST:443 -servername NAME </dev/null | openssl x509 -noout -dates`.",
        fires_on: ["server-cert-expired.pcap", "intermittent-server-cert.pcap"],
        quiet_on: ["tls12-ok.pcap", "server-cert-not-yet-valid.pcap"],
        check: Connection(check_server),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    run(conn, crate::types::Side::Client, out);
}

fn check_server(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    run(conn, crate::types::Side::Server, out);
}

fn run(conn: &Connection, side: crate::types::Side, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let expired: Vec<(usize, &crate::certs::CertSummary)> = chain
            .certificates
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.summary.as_ref()))
            .filter(|(_, c)| c.not_after.is_some_and(|na| na < chain.ts))
            .collect();
        let Some(&(i, first)) = expired.first() else {
            continue;
        };
        let Some(not_after) = first.not_after else {
            continue;
        };
        let answer = rejection(tls, s, chain);
        let mut explanation = format!(
            "The {s}'s {} {} (issued by {}) expired on {}, {} before it was sent in frame {} ({}).",
            position(i),
            name(first),
            issuer_name(first),
            date(not_after),
            span(not_after, chain.ts),
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
        let mut f = Finding::new(
            by_role(s, &CLIENT_CERTIFICATE_EXPIRED, &SERVER_CERTIFICATE_EXPIRED),
            Some(conn.id),
            format!(
                "{s} certificate {} expired {} before this connection",
                name(first),
                span(not_after, chain.ts)
            ),
            explanation,
        )
        .frames(frames_of(chain, answer));
        for (i, c) in &expired {
            if let Some(na) = c.not_after {
                f = f.fact(format!(
                    "{}: {} notAfter {}",
                    position(*i),
                    name(c),
                    date(na)
                ));
            }
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cert, Chain, Status};
    use crate::rules::testutil::*;
    use crate::types::{FrameNo, Side, Timestamp};
    use std::sync::Arc;

    fn chain_with(not_after: Timestamp) -> Chain {
        let s = crate::certs::CertSummary {
            subject_cn: Some("client-jane".into()),
            issuer_cn: Some("Client CA".into()),
            not_after: Some(not_after),
            ..Default::default()
        };
        Chain {
            frame: FrameNo(8),
            ts: ts(100),
            certificates: vec![Cert {
                summary: Arc::new(s),
            }],
            total_size: 400,
            malformed: None,
            decrypted: false,
        }
    }

    #[test]
    fn judged_against_the_packet_time_not_today() {
        let mut t = tls();
        // Expired one day before the connection (2026-03-01).
        t.client_certificates = Some(chain_with(Timestamp::new(1_772_360_523 - 86_400 * 3, 0)));
        let mut out = Vec::new();
        run(
            &conn(1, Some(t.clone()), Status::Failed),
            Side::Client,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "client-certificate-expired");
        assert!(
            out[0].explanation.contains("2026-02-26"),
            "{}",
            out[0].explanation
        );
        assert_eq!(out[0].evidence.frames, vec![FrameNo(8)]);
        // Valid until after the connection: quiet, whatever today's date is.
        t.client_certificates = Some(chain_with(Timestamp::new(1_772_360_523 + 60, 0)));
        let mut out = Vec::new();
        run(&conn(1, Some(t), Status::Failed), Side::Client, &mut out);
        assert!(out.is_empty());
    }
}
