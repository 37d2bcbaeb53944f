//! tlsdiag: explain failed TLS handshakes in packet captures, with the evidence.
//!
//! The pipeline runs one way: `capture` → `packet` → `tcp` → `tls` → `model`
//! → `rules` → `report`. Each stage is a module with one job and plain data
//! between stages; [`pipeline`] runs them and `app` is the command line.
#![forbid(unsafe_code)]
// Captures are hostile input: no panicking shortcuts in library code. Tests
// may use them (a failing test should panic).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod app;
pub mod capture;
pub mod certs;
pub mod cli;
pub mod diff;
pub mod jobs;
pub mod lookup;
pub mod model;
pub mod packet;
pub mod pipeline;
pub mod redact_pcap;
pub mod report;
pub mod rules;
pub mod tcp;
pub mod tls;
pub mod types;

/// `--version` text: the crate version and the JSON schema version
/// ([`model::SCHEMA_VERSION`]; a test keeps the two equal).
pub const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (json schema 2)");

#[cfg(test)]
mod tests {
    #[test]
    fn version_line_names_the_current_schema() {
        let want = format!("(json schema {})", crate::model::SCHEMA_VERSION);
        assert!(
            super::VERSION_LINE.ends_with(&want),
            "{}",
            super::VERSION_LINE
        );
    }
}
