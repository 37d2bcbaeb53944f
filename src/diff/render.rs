//! Renderers of a [`Diff`]: text (rustc-like, as `report::text`), JSON,
//! Markdown and a self-contained HTML page. Every string that may come from
//! the wire (names, DNs, SNI, ALPN) is escaped for its medium: control
//! characters for terminals, `|` and other markup for Markdown, `<`, `&` and
//! quotes for HTML.

use super::{Change, Diff, GroupState, Importance, SideInfo};
use crate::report::sanitize::terminal;
use anstyle::{AnsiColor, Style};
use serde_json::Value;
use std::io::{self, Write};

const CAUSE: Style = AnsiColor::Red.on_default().bold();
const FAILURE: Style = AnsiColor::Yellow.on_default().bold();
const CHANGE: Style = AnsiColor::Cyan.on_default().bold();
const DETAIL: Style = Style::new().bold();
const BOLD: Style = Style::new().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();

fn style(i: Importance) -> Style {
    match i {
        Importance::Cause => CAUSE,
        Importance::Failure => FAILURE,
        Importance::Change => CHANGE,
        Importance::Detail => DETAIL,
    }
}

/// A compared value in one line: `none` for null, lists joined with `, `,
/// certificates by subject.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let nested = items.iter().any(|i| i.is_array());
            let parts: Vec<String> = items.iter().map(value_text).collect();
            if nested {
                parts
                    .iter()
                    .map(|p| format!("[{p}]"))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else if parts.is_empty() {
                "[]".into()
            } else {
                parts.join(", ")
            }
        }
        Value::Object(map) => match map.get("subject").and_then(Value::as_str) {
            Some(subject) => subject.to_string(),
            None => map
                .iter()
                .map(|(k, v)| format!("{k}: {}", value_text(v)))
                .collect::<Vec<_>>()
                .join(", "),
        },
        other => other.to_string(),
    }
}

fn side_text(s: &SideInfo) -> String {
    let files = if s.files.is_empty() {
        "(no file)".to_string()
    } else {
        s.files.join(" + ")
    };
    format!(
        "{files} ({} connections, {} failed, {} errors)",
        s.connections, s.failed, s.errors
    )
}

/// Writes the diff for a person. Colour codes are written unconditionally;
/// the caller wraps `out` in an `anstream` stream that strips them when needed.
pub fn write_text(out: &mut dyn Write, d: &Diff) -> io::Result<()> {
    writeln!(
        out,
        "{BOLD}before{BOLD:#}: {}",
        terminal(&side_text(&d.before))
    )?;
    writeln!(
        out,
        "{BOLD}after{BOLD:#}:  {}",
        terminal(&side_text(&d.after))
    )?;
    writeln!(out)?;
    for c in &d.changes {
        let st = style(c.importance);
        writeln!(
            out,
            "{st}{}[{}]{st:#}{BOLD}: {}{BOLD:#}",
            c.importance.as_str(),
            c.kind.as_str(),
            terminal(&c.summary)
        )?;
        writeln!(out, "  {BLUE}-->{BLUE:#} {}", terminal(&c.group))?;
        writeln!(
            out,
            "   {BLUE}={BLUE:#} before: {}",
            terminal(&value_text(&c.before))
        )?;
        writeln!(
            out,
            "   {BLUE}={BLUE:#} after: {}",
            terminal(&value_text(&c.after))
        )?;
        if !c.explains.is_empty() {
            writeln!(
                out,
                "   {BLUE}={BLUE:#} {BOLD}explains{BOLD:#}: {}",
                terminal(&c.explains.join(", "))
            )?;
        }
        writeln!(out)?;
    }
    let identical = identical_groups(d);
    if !identical.is_empty() {
        writeln!(
            out,
            "{BOLD}identical{BOLD:#}: {} server group{}: {}",
            identical.len(),
            plural(identical.len()),
            terminal(&identical.join(", "))
        )?;
    }
    writeln!(out, "{BOLD}summary{BOLD:#}: {}", summary_line(d))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn identical_groups(d: &Diff) -> Vec<String> {
    d.groups
        .iter()
        .filter(|g| g.state == GroupState::Identical)
        .map(|g| g.group.clone())
        .collect()
}

fn summary_line(d: &Diff) -> String {
    let count = |i: Importance| d.changes.iter().filter(|c| c.importance == i).count();
    let changed = d
        .groups
        .iter()
        .filter(|g| g.state != GroupState::Identical)
        .count();
    format!(
        "{} difference{} in {changed} of {} server group{} ({} cause{}, {} failure{}, {} change{}, {} detail{}); new errors after: {}",
        d.changes.len(),
        plural(d.changes.len()),
        d.groups.len(),
        plural(d.groups.len()),
        count(Importance::Cause),
        plural(count(Importance::Cause)),
        count(Importance::Failure),
        plural(count(Importance::Failure)),
        count(Importance::Change),
        plural(count(Importance::Change)),
        count(Importance::Detail),
        plural(count(Importance::Detail)),
        if super::new_errors(d) { "yes" } else { "no" }
    )
}

/// Writes the diff as one pretty-printed JSON document.
pub fn write_json(out: &mut dyn Write, d: &Diff) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    out.write_all(b"\n")
}

