//! Capture reading: pcap / pcapng files (plain, gzip, zstd; or stdin) → raw frames.
//!
//! This stage knows nothing of protocols. It yields each frame with its
//! 1-based number (as Wireshark counts), timestamp, captured and original
//! length and link type, and collects pcapng Decryption Secrets.
//!
//! CONTRACT (other stages rely on it):
//! - `open(path)` opens a file or `-` (stdin), detects gzip/zstd by magic bytes.
//! - `CaptureReader::next_frame()` returns `Ok(Some(frame))` per frame,
//!   `Ok(None)` at the end. A file cut mid-record ends with `Ok(None)` and
//!   `summary().file_truncated = true` plus a warning naming the frame; it never loops.
//! - Corruption after at least the header is a warning in the summary, not an error;
//!   only an unreadable/unknown header is `Err`.

use crate::types::{FrameNo, Timestamp};
use serde::Serialize;

/// A link-layer header type (LINKTYPE_* value as stored in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LinkType(pub u32);

/// One frame as read from the file.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub no: FrameNo,
    pub ts: Timestamp,
    /// Bytes present in the file.
    pub caplen: u32,
    /// Bytes on the wire (greater than `caplen` when cut by snaplen).
    pub origlen: u32,
    pub linktype: LinkType,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap,
    Pcapng,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// A non-fatal problem met while reading the file.
#[derive(Debug, Clone, Serialize)]
pub struct CaptureWarning {
    /// The frame at or after which the problem occurred, if known.
    pub frame: Option<FrameNo>,
    pub message: String,
}

/// What is known about the file once read (filled in as reading proceeds).
#[derive(Debug, Clone, Serialize)]
pub struct CaptureSummary {
    /// The name given on the command line (`-` for stdin).
    pub name: String,
    pub format: Format,
    pub compression: Compression,
    /// 6 for microseconds, 9 for nanoseconds (the finest seen).
    pub ts_precision_digits: u8,
    /// Distinct link types in order of first appearance.
    pub linktypes: Vec<LinkType>,
    pub frames: u64,
    /// Sum of captured frame lengths.
    pub captured_bytes: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// The file ended inside a record (e.g. tcpdump killed mid-write).
    pub file_truncated: bool,
    pub warnings: Vec<CaptureWarning>,
    /// NSS key log text from pcapng Decryption Secrets Blocks (padding removed).
    #[serde(skip)]
    pub keylog: Vec<u8>,
}

/// A fatal error: the input cannot be read as a capture at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{name}: cannot open: {source}")]
    Open { name: String, source: std::io::Error },
    #[error("{name}: not a pcap or pcapng file (first bytes {magic})")]
    UnknownFormat { name: String, magic: String },
    #[error("{name}: {message}")]
    Read { name: String, message: String },
}
