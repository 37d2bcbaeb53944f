//! Key logs and decryption: arbitrary key-log text, then arbitrary bytes in
//! both directions decoded with those keys, must never panic. The first two
//! bytes give the key log's length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use tlsdiag::tls::{KeyLog, TlsConnDecoder, TlsLimits};
use tlsdiag::types::{Dir, FrameNo, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let n = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (text, mut rest) = rest.split_at(n);
    let keys = Arc::new(KeyLog::parse(text));
    let mut dec = TlsConnDecoder::with_keys(TlsLimits::default(), Some(keys));
    let mut offsets = [0u64; 2];
    let mut frame = 0;
    while let Some((&ctl, tail)) = rest.split_first() {
        let dir = if ctl & 0x80 == 0 { Dir::ToServer } else { Dir::ToClient };
        let len = usize::from(ctl & 0x7f).min(tail.len());
        let (chunk, tail) = tail.split_at(len);
        rest = tail;
        frame += 1;
        let i = dir.index();
        let _ = dec.on_data(dir, offsets[i], chunk, FrameNo(frame), Timestamp::new(frame as i64, 0));
        offsets[i] += chunk.len() as u64;
    }
    let _ = dec.finish();
});
