//! One self-contained HTML report for tickets: inline CSS and inline SVG
//! ladders, no scripts, no fonts or images from elsewhere (a Content-Security-
//! Policy meta tag forbids them), readable offline and in print.
//!
//! The page is an askama template (`templates/report.html`) with HTML
//! auto-escaping; this file only turns the model into plain view structs of
//! strings and numbers. No template uses `|safe`, so a wire string can never
//! become markup.

use super::ladder::{self, Ladder, RowKind};
use super::present::{self, ReportOptions};
use super::sanitize::terminal;
use crate::certs::CertSummary;
use crate::model::{Analysis, Chain, Connection, Status};
use crate::rules::Finding;
use crate::types::{Side, Timestamp};
use askama::Template;
use std::io::{self, Write};

/// Writes the whole report as one HTML document.
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
    let page = Page::new(a, opts, tally);
    let html = page.render().map_err(io::Error::other)?;
    out.write_all(html.as_bytes())
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    verdict: String,
    any_failed: bool,
    facts: Vec<(String, String)>,
    warnings: Vec<String>,
    table: Vec<TableRow>,
    left_out: usize,
    noteworthy_left_out: usize,
    wide_findings: Vec<FindingView>,
    sections: Vec<Section>,
    folded: Vec<FoldedView>,
    per_kind: usize,
}

/// Connections folded into one line of "More of the same".
struct FoldedView {
    kind: String,
    count: usize,
    /// How many ids `ids` lists.
    shown: usize,
    ids: String,
}

struct TableRow {
    id: u32,
    client: String,
    server: String,
    sni: String,
    version: String,
    suite: String,
    status: &'static str,
    class: &'static str,
    reason: String,
    /// Links to the connection's section when it has one.
    linked: bool,
}

struct FindingView {
    severity: &'static str,
    rule: String,
    title: String,
    explanation: String,
    remediation: String,
    frames: String,
    facts: Vec<String>,
    inferred: bool,
}

struct Section {
    id: u32,
    client: String,
    server: String,
    sni: String,
    status: &'static str,
    class: &'static str,
    reason: String,
    span: String,
    history: String,
    ladder: SvgLadder,
    findings: Vec<FindingView>,
    server_chain: Option<ChainView>,
    request: Option<RequestView>,
    client_chain: Option<ChainView>,
    /// A CertificateRequest was seen and the client sent no Certificate message.
    client_silent: bool,
}

struct RequestView {
    at: String,
    ca_names: Vec<String>,
}

struct ChainView {
    at: String,
    decrypted: bool,
    malformed: Option<String>,
    certs: Vec<CertView>,
}

struct CertView {
    n: usize,
    subject: String,
    issuer: String,
    range: String,
    phrase: String,
    /// The connection happened outside the validity period.
    out_of_validity: bool,
    san: String,
    key: String,
    signature: String,
    sha256: String,
}

/// Geometry of one ladder, computed here so the template only places numbers.
struct SvgLadder {
    width: u32,
    height: u32,
    client_x: u32,
    server_x: u32,
    mid_x: u32,
    bottom: u32,
    origin: String,
    rows: Vec<SvgRow>,
}

struct SvgRow {
    y: u32,
    text_y: u32,
    x1: u32,
    x2: u32,
    /// Arrowhead triangle points.
    head: String,
    frame: String,
    time: String,
    label: String,
    full_label: String,
    kind: &'static str,
    arrow: bool,
    terminal: bool,
    decrypted: bool,
}

const ROW_H: u32 = 34;
const TOP: u32 = 46;
const CLIENT_X: u32 = 190;
const SERVER_X: u32 = 690;
const SVG_W: u32 = 800;
const LABEL_MAX: usize = 64;

