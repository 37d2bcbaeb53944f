//! The per-aspect comparisons of one server group, and the decision which
//! of them explain the group's failure delta.
//!
//! Each comparison reads the connections of the group on both sides and
//! returns at most one [`Draft`] with a sentence written from BEFORE to
//! AFTER ("no longer", "now"). Values compared are sets over the group's
//! connections, so a different number of connections alone is no change.

use super::{Change, ChangeKind, Importance, Profile};
use crate::certs::CertSummary;
use crate::model::{Chain, ClientOffer, Connection, Named, Status, Tls};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A change before its importance is decided.
struct Draft {
    kind: ChangeKind,
    summary: String,
    before: Value,
    after: Value,
    /// Importance when the change explains nothing.
    base: Importance,
}

fn draft(
    kind: ChangeKind,
    summary: String,
    before: Value,
    after: Value,
    base: Importance,
) -> Option<Draft> {
    Some(Draft {
        kind,
        summary,
        before,
        after,
        base,
    })
}

/// Compares one group present on both sides.
pub(super) fn compare(label: &str, b: &Profile<'_>, a: &Profile<'_>) -> Vec<Change> {
    let delta = FailureDelta::of(b, a);
    let mut drafts: Vec<Draft> = [
        sni(b, a),
        offered_versions(b, a),
        negotiated_version(b, a),
        offered_ciphers(b, a),
        selected_cipher(b, a),
        key_groups(b, a),
        alpn(b, a),
        certificate_request(b, a),
        client_certificate(b, a),
        server_certificate(b, a),
        outcome(b, a),
        alerts(b, a),
        ja4(b, a),
        timing(b, a),
    ]
    .into_iter()
    .flatten()
    .collect();
    drafts.extend(findings(
        &b.errors,
        &a.errors,
        ChangeKind::ErrorFinding,
        "error",
        Importance::Failure,
    ));
    drafts.extend(findings(
        &b.warnings,
        &a.warnings,
        ChangeKind::WarningFinding,
        "warning",
        Importance::Detail,
    ));

    let mut changes: Vec<Change> = drafts
        .into_iter()
        .map(|d| {
            let explains = delta.explained_by(d.kind);
            let importance = if explains.is_empty() {
                d.base
            } else {
                Importance::Cause
            };
            Change {
                group: label.to_string(),
                kind: d.kind,
                importance,
                summary: d.summary,
                before: d.before,
                after: d.after,
                explains,
            }
        })
        .collect();
    // Nothing declared matches (no rules ran, alerts encrypted): every
    // configuration change of a group whose outcome changed is a suspect.
    if delta.outcome_changed && !changes.iter().any(|c| c.importance == Importance::Cause) {
        for c in changes.iter_mut().filter(|c| relevance(c.kind).is_some()) {
            c.importance = Importance::Cause;
            c.explains = delta.all();
        }
    }
    changes
}

/// A group present on one side only.
pub(super) fn one_sided(label: &str, p: &Profile<'_>, before_only: bool) -> Change {
    let counts = p.counts();
    let failing = counts.failed > 0 || !counts.errors.is_empty();
    let value = json!({ "connections": counts.connections, "completed": counts.completed, "failed": counts.failed });
    let summary = format!(
        "server group {label} appears only {}: {} connection{}, {} failed",
        if before_only { "before" } else { "after" },
        counts.connections,
        plural(counts.connections),
        counts.failed
    );
    let (before, after) = if before_only {
        (value, Value::Null)
    } else {
        (Value::Null, value)
    };
    Change {
        group: label.to_string(),
        kind: ChangeKind::GroupOneSide,
        importance: if failing {
            Importance::Failure
        } else {
            Importance::Change
        },
        summary,
        before,
        after,
        explains: Vec::new(),
    }
}

/// What fails on one side only: error rule ids, fatal alerts, outcomes.
struct FailureDelta {
    rules: BTreeSet<String>,
    alerts: BTreeSet<String>,
    outcome_changed: bool,
}

