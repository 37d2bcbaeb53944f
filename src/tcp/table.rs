//! The connection table: finds the connection of each segment by 4-tuple,
//! decides client and server, follows SYN/FIN/RST, and bounds the number of
//! connections in flight with least-recently-active eviction.
//!
//! Rules decided here (the tests in `tests/tcp.rs` pin them):
//! - Roles: the sender of a SYN (without ACK) is the client
//!   ([`RoleBasis::Syn`]); else the receiver of a SYN-ACK
//!   ([`RoleBasis::SynAck`]); else the side on a well-known TLS port (see
//!   [`TLS_PORTS`]) is the server, and failing that the lower port, and on a
//!   tie the destination of the first segment ([`RoleBasis::PortGuess`]).
//! - Closing is lazy: a connection that ended (RST, or FIN in both
//!   directions) stays in the table for [`LINGER_SECS`] of capture time so
//!   late retransmissions and the final ACK land in it instead of opening a
//!   spurious connection. It is closed (`on_close`) when that time has passed
//!   (checked as later segments arrive), when a new SYN reuses its 4-tuple,
//!   when the cap evicts it (its `end` stays `Fin`/`Rst`), or at `finish`.
//! - A connection whose FINs were both acknowledged expects nothing more: it
//!   is closed at once and leaves a tombstone of its 4-tuple for
//!   [`LINGER_SECS`], so a retransmitted FIN or ACK is recognised and dropped
//!   (`late_segments`) instead of opening a spurious connection; a SYN on
//!   that 4-tuple opens a new one.
//! - When no more bytes can come (FIN both ways with everything before them
//!   delivered, or a RST with nothing buffered) the sink hears `on_finished`
//!   and the overlap-check buffers are freed, so a lingering connection is
//!   small: memory follows the connections in flight, not the capture.
//! - Port reuse: a SYN after a RST (even with the same ISN, as stacks that
//!   retry do), or a SYN with a new ISN, opens a new connection on the same
//!   4-tuple when the existing one ended, never saw a SYN (mid-stream), or saw
//!   its SYN at least [`REUSE_AFTER_SECS`] earlier. The old one is closed
//!   first; its `end` is `Open` if it had not ended.
//! - Eviction: beyond `max_connections`, the least recently active
//!   connection is closed with `TcpEnd::Evicted { frame }`, `frame` being the
//!   segment that needed the room (unless it had already ended). Within that
//!   cap, connections opened by a SYN that the server has not answered yet
//!   (half-open) are capped by `max_half_open`: beyond it the oldest of them
//!   is evicted the same way, so a SYN flood cannot push answered
//!   connections out or fill memory.
//! - `mid_stream` is set when neither a SYN nor a SYN-ACK was seen.
//! - RST segments deliver no payload and their ACK field is not trusted.

use super::reassembly::{Chunk, Emit, Half};
use super::{RoleBasis, StreamSink, TcpConnection, TcpEnd, TcpLimits, TcpStats};
use crate::packet::Segment;
use crate::types::{ConnId, Dir, FrameNo, Timestamp};
use std::collections::VecDeque;
// A fast hasher seeded at random per process: an offline capture cannot be
// crafted to collide in it, and SipHash was 5 % of the decoding thread.
use foldhash::{HashMap, HashMapExt};
use std::net::SocketAddr;

/// Ports taken as the server side when no SYN tells (TLS services).
pub const TLS_PORTS: [u16; 16] = [
    443, 8443, 465, 993, 995, 636, 989, 990, 5061, 853, 563, 992, 994, 6697, 8883, 5986,
];

/// Seconds after which a SYN with a new ISN on a live 4-tuple is taken as
/// a new connection (about twice the usual maximum segment lifetime).
pub const REUSE_AFTER_SECS: f64 = 60.0;

/// Seconds of capture time an ended connection stays in the table for late
/// segments (retransmitted FINs and final ACKs come within a few RTOs).
pub const LINGER_SECS: f64 = 5.0;

