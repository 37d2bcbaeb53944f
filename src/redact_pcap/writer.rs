//! A minimal little-endian pcapng writer: one Section Header Block, one
//! Interface Description Block per link type (written when first needed),
//! Enhanced Packet Blocks, and optionally one Decryption Secrets Block.

use crate::capture::LinkType;
use crate::types::Timestamp;
use std::io::{self, Write};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const DSB: u32 = 0x0000_000A;
/// DSB secrets type: NSS key log ("TLSK").
const TLS_KEY_LOG: u32 = 0x544C_534B;
const OPT_END: u16 = 0;
const IF_TSRESOL: u16 = 9;

/// Writes pcapng blocks to `W`.
pub(crate) struct PcapngWriter<W: Write> {
    w: W,
    /// Link type of each interface written so far (index = interface id).
    ifaces: Vec<LinkType>,
    /// Timestamp resolution: 6 (microseconds) or 9 (nanoseconds) decimal digits.
    digits: u8,
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a section; timestamps are written with `digits` (6 or 9) decimal digits.
    pub(crate) fn new(mut w: W, digits: u8) -> io::Result<Self> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        block(&mut w, SHB, &body)?;
        Ok(PcapngWriter {
            w,
            ifaces: Vec::new(),
            digits: if digits == 9 { 9 } else { 6 },
        })
    }

    /// A Decryption Secrets Block carrying an NSS key log.
    pub(crate) fn keylog(&mut self, keylog: &[u8]) -> io::Result<()> {
        let mut body = Vec::with_capacity(keylog.len() + 8);
        body.extend_from_slice(&TLS_KEY_LOG.to_le_bytes());
        body.extend_from_slice(&len32(keylog.len())?.to_le_bytes());
        body.extend_from_slice(keylog);
        block(&mut self.w, DSB, &body)
    }

    /// An Enhanced Packet Block; `data` is what is kept, `origlen` the length on the wire.
    pub(crate) fn packet(
        &mut self,
        lt: LinkType,
        ts: Timestamp,
        data: &[u8],
        origlen: u32,
    ) -> io::Result<()> {
        let iface = self.interface(lt)?;
        let units = ts_units(ts, self.digits);
        let mut body = Vec::with_capacity(data.len() + 24);
        body.extend_from_slice(&iface.to_le_bytes());
        body.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(units as u32).to_le_bytes());
        body.extend_from_slice(&len32(data.len())?.to_le_bytes());
        body.extend_from_slice(&origlen.max(len32(data.len())?).to_le_bytes());
        body.extend_from_slice(data);
        pad(&mut body);
        block(&mut self.w, EPB, &body)
    }

    /// Flushes and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }

    /// The interface id for `lt`, writing its IDB on first use.
    fn interface(&mut self, lt: LinkType) -> io::Result<u32> {
        if let Some(i) = self.ifaces.iter().position(|l| *l == lt) {
            return len32(i);
        }
        let mut body = Vec::with_capacity(20);
        body.extend_from_slice(&(lt.0 as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes()); // snaplen: no limit
        if self.digits == 9 {
            body.extend_from_slice(&IF_TSRESOL.to_le_bytes());
            body.extend_from_slice(&1u16.to_le_bytes());
            body.extend_from_slice(&[9, 0, 0, 0]);
            body.extend_from_slice(&OPT_END.to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes());
        }
        block(&mut self.w, IDB, &body)?;
        self.ifaces.push(lt);
        len32(self.ifaces.len() - 1)
    }
}

/// Timestamp in units of 10^-digits seconds since the epoch (before 1970 → 0).
fn ts_units(ts: Timestamp, digits: u8) -> u64 {
    let secs = u64::try_from(ts.secs).unwrap_or(0);
    let (scale, div) = if digits == 9 {
        (1_000_000_000, 1)
    } else {
        (1_000_000, 1_000)
    };
    secs.saturating_mul(scale)
        .saturating_add(u64::from(ts.nanos) / div)
}

fn len32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "block too large"))
}

fn pad(body: &mut Vec<u8>) {
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
}

/// One block: type, total length, body (padded to 32 bits), total length.
fn block<W: Write>(w: &mut W, btype: u32, body: &[u8]) -> io::Result<()> {
    let padded = body.len().div_ceil(4) * 4;
    let total = len32(padded + 12)?;
    w.write_all(&btype.to_le_bytes())?;
    w.write_all(&total.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all([0u8; 3].get(..padded - body.len()).unwrap_or_default())?;
    w.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_padded_and_length_framed() {
        let mut w = PcapngWriter::new(Vec::new(), 9).unwrap();
        w.packet(LinkType(1), Timestamp::new(1, 5), &[1, 2, 3, 4, 5], 60)
            .unwrap();
        let out = w.finish().unwrap();
        // SHB 28 bytes, IDB 20 + 12 (tsresol 8 + end 4), EPB 32 + 8 (5 bytes padded).
        assert_eq!(out.len(), 28 + 32 + 40);
        assert_eq!(&out[28 + 16..28 + 20], &[9, 0, 1, 0]);
        let epb = &out[60..];
        assert_eq!(&epb[..4], &6u32.to_le_bytes());
        assert_eq!(&epb[4..8], &40u32.to_le_bytes());
        assert_eq!(&epb[36..40], &40u32.to_le_bytes());
        // 1 s + 5 ns in nanoseconds.
        assert_eq!(&epb[16..20], &1_000_000_005u32.to_le_bytes());
        assert_eq!(&epb[24..28], &60u32.to_le_bytes());
    }

    #[test]
    fn microsecond_input_gets_no_tsresol_option() {
        let mut w = PcapngWriter::new(Vec::new(), 6).unwrap();
        w.packet(LinkType(101), Timestamp::new(2, 7_000), &[0; 4], 4)
            .unwrap();
        let out = w.finish().unwrap();
        assert_eq!(&out[28 + 4..28 + 8], &20u32.to_le_bytes());
        assert_eq!(&out[48 + 16..48 + 20], &2_000_007u32.to_le_bytes());
    }
}