impl FailureDelta {
    fn of(b: &Profile<'_>, a: &Profile<'_>) -> Self {
        let rb: BTreeSet<&String> = b.errors.keys().collect();
        let ra: BTreeSet<&String> = a.errors.keys().collect();
        let ab = fatal_alerts(b);
        let aa = fatal_alerts(a);
        FailureDelta {
            rules: rb
                .symmetric_difference(&ra)
                .map(|s| s.to_string())
                .collect(),
            alerts: ab.symmetric_difference(&aa).cloned().collect(),
            outcome_changed: class(failed(b), b.conns.len()) != class(failed(a), a.conns.len()),
        }
    }

    /// The failure signals `kind` can explain (empty: none, or not a cause).
    fn explained_by(&self, kind: ChangeKind) -> Vec<String> {
        let Some(rel) = relevance(kind) else {
            return Vec::new();
        };
        let rules = self
            .rules
            .iter()
            .filter(|r| rel.rules.iter().any(|p| r.starts_with(p)))
            .cloned();
        let alerts = self
            .alerts
            .iter()
            .filter(|d| rel.alerts.contains(&d.as_str()))
            .map(|d| format!("alert:{d}"));
        rules.chain(alerts).collect()
    }

    fn all(&self) -> Vec<String> {
        let mut v: Vec<String> = self.rules.iter().cloned().collect();
        v.extend(self.alerts.iter().map(|d| format!("alert:{d}")));
        if v.is_empty() {
            v.push("outcome".to_string());
        }
        v
    }
}

/// Rule id prefixes and alert descriptions a configuration aspect can explain.
struct Relevance {
    rules: &'static [&'static str],
    alerts: &'static [&'static str],
}

const CERT_ALERTS: &[&str] = &[
    "bad_certificate",
    "unsupported_certificate",
    "certificate_revoked",
    "certificate_expired",
    "certificate_unknown",
    "unknown_ca",
    "decrypt_error",
    "access_denied",
    "certificate_required",
];

/// `None`: the aspect is a symptom or a detail, never a cause.
fn relevance(kind: ChangeKind) -> Option<Relevance> {
    let r = |rules, alerts| Some(Relevance { rules, alerts });
    match kind {
        ChangeKind::Sni => r(
            &[
                "sni-",
                "certificate-name-mismatch",
                "server-certificate-",
                "server-chain-",
            ],
            &[
                "unrecognized_name",
                "bad_certificate",
                "certificate_unknown",
                "unknown_ca",
                "handshake_failure",
            ],
        ),
        ChangeKind::OfferedVersions | ChangeKind::NegotiatedVersion => r(
            &[
                "protocol-version-mismatch",
                "protocol-downgrade",
                "deprecated-protocol",
            ],
            &["protocol_version", "inappropriate_fallback"],
        ),
        ChangeKind::OfferedCiphers | ChangeKind::SelectedCipher => r(
            &["cipher-suite-mismatch", "weak-cipher-negotiated"],
            &["handshake_failure", "insufficient_security"],
        ),
        ChangeKind::Groups => r(
            &["no-common-group"],
            &[
                "handshake_failure",
                "illegal_parameter",
                "insufficient_security",
            ],
        ),
        ChangeKind::Alpn => r(&["alpn-mismatch"], &["no_application_protocol"]),
        ChangeKind::CertificateRequest | ChangeKind::ClientCertificate => {
            r(&["client-certificate-", "client-chain-"], CERT_ALERTS)
        }
        ChangeKind::ServerCertificate => r(
            &[
                "server-certificate-",
                "server-chain-",
                "certificate-name-mismatch",
            ],
            CERT_ALERTS,
        ),
        _ => None,
    }
}

// ---- small helpers -------------------------------------------------------

fn tls<'a>(p: &'a Profile<'_>) -> impl Iterator<Item = &'a Tls> {
    p.conns.iter().filter_map(|c| c.tls.as_ref())
}

fn offers<'a>(p: &'a Profile<'_>) -> impl Iterator<Item = &'a ClientOffer> {
    tls(p).filter_map(|t| t.client_hello.as_deref())
}

fn failed(p: &Profile<'_>) -> usize {
    p.conns.iter().filter(|c| c.failed()).count()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `none`, `some` or `all` of `total`.
fn class(n: usize, total: usize) -> &'static str {
    match n {
        0 => "none",
        n if n >= total => "all",
        _ => "some",
    }
}

/// Names in order of first appearance, without repeats.
fn union<'a>(lists: impl Iterator<Item = &'a [Named]>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in lists.flatten() {
        let l = n.label();
        if seen.insert(l.clone()) {
            out.push(l);
        }
    }
    out
}