impl Page {
    fn new(a: &Analysis, opts: &ReportOptions, tally: &present::Tally) -> Page {
        let names: Vec<&str> = a.capture.files.iter().map(|f| f.name.as_str()).collect();
        let details = present::detailed_connections(a, tally);
        let linked: std::collections::HashSet<_> = details.shown.iter().map(|c| c.id).collect();
        let t = present::table_connections(a, tally);
        let table = t
            .rows
            .iter()
            .map(|c| {
                let (sni, version, suite) = present::tls_columns(c);
                TableRow {
                    id: c.id.0,
                    client: c.client.to_string(),
                    server: c.server.to_string(),
                    sni: terminal(&sni),
                    version: terminal(&version),
                    suite: terminal(&suite),
                    status: present::status_word(c),
                    class: status_class(c.outcome.status),
                    reason: terminal(&c.outcome.reason),
                    linked: linked.contains(&c.id),
                }
            })
            .collect();
        Page {
            title: terminal(&names.join(", ")),
            verdict: present::verdict(a, tally),
            any_failed: a.summary.failed > 0,
            facts: facts(a, opts),
            warnings: warnings(a),
            table,
            left_out: t.quiet_left_out,
            noteworthy_left_out: t.noteworthy_left_out,
            wide_findings: present::capture_findings(a)
                .into_iter()
                .map(|f| finding_view(a, f))
                .collect(),
            sections: details.shown.into_iter().map(|c| section(a, c)).collect(),
            folded: details
                .folded
                .into_iter()
                .map(|f| FoldedView {
                    kind: terminal(&f.kind),
                    count: f.count,
                    shown: f.ids.len(),
                    ids: f
                        .ids
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            per_kind: present::DETAIL_PER_KIND,
        }
    }
}

fn facts(a: &Analysis, opts: &ReportOptions) -> Vec<(String, String)> {
    let mut v = Vec::new();
    for f in &a.capture.files {
        let cut = if f.file_truncated { ", cut short" } else { "" };
        v.push((
            "File".into(),
            format!(
                "{} ({} {}, {} frames, {} bytes{cut})",
                f.name, f.format, f.compression, f.frames, f.bytes
            ),
        ));
    }
    for f in &a.capture.files {
        if let Some(h) = &f.sha256 {
            v.push(("SHA-256".into(), h.clone()));
        }
    }
    v.push(("Packets".into(), a.capture.frames.to_string()));
    v.push(("Time span".into(), present::time_span(a)));
    v.push(("Link types".into(), present::link_types(a)));
    v.push((
        "Connections".into(),
        format!(
            "{} ({} TLS)",
            a.summary.connections, a.summary.tls_connections
        ),
    ));
    v.push(("Findings".into(), present::finding_counts(a)));
    v.push((a.tool.name.clone(), a.tool.version.clone()));
    if !opts.options.is_empty() {
        let list: Vec<String> = opts
            .options
            .iter()
            .map(|(k, v)| format!("{k} {v}").trim_end().to_string())
            .collect();
        v.push(("Options".into(), list.join(" ")));
    }
    v.into_iter()
        .map(|(k, v)| (terminal(&k), terminal(&v)))
        .collect()
}

fn warnings(a: &Analysis) -> Vec<String> {
    let w = a.capture.warnings.iter().take(50).map(|w| match w.frame {
        Some(f) => format!("frame {f}: {}", w.message),
        None => w.message.clone(),
    });
    w.chain(
        a.capture
            .limits_hit
            .iter()
            .map(|l| format!("limit reached: {l}")),
    )
    .map(|s| terminal(&s))
    .collect()
}

fn finding_view(a: &Analysis, f: &Finding) -> FindingView {
    FindingView {
        severity: f.severity.as_str(),
        rule: terminal(&f.rule),
        title: terminal(&f.title),
        explanation: terminal(&f.explanation),
        remediation: terminal(&f.remediation),
        frames: present::frames_with_times(a, f),
        facts: f.evidence.facts.iter().map(|s| terminal(s)).collect(),
        inferred: f.inferred,
    }
}

fn section(a: &Analysis, c: &Connection) -> Section {
    let (sni, _, _) = present::tls_columns(c);
    let tls = c.tls.as_ref();
    Section {
        id: c.id.0,
        client: c.client.to_string(),
        server: c.server.to_string(),
        sni: terminal(&sni),
        status: present::status_word(c),
        class: status_class(c.outcome.status),
        reason: terminal(&c.outcome.reason),
        span: format!(
            "frames {}–{}, {} – {}",
            c.first_frame,
            c.last_frame,
            c.first_ts.human(),
            c.last_ts.human()
        ),
        history: terminal(&c.history),
        ladder: svg_ladder(&ladder::build(c)),
        findings: present::findings_for(a, c.id)
            .into_iter()
            .map(|f| finding_view(a, f))
            .collect(),
        server_chain: tls
            .and_then(|t| t.server_certificates.as_ref())
            .map(|ch| chain_view(ch, c.first_ts)),
        request: tls
            .and_then(|t| t.certificate_request.as_ref())
            .map(|r| RequestView {
                at: present::at_frame(r.frame, r.ts),
                ca_names: r.ca_names.iter().map(|s| terminal(s)).collect(),
            }),
        client_chain: tls
            .and_then(|t| t.client_certificates.as_ref())
            .map(|ch| chain_view(ch, c.first_ts)),
        client_silent: tls
            .is_some_and(|t| t.certificate_request.is_some() && t.client_certificates.is_none()),
    }
}

fn chain_view(ch: &Chain, at: Timestamp) -> ChainView {
    ChainView {
        at: present::at_frame(ch.frame, ch.ts),
        decrypted: ch.decrypted,
        malformed: ch.malformed.as_deref().map(terminal),
        certs: ch
            .certificates
            .iter()
            .enumerate()
            .map(|(i, c)| cert_view(i + 1, &c.summary, at))
            .collect(),
    }
}

fn cert_view(n: usize, c: &CertSummary, at: Timestamp) -> CertView {
    let outside = match (c.not_before, c.not_after) {
        (Some(nb), _) if at.secs < nb.secs => true,
        (_, Some(na)) => at.secs > na.secs,
        _ => false,
    };
    CertView {
        n,
        subject: terminal(&present::subject_words(c)),
        issuer: terminal(&c.issuer),
        range: present::validity_range(c),
        phrase: present::validity_phrase(c, at),
        out_of_validity: outside,
        san: terminal(&present::san_words(c)),
        key: present::key_words(c),
        signature: terminal(&c.signature_algorithm.name),
        sha256: c.sha256.clone(),
    }
}

fn svg_ladder(l: &Ladder) -> SvgLadder {
    let rows: Vec<SvgRow> = l
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| svg_row(i, r))
        .collect();
    let n = u32::try_from(rows.len()).unwrap_or(u32::MAX / ROW_H / 2);
    let bottom = TOP + n.saturating_mul(ROW_H);
    SvgLadder {
        width: SVG_W,
        height: bottom + 12,
        client_x: CLIENT_X,
        server_x: SERVER_X,
        mid_x: (CLIENT_X + SERVER_X) / 2,
        bottom,
        origin: format!("time 0 = {} ({})", l.origin_label, l.origin.human()),
        rows,
    }
}

fn svg_row(i: usize, r: &ladder::Row) -> SvgRow {
    let y = TOP + u32::try_from(i).unwrap_or(0).saturating_mul(ROW_H) + ROW_H - 8;
    let (x1, x2) = match r.sender {
        Some(Side::Client) => (CLIENT_X, SERVER_X),
        Some(Side::Server) => (SERVER_X, CLIENT_X),
        None => (CLIENT_X, SERVER_X),
    };
    let head = if x2 > x1 {
        format!("{},{} {},{} {},{}", x2, y, x2 - 10, y - 5, x2 - 10, y + 5)
    } else {
        format!("{},{} {},{} {},{}", x2, y, x2 + 10, y - 5, x2 + 10, y + 5)
    };
    let full_label = terminal(&r.label);
    let label: String = if full_label.chars().count() > LABEL_MAX {
        full_label
            .chars()
            .take(LABEL_MAX - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        full_label.clone()
    };
    SvgRow {
        y,
        text_y: y - 6,
        x1,
        x2,
        head,
        frame: r.frame.map(|f| f.to_string()).unwrap_or_default(),
        time: ladder::rel_text(r.rel_ms),
        label,
        full_label,
        kind: r.kind.as_str(),
        arrow: r.sender.is_some() && r.kind != RowKind::CaptureEnd,
        terminal: r.terminal,
        decrypted: r.decrypted,
    }
}

/// CSS class for an outcome: red, green or amber.
fn status_class(s: Status) -> &'static str {
    match s {
        Status::Failed | Status::NotTls => "bad",
        Status::Completed => "good",
        Status::Incomplete | Status::NoData => "meh",
    }
}
