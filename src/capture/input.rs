//! Byte sources for captures: counting, and gzip / zstd decompression chosen by
//! magic bytes (never by file name), so `capture.pcap` that is really gzip still
//! opens, and a progress bar can follow the compressed bytes consumed.

use super::Compression;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Wraps the raw input and counts the bytes taken from it.
pub(crate) struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads every zstd frame of a stream in turn (ruzstd's streaming decoder stops
/// after the first frame; `zstd` and `pzstd` may write several).
struct ZstdFrames<R: BufRead> {
    src: R,
    dec: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame {
                if self.src.fill_buf()?.is_empty() {
                    return Ok(0);
                }
                self.dec.reset(&mut self.src).map_err(io::Error::other)?;
                self.in_frame = true;
            }
            while self.dec.can_collect() < buf.len() && !self.dec.is_finished() {
                let want = buf.len() - self.dec.can_collect();
                self.dec
                    .decode_blocks(
                        &mut self.src,
                        ruzstd::decoding::BlockDecodingStrategy::UptoBytes(want),
                    )
                    .map_err(io::Error::other)?;
            }
            let n = self.dec.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            if self.dec.is_finished() && self.dec.can_collect() == 0 {
                self.in_frame = false;
            }
        }
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Sniffs the first bytes of `raw` and returns a reader of the decompressed
/// capture, the compression found, and the shared raw-byte counter.
pub(crate) fn decompressing(
    raw: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Compression, Arc<AtomicU64>)> {
    let count = Arc::new(AtomicU64::new(0));
    let mut counting = CountingReader {
        inner: raw,
        count: Arc::clone(&count),
    };
    let head = read_head(&mut counting, 4)?;
    let compression = if head.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let source = io::Cursor::new(head).chain(counting);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(source)),
        Compression::Zstd => Box::new(ZstdFrames {
            src: BufReader::with_capacity(64 * 1024, source),
            dec: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }),
        Compression::None => Box::new(source),
    };
    Ok((reader, compression, count))
}

/// Reads up to `n` bytes, fewer only at end of input (pipes may deliver short reads).
fn read_head<R: Read>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.by_ref().take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}