/// Items of `b` missing from `a`, and items of `a` missing from `b`.
fn removed_added(b: &[String], a: &[String]) -> (Vec<String>, Vec<String>) {
    let removed = b.iter().filter(|x| !a.contains(x)).cloned().collect();
    let added = a.iter().filter(|x| !b.contains(x)).cloned().collect();
    (removed, added)
}

/// A short list: at most six names, then a count.
fn list(v: &[String]) -> String {
    if v.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<&str> = v.iter().take(6).map(String::as_str).collect();
    match v.len().saturating_sub(6) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

fn set(v: &BTreeSet<String>) -> Vec<String> {
    v.iter().cloned().collect()
}

fn fatal_alerts(p: &Profile<'_>) -> BTreeSet<String> {
    tls(p)
        .flat_map(|t| &t.alerts)
        .filter(|al| al.level == "fatal")
        .filter_map(|al| al.description.as_ref().map(Named::label))
        .collect()
}

/// A fatal alert from the server with one of `descriptions`, or an error finding of one of `rules`.
fn server_refused(p: &Profile<'_>, descriptions: &[&str], rules: &[&str]) -> bool {
    let alert = tls(p).flat_map(|t| &t.alerts).any(|al| {
        al.sender == crate::types::Side::Server
            && al
                .description
                .as_ref()
                .is_some_and(|d| descriptions.contains(&d.label().as_str()))
    });
    alert || rules.iter().any(|r| p.errors.contains_key(*r))
}

// ---- SNI and the client's offer -----------------------------------------

fn sni(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let names = |p: &Profile<'_>| -> BTreeSet<Option<String>> {
        tls(p)
            .filter(|t| t.client_hello.is_some())
            .map(|t| t.sni.clone())
            .collect()
    };
    let (nb, na) = (names(b), names(a));
    if nb == na || nb.is_empty() || na.is_empty() {
        return None;
    }
    let shown = |s: &BTreeSet<Option<String>>| -> String {
        let v: Vec<String> = s
            .iter()
            .map(|n| n.clone().unwrap_or_else(|| "none".into()))
            .collect();
        list(&v)
    };
    let all_sent = |s: &BTreeSet<Option<String>>| s.iter().all(Option::is_some);
    let none_sent = |s: &BTreeSet<Option<String>>| s.iter().all(Option::is_none);
    let summary = if all_sent(&nb) && none_sent(&na) {
        format!("client no longer sends SNI (was {})", shown(&nb))
    } else if none_sent(&nb) && all_sent(&na) {
        format!("client now sends SNI {} (sent none before)", shown(&na))
    } else {
        format!(
            "SNI sent by the client changed from {} to {}",
            shown(&nb),
            shown(&na)
        )
    };
    draft(
        ChangeKind::Sni,
        summary,
        json!(nb),
        json!(na),
        Importance::Change,
    )
}

fn highest(p: &Profile<'_>) -> BTreeSet<String> {
    offers(p)
        .filter_map(|o| o.versions.first().map(Named::label))
        .collect()
}

fn offered_versions(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let (ub, ua) = (
        union(offers(b).map(|o| o.versions.as_slice())),
        union(offers(a).map(|o| o.versions.as_slice())),
    );
    let (hb, ha) = (highest(b), highest(a));
    if (hb == ha && removed_added(&ub, &ua) == (vec![], vec![])) || ub.is_empty() || ua.is_empty() {
        return None;
    }
    let summary = if hb != ha {
        format!(
            "client's highest offered version is now {} (was {})",
            list(&set(&ha)),
            list(&set(&hb))
        )
    } else {
        offered_sentence("client", "versions", &ub, &ua)
    };
    draft(
        ChangeKind::OfferedVersions,
        summary,
        json!(ub),
        json!(ua),
        Importance::Change,
    )
}

/// "client no longer offers X; now also offers Y".
fn offered_sentence(who: &str, what: &str, b: &[String], a: &[String]) -> String {
    let (removed, added) = removed_added(b, a);
    match (removed.is_empty(), added.is_empty()) {
        (false, true) => format!(
            "{who}'s {what} narrowed: no longer offers {}",
            list(&removed)
        ),
        (true, false) => format!("{who}'s {what} widened: now also offers {}", list(&added)),
        _ => format!(
            "{who}'s {what} changed: no longer offers {}; now offers {}",
            list(&removed),
            list(&added)
        ),
    }
}

