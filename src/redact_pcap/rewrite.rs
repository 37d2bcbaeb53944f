//! Rewrites one frame: client addresses replaced in the IPv4/IPv6 header,
//! checksums fixed, and TCP payload beyond the kept prefix of each direction
//! cut (the frame then ends after the TCP header, as a snaplen cut looks).
//!
//! What is kept of a frame:
//! - TCP over IPv4/IPv6 (not a fragment): headers always; the payload when
//!   the segment starts within the first `keep_payload` bytes of its
//!   direction's stream (offset from the SYN, or from the first segment seen).
//! - Other IP packets (UDP, ICMP, fragments, tunnels): up to the end of the
//!   IP header only (their payload may carry inner addresses or names).
//! - Frames that are not IP (ARP, unknown link types): nothing.

use crate::capture::LinkType;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Flow table entries kept before the table is reset (hostile input bound).
const MAX_FLOWS: usize = 1 << 20;
/// IPv6 extension headers walked before giving up.
const MAX_EXT_HEADERS: usize = 8;

/// Per-capture rewriting state.
pub(crate) struct Rewriter<'m> {
    map: &'m HashMap<IpAddr, IpAddr>,
    keep_payload: u32,
    /// (src ip, src port, dst ip, dst port) → sequence number of stream offset 0.
    flows: HashMap<(IpAddr, u16, IpAddr, u16), u32>,
}

/// What happened to one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// Every byte (addresses aside).
    Whole,
    /// TCP payload removed.
    PayloadCut,
    /// Only headers up to the IP layer (not TCP), or nothing (not IP).
    HeadersOnly,
}

/// Where the layers of an IP packet start inside a frame.
struct Layers {
    ip: usize,
    /// Start of the transport header when it is TCP, else `None`.
    tcp: Option<usize>,
    /// End of the upper-layer data kept when not TCP / end of the IP datagram.
    ip_hdr_end: usize,
    ip_end: usize,
    v6: bool,
    /// Sum of the complemented original address words, and of the new ones
    /// (RFC 1624 incremental checksum update).
    addr_old: u32,
    addr_new: u32,
}

impl<'m> Rewriter<'m> {
    pub(crate) fn new(map: &'m HashMap<IpAddr, IpAddr>, keep_payload: u32) -> Self {
        Rewriter {
            map,
            keep_payload,
            flows: HashMap::new(),
        }
    }

    /// The bytes to write for a frame of link type `lt`.
    pub(crate) fn frame(&mut self, lt: LinkType, data: &[u8]) -> (Vec<u8>, Kept) {
        let Some(ip) = ip_offset(lt, data) else {
            return (Vec::new(), Kept::HeadersOnly);
        };
        let mut out = data.to_vec();
        let Some(l) = self.rewrite_ip(&mut out, ip) else {
            out.truncate(ip);
            return (out, Kept::HeadersOnly);
        };
        let Some(t) = l.tcp else {
            out.truncate(l.ip_hdr_end);
            return (out, Kept::HeadersOnly);
        };
        match self.rewrite_tcp(&mut out, &l, t) {
            Some(end) if end < out.len() && end < l.ip_end => {
                out.truncate(end);
                (out, Kept::PayloadCut)
            }
            Some(_) => (out, Kept::Whole),
            None => {
                out.truncate(l.ip_hdr_end);
                (out, Kept::HeadersOnly)
            }
        }
    }

