//! Packet decoder: any frame bytes under any common link type.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tlsdiag::capture::{Frame, LinkType};
use tlsdiag::packet::{FragLimits, PacketDecoder};
use tlsdiag::types::{FrameNo, Timestamp};

const LINK_TYPES: [u32; 10] = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let mut dec = PacketDecoder::new(FragLimits::default());
    // The same bytes several times: fragments and tunnels keep state.
    for i in 0..3u64 {
        let frame = Frame {
            no: FrameNo(i + 1),
            ts: Timestamp::new(i as i64, 0),
            caplen: rest.len() as u32,
            origlen: rest.len() as u32 + u32::from(sel & 0x0f),
            linktype: LinkType(LINK_TYPES[usize::from(sel) % LINK_TYPES.len()]),
            data: rest,
        };
        let _ = dec.decode(&frame);
    }
});