const VERSION_REFUSAL: &[&str] = &["protocol_version"];
const VERSION_RULES: &[&str] = &["protocol-version-mismatch"];

fn negotiated(p: &Profile<'_>) -> BTreeSet<String> {
    tls(p)
        .filter_map(|t| t.version.as_ref().map(Named::label))
        .collect()
}

fn negotiated_version(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let (vb, va) = (negotiated(b), negotiated(a));
    if vb == va {
        return None;
    }
    let refused = |p| server_refused(p, VERSION_REFUSAL, VERSION_RULES);
    let summary = if !vb.is_empty() && !va.is_empty() {
        format!(
            "server now negotiates {} (was {})",
            list(&set(&va)),
            list(&set(&vb))
        )
    } else if va.is_empty() && refused(a) {
        let max = list(&set(&highest(a)));
        let unchanged = if highest(a) == highest(b) {
            " (unchanged)"
        } else {
            ""
        };
        format!(
            "server now refuses {max}, the client's highest offered version{unchanged}: it requires a newer version (negotiated {} before)",
            list(&set(&vb))
        )
    } else if vb.is_empty() && refused(b) {
        format!(
            "server now accepts {} (it refused the client's versions before)",
            list(&set(&va))
        )
    } else {
        return None;
    };
    draft(
        ChangeKind::NegotiatedVersion,
        summary,
        json!(vb),
        json!(va),
        Importance::Change,
    )
}

const CIPHER_REFUSAL: &[&str] = &["handshake_failure", "insufficient_security"];
const CIPHER_RULES: &[&str] = &["cipher-suite-mismatch"];

fn offered_suites(p: &Profile<'_>) -> Vec<String> {
    union(offers(p).map(|o| o.cipher_suites.as_slice()))
}

fn selected_suites(p: &Profile<'_>) -> BTreeSet<String> {
    tls(p)
        .filter_map(|t| t.cipher_suite.as_ref().map(Named::label))
        .collect()
}

fn offered_ciphers(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let (ob, oa) = (offered_suites(b), offered_suites(a));
    if removed_added(&ob, &oa) == (vec![], vec![]) || ob.is_empty() || oa.is_empty() {
        return None;
    }
    let mut summary = offered_sentence("client", "cipher list", &ob, &oa);
    let refused = |p| server_refused(p, CIPHER_REFUSAL, CIPHER_RULES);
    if selected_suites(a).is_empty() && refused(a) && !selected_suites(b).is_empty() {
        summary.push_str("; no suite in common with the server any more");
    } else if selected_suites(b).is_empty() && refused(b) && !selected_suites(a).is_empty() {
        summary.push_str("; the server now finds a suite in common");
    }
    draft(
        ChangeKind::OfferedCiphers,
        summary,
        json!(ob),
        json!(oa),
        Importance::Change,
    )
}

fn selected_cipher(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let (sb, sa) = (selected_suites(b), selected_suites(a));
    if sb == sa {
        return None;
    }
    let same_offer = removed_added(&offered_suites(b), &offered_suites(a)) == (vec![], vec![]);
    let refused = |p| server_refused(p, CIPHER_REFUSAL, CIPHER_RULES);
    let summary = if !sb.is_empty() && !sa.is_empty() {
        format!(
            "server now selects {} (was {})",
            list(&set(&sa)),
            list(&set(&sb))
        )
    } else if sa.is_empty() && same_offer && refused(a) {
        format!(
            "no cipher suite in common any more: the server no longer accepts {}, and the client's offer is unchanged",
            list(&set(&sb))
        )
    } else if sb.is_empty() && same_offer && refused(b) {
        format!(
            "server now accepts {} from the same client offer (no suite in common before)",
            list(&set(&sa))
        )
    } else {
        return None;
    };
    draft(
        ChangeKind::SelectedCipher,
        summary,
        json!(sb),
        json!(sa),
        Importance::Change,
    )
}

/// Offered lists and server choices of one negotiated parameter (groups, ALPN).
struct Param {
    offered: Vec<String>,
    selected: BTreeSet<String>,
}