    /// Replaces client addresses and fixes the IPv4 header checksum.
    fn rewrite_ip(&self, d: &mut [u8], ip: usize) -> Option<Layers> {
        match d.get(ip)? >> 4 {
            4 => {
                let ihl = usize::from(d.get(ip)? & 0x0f) * 4;
                let hdr = d.get_mut(ip..ip.checked_add(ihl)?)?;
                if ihl < 20 {
                    return None;
                }
                let addr_old = complement_sum(hdr.get(12..20)?);
                for at in [12, 16] {
                    self.replace(hdr.get_mut(at..at + 4)?);
                }
                let addr_new = sum16(hdr.get(12..20)?);
                hdr.get_mut(10..12)?.copy_from_slice(&[0, 0]);
                let sum = !fold(sum16(hdr));
                hdr.get_mut(10..12)?.copy_from_slice(&sum.to_be_bytes());
                let total = usize::from(u16::from_be_bytes([*hdr.get(2)?, *hdr.get(3)?]));
                let fragment = u16::from_be_bytes([*hdr.get(6)?, *hdr.get(7)?]) & 0x3fff != 0;
                let tcp = *hdr.get(9)? == 6 && !fragment;
                Some(Layers {
                    ip,
                    tcp: tcp.then_some(ip + ihl),
                    ip_hdr_end: ip + ihl,
                    ip_end: ip + total.max(ihl),
                    v6: false,
                    addr_old,
                    addr_new,
                })
            }
            6 => {
                let hdr = d.get_mut(ip..ip.checked_add(40)?)?;
                let addr_old = complement_sum(hdr.get(8..40)?);
                for at in [8, 24] {
                    self.replace(hdr.get_mut(at..at + 16)?);
                }
                let addr_new = sum16(hdr.get(8..40)?);
                let payload = usize::from(u16::from_be_bytes([*hdr.get(4)?, *hdr.get(5)?]));
                let (next, end) = skip_v6_extensions(d, ip)?;
                Some(Layers {
                    ip,
                    tcp: (next == 6).then_some(end),
                    ip_hdr_end: end,
                    ip_end: ip + 40 + payload,
                    v6: true,
                    addr_old,
                    addr_new,
                })
            }
            _ => None,
        }
    }

    /// Writes the pseudonym over an address that belongs to a client.
    fn replace(&self, field: &mut [u8]) {
        let ip = match field.len() {
            4 => <[u8; 4]>::try_from(&*field).map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            _ => <[u8; 16]>::try_from(&*field).map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        };
        let Some(pseudo) = ip.ok().and_then(|ip| self.map.get(&ip)) else {
            return;
        };
        match pseudo {
            IpAddr::V4(p) if field.len() == 4 => field.copy_from_slice(&p.octets()),
            IpAddr::V6(p) if field.len() == 16 => field.copy_from_slice(&p.octets()),
            _ => {}
        }
    }

    /// Fixes the TCP checksum and returns where the kept bytes end (the end
    /// of the TCP header when the payload is cut, else the frame's end).
    fn rewrite_tcp(&mut self, d: &mut [u8], l: &Layers, t: usize) -> Option<usize> {
        let h = d.get(t..t.checked_add(20)?)?;
        let doff = usize::from(h.get(12)? >> 4) * 4;
        let seq = u32::from_be_bytes(h.get(4..8)?.try_into().ok()?);
        let syn = h.get(13)? & 0x02 != 0;
        let ports = (
            u16::from_be_bytes([*h.first()?, *h.get(1)?]),
            u16::from_be_bytes([*h.get(2)?, *h.get(3)?]),
        );
        let hdr_end = t
            .checked_add(doff)
            .filter(|e| doff >= 20 && *e <= d.len())?;
        fix_tcp_checksum(d, l, t);
        let (src, dst) = addresses(d, l)?;
        let key = (src, ports.0, dst, ports.1);
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.flows.clear();
        }
        let base = if syn {
            self.flows.insert(key, seq.wrapping_add(1));
            seq.wrapping_add(1)
        } else {
            *self.flows.entry(key).or_insert(seq)
        };
        // A segment before offset 0 (reordered) counts as offset 0.
        let offset = seq.wrapping_sub(base);
        let keep = offset >= 0x8000_0000 || offset < self.keep_payload;
        Some(if keep { d.len() } else { hdr_end })
    }
}

