//! `--merge`: several capture files (the pieces `tcpdump -C`/`-G` rotates into)
//! read as one capture, frames ordered by timestamp across files.
//!
//! Each file keeps one frame copied aside; a k-way merge hands out the earliest.
//! Within one file the file's own order is kept even where its timestamps go
//! backwards, and equal timestamps come from the file listed first.
//! **Frame numbers are renumbered 1, 2, … over the merged stream**, so they
//! match Wireshark only for the merged file (`mergecap -w out.pcapng a b c`),
//! not the individual pieces; warnings name the piece and its own frame number.

use super::{CaptureError, CaptureReader, CaptureSummary, CaptureWarning, Frame, LinkType};
use crate::types::{FrameNo, Timestamp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A frame copied out of its reader's buffer.
#[derive(Debug, Default)]
struct HeldFrame {
    ts: Timestamp,
    caplen: u32,
    origlen: u32,
    linktype: Option<LinkType>,
    data: Vec<u8>,
}

/// Reads several captures as one timestamp-ordered stream (see the module docs).
pub struct MergedReader {
    readers: Vec<CaptureReader>,
    held: Vec<HeldFrame>,
    heap: BinaryHeap<Reverse<(Timestamp, usize)>>,
    current: HeldFrame,
    next_no: u64,
}

impl MergedReader {
    /// Opens every path (see [`super::open`]); fails if any cannot be opened.
    pub fn open(paths: &[&str]) -> Result<MergedReader, CaptureError> {
        let readers = paths
            .iter()
            .map(|p| super::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        MergedReader::new(readers)
    }

    /// Merges readers that are already open, in the given order.
    pub fn new(readers: Vec<CaptureReader>) -> Result<MergedReader, CaptureError> {
        let mut m = MergedReader {
            held: readers.iter().map(|_| HeldFrame::default()).collect(),
            readers,
            heap: BinaryHeap::new(),
            current: HeldFrame::default(),
            next_no: 1,
        };
        for i in 0..m.readers.len() {
            m.advance(i)?;
        }
        Ok(m)
    }

    /// Copies reader `i`'s next frame aside and queues it.
    fn advance(&mut self, i: usize) -> Result<(), CaptureError> {
        let (Some(reader), Some(slot)) = (self.readers.get_mut(i), self.held.get_mut(i)) else {
            return Ok(());
        };
        if let Some(f) = reader.next_frame()? {
            slot.ts = f.ts;
            slot.caplen = f.caplen;
            slot.origlen = f.origlen;
            slot.linktype = Some(f.linktype);
            slot.data.clear();
            slot.data.extend_from_slice(f.data);
            self.heap.push(Reverse((f.ts, i)));
        }
        Ok(())
    }

    /// Returns the earliest pending frame of all files, numbered over the merged stream.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let Some(Reverse((_, i))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(slot) = self.held.get_mut(i) {
            std::mem::swap(&mut self.current, slot);
        }
        self.advance(i)?;
        let no = FrameNo(self.next_no);
        self.next_no += 1;
        let c = &self.current;
        Ok(Some(Frame {
            no,
            ts: c.ts,
            caplen: c.caplen,
            origlen: c.origlen,
            linktype: c.linktype.unwrap_or(LinkType(0)),
            data: &c.data,
        }))
    }

    /// Summaries of the individual files, in the order given.
    pub fn file_summaries(&self) -> Vec<&CaptureSummary> {
        self.readers.iter().map(CaptureReader::summary).collect()
    }

    /// Raw input bytes consumed over all files.
    pub fn bytes_read(&self) -> u64 {
        self.readers.iter().map(CaptureReader::bytes_read).sum()
    }

    /// One summary for the merged stream: counts summed, time range widened,
    /// link types and key logs combined, warnings prefixed with the file name.
    pub fn into_summary(self) -> CaptureSummary {
        let mut parts = self.readers.into_iter().map(CaptureReader::into_summary);
        let Some(mut all) = parts.next() else {
            return empty_summary();
        };
        prefix_warnings(&mut all.warnings, &all.name.clone());
        for s in parts {
            all.name = format!("{}, {}", all.name, s.name);
            all.ts_precision_digits = all.ts_precision_digits.max(s.ts_precision_digits);
            for lt in s.linktypes {
                if !all.linktypes.contains(&lt) {
                    all.linktypes.push(lt);
                }
            }
            all.frames += s.frames;
            all.captured_bytes += s.captured_bytes;
            all.first_ts = min_opt(all.first_ts, s.first_ts);
            all.last_ts = all.last_ts.max(s.last_ts);
            all.file_truncated |= s.file_truncated;
            let mut w = s.warnings;
            prefix_warnings(&mut w, &s.name);
            all.warnings.extend(w);
            all.keylog.extend_from_slice(&s.keylog);
        }
        all
    }
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Warning frame numbers refer to the piece, not the merged stream: move them into the text.
fn prefix_warnings(warnings: &mut [CaptureWarning], name: &str) {
    for w in warnings {
        w.message = match w.frame.take() {
            Some(f) => format!("{name} (its own frame {f}): {}", w.message),
            None => format!("{name}: {}", w.message),
        };
    }
}

fn empty_summary() -> CaptureSummary {
    CaptureSummary {
        name: String::new(),
        format: super::Format::Pcap,
        compression: super::Compression::None,
        ts_precision_digits: 6,
        linktypes: Vec::new(),
        frames: 0,
        captured_bytes: 0,
        first_ts: None,
        last_ts: None,
        file_truncated: false,
        warnings: Vec::new(),
        keylog: Vec::new(),
    }
}