/// A 4-tuple with its two endpoints in a fixed order, so both directions match.
type Key = (SocketAddr, SocketAddr);

fn key_of(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

/// One tracked connection.
struct Conn {
    info: TcpConnection,
    halves: [Half; 2],
    end: Option<TcpEnd>,
    rst_seen: bool,
    client_isn: Option<u32>,
    syn_ts: Option<Timestamp>,
    /// Activity counter value of the last segment (for the LRU queue).
    tick: u64,
    /// `on_finished` was sent: no more bytes will be delivered.
    finished: bool,
    /// Opened by a SYN and nothing from the server yet (half-open).
    unanswered: bool,
}

/// Why a connection leaves the table; gives its `end` if none was seen.
enum CloseWhy {
    Finish,
    Reused,
    Evicted(FrameNo),
}

/// The TCP stage: feed it segments in capture order, get streams and
/// connection summaries through a [`StreamSink`].
pub struct ConnTable {
    limits: TcpLimits,
    index: HashMap<Key, usize>,
    /// Connection slots; freed ones are reused via `free`. Boxed: a
    /// connection is ~760 bytes, and an unboxed slot vector would move them
    /// all (and hold twice the room) each time it grows.
    slots: Vec<Option<Box<Conn>>>,
    free: Vec<usize>,
    /// Least recently active first; entries whose tick no longer matches the
    /// connection's are stale and skipped (lazy deletion, compacted).
    lru: VecDeque<(u64, usize)>,
    /// Connections that ended, oldest first: when, slot, id (stale entries,
    /// whose slot holds another connection by now, are skipped).
    ended: VecDeque<(Timestamp, usize, ConnId)>,
    /// 4-tuples of connections closed after both FINs were acknowledged:
    /// when, for [`LINGER_SECS`]; `tomb_order` expires them oldest first.
    tombs: HashMap<Key, Timestamp>,
    tomb_order: VecDeque<(Timestamp, Key)>,
    tick: u64,
    next_id: u32,
    stats: TcpStats,
    /// Half-open connections (see `Conn::unanswered`), oldest first: id and
    /// slot (stale entries are skipped, and compacted), and how many.
    unanswered: VecDeque<(ConnId, usize)>,
    half_open: usize,
}

impl ConnTable {
    /// An empty table with the given limits (`max_connections` of 0 acts as 1).
    pub fn new(limits: TcpLimits) -> Self {
        ConnTable {
            limits,
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            lru: VecDeque::new(),
            ended: VecDeque::new(),
            tombs: HashMap::new(),
            tomb_order: VecDeque::new(),
            tick: 0,
            next_id: 1,
            stats: TcpStats::default(),
            unanswered: VecDeque::new(),
            half_open: 0,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }

    /// Takes the next segment in capture order.
    pub fn process<S: StreamSink>(&mut self, seg: &Segment<'_>, sink: &mut S) {
        self.stats.segments += 1;
        self.close_lingering(seg.ts, sink);
        let key = key_of(seg.src, seg.dst);
        let mut slot = self.index.get(&key).copied();
        if slot.is_none() && self.tombs.contains_key(&key) {
            if !seg.flags.syn {
                self.stats.late_segments += 1;
                return;
            }
            self.tombs.remove(&key);
        }
        if let Some(s) = slot
            && self.conn(s).is_some_and(|c| c.is_new_syn(seg))
        {
            self.close_slot(s, CloseWhy::Reused, sink);
            self.stats.reused += 1;
            slot = None;
        }
        let slot = match slot {
            Some(s) => s,
            None => self.open(seg, key, sink),
        };
        self.touch(slot);
        let max_ooo = self.limits.max_ooo_bytes;
        if let Some(conn) = self.slots.get_mut(slot).and_then(Option::as_mut) {
            if conn.unanswered && seg.src == conn.info.server {
                conn.unanswered = false;
                self.half_open = self.half_open.saturating_sub(1);
            }
            let was_finished = conn.finished;
            conn.handle(seg, max_ooo, sink);
            if !was_finished && conn.is_finished() {
                conn.finished = true;
                for h in &mut conn.halves {
                    h.release();
                }
                sink.on_finished(conn.info.id);
                self.ended.push_back((seg.ts, slot, conn.info.id));
            }
            // Both FINs acknowledged: nothing more is expected (a late segment
            // would be a retransmission of something already seen).
            if conn.finished && !conn.rst_seen && conn.halves.iter().all(Half::fin_acked) {
                self.close_slot(slot, CloseWhy::Finish, sink);
                self.bury(key, seg.ts);
            }
        }
    }

    /// Leaves a tombstone for a connection closed with nothing more expected.
    fn bury(&mut self, key: Key, now: Timestamp) {
        self.tombs.insert(key, now);
        self.tomb_order.push_back((now, key));
        // Bounded like the table itself, whatever the timestamps do.
        while self.tomb_order.len() > self.limits.max_connections.max(1) {
            if let Some((at, k)) = self.tomb_order.pop_front()
                && self.tombs.get(&k) == Some(&at)
            {
                self.tombs.remove(&k);
            }
        }
    }

    /// Closes the connections that ended more than [`LINGER_SECS`] before
    /// `now`, and forgets tombstones as old.
    fn close_lingering<S: StreamSink>(&mut self, now: Timestamp, sink: &mut S) {
        while let Some(&(at, key)) = self.tomb_order.front() {
            if now.since(at) < LINGER_SECS {
                break;
            }
            self.tomb_order.pop_front();
            if self.tombs.get(&key) == Some(&at) {
                self.tombs.remove(&key);
            }
        }
        while let Some(&(at, slot, id)) = self.ended.front() {
            if now.since(at) < LINGER_SECS {
                break;
            }
            self.ended.pop_front();
            if self.conn(slot).is_some_and(|c| c.info.id == id) {
                self.close_slot(slot, CloseWhy::Finish, sink);
            }
        }
        // Timestamps that stand still (or go back) leave stale entries: compact.
        if self.ended.len() > 2 * self.index.len() + 64 {
            let slots = &self.slots;
            self.ended.retain(|&(_, s, id)| {
                slots
                    .get(s)
                    .and_then(Option::as_ref)
                    .is_some_and(|c| c.info.id == id)
            });
        }
    }

    /// End of capture: flushes and closes every connection, in order of first frame.
    pub fn finish<S: StreamSink>(&mut self, sink: &mut S) {
        let mut live: Vec<(ConnId, usize)> = self
            .index
            .values()
            .filter_map(|&s| self.conn(s).map(|c| (c.info.id, s)))
            .collect();
        live.sort_unstable();
        for (_, slot) in live {
            self.close_slot(slot, CloseWhy::Finish, sink);
        }
        self.lru.clear();
        self.ended.clear();
    }

    fn conn(&self, slot: usize) -> Option<&Conn> {
        self.slots.get(slot).and_then(Option::as_deref)
    }

    /// Creates the connection for a segment with an unknown 4-tuple.
    fn open<S: StreamSink>(&mut self, seg: &Segment<'_>, key: Key, sink: &mut S) -> usize {
        let cap = self.limits.max_connections.max(1);
        let conn = Conn::new(ConnId(self.next_id), seg);
        if conn.unanswered {
            let cap = self.limits.max_half_open.max(1);
            while self.half_open >= cap && self.evict_unanswered(seg.frame, sink) {}
        }
        while self.index.len() >= cap && self.evict_one(seg.frame, sink) {}
        let id = conn.info.id;
        self.next_id = self.next_id.saturating_add(1);
        let unanswered = conn.unanswered;
        sink.on_open(id, conn.info.client, conn.info.server, conn.info.role_basis);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        if let Some(place) = self.slots.get_mut(slot) {
            *place = Some(Box::new(conn));
        }
        self.index.insert(key, slot);
        if unanswered {
            self.half_open += 1;
            self.unanswered.push_back((id, slot));
            if self.unanswered.len() > 2 * self.half_open + 64 {
                let slots = &self.slots;
                self.unanswered.retain(|&(id, s)| {
                    slots
                        .get(s)
                        .and_then(Option::as_ref)
                        .is_some_and(|c| c.info.id == id && c.unanswered)
                });
            }
        }
        self.stats.connections_opened += 1;
        self.stats.open = self.index.len();
        self.stats.peak_open = self.stats.peak_open.max(self.stats.open);
        slot
    }

    /// Closes the least recently active connection. False if none is left.
    fn evict_one<S: StreamSink>(&mut self, frame: FrameNo, sink: &mut S) -> bool {
        while let Some((tick, slot)) = self.lru.pop_front() {
            if self.conn(slot).is_some_and(|c| c.tick == tick) {
                self.close_slot(slot, CloseWhy::Evicted(frame), sink);
                self.stats.evicted += 1;
                return true;
            }
        }
        false
    }

    /// Closes the oldest connection the server has not answered. False if
    /// none is left.
    fn evict_unanswered<S: StreamSink>(&mut self, frame: FrameNo, sink: &mut S) -> bool {
        while let Some((id, slot)) = self.unanswered.pop_front() {
            if self
                .conn(slot)
                .is_some_and(|c| c.info.id == id && c.unanswered)
            {
                self.close_slot(slot, CloseWhy::Evicted(frame), sink);
                self.stats.evicted += 1;
                self.stats.half_open_evicted += 1;
                return true;
            }
        }
        false
    }

    /// Marks a connection as the most recently active one.
    fn touch(&mut self, slot: usize) {
        let Some(conn) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if conn.tick == self.tick && self.tick != 0 {
            return; // already the newest entry
        }
        self.tick += 1;
        conn.tick = self.tick;
        self.lru.push_back((self.tick, slot));
        if self.lru.len() > 2 * self.index.len() + 64 {
            let slots = &self.slots;
            self.lru.retain(|&(t, s)| {
                slots
                    .get(s)
                    .and_then(Option::as_ref)
                    .is_some_and(|c| c.tick == t)
            });
        }
    }

    fn close_slot<S: StreamSink>(&mut self, slot: usize, why: CloseWhy, sink: &mut S) {
        let Some(conn) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.index
            .remove(&key_of(conn.info.client, conn.info.server));
        if conn.unanswered {
            self.half_open = self.half_open.saturating_sub(1);
        }
        self.free.push(slot);
        self.stats.connections_closed += 1;
        self.stats.open = self.index.len();
        conn.close(why, sink);
    }
}

/// Decides the roles from the first segment of a connection.
fn roles(seg: &Segment<'_>) -> (SocketAddr, SocketAddr, RoleBasis) {
    let f = seg.flags;
    if f.syn && !f.ack {
        return (seg.src, seg.dst, RoleBasis::Syn);
    }
    if f.syn && f.ack {
        return (seg.dst, seg.src, RoleBasis::SynAck);
    }
    let src_tls = TLS_PORTS.contains(&seg.src.port());
    let dst_tls = TLS_PORTS.contains(&seg.dst.port());
    let src_is_server = match (src_tls, dst_tls) {
        (true, false) => true,
        (false, true) => false,
        _ => seg.src.port() < seg.dst.port(),
    };
    if src_is_server {
        (seg.dst, seg.src, RoleBasis::PortGuess)
    } else {
        (seg.src, seg.dst, RoleBasis::PortGuess)
    }
}

impl Conn {
    /// No more bytes can come: FIN both ways with everything delivered, or a
    /// RST with nothing waiting for a hole.
    fn is_finished(&self) -> bool {
        if self.rst_seen {
            self.halves.iter().all(Half::nothing_buffered)
        } else {
            self.halves.iter().all(Half::complete)
        }
    }

    fn new(id: ConnId, seg: &Segment<'_>) -> Conn {
        let (client, server, role_basis) = roles(seg);
        let info = TcpConnection {
            id,
            client,
            server,
            role_basis,
            first_frame: seg.frame,
            last_frame: seg.frame,
            first_ts: seg.ts,
            last_ts: seg.ts,
            syn_frame: None,
            synack_frame: None,
            refused: false,
            syn_data: false,
            mid_stream: false,
            one_sided: None,
            to_server: Default::default(),
            to_client: Default::default(),
            end: TcpEnd::Open,
            gaps: Vec::new(),
            conflicts: Vec::new(),
            ooo_bytes_dropped: 0,
        };
        Conn {
            info,
            halves: Default::default(),
            end: None,
            rst_seen: false,
            client_isn: None,
            syn_ts: None,
            tick: 0,
            finished: false,
            unanswered: seg.flags.syn && !seg.flags.ack,
        }
    }

    /// RST seen, or FIN seen in both directions.
    fn ended(&self) -> bool {
        self.rst_seen || self.halves.iter().all(Half::has_fin)
    }

    /// The half-connection carrying `dir`'s bytes.
    fn half(&self, dir: Dir) -> &Half {
        let [to_server, to_client] = &self.halves;
        match dir {
            Dir::ToServer => to_server,
            Dir::ToClient => to_client,
        }
    }

    fn half_mut(&mut self, dir: Dir) -> &mut Half {
        let [to_server, to_client] = &mut self.halves;
        match dir {
            Dir::ToServer => to_server,
            Dir::ToClient => to_client,
        }
    }

    /// Is `seg` a SYN that starts a new connection on this 4-tuple?
    fn is_new_syn(&self, seg: &Segment<'_>) -> bool {
        if !seg.flags.syn || seg.flags.ack {
            return false;
        }
        // The same ISN is a retransmitted SYN of this connection, unless a RST
        // killed it: then the SYN is a new attempt (tshark: "port numbers reused").
        if self.client_isn == Some(seg.seq) && !self.rst_seen {
            return false;
        }
        let from_client = seg.src == self.info.client;
        let late_syn_of_this = from_client
            && self.client_isn.is_none()
            && self.half(Dir::ToServer).base() == Some(seg.seq.wrapping_add(1));
        if late_syn_of_this {
            return false;
        }
        self.ended()
            || self
                .syn_ts
                .is_none_or(|t| seg.ts.since(t) >= REUSE_AFTER_SECS)
    }

    fn handle<S: StreamSink>(&mut self, seg: &Segment<'_>, max_ooo: usize, sink: &mut S) {
        let dir = if seg.src == self.info.client {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        self.info.last_frame = seg.frame;
        self.info.last_ts = seg.ts;
        let stats = self.dir_stats(dir);
        stats.packets += 1;
        stats.wire_bytes += u64::from(seg.frame_len);
        if seg.window == 0 && !seg.flags.rst {
            stats.zero_windows += 1;
        }
        if seg.payload_missing > 0 {
            stats.truncated_segments += 1;
        }
        if seg.flags.syn {
            self.on_syn(dir, seg);
        }
        if seg.flags.rst {
            self.on_rst(dir, seg.frame);
            return;
        }
        self.on_stream(dir, seg, max_ooo, sink);
    }

    fn dir_stats(&mut self, dir: Dir) -> &mut super::DirStats {
        match dir {
            Dir::ToServer => &mut self.info.to_server,
            Dir::ToClient => &mut self.info.to_client,
        }
    }

    fn on_syn(&mut self, dir: Dir, seg: &Segment<'_>) {
        if !seg.flags.ack && dir == Dir::ToServer && self.info.syn_frame.is_none() {
            self.info.syn_frame = Some(seg.frame);
            self.info.role_basis = RoleBasis::Syn;
            self.client_isn = Some(seg.seq);
            self.syn_ts = Some(seg.ts);
            self.info.syn_data = !seg.payload.is_empty() || seg.payload_missing > 0;
        }
        if seg.flags.ack && dir == Dir::ToClient && self.info.synack_frame.is_none() {
            self.info.synack_frame = Some(seg.frame);
            self.half_mut(Dir::ToServer).set_base(seg.ack);
        }
    }

    fn on_rst(&mut self, dir: Dir, frame: FrameNo) {
        self.rst_seen = true;
        if self.end.is_none() {
            self.end = Some(TcpEnd::Rst {
                by: dir.sender(),
                frame,
            });
        }
        if dir == Dir::ToClient
            && self.info.syn_frame.is_some()
            && self.info.synack_frame.is_none()
            && self.info.to_client.bytes == 0
        {
            self.info.refused = true;
        }
    }

    /// Payload, FIN and ACK of a non-RST segment.
    fn on_stream<S: StreamSink>(
        &mut self,
        dir: Dir,
        seg: &Segment<'_>,
        max_ooo: usize,
        sink: &mut S,
    ) {
        let data_seq = seg.seq.wrapping_add(u32::from(seg.flags.syn));
        let [to_server, to_client] = &mut self.halves;
        let (half, other) = match dir {
            Dir::ToServer => (to_server, to_client),
            Dir::ToClient => (to_client, to_server),
        };
        half.set_base(data_seq);
        let start = half.offset_of(data_seq).unwrap_or(0);
        let missing = u64::from(seg.payload_missing);
        if !seg.payload.is_empty() || missing > 0 {
            let chunk = Chunk {
                start,
                data: &seg.payload,
                missing,
                frame: seg.frame,
                ts: seg.ts,
            };
            half.on_data(chunk, max_ooo, &mut emit(&mut self.info, sink, dir));
        }
        if seg.flags.fin {
            let len = i64::try_from(seg.payload.len() as u64 + missing).unwrap_or(0);
            half.on_fin(start + len, seg.frame);
            if self.end.is_none() {
                self.end = Some(TcpEnd::Fin {
                    by: dir.sender(),
                    frame: seg.frame,
                });
            }
        }
        if seg.flags.ack {
            other.on_ack(
                seg.ack,
                seg.frame,
                &mut emit(&mut self.info, sink, dir.flip()),
            );
        }
    }

    /// Flushes both directions and hands the summary to the sink.
    fn close<S: StreamSink>(mut self, why: CloseWhy, sink: &mut S) {
        for dir in [Dir::ToServer, Dir::ToClient] {
            if let Some(half) = self.halves.get_mut(dir.index()) {
                half.flush(&mut emit(&mut self.info, sink, dir));
            }
        }
        let info = &mut self.info;
        info.end = self.end.unwrap_or(match why {
            CloseWhy::Finish | CloseWhy::Reused => TcpEnd::Open,
            CloseWhy::Evicted(frame) => TcpEnd::Evicted { frame },
        });
        info.one_sided = match (info.to_server.packets, info.to_client.packets) {
            (_, 0) => Some(Dir::ToServer),
            (0, _) => Some(Dir::ToClient),
            _ => None,
        };
        info.mid_stream = info.syn_frame.is_none() && info.synack_frame.is_none();
        sink.on_close(self.info);
    }
}

/// Borrows what one direction's reassembly writes to.
fn emit<'a, S>(info: &'a mut TcpConnection, sink: &'a mut S, dir: Dir) -> Emit<'a, S> {
    let stats = match dir {
        Dir::ToServer => &mut info.to_server,
        Dir::ToClient => &mut info.to_client,
    };
    Emit {
        sink,
        id: info.id,
        dir,
        stats,
        gaps: &mut info.gaps,
        conflicts: &mut info.conflicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An idle connection must stay small: the cap multiplies it.
    #[test]
    fn idle_connection_is_small() {
        let size = std::mem::size_of::<Conn>();
        println!("size_of::<Conn>() = {size}");
        assert!(size <= 1024, "{size} bytes per connection");
    }
}
