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
use anstyle::{AnsiColor, Style};
use std::collections::BTreeMap;
use std::io::{self, Write};

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
    for file in &analysis.capture.files {
        writeln!(
            out,
            "{BOLD}capture{BOLD:#} {}: {} frames, {}",
            terminal(&file.name),
            file.frames,
            plural(analysis.connections.len(), "connection")
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
    let groups = group_findings(&analysis.findings);
    let shown = if opts.limit == 0 {
        groups.len()
    } else {
        opts.limit.min(groups.len())
    };
    for group in groups.iter().take(shown) {
        write_finding(out, analysis, group)?;
    }
    if shown < groups.len() {
        let folded: usize = groups.iter().skip(shown).map(|g| 1 + g.others.len()).sum();
        writeln!(
            out,
            "… {} more finding group(s) ({folded} findings) folded: --limit 0 shows all, --format json lists every one\n",
            groups.len() - shown
        )?;
    }
    write_connections(out, analysis, opts)?;
    write_servers(out, analysis)?;
    write_summary(out, analysis)
}

/// Findings that say the same thing (same rule, same explanation) about several connections.
struct Group<'a> {
    first: &'a Finding,
    others: Vec<&'a Finding>,
}

fn group_findings(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut order: Vec<Group<'_>> = Vec::new();
    let mut index: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in findings {
        let key = (f.rule.as_ref(), f.explanation.as_str());
        match index.get(&key) {
            Some(&i) => {
                if let Some(g) = order.get_mut(i) {
                    g.others.push(f);
                }
            }
            None => {
                index.insert(key, order.len());
                order.push(Group {
                    first: f,
                    others: Vec::new(),
                });
            }
        }
    }
    order
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

fn location(analysis: &Analysis, f: &Finding) -> String {
    let mut parts = Vec::new();
    let conn = f.connection.and_then(|id| analysis.connection(id));
    let head = match conn {
        Some(c) => format!("{} → {} (conn {}", c.client, c.server, c.id),
        None => "capture (".to_string(),
    };
    let frames = frames_text(f);
    if !frames.is_empty() {
        parts.push(frames);
    }
    if let Some(ts) = f.evidence.first_ts {
        parts.push(ts.human());
    }
    let sep = if conn.is_some() && !parts.is_empty() {
        ", "
    } else {
        ""
    };
    format!("{head}{sep}{})", parts.join(", "))
}

fn write_finding(out: &mut dyn Write, analysis: &Analysis, g: &Group<'_>) -> io::Result<()> {
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
    writeln!(
        out,
        "  {BLUE}-->{BLUE:#} {}",
        terminal(&location(analysis, f))
    )?;
    if !g.others.is_empty() {
        let ids: Vec<String> = g
            .others
            .iter()
            .take(8)
            .filter_map(|o| o.connection.map(|c| c.to_string()))
            .collect();
        let more = if g.others.len() > 8 { ", …" } else { "" };
        writeln!(
            out,
            "  {BLUE}-->{BLUE:#} and {} more connection{} ({}{more})",
            g.others.len(),
            if g.others.len() == 1 { "" } else { "s" },
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

fn write_connections(
    out: &mut dyn Write,
    analysis: &Analysis,
    opts: TextOptions,
) -> io::Result<()> {
    let with_findings: std::collections::HashSet<_> = analysis
        .findings
        .iter()
        .filter_map(|f| f.connection)
        .collect();
    let shown: Vec<&Connection> = analysis
        .connections
        .iter()
        .filter(|c| opts.all || c.failed() || with_findings.contains(&c.id))
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{BOLD}connections{BOLD:#}{}:",
        if opts.all {
            ""
        } else {
            " (failed or with findings; --all for every one)"
        }
    )?;
    let total = shown.len();
    let limit = if opts.limit == 0 {
        total
    } else {
        opts.limit.min(total)
    };
    for c in shown.into_iter().take(limit) {
        let st = match c.outcome.status {
            Status::Failed | Status::NotTls => ERROR,
            Status::Incomplete | Status::NoData => WARNING,
            Status::Completed => Style::new(),
        };
        writeln!(out, "{st}{}{st:#}", terminal(&connection_line(c)))?;
        if !c.history.is_empty() {
            writeln!(out, "        {}", terminal(&c.history))?;
        }
    }
    if limit < total {
        writeln!(
            out,
            "  … {} more connection(s) folded: --limit 0 shows all",
            total - limit
        )?;
    }
    writeln!(out)
}

/// Per-server overview, when the capture has more than one connection.
fn write_servers(out: &mut dyn Write, a: &Analysis) -> io::Result<()> {
    if a.connections.len() < 2 {
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
