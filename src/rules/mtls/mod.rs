//! Rules: mutual TLS (one file per rule).
pub(crate) mod certificate_rejected;
pub(crate) mod client_certificate_issuer_not_accepted;
pub(crate) mod client_certificate_missing;
pub(crate) mod client_certificate_optional_not_sent;
mod common;
pub(crate) mod mutual_tls_summary;
mod reasons;
