//! Presentation helpers shared by the ticket reports (Markdown, HTML) and
//! usable by the text renderer: the verdict sentence, the order in which
//! connections are shown, certificate validity phrased relative to the
//! connection, frame lists. Arithmetic and wording only — nothing here
//! decides whether something is wrong; the model and the rules did that.

use crate::certs::CertSummary;
use crate::model::{Analysis, Connection, Status};
use crate::rules::{Finding, Severity};
use crate::types::{ConnId, FrameNo, Timestamp};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// Options of the ticket reports (presentation only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// A section for every connection, not only failed ones and those with
    /// error or warning findings.
    pub all: bool,
    /// The options the analysis ran with, as `(flag, value)` pairs supplied by
    /// the app (e.g. `("--ca-bundle", "corp-ca.pem")`), shown in the facts.
    pub options: Vec<(String, String)>,
}

/// How many non-failed connections the table lists without `all`.
pub const TABLE_LIMIT: usize = 200;

/// The verdict line, e.g. `3 of 41 TLS connections failed: 3 × client-certificate-missing`.
pub fn verdict(a: &Analysis, t: &Tally) -> String {
    let s = &a.summary;
    let mut line = if s.failed == 0 && s.incomplete == 0 && s.tls_connections > 0 {
        format!("All {} TLS connections completed", s.tls_connections)
    } else {
        format!(
            "{} of {} TLS connections failed",
            s.failed, s.tls_connections
        )
    };
    let causes = t.failure_causes();
    if !causes.is_empty() {
        let parts: Vec<String> = causes
            .iter()
            .map(|(rule, n)| format!("{n} × {rule}"))
            .collect();
        line.push_str(": ");
        line.push_str(&parts.join(", "));
    }
    if s.incomplete > 0 {
        line.push_str(&format!(" ({} incomplete)", s.incomplete));
    }
    if s.connections > s.tls_connections {
        let other = s.connections - s.tls_connections;
        line.push_str(&format!("; {other} other TCP connection{}", plural(other)));
    }
    line
}

/// `2 errors, 1 warning, 0 info`.
pub fn finding_counts(a: &Analysis) -> String {
    let s = &a.summary;
    format!(
        "{} error{}, {} warning{}, {} info",
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.infos
    )
}

/// `s` when `n != 1`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Sort rank: failed first, then not-TLS, incomplete, no data, completed.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Failed => 0,
        Status::NotTls => 1,
        Status::Incomplete => 2,
        Status::NoData => 3,
        Status::Completed => 4,
    }
}

/// The connection table: rows in table order (failed first, then by id),
/// and what was left out to keep it readable.
pub struct Table<'a> {
    pub rows: Vec<&'a Connection>,
    /// Connections without problems beyond [`TABLE_LIMIT`].
    pub quiet_left_out: usize,
    /// Failed or noteworthy connections beyond [`NOTEWORTHY_LIMIT`] (their
    /// kinds are summarised with the details).
    pub noteworthy_left_out: usize,
}

/// Failed or noteworthy connections listed in the table at most (`--all` lifts it).
pub const NOTEWORTHY_LIMIT: usize = 1000;

pub fn table_connections<'a>(a: &'a Analysis, t: &Tally) -> Table<'a> {
    let mut ids: Vec<(u8, ConnId)> = t.loud.iter().chain(&t.quiet).copied().collect();
    ids.sort_unstable();
    Table {
        rows: ids
            .iter()
            .filter_map(|&(_, id)| connection(a, id))
            .collect(),
        quiet_left_out: t.quiet_total - t.quiet.len(),
        noteworthy_left_out: t.loud_total - t.loud.len(),
    }
}

/// The connection with `id` (connections are in id order).
fn connection(a: &Analysis, id: ConnId) -> Option<&Connection> {
    let i = a.connections.binary_search_by_key(&id, |c| c.id).ok()?;
    a.connections.get(i)
}

/// The connections given a section of their own, and the kinds of problem
/// whose further examples were folded away.
pub struct Details<'a> {
    pub shown: Vec<&'a Connection>,
    pub folded: Vec<Folded>,
}

/// Connections with the same outcome and the same findings, beyond the
/// [`DETAIL_PER_KIND`] examples shown.
pub struct Folded {
    /// e.g. `failed: client-certificate-missing, server-certificate-expired`.
    pub kind: String,
    pub count: usize,
    /// The first few of them (at most 20).
    pub ids: Vec<ConnId>,
}

/// Examples detailed per kind of problem (same outcome, same warning and
/// error rules); a capture with 40,000 identical failures gets a readable
/// report. `--all` details every connection.
pub const DETAIL_PER_KIND: usize = 5;

