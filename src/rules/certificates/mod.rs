//! Rules: certificates, each for the client's and the server's chain (one
//! file per rule pair; the pair shares its check).
#[macro_use]
pub(crate) mod common;
pub(crate) mod certificate_expired;
pub(crate) mod certificate_not_v3;
pub(crate) mod certificate_not_yet_valid;
pub(crate) mod certificate_revoked;
pub(crate) mod certificate_self_signed;
pub(crate) mod certificate_too_large;
pub(crate) mod certificate_unparseable;
pub(crate) mod certificate_untrusted;
pub(crate) mod certificate_weak_key;
pub(crate) mod certificate_weak_signature;
pub(crate) mod certificate_wrong_usage;
pub(crate) mod chain_incomplete;
pub(crate) mod chain_misordered;
pub(crate) mod chain_too_deep;
