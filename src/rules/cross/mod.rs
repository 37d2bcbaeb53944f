//! Rules: across connections (one file per rule), plus the grouping they
//! share. Each rule keeps per-server aggregates while connections stream past
//! (never the connections, never pairwise comparisons), so its memory follows
//! the number of servers and clients, not the size of the capture.
pub(crate) mod fallback_retry;
pub(crate) mod intermittent_failure;
pub(crate) mod server_certificate_inconsistent;

use crate::model::Connection;
use crate::types::ConnId;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;

/// Where a connection goes before names are resolved: its SNI and port, or,
/// without SNI, the server's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RawKey {
    Name(String),
    Addr(SocketAddr),
}

/// Aggregates of type `G` per server. The server of a connection is
/// `SNI:port`; a connection without SNI joins the group of the SNI that
/// another connection (the lowest id) used for the same address, so a client
/// that forgot SNI still lands in its server's group; else `addr:port`.
pub(crate) struct ByServer<G> {
    groups: HashMap<RawKey, G>,
    sni_of_addr: HashMap<SocketAddr, (ConnId, String)>,
}

impl<G> Default for ByServer<G> {
    fn default() -> Self {
        ByServer {
            groups: HashMap::new(),
            sni_of_addr: HashMap::new(),
        }
    }
}

/// Aggregates that can be combined (a no-SNI group joining its named group).
pub(crate) trait Merge {
    fn merge(&mut self, other: Self);
}

impl<G: Default + Merge> ByServer<G> {
    /// The aggregate `c` belongs to (created empty on first use).
    pub(crate) fn group(&mut self, c: &Connection) -> &mut G {
        let key = match c.tls.as_ref().and_then(|t| t.sni.as_ref()) {
            Some(s) => {
                let slot = self
                    .sni_of_addr
                    .entry(c.server)
                    .or_insert_with(|| (c.id, s.clone()));
                if c.id < slot.0 {
                    *slot = (c.id, s.clone());
                }
                RawKey::Name(format!("{s}:{}", c.server.port()))
            }
            None => RawKey::Addr(c.server),
        };
        self.groups.entry(key).or_default()
    }

    /// The aggregates by resolved server name, in name order.
    pub(crate) fn finish(self) -> BTreeMap<String, G> {
        let mut out: BTreeMap<String, G> = BTreeMap::new();
        for (key, g) in self.groups {
            let name = match key {
                RawKey::Name(n) => n,
                RawKey::Addr(a) => match self.sni_of_addr.get(&a) {
                    Some((_, s)) => format!("{s}:{}", a.port()),
                    None => a.to_string(),
                },
            };
            match out.get_mut(&name) {
                Some(existing) => existing.merge(g),
                None => {
                    out.insert(name, g);
                }
            }
        }
        out
    }
}

/// The lowest connection ids of a group (at most [`SmallestIds::KEEP`]) and
/// how many there were: enough to name examples without keeping them all.
#[derive(Debug, Clone, Default)]
pub(crate) struct SmallestIds {
    ids: Vec<ConnId>,
    count: usize,
}

impl SmallestIds {
    const KEEP: usize = 10;

    pub(crate) fn push(&mut self, id: ConnId) {
        self.count += 1;
        let at = self.ids.partition_point(|x| *x < id);
        if at < Self::KEEP {
            self.ids.insert(at, id);
            self.ids.truncate(Self::KEEP);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    #[cfg(test)]
    fn first(&self) -> Option<ConnId> {
        self.ids.first().copied()
    }
}

impl Merge for SmallestIds {
    fn merge(&mut self, other: Self) {
        let count = self.count + other.count;
        for id in other.ids {
            self.push(id);
        }
        self.count = count;
    }
}

/// `#1, #2, …` with an ellipsis when more were seen than kept.
impl fmt::Display for SmallestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s: Vec<String> = self.ids.iter().map(ToString::to_string).collect();
        if self.count > self.ids.len() {
            s.push("…".into());
        }
        f.write_str(&s.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_ids_keep_the_lowest_in_any_order() {
        let mut a = SmallestIds::default();
        for i in (1..=25).rev() {
            a.push(ConnId(i));
        }
        assert_eq!(a.len(), 25);
        assert_eq!(a.first(), Some(ConnId(1)));
        assert_eq!(a.to_string(), "#1, #2, #3, #4, #5, #6, #7, #8, #9, #10, …");
        let mut b = SmallestIds::default();
        b.push(ConnId(30));
        b.merge(a);
        assert_eq!(b.len(), 26);
        assert_eq!(b.first(), Some(ConnId(1)));
    }
}
