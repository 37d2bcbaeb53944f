//! The streaming reader behind [`super::open`]: one growable buffer, records
//! framed by their length fields (checked against a cap before any allocation),
//! frames handed out as borrows of that buffer.
//!
//! The file header and the pcapng Interface Description and Decryption Secrets
//! blocks are parsed with pcap-parser. Packet records (legacy records, EPB, SPB,
//! OPB) have a fixed layout and are decoded here by hand: that keeps the hot path
//! free of allocation (the crate's EPB parser builds an options `Vec`) and lets
//! every length be checked before the bytes are requested.

use super::input::ReadAhead;
use super::{CaptureSummary, CaptureWarning, Frame, LinkType};
use crate::types::{FrameNo, Timestamp};
use pcap_parser::pcapng::{Block, SecretsType};
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest record (legacy pcap record or pcapng block) the reader accepts.
/// Bigger length fields are treated as corruption, not allocated.
pub const MAX_RECORD_LEN: usize = 16 << 20;

/// Largest ordinary packet (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD).
const NORMAL_MAX_PACKET: u32 = 256 * 1024;

/// Initial buffer size; the buffer only grows for records larger than this.
const BUF_CAPACITY: usize = 1 << 20;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const SJE: u32 = 9;
const DSB: u32 = 10;
const BOM: u32 = 0x1A2B_3C4D;

/// Legacy pcap: fixed for the whole file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PcapLayout {
    pub big_endian: bool,
    pub nanos: bool,
    /// 16, or 24 for the "modified" (Kuznetzov) format.
    pub record_header: usize,
    pub linktype: LinkType,
    /// The header's snapshot length.
    pub snaplen: u32,
}

/// One pcapng interface (IDB) of the current section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interface {
    linktype: LinkType,
    snaplen: u32,
    units_per_sec: u64,
    offset_secs: i64,
}