/// Makes wire text inert in Markdown: control characters (newlines
/// included) escaped as in terminals, then markup characters backslash-escaped.
pub fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The cells of one change row, unescaped.
fn row(c: &Change) -> [String; 5] {
    let mut summary = c.summary.clone();
    if !c.explains.is_empty() {
        summary.push_str(&format!(" (explains {})", c.explains.join(", ")));
    }
    [
        c.importance.as_str().to_string(),
        c.group.clone(),
        summary,
        value_text(&c.before),
        value_text(&c.after),
    ]
}

/// Writes the diff as a Markdown document with one table of changes.
pub fn write_markdown(out: &mut dyn Write, d: &Diff) -> io::Result<()> {
    writeln!(out, "# tlsdiag diff\n")?;
    writeln!(
        out,
        "- **before:** {}",
        markdown_escape(&side_text(&d.before))
    )?;
    writeln!(
        out,
        "- **after:** {}\n",
        markdown_escape(&side_text(&d.after))
    )?;
    if !d.changes.is_empty() {
        writeln!(out, "| importance | group | change | before | after |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for c in &d.changes {
            let cells: Vec<String> = row(c).iter().map(|s| markdown_escape(s)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        writeln!(out)?;
    }
    let identical = identical_groups(d);
    if !identical.is_empty() {
        writeln!(
            out,
            "Identical server groups: {}\n",
            markdown_escape(&identical.join(", "))
        )?;
    }
    writeln!(out, "**Summary:** {}", markdown_escape(&summary_line(d)))
}

/// Writes the diff as a self-contained HTML page (no scripts, no external resources).
pub fn write_html(out: &mut dyn Write, d: &Diff) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(out, "<title>tlsdiag diff</title>")?;
    writeln!(
        out,
        "<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}.cause{{color:#b00}}.failure{{color:#a60}}</style>"
    )?;
    writeln!(out, "</head>\n<body>\n<h1>tlsdiag diff</h1>")?;
    writeln!(
        out,
        "<p><b>before:</b> {}<br><b>after:</b> {}</p>",
        html_escape(&side_text(&d.before)),
        html_escape(&side_text(&d.after))
    )?;
    if !d.changes.is_empty() {
        writeln!(
            out,
            "<table>\n<tr><th>importance</th><th>group</th><th>change</th><th>before</th><th>after</th></tr>"
        )?;
        for c in &d.changes {
            let cells: Vec<String> = row(c)
                .iter()
                .map(|s| format!("<td>{}</td>", html_escape(s)))
                .collect();
            writeln!(
                out,
                "<tr class=\"{}\">{}</tr>",
                c.importance.as_str(),
                cells.concat()
            )?;
        }
        writeln!(out, "</table>")?;
    }
    let identical = identical_groups(d);
    if !identical.is_empty() {
        writeln!(
            out,
            "<p>Identical server groups: {}</p>",
            html_escape(&identical.join(", "))
        )?;
    }
    writeln!(
        out,
        "<p><b>Summary:</b> {}</p>\n</body>\n</html>",
        html_escape(&summary_line(d))
    )
}
