//! Bounded IPv4 fragment reassembly.
//!
//! Fragmented TLS over TCP is rare, but a capture is hostile input: the pool caps
//! the number of datagrams pending, the bytes held, each datagram at 65 535
//! bytes, and forgets datagrams whose first fragment is older (by capture
//! timestamp) than the timeout. Everything thrown away is counted.

use super::PacketStats;
use crate::types::Timestamp;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Caps on fragment reassembly memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragLimits {
    /// Datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// Fragment bytes held over all datagrams.
    pub max_bytes: usize,
    /// Seconds (capture time) after its first fragment that a datagram is given up.
    pub timeout_secs: u32,
}

impl Default for FragLimits {
    fn default() -> Self {
        FragLimits {
            max_datagrams: 1024,
            max_bytes: 8 << 20,
            timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragKey {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub id: u16,
    pub proto: u8,
}

#[derive(Debug)]
struct Pending {
    first_ts: Timestamp,
    parts: Vec<(u32, Vec<u8>)>,
    total: Option<u32>,
    bytes: usize,
}

const MAX_DATAGRAM: u32 = 65_535;

#[derive(Debug)]
pub(crate) struct FragPool {
    limits: FragLimits,
    pending: HashMap<FragKey, Pending>,
    bytes: usize,
}

impl FragPool {
    pub(crate) fn new(limits: FragLimits) -> FragPool {
        FragPool {
            limits,
            pending: HashMap::new(),
            bytes: 0,
        }
    }

    /// Adds one fragment; returns the datagram's payload once every byte is present.
    pub(crate) fn insert(
        &mut self,
        key: FragKey,
        offset: u32,
        more: bool,
        data: &[u8],
        ts: Timestamp,
        stats: &mut PacketStats,
    ) -> Option<Vec<u8>> {
        self.expire(ts, stats);
        let end = offset.saturating_add(u32::try_from(data.len()).unwrap_or(u32::MAX));
        let full =
            !self.pending.contains_key(&key) && self.pending.len() >= self.limits.max_datagrams;
        if end > MAX_DATAGRAM || full || self.bytes + data.len() > self.limits.max_bytes {
            stats.fragments_dropped += 1;
            return None;
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            first_ts: ts,
            parts: Vec::new(),
            total: None,
            bytes: 0,
        });
        p.parts.push((offset, data.to_vec()));
        p.bytes += data.len();
        self.bytes += data.len();
        if !more {
            p.total = Some(end);
        }
        let total = p.total?;
        let datagram = assemble(&mut p.parts, total)?;
        if let Some(done) = self.pending.remove(&key) {
            self.bytes -= done.bytes;
        }
        stats.fragments_reassembled += 1;
        Some(datagram)
    }

    fn expire(&mut self, now: Timestamp, stats: &mut PacketStats) {
        let timeout = f64::from(self.limits.timeout_secs);
        let mut freed = 0;
        self.pending.retain(|_, p| {
            let keep = now.since(p.first_ts) <= timeout;
            if !keep {
                stats.fragments_dropped += p.parts.len() as u64;
                freed += p.bytes;
            }
            keep
        });
        self.bytes -= freed;
    }
}

/// Joins the parts if they cover `0..total` without a hole (overlaps: later data wins).
fn assemble(parts: &mut [(u32, Vec<u8>)], total: u32) -> Option<Vec<u8>> {
    parts.sort_by_key(|(off, _)| *off);
    let mut covered = 0u32;
    for (off, d) in parts.iter() {
        if *off > covered {
            return None;
        }
        covered = covered.max(off + d.len() as u32);
    }
    if covered < total {
        return None;
    }
    let mut out = vec![0u8; total as usize];
    for (off, d) in parts.iter() {
        let start = *off as usize;
        let n = d.len().min(out.len().saturating_sub(start));
        if let (Some(dst), Some(src)) = (out.get_mut(start..start + n), d.get(..n)) {
            dst.copy_from_slice(src);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u16) -> FragKey {
        FragKey {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            id,
            proto: 6,
        }
    }

    #[test]
    fn out_of_order_fragments_reassemble() {
        let mut pool = FragPool::new(FragLimits::default());
        let mut st = PacketStats::default();
        let t = Timestamp::new(100, 0);
        assert_eq!(pool.insert(key(1), 8, false, &[2; 4], t, &mut st), None);
        let d = pool.insert(key(1), 0, true, &[1; 8], t, &mut st);
        assert_eq!(d, Some(vec![1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]));
        assert_eq!(st.fragments_reassembled, 1);
        assert_eq!(pool.bytes, 0);
    }

    #[test]
    fn limits_and_timeout_drop_fragments() {
        let limits = FragLimits {
            max_datagrams: 1,
            max_bytes: 100,
            timeout_secs: 5,
        };
        let mut pool = FragPool::new(limits);
        let mut st = PacketStats::default();
        let t = Timestamp::new(100, 0);
        pool.insert(key(1), 0, true, &[0; 8], t, &mut st);
        pool.insert(key(2), 0, true, &[0; 8], t, &mut st); // second datagram: over the cap
        assert_eq!(st.fragments_dropped, 1);
        pool.insert(key(1), 8, true, &[0; 200], t, &mut st); // over max_bytes
        assert_eq!(st.fragments_dropped, 2);
        pool.insert(key(3), 0, true, &[0; 8], Timestamp::new(200, 0), &mut st); // key 1 expires
        assert_eq!(st.fragments_dropped, 3);
        assert_eq!(pool.pending.len(), 1);
        assert_eq!(
            pool.insert(
                key(4),
                65_530,
                false,
                &[0; 8],
                Timestamp::new(200, 0),
                &mut st
            ),
            None
        );
        assert_eq!(st.fragments_dropped, 4, "datagram beyond 65535 bytes");
    }
}
