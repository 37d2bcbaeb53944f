//! Rules: version and parameters (one file per rule), plus `refusal`, the
//! shared reading of a server's refusal of the ClientHello.
pub(crate) mod alpn_mismatch;
pub(crate) mod cipher_suite_mismatch;
pub(crate) mod deprecated_protocol;
pub(crate) mod no_common_group;
pub(crate) mod protocol_downgrade;
pub(crate) mod protocol_version_mismatch;
pub(crate) mod refusal;
pub(crate) mod signature_algorithm_mismatch;
pub(crate) mod weak_cipher_negotiated;
