//! Text diagnostics for a person, modelled on rustc:
//!
//! ```text
//! error[client-certificate-missing]: server asked for a client certificate and got none
//!   --> 10.0.0.5:51514 → 10.0.0.9:443 (conn #1, frames 4–9, 2026-03-01 10:22:03.120 UTC)
//!    = requested CAs: CN=tlsdiag Test Client CA
//!    = note: …explanation…
//!    = help: …remediation…
//! ```
//!
//! Identical findings on many connections are printed once with a count.

use super::TextOptions;
use super::sanitize::terminal;
use crate::model::{Analysis, Connection, Status};
use crate::rules::{Finding, Severity};
use crate::types::ConnId;
use anstyle::{AnsiColor, Style};
use std::io::{self, Write};
use std::net::SocketAddr;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const INFO: Style = AnsiColor::Cyan.on_default().bold();
const BOLD: Style = Style::new().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();

fn sev_style(s: Severity) -> Style {
    match s {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => INFO,
    }
}

/// Writes the diagnostics, the connection list and the summary line.
/// Colour codes are written unconditionally; the caller wraps `out` in an
/// `anstream` stream that strips them when not on a colour terminal.
pub fn write(out: &mut dyn Write, analysis: &Analysis, opts: TextOptions) -> io::Result<()> {
    write_digest(out, analysis, &TextDigest::of(analysis, opts))
}

/// [`write`] from a digest gathered while the connections streamed past;
/// `analysis` gives the capture's facts and summary (its connections and
/// findings are not read).
pub fn write_digest(out: &mut dyn Write, analysis: &Analysis, d: &TextDigest) -> io::Result<()> {
    for file in &analysis.capture.files {
        writeln!(
            out,
            "{BOLD}capture{BOLD:#} {}: {} frames, {}",
            terminal(&file.name),
            file.frames,
            plural(analysis.summary.connections, "connection")
        )?;
    }
    for w in &analysis.capture.warnings {
        match w.frame {
            Some(f) => writeln!(
                out,
                "{WARNING}warning{WARNING:#}: frame {f}: {}",
                terminal(&w.message)
            )?,
            None => writeln!(out, "{WARNING}warning{WARNING:#}: {}", terminal(&w.message))?,
        }
    }
    writeln!(out)?;
    let groups = d.groups();
    let shown = match d.opts.limit {
        0 => groups.len(),
        n => n.min(groups.len()),
    };
    let mut findings_shown = 0;
    for group in groups.iter().take(shown) {
        findings_shown += 1 + group.others;
        write_finding(out, group)?;
    }
    let total_groups = groups.len() + d.pruned_groups;
    if shown < total_groups {
        writeln!(
            out,
            "… {} more finding group(s) ({} findings) folded: --limit 0 shows all, --format json lists every one\n",
            total_groups - shown,
            d.findings - findings_shown
        )?;
    }
    write_connections(out, d)?;
    write_servers(out, analysis)?;
    write_summary(out, analysis)
}

/// What the text report shows, gathered one connection at a time so that
/// its memory does not grow with the capture: the finding groups (findings
/// that say the same thing, by rule and explanation, about several
/// connections), of which only the first `limit` in report order are shown,
/// and the lowest-id `limit` connections worth a line (failed, or with
/// findings).
///
/// Findings that need every connection come after the connections are
/// gone; for the connections they name, the digest keeps the lowest few ids
/// of each server with their line (the cross-connection rules name those),
/// and a bit per connection id saying whether it is listed already.
///
/// With a limit, at most four times `limit` groups are kept between
/// prunings (down to twice `limit`, the ones that come first in report
/// order), so a capture where every connection has its own explanation
/// (a SYN flood) keeps a few hundred. A pruned group's later findings start
/// a new group, so the folded-groups count can then be a little high.
pub struct TextDigest {
    opts: TextOptions,
    groups: Vec<DigestGroup>,
    index: std::collections::HashMap<u64, usize>,
    findings: usize,
    pruned_groups: usize,
    lines: std::collections::BinaryHeap<Line>,
    listable: usize,
    /// Connection ids with a line (listed or folded), one bit each.
    listed: Vec<u64>,
    /// Per server, the lowest ids seen: client, and the line if needed later.
    first_per_server: std::collections::HashMap<SocketAddr, Vec<(Line, SocketAddr)>>,
}

/// Connections remembered per server for findings that come at the end,
/// and servers remembered (a scan of many addresses stays bounded).
const FIRST_PER_SERVER: usize = 8;
const SERVERS_REMEMBERED: usize = 10_000;

