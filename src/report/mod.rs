//! Renderers: the analysis as text diagnostics, JSON or JSON Lines.
//!
//! Renderers only present what the model and the rules decided; they decide
//! nothing. Every string that came from the wire goes through [`sanitize`]
//! before it reaches a terminal.

pub mod certs_export;
pub mod html;
pub mod json;
pub mod ladder;
pub mod markdown;
pub mod present;
pub mod redact;
pub mod retain;
pub mod rules_doc;
pub mod sanitize;
pub mod text;

pub use present::ReportOptions;

use crate::model::Analysis;
use std::io::{self, Write};

/// Options that change presentation only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextOptions {
    /// List every connection, not only failed ones and those with findings.
    pub all: bool,
    /// Show at most this many finding groups and connection lines (0 = all);
    /// what is folded is said.
    pub limit: usize,
}

/// Writes `analysis` as JSON (pretty, one document).
pub fn write_json(out: &mut dyn Write, analysis: &Analysis) -> io::Result<()> {
    json::write(out, analysis)
}
