//! Capture reader: any bytes as a pcap/pcapng/gzip/zstd file must end with
//! an error or a bounded number of frames, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = tlsdiag::capture::from_reader("fuzz", Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut n = 0usize;
    while let Ok(Some(f)) = r.next_frame() {
        n += 1;
        assert!(f.data.len() <= data.len() * 64 + 1024, "a frame larger than the input could explain");
        assert!(n <= data.len() + 1, "more frames than input bytes: a loop");
    }
});