impl Param {
    fn value(&self) -> Value {
        json!({ "offered": self.offered, "selected": self.selected })
    }
}

/// Compares a negotiated parameter: offered list and, where both sides chose, the choice.
fn param(kind: ChangeKind, what: &str, pb: Param, pa: Param) -> Option<Draft> {
    let mut parts = Vec::new();
    if removed_added(&pb.offered, &pa.offered) != (vec![], vec![]) {
        parts.push(offered_sentence("client", what, &pb.offered, &pa.offered));
    }
    if pb.selected != pa.selected && !pb.selected.is_empty() && !pa.selected.is_empty() {
        parts.push(format!(
            "server now selects {} (was {})",
            list(&set(&pa.selected)),
            list(&set(&pb.selected))
        ));
    }
    if parts.is_empty() {
        return None;
    }
    draft(
        kind,
        parts.join("; "),
        pb.value(),
        pa.value(),
        Importance::Change,
    )
}

fn key_groups(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let of = |p: &Profile<'_>| Param {
        offered: union(offers(p).map(|o| o.supported_groups.as_slice())),
        selected: tls(p)
            .filter_map(|t| t.server_hello.as_ref()?.group.as_ref().map(Named::label))
            .collect(),
    };
    param(ChangeKind::Groups, "key exchange groups", of(b), of(a))
}

fn alpn(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let of = |p: &Profile<'_>| {
        let mut offered: Vec<String> = Vec::new();
        for name in offers(p).flat_map(|o| &o.alpn) {
            if !offered.contains(name) {
                offered.push(name.clone());
            }
        }
        let selected = tls(p)
            .filter_map(|t| t.server_hello.as_ref()?.alpn.clone())
            .collect();
        Param { offered, selected }
    };
    param(ChangeKind::Alpn, "ALPN list", of(b), of(a))
}

// ---- certificates ---------------------------------------------------------

/// `CN=x` when the name has a common name, else the whole DN.
fn cert_name(c: &CertSummary) -> String {
    match &c.subject_cn {
        Some(cn) => format!("CN={cn}"),
        None if !c.subject.is_empty() => c.subject.clone(),
        None => format!("sha256 {}", c.sha256.get(..16).unwrap_or(&c.sha256)),
    }
}

fn issuer_name(c: &CertSummary) -> String {
    match &c.issuer_cn {
        Some(cn) => format!("CN={cn}"),
        None => c.issuer.clone(),
    }
}

fn date(c: Option<crate::types::Timestamp>) -> String {
    c.map(|t| t.rfc3339().chars().take(10).collect())
        .unwrap_or_else(|| "?".into())
}

fn chain_value(c: &Chain) -> Value {
    let certs: Vec<Value> = c
        .certificates
        .iter()
        .map(|x| {
            json!({
                "subject": x.summary.subject,
                "issuer": x.summary.issuer,
                "sha256": x.summary.sha256,
                "not_before": x.summary.not_before,
                "not_after": x.summary.not_after,
            })
        })
        .collect();
    Value::Array(certs)
}

/// The sha256 list identifying a chain's composition.
fn chain_id(c: &Chain) -> Vec<String> {
    c.certificates
        .iter()
        .map(|x| x.summary.sha256.clone())
        .collect()
}

/// Distinct chains by composition, most frequent first (ties: first seen).
fn distinct_chains<'a>(chains: impl Iterator<Item = &'a Chain>) -> Vec<&'a Chain> {
    let mut seen: Vec<(Vec<String>, &Chain, usize)> = Vec::new();
    for c in chains {
        let id = chain_id(c);
        match seen.iter_mut().find(|(k, _, _)| *k == id) {
            Some(entry) => entry.2 += 1,
            None => seen.push((id, c, 1)),
        }
    }
    seen.sort_by_key(|entry| std::cmp::Reverse(entry.2));
    seen.into_iter().map(|(_, c, _)| c).collect()
}