/// A finding group: the finding that comes first in report order, where
/// its connection is, and the keys of the next few.
struct DigestGroup {
    first: Finding,
    at: Option<(SocketAddr, SocketAddr)>,
    /// Report-order keys of the others (at most [`OTHERS_NAMED`]), sorted.
    next: Vec<(Severity, Option<crate::types::Timestamp>, Option<ConnId>)>,
    others: usize,
}

/// A group as the report shows it.
struct Group<'a> {
    first: &'a Finding,
    at: Option<(SocketAddr, SocketAddr)>,
    next: Vec<ConnId>,
    others: usize,
}

/// Connections named after "and N more connections".
const OTHERS_NAMED: usize = 8;

/// A connection's line, ordered by id (the heap keeps the lowest ids).
#[derive(Clone)]
struct Line {
    id: ConnId,
    status: Status,
    text: String,
    history: String,
    server: SocketAddr,
}

impl PartialEq for Line {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for Line {}
impl PartialOrd for Line {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Line {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

impl TextDigest {
    pub fn new(opts: TextOptions) -> Self {
        TextDigest {
            opts,
            groups: Vec::new(),
            index: std::collections::HashMap::new(),
            findings: 0,
            pruned_groups: 0,
            lines: std::collections::BinaryHeap::new(),
            listable: 0,
            listed: Vec::new(),
            first_per_server: std::collections::HashMap::new(),
        }
    }

    /// The digest of a whole analysis, fed as a stream would feed it: each
    /// connection with the findings known when it ended, then the rest.
    pub fn of(a: &Analysis, opts: TextOptions) -> Self {
        let mut own: std::collections::HashMap<ConnId, Vec<&Finding>> = Default::default();
        let mut rest = Vec::new();
        for f in &a.findings {
            match f.connection {
                Some(id) if crate::rules::reports_per_connection(&f.rule) => {
                    own.entry(id).or_default().push(f);
                }
                _ => rest.push(f),
            }
        }
        let mut d = TextDigest::new(opts);
        for c in &a.connections {
            let mine = own.remove(&c.id).unwrap_or_default();
            d.connection(c, mine.into_iter());
        }
        d.late_findings(rest);
        d
    }

    /// Adds the findings that came after the connections (cross-connection
    /// and capture-wide ones): each located and listed when its connection
    /// is one the digest remembers.
    pub fn late_findings<'f>(&mut self, findings: impl IntoIterator<Item = &'f Finding>) {
        let known: std::collections::HashMap<ConnId, (SocketAddr, SocketAddr)> = self
            .first_per_server
            .values()
            .flatten()
            .map(|(l, client)| (l.id, (*client, l.server)))
            .collect();
        for f in findings {
            let at = f.connection.and_then(|id| known.get(&id).copied());
            self.finding(f, at);
            let line = f.connection.and_then(|id| {
                self.first_per_server
                    .get(&at?.1)?
                    .iter()
                    .find(|(l, _)| l.id == id)
                    .map(|(l, _)| l.clone())
            });
            if let Some(line) = line {
                self.list(line);
            }
        }
    }

    /// Lists a connection's line once (the lowest `limit` ids are kept).
    fn list(&mut self, line: Line) {
        let (word, bit) = ((line.id.0 / 64) as usize, line.id.0 % 64);
        if self.listed.len() <= word {
            self.listed.resize(word + 1, 0);
        }
        let Some(w) = self.listed.get_mut(word) else {
            return;
        };
        if *w & (1 << bit) != 0 {
            return;
        }
        *w |= 1 << bit;
        self.listable += 1;
        if self.opts.limit > 0
            && self.lines.len() >= self.opts.limit
            && self.lines.peek().is_some_and(|l| l.id < line.id)
        {
            return;
        }
        self.lines.push(line);
        if self.opts.limit > 0 && self.lines.len() > self.opts.limit {
            self.lines.pop();
        }
    }

    /// Adds a connection and the findings it brought.
    pub fn connection<'f>(&mut self, c: &Connection, own: impl Iterator<Item = &'f Finding>) {
        let mut any = false;
        for f in own {
            any = true;
            self.finding(f, Some((c.client, c.server)));
        }
        let line = || Line {
            id: c.id,
            status: c.outcome.status,
            text: connection_line(c),
            history: c.history.clone(),
            server: c.server,
        };
        let room = self.first_per_server.len() < SERVERS_REMEMBERED;
        if let Some(firsts) = match self.first_per_server.get_mut(&c.server) {
            Some(f) => Some(f),
            None if room => Some(self.first_per_server.entry(c.server).or_default()),
            None => None,
        } && (firsts.len() < FIRST_PER_SERVER || firsts.iter().any(|(l, _)| l.id > c.id))
        {
            firsts.push((line(), c.client));
            firsts.sort_unstable_by_key(|(l, _)| l.id);
            firsts.truncate(FIRST_PER_SERVER);
        }
        if self.opts.all || c.failed() || any {
            self.list(line());
        }
    }