/// Failed connections and those with warnings or errors, failed first, each
/// kind of problem shown with at most [`DETAIL_PER_KIND`] examples (all with
/// `--all`, which also details every other connection).
pub fn detailed_connections<'a>(a: &'a Analysis, t: &Tally) -> Details<'a> {
    let mut shown: Vec<(u8, ConnId)> = Vec::new();
    let mut folded: Vec<((u8, ConnId), Folded)> = Vec::new();
    for (kind, k) in &t.kinds {
        let mut ranks: Vec<(u8, ConnId)> = k.first.iter().copied().collect();
        ranks.sort_unstable();
        let cut = if t.all { ranks.len() } else { DETAIL_PER_KIND };
        shown.extend(ranks.iter().take(cut));
        if let Some(&start) = ranks.get(cut) {
            folded.push((
                start,
                Folded {
                    kind: kind.clone(),
                    count: k.count - cut,
                    ids: ranks
                        .iter()
                        .skip(cut)
                        .map(|r| r.1)
                        .take(FOLDED_IDS)
                        .collect(),
                },
            ));
        }
    }
    shown.extend(t.plain.iter().copied());
    shown.sort_unstable();
    folded.sort_by_key(|(start, _)| *start);
    Details {
        shown: shown
            .iter()
            .filter_map(|&(_, id)| connection(a, id))
            .collect(),
        folded: folded.into_iter().map(|(_, f)| f).collect(),
    }
}

/// Ids listed per folded kind of problem.
const FOLDED_IDS: usize = 20;

/// What the ticket reports count over every connection, gathered one
/// connection at a time, so a streamed report needs the models of only the
/// connections it shows (see `report::retain`): the failure causes of the
/// verdict, the table's rows (the first [`NOTEWORTHY_LIMIT`] connections
/// with problems and [`TABLE_LIMIT`] without, in report order) and how many
/// were left out, and per kind of problem how many and which come first.
/// A connection is counted with the findings known when it ended (its
/// own); the findings that need every connection are at most warnings and
/// are shown with the connections they name, not counted here.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    all: bool,
    /// Per error rule, the failed connections showing it.
    causes: BTreeMap<String, usize>,
    /// Failed connections without an error finding.
    unexplained: usize,
    loud: BinaryHeap<(u8, ConnId)>,
    loud_total: usize,
    quiet: BinaryHeap<(u8, ConnId)>,
    quiet_total: usize,
    kinds: HashMap<String, KindTally>,
    /// With `--all`: connections without a problem, detailed too.
    plain: Vec<(u8, ConnId)>,
}

/// One kind of problem: how many connections, and the first few in report
/// order (the examples, then the ids listed as folded).
#[derive(Debug, Clone, Default)]
struct KindTally {
    count: usize,
    first: BinaryHeap<(u8, ConnId)>,
}

/// What [`Tally::add`] says about a connection's place in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// A row of the table now (it may be pushed out later).
    pub row: bool,
    /// One of the examples detailed now (it may be pushed out later).
    pub example: bool,
    /// Connections pushed out of the table or the examples by this one.
    pub out_of_table: Option<ConnId>,
    pub out_of_examples: Option<ConnId>,
}

impl Tally {
    pub fn new(opts: &ReportOptions) -> Self {
        Tally {
            all: opts.all,
            ..Tally::default()
        }
    }

    /// The tally of a whole analysis (each connection with its own
    /// findings, as a stream hands them over).
    pub fn of(a: &Analysis, opts: &ReportOptions) -> Self {
        let mut own: HashMap<ConnId, Vec<&Finding>> = HashMap::new();
        for f in &a.findings {
            if let Some(id) = f.connection
                && crate::rules::reports_per_connection(&f.rule)
            {
                own.entry(id).or_default().push(f);
            }
        }
        let mut t = Tally::new(opts);
        for c in &a.connections {
            t.add(c, own.get(&c.id).map_or(&[][..], Vec::as_slice));
        }
        t
    }

