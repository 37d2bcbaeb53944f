//! What rules may consult besides the connection: the user's options and
//! trust material. Built once per run by the application.

use crate::certs::{Crl, TrustStore};

/// Options that change what the rules conclude (documented in `--help`).
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// The host name the client meant (`--expect-host`), used when there is no SNI.
    pub expect_host: Option<String>,
    /// Longest acceptable chain, leaf included (`--max-chain-depth`, default 4).
    pub max_chain_depth: usize,
    /// Largest acceptable certificate in DER bytes (`--max-cert-size`, default 16384).
    pub max_cert_size: usize,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            expect_host: None,
            max_chain_depth: 4,
            max_cert_size: 16 * 1024,
        }
    }
}

/// Everything a rule may read besides the model.
pub struct Context<'a> {
    pub options: &'a RuleOptions,
    /// `--ca-bundle`, when given.
    pub trust: Option<&'a TrustStore>,
    /// `--crl` files.
    pub crls: &'a [Crl],
}
