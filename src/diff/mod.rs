//! What changed between a working and a failing case: two [`Analysis`]
//! values compared server by server.
//!
//! The diff never re-reads captures; it works on the model, so saved
//! `analyze --format json` outputs compare as well as fresh analyses.
//! Connections are grouped by [`Connection::server_key`] (SNI and port, else
//! address and port) on each side; a group whose key changed because the
//! client dropped or changed its SNI is paired with its counterpart through
//! the shared server address. Each group is then compared aspect by aspect
//! (outcomes, findings, versions, suites, groups, ALPN, SNI, certificates,
//! client authentication, alerts, fingerprints, timing).
//!
//! # Ranking
//! Every [`Change`] gets an [`Importance`], and the list is sorted by it:
//! 1. [`Importance::Cause`]: a change of configuration that explains an
//!    error present on one side only (the group's *failure delta*: error rule
//!    ids and fatal alert descriptions seen on one side and not the other,
//!    or connections that fail on one side only). Each aspect declares the
//!    rules and alerts it can explain; when nothing declared matches, every
//!    configuration change of a group whose outcome changed counts as a cause.
//! 2. [`Importance::Failure`]: the failure itself: outcome counts, error
//!    findings and fatal alerts present on one side only.
//! 3. [`Importance::Change`]: other configuration differences.
//! 4. [`Importance::Detail`]: fingerprints, timing, warnings.
//!
//! Within a rank, groups with a failure delta come first, then by group
//! name, then by aspect in the order of [`ChangeKind`] (client-side causes
//! such as SNI and offered versions before their server-side consequences).
//! The ranking is symmetric: `diff(b, a)` finds the same changes with the
//! same importance, `before` and `after` swapped.

use crate::model::{Analysis, Connection, Status};
use crate::rules::Severity;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod aspects;
mod load;
mod render;

pub use load::{LoadError, is_json_file, load_analysis};
pub use render::{
    html_escape, markdown_escape, write_html, write_json, write_markdown, write_text,
};

/// Version of the diff's JSON output.
pub const DIFF_SCHEMA_VERSION: u32 = 1;

/// The comparison of two analyses (also the JSON output of `tlsdiag diff`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub schema_version: u32,
    pub before: SideInfo,
    pub after: SideInfo,
    /// Every server group, in name order.
    pub groups: Vec<GroupDiff>,
    /// Differences, most important first (see the module docs).
    pub changes: Vec<Change>,
}

/// What one side of the diff was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideInfo {
    /// The capture file names the analysis was made from.
    pub files: Vec<String>,
    pub connections: usize,
    pub failed: usize,
    pub errors: usize,
}

/// Whether a server group changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupState {
    Identical,
    Changed,
    BeforeOnly,
    AfterOnly,
}

/// One server group on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDiff {
    /// The group's name: its server key, or both keys (sorted, ` / `) when
    /// the key changed (e.g. SNI dropped) and the groups were paired by address.
    pub group: String,
    pub state: GroupState,
    pub before: Option<GroupCounts>,
    pub after: Option<GroupCounts>,
}

/// Connection and finding counts of one group on one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// The server key on this side.
    pub key: String,
    pub connections: usize,
    pub completed: usize,
    pub failed: usize,
    /// Incomplete, not TLS, or no data.
    pub other: usize,
    /// Error findings by rule id: number of findings.
    pub errors: BTreeMap<String, usize>,
}

/// How much a change matters for explaining a failure (most important first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    /// A configuration change that explains an error present on one side only.
    Cause,
    /// The failure itself: outcomes, error findings, fatal alerts.
    Failure,
    /// Another configuration difference.
    Change,
    /// Fingerprints, timing, warnings.
    Detail,
}

impl Importance {
    pub fn as_str(self) -> &'static str {
        match self {
            Importance::Cause => "cause",
            Importance::Failure => "failure",
            Importance::Change => "change",
            Importance::Detail => "detail",
        }
    }
}

