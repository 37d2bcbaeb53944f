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
    /// Length of the whole frame on the wire (`frame.len`), for per-direction byte counts.
    pub frame_len: u32,
}

mod frag;
mod link;
mod tunnel;

pub use frag::FragLimits;

use crate::capture::{Frame, LinkType};
use etherparse::{LaxNetSlice, LaxSlicedPacket, TcpSlice};
use serde::Serialize;
use std::net::IpAddr;

/// Deepest tunnel nesting decapsulated (VXLAN in GRE in …); deeper is an error.
pub const MAX_TUNNEL_DEPTH: u8 = 4;

/// A frame that could not be decoded although it looked like IP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketError {
    pub frame: FrameNo,
    pub message: String,
}

/// The result of decoding one frame.
#[derive(Debug, Clone)]
pub enum Decoded<'a> {
    /// A TCP segment (possibly from inside a tunnel or a reassembled datagram).
    Tcp(Segment<'a>),
    /// Not TCP, or an IPv4 fragment held for reassembly.
    Other,
    /// Malformed link/IP/TCP header.
    Error(PacketError),
}

/// Tunnels decapsulated, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TunnelCounts {
    pub vxlan: u64,
    pub geneve: u64,
    pub gre: u64,
    pub erspan: u64,
}

/// Counters over all frames decoded so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PacketStats {
    pub frames: u64,
    pub tcp: u64,
    pub other: u64,
    pub errors: u64,
    /// TCP segments whose payload was cut by snaplen.
    pub truncated_segments: u64,
    /// Distinct link types this decoder does not understand, in order of appearance.
    pub unsupported_linktypes: Vec<LinkType>,
    /// IPv4 datagrams rebuilt from fragments.
    pub fragments_reassembled: u64,
    /// Fragments thrown away (limits, timeout, bad offsets, IPv6 fragments).
    pub fragments_dropped: u64,
    pub tunnels: TunnelCounts,
}

/// Where a packet came from, carried down through the layers.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    frame: FrameNo,
    ts: Timestamp,
    frame_len: u32,
    depth: u8,
}

impl Ctx {
    fn error<'a>(&self, message: String) -> Decoded<'a> {
        Decoded::Error(PacketError {
            frame: self.frame,
            message,
        })
    }
}

/// Decodes frames into TCP segments; holds only the bounded IPv4 fragment pool.
#[derive(Debug)]
pub struct PacketDecoder {
    frags: frag::FragPool,
    stats: PacketStats,
}

impl PacketDecoder {
    pub fn new(limits: FragLimits) -> Self {
        PacketDecoder {
            frags: frag::FragPool::new(limits),
            stats: PacketStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &PacketStats {
        &self.stats
    }

    /// Decodes one frame. Never panics; malformed input gives [`Decoded::Error`].
    pub fn decode<'a>(&mut self, frame: &Frame<'a>) -> Decoded<'a> {
        let ctx = Ctx {
            frame: frame.no,
            ts: frame.ts,
            frame_len: frame.origlen,
            depth: 0,
        };
        let out = match link::slice(frame.linktype, frame.data) {
            link::Link::Sliced(p) => self.sliced(ctx, p),
            link::Link::Ip(ip) => self.net(ctx, ip.into()),
            link::Link::NotIp => Decoded::Other,
            link::Link::Unsupported => {
                if !self.stats.unsupported_linktypes.contains(&frame.linktype) {
                    self.stats.unsupported_linktypes.push(frame.linktype);
                }
                Decoded::Other
            }
            link::Link::Malformed(m) => ctx.error(m),
        };
        self.stats.frames += 1;
        match &out {
            Decoded::Tcp(s) => {
                self.stats.tcp += 1;
                if s.payload_missing > 0 {
                    self.stats.truncated_segments += 1;
                }
            }
            Decoded::Other => self.stats.other += 1,
            Decoded::Error(_) => self.stats.errors += 1,
        }
        out
    }

