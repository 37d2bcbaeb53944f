//! Rules: server name (SNI) and hostname (one file per rule).
pub(crate) mod certificate_name_mismatch;
pub(crate) mod sni_missing;
pub(crate) mod sni_unrecognized;
