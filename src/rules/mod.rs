//! The diagnosis: rules that turn the connection model into findings.
//!
//! Each rule lives in its own file and is declared once with [`declare_rule!`]:
//! id, severity, title, explanation, remediation, and its check. The one
//! [`RULES`] list feeds the engine, `tlsdiag rules`, `tlsdiag explain`,
//! `docs/rules.md` and the tests. Rules read the model, never bytes, and
//! never print.

use crate::model::{Analysis, Connection};
use crate::types::{ConnId, FrameNo, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

mod context;
pub use context::{Context, RuleOptions};

/// How bad a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context worth knowing.
    Info,
    /// A defect that will fail somewhere or soon.
    Warning,
    /// Explains why a handshake failed.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule looks at.
#[derive(Clone, Copy)]
pub enum Check {
    /// One connection at a time.
    Connection(fn(&Connection, &Context<'_>, &mut Vec<Finding>)),
    /// All connections of one analysis (cross-connection rules group by key).
    Capture(fn(&Analysis, &Context<'_>, &mut Vec<Finding>)),
}

/// A rule's declaration: its metadata and its check, in one place.
pub struct Rule {
    /// The stable public id (kebab-case, from the failure catalog).
    pub id: &'static str,
    /// The default severity (a finding may carry a different one where the
    /// catalog says "error/warning", e.g. self-signed client vs server).
    pub severity: Severity,
    /// One line, lowercase, no final period.
    pub title: &'static str,
    /// Why this fails and what the evidence means.
    pub explanation: &'static str,
    /// Which side to fix, how, and how to check it.
    pub remediation: &'static str,
    /// Captures in `captures/` that must trigger it.
    pub fires_on: &'static [&'static str],
    /// Captures in `captures/` where it must stay quiet.
    pub quiet_on: &'static [&'static str],
    pub check: Check,
}

/// Declares a rule constant next to its check (like clippy's `declare_clippy_lint!`).
#[macro_export]
macro_rules! declare_rule {
    (
        $name:ident {
            id: $id:literal,
            severity: $sev:ident,
            title: $title:literal,
            explanation: $expl:expr,
            remediation: $rem:expr,
            fires_on: [$($fire:literal),* $(,)?],
            quiet_on: [$($quiet:literal),* $(,)?],
            check: $kind:ident($check:path) $(,)?
        }
    ) => {
        pub static $name: $crate::rules::Rule = $crate::rules::Rule {
            id: $id,
            severity: $crate::rules::Severity::$sev,
            title: $title,
            explanation: $expl,
            remediation: $rem,
            fires_on: &[$($fire),*],
            quiet_on: &[$($quiet),*],
            check: $crate::rules::Check::$kind($check),
        };
    };
}

/// The evidence behind a finding: where to look in the capture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// Frames that show it (`frame.number == N` in Wireshark), ascending.
    pub frames: Vec<FrameNo>,
    /// Timestamp of the first of those frames.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_ts: Option<Timestamp>,
    /// The facts that matter, as short `name: value` lines.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub facts: Vec<String>,
}

/// One result of one rule on one connection (or on the capture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// Specific to this case, naming the values (lowercase, no final period).
    pub title: String,
    /// `null` for capture-wide findings.
    pub connection: Option<ConnId>,
    /// Plain explanation naming the actual values.
    pub explanation: String,
    pub remediation: String,
    pub evidence: Evidence,
    /// True when the finding is an inference (e.g. from encrypted record sizes).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub inferred: bool,
}

impl Finding {
    /// A finding of `rule` with the rule's default severity and remediation.
    pub fn new(
        rule: &Rule,
        conn: Option<ConnId>,
        title: impl Into<String>,
        explanation: impl Into<String>,
    ) -> Self {
        Finding {
            rule: rule.id.to_string(),
            severity: rule.severity,
            title: title.into(),
            connection: conn,
            explanation: explanation.into(),
            remediation: rule.remediation.to_string(),
            evidence: Evidence::default(),
            inferred: false,
        }
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    pub fn remediation(mut self, r: impl Into<String>) -> Self {
        self.remediation = r.into();
        self
    }

    /// Adds frames (kept sorted and unique); the first timestamp is set by the engine.
    pub fn frames(mut self, frames: impl IntoIterator<Item = FrameNo>) -> Self {
        self.evidence.frames.extend(frames);
        self.evidence.frames.sort_unstable();
        self.evidence.frames.dedup();
        self
    }

    pub fn fact(mut self, f: impl Into<String>) -> Self {
        self.evidence.facts.push(f.into());
        self
    }

    pub fn inferred(mut self) -> Self {
        self.inferred = true;
        self
    }
}

mod alerts;
mod all;
mod certificates;
mod cross;
mod decryption;
mod mtls;
mod names;
mod params;
#[cfg(test)]
pub(crate) mod testutil;
mod transport;
pub use all::RULES;

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// Which rules to run: `--select` / `--ignore` take ids or prefixes
/// (`client-certificate-`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    fn matches(pattern: &str, id: &str) -> bool {
        id == pattern || (pattern.ends_with('-') && id.starts_with(pattern)) || pattern == "all"
    }

    pub fn enabled(&self, id: &str) -> bool {
        let selected = self.select.is_empty() || self.select.iter().any(|p| Self::matches(p, id));
        selected && !self.ignore.iter().any(|p| Self::matches(p, id))
    }

    /// Patterns that match no rule (a typo the user should hear about).
    pub fn unknown_patterns(&self) -> Vec<String> {
        self.select
            .iter()
            .chain(self.ignore.iter())
            .filter(|p| !RULES.iter().any(|r| Self::matches(p, r.id)))
            .cloned()
            .collect()
    }
}

/// Runs every enabled rule and returns the findings sorted by severity
/// (errors first), then time, then rule id.
pub fn run(analysis: &Analysis, cx: &Context<'_>, sel: &Selection) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| sel.enabled(r.id)) {
        let start = out.len();
        match rule.check {
            Check::Connection(f) => {
                for c in &analysis.connections {
                    f(c, cx, &mut out);
                }
            }
            Check::Capture(f) => f(analysis, cx, &mut out),
        }
        debug_assert!(
            out.get(start..)
                .unwrap_or_default()
                .iter()
                .all(|f| f.rule == rule.id),
            "rule {} emitted a foreign id",
            rule.id
        );
    }
    for f in &mut out {
        if f.evidence.first_ts.is_none() {
            f.evidence.first_ts = f
                .evidence
                .frames
                .first()
                .and_then(|n| analysis.frame_time(f.connection, *n));
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.evidence.first_ts.cmp(&b.evidence.first_ts))
            .then_with(|| a.connection.cmp(&b.connection))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    out
}