    /// Adds a finding; `at` is where its connection is, when known.
    pub fn finding(&mut self, f: &Finding, at: Option<(SocketAddr, SocketAddr)>) {
        self.findings += 1;
        let key = group_key(f);
        let found = self.index.get(&key).copied().filter(|&i| {
            self.groups
                .get(i)
                .is_some_and(|g| g.first.rule == f.rule && g.first.explanation == f.explanation)
        });
        let Some(g) = found.and_then(|i| self.groups.get_mut(i)) else {
            self.index.insert(key, self.groups.len());
            self.groups.push(DigestGroup {
                first: f.clone(),
                at,
                next: Vec::new(),
                others: 0,
            });
            self.prune();
            return;
        };
        let key_of = |f: &Finding| (f.severity, f.evidence.first_ts, f.connection);
        let later = if crate::rules::order(f, &g.first).is_lt() {
            let old = std::mem::replace(&mut g.first, f.clone());
            g.at = at;
            key_of(&old)
        } else {
            key_of(f)
        };
        g.others += 1;
        let pos = g.next.partition_point(|k| next_order(k, &later).is_le());
        if pos < OTHERS_NAMED {
            g.next.insert(pos, later);
            g.next.truncate(OTHERS_NAMED);
        }
    }

    /// Keeps the groups that come first when there are too many.
    fn prune(&mut self) {
        let keep = 2 * self.opts.limit;
        if self.opts.limit == 0 || self.groups.len() <= 2 * keep {
            return;
        }
        self.groups
            .sort_by(|a, b| crate::rules::order(&a.first, &b.first));
        // Their findings stay counted (as folded).
        self.pruned_groups += self.groups.len() - keep;
        self.groups.truncate(keep);
        self.index.clear();
        for (i, g) in self.groups.iter().enumerate() {
            self.index.entry(group_key(&g.first)).or_insert(i);
        }
    }

    /// The groups in report order.
    fn groups(&self) -> Vec<Group<'_>> {
        let mut out: Vec<Group<'_>> = self
            .groups
            .iter()
            .map(|g| Group {
                first: &g.first,
                at: g.at,
                next: g.next.iter().filter_map(|k| k.2).collect(),
                others: g.others,
            })
            .collect();
        out.sort_by(|a, b| crate::rules::order(a.first, b.first));
        out
    }
}

/// The hash a finding's group is found by: its rule and explanation (a
/// collision is checked against the group's first finding).
fn group_key(f: &Finding) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (f.rule.as_ref(), f.explanation.as_str()).hash(&mut h);
    h.finish()
}

/// Report order of two findings of the same rule (see `rules::order`).
fn next_order(
    a: &(Severity, Option<crate::types::Timestamp>, Option<ConnId>),
    b: &(Severity, Option<crate::types::Timestamp>, Option<ConnId>),
) -> std::cmp::Ordering {
    b.0.cmp(&a.0)
        .then_with(|| a.1.cmp(&b.1))
        .then_with(|| a.2.cmp(&b.2))
}

fn frames_text(f: &Finding) -> String {
    let fr = &f.evidence.frames;
    match (fr.first(), fr.last()) {
        (Some(a), Some(b)) if a == b => format!("frame {a}"),
        (Some(a), Some(b)) if fr.len() == 2 => format!("frames {a}, {b}"),
        (Some(a), Some(b)) => {
            let list: Vec<String> = fr.iter().map(|n| n.to_string()).collect();
            if list.len() <= 6 {
                format!("frames {}", list.join(", "))
            } else {
                format!("frames {a}–{b}")
            }
        }
        _ => String::new(),
    }
}

fn location(g: &Group<'_>) -> String {
    let f = g.first;
    let mut parts = Vec::new();
    let head = match (g.at, f.connection) {
        (Some((client, server)), Some(id)) => format!("{client} → {server} (conn {id}"),
        (None, Some(id)) => format!("conn {id} ("),
        (_, None) => "capture (".to_string(),
    };
    let frames = frames_text(f);
    if !frames.is_empty() {
        parts.push(frames);
    }
    if let Some(ts) = f.evidence.first_ts {
        parts.push(ts.human());
    }
    let sep = if g.at.is_some() && !parts.is_empty() {
        ", "
    } else {
        ""
    };
    format!("{head}{sep}{})", parts.join(", "))
}