/// The aspect a change is about; the order is the tie-break order within an importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Sni,
    OfferedVersions,
    NegotiatedVersion,
    OfferedCiphers,
    SelectedCipher,
    Groups,
    Alpn,
    CertificateRequest,
    ClientCertificate,
    ServerCertificate,
    Outcome,
    ErrorFinding,
    Alerts,
    /// The group exists on one side only (`before` or `after` is `null`).
    GroupOneSide,
    WarningFinding,
    Ja4,
    Timing,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Sni => "sni",
            ChangeKind::OfferedVersions => "offered_versions",
            ChangeKind::NegotiatedVersion => "negotiated_version",
            ChangeKind::OfferedCiphers => "offered_ciphers",
            ChangeKind::SelectedCipher => "selected_cipher",
            ChangeKind::Groups => "groups",
            ChangeKind::Alpn => "alpn",
            ChangeKind::CertificateRequest => "certificate_request",
            ChangeKind::ClientCertificate => "client_certificate",
            ChangeKind::ServerCertificate => "server_certificate",
            ChangeKind::Outcome => "outcome",
            ChangeKind::ErrorFinding => "error_finding",
            ChangeKind::Alerts => "alerts",
            ChangeKind::GroupOneSide => "group_one_side",
            ChangeKind::WarningFinding => "warning_finding",
            ChangeKind::Ja4 => "ja4",
            ChangeKind::Timing => "timing",
        }
    }
}

/// One difference between the two sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub group: String,
    pub kind: ChangeKind,
    pub importance: Importance,
    /// One plain sentence naming the values.
    pub summary: String,
    /// The compared value on the BEFORE side (`null` = absent).
    pub before: serde_json::Value,
    /// The compared value on the AFTER side.
    pub after: serde_json::Value,
    /// For causes: the error rule ids and alert descriptions (`alert:NAME`)
    /// of the failure delta that this change explains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explains: Vec<String>,
}

/// Compares two analyses server group by server group.
pub fn diff(before: &Analysis, after: &Analysis) -> Diff {
    let b = group(before);
    let a = group(after);
    let mut groups = Vec::new();
    let mut changes = Vec::new();
    for pair in pair_groups(&b, &a) {
        let label = pair.label();
        let mut group_changes = match (pair.before, pair.after) {
            (Some(pb), Some(pa)) => aspects::compare(&label, pb, pa),
            (Some(pb), None) => vec![aspects::one_sided(&label, pb, true)],
            (None, Some(pa)) => vec![aspects::one_sided(&label, pa, false)],
            (None, None) => Vec::new(),
        };
        let state = match (pair.before, pair.after) {
            (Some(_), None) => GroupState::BeforeOnly,
            (None, Some(_)) => GroupState::AfterOnly,
            _ if group_changes.is_empty() => GroupState::Identical,
            _ => GroupState::Changed,
        };
        groups.push(GroupDiff {
            group: label,
            state,
            before: pair.before.map(Profile::counts),
            after: pair.after.map(Profile::counts),
        });
        changes.append(&mut group_changes);
    }
    groups.sort_by(|x, y| x.group.cmp(&y.group));
    let failing: BTreeSet<String> = changes
        .iter()
        .filter(|c| c.importance <= Importance::Failure)
        .map(|c| c.group.clone())
        .collect();
    changes.sort_by(|x, y| {
        (x.importance, !failing.contains(&x.group), &x.group, x.kind).cmp(&(
            y.importance,
            !failing.contains(&y.group),
            &y.group,
            y.kind,
        ))
    });
    Diff {
        schema_version: DIFF_SCHEMA_VERSION,
        before: side_info(before),
        after: side_info(after),
        groups,
        changes,
    }
}

/// True when the AFTER side has error findings (by rule id, per group) that
/// the BEFORE side does not: `tlsdiag diff` then exits with status 1.
pub fn new_errors(d: &Diff) -> bool {
    d.groups.iter().any(|g| {
        let Some(after) = &g.after else { return false };
        let before = g.before.as_ref().map(|b| &b.errors);
        after
            .errors
            .keys()
            .any(|rule| !before.is_some_and(|b| b.contains_key(rule)))
    })
}

fn side_info(a: &Analysis) -> SideInfo {
    SideInfo {
        files: a.capture.files.iter().map(|f| f.name.clone()).collect(),
        connections: a.connections.len(),
        failed: a.connections.iter().filter(|c| c.failed()).count(),
        errors: a
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count(),
    }
}

/// The connections of one server group on one side, with their findings.
pub(crate) struct Profile<'a> {
    pub key: String,
    pub conns: Vec<&'a Connection>,
    /// Error findings by rule id.
    pub errors: BTreeMap<String, usize>,
    /// Warning findings by rule id.
    pub warnings: BTreeMap<String, usize>,
}

