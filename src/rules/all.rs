//! The registry: every rule, once. Order here is the order of `tlsdiag rules`
//! and of `docs/rules.md` (the failure catalog's sections).

use super::Rule;
#[allow(unused_imports)]
use super::{alerts, certificates, cross, mtls, names, params, transport};

/// Every rule tlsdiag knows.
pub static RULES: &[&Rule] = &[
    // == section A: transport, params, names, alerts, cross (helper R1) ==
    // == end of section A ==
    // == section B: certificates, mtls (helper R2) ==
    // == end of section B ==
];
