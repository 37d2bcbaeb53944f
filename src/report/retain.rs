//! What a streamed report keeps of each connection until the capture is
//! done. Keeping every model whole made the ticket reports' memory grow
//! with the capture (640 MB for 52,000 connections). What a report shows is
//! known as each connection ends, so the rest is dropped at once:
//!
//! - text keeps a [`TextDigest`] (finding groups, the first lines) and no
//!   connection;
//! - Markdown and HTML keep a [`Tally`] (failure causes, kinds of problem,
//!   counts) and the connections it places: the table's rows (at most
//!   [`present::NOTEWORTHY_LIMIT`] with problems and
//!   [`present::TABLE_LIMIT`] without) without their details, and the
//!   examples they detail (five per kind of problem) whole with their
//!   findings; a connection pushed out of both is dropped;
//! - JSON, `--all` and `--redact` keep everything.
//!
//! Nothing here changes what a report says: `tests/retain.rs` renders every
//! capture from whole and from retained models and compares the bytes.

use super::TextOptions;
use super::present::{self, Tally};
use super::text::TextDigest;
use crate::model::{Analysis, Connection};
use crate::rules::Finding;
use crate::types::ConnId;
use std::collections::HashMap;

/// How much of each connection the report needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// Every model whole (JSON, `--all`, `--redact`).
    Everything,
    /// The table's rows and the detailed examples (Markdown, HTML).
    Examples(present::ReportOptions),
    /// Nothing of a connection once the text report's digest has taken
    /// what it shows (its line, its findings' groups): text.
    Lines(TextOptions),
}

/// A connection kept for a Markdown or HTML report, and why.
struct Kept {
    connection: Connection,
    /// Its own findings, kept while it is an example.
    findings: Vec<Finding>,
    row: bool,
    example: bool,
}

/// The connections and findings of one capture as they arrive, reduced to
/// what the report needs.
pub struct Retained {
    keep: Keep,
    everything: Vec<(Connection, Vec<Finding>)>,
    kept: HashMap<ConnId, Kept>,
    tally: Option<Tally>,
    text: Option<TextDigest>,
}

/// What a report is written from: the analysis (with the connections and
/// findings kept) and what was gathered on the way.
pub struct Finished {
    pub analysis: Analysis,
    /// For text: its digest.
    pub text: Option<TextDigest>,
    /// For Markdown and HTML: the tally of every connection.
    pub tally: Option<Tally>,
}

impl Retained {
    pub fn new(keep: Keep) -> Self {
        Retained {
            tally: match &keep {
                Keep::Examples(opts) => Some(Tally::new(opts)),
                _ => None,
            },
            text: match &keep {
                Keep::Lines(opts) => Some(TextDigest::new(*opts)),
                _ => None,
            },
            keep,
            everything: Vec::new(),
            kept: HashMap::new(),
        }
    }

    /// Adds a connection with the findings known when it ended.
    pub fn add(&mut self, mut c: Connection, findings: Vec<Finding>) {
        if let Some(d) = &mut self.text {
            d.connection(&c, findings.iter());
            return;
        }
        let Some(tally) = &mut self.tally else {
            self.everything.push((c, findings));
            return;
        };
        let own: Vec<&Finding> = findings.iter().collect();
        let placed = tally.add(&c, &own);
        if let Some(id) = placed.out_of_table {
            self.release(id, |k| k.row = false);
        }
        if let Some(id) = placed.out_of_examples {
            self.release(id, |k| {
                k.example = false;
                k.connection.drop_details();
                k.findings = Vec::new();
            });
        }
        if !(placed.row || placed.example) {
            return;
        }
        let findings = if placed.example {
            findings
        } else {
            c.drop_details();
            Vec::new()
        };
        self.kept.insert(
            c.id,
            Kept {
                connection: c,
                findings,
                row: placed.row,
                example: placed.example,
            },
        );
    }

    /// Takes a role away from a kept connection; drops it when none is left.
    fn release(&mut self, id: ConnId, change: impl FnOnce(&mut Kept)) {
        let Some(k) = self.kept.get_mut(&id) else {
            return;
        };
        change(k);
        if !(k.row || k.example) {
            self.kept.remove(&id);
        }
    }

    /// The analysis to write: `rest` (capture facts, summary, the findings
    /// that needed every connection) with the connections kept, in id
    /// order, and their findings, in report order.
    pub fn finish(self, mut rest: Analysis) -> Finished {
        if let Some(mut d) = self.text {
            d.late_findings(&rest.findings);
            return Finished {
                analysis: rest,
                text: Some(d),
                tally: None,
            };
        }
        let (mut connections, mut findings): (Vec<Connection>, Vec<Finding>) = match self.keep {
            Keep::Examples(_) => {
                let mut cs = Vec::with_capacity(self.kept.len());
                let mut fs = Vec::new();
                for k in self.kept.into_values() {
                    cs.push(k.connection);
                    fs.extend(k.findings);
                }
                (cs, fs)
            }
            _ => {
                let mut cs = Vec::with_capacity(self.everything.len());
                let mut fs = Vec::new();
                for (c, f) in self.everything {
                    cs.push(c);
                    fs.extend(f);
                }
                (cs, fs)
            }
        };
        connections.sort_by_key(|c| c.id);
        findings.append(&mut rest.findings);
        crate::rules::sort(&mut findings);
        rest.connections = connections;
        rest.findings = findings;
        Finished {
            analysis: rest,
            text: None,
            tally: self.tally,
        }
    }
}