fn write_finding(out: &mut dyn Write, g: &Group<'_>) -> io::Result<()> {
    let f = g.first;
    let st = sev_style(f.severity);
    let inferred = if f.inferred { " (inferred)" } else { "" };
    writeln!(
        out,
        "{st}{}[{}]{st:#}{BOLD}: {}{inferred}{BOLD:#}",
        f.severity,
        f.rule,
        terminal(&f.title)
    )?;
    writeln!(out, "  {BLUE}-->{BLUE:#} {}", terminal(&location(g)))?;
    if g.others > 0 {
        let ids: Vec<String> = g.next.iter().map(ToString::to_string).collect();
        let more = if g.others > OTHERS_NAMED { ", …" } else { "" };
        writeln!(
            out,
            "  {BLUE}-->{BLUE:#} and {} more connection{} ({}{more})",
            g.others,
            if g.others == 1 { "" } else { "s" },
            ids.join(", ")
        )?;
    }
    for fact in &f.evidence.facts {
        writeln!(out, "   {BLUE}={BLUE:#} {}", terminal(fact))?;
    }
    writeln!(
        out,
        "   {BLUE}={BLUE:#} {BOLD}note{BOLD:#}: {}",
        terminal(&f.explanation)
    )?;
    writeln!(
        out,
        "   {BLUE}={BLUE:#} {BOLD}help{BOLD:#}: {}",
        terminal(&f.remediation)
    )?;
    writeln!(out)
}

/// One line per connection: endpoints, SNI, version, suite, outcome.
pub fn connection_line(c: &Connection) -> String {
    let (sni, version, suite) = match &c.tls {
        Some(t) => (
            t.sni
                .clone()
                .map(|s| format!("sni={s}"))
                .unwrap_or_else(|| "no-sni".into()),
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
    };
    format!(
        "{:>5} {} → {} {} {} {} {}: {}",
        c.id.to_string(),
        c.client,
        c.server,
        sni,
        version,
        suite,
        c.outcome.status.as_str(),
        c.outcome.reason
    )
}

fn write_connections(out: &mut dyn Write, d: &TextDigest) -> io::Result<()> {
    if d.listable == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "{BOLD}connections{BOLD:#}{}:",
        if d.opts.all {
            ""
        } else {
            " (failed or with findings; --all for every one)"
        }
    )?;
    let mut lines: Vec<&Line> = d.lines.iter().collect();
    lines.sort_unstable();
    for l in &lines {
        let st = match l.status {
            Status::Failed | Status::NotTls => ERROR,
            Status::Incomplete | Status::NoData => WARNING,
            Status::Completed => Style::new(),
        };
        writeln!(out, "{st}{}{st:#}", terminal(&l.text))?;
        if !l.history.is_empty() {
            writeln!(out, "        {}", terminal(&l.history))?;
        }
    }
    if lines.len() < d.listable {
        writeln!(
            out,
            "  … {} more connection(s) folded: --limit 0 shows all",
            d.listable - lines.len()
        )?;
    }
    writeln!(out)
}

/// Per-server overview, when the capture has more than one connection.
fn write_servers(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    if a.summary.connections < 2 {
        return Ok(());
    }
    writeln!(out, "{BOLD}servers{BOLD:#}:")?;
    for s in &a.summary.servers {
        let join = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "  {}: {}, {} completed, {} failed",
            terminal(&s.server),
            plural(s.connections, "connection"),
            s.completed,
            s.failed
        )?;
        if !s.failures_by_rule.is_empty() {
            writeln!(
                out,
                "      errors: {}",
                terminal(&join(&s.failures_by_rule))
            )?;
        }
        if !s.versions.is_empty() {
            writeln!(out, "      versions: {}", terminal(&join(&s.versions)))?;
        }
        if !s.certificates.is_empty() {
            writeln!(
                out,
                "      certificates: {}",
                terminal(&join(&s.certificates))
            )?;
        }
    }
    writeln!(out)
}

fn write_summary(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    let s = &a.summary;
    writeln!(
        out,
        "{BOLD}summary{BOLD:#}: {} ({} TLS): {} completed, {} failed, {} incomplete; findings: {} error{}, {} warning{}, {} info",
        plural(s.connections, "connection"),
        s.tls_connections,
        s.completed,
        s.failed,
        s.incomplete,
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.infos
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