impl Profile<'_> {
    fn counts(&self) -> GroupCounts {
        let count = |s: Status| self.conns.iter().filter(|c| c.outcome.status == s).count();
        let completed = count(Status::Completed);
        let failed = count(Status::Failed);
        GroupCounts {
            key: self.key.clone(),
            connections: self.conns.len(),
            completed,
            failed,
            other: self.conns.len().saturating_sub(completed + failed),
            errors: self.errors.clone(),
        }
    }

    /// Server addresses this group's connections went to.
    fn addresses(&self) -> BTreeSet<String> {
        self.conns.iter().map(|c| c.server.to_string()).collect()
    }
}

/// Name of the pseudo-group holding capture-wide findings.
const CAPTURE_GROUP: &str = "(capture)";

fn group(a: &Analysis) -> BTreeMap<String, Profile<'_>> {
    let mut groups: BTreeMap<String, Profile<'_>> = BTreeMap::new();
    let mut key_of = BTreeMap::new();
    for c in &a.connections {
        let key = c.server_key();
        key_of.insert(c.id, key.clone());
        groups
            .entry(key.clone())
            .or_insert_with(|| empty_profile(key))
            .conns
            .push(c);
    }
    for f in &a.findings {
        let key = f
            .connection
            .and_then(|id| key_of.get(&id).cloned())
            .unwrap_or_else(|| CAPTURE_GROUP.to_string());
        let p = groups
            .entry(key.clone())
            .or_insert_with(|| empty_profile(key));
        let map = match f.severity {
            Severity::Error => &mut p.errors,
            Severity::Warning => &mut p.warnings,
            Severity::Info => continue,
        };
        *map.entry(f.rule.to_string()).or_default() += 1;
    }
    groups
}

fn empty_profile<'a>(key: String) -> Profile<'a> {
    Profile {
        key,
        conns: Vec::new(),
        errors: BTreeMap::new(),
        warnings: BTreeMap::new(),
    }
}

/// A group on both sides (either may be missing).
struct Pair<'p, 'a> {
    before: Option<&'p Profile<'a>>,
    after: Option<&'p Profile<'a>>,
}

impl Pair<'_, '_> {
    fn label(&self) -> String {
        let mut keys: Vec<&str> = [self.before, self.after]
            .iter()
            .flatten()
            .map(|p| p.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.join(" / ")
    }
}

/// Pairs groups by key, then pairs the leftovers that share a server address
/// when exactly one group on each side does (the client changed its SNI).
fn pair_groups<'p, 'a>(
    b: &'p BTreeMap<String, Profile<'a>>,
    a: &'p BTreeMap<String, Profile<'a>>,
) -> Vec<Pair<'p, 'a>> {
    let mut pairs = Vec::new();
    let mut lone_b = Vec::new();
    for (k, pb) in b {
        match a.get(k) {
            Some(pa) => pairs.push(Pair {
                before: Some(pb),
                after: Some(pa),
            }),
            None => lone_b.push(pb),
        }
    }
    let lone_a: Vec<&Profile<'_>> = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, p)| p)
        .collect();
    let (index_b, index_a) = (address_index(&lone_b), address_index(&lone_a));
    let mut taken = vec![false; lone_a.len()];
    for (i, pb) in lone_b.iter().enumerate() {
        let partner = match partners(pb, &index_a).as_slice() {
            [j] if lone_a
                .get(*j)
                .is_some_and(|pa| partners(pa, &index_b) == [i]) =>
            {
                Some(*j)
            }
            _ => None,
        };
        if let Some(t) = partner.and_then(|j| taken.get_mut(j)) {
            *t = true;
        }
        pairs.push(Pair {
            before: Some(pb),
            after: partner.and_then(|j| lone_a.get(j).copied()),
        });
    }
    for (pa, taken) in lone_a.iter().zip(taken) {
        if !taken {
            pairs.push(Pair {
                before: None,
                after: Some(pa),
            });
        }
    }
    pairs
}

/// Server address → indexes of the groups that used it.
fn address_index(groups: &[&Profile<'_>]) -> BTreeMap<String, BTreeSet<usize>> {
    let mut index: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (i, p) in groups.iter().enumerate() {
        for addr in p.addresses() {
            index.entry(addr).or_default().insert(i);
        }
    }
    index
}

/// Indexes of the groups in `index` sharing a server address with `p`.
fn partners(p: &Profile<'_>, index: &BTreeMap<String, BTreeSet<usize>>) -> Vec<usize> {
    let found: BTreeSet<usize> = p
        .addresses()
        .iter()
        .filter_map(|a| index.get(a))
        .flatten()
        .copied()
        .collect();
    found.into_iter().collect()
}