    /// Handles a packet sliced up to the network layer.
    fn sliced<'b>(&mut self, ctx: Ctx, p: LaxSlicedPacket<'b>) -> Decoded<'b> {
        match p.net {
            Some(net) => self.net(ctx, net),
            None => match p.stop_err {
                Some((e, layer)) => ctx.error(format!("{layer:?}: {e}")),
                None => Decoded::Other,
            },
        }
    }

    /// Handles a packet from its network layer on.
    fn net<'b>(&mut self, ctx: Ctx, net: LaxNetSlice<'b>) -> Decoded<'b> {
        let net = match net {
            LaxNetSlice::Ipv4(v4) => v4,
            LaxNetSlice::Ipv6(v6) => return self.ipv6(ctx, &v6),
            LaxNetSlice::Arp(_) => return Decoded::Other,
        };
        let h = net.header();
        let (src, dst) = (
            IpAddr::V4(h.source_addr()),
            IpAddr::V4(h.destination_addr()),
        );
        let payload = net.payload();
        if payload.fragmented {
            let key = frag::FragKey {
                src: h.source_addr(),
                dst: h.destination_addr(),
                id: h.identification(),
                proto: payload.ip_number.0,
            };
            let offset = u32::from(h.fragments_offset().value()) * 8;
            let done = self.frags.insert(
                key,
                offset,
                h.more_fragments(),
                payload.payload,
                ctx.ts,
                &mut self.stats,
            );
            return match done {
                Some(datagram) => {
                    let out = self.ip_payload(ctx, src, dst, payload.ip_number.0, &datagram, 0);
                    into_owned(out)
                }
                None => Decoded::Other,
            };
        }
        let captured = h.slice().len()
            + net.extensions().auth.map_or(0, |a| a.slice().len())
            + payload.payload.len();
        let missing = if payload.incomplete {
            usize::from(h.total_len()).saturating_sub(captured)
        } else {
            0
        };
        self.ip_payload(ctx, src, dst, payload.ip_number.0, payload.payload, missing)
    }

    fn ipv6<'b>(&mut self, ctx: Ctx, v6: &etherparse::LaxIpv6Slice<'b>) -> Decoded<'b> {
        let h = v6.header();
        let (src, dst) = (
            IpAddr::V6(h.source_addr()),
            IpAddr::V6(h.destination_addr()),
        );
        let payload = v6.payload();
        if payload.fragmented {
            self.stats.fragments_dropped += 1;
            return Decoded::Other;
        }
        let captured = v6.extensions().slice().len() + payload.payload.len();
        let missing = if payload.incomplete {
            usize::from(h.payload_length()).saturating_sub(captured)
        } else {
            0
        };
        self.ip_payload(ctx, src, dst, payload.ip_number.0, payload.payload, missing)
    }

    /// Dispatches an IP payload: TCP, or a tunnel to unwrap.
    fn ip_payload<'b>(
        &mut self,
        ctx: Ctx,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        data: &'b [u8],
        missing: usize,
    ) -> Decoded<'b> {
        match proto {
            6 => tcp_segment(ctx, src, dst, data, missing),
            17 => self.udp(ctx, data),
            47 => self.gre(ctx, data),
            _ => Decoded::Other,
        }
    }

    /// Decodes an inner packet found inside a tunnel.
    fn inner<'b>(&mut self, ctx: Ctx, inner: tunnel::Inner<'b>) -> Decoded<'b> {
        if ctx.depth >= MAX_TUNNEL_DEPTH {
            return ctx.error(format!("tunnels nested deeper than {MAX_TUNNEL_DEPTH}"));
        }
        let ctx = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        match inner {
            tunnel::Inner::Ethernet(d) => match LaxSlicedPacket::from_ethernet(d) {
                Ok(p) => self.sliced(ctx, p),
                Err(e) => ctx.error(format!("inner Ethernet header: {e}")),
            },
            tunnel::Inner::EtherType(t, d) => self.sliced(
                ctx,
                LaxSlicedPacket::from_ether_type(etherparse::EtherType(t), d),
            ),
        }
    }

    fn udp<'b>(&mut self, ctx: Ctx, data: &'b [u8]) -> Decoded<'b> {
        let Ok(udp) = etherparse::UdpSlice::from_slice_lax(data) else {
            return Decoded::Other;
        };
        match tunnel::udp(udp.destination_port(), udp.payload()) {
            Some((kind, inner)) => {
                self.count_tunnel(kind);
                self.inner(ctx, inner)
            }
            None => Decoded::Other,
        }
    }

    fn gre<'b>(&mut self, ctx: Ctx, data: &'b [u8]) -> Decoded<'b> {
        match tunnel::gre(data) {
            Some((kind, inner)) => {
                self.count_tunnel(kind);
                self.inner(ctx, inner)
            }
            None => Decoded::Other,
        }
    }

    fn count_tunnel(&mut self, kind: tunnel::Kind) {
        let t = &mut self.stats.tunnels;
        match kind {
            tunnel::Kind::Vxlan => t.vxlan += 1,
            tunnel::Kind::Geneve => t.geneve += 1,
            tunnel::Kind::Gre => t.gre += 1,
            tunnel::Kind::Erspan => t.erspan += 1,
        }
    }
}

/// Builds the segment from a TCP header and what follows it.
fn tcp_segment<'b>(
    ctx: Ctx,
    src: IpAddr,
    dst: IpAddr,
    data: &'b [u8],
    missing: usize,
) -> Decoded<'b> {
    let tcp = match TcpSlice::from_slice(data) {
        Ok(t) => t,
        Err(e) => return ctx.error(format!("TCP header: {e}")),
    };
    Decoded::Tcp(Segment {
        frame: ctx.frame,
        ts: ctx.ts,
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags {
            syn: tcp.syn(),
            ack: tcp.ack(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            psh: tcp.psh(),
        },
        window: tcp.window_size(),
        payload: Cow::Borrowed(tcp.payload()),
        payload_missing: u32::try_from(missing).unwrap_or(u32::MAX),
        frame_len: ctx.frame_len,
    })
}

/// Detaches a result decoded from a temporary buffer (a reassembled datagram).
fn into_owned(d: Decoded<'_>) -> Decoded<'static> {
    match d {
        Decoded::Tcp(s) => Decoded::Tcp(Segment {
            payload: Cow::Owned(s.payload.into_owned()),
            ..s
        }),
        Decoded::Other => Decoded::Other,
        Decoded::Error(e) => Decoded::Error(e),
    }
}
