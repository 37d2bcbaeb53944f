//! One direction of a TCP connection: turns segments (in capture order) into
//! an ordered byte stream, reporting holes as gaps instead of bridging them.
//!
//! Offsets are `u64` bytes from the stream start (the byte after the ISN, or
//! the first sequence number seen when the SYN was missed), obtained by
//! unwrapping 32-bit sequence numbers against the next expected offset, so
//! streams longer than 4 GiB and ISNs near 2^32 work.
//!
//! In-order bytes are handed to the sink straight from the segment (no copy,
//! no allocation). Only bytes that arrive ahead of a hole are copied into a
//! bounded buffer. Overlaps keep the first copy; differing bytes in the
//! overlap become a [`Conflict`]. The last [`CONFLICT_WINDOW`] delivered bytes
//! are remembered (only while the consumer wants bytes) so a retransmission of
//! already-delivered data can be compared too.
//!
//! A hole is reported as a gap (and the bytes after it delivered) only when
//! it cannot be filled any more: at flush (end of capture, eviction, port
//! reuse), when the buffer goes over its cap (the oldest hole is released;
//! nothing is dropped), or when the peer acknowledged beyond it. Bytes cut by
//! snaplen are a gap at their own position, reported as soon as delivery
//! reaches them. At flush, a FIN beyond the delivered data, or an ACK more
//! than one sequence number beyond it, yields a trailing gap.
//!
//! Other rules: bytes before offset 0 (before the first sequence number seen
//! in a mid-stream capture) are counted as a retransmission and dropped; a
//! one-byte segment just below the delivery point is a keep-alive and
//! ignored. After the sink answers [`Interest::CountOnly`] the direction only
//! counts: buffers are freed, nothing is delivered, no gap is reported, and a
//! late hole filler counts as a retransmission.

use super::{Conflict, DirStats, Gap, Interest, StreamSink};
use crate::types::{ConnId, Dir, FrameNo, Timestamp};
use std::collections::{BTreeMap, VecDeque};

/// Delivered bytes remembered per direction to compare retransmissions with.
pub const CONFLICT_WINDOW: usize = 4096;
/// Gaps and conflicts listed per connection; later ones are still reported
/// to the sink (gaps) but no longer stored in [`super::TcpConnection`].
pub const MAX_RECORDS: usize = 1024;
/// A trailing hole proven only by an ACK must be longer than this to be
/// reported: one sequence number may be an uncaptured FIN.
const ACK_ONLY_SLACK: u64 = 1;

/// Where reassembly output goes for one direction of one connection.
pub(crate) struct Emit<'a, S> {
    pub sink: &'a mut S,
    pub id: ConnId,
    pub dir: Dir,
    pub stats: &'a mut DirStats,
    pub gaps: &'a mut Vec<Gap>,
    pub conflicts: &'a mut Vec<Conflict>,
}

impl<S: StreamSink> Emit<'_, S> {
    fn gap(&mut self, offset: u64, len: u64, frame_after: FrameNo) {
        let gap = Gap {
            dir: self.dir,
            offset,
            len,
            frame_after,
        };
        if self.gaps.len() < MAX_RECORDS {
            self.gaps.push(gap);
        }
        self.sink.on_gap(self.id, &gap);
    }

    fn conflict(&mut self, offset: u64, len: u64, first_frame: FrameNo, frame: FrameNo) {
        if self.conflicts.len() < MAX_RECORDS {
            self.conflicts.push(Conflict {
                dir: self.dir,
                offset,
                len,
                first_frame,
                frame,
            });
        }
    }
}

/// One segment's contribution to a direction, already placed in the stream.
pub(crate) struct Chunk<'p> {
    /// Stream offset of the first byte; negative when it lies before the start.
    pub start: i64,
    pub data: &'p [u8],
    /// Bytes that followed `data` on the wire but were cut by snaplen.
    pub missing: u64,
    pub frame: FrameNo,
    pub ts: Timestamp,
}

