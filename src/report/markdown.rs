//! GitHub-flavoured Markdown report for tickets: the verdict first, the
//! capture's facts, a table of connections (failed first), then one section
//! per failed connection with a text ladder of its handshake, its findings
//! and its certificates.
//!
//! Every wire string goes through [`md_escape`] (inline text and table
//! cells) or [`fence`] (code blocks), so a crafted SNI or certificate name
//! can neither break the table nor inject markup.

use super::ladder::{self, Ladder, RowKind};
use super::present::{self, ReportOptions};
use super::sanitize::terminal;
use crate::certs::CertSummary;
use crate::model::{Analysis, Chain, Connection};
use crate::rules::Finding;
use crate::types::{Side, Timestamp};
use std::io::{self, Write};

/// Writes the whole report.
pub fn write(out: &mut dyn Write, a: &Analysis, opts: &ReportOptions) -> io::Result<()> {
    write_with(out, a, opts, &present::Tally::of(a, opts))
}

/// [`write`] with the tally gathered while the connections streamed past;
/// `a` holds the connections the report shows.
pub fn write_with(
    out: &mut dyn Write,
    a: &Analysis,
    opts: &ReportOptions,
    tally: &present::Tally,
) -> io::Result<()> {
    let names: Vec<&str> = a.capture.files.iter().map(|f| f.name.as_str()).collect();
    writeln!(out, "# tlsdiag report: {}\n", md_escape(&names.join(", ")))?;
    writeln!(
        out,
        "**Verdict:** {}\n",
        md_escape(&present::verdict(a, tally))
    )?;
    write_capture(out, a, opts)?;
    write_table(out, a, tally)?;
    let wide = present::capture_findings(a);
    if !wide.is_empty() {
        writeln!(out, "## Capture-wide findings\n")?;
        for f in wide {
            write_finding(out, a, f)?;
        }
    }
    let details = present::detailed_connections(a, tally);
    for c in &details.shown {
        write_connection(out, a, c)?;
    }
    if !details.folded.is_empty() {
        writeln!(
            out,
            "## More of the same
"
        )?;
        writeln!(
            out,
            "Each kind of problem is detailed above with at most {} examples; these connections had the same outcome and findings (use `--all` to detail every one).\n",
            present::DETAIL_PER_KIND
        )?;
        for f in &details.folded {
            let ids: Vec<String> = f.ids.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "- {} more × {}: connections {}{}",
                f.count,
                md_code(&f.kind),
                ids.join(", "),
                if f.count > f.ids.len() { ", …" } else { "" }
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_capture(out: &mut dyn Write, a: &Analysis, opts: &ReportOptions) -> io::Result<()> {
    writeln!(out, "## Capture\n")?;
    writeln!(out, "| | |\n|---|---|")?;
    for f in &a.capture.files {
        let cut = if f.file_truncated { ", cut short" } else { "" };
        let detail = format!(
            "{} {}, {} frames, {} bytes{cut}",
            f.format, f.compression, f.frames, f.bytes
        );
        writeln!(
            out,
            "| File | {} ({}) |",
            md_escape(&f.name),
            md_escape(&detail)
        )?;
    }
    for f in &a.capture.files {
        if let Some(h) = &f.sha256 {
            writeln!(out, "| SHA-256 | `{h}` |")?;
        }
    }
    writeln!(out, "| Packets | {} |", a.capture.frames)?;
    writeln!(out, "| Time span | {} |", md_escape(&present::time_span(a)))?;
    writeln!(
        out,
        "| Link types | {} |",
        md_escape(&present::link_types(a))
    )?;
    writeln!(
        out,
        "| Connections | {} ({} TLS) |",
        a.summary.connections, a.summary.tls_connections
    )?;
    writeln!(out, "| Findings | {} |", present::finding_counts(a))?;
    writeln!(
        out,
        "| {} | {} |",
        md_escape(&a.tool.name),
        md_escape(&a.tool.version)
    )?;
    if !opts.options.is_empty() {
        let list: Vec<String> = opts
            .options
            .iter()
            .map(|(k, v)| md_escape(format!("{k} {v}").trim_end()))
            .collect();
        writeln!(out, "| Options | {} |", list.join(" "))?;
    }
    writeln!(out)?;
    for w in a.capture.warnings.iter().take(50) {
        let at = w.frame.map(|f| format!("frame {f}: ")).unwrap_or_default();
        writeln!(out, "- Warning: {at}{}", md_escape(&w.message))?;
    }
    for l in &a.capture.limits_hit {
        writeln!(out, "- Limit reached: {}", md_escape(l))?;
    }
    if !a.capture.warnings.is_empty() || !a.capture.limits_hit.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, a: &Analysis, tally: &present::Tally) -> io::Result<()> {
    let t = present::table_connections(a, tally);
    let (rows, left_out) = (t.rows, t.quiet_left_out);
    writeln!(out, "## Connections\n")?;
    writeln!(
        out,
        "| # | Client | Server | SNI | Version | Cipher suite | Outcome |"
    )?;
    writeln!(out, "|---:|---|---|---|---|---|---|")?;
    for c in rows {
        let (sni, version, suite) = present::tls_columns(c);
        let outcome = if c.failed() {
            format!(
                "**{}**: {}",
                present::status_word(c),
                md_escape(&c.outcome.reason)
            )
        } else {
            format!(
                "{}: {}",
                present::status_word(c),
                md_escape(&c.outcome.reason)
            )
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.id.0,
            md_escape(&c.client.to_string()),
            md_escape(&c.server.to_string()),
            md_escape(&sni),
            md_escape(&version),
            md_escape(&suite),
            outcome
        )?;
    }
    if t.noteworthy_left_out > 0 {
        writeln!(
            out,
            "\n{} more connection{} with problems not listed; their kinds are summarised below (use `--all` to list them).",
            t.noteworthy_left_out,
            present::plural(t.noteworthy_left_out)
        )?;
    }
    if left_out > 0 {
        writeln!(
            out,
            "\n{left_out} more connection{} without problems not listed (use `--all`).",
            present::plural(left_out)
        )?;
    }
    writeln!(out)
}

fn write_connection(out: &mut dyn Write, a: &Analysis, c: &Connection) -> io::Result<()> {
    let (sni, _, _) = present::tls_columns(c);
    writeln!(
        out,
        "## Connection {}: {} → {} ({}) — {}\n",
        c.id.0,
        md_escape(&c.client.to_string()),
        md_escape(&c.server.to_string()),
        md_escape(&sni),
        present::status_word(c)
    )?;
    if !c.outcome.reason.is_empty() {
        writeln!(out, "{}\n", md_escape(&c.outcome.reason))?;
    }
    writeln!(
        out,
        "Frames {}–{}, {} – {}.\n",
        c.first_frame,
        c.last_frame,
        c.first_ts.human(),
        c.last_ts.human()
    )?;
    if !c.history.is_empty() {
        writeln!(out, "History: {}\n", md_code(&c.history))?;
    }
    writeln!(out, "### Handshake\n")?;
    out.write_all(fence("text", &ladder_text(&ladder::build(c))).as_bytes())?;
    writeln!(out)?;
    let findings = present::findings_for(a, c.id);
    if !findings.is_empty() {
        writeln!(out, "### Findings\n")?;
        for f in findings {
            write_finding(out, a, f)?;
        }
    }
    write_certificates(out, c)
}

fn write_finding(out: &mut dyn Write, a: &Analysis, f: &Finding) -> io::Result<()> {
    let inferred = if f.inferred { " (inferred)" } else { "" };
    writeln!(
        out,
        "- **{}** {} — {}{inferred}",
        f.severity,
        md_code(&f.rule),
        md_escape(&f.title)
    )?;
    writeln!(out, "  - {}", md_escape(&f.explanation))?;
    writeln!(out, "  - **Fix:** {}", md_escape(&f.remediation))?;
    let frames = present::frames_with_times(a, f);
    if !frames.is_empty() {
        writeln!(out, "  - **Evidence:** {}", md_escape(&frames))?;
    }
    for fact in &f.evidence.facts {
        writeln!(out, "    - {}", md_escape(fact))?;
    }
    writeln!(out)
}

fn write_certificates(out: &mut dyn Write, c: &Connection) -> io::Result<()> {
    let Some(tls) = &c.tls else { return Ok(()) };
    if tls.server_certificates.is_none()
        && tls.certificate_request.is_none()
        && tls.client_certificates.is_none()
    {
        return Ok(());
    }
    writeln!(out, "### Certificates\n")?;
    if let Some(chain) = &tls.server_certificates {
        write_chain(out, "Server chain", chain, c.first_ts)?;
    }
    if let Some(req) = &tls.certificate_request {
        writeln!(
            out,
            "#### Client certificate requested ({})\n",
            present::at_frame(req.frame, req.ts)
        )?;
        if req.ca_names.is_empty() {
            writeln!(out, "The server named no CA: any issuer may be tried.\n")?;
        } else {
            writeln!(out, "The server accepts client certificates issued by:\n")?;
            for n in &req.ca_names {
                writeln!(out, "- {}", md_escape(n))?;
            }
            writeln!(out)?;
        }
    }
    match &tls.client_certificates {
        Some(chain) => write_chain(out, "Client chain", chain, c.first_ts)?,
        None if tls.certificate_request.is_some() => writeln!(
            out,
            "#### Client chain\n\nThe client sent no Certificate message.\n"
        )?,
        None => {}
    }
    Ok(())
}

fn write_chain(out: &mut dyn Write, title: &str, chain: &Chain, at: Timestamp) -> io::Result<()> {
    let dec = if chain.decrypted { ", decrypted" } else { "" };
    writeln!(
        out,
        "#### {title} ({}{dec})\n",
        present::at_frame(chain.frame, chain.ts)
    )?;
    if let Some(m) = &chain.malformed {
        writeln!(out, "Malformed Certificate message: {}\n", md_escape(m))?;
    }
    if chain.certificates.is_empty() {
        writeln!(out, "**Empty**: the certificate list had no certificate.\n")?;
        return Ok(());
    }
    for (i, cert) in chain.certificates.iter().enumerate() {
        write_cert(out, i, &cert.summary, at)?;
    }
    writeln!(out)
}

fn write_cert(out: &mut dyn Write, i: usize, c: &CertSummary, at: Timestamp) -> io::Result<()> {
    writeln!(
        out,
        "{}. **Subject:** {}",
        i + 1,
        md_escape(&present::subject_words(c))
    )?;
    writeln!(out, "   - Issuer: {}", md_escape(&c.issuer))?;
    writeln!(
        out,
        "   - Validity: {} — **{}**",
        md_escape(&present::validity_range(c)),
        md_escape(&present::validity_phrase(c, at))
    )?;
    writeln!(out, "   - SAN: {}", md_escape(&present::san_words(c)))?;
    writeln!(
        out,
        "   - Key: {}; signature: {}",
        md_escape(&present::key_words(c)),
        md_escape(&c.signature_algorithm.name)
    )?;
    writeln!(out, "   - SHA-256: {}", md_code(&c.sha256))
}

/// The ladder as monospaced text: frame, time, then an arrow between the
/// client and server columns. Labels are sanitised for display.
pub fn ladder_text(l: &Ladder) -> String {
    let labels: Vec<String> = l.rows.iter().map(|r| terminal(&r.label)).collect();
    let widest = labels.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let width = (widest + 12).max(40);
    let mut s = format!("time 0 = {} ({})\n", l.origin_label, l.origin.human());
    s.push_str(&format!(
        "{:>6} {:>11}  client{}server\n",
        "frame",
        "time",
        " ".repeat(width.saturating_sub(4))
    ));
    for (r, label) in l.rows.iter().zip(&labels) {
        let frame = r.frame.map(|f| f.to_string()).unwrap_or_default();
        let time = ladder::rel_text(r.rel_ms);
        let body = match r.sender {
            Some(side) => arrow(side, label, width, r.kind),
            None => format!(" {label:^width$} "),
        };
        let mark = if r.terminal { "  ✖ ended here" } else { "" };
        let dec = if r.decrypted { " (decrypted)" } else { "" };
        s.push_str(&format!("{frame:>6} {time:>11}  |{body}|{mark}{dec}\n"));
    }
    s
}

fn arrow(side: Side, label: &str, width: usize, kind: RowKind) -> String {
    let line = match kind {
        RowKind::Encrypted | RowKind::Tcp => '┄',
        RowKind::Alert | RowKind::End => '━',
        _ => '─',
    };
    let inner = width.saturating_sub(1);
    let text = format!(" {label} ");
    let pad = inner.saturating_sub(text.chars().count());
    let left = pad / 2;
    let body = format!(
        "{}{text}{}",
        line.to_string().repeat(left),
        line.to_string().repeat(pad - left)
    );
    match side {
        Side::Client => format!("{body}▶"),
        Side::Server => format!("◀{body}"),
    }
}

/// Escapes a wire string for Markdown inline text and table cells: control
/// bytes and newlines become visible escapes (the table keeps its columns),
/// and Markdown punctuation is backslash-escaped so it stays literal.
pub fn md_escape(s: &str) -> String {
    let safe = terminal(s);
    let chars: Vec<char> = safe.chars().collect();
    let mut out = String::with_capacity(safe.len() + 8);
    for (i, &ch) in chars.iter().enumerate() {
        let special = match ch {
            // Between two letters or digits `_` cannot open or close emphasis.
            '_' => !(i > 0 && is_word(chars.get(i - 1)) && is_word(chars.get(i + 1))),
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' | '!' => true,
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn is_word(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

/// Longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// An inline code span that no backtick in `s` can close early. Not for
/// table cells (a `|` inside would still split the cell).
pub fn md_code(s: &str) -> String {
    let safe = terminal(s);
    let ticks = "`".repeat(longest_backtick_run(&safe) + 1);
    let pad = if safe.starts_with('`') || safe.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{safe}{pad}{ticks}")
}

/// A fenced code block whose fence is longer than any backtick run inside;
/// every line is sanitised (no control bytes).
pub fn fence(info: &str, body: &str) -> String {
    let lines: Vec<String> = body.lines().map(terminal).collect();
    let longest = lines
        .iter()
        .map(|l| longest_backtick_run(l))
        .max()
        .unwrap_or(0);
    let f = "`".repeat((longest + 1).max(3));
    format!("{f}{info}\n{}\n{f}\n", lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_table_cells_intact() {
        let e = md_escape("a|b\nc`d<script>\u{1b}[31m");
        assert!(!e.contains('\n') && !e.contains('\u{1b}'));
        assert_eq!(e.matches('|').count(), e.matches("\\|").count());
        assert!(e.contains("\\<script\\>"));
    }

    #[test]
    fn code_fence_outlasts_backticks_inside() {
        let f = fence("text", "x ````` y");
        assert!(f.starts_with("``````text\n"));
        assert!(f.ends_with("\n``````\n"));
        assert_eq!(md_code("a`b"), "``a`b``");
        assert_eq!(md_code("`x"), "`` `x ``");
    }
}
