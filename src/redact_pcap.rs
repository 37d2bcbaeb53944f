//! `tlsdiag redact IN OUT`: a copy of a capture that is safe to send to a
//! vendor. Client addresses become the same pseudonyms `--redact` uses in
//! reports (documentation ranges), with IPv4 header, TCP and UDP checksums
//! adjusted; TCP payload beyond the first `keep_payload` bytes of each
//! direction (the handshake; application data follows) is cut from the file
//! the way a snap length cuts it (captured length shortened, original length
//! kept, so sizes stay visible); pcapng Decryption Secrets are dropped unless
//! asked for. Frames that could carry addresses in a way this does not
//! rewrite (ARP, ICMP, tunnels, other link types) are left out and counted.
//! The output is pcapng with nanosecond timestamps.

use crate::capture::{self, CaptureError, Frame};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::IpAddr;

/// What to keep.
#[derive(Debug, Clone, Copy)]
pub struct RedactOptions {
    /// TCP payload bytes kept per connection direction (the handshake).
    pub keep_payload: u64,
    /// Write the pcapng Decryption Secrets (key log) of the input.
    pub keep_secrets: bool,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions {
            keep_payload: 64 * 1024,
            keep_secrets: false,
        }
    }
}

/// What the redaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedactStats {
    pub frames_written: u64,
    pub frames_dropped: u64,
    pub addresses_rewritten: u64,
    pub payloads_cut: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("writing the redacted capture")]
    Write(#[from] io::Error),
}

/// Where the IP header starts for a link type, and which IP version.
fn ip_start(linktype: u32, d: &[u8]) -> Option<usize> {
    let by_ethertype = |et: u16, off: usize| matches!(et, 0x0800 | 0x86dd).then_some(off);
    match linktype {
        1 => {
            let mut off = 12;
            loop {
                let et = u16::from_be_bytes([*d.get(off)?, *d.get(off + 1)?]);
                if matches!(et, 0x8100 | 0x88a8) {
                    off += 4;
                    continue;
                }
                return by_ethertype(et, off + 2);
            }
        }
        113 => by_ethertype(u16::from_be_bytes([*d.get(14)?, *d.get(15)?]), 16),
        276 => by_ethertype(u16::from_be_bytes([*d.first()?, *d.get(1)?]), 20),
        12 | 14 | 101 | 228 | 229 => Some(0),
        0 | 108 => Some(4),
        _ => None,
    }
}

/// One's-complement sum update (RFC 1624) for a checksum field at `at`
/// after the 16-bit words `old` became `new`.
fn adjust(d: &mut [u8], at: usize, old: &[u8], new: &[u8]) {
    let Some(&[hi, lo]) = d.get(at..at + 2) else {
        return;
    };
    let csum = u16::from_be_bytes([hi, lo]);
    if csum == 0 {
        return; // not computed (offload) or UDP "no checksum": leave it so
    }
    let mut sum = u32::from(!csum);
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        let w = |c: &[u8]| {
            u32::from(u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ]))
        };
        sum += u32::from(!(w(o) as u16)) + w(n);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let out = (!(sum as u16)).to_be_bytes();
    if let Some(slot) = d.get_mut(at..at + 2) {
        slot.copy_from_slice(&out);
    }
}

fn ipv4_header_checksum(h: &mut [u8]) {
    if let Some(c) = h.get_mut(10..12) {
        c.copy_from_slice(&[0, 0]);
    }
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| {
            u32::from(u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ]))
        })
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let Some(c) = h.get_mut(10..12) {
        c.copy_from_slice(&(!(sum as u16)).to_be_bytes());
    }
}

/// Rewrites one frame in place; returns the bytes to keep, or None to drop it.
struct Rewriter<'m> {
    map: &'m HashMap<IpAddr, IpAddr>,
    opts: RedactOptions,
    /// First sequence number seen per (src ip, src port, dst ip, dst port).
    first_seq: HashMap<(IpAddr, u16, IpAddr, u16), u32>,
    stats: RedactStats,
}

