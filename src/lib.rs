//! tlsdiag: explain failed TLS handshakes in packet captures, with the evidence.
//!
//! The pipeline runs one way: `capture` → `packet` → `tcp` → `tls` → `model`
//! → `rules` → `report`. Each stage is a module with one job and plain data
//! between stages.
#![forbid(unsafe_code)]

pub mod capture;
pub mod certs;
pub mod packet;
pub mod tcp;
pub mod tls;
pub mod types;
