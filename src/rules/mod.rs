//! The diagnosis: rules that turn the connection model into findings.
//!
//! Each rule lives in its own file and is declared once with [`declare_rule!`]:
//! id, severity, title, explanation, remediation, and its check. The one
//! [`RULES`] list feeds the engine, `tlsdiag rules`, `tlsdiag explain`,
//! `docs/rules.md` and the tests. Rules read the model, never bytes, and
//! never print.

use crate::model::{CaptureFacts, Connection};
use crate::types::{ConnId, FrameNo, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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
    /// Across connections: a fresh [`CaptureCheck`] per analysis, fed every
    /// connection once (in any order), then finished with the capture's facts.
    Capture(fn() -> Box<dyn CaptureCheck>),
}

/// The state of a cross-connection rule while connections stream past.
///
/// It keeps aggregates (counts, a few ids, per-server groups), never the
/// connections themselves, so memory follows the number of servers and not
/// the size of the capture. Findings emitted from `finish` set their own
/// `evidence.first_ts`: the connections they name are gone by then.
pub trait CaptureCheck: Send {
    /// Sees one connection; may already report on it.
    fn add(&mut self, c: &Connection, cx: &Context<'_>, out: &mut Vec<Finding>);
    /// Reports what needs all connections, or the capture's own facts.
    fn finish(self: Box<Self>, capture: &CaptureFacts, cx: &Context<'_>, out: &mut Vec<Finding>);
    /// True when the findings that name a connection come from `add` (known
    /// when that connection ends), false when they come from `finish`.
    fn reports_per_connection(&self) -> bool {
        false
    }
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

impl Rule {
    /// True when this rule's findings about a connection are known as soon as
    /// that connection ends (JSON Lines put them on its line), false when
    /// they need every connection (they go on the capture line).
    pub fn reports_per_connection(&self) -> bool {
        match self.check {
            Check::Connection(_) => true,
            Check::Capture(new) => new().reports_per_connection(),
        }
    }
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
    // The rule id and the default remediation are borrowed from the rule's
    // static declaration; read back from a JSON document (`diff`) they are owned.
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    /// Specific to this case, naming the values (lowercase, no final period).
    pub title: String,
    /// `null` for capture-wide findings.
    pub connection: Option<ConnId>,
    /// Plain explanation naming the actual values.
    pub explanation: String,
    pub remediation: Cow<'static, str>,
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
            rule: Cow::Borrowed(rule.id),
            severity: rule.severity,
            title: title.into(),
            connection: conn,
            explanation: explanation.into(),
            remediation: Cow::Borrowed(rule.remediation),
            evidence: Evidence::default(),
            inferred: false,
        }
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }

    pub fn remediation(mut self, r: impl Into<String>) -> Self {
        self.remediation = Cow::Owned(r.into());
        self
    }

    /// Adds frames (kept sorted and unique); the first timestamp is set by the engine.
    pub fn frames(mut self, frames: impl IntoIterator<Item = FrameNo>) -> Self {
        self.evidence.frames.extend(frames);
        self.evidence.frames.sort_unstable();
        self.evidence.frames.dedup();
        self
    }

    /// Sets the time of the first evidence frame (for findings emitted after
    /// their connection is gone; the engine fills it in otherwise).
    pub fn at(mut self, ts: Option<Timestamp>) -> Self {
        self.evidence.first_ts = ts;
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

/// [`Rule::reports_per_connection`] by rule id, answered from a table built
/// once; an id this version does not know counts as per-connection.
pub fn reports_per_connection(id: &str) -> bool {
    static NEED_ALL: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let need_all = NEED_ALL.get_or_init(|| {
        RULES
            .iter()
            .filter(|r| !r.reports_per_connection())
            .map(|r| r.id)
            .collect()
    });
    !need_all.contains(&id)
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

/// Runs the enabled rules over connections as they arrive: per-connection
/// rules at once, cross-connection rules as aggregates finished at the end.
pub struct Engine<'a> {
    cx: &'a Context<'a>,
    connection: Vec<(&'static Rule, ConnCheck)>,
    capture: Vec<(&'static Rule, Box<dyn CaptureCheck>)>,
}

type ConnCheck = fn(&Connection, &Context<'_>, &mut Vec<Finding>);

impl<'a> Engine<'a> {
    pub fn new(cx: &'a Context<'a>, sel: &Selection) -> Self {
        let mut e = Engine {
            cx,
            connection: Vec::new(),
            capture: Vec::new(),
        };
        for rule in RULES.iter().copied().filter(|r| sel.enabled(r.id)) {
            match rule.check {
                Check::Connection(f) => e.connection.push((rule, f)),
                Check::Capture(new) => e.capture.push((rule, new())),
            }
        }
        e
    }

    /// The findings about one connection known from it alone, sorted; the
    /// cross-connection rules remember what they need of it.
    pub fn connection(&mut self, c: &Connection) -> Vec<Finding> {
        let mut out = Vec::new();
        for (rule, f) in &self.connection {
            let start = out.len();
            f(c, self.cx, &mut out);
            check_ids(rule, &out, start);
        }
        for (rule, state) in &mut self.capture {
            let start = out.len();
            state.add(c, self.cx, &mut out);
            check_ids(rule, &out, start);
        }
        for f in &mut out {
            if f.evidence.first_ts.is_none() && f.connection == Some(c.id) {
                f.evidence.first_ts = f.evidence.frames.first().and_then(|n| c.frame_time(*n));
            }
        }
        sort(&mut out);
        out
    }

    /// The findings that needed every connection, sorted.
    pub fn finish(self, capture: &CaptureFacts) -> Vec<Finding> {
        let mut out = Vec::new();
        for (rule, state) in self.capture {
            let start = out.len();
            state.finish(capture, self.cx, &mut out);
            check_ids(rule, &out, start);
        }
        sort(&mut out);
        out
    }
}

fn check_ids(rule: &Rule, out: &[Finding], start: usize) {
    debug_assert!(
        out.get(start..)
            .unwrap_or_default()
            .iter()
            .all(|f| f.rule == rule.id),
        "rule {} emitted a foreign id",
        rule.id
    );
}

/// The report order: severity (errors first), then time, connection, rule id.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(order);
}

/// The comparison behind [`sort`].
pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.evidence.first_ts.cmp(&b.evidence.first_ts))
        .then_with(|| a.connection.cmp(&b.connection))
        .then_with(|| a.rule.cmp(&b.rule))
}