impl Rewriter<'_> {
    fn frame(&mut self, f: &Frame<'_>) -> Option<Vec<u8>> {
        let mut d = f.data.to_vec();
        let ip = ip_start(f.linktype.0, &d)?;
        let version = d.get(ip)? >> 4;
        let (src_at, len, header_len, proto) = match version {
            4 => (
                ip + 12,
                4,
                usize::from(d.get(ip)? & 0x0f) * 4,
                *d.get(ip + 9)?,
            ),
            6 => (ip + 8, 16, 40, *d.get(ip + 6)?),
            _ => return None,
        };
        if !matches!(proto, 6 | 17) {
            return None; // ICMP and the rest may quote addresses inside
        }
        let l4 = ip + header_len;
        if proto == 17 {
            let dport = u16::from_be_bytes([*d.get(l4 + 2)?, *d.get(l4 + 3)?]);
            let sport = u16::from_be_bytes([*d.get(l4)?, *d.get(l4 + 1)?]);
            if [sport, dport].iter().any(|p| matches!(p, 4789 | 6081)) {
                return None; // tunnelled packets carry inner addresses
            }
        }
        let addr = |b: &[u8]| -> Option<IpAddr> {
            Some(match b.len() {
                4 => IpAddr::from(<[u8; 4]>::try_from(b).ok()?),
                _ => IpAddr::from(<[u8; 16]>::try_from(b).ok()?),
            })
        };
        let src = addr(d.get(src_at..src_at + len)?)?;
        let dst = addr(d.get(src_at + len..src_at + 2 * len)?)?;
        // TCP/UDP checksum field offset within the frame.
        let l4_csum = if proto == 6 { l4 + 16 } else { l4 + 6 };
        for (at, old) in [(src_at, src), (src_at + len, dst)] {
            let Some(new) = self.map.get(&old) else {
                continue;
            };
            let (o, n) = (octets(old), octets(*new));
            if o.len() != n.len() {
                continue;
            }
            if let Some(slot) = d.get_mut(at..at + len) {
                slot.copy_from_slice(&n);
            }
            adjust(&mut d, l4_csum, &o, &n);
            self.stats.addresses_rewritten += 1;
        }
        if let Some(h) = d.get_mut(ip..ip + header_len).filter(|_| version == 4) {
            ipv4_header_checksum(h);
        }
        if proto == 6 {
            let sport = u16::from_be_bytes([*d.get(l4)?, *d.get(l4 + 1)?]);
            let dport = u16::from_be_bytes([*d.get(l4 + 2)?, *d.get(l4 + 3)?]);
            let seq = u32::from_be_bytes([
                *d.get(l4 + 4)?,
                *d.get(l4 + 5)?,
                *d.get(l4 + 6)?,
                *d.get(l4 + 7)?,
            ]);
            let payload_at = l4 + usize::from(d.get(l4 + 12)? >> 4) * 4;
            let first = *self
                .first_seq
                .entry((src, sport, dst, dport))
                .or_insert(seq);
            let offset = u64::from(seq.wrapping_sub(first));
            if d.len() > payload_at && offset >= self.opts.keep_payload && offset < (1 << 31) {
                d.truncate(payload_at);
                self.stats.payloads_cut += 1;
            }
        }
        Some(d)
    }
}

fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Writes pcapng blocks (little-endian).
struct PcapngWriter<W: Write> {
    out: W,
    interfaces: HashMap<u32, u32>,
}

impl<W: Write> PcapngWriter<W> {
    fn block(&mut self, kind: u32, body: &[u8]) -> io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&vec![0u8; pad])?;
        self.out.write_all(&total.to_le_bytes())
    }

    fn section(&mut self) -> io::Result<()> {
        let mut b = Vec::new();
        b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&(-1i64).to_le_bytes());
        self.block(0x0A0D_0D0A, &b)
    }

    fn interface(&mut self, linktype: u32) -> io::Result<u32> {
        if let Some(id) = self.interfaces.get(&linktype) {
            return Ok(*id);
        }
        let id = self.interfaces.len() as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // snaplen: unlimited
        // if_tsresol = 9 (nanoseconds), then opt_endofopt
        b.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        self.block(1, &b)?;
        self.interfaces.insert(linktype, id);
        Ok(id)
    }

    fn packet(&mut self, iface: u32, f: &Frame<'_>, data: &[u8]) -> io::Result<()> {
        let ns = u64::try_from(f.ts.secs)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(f.ts.nanos));
        let mut b = Vec::with_capacity(20 + data.len());
        b.extend_from_slice(&iface.to_le_bytes());
        b.extend_from_slice(&((ns >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ns as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&f.origlen.max(data.len() as u32).to_le_bytes());
        b.extend_from_slice(data);
        b.resize(b.len() + (4 - data.len() % 4) % 4, 0);
        self.block(6, &b)
    }

    fn secrets(&mut self, keylog: &[u8]) -> io::Result<()> {
        let mut b = Vec::new();
        b.extend_from_slice(&0x544c_534bu32.to_le_bytes());
        b.extend_from_slice(&(keylog.len() as u32).to_le_bytes());
        b.extend_from_slice(keylog);
        self.block(0x0000_000A, &b)
    }
}

/// Reads `input` and writes its redacted copy to `out`, rewriting the
/// addresses in `addresses` (client address → pseudonym).
pub fn redact_capture(
    input: &str,
    out: impl Write,
    addresses: &HashMap<IpAddr, IpAddr>,
    opts: RedactOptions,
) -> Result<RedactStats, RedactError> {
    let mut reader = capture::open(input)?;
    let mut w = PcapngWriter {
        out: io::BufWriter::new(out),
        interfaces: HashMap::new(),
    };
    w.section()?;
    let mut rw = Rewriter {
        map: addresses,
        opts,
        first_seq: HashMap::new(),
        stats: RedactStats::default(),
    };
    while let Some(frame) = reader.next_frame()? {
        match rw.frame(&frame) {
            Some(data) => {
                let iface = w.interface(frame.linktype.0)?;
                w.packet(iface, &frame, &data)?;
                rw.stats.frames_written += 1;
            }
            None => rw.stats.frames_dropped += 1,
        }
    }
    let summary = reader.into_summary();
    if opts.keep_secrets && !summary.keylog.is_empty() {
        w.secrets(&summary.keylog)?;
    }
    w.out.flush()?;
    Ok(rw.stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_checksum_matches_a_full_one() {
        // An IPv4 header; change the source address and compare both ways.
        let mut h: Vec<u8> = vec![
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 5, 10, 0, 0, 9,
        ];
        ipv4_header_checksum(&mut h);
        let mut a = h.clone();
        a[12..16].copy_from_slice(&[192, 0, 2, 1]);
        let mut incremental = a.clone();
        adjust(&mut incremental, 10, &[10, 0, 0, 5], &[192, 0, 2, 1]);
        ipv4_header_checksum(&mut a);
        assert_eq!(incremental[10..12], a[10..12]);
    }
}