/// Buffered content of a range ahead of a hole.
enum Body {
    Bytes(Vec<u8>),
    /// Known to exist (snaplen cut them) but not captured.
    Missing(u64),
}

struct Piece {
    body: Body,
    frame: FrameNo,
    ts: Timestamp,
}

impl Piece {
    fn len(&self) -> u64 {
        match &self.body {
            Body::Bytes(v) => v.len() as u64,
            Body::Missing(n) => *n,
        }
    }
}

/// Reassembly state of one direction. Small when idle: the buffers allocate
/// only when something is out of order or remembered for conflict checks.
#[derive(Default)]
pub(crate) struct Half {
    /// Sequence number of stream offset 0.
    base: Option<u32>,
    /// Everything before this offset was delivered, reported as a gap, or counted.
    next: u64,
    /// End of the highest byte seen.
    high: u64,
    ooo: BTreeMap<u64, Piece>,
    ooo_bytes: usize,
    /// The last delivered bytes, covering `next - tail.len() .. next`.
    tail: VecDeque<u8>,
    /// Start offset and frame of each delivery still (partly) in `tail`.
    tail_frames: VecDeque<(u64, FrameNo)>,
    count_only: bool,
    /// Offset of the FIN and its frame (first one).
    fin: Option<(u64, FrameNo)>,
    /// Highest offset acknowledged by the peer, and the frame that did it.
    acked: Option<(u64, FrameNo)>,
}

