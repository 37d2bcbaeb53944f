//! What a streamed report keeps of each connection until the capture is
//! done. The ticket reports list every connection on a line but detail only
//! a few examples of each kind of problem; keeping every model whole made
//! their memory grow with the capture (640 MB for 52,000 connections).
//! Which connections a report details is known as each one ends (its kind
//! comes from its own findings, see [`present::problem_kind`]), so the
//! others lose their details at once.
//!
//! Nothing here changes what a report says: a test renders every capture in
//! `captures/` from whole and from retained models and compares the bytes.

use super::TextOptions;
use super::present::{self, DETAIL_PER_KIND};
use super::text::TextDigest;
use crate::model::{Analysis, Connection};
use crate::rules::Finding;
use crate::types::ConnId;
use std::collections::{BinaryHeap, HashMap};

/// How much of each connection the report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every model whole (JSON, `--all`, `--redact`).
    Everything,
    /// Whole models for the connections the report details (Markdown, HTML):
    /// the first [`DETAIL_PER_KIND`] of each kind of problem in report order.
    Examples,
    /// Nothing of a connection once the text report's digest has taken
    /// what it shows (its line, its findings' groups): text.
    Lines(TextOptions),
}

/// The connections and findings of one capture as they arrive, reduced to
/// what the report needs.
pub struct Retained {
    keep: Keep,
    connections: Vec<Connection>,
    /// Where each connection is in `connections` (for [`Keep::Examples`]).
    at: HashMap<ConnId, usize>,
    findings: Vec<Finding>,
    /// Per kind of problem, the report ranks of the examples kept whole; a
    /// max-heap, so the example that would be shown last goes first.
    examples: HashMap<String, BinaryHeap<(u8, ConnId)>>,
    text: Option<TextDigest>,
}

impl Retained {
    pub fn new(keep: Keep) -> Self {
        Retained {
            keep,
            connections: Vec::new(),
            at: HashMap::new(),
            findings: Vec::new(),
            examples: HashMap::new(),
            text: match keep {
                Keep::Lines(opts) => Some(TextDigest::new(opts)),
                _ => None,
            },
        }
    }

    /// Adds a connection with the findings known when it ended.
    pub fn add(&mut self, mut c: Connection, findings: Vec<Finding>) {
        match self.keep {
            Keep::Everything => {}
            Keep::Lines(_) => {
                if let Some(d) = &mut self.text {
                    d.connection(&c, findings.iter());
                }
                return;
            }
            Keep::Examples => {
                let own: Vec<&Finding> = findings.iter().collect();
                match present::problem_kind(&c, &own) {
                    None => c.drop_details(),
                    Some(kind) => {
                        let kept = self.examples.entry(kind).or_default();
                        kept.push(present::detail_rank(&c));
                        if kept.len() > DETAIL_PER_KIND
                            && let Some((_, out)) = kept.pop()
                        {
                            if out == c.id {
                                c.drop_details();
                            } else if let Some(o) =
                                self.at.get(&out).and_then(|&i| self.connections.get_mut(i))
                            {
                                o.drop_details();
                            }
                        }
                    }
                }
                self.at.insert(c.id, self.connections.len());
            }
        }
        self.connections.push(c);
        self.findings.extend(findings);
    }

    /// The whole analysis: `rest` (capture facts, summary, the findings that
    /// needed every connection) with the connections in id order and all
    /// findings in report order; with [`Keep::Lines`], `rest` as it is and
    /// the text report's digest.
    pub fn finish(self, mut rest: Analysis) -> (Analysis, Option<TextDigest>) {
        if let Some(mut d) = self.text {
            for f in &rest.findings {
                d.late_finding(f);
            }
            return (rest, Some(d));
        }
        let mut connections = self.connections;
        connections.sort_by_key(|c| c.id);
        let mut findings = self.findings;
        findings.append(&mut rest.findings);
        crate::rules::sort(&mut findings);
        rest.connections = connections;
        rest.findings = findings;
        (rest, None)
    }
}
