//! Reading a saved `analyze --format json` document back into an
//! [`Analysis`], so `tlsdiag diff` compares saved results without the captures.

use crate::model::{Analysis, SCHEMA_VERSION};

/// The oldest schema whose JSON documents this version reads: version 2
/// changed only the JSON Lines layout, so version 1 documents are the same.
const OLDEST_READABLE: u32 = 1;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a saved analysis could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not a JSON document (its first non-space byte is not `{{`)")]
    NotJson { path: PathBuf },
    #[error("{path} is not a tlsdiag analysis: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{path} has JSON schema version {found}; this tlsdiag reads versions {OLDEST_READABLE} to {expected}"
    )]
    Schema {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
}

/// How many leading bytes [`is_json_file`] looks at for the first non-space byte.
const SNIFF: u64 = 4096;

/// True when the file's first non-space byte (after an optional UTF-8 BOM)
/// is `{`. Captures never start so: pcap, pcapng, gzip and zstd magic numbers
/// all begin with other bytes.
pub fn is_json_file(path: &Path) -> io::Result<bool> {
    let mut head = Vec::new();
    File::open(path)?.take(SNIFF).read_to_end(&mut head)?;
    Ok(starts_json(&head))
}

fn starts_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads an analysis saved by `tlsdiag analyze --format json`.
pub fn load_analysis(path: &Path) -> Result<Analysis, LoadError> {
    let io_err = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io_err)?;
    if !starts_json(&bytes) {
        return Err(LoadError::NotJson {
            path: path.to_path_buf(),
        });
    }
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let analysis: Analysis = serde_json::from_slice(text).map_err(|source| LoadError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    if !(OLDEST_READABLE..=SCHEMA_VERSION).contains(&analysis.schema_version) {
        return Err(LoadError::Schema {
            path: path.to_path_buf(),
            found: analysis.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(analysis)
}

#[cfg(test)]
mod tests {
    use super::starts_json;

    #[test]
    fn sniffs_json_but_not_captures() {
        assert!(starts_json(b"  \n{\"schema_version\":1}"));
        assert!(starts_json(b"\xef\xbb\xbf{"));
        assert!(!starts_json(b"\xd4\xc3\xb2\xa1"), "pcap magic");
        assert!(
            !starts_json(b"\x0a\x0d\x0d\x0a"),
            "pcapng magic (whitespace bytes, then 0x0d…)"
        );
        assert!(!starts_json(b"\x1f\x8b"), "gzip");
        assert!(!starts_json(b""));
        assert!(!starts_json(b"[{}]"));
    }
}