/// Recomputes the TCP checksum when the whole segment is in the frame; an
/// original 0 (checksum offloaded to the NIC) stays 0, and a segment cut by
/// snaplen gets an incremental update (RFC 1624) for the changed addresses.
fn fix_tcp_checksum(d: &mut [u8], l: &Layers, t: usize) {
    let Some(old) = d
        .get(t + 16..t + 18)
        .and_then(|b| <[u8; 2]>::try_from(b).ok())
        .map(u16::from_be_bytes)
    else {
        return;
    };
    if old == 0 {
        return;
    }
    let Some(pseudo) = pseudo_header_sum(d, l) else {
        return;
    };
    let Some(seg) = d.get_mut(t..l.ip_end) else {
        // Cut by snaplen: the payload is not there to sum; update incrementally.
        let sum = !fold(u32::from(!old) + l.addr_old + l.addr_new);
        if let Some(c) = d.get_mut(t + 16..t + 18) {
            c.copy_from_slice(&sum.to_be_bytes());
        }
        return;
    };
    if let Some(c) = seg.get_mut(16..18) {
        c.copy_from_slice(&[0, 0]);
    }
    let mut sum = !fold(pseudo + sum16(seg));
    if sum == 0 {
        sum = 0xffff;
    }
    if let Some(c) = seg.get_mut(16..18) {
        c.copy_from_slice(&sum.to_be_bytes());
    }
}

/// The source and destination addresses (as rewritten) of the packet.
fn addresses(d: &[u8], l: &Layers) -> Option<(IpAddr, IpAddr)> {
    let ip = l.ip;
    if l.v6 {
        let s: [u8; 16] = d.get(ip + 8..ip + 24)?.try_into().ok()?;
        let t: [u8; 16] = d.get(ip + 24..ip + 40)?.try_into().ok()?;
        Some((Ipv6Addr::from(s).into(), Ipv6Addr::from(t).into()))
    } else {
        let s: [u8; 4] = d.get(ip + 12..ip + 16)?.try_into().ok()?;
        let t: [u8; 4] = d.get(ip + 16..ip + 20)?.try_into().ok()?;
        Some((Ipv4Addr::from(s).into(), Ipv4Addr::from(t).into()))
    }
}

/// Unfolded one's-complement sum of the TCP pseudo-header.
fn pseudo_header_sum(d: &[u8], l: &Layers) -> Option<u32> {
    let tcp_len = u32::try_from(l.ip_end.checked_sub(l.tcp?)?).ok()?;
    let addrs = if l.v6 {
        d.get(l.ip + 8..l.ip + 40)?
    } else {
        d.get(l.ip + 12..l.ip + 20)?
    };
    Some(sum16(addrs) + 6 + (tcp_len >> 16) + (tcp_len & 0xffff))
}

/// Sum of big-endian 16-bit words (odd length padded with a zero byte).
fn sum16(b: &[u8]) -> u32 {
    b.chunks(2)
        .map(|c| {
            let hi = c.first().copied().unwrap_or(0);
            u32::from(u16::from_be_bytes([hi, c.get(1).copied().unwrap_or(0)]))
        })
        .fold(0u32, u32::wrapping_add)
}

/// Sum of the one's complements of big-endian 16-bit words.
fn complement_sum(b: &[u8]) -> u32 {
    b.chunks(2)
        .map(|c| {
            let w = u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ]);
            u32::from(!w)
        })
        .sum()
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// Walks IPv6 hop-by-hop, routing and destination options headers: the
/// upper-layer protocol and where it starts.
fn skip_v6_extensions(d: &[u8], ip: usize) -> Option<(u8, usize)> {
    let mut next = *d.get(ip + 6)?;
    let mut at = ip + 40;
    for _ in 0..MAX_EXT_HEADERS {
        if !matches!(next, 0 | 43 | 60) {
            return Some((next, at));
        }
        let len = (usize::from(*d.get(at + 1)?) + 1) * 8;
        next = *d.get(at)?;
        at = at.checked_add(len).filter(|e| *e <= d.len())?;
    }
    None
}

