//! JSON and JSON Lines output: the model itself (docs/json-schema.md).

use crate::model::{Analysis, Connection, SCHEMA_VERSION};
use crate::rules::Finding;
use serde::Serialize;
use std::io::{self, Write};

/// The whole analysis as one pretty-printed document.
pub fn write(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, analysis)?;
    out.write_all(b"\n")
}

/// One line of JSON Lines output: a connection with its findings.
#[derive(Serialize)]
struct Line<'a> {
    schema_version: u32,
    capture: &'a str,
    connection: &'a Connection,
    findings: Vec<&'a Finding>,
}

/// The summary and the findings that needed every connection go on a last line.
#[derive(Serialize)]
struct CaptureLine<'a> {
    schema_version: u32,
    capture: &'a str,
    summary: &'a crate::model::Summary,
    findings: Vec<&'a Finding>,
}

/// One connection's line: the connection and the findings about it.
pub fn write_connection_line(
    out: &mut dyn Write,
    capture: &str,
    connection: &Connection,
    findings: Vec<&Finding>,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 << 10);
    connection_line_into(&mut buf, capture, connection, findings)?;
    out.write_all(&buf)
}

/// [`write_connection_line`] appended to `buf`, for a writer that gathers
/// many lines into one write.
pub fn connection_line_into(
    buf: &mut Vec<u8>,
    capture: &str,
    connection: &Connection,
    findings: Vec<&Finding>,
) -> io::Result<()> {
    let line = Line {
        schema_version: SCHEMA_VERSION,
        capture,
        connection,
        findings,
    };
    crate::model::memo::with_memo(|| serde_json::to_writer(&mut *buf, &line))?;
    buf.push(b'\n');
    Ok(())
}

/// The last line: the summary and the findings that needed every connection
/// (capture-wide ones, and cross-connection ones naming a connection).
pub fn write_capture_line(
    out: &mut dyn Write,
    capture: &str,
    summary: &crate::model::Summary,
    findings: Vec<&Finding>,
) -> io::Result<()> {
    write_line(
        out,
        &CaptureLine {
            schema_version: SCHEMA_VERSION,
            capture,
            summary,
            findings,
        },
    )
}

/// One JSON value and a newline. Serialized into memory, then one write:
/// serde_json writes token by token, and through `dyn Write` each token
/// would be a dynamic call.
fn write_line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 << 10);
    serde_json::to_writer(&mut buf, value)?;
    buf.push(b'\n');
    out.write_all(&buf)
}

/// A whole analysis as JSON Lines, laid out as the streaming writer lays it
/// out: each finding known when its connection ends on that connection's
/// line, the others on the capture line. Connections in id order.
pub fn write_lines(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let name = analysis.capture_name();
    let mut by_conn: std::collections::HashMap<_, Vec<&Finding>> = std::collections::HashMap::new();
    let mut rest = Vec::new();
    for f in &analysis.findings {
        let per_connection = crate::rules::reports_per_connection(&f.rule);
        match f.connection {
            Some(id) if per_connection => by_conn.entry(id).or_default().push(f),
            _ => rest.push(f),
        }
    }
    for c in &analysis.connections {
        let findings = by_conn.remove(&c.id).unwrap_or_default();
        write_connection_line(out, name, c, findings)?;
    }
    write_capture_line(out, name, &analysis.summary, rest)
}