#[derive(Debug)]
pub(crate) enum Layout {
    Pcap(PcapLayout),
    Pcapng {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

impl Layout {
    pub(crate) fn pcapng() -> Layout {
        Layout::Pcapng {
            big_endian: false,
            interfaces: Vec::new(),
        }
    }
}

/// Where the next frame lies in the buffer and what it is.
struct FrameMeta {
    ts: Timestamp,
    caplen: u32,
    origlen: u32,
    linktype: LinkType,
    data_off: usize,
    record_len: usize,
}

/// Where the bytes come from: read here, or read ahead on another thread
/// and taken a chunk at a time (see [`super::input::ReadAhead`]).
pub(crate) enum Source {
    Plain(Box<dyn Read + Send>),
    Ahead(ReadAhead),
}

/// Reads frames one by one from a pcap or pcapng stream.
///
/// Obtained from [`super::open`] or [`super::from_reader`]. Frames borrow the
/// reader's buffer, so each must be dropped before asking for the next.
pub struct CaptureReader {
    src: Source,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
    consume_on_next: usize,
    layout: Layout,
    next_no: u64,
    prev_ts: Timestamp,
    last_linktype: Option<LinkType>,
    raw_count: Arc<AtomicU64>,
    summary: CaptureSummary,
}

fn u32_at(b: &[u8], off: usize, big_endian: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

fn u16_at(b: &[u8], off: usize, big_endian: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(if big_endian {
        u16::from_be_bytes(bytes)
    } else {
        u16::from_le_bytes(bytes)
    })
}

/// Converts a pcapng timestamp in interface units to a [`Timestamp`].
fn ng_timestamp(raw: u64, iface: &Interface) -> Timestamp {
    let units = iface.units_per_sec.max(1);
    let secs = i64::try_from(raw / units)
        .unwrap_or(i64::MAX)
        .saturating_add(iface.offset_secs);
    let frac = u128::from(raw % units) * 1_000_000_000 / u128::from(units);
    Timestamp::new(secs, u32::try_from(frac).unwrap_or(0))
}

impl CaptureReader {
    /// Builds a reader over `src` (already decompressed). `buf[..end]` holds bytes
    /// already read from `src`; reading starts at `start`.
    pub(crate) fn new(
        src: Source,
        buf: Vec<u8>,
        (start, end, eof): (usize, usize, bool),
        layout: Layout,
        raw_count: Arc<AtomicU64>,
        summary: CaptureSummary,
    ) -> CaptureReader {
        CaptureReader {
            src,
            buf,
            start,
            end,
            eof,
            finished: false,
            consume_on_next: 0,
            layout,
            next_no: 1,
            prev_ts: Timestamp::default(),
            last_linktype: None,
            raw_count,
            summary,
        }
    }

    /// Returns the next frame, or `Ok(None)` at the end of the capture.
    ///
    /// Problems after the file header (truncation, corrupt records, absurd
    /// lengths, read errors) end the stream with a warning in [`Self::summary`];
    /// the `Result` is kept so a future fatal condition can be reported.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, super::CaptureError> {
        self.start += std::mem::take(&mut self.consume_on_next);
        if self.finished {
            return Ok(None);
        }
        let meta = match self.layout {
            Layout::Pcap(l) => self.next_pcap_record(l),
            Layout::Pcapng { .. } => self.next_pcapng_packet(),
        };
        let Some(m) = meta else {
            self.finished = true;
            return Ok(None);
        };
        let no = FrameNo(self.next_no);
        self.next_no += 1;
        self.prev_ts = m.ts;
        self.consume_on_next = m.record_len;
        self.note_frame(&m);
        let data = self
            .buf
            .get(m.data_off..m.data_off + m.caplen as usize)
            .unwrap_or(&[]);
        Ok(Some(Frame {
            no,
            ts: m.ts,
            caplen: m.caplen,
            origlen: m.origlen,
            linktype: m.linktype,
            data,
        }))
    }

    /// What is known about the capture so far (complete once `next_frame` returned `None`).
    pub fn summary(&self) -> &CaptureSummary {
        &self.summary
    }

    /// Consumes the reader, returning its summary.
    pub fn into_summary(self) -> CaptureSummary {
        self.summary
    }

    /// Raw input bytes consumed so far (compressed bytes for gzip/zstd), for progress display.
    pub fn bytes_read(&self) -> u64 {
        self.raw_count.load(Ordering::Relaxed)
    }

    fn note_frame(&mut self, m: &FrameMeta) {
        let s = &mut self.summary;
        s.frames += 1;
        s.captured_bytes += u64::from(m.caplen);
        if s.first_ts.is_none() {
            s.first_ts = Some(m.ts);
        }
        s.last_ts = Some(m.ts);
        if self.last_linktype != Some(m.linktype) {
            self.last_linktype = Some(m.linktype);
            if !s.linktypes.contains(&m.linktype) {
                s.linktypes.push(m.linktype);
            }
        }
    }

    fn warn(&mut self, message: String) {
        let frame = Some(FrameNo(self.next_no));
        self.summary
            .warnings
            .push(CaptureWarning { frame, message });
    }

    /// Makes `n` bytes available at `start`. Returns false at end of input (a
    /// partial record is then reported as truncation) or after a read error.
    fn available(&mut self, n: usize) -> bool {
        match self.fill(n) {
            Ok(true) => true,
            Ok(false) => {
                if self.end > self.start {
                    self.summary.file_truncated = true;
                    let left = self.end - self.start;
                    self.warn(format!(
                        "the file ends inside a record: frame {} is cut off ({left} of {n} bytes present); \
                         the capture was probably stopped while writing",
                        self.next_no
                    ));
                }
                false
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    self.summary.file_truncated = true;
                }
                self.warn(format!("read error before frame {}: {e}", self.next_no));
                false
            }
        }
    }

    fn fill(&mut self, n: usize) -> io::Result<bool> {
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            let src = match &mut self.src {
                Source::Plain(src) => src,
                Source::Ahead(ahead) => {
                    match ahead.next_chunk()? {
                        Some((chunk, at)) => self.take_chunk(chunk, at),
                        None => self.eof = true,
                    }
                    continue;
                }
            };
            if self.start + n > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if n > self.buf.len() {
                    self.buf
                        .resize(n.next_power_of_two().min(MAX_RECORD_LEN + 64).max(n), 0);
                }
            }
            // `end <= buf.len()` always holds; an empty slice would read as end of input.
            match src.read(self.buf.get_mut(self.end..).unwrap_or_default()) {
                Ok(0) => self.eof = true,
                Ok(got) => self.end += got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Continues the buffer with a chunk read ahead (its bytes start at
    /// `at`). The unread bytes are put in front of the chunk's when they fit
    /// in the space left there, and the chunk becomes the buffer; otherwise
    /// (a record longer than the headroom) the chunk's bytes are appended.
    fn take_chunk(&mut self, mut chunk: Vec<u8>, at: usize) {
        let Source::Ahead(ahead) = &self.src else {
            return;
        };
        let unread = self.buf.get(self.start..self.end).unwrap_or_default();
        let front = at.checked_sub(unread.len());
        if let Some(dst) = front.filter(|_| at <= chunk.len())
            && let Some(room) = chunk.get_mut(dst..at)
        {
            room.copy_from_slice(unread);
            let old = std::mem::replace(&mut self.buf, chunk);
            self.start = dst;
            self.end = self.buf.len();
            ahead.give_back(old);
        } else {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.buf.truncate(self.end);
            self.buf
                .extend_from_slice(chunk.get(at..).unwrap_or_default());
            self.end = self.buf.len();
            ahead.give_back(chunk);
        }
    }

    fn record(&self, len: usize) -> &[u8] {
        self.buf.get(self.start..self.start + len).unwrap_or(&[])
    }

    fn length_ok(&mut self, len: u64, what: &str) -> bool {
        if len > MAX_RECORD_LEN as u64 {
            self.warn(format!(
                "frame {}: {what} length field says {len} bytes, above the {} MiB limit; \
                 the file is corrupt from here and the rest is not read",
                self.next_no,
                MAX_RECORD_LEN >> 20
            ));
            return false;
        }
        true
    }

    /// Like Wireshark, a legacy record longer than both the snapshot length and
    /// 256 KiB is taken as a corrupt length field rather than a real packet.
    fn plausible(&mut self, caplen: u32, snaplen: u32) -> bool {
        if caplen <= snaplen.max(NORMAL_MAX_PACKET) {
            return true;
        }
        self.warn(format!(
            "frame {}: record length field says {caplen} bytes, more than the snapshot length {snaplen}; \
             the file is corrupt from here and the rest is not read",
            self.next_no
        ));
        false
    }

    fn next_pcap_record(&mut self, l: PcapLayout) -> Option<FrameMeta> {
        let hl = l.record_header;
        if !self.available(hl) {
            return None;
        }
        let h = self.record(hl);
        let be = l.big_endian;
        let (secs, frac, caplen, origlen) = (
            u32_at(h, 0, be)?,
            u32_at(h, 4, be)?,
            u32_at(h, 8, be)?,
            u32_at(h, 12, be)?,
        );
        if !self.length_ok(u64::from(caplen), "record") || !self.plausible(caplen, l.snaplen) {
            return None;
        }
        if !self.available(hl + caplen as usize) {
            return None;
        }
        let nanos = if l.nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        Some(FrameMeta {
            ts: Timestamp::new(i64::from(secs), nanos),
            caplen,
            origlen,
            linktype: l.linktype,
            data_off: self.start + hl,
            record_len: hl + caplen as usize,
        })
    }

    fn next_pcapng_packet(&mut self) -> Option<FrameMeta> {
        loop {
            if !self.available(12) {
                return None;
            }
            let head: [u8; 12] = self.record(12).try_into().ok()?;
            let head = &head[..];
            let btype = u32_at(head, 0, false)?;
            if btype == SHB {
                match u32_at(head, 8, false)? {
                    BOM => self.set_section(false),
                    x if x.swap_bytes() == BOM => self.set_section(true),
                    x => {
                        self.warn(format!(
                            "section header with unknown byte-order mark {x:#010x}"
                        ));
                        return None;
                    }
                }
            }
            let be = self.big_endian();
            let btype = u32_at(head, 0, be)?;
            let blen = u32_at(head, 4, be)?;
            if !self.length_ok(u64::from(blen), "block") {
                return None;
            }
            let blen = blen as usize;
            if blen < 12 || !blen.is_multiple_of(4) {
                self.warn(format!(
                    "frame {}: invalid pcapng block length {blen}",
                    self.next_no
                ));
                return None;
            }
            if !self.available(blen) {
                return None;
            }
            let block = self.record(blen);
            if u32_at(block, blen - 4, be) != Some(blen as u32) {
                self.warn(format!(
                    "frame {}: pcapng block of type {btype:#x} has mismatched trailing length; \
                     the file is corrupt from here",
                    self.next_no
                ));
                return None;
            }
            match btype {
                EPB | OPB | SPB => return self.packet_block(btype, blen),
                IDB => self.interface_block(blen)?,
                DSB => self.secrets_block(blen)?,
                // Wireshark lists systemd journal entries as frames: keep the numbering equal.
                SJE => self.next_no += 1,
                _ => {}
            }
            self.start += blen;
        }
    }

    fn big_endian(&self) -> bool {
        matches!(
            self.layout,
            Layout::Pcapng {
                big_endian: true,
                ..
            }
        )
    }

    fn set_section(&mut self, be: bool) {
        self.layout = Layout::Pcapng {
            big_endian: be,
            interfaces: Vec::new(),
        };
    }

    fn interface_block(&mut self, blen: usize) -> Option<()> {
        let be = self.big_endian();
        let block = self.record(blen);
        let parsed = if be {
            pcap_parser::pcapng::parse_interfacedescriptionblock_be(block)
        } else {
            pcap_parser::pcapng::parse_interfacedescriptionblock_le(block)
        };
        let iface = match parsed {
            Ok((_, idb)) => idb.ts_resolution().map(|units_per_sec| Interface {
                linktype: LinkType((idb.linktype.0 as u32) & 0xFFFF),
                snaplen: idb.snaplen,
                units_per_sec,
                offset_secs: idb.if_tsoffset,
            }),
            Err(_) => None,
        };
        let Some(iface) = iface else {
            self.warn(format!(
                "frame {}: malformed interface description block",
                self.next_no
            ));
            return None;
        };
        if iface.units_per_sec > 1_000_000 {
            self.summary.ts_precision_digits = 9;
        }
        if let Layout::Pcapng { interfaces, .. } = &mut self.layout {
            interfaces.push(iface);
        }
        Some(())
    }

    fn secrets_block(&mut self, blen: usize) -> Option<()> {
        let be = self.big_endian();
        let block = self.record(blen);
        let parsed = if be {
            pcap_parser::pcapng::parse_block_be(block)
        } else {
            pcap_parser::pcapng::parse_block_le(block)
        };
        let secrets = match parsed {
            Ok((_, Block::DecryptionSecrets(d))) => {
                if d.secrets_type == SecretsType::TlsKeyLog {
                    d.data.get(..d.secrets_len as usize).map(<[u8]>::to_vec)
                } else {
                    Some(Vec::new())
                }
            }
            _ => None,
        };
        let Some(secrets) = secrets else {
            self.warn(format!(
                "frame {}: malformed decryption secrets block",
                self.next_no
            ));
            return None;
        };
        let keylog = &mut self.summary.keylog;
        if !secrets.is_empty() {
            if keylog.last().is_some_and(|b| *b != b'\n') {
                keylog.push(b'\n');
            }
            keylog.extend_from_slice(&secrets);
        }
        Some(())
    }

    fn packet_block(&mut self, btype: u32, blen: usize) -> Option<FrameMeta> {
        let be = self.big_endian();
        let block = self.record(blen);
        let parsed = match btype {
            SPB => u32_at(block, 8, be).map(|orig| (0u32, None, orig, orig, 12)),
            OPB => Some((
                u32::from(u16_at(block, 8, be)?),
                Some((u32_at(block, 12, be)?, u32_at(block, 16, be)?)),
                u32_at(block, 20, be)?,
                u32_at(block, 24, be)?,
                28,
            )),
            _ => Some((
                u32_at(block, 8, be)?,
                Some((u32_at(block, 12, be)?, u32_at(block, 16, be)?)),
                u32_at(block, 20, be)?,
                u32_at(block, 24, be)?,
                28,
            )),
        };
        let (if_id, ts, caplen, origlen, data_at) = parsed?;
        let iface = match &self.layout {
            Layout::Pcapng { interfaces, .. } => interfaces.get(if_id as usize).copied(),
            Layout::Pcap(_) => None,
        };
        let Some(iface) = iface else {
            self.warn(format!(
                "frame {}: packet block names interface {if_id}, which was not described",
                self.next_no
            ));
            return None;
        };
        let room = blen.saturating_sub(data_at + 4);
        let caplen = if btype == SPB {
            let snap = if iface.snaplen == 0 {
                u32::MAX
            } else {
                iface.snaplen
            };
            caplen
                .min(snap)
                .min(u32::try_from(room).unwrap_or(u32::MAX))
        } else {
            caplen
        };
        if caplen as usize > room {
            self.warn(format!(
                "frame {}: packet block claims {caplen} captured bytes but holds only {room}",
                self.next_no
            ));
            return None;
        }
        let ts = match ts {
            Some((hi, lo)) => ng_timestamp((u64::from(hi) << 32) | u64::from(lo), &iface),
            None => self.prev_ts,
        };
        Some(FrameMeta {
            ts,
            caplen,
            origlen,
            linktype: iface.linktype,
            data_off: self.start + data_at,
            record_len: blen,
        })
    }
}

/// Reads from `src` into `buf` until it holds `n` bytes or the input ends.
pub(crate) fn prefill(src: &mut dyn Read, buf: &mut [u8], n: usize) -> io::Result<(usize, bool)> {
    let mut end = 0;
    while end < n.min(buf.len()) {
        match src.read(buf.get_mut(end..).unwrap_or_default()) {
            Ok(0) => return Ok((end, true)),
            Ok(got) => end += got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((end, false))
}

pub(crate) const INITIAL_CAPACITY: usize = BUF_CAPACITY;

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(units_per_sec: u64, offset_secs: i64) -> Interface {
        Interface {
            linktype: LinkType(1),
            snaplen: 0,
            units_per_sec,
            offset_secs,
        }
    }

    #[test]
    fn pcapng_timestamps_honour_resolution_and_offset() {
        assert_eq!(
            ng_timestamp(1_500_000, &iface(1_000_000, 0)),
            Timestamp::new(1, 500_000_000)
        );
        assert_eq!(
            ng_timestamp(3 * 1024 + 256, &iface(1024, 0)),
            Timestamp::new(3, 250_000_000),
            "if_tsresol 0x8A: 2^-10 s"
        );
        assert_eq!(
            ng_timestamp(7, &iface(1_000_000_000, 1_700_000_000)),
            Timestamp::new(1_700_000_000, 7),
            "if_tsoffset"
        );
        assert_eq!(
            ng_timestamp(u64::MAX, &iface(0, i64::MAX)).secs,
            i64::MAX,
            "no overflow on hostile values"
        );
    }

    #[test]
    fn field_readers_are_bounds_checked() {
        assert_eq!(u32_at(&[1, 0, 0, 0], 0, false), Some(1));
        assert_eq!(u32_at(&[0, 0, 0, 1], 0, true), Some(1));
        assert_eq!(u32_at(&[1, 2, 3], 0, false), None);
        assert_eq!(u32_at(&[1, 2, 3, 4], usize::MAX, false), None);
        assert_eq!(u16_at(&[1], 0, false), None);
    }
}
