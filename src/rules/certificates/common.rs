//! Shared helpers of the certificate and mutual-TLS rules: which chains a
//! connection carries, how to name a certificate, dates relative to the
//! connection, and which alert the peer answered a chain with.

use crate::certs::{CertSummary, Usage};
use crate::model::{Alert, Chain, Connection, Tls};
use crate::rules::Rule;
use crate::rules::alerts::meaning::{self, CERTIFICATE_ALERTS};
use crate::types::{Side, Timestamp, civil_from_unix};

/// The certificate chains a connection shows, with who sent them.
pub(crate) fn chains(conn: &Connection) -> Vec<(Side, &Chain)> {
    let Some(t) = conn.tls.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(c) = &t.server_certificates {
        out.push((Side::Server, c));
    }
    if let Some(c) = &t.client_certificates {
        out.push((Side::Client, c));
    }
    out
}

/// The `client-…` or `server-…` rule of a pair.
pub(crate) fn by_role<'r>(side: Side, client: &'r Rule, server: &'r Rule) -> &'r Rule {
    match side {
        Side::Client => client,
        Side::Server => server,
    }
}

pub(crate) fn usage(side: Side) -> Usage {
    match side {
        Side::Client => Usage::ClientAuth,
        Side::Server => Usage::ServerAuth,
    }
}

/// `CN=client-jane` (or the whole subject when it has no CN).
pub(crate) fn name(c: &CertSummary) -> String {
    match &c.subject_cn {
        Some(cn) => format!("CN={cn}"),
        None if c.subject.is_empty() => format!("(no subject, sha256 {})", short_fp(c)),
        None => c.subject.clone(),
    }
}

/// `CN=tlsdiag Test Client CA` for the issuer.
pub(crate) fn issuer_name(c: &CertSummary) -> String {
    match &c.issuer_cn {
        Some(cn) => format!("CN={cn}"),
        None => c.issuer.clone(),
    }
}

pub(crate) fn short_fp(c: &CertSummary) -> String {
    c.sha256.chars().take(16).collect()
}

/// `2024-05-01`.
pub(crate) fn date(t: Timestamp) -> String {
    let (y, m, d, ..) = civil_from_unix(t.secs);
    format!("{y:04}-{m:02}-{d:02}")
}

/// "302 days" / "5 hours" between two instants (absolute).
pub(crate) fn span(a: Timestamp, b: Timestamp) -> String {
    let secs = b.since(a).abs();
    let days = (secs / 86_400.0).floor();
    if days >= 2.0 {
        format!("{days:.0} days")
    } else if secs >= 7_200.0 {
        format!("{:.0} hours", secs / 3_600.0)
    } else {
        format!("{:.0} minutes", (secs / 60.0).max(1.0))
    }
}

/// Position of a certificate in its chain, for people.
pub(crate) fn position(i: usize) -> String {
    if i == 0 {
        "leaf".to_string()
    } else {
        format!("chain certificate #{}", i + 1)
    }
}

/// The fatal certificate alert the peer sent after `chain`, if any.
pub(crate) fn rejection<'t>(
    tls: &'t Tls,
    sender_of_chain: Side,
    chain: &Chain,
) -> Option<&'t Alert> {
    tls.alerts.iter().find(|a| {
        a.sender == sender_of_chain.other()
            && a.frame >= chain.frame
            && !a.encrypted
            && a.level == "fatal"
            && meaning::description_id(a).is_some_and(|d| CERTIFICATE_ALERTS.contains(&d))
    })
}

/// Compares distinguished names as text, ignoring case and spacing around
/// separators (the same DN may be rendered with or without spaces).
pub(crate) fn same_dn(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.split(',')
            .map(|p| p.trim().to_ascii_lowercase().replace(" = ", "="))
            .collect::<Vec<_>>()
            .join(",")
    };
    norm(a) == norm(b)
}

/// Frames of the chain and of the peer's answer to it.
pub(crate) fn frames_of(chain: &Chain, answer: Option<&Alert>) -> Vec<crate::types::FrameNo> {
    let mut v = vec![chain.frame];
    v.extend(answer.map(|a| a.frame));
    v
}