/// Where the IP header starts for the link types tlsdiag reads; `None` when
/// the frame does not carry IPv4/IPv6 directly.
fn ip_offset(lt: LinkType, d: &[u8]) -> Option<usize> {
    let be16 = |at: usize| Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]));
    let ip_type = |t: u16| matches!(t, 0x0800 | 0x86dd);
    match lt.0 {
        1 => {
            let mut at = 12;
            for _ in 0..4 {
                match be16(at)? {
                    0x8100 | 0x88a8 | 0x9100 => at += 4,
                    t if ip_type(t) => return Some(at + 2),
                    _ => return None,
                }
            }
            None
        }
        12 | 14 | 101 | 228 | 229 => Some(0),
        0 | 108 => {
            let af: [u8; 4] = d.get(..4)?.try_into().ok()?;
            let fam = |v: u32| matches!(v, 2 | 24 | 28 | 30);
            (fam(u32::from_be_bytes(af)) || fam(u32::from_le_bytes(af))).then_some(4)
        }
        113 => ip_type(be16(14)?).then_some(16),
        276 => ip_type(be16(0)?).then_some(20),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 + TCP with `payload`, checksums left wrong on purpose.
    fn frame(payload: &[u8], seq: u32, flags: u8) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0xde, 0xad];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip.extend_from_slice(&[10, 0, 0, 7, 10, 0, 0, 9]);
        f.extend_from_slice(&ip);
        let mut tcp = vec![0xc3, 0x50, 0x01, 0xbb];
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0x12, 0x34, 0, 0]);
        f.extend_from_slice(&tcp);
        f.extend_from_slice(payload);
        f
    }

    fn map() -> HashMap<IpAddr, IpAddr> {
        HashMap::from([(IpAddr::from([10, 0, 0, 7]), IpAddr::from([192, 0, 2, 1]))])
    }

    #[test]
    fn client_address_replaced_and_checksums_valid() {
        let m = map();
        let mut r = Rewriter::new(&m, 100);
        let (out, kept) = r.frame(LinkType(1), &frame(b"hello", 1, 0x18));
        assert_eq!(kept, Kept::Whole);
        assert_eq!(&out[26..30], &[192, 0, 2, 1]);
        assert_eq!(&out[30..34], &[10, 0, 0, 9]);
        assert_eq!(fold(sum16(&out[14..34])), 0xffff, "IPv4 header checksum");
        let l = Layers {
            ip: 14,
            tcp: Some(34),
            ip_hdr_end: 34,
            ip_end: out.len(),
            v6: false,
            addr_old: 0,
            addr_new: 0,
        };
        let total = pseudo_header_sum(&out, &l).unwrap() + sum16(&out[34..]);
        assert_eq!(fold(total), 0xffff, "TCP checksum");
    }

    #[test]
    fn payload_beyond_the_kept_prefix_is_cut_per_direction() {
        let m = map();
        let mut r = Rewriter::new(&m, 10);
        let (_, k) = r.frame(LinkType(1), &frame(b"", 99, 0x02));
        assert_eq!(k, Kept::Whole);
        let (_, k) = r.frame(LinkType(1), &frame(&[7; 10], 100, 0x18));
        assert_eq!(k, Kept::Whole);
        let (out, k) = r.frame(LinkType(1), &frame(&[7; 10], 110, 0x18));
        assert_eq!(k, Kept::PayloadCut);
        assert_eq!(out.len(), 14 + 20 + 20);
    }

    #[test]
    fn non_ip_and_garbage_keep_nothing_and_never_panic() {
        let m = map();
        let mut r = Rewriter::new(&m, 10);
        let mut arp = frame(b"", 1, 0x02);
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(r.frame(LinkType(1), &arp).0.is_empty());
        let full = frame(b"abc", 1, 0x18);
        for n in 0..full.len() {
            let _ = r.frame(LinkType(1), &full[..n]);
            let _ = r.frame(LinkType(101), &full[14..14 + n.min(full.len() - 14)]);
        }
    }

    #[test]
    fn snaplen_cut_segment_gets_the_same_checksum_incrementally() {
        let none = HashMap::new();
        let (valid, _) = Rewriter::new(&none, 100).frame(LinkType(1), &frame(b"payload", 1, 0x18));
        let m = map();
        let (full, _) = Rewriter::new(&m, 100).frame(LinkType(1), &valid);
        let (cut, _) = Rewriter::new(&m, 100).frame(LinkType(1), &valid[..valid.len() - 4]);
        assert_eq!(&full[26..30], &[192, 0, 2, 1]);
        assert_eq!(&cut[50..52], &full[50..52]);
        assert_ne!(&full[50..52], &valid[50..52]);
    }
}