/// "new leaf CN=a issued by CN=b (was …); valid …; the intermediate X is no longer sent".
fn chain_change(noun: &str, b: &Chain, a: &Chain) -> String {
    let (Some(lb), Some(la)) = (b.leaf(), a.leaf()) else {
        return format!("{noun} chain changed");
    };
    let mut s = if lb.sha256 == la.sha256 {
        format!("{noun} chain changed: same leaf {}", cert_name(la))
    } else {
        let mut s = format!(
            "{noun} changed: new leaf {} issued by {}",
            cert_name(la),
            issuer_name(la)
        );
        match (
            cert_name(lb) != cert_name(la),
            issuer_name(lb) != issuer_name(la),
        ) {
            (true, true) => s.push_str(&format!(
                " (was {} issued by {})",
                cert_name(lb),
                issuer_name(lb)
            )),
            (true, false) => s.push_str(&format!(" (was {})", cert_name(lb))),
            (false, true) => s.push_str(&format!(" (was issued by {})", issuer_name(lb))),
            (false, false) => {}
        }
        if lb.subject != la.subject && cert_name(lb) == cert_name(la) {
            s.push_str(&format!(
                "; subject now {} (was {})",
                la.subject, lb.subject
            ));
        }
        if (lb.not_before, lb.not_after) != (la.not_before, la.not_after) {
            s.push_str(&format!(
                "; valid {} to {} (was {} to {})",
                date(la.not_before),
                date(la.not_after),
                date(lb.not_before),
                date(lb.not_after)
            ));
        }
        s
    };
    let extra = |c: &Chain| -> Vec<String> {
        c.certificates
            .iter()
            .skip(1)
            .map(|x| x.summary.subject.clone())
            .collect()
    };
    let (eb, ea) = (extra(b), extra(a));
    let named = |v: &[String]| -> Vec<String> {
        let certs = b.certificates.iter().chain(&a.certificates);
        v.iter()
            .map(|subj| {
                certs
                    .clone()
                    .find(|x| &x.summary.subject == subj)
                    .map(|x| cert_name(&x.summary))
                    .unwrap_or_default()
            })
            .collect()
    };
    let (gone, new) = removed_added(&eb, &ea);
    match gone.len() {
        0 => {}
        1 => s.push_str(&format!(
            "; the intermediate {} is no longer sent",
            list(&named(&gone))
        )),
        _ => s.push_str(&format!(
            "; intermediates {} are no longer sent",
            list(&named(&gone))
        )),
    }
    if !new.is_empty() {
        s.push_str(&format!("; now also sends {}", list(&named(&new))));
    }
    s
}

fn server_certificate(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let chains = |p: &Profile<'_>| -> Vec<Chain> {
        distinct_chains(
            tls(p)
                .filter_map(|t| t.server_certificates.as_ref())
                .filter(|c| !c.certificates.is_empty()),
        )
        .into_iter()
        .cloned()
        .collect()
    };
    let (cb, ca) = (chains(b), chains(a));
    let ids = |v: &[Chain]| -> BTreeSet<Vec<String>> { v.iter().map(chain_id).collect() };
    if ids(&cb) == ids(&ca) {
        return None;
    }
    let (Some(rb), Some(ra)) = (cb.first(), ca.first()) else {
        return None;
    };
    let mut summary = chain_change("server certificate", rb, ra);
    if ca.len() > 1 {
        summary.push_str(&format!("; {} different chains after", ca.len()));
    }
    let values = |v: &[Chain]| Value::Array(v.iter().map(chain_value).collect());
    draft(
        ChangeKind::ServerCertificate,
        summary,
        values(&cb),
        values(&ca),
        Importance::Change,
    )
}

/// Connections where a CertificateRequest could have been seen.
fn request_visible(t: &Tls) -> bool {
    t.server_hello.is_some() && (t.certificate_request.is_some() || !t.encrypted_handshake)
}

fn certificate_request(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let of = |p: &Profile<'_>| {
        let eligible: Vec<&Tls> = tls(p).filter(|t| request_visible(t)).collect();
        let requested = eligible
            .iter()
            .filter(|t| t.certificate_request.is_some())
            .count();
        let mut cas: Vec<String> = Vec::new();
        for ca in eligible
            .iter()
            .filter_map(|t| t.certificate_request.as_ref())
            .flat_map(|r| &r.ca_names)
        {
            if !cas.contains(ca) {
                cas.push(ca.clone());
            }
        }
        (class(requested, eligible.len()), eligible.len(), cas)
    };
    let ((qb, nb, cab), (qa, na, caa)) = (of(b), of(a));
    if nb == 0 || na == 0 || (qb == qa && removed_added(&cab, &caa) == (vec![], vec![])) {
        return None;
    }
    let summary = match (qb, qa) {
        (_, "none") => "server no longer requests a client certificate".to_string(),
        ("none", _) => format!(
            "server now requests a client certificate (accepted CAs: {})",
            list(&caa)
        ),
        (x, y) if x != y => {
            format!("server requests a client certificate on {y} connections (was {x})")
        }
        _ => {
            let (gone, new) = removed_added(&cab, &caa);
            format!(
                "server's accepted CA list changed: no longer names {}; now names {}",
                list(&gone),
                list(&new)
            )
        }
    };
    let value = |q: &str, cas: &[String]| json!({ "requested": q, "ca_names": cas });
    draft(
        ChangeKind::CertificateRequest,
        summary,
        value(qb, &cab),
        value(qa, &caa),
        Importance::Change,
    )
}