/// Declares the `client-…` and `server-…` rules of a pair that share one
/// check `run(conn, cx, side, out)`.
macro_rules! role_pair {
    (
        $client:ident, $server:ident, $run:path,
        client: { id: $cid:literal, severity: $csev:ident, title: $ctitle:literal, remediation: $crem:expr,
                  fires_on: [$($cf:literal),* $(,)?], quiet_on: [$($cq:literal),* $(,)?] $(,)? },
        server: { id: $sid:literal, severity: $ssev:ident, title: $stitle:literal, remediation: $srem:expr,
                  fires_on: [$($sf:literal),* $(,)?], quiet_on: [$($sq:literal),* $(,)?] $(,)? },
        explanation: $expl:expr $(,)?
    ) => {
        declare_rule! {
            $client {
                id: $cid,
                severity: $csev,
                title: $ctitle,
                explanation: $expl,
                remediation: $crem,
                fires_on: [$($cf),*],
                quiet_on: [$($cq),*],
                check: Connection(check_client),
            }
        }
        declare_rule! {
            $server {
                id: $sid,
                severity: $ssev,
                title: $stitle,
                explanation: $expl,
                remediation: $srem,
                fires_on: [$($sf),*],
                quiet_on: [$($sq),*],
                check: Connection(check_server),
            }
        }
        fn check_client(conn: &crate::model::Connection, cx: &crate::rules::Context<'_>, out: &mut Vec<crate::rules::Finding>) {
            $run(conn, cx, crate::types::Side::Client, out);
        }
        fn check_server(conn: &crate::model::Connection, cx: &crate::rules::Context<'_>, out: &mut Vec<crate::rules::Finding>) {
            $run(conn, cx, crate::types::Side::Server, out);
        }
    };
}
pub(crate) use role_pair;

/// The alert sentence appended to explanations when the peer refused the chain.
pub(crate) fn answered(a: Option<&Alert>) -> String {
    a.map(|a| {
        format!(
            " The {} answered with a fatal {} alert (frame {}).",
            a.sender,
            meaning::description_name(a),
            a.frame
        )
    })
    .unwrap_or_default()
}

/// For rules about properties of single certificates: the certificates of
/// `side`'s chains for which `detail` says something, one finding per chain
/// naming them all.
#[allow(clippy::too_many_arguments)]
pub(crate) fn per_certificate(
    conn: &Connection,
    side: Side,
    rule: &Rule,
    severity: crate::rules::Severity,
    out: &mut Vec<crate::rules::Finding>,
    detail: impl Fn(usize, &CertSummary) -> Option<String>,
    title: impl Fn(&CertSummary, &str) -> String,
    why: &str,
) {
    let Some(tls) = conn.tls.as_ref() else { return };
    for (s, chain) in chains(conn).into_iter().filter(|(s, _)| *s == side) {
        let hits: Vec<(usize, &CertSummary, String)> = chain
            .certificates
            .iter()
            .enumerate()
            .filter_map(|(i, c)| detail(i, &c.summary).map(|d| (i, c.summary.as_ref(), d)))
            .collect();
        let Some((_, first, first_detail)) = hits.first() else {
            continue;
        };
        let answer = rejection(tls, s, chain);
        let list: Vec<String> = hits
            .iter()
            .map(|(i, c, d)| format!("the {} {} ({d})", position(*i), name(c)))
            .collect();
        let mut f = crate::rules::Finding::new(
            rule,
            Some(conn.id),
            title(first, first_detail),
            format!(
                "In the {s}'s Certificate message (frame {}): {}. {why}{}",
                chain.frame,
                list.join("; "),
                answered(answer)
            ),
        )
        .severity(severity)
        .frames(frames_of(chain, answer));
        for (i, c, d) in &hits {
            f = f.fact(format!("{}: {} — {d}", position(*i), name(c)));
        }
        out.push(f);
    }
}