impl Half {
    /// Sets the sequence number of offset 0 if not known yet.
    pub fn set_base(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
        }
    }

    pub fn base(&self) -> Option<u32> {
        self.base
    }

    pub fn has_fin(&self) -> bool {
        self.fin.is_some()
    }

    /// Everything up to the FIN was delivered (or counted): no more bytes
    /// can come in this direction.
    pub fn complete(&self) -> bool {
        self.fin.is_some_and(|(off, _)| self.next >= off) && self.ooo.is_empty()
    }

    /// The peer acknowledged the FIN (which takes one sequence number).
    pub fn fin_acked(&self) -> bool {
        matches!((self.fin, self.acked), (Some((f, _)), Some((a, _))) if a > f)
    }

    /// Nothing is waiting for an earlier segment.
    pub fn nothing_buffered(&self) -> bool {
        self.ooo.is_empty()
    }

    /// Frees the buffers kept for overlap checks, once the stream is over.
    pub fn release(&mut self) {
        self.tail = VecDeque::new();
        self.tail_frames = VecDeque::new();
    }

    /// Stream offset of `seq`, unwrapped to the value closest to `next`.
    pub fn offset_of(&self, seq: u32) -> Option<i64> {
        let rel = seq.wrapping_sub(self.base?);
        // Truncation to the low 32 bits is the point: the distance is taken mod 2^32.
        let diff = i64::from(rel.wrapping_sub(self.next as u32) as i32);
        i64::try_from(self.next).ok()?.checked_add(diff)
    }

    /// Records the FIN at stream offset `off` (first one wins).
    pub fn on_fin(&mut self, off: i64, frame: FrameNo) {
        if let (None, Ok(off)) = (self.fin, u64::try_from(off)) {
            self.fin = Some((off, frame));
        }
    }

    /// Accepts one segment's payload.
    pub fn on_data<S: StreamSink>(&mut self, c: Chunk<'_>, cap: usize, e: &mut Emit<'_, S>) {
        let Some((start, data, missing)) = clip_front(&c) else {
            e.stats.retransmissions += 1;
            return;
        };
        let len = data.len() as u64 + missing;
        let end = start + len;
        if len == 1 && end == self.next {
            return; // keep-alive probe: one old (often garbage) byte
        }
        if self.count_only {
            self.count(start, end, e.stats);
            return;
        }
        self.high = self.high.max(end);
        if start < self.next {
            let old = (self.next - start).min(data.len() as u64) as usize;
            self.compare_tail(start, data.get(..old).unwrap_or_default(), c.frame, e);
        }
        if end <= self.next {
            e.stats.retransmissions += 1;
            return;
        }
        let from = start.max(self.next);
        if from == self.next && self.ooo.is_empty() {
            e.stats.bytes += end - from;
            if from > start {
                e.stats.retransmissions += 1;
            }
            self.deliver_in_order(from, start, data, end, c.frame, c.ts, e);
            return;
        }
        if from > self.next {
            e.stats.out_of_order += 1;
        }
        let new = self.insert(from, start, data, end, c.frame, c.ts, e);
        e.stats.bytes += new;
        if new < len {
            e.stats.retransmissions += 1;
        }
        self.drain(e);
        while self.ooo_bytes > cap && self.release_front(e) {}
        self.release_acked(e);
    }

    /// Notes that the peer acknowledged up to `ack`; a hole below it will
    /// never be filled in this capture.
    pub fn on_ack<S: StreamSink>(&mut self, ack: u32, frame: FrameNo, e: &mut Emit<'_, S>) {
        if self.count_only {
            return;
        }
        let Some(off) = self.offset_of(ack).and_then(|o| u64::try_from(o).ok()) else {
            return;
        };
        if off > self.next && self.acked.is_none_or(|(a, _)| off > a) {
            self.acked = Some((off, frame));
            self.release_acked(e);
        }
    }

    /// No more segments will come: report every hole and deliver the rest.
    pub fn flush<S: StreamSink>(&mut self, e: &mut Emit<'_, S>) {
        while !self.count_only && self.release_front(e) {}
        if self.count_only {
            return;
        }
        let end = match (self.fin, self.acked) {
            (Some(fin), _) => Some(fin),
            (None, Some((a, f))) if a > self.next + ACK_ONLY_SLACK => Some((a, f)),
            _ => None,
        };
        if let Some((end, frame)) = end.filter(|(end, _)| *end > self.next) {
            e.gap(self.next, end - self.next, frame);
            self.skip_to(end);
        }
    }

    /// Count-only mode: new bytes are counted, nothing is kept.
    fn count(&mut self, start: u64, end: u64, stats: &mut DirStats) {
        let new = end.saturating_sub(start.max(self.next));
        stats.bytes += new;
        if new < end - start {
            stats.retransmissions += 1;
        }
        self.next = self.next.max(end);
        self.high = self.high.max(end);
    }

    /// Fast path: the segment continues the stream and nothing is buffered.
    #[allow(clippy::too_many_arguments)]
    fn deliver_in_order<S: StreamSink>(
        &mut self,
        from: u64,
        start: u64,
        data: &[u8],
        end: u64,
        frame: FrameNo,
        ts: Timestamp,
        e: &mut Emit<'_, S>,
    ) {
        let skip = usize::try_from(from - start).unwrap_or(usize::MAX);
        if let Some(fresh) = data.get(skip..).filter(|d| !d.is_empty()) {
            self.deliver(fresh, frame, ts, e);
        }
        if !self.count_only && end > self.next {
            e.gap(self.next, end - self.next, frame);
            self.skip_to(end);
        }
    }

    /// Hands `bytes` (starting at `next`) to the sink and follows its interest.
    fn deliver<S: StreamSink>(
        &mut self,
        bytes: &[u8],
        frame: FrameNo,
        ts: Timestamp,
        e: &mut Emit<'_, S>,
    ) {
        let at = self.next;
        self.next += bytes.len() as u64;
        match e.sink.on_data(e.id, e.dir, at, bytes, frame, ts) {
            Interest::Bytes => self.remember(at, bytes, frame),
            Interest::CountOnly => self.stop_buffering(),
        }
    }

    /// Switches to counting: frees every buffer.
    fn stop_buffering(&mut self) {
        self.count_only = true;
        self.ooo = BTreeMap::new();
        self.ooo_bytes = 0;
        self.tail = VecDeque::new();
        self.tail_frames = VecDeque::new();
        self.next = self.next.max(self.high);
    }

    /// Moves `next` forward over bytes that will not be delivered.
    fn skip_to(&mut self, off: u64) {
        self.next = off;
        self.tail.clear();
        self.tail_frames.clear();
    }

    /// Keeps the delivered bytes (the last window of them) for conflict checks.
    fn remember(&mut self, at: u64, bytes: &[u8], frame: FrameNo) {
        let keep = bytes.len().min(CONFLICT_WINDOW);
        let kept_from = bytes.len() - keep;
        self.tail.extend(bytes.get(kept_from..).unwrap_or_default());
        self.tail_frames.push_back((at + kept_from as u64, frame));
        let excess = self.tail.len().saturating_sub(CONFLICT_WINDOW);
        self.tail.drain(..excess);
        let tail_start = self.next - self.tail.len() as u64;
        while self
            .tail_frames
            .get(1)
            .is_some_and(|&(off, _)| off <= tail_start)
        {
            self.tail_frames.pop_front();
        }
    }

    /// Compares old bytes (already delivered) with the remembered tail.
    fn compare_tail<S: StreamSink>(
        &self,
        start: u64,
        old: &[u8],
        frame: FrameNo,
        e: &mut Emit<'_, S>,
    ) {
        let tail_start = self.next - self.tail.len() as u64;
        let old_end = start + old.len() as u64;
        for (i, &(span_start, first)) in self.tail_frames.iter().enumerate() {
            let span_end = self.tail_frames.get(i + 1).map_or(self.next, |s| s.0);
            let a = span_start.max(tail_start).max(start);
            let b = span_end.min(old_end);
            if a >= b {
                continue;
            }
            let kept = self.tail.range(idx(a - tail_start)..idx(b - tail_start));
            let new = old.get(idx(a - start)..idx(b - start)).unwrap_or_default();
            if !kept.eq(new.iter()) {
                e.conflict(a, b - a, first, frame);
            }
        }
    }

    /// Buffers the parts of `[from, end)` not already held (first copy wins),
    /// comparing the parts that are. Returns how many bytes were new.
    #[allow(clippy::too_many_arguments)]
    fn insert<S: StreamSink>(
        &mut self,
        from: u64,
        start: u64,
        data: &[u8],
        end: u64,
        frame: FrameNo,
        ts: Timestamp,
        e: &mut Emit<'_, S>,
    ) -> u64 {
        let data_end = start + data.len() as u64;
        let mut cur = from;
        let mut new = 0;
        let held: Vec<(u64, u64)> = self.overlapping(from, end);
        for (ps, pe) in held.into_iter().chain(std::iter::once((end, end))) {
            if cur < ps {
                new += ps - cur;
                self.store(cur, ps, start, data, frame, ts);
            }
            let (a, b) = (ps.max(cur).max(start), pe.min(data_end));
            if a < b {
                self.compare_piece(ps, a, b, data.get(idx(a - start)..idx(b - start)), frame, e);
            }
            cur = cur.max(pe);
        }
        debug_assert!(cur >= end);
        new
    }

    /// Ranges of buffered pieces that overlap `[from, end)`, in order.
    fn overlapping(&self, from: u64, end: u64) -> Vec<(u64, u64)> {
        let before = self
            .ooo
            .range(..from)
            .next_back()
            .map(|(&s, p)| (s, s + p.len()));
        let within = self.ooo.range(from..end).map(|(&s, p)| (s, s + p.len()));
        before
            .filter(|&(_, e)| e > from)
            .into_iter()
            .chain(within)
            .collect()
    }

    /// Stores the new range `[a, b)` of a segment whose data starts at `start`.
    fn store(&mut self, a: u64, b: u64, start: u64, data: &[u8], frame: FrameNo, ts: Timestamp) {
        let data_end = start + data.len() as u64;
        if a < data_end {
            let cut = b.min(data_end);
            let bytes = data
                .get(idx(a - start)..idx(cut - start))
                .unwrap_or_default()
                .to_vec();
            self.ooo_bytes += bytes.len();
            self.ooo.insert(
                a,
                Piece {
                    body: Body::Bytes(bytes),
                    frame,
                    ts,
                },
            );
        }
        let missing_from = a.max(data_end);
        if missing_from < b {
            self.ooo.insert(
                missing_from,
                Piece {
                    body: Body::Missing(b - missing_from),
                    frame,
                    ts,
                },
            );
        }
    }

    /// Compares `new` (the bytes `[a, b)` of a later copy) with the piece at `ps`.
    fn compare_piece<S: StreamSink>(
        &self,
        ps: u64,
        a: u64,
        b: u64,
        new: Option<&[u8]>,
        frame: FrameNo,
        e: &mut Emit<'_, S>,
    ) {
        let Some(piece) = self.ooo.get(&ps) else {
            return;
        };
        let Body::Bytes(kept) = &piece.body else {
            return;
        };
        let kept = kept.get(idx(a - ps)..idx(b - ps));
        if kept != new {
            e.conflict(a, b - a, piece.frame, frame);
        }
    }

    /// Delivers buffered pieces that now continue the stream.
    fn drain<S: StreamSink>(&mut self, e: &mut Emit<'_, S>) {
        while !self.count_only {
            let Some(entry) = self.ooo.first_entry() else {
                break;
            };
            if *entry.key() > self.next {
                break;
            }
            let (ps, piece) = entry.remove_entry();
            let pe = ps + piece.len();
            if let Body::Bytes(v) = &piece.body {
                self.ooo_bytes -= v.len();
            }
            if pe <= self.next {
                continue;
            }
            match piece.body {
                Body::Bytes(v) => {
                    let fresh = v.get(idx(self.next - ps)..).unwrap_or_default();
                    self.deliver(fresh, piece.frame, piece.ts, e);
                }
                Body::Missing(_) => {
                    e.gap(self.next, pe - self.next, piece.frame);
                    self.skip_to(pe);
                }
            }
        }
    }

    /// Declares the hole in front of the buffered data a gap and delivers
    /// what follows it. Returns false when nothing is buffered.
    fn release_front<S: StreamSink>(&mut self, e: &mut Emit<'_, S>) -> bool {
        let Some((&ps, piece)) = self.ooo.first_key_value() else {
            return false;
        };
        if ps > self.next {
            e.gap(self.next, ps - self.next, piece.frame);
            self.skip_to(ps);
        }
        self.drain(e);
        true
    }

    /// Releases holes that the peer has acknowledged beyond.
    fn release_acked<S: StreamSink>(&mut self, e: &mut Emit<'_, S>) {
        let Some((acked, _)) = self.acked else { return };
        while !self.count_only
            && self
                .ooo
                .first_key_value()
                .is_some_and(|(&ps, _)| ps <= acked)
        {
            self.release_front(e);
        }
    }
}

/// Drops the part of a chunk before stream offset 0. `None` if nothing is left.
fn clip_front<'p>(c: &Chunk<'p>) -> Option<(u64, &'p [u8], u64)> {
    if let Ok(start) = u64::try_from(c.start) {
        return Some((start, c.data, c.missing));
    }
    let cut = c.start.unsigned_abs();
    let total = c.data.len() as u64 + c.missing;
    if cut >= total {
        return None;
    }
    let data_cut = idx(cut.min(c.data.len() as u64));
    let data = c.data.get(data_cut..).unwrap_or_default();
    let missing = c.missing - (cut - data_cut as u64).min(c.missing);
    Some((0, data, missing))
}

/// A stream distance inside one segment or buffer, as an index.
fn idx(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