/// The client's most frequent Certificate message.
fn client_chain<'a>(p: &'a Profile<'_>) -> Option<&'a Chain> {
    distinct_chains(tls(p).filter_map(|t| t.client_certificates.as_ref()))
        .first()
        .copied()
}

/// What the client sent for its certificate on one connection.
fn client_cert_state(t: &Tls) -> Option<Value> {
    match &t.client_certificates {
        None if t.certificate_request.is_some() => Some(Value::Null),
        None => None,
        Some(c) => Some(json!(
            c.certificates
                .iter()
                .map(|x| x.summary.subject.clone())
                .collect::<Vec<_>>()
        )),
    }
}

fn client_certificate(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    // Compared by composition; described from the most frequent chain.
    let states = |p: &Profile<'_>| -> (BTreeSet<String>, Vec<Value>) {
        let mut keys = BTreeSet::new();
        let mut values = Vec::new();
        for t in tls(p) {
            let Some(v) = client_cert_state(t) else {
                continue;
            };
            let key = match &t.client_certificates {
                Some(c) => format!("{:?}", chain_id(c)),
                None => "none".to_string(),
            };
            if keys.insert(key) {
                values.push(v);
            }
        }
        (keys, values)
    };
    let ((kb, vb), (ka, va)) = (states(b), states(a));
    if kb == ka || kb.is_empty() || ka.is_empty() {
        return None;
    }
    let describe = |c: Option<&Chain>| match c {
        None => "no Certificate message".to_string(),
        Some(c) => match c.leaf() {
            None => "an empty Certificate message".to_string(),
            Some(l) => format!("{} issued by {}", cert_name(l), issuer_name(l)),
        },
    };
    let (cb, ca) = (client_chain(b), client_chain(a));
    let sent = |c: Option<&Chain>| c.is_some_and(|c| !c.certificates.is_empty());
    let summary = match (sent(cb), sent(ca), cb, ca) {
        (true, false, _, _) => {
            format!(
                "client stopped sending a certificate: sent {} before, {} after",
                describe(cb),
                describe(ca)
            )
        }
        (false, true, _, _) => format!(
            "client now sends a certificate: {} (before: {})",
            describe(ca),
            describe(cb)
        ),
        (true, true, Some(x), Some(y)) => chain_change("client certificate", x, y),
        _ => format!(
            "client now sends {} (before: {})",
            describe(ca),
            describe(cb)
        ),
    };
    draft(
        ChangeKind::ClientCertificate,
        summary,
        Value::Array(vb),
        Value::Array(va),
        Importance::Change,
    )
}

// ---- symptoms and details -------------------------------------------------

fn outcome(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let completed = |p: &Profile<'_>| {
        p.conns
            .iter()
            .filter(|c| c.outcome.status == Status::Completed)
            .count()
    };
    let (fb, fa, cb, ca, nb, na) = (
        failed(b),
        failed(a),
        completed(b),
        completed(a),
        b.conns.len(),
        a.conns.len(),
    );
    if class(fb, nb) == class(fa, na) && class(cb, nb) == class(ca, na) {
        return None;
    }
    let verb = match (fb > 0, fa > 0) {
        (false, true) => "connections now fail",
        (true, false) => "connections no longer fail",
        _ => "outcomes changed",
    };
    let summary = format!(
        "{verb}: {fa} of {na} failed, {ca} completed (before: {fb} of {nb} failed, {cb} completed)"
    );
    let value = |p: &Profile<'_>| {
        let c = p.counts();
        json!({ "connections": c.connections, "completed": c.completed, "failed": c.failed, "other": c.other })
    };
    draft(
        ChangeKind::Outcome,
        summary,
        value(b),
        value(a),
        Importance::Failure,
    )
}