    /// Counts a connection with the findings it brought.
    pub fn add(&mut self, c: &Connection, own: &[&Finding]) -> Placed {
        let rank = detail_rank(c);
        if c.failed() {
            let mut rules: Vec<&str> = own
                .iter()
                .filter(|f| f.severity == Severity::Error && f.connection == Some(c.id))
                .map(|f| f.rule.as_ref())
                .collect();
            rules.sort_unstable();
            rules.dedup();
            if rules.is_empty() {
                self.unexplained += 1;
            }
            for r in rules {
                *self.causes.entry(r.to_string()).or_default() += 1;
            }
        }
        let kind = problem_kind(c, own);
        let (rows, total, cap) = if kind.is_some() {
            (&mut self.loud, &mut self.loud_total, NOTEWORTHY_LIMIT)
        } else {
            (&mut self.quiet, &mut self.quiet_total, TABLE_LIMIT)
        };
        *total += 1;
        let mut placed = Placed {
            row: true,
            example: false,
            out_of_table: None,
            out_of_examples: None,
        };
        rows.push(rank);
        if !self.all && rows.len() > cap {
            let out = rows.pop().map(|r| r.1);
            placed.row = out != Some(c.id);
            placed.out_of_table = out.filter(|&id| id != c.id);
        }
        match kind {
            Some(kind) => {
                let k = self.kinds.entry(kind).or_default();
                k.count += 1;
                k.first.push(rank);
                let keep = if self.all {
                    usize::MAX
                } else {
                    DETAIL_PER_KIND + FOLDED_IDS
                };
                if k.first.len() > keep {
                    k.first.pop();
                }
                if self.all {
                    placed.example = true;
                } else {
                    // An example now: among the first DETAIL_PER_KIND of its
                    // kind (of at most DETAIL_PER_KIND + FOLDED_IDS kept).
                    let mut firsts: Vec<(u8, ConnId)> = k.first.iter().copied().collect();
                    firsts.sort_unstable();
                    placed.example = firsts.iter().take(DETAIL_PER_KIND).any(|r| *r == rank);
                    if placed.example {
                        placed.out_of_examples = firsts.get(DETAIL_PER_KIND).map(|r| r.1);
                    }
                }
            }
            None if self.all => {
                self.plain.push(rank);
                placed.example = true;
            }
            None => {}
        }
        placed
    }

    /// For failed connections: how many show each error rule (most frequent
    /// first); failed connections without an error finding count as `no
    /// finding`.
    fn failure_causes(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> =
            self.causes.iter().map(|(r, n)| (r.clone(), *n)).collect();
        out.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        if self.unexplained > 0 {
            out.push(("no finding".to_string(), self.unexplained));
        }
        out
    }
}

/// The kind of problem a connection shows, e.g. `failed:
/// client-certificate-missing`: its outcome and the warning and error rules
/// of its own findings (those known when it ended; cross-connection findings
/// that name it do not split kinds, so the kind is known as soon as the
/// connection is, which lets a streamed report keep only its examples).
/// `None` for a connection that neither failed nor has such a finding.
pub fn problem_kind(c: &Connection, findings: &[&Finding]) -> Option<String> {
    let mut ids: Vec<&str> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning && f.connection == Some(c.id))
        .filter(|f| crate::rules::reports_per_connection(&f.rule))
        .map(|f| f.rule.as_ref())
        .collect();
    if ids.is_empty() && !c.failed() {
        return None;
    }
    ids.sort_unstable();
    ids.dedup();
    Some(if ids.is_empty() {
        status_word(c).to_string()
    } else {
        format!("{}: {}", status_word(c), ids.join(", "))
    })
}

/// The order in which detailed connections are shown (and the first
/// [`DETAIL_PER_KIND`] of a kind chosen): failed first, then by id.
pub fn detail_rank(c: &Connection) -> (u8, ConnId) {
    (status_rank(c.outcome.status), c.id)
}

/// Findings about one connection, in the rules' order.
pub fn findings_for(a: &Analysis, id: ConnId) -> Vec<&Finding> {
    a.findings
        .iter()
        .filter(|f| f.connection == Some(id))
        .collect()
}

/// Findings about the whole capture.
pub fn capture_findings(a: &Analysis) -> Vec<&Finding> {
    a.findings
        .iter()
        .filter(|f| f.connection.is_none())
        .collect()
}

/// The connection's outcome word, e.g. `failed`.
pub fn status_word(c: &Connection) -> &'static str {
    c.outcome.status.as_str()
}

