//! TEST-ONLY helper: turns a pcap file into per-connection, per-direction TCP
//! byte chunks (ordered by sequence number) so TLS decoding can be tested on
//! real captures before the capture/packet/tcp stages exist. It is naive on
//! purpose (no retransmission conflicts, no wraparound policy) and must not be
//! used by the library.
#![allow(dead_code)]

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::data::{PacketData, get_packetdata};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use tlsdiag::tcp::Interest;
use tlsdiag::tls::{TlsConnDecoder, TlsLimits, TlsSession};
use tlsdiag::types::{Dir, FrameNo, Timestamp};

/// One in-order piece of a direction's stream.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub dir: Dir,
    pub offset: u64,
    pub data: Vec<u8>,
    pub frame: FrameNo,
    pub ts: Timestamp,
}

/// A connection's chunks in capture order, and its gaps.
#[derive(Debug, Clone, Default)]
pub struct Conn {
    pub client: Option<SocketAddr>,
    pub chunks: Vec<Chunk>,
    pub gaps: Vec<(Dir, u64, u64)>,
}

impl Conn {
    /// The concatenated bytes of one direction (gaps not bridged: stops at the first).
    pub fn stream(&self, dir: Dir) -> Vec<u8> {
        let mut out = Vec::new();
        for c in self.chunks.iter().filter(|c| c.dir == dir) {
            if c.offset as usize != out.len() {
                break;
            }
            out.extend_from_slice(&c.data);
        }
        out
    }
}

/// Path of a corpus file, or None (test should skip) when the corpus is absent.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("corpus file {rel} absent; skipping");
        None
    }
}

struct Seg {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    ack: bool,
    payload: Vec<u8>,
    frame: FrameNo,
    ts: Timestamp,
}

fn segments(path: &PathBuf) -> Vec<Seg> {
    let bytes = std::fs::read(path).expect("read pcap");
    let cap = pcap_parser::PcapCapture::from_file(&bytes).expect("legacy pcap");
    let mut out = Vec::new();
    for (i, b) in cap.blocks.iter().enumerate() {
        let Some(pd) = get_packetdata(b.data, cap.header.network, b.caplen as usize) else {
            continue;
        };
        let sliced = match pd {
            PacketData::L2(d) => SlicedPacket::from_ethernet(d),
            PacketData::L3(et, d) => SlicedPacket::from_ether_type(EtherType(et), d),
            _ => continue,
        };
        let Ok(p) = sliced else { continue };
        let (s, d): (IpAddr, IpAddr) = match &p.net {
            Some(NetSlice::Ipv4(v4)) => (
                v4.header().source_addr().into(),
                v4.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(v6)) => (
                v6.header().source_addr().into(),
                v6.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let Some(TransportSlice::Tcp(t)) = &p.transport else {
            continue;
        };
        out.push(Seg {
            src: SocketAddr::new(s, t.source_port()),
            dst: SocketAddr::new(d, t.destination_port()),
            seq: t.sequence_number(),
            syn: t.syn(),
            ack: t.ack(),
            payload: t.payload().to_vec(),
            frame: FrameNo(i as u64 + 1),
            ts: Timestamp::new(i64::from(b.ts_sec), b.ts_usec * 1000),
        });
    }
    out
}

/// Splits a pcap into connections (by unordered 4-tuple, first-seen order).
pub fn connections(path: &PathBuf) -> Vec<Conn> {
    let segs = segments(path);
    let mut order: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut by_key: HashMap<(SocketAddr, SocketAddr), Vec<&Seg>> = HashMap::new();
    for s in &segs {
        let key = if s.src < s.dst {
            (s.src, s.dst)
        } else {
            (s.dst, s.src)
        };
        if !by_key.contains_key(&key) {
            order.push(key);
        }
        by_key.entry(key).or_default().push(s);
    }
    order
        .iter()
        .filter_map(|k| by_key.get(k))
        .map(|v| build(v))
        .collect()
}

fn build(segs: &[&Seg]) -> Conn {
    let client = segs
        .iter()
        .find(|s| s.syn && !s.ack)
        .map(|s| s.src)
        .or_else(|| segs.iter().find(|s| s.syn).map(|s| s.dst))
        .or_else(|| segs.first().map(|s| s.src));
    let mut conn = Conn {
        client,
        ..Conn::default()
    };
    let mut per_dir: Vec<(FrameNo, Chunk)> = Vec::new();
    for dir in [Dir::ToServer, Dir::ToClient] {
        let mine: Vec<&&Seg> = segs
            .iter()
            .filter(|s| (Some(s.src) == client) == (dir == Dir::ToServer))
            .collect();
        let isn = mine
            .iter()
            .find(|s| s.syn)
            .map(|s| s.seq.wrapping_add(1))
            .or_else(|| {
                mine.iter()
                    .filter(|s| !s.payload.is_empty())
                    .map(|s| s.seq)
                    .min_by_key(|&q| q)
            });
        let Some(isn) = isn else { continue };
        let mut pieces: Vec<(u64, &Seg)> = mine
            .iter()
            .filter(|s| !s.payload.is_empty())
            .map(|s| {
                (
                    if s.syn {
                        0
                    } else {
                        u64::from(s.seq.wrapping_sub(isn))
                    },
                    **s,
                )
            })
            .collect();
        pieces.sort_by_key(|p| (p.0, p.1.frame));
        let mut next = 0u64;
        // A chunk is delivered when every byte before it has arrived.
        let mut deliver_at = FrameNo(0);
        for (off, s) in pieces {
            deliver_at = deliver_at.max(s.frame);
            let end = off + s.payload.len() as u64;
            if end <= next {
                continue;
            }
            if off > next {
                conn.gaps.push((dir, next, off - next));
            }
            let skip = next.saturating_sub(off) as usize;
            per_dir.push((
                deliver_at,
                Chunk {
                    dir,
                    offset: off.max(next),
                    data: s.payload[skip..].to_vec(),
                    frame: s.frame,
                    ts: s.ts,
                },
            ));
            next = end;
        }
    }
    per_dir.sort_by_key(|c| c.0);
    conn.chunks = per_dir.into_iter().map(|c| c.1).collect();
    conn
}

/// Feeds a connection's chunks (and gaps) to a fresh decoder.
pub fn decode(conn: &Conn, limits: TlsLimits) -> TlsSession {
    let mut d = TlsConnDecoder::new(limits);
    let mut stopped = [false, false];
    for c in &conn.chunks {
        if let Some(&(dir, off, len)) = conn
            .gaps
            .iter()
            .find(|g| g.0 == c.dir && g.1 + g.2 == c.offset)
        {
            d.on_gap(dir, off, len);
        }
        if stopped[c.dir.index()] {
            continue;
        }
        if d.on_data(c.dir, c.offset, &c.data, c.frame, c.ts) == Interest::CountOnly {
            stopped[c.dir.index()] = true;
        }
    }
    d.finish()
}

/// All TLS sessions of a capture, in connection order.
pub fn sessions(path: &PathBuf) -> Vec<TlsSession> {
    connections(path)
        .iter()
        .map(|c| decode(c, TlsLimits::default()))
        .collect()
}