fn findings(
    b: &BTreeMap<String, usize>,
    a: &BTreeMap<String, usize>,
    kind: ChangeKind,
    noun: &str,
    base: Importance,
) -> Vec<Draft> {
    let mut out = Vec::new();
    for rule in b.keys().chain(a.keys()).collect::<BTreeSet<_>>() {
        let summary = match (b.get(rule), a.get(rule)) {
            (None, Some(n)) => format!("new {noun} {rule} ({n} finding{})", plural(*n)),
            (Some(n), None) => format!(
                "{noun} {rule} no longer reported (was {n} finding{})",
                plural(*n)
            ),
            _ => continue,
        };
        out.push(Draft {
            kind,
            summary,
            before: json!(b.get(rule)),
            after: json!(a.get(rule)),
            base,
        });
    }
    out
}

fn alert_set(p: &Profile<'_>) -> BTreeSet<String> {
    tls(p)
        .flat_map(|t| &t.alerts)
        .map(|al| {
            let d = al
                .description
                .as_ref()
                .map(Named::label)
                .unwrap_or_else(|| "encrypted".into());
            format!("{} {d} from {}", al.level, al.sender)
        })
        .collect()
}

fn alerts(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let (sb, sa) = (alert_set(b), alert_set(a));
    if sb == sa {
        return None;
    }
    let gone: Vec<String> = sb.difference(&sa).cloned().collect();
    let new: Vec<String> = sa.difference(&sb).cloned().collect();
    let mut parts = Vec::new();
    if !new.is_empty() {
        parts.push(format!("new alert{} {}", plural(new.len()), list(&new)));
    }
    if !gone.is_empty() {
        parts.push(format!(
            "alert{} no longer sent: {}",
            plural(gone.len()),
            list(&gone)
        ));
    }
    let fatal = gone.iter().chain(&new).any(|s| s.starts_with("fatal "));
    let base = if fatal {
        Importance::Failure
    } else {
        Importance::Change
    };
    draft(
        ChangeKind::Alerts,
        parts.join("; "),
        json!(sb),
        json!(sa),
        base,
    )
}

fn ja4(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let of = |p: &Profile<'_>| -> BTreeSet<String> {
        offers(p)
            .map(|o| o.ja4.clone())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (jb, ja) = (of(b), of(a));
    if jb == ja || jb.is_empty() || ja.is_empty() {
        return None;
    }
    let summary = format!(
        "client fingerprint changed: JA4 {} (was {})",
        list(&set(&ja)),
        list(&set(&jb))
    );
    draft(
        ChangeKind::Ja4,
        summary,
        json!(jb),
        json!(ja),
        Importance::Detail,
    )
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

/// Handshake durations (ClientHello to Finished), p50 and p90 in ms rounded to 0.1.
fn durations(conns: &[&Connection]) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = conns
        .iter()
        .filter_map(|c| c.tls.as_ref()?.durations.client_hello_to_finished_ms)
        .filter(|x| x.is_finite())
        .collect();
    v.sort_by(f64::total_cmp);
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Some((round(percentile(&v, 0.5)?), round(percentile(&v, 0.9)?)))
}

/// More than 25% and more than 1 ms apart (symmetric).
fn differs(x: f64, y: f64) -> bool {
    let d = (x - y).abs();
    d > 1.0 && d > 0.25 * x.abs().max(y.abs())
}

fn timing(b: &Profile<'_>, a: &Profile<'_>) -> Option<Draft> {
    let ((b50, b90), (a50, a90)) = (durations(&b.conns)?, durations(&a.conns)?);
    if !differs(b50, a50) && !differs(b90, a90) {
        return None;
    }
    let summary =
        format!("handshake duration p50 {a50} ms, p90 {a90} ms (was p50 {b50} ms, p90 {b90} ms)");
    let value = |p50: f64, p90: f64| json!({ "p50_ms": p50, "p90_ms": p90 });
    draft(
        ChangeKind::Timing,
        summary,
        value(b50, b90),
        value(a50, a90),
        Importance::Detail,
    )
}
