//! Byte sources for captures: counting, and gzip / zstd decompression chosen by
//! magic bytes (never by file name), so `capture.pcap` that is really gzip still
//! opens, and a progress bar can follow the compressed bytes consumed.

use super::Compression;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

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

/// Bytes the read-ahead thread reads at a time.
const CHUNK: usize = 512 * 1024;

/// Space left free before each chunk's bytes, so the reader can put the
/// unread end of the previous chunk (a record cut in two) in front of them
/// instead of copying the chunk. Records longer than this are rare (it is
/// Wireshark's largest normal packet) and take a copying path.
pub(crate) const HEADROOM: usize = 256 * 1024;

/// Chunks read ahead of the consumer (memory: about `DEPTH + 3` chunks).
const DEPTH: usize = 2;

/// Reads `src` (a decompressor) on a thread of its own, up to [`DEPTH`]
/// chunks ahead, so inflating overlaps with decoding.
///
/// The capture reader takes whole chunks ([`ReadAhead::next_chunk`]) and
/// hands them back for reuse ([`ReadAhead::give_back`]): bytes are written
/// once, by the decompressor, and nothing is allocated once the first few
/// chunks are in flight. The thread ends at end of input, after a read
/// error (passed on in order), or when this reader is dropped.
pub(crate) struct ReadAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
    /// The chunk being read; its unread bytes are `current[pos..]`.
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

pub(crate) fn read_ahead(mut src: Box<dyn Read + Send>) -> io::Result<ReadAhead> {
    let (tx, chunks) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
    let (spent, reuse) = sync_channel::<Vec<u8>>(DEPTH + 3);
    std::thread::Builder::new()
        .name("tlsdiag-read".to_string())
        .spawn(move || {
            loop {
                let mut chunk: Vec<u8> = reuse.try_recv().unwrap_or_default();
                chunk.resize(HEADROOM + CHUNK, 0);
                let (got, err) =
                    fill_chunk(&mut *src, chunk.get_mut(HEADROOM..).unwrap_or_default());
                chunk.truncate(HEADROOM + got);
                let end = got == 0 || err.is_some();
                if got > 0 && tx.send(Ok(chunk)).is_err() {
                    return;
                }
                if end {
                    // An empty chunk marks the end of input.
                    let _ = tx.send(err.map_or(Ok(Vec::new()), Err));
                    return;
                }
            }
        })?;
    Ok(ReadAhead {
        chunks,
        spent,
        current: Vec::new(),
        pos: 0,
        done: false,
    })
}

/// Reads until `chunk` is full or the input ends; returns the bytes read
/// and the error that stopped it, if any.
fn fill_chunk(src: &mut dyn Read, chunk: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut got = 0;
    while got < chunk.len() {
        match src.read(chunk.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(e)),
        }
    }
    (got, None)
}

impl ReadAhead {
    /// Makes `current[pos..]` non-empty; false at end of input.
    fn refill(&mut self) -> io::Result<bool> {
        while self.pos >= self.current.len() {
            if self.done {
                return Ok(false);
            }
            let spent = std::mem::take(&mut self.current);
            self.give_back(spent);
            match self.chunks.recv() {
                Ok(Ok(chunk)) if chunk.len() > HEADROOM => {
                    self.current = chunk;
                    self.pos = HEADROOM;
                }
                Ok(Ok(_)) => self.done = true,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The thread always sends the end marker or an error before
                // it stops; stopping without either means the decompressor
                // panicked, which must not pass for the end of the capture.
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other(
                        "the thread decompressing the capture stopped unexpectedly",
                    ));
                }
            }
        }
        Ok(true)
    }

    /// The next bytes as a whole buffer and the offset they start at (at
    /// least [`HEADROOM`] unless part of it was already read), or `None` at
    /// end of input.
    pub(crate) fn next_chunk(&mut self) -> io::Result<Option<(Vec<u8>, usize)>> {
        if !self.refill()? {
            return Ok(None);
        }
        let at = std::mem::take(&mut self.pos);
        Ok(Some((std::mem::take(&mut self.current), at)))
    }

    /// Returns a buffer for the thread to read into again. One grown for a
    /// record longer than the headroom (up to 16 MiB) is dropped instead, so
    /// the buffers in circulation stay chunk-sized.
    pub(crate) fn give_back(&self, buf: Vec<u8>) {
        if buf.capacity() > 0 && buf.capacity() <= HEADROOM + CHUNK {
            let _ = self.spent.try_send(buf);
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.refill()? {
            return Ok(0);
        }
        let left = self.current.get(self.pos..).unwrap_or_default();
        let n = left.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(left.get(..n).unwrap_or_default());
        self.pos += n;
        Ok(n)
    }
}
