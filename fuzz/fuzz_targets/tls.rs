//! TLS decoding: arbitrary bytes in both directions, cut into arbitrary
//! chunks, must decode or be reported as malformed, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tlsdiag::tls::{TlsConnDecoder, TlsLimits};
use tlsdiag::types::{Dir, FrameNo, Timestamp};

fuzz_target!(|data: &[u8]| {
    let mut dec = TlsConnDecoder::new(TlsLimits::default());
    let mut offsets = [0u64; 2];
    let mut rest = data;
    let mut frame = 0;
    while let Some((&ctl, tail)) = rest.split_first() {
        let dir = if ctl & 0x80 == 0 { Dir::ToServer } else { Dir::ToClient };
        let len = usize::from(ctl & 0x7f).min(tail.len());
        let (chunk, tail) = tail.split_at(len);
        rest = tail;
        frame += 1;
        let i = dir.index();
        if ctl & 0x7f == 0x7f {
            dec.on_gap(dir, offsets[i], 5);
            offsets[i] += 5;
        }
        let _ = dec.on_data(dir, offsets[i], chunk, FrameNo(frame), Timestamp::new(frame as i64, 0));
        offsets[i] += chunk.len() as u64;
    }
    let _ = dec.finish();
});
