//! The floor for any analyzer: walk every record of a capture with
//! pcap-parser and touch each packet's TCP header, nothing more.
//! `cargo run --release --example walk -- FILE` prints records and bytes.

use pcap_parser::{PcapBlockOwned, PcapError, create_reader};
use std::fs::File;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: walk FILE")?;
    let mut reader = create_reader(1 << 20, File::open(&path)?).map_err(|e| format!("{e:?}"))?;
    let (mut records, mut bytes, mut ports) = (0u64, 0u64, 0u64);
    enum Step {
        Consume(usize),
        Refill,
        Done,
        Fail(String),
    }
    loop {
        let step = match reader.next() {
            Ok((offset, block)) => {
                if let PcapBlockOwned::Legacy(b) = block {
                    records += 1;
                    bytes += u64::from(b.caplen);
                    // Ethernet + IPv4 without options: the TCP source port.
                    if let Some(&[hi, lo]) = b.data.get(34..36) {
                        ports = ports.wrapping_add(u64::from(u16::from_be_bytes([hi, lo])));
                    }
                }
                Step::Consume(offset)
            }
            Err(PcapError::Eof) => Step::Done,
            Err(PcapError::Incomplete(_)) => Step::Refill,
            Err(e) => Step::Fail(format!("{e:?}")),
        };
        match step {
            Step::Consume(offset) => reader.consume(offset),
            Step::Refill if reader.reader_exhausted() => break,
            Step::Refill => reader.refill().map_err(|e| format!("{e:?}"))?,
            Step::Done => break,
            Step::Fail(e) => return Err(e.into()),
        }
    }
    println!("{records} records, {bytes} bytes (checksum {ports})");
    Ok(())
}
