//! Packet decoding: a raw frame → a TCP segment view (or nothing).
//!
//! Link layers (Ethernet, VLAN/QinQ, Linux SLL/SLL2, raw IP, BSD null/loop),
//! IPv4/IPv6 with extension headers, IPv4 fragment reassembly (bounded),
//! tunnels used by cloud packet mirrors (VXLAN, GENEVE, GRE, ERSPAN).
//! Keeps no state across connections except the bounded fragment pool.

use crate::types::{FrameNo, Timestamp};
use std::borrow::Cow;
use std::net::SocketAddr;

/// TCP flags of one segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

/// A TCP segment ready for reassembly.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// The payload bytes present in the capture.
    pub payload: Cow<'a, [u8]>,
    /// Payload bytes that were on the wire but cut by snaplen (0 if complete).
    pub payload_missing: u32,
}
