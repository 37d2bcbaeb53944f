//! `tlsdiag redact IN OUT.pcapng`: a copy of a capture that is safe to send
//! to a vendor. The capture is analysed first so each connection's client is
//! known; then every frame is copied with client addresses replaced by the
//! same pseudonyms `--redact ips` gives in reports
//! ([`crate::report::redact::client_ip_pseudonyms`]), IPv4 and TCP checksums
//! fixed, and TCP payload cut after the first `keep_payload` bytes of each
//! direction (see [`rewrite`] for exactly what is kept). Frame numbers and
//! timestamps stay as they were, so findings name the same frames. Decryption
//! secrets are written only on request.

mod rewrite;
mod writer;

use crate::capture::{self, CaptureError};
use crate::certs::CertCache;
use crate::pipeline::{self, Limits};
use rewrite::{Kept, Rewriter};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use writer::PcapngWriter;

/// Default of `--keep-payload`: TCP payload bytes kept per direction, enough
/// for handshakes with long certificate chains in both directions.
pub const DEFAULT_KEEP_PAYLOAD: u32 = 32 * 1024;

/// Options of `tlsdiag redact`.
#[derive(Debug, Clone, Copy)]
pub struct RedactOptions {
    /// Write the input's key log as a Decryption Secrets Block.
    pub keep_secrets: bool,
    /// Overwrite an existing output file.
    pub force: bool,
    /// TCP payload bytes kept at the start of each direction of a connection.
    pub keep_payload: u32,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedactStats {
    pub frames: u64,
    /// Distinct client addresses replaced.
    pub clients: usize,
    /// TCP segments whose payload was removed.
    pub payload_cut: u64,
    /// Frames reduced to their headers (not TCP) or to nothing (not IP).
    pub headers_only: u64,
    /// Whether a Decryption Secrets Block was written.
    pub secrets_written: bool,
}

/// Why a redacted copy could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error(
        "redact reads its input twice, so it cannot read standard input; save it to a file first"
    )]
    Stdin,
    #[error("{0}: already exists (use --force to overwrite)")]
    Exists(PathBuf),
    #[error("{0}: is the input file")]
    SameFile(PathBuf),
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Capture(#[from] CaptureError),
}

/// Writes a redacted pcapng copy of `input` to `output`.
pub fn redact_capture(
    input: &str,
    output: &Path,
    opts: &RedactOptions,
) -> Result<RedactStats, RedactError> {
    if input == "-" {
        return Err(RedactError::Stdin);
    }
    let decoding = pipeline::decode_file(
        input,
        &Limits::default(),
        None,
        &CertCache::new(),
        &mut |_| {},
    )?;
    let map = crate::report::redact::client_ip_pseudonyms(&decoding.connections);
    let file = create(input, output, opts.force)?;
    let werr = |source| RedactError::Write {
        path: output.to_path_buf(),
        source,
    };
    let digits = decoding.capture.ts_precision_digits;
    let mut w = PcapngWriter::new(BufWriter::new(file), digits).map_err(werr)?;
    let mut stats = RedactStats {
        clients: map.len(),
        ..RedactStats::default()
    };
    if opts.keep_secrets && !decoding.capture.keylog.is_empty() {
        w.keylog(&decoding.capture.keylog).map_err(werr)?;
        stats.secrets_written = true;
    }
    let mut rw = Rewriter::new(&map, opts.keep_payload);
    let mut reader = capture::open(input)?;
    while let Some(f) = reader.next_frame()? {
        let (data, kept) = rw.frame(f.linktype, f.data);
        match kept {
            Kept::Whole => {}
            Kept::PayloadCut => stats.payload_cut += 1,
            Kept::HeadersOnly => stats.headers_only += 1,
        }
        w.packet(f.linktype, f.ts, &data, f.origlen.max(f.caplen))
            .map_err(werr)?;
        stats.frames += 1;
    }
    w.finish().map_err(werr)?;
    Ok(stats)
}

/// Creates the output file; refuses an existing one without `force`, and the input itself.
fn create(input: &str, output: &Path, force: bool) -> Result<File, RedactError> {
    let same = match (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(RedactError::SameFile(output.to_path_buf()));
    }
    let mut o = OpenOptions::new();
    o.write(true);
    if force {
        o.create(true).truncate(true);
    } else {
        o.create_new(true);
    }
    o.open(output).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            RedactError::Exists(output.to_path_buf())
        } else {
            RedactError::Write {
                path: output.to_path_buf(),
                source,
            }
        }
    })
}