/// SNI, negotiated version and suite of a connection (`-` when unknown).
pub fn tls_columns(c: &Connection) -> (String, String, String) {
    match &c.tls {
        Some(t) => (
            t.sni.clone().unwrap_or_else(|| "(none)".into()),
            t.version
                .as_ref()
                .map(|v| v.label())
                .unwrap_or_else(|| "-".into()),
            t.cipher_suite
                .as_ref()
                .map(|v| v.label())
                .unwrap_or_else(|| "-".into()),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    }
}

/// Frames with their capture timestamps where the connection knows them,
/// e.g. `frame 9 (2026-03-01 10:22:03.130 UTC)`.
pub fn frames_with_times(a: &Analysis, f: &Finding) -> String {
    let parts: Vec<String> = f
        .evidence
        .frames
        .iter()
        .take(12)
        .map(|n| match a.frame_time(f.connection, *n) {
            Some(ts) => format!("{n} ({})", ts.human()),
            None => n.to_string(),
        })
        .collect();
    let more = f.evidence.frames.len().saturating_sub(parts.len());
    let word = if f.evidence.frames.len() == 1 {
        "frame"
    } else {
        "frames"
    };
    match (parts.is_empty(), more) {
        (true, _) => String::new(),
        (false, 0) => format!("{word} {}", parts.join(", ")),
        (false, m) => format!("{word} {} and {m} more", parts.join(", ")),
    }
}

/// A duration in words, rounded down to its largest unit: `12 days`, `3 hours`.
pub fn span_words(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (n, unit) = match s {
        0..=59 => (s, "second"),
        60..=3599 => (s / 60, "minute"),
        3600..=86_399 => (s / 3600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Validity of a certificate relative to the connection, e.g.
/// `expired 12 days before this connection`.
pub fn validity_phrase(c: &CertSummary, at: Timestamp) -> String {
    match (c.not_before, c.not_after) {
        (Some(nb), _) if at.secs < nb.secs => format!(
            "not yet valid: starts {} after this connection",
            span_words(nb.secs - at.secs)
        ),
        (_, Some(na)) if at.secs > na.secs => format!(
            "expired {} before this connection",
            span_words(at.secs - na.secs)
        ),
        (_, Some(na)) => format!(
            "valid at this connection; expires {} later",
            span_words(na.secs - at.secs)
        ),
        _ => "validity unknown".to_string(),
    }
}

/// `not_before – not_after` as dates.
pub fn validity_range(c: &CertSummary) -> String {
    let d = |t: Option<Timestamp>| t.map(|t| t.human()).unwrap_or_else(|| "?".into());
    format!("{} – {}", d(c.not_before), d(c.not_after))
}

/// The key in words, e.g. `RSA 2048 bits` or `EC secp256r1`.
pub fn key_words(c: &CertSummary) -> String {
    let kind = serde_json::to_value(c.key.key_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_uppercase));
    let mut s = kind.unwrap_or_else(|| "?".into());
    if let Some(curve) = &c.key.curve {
        s.push(' ');
        s.push_str(curve);
    } else if c.key.bits > 0 {
        s.push_str(&format!(" {} bits", c.key.bits));
    }
    s
}

/// The subject to show: the DN, or a note when the certificate did not parse.
pub fn subject_words(c: &CertSummary) -> String {
    match (&c.parse_error, c.subject.is_empty()) {
        (Some(e), _) => format!("(undecodable certificate: {e})"),
        (None, true) => "(empty subject)".to_string(),
        (None, false) => c.subject.clone(),
    }
}

/// SAN entries in one line (`DNS:a, IP:1.2.3.4, …`), or `none`.
pub fn san_words(c: &CertSummary) -> String {
    let san = &c.san;
    let items: Vec<String> = san
        .dns
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(san.ip.iter().map(|d| format!("IP:{d}")))
        .chain(san.uri.iter().map(|d| format!("URI:{d}")))
        .chain(san.email.iter().map(|d| format!("email:{d}")))
        .collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// `frame N, 2026-… UTC` for a message.
pub fn at_frame(n: FrameNo, ts: Timestamp) -> String {
    format!("frame {n}, {}", ts.human())
}

/// The capture's time span in words.
pub fn time_span(a: &Analysis) -> String {
    match (a.capture.first_ts, a.capture.last_ts) {
        (Some(f), Some(l)) => format!("{} – {} ({:.3} s)", f.human(), l.human(), l.since(f)),
        _ => "unknown".into(),
    }
}

/// Every link type of every file, deduplicated, in order.
pub fn link_types(a: &Analysis) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for l in a.capture.files.iter().flat_map(|f| &f.link_types) {
        if !seen.contains(&l.as_str()) {
            seen.push(l);
        }
    }
    if seen.is_empty() {
        "-".into()
    } else {
        seen.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_down_to_largest_unit() {
        assert_eq!(span_words(0), "0 seconds");
        assert_eq!(span_words(61), "1 minute");
        assert_eq!(span_words(-7200), "2 hours");
        assert_eq!(span_words(12 * 86_400 + 5), "12 days");
    }

    #[test]
    fn validity_relative_to_connection() {
        let c = CertSummary {
            not_before: Some(Timestamp::new(1_000_000, 0)),
            not_after: Some(Timestamp::new(2_000_000, 0)),
            ..CertSummary::default()
        };
        assert_eq!(
            validity_phrase(&c, Timestamp::new(2_000_000 + 12 * 86_400, 0)),
            "expired 12 days before this connection"
        );
        assert_eq!(
            validity_phrase(&c, Timestamp::new(1_000_000 - 3600, 0)),
            "not yet valid: starts 1 hour after this connection"
        );
        assert_eq!(
            validity_phrase(&c, Timestamp::new(2_000_000 - 86_400 * 2, 0)),
            "valid at this connection; expires 2 days later"
        );
    }
}
