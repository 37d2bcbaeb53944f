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

/// Capture-wide findings (no connection) go on a last line of their own.
#[derive(Serialize)]
struct CaptureLine<'a> {
    schema_version: u32,
    capture: &'a str,
    summary: &'a crate::model::Summary,
    findings: Vec<&'a Finding>,
}

/// One JSON object per connection per line, then one line for the capture.
pub fn write_lines(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    let name = analysis
        .capture
        .files
        .first()
        .map(|f| f.name.as_str())
        .unwrap_or("");
    let mut by_conn: std::collections::HashMap<_, Vec<&Finding>> = std::collections::HashMap::new();
    let mut wide = Vec::new();
    for f in &analysis.findings {
        match f.connection {
            Some(id) => by_conn.entry(id).or_default().push(f),
            None => wide.push(f),
        }
    }
    for c in &analysis.connections {
        let line = Line {
            schema_version: SCHEMA_VERSION,
            capture: name,
            connection: c,
            findings: by_conn.remove(&c.id).unwrap_or_default(),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    let line = CaptureLine {
        schema_version: SCHEMA_VERSION,
        capture: name,
        summary: &analysis.summary,
        findings: wide,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}
