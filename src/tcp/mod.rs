//! TCP: a connection table keyed by 4-tuple, and per-direction reassembly.
//!
//! Segments go in (in capture order); ordered byte ranges and events come
//! out through a [`StreamSink`]. Gaps are reported, never bridged silently.
//! Memory is bounded: per-direction out-of-order buffer cap, connections-in-
//! flight cap with eviction of the idle ones (reported).
//!
//! [`ConnTable`] is the entry point. The rules it applies (roles, port reuse,
//! lazy closing, eviction) are listed in `table.rs`; how bytes, overlaps and
//! gaps are handled per direction is in `reassembly.rs`.

use crate::types::{ConnId, Dir, FrameNo, Timestamp};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

mod reassembly;
mod table;

pub use reassembly::{CONFLICT_WINDOW, MAX_RECORDS};
pub use table::{ConnTable, LINGER_SECS, REUSE_AFTER_SECS, TLS_PORTS};

/// What the consumer wants next from one direction of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Keep delivering bytes.
    Bytes,
    /// Stop delivering payload bytes; only count them (handshake over).
    CountOnly,
}

/// How the client/server roles were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleBasis {
    /// The client sent the SYN.
    Syn,
    /// Only a SYN-ACK was seen; its receiver is the client.
    SynAck,
    /// No SYN seen: the lower port (or the well-known one) is taken as the server;
    /// the TLS layer may swap roles when it sees who sent the ClientHello.
    PortGuess,
}

/// How the connection ended in the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TcpEnd {
    /// A FIN was seen (first one).
    Fin {
        by: crate::types::Side,
        frame: FrameNo,
    },
    /// A RST was seen (first one).
    Rst {
        by: crate::types::Side,
        frame: FrameNo,
    },
    /// Still open when the capture ended.
    Open,
    /// Dropped from the table by the connections-in-flight cap.
    Evicted { frame: FrameNo },
}

/// A range of sequence space that never arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Gap {
    pub dir: Dir,
    /// Stream offset (bytes from the first byte after the ISN) where it starts.
    pub offset: u64,
    pub len: u64,
    /// The frame whose data came after the gap.
    pub frame_after: FrameNo,
}

/// A retransmitted or overlapping segment whose bytes differ from the first copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conflict {
    pub dir: Dir,
    pub offset: u64,
    pub len: u64,
    /// The frame that carried the first copy (kept).
    pub first_frame: FrameNo,
    /// The frame with the differing copy (discarded).
    pub frame: FrameNo,
}

/// Per-direction counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DirStats {
    pub packets: u64,
    /// Frame bytes on the wire (headers included), as `tshark -z conv,tcp` counts them.
    pub wire_bytes: u64,
    /// Payload bytes on the wire in this direction (each byte once, retransmissions excluded).
    pub bytes: u64,
    pub retransmissions: u64,
    pub out_of_order: u64,
    /// Segments cut by snaplen.
    pub truncated_segments: u64,
    pub zero_windows: u64,
}

/// The TCP-level summary of one connection, final once the connection closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TcpConnection {
    pub id: ConnId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub role_basis: RoleBasis,
    pub first_frame: FrameNo,
    pub last_frame: FrameNo,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub syn_frame: Option<FrameNo>,
    pub synack_frame: Option<FrameNo>,
    /// The client's SYN was answered by a RST (nothing listening).
    pub refused: bool,
    /// The SYN carried data (TCP Fast Open).
    pub syn_data: bool,
    /// No SYN seen: the capture started mid-connection.
    pub mid_stream: bool,
    /// Only one direction appeared in the capture.
    pub one_sided: Option<Dir>,
    pub to_server: DirStats,
    pub to_client: DirStats,
    pub end: TcpEnd,
    pub gaps: Vec<Gap>,
    pub conflicts: Vec<Conflict>,
    /// Out-of-order bytes dropped because the per-direction buffer cap was hit.
    /// The reassembler currently never drops: over the cap it declares the
    /// oldest hole a gap and delivers the buffered bytes after it (which loses
    /// less), so this stays 0. Kept so a dropping policy can report itself.
    pub ooo_bytes_dropped: u64,
}

/// Receives what reassembly produces. All calls for one connection happen
/// between its `on_open` and its `on_close`.
pub trait StreamSink {
    /// A new connection (also a new one on a reused 4-tuple after close).
    fn on_open(&mut self, id: ConnId, client: SocketAddr, server: SocketAddr, basis: RoleBasis);
    /// In-order bytes of one direction, starting at stream `offset`, all from `frame`.
    fn on_data(
        &mut self,
        id: ConnId,
        dir: Dir,
        offset: u64,
        data: &[u8],
        frame: FrameNo,
        ts: Timestamp,
    ) -> Interest;
    /// Bytes at `offset..offset+len` in `dir` are missing; delivery resumes after them.
    fn on_gap(&mut self, id: ConnId, gap: &Gap);
    /// No more bytes will come in either direction (FIN both ways with
    /// everything before them delivered, or a RST with nothing left
    /// buffered). The connection stays open a little longer for late
    /// segments, but a sink can release its per-stream state now.
    fn on_finished(&mut self, _id: ConnId) {}
    /// The connection ended or the capture ended; this is the last call for `id`.
    fn on_close(&mut self, conn: TcpConnection);
}

/// Limits that keep memory bounded (documented defaults).
#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    /// Connections tracked at once; the least recently active is evicted beyond it.
    pub max_connections: usize,
    /// Out-of-order bytes buffered per direction.
    pub max_ooo_bytes: usize,
    /// Connections opened by a SYN that the server has not answered yet,
    /// tracked at once; the oldest is evicted beyond it. Within
    /// `max_connections`: a SYN flood fills this, not the whole table.
    pub max_half_open: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: 100_000,
            max_ooo_bytes: 256 * 1024,
            max_half_open: 10_000,
        }
    }
}

/// Counters of the whole table (all connections).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TcpStats {
    /// Segments processed.
    pub segments: u64,
    /// Connections created (`on_open` calls).
    pub connections_opened: u64,
    /// Connections closed (`on_close` calls), for any reason.
    pub connections_closed: u64,
    /// Connections closed by the connections-in-flight cap (either of them).
    pub evicted: u64,
    /// Of those, connections the server had not answered, closed by the
    /// half-open cap.
    pub half_open_evicted: u64,
    /// Connections closed because a new SYN reused their 4-tuple.
    pub reused: u64,
    /// Connections in the table now.
    pub open: usize,
    /// Most connections ever in the table at once (never above the cap).
    pub peak_open: usize,
    /// Segments that arrived after their connection was closed with both
    /// FINs acknowledged (retransmissions), recognised and dropped.
    pub late_segments: u64,
}
