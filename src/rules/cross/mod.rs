//! Rules: across connections (one file per rule), plus the grouping key they
//! share. Each rule groups connections in one pass (maps keyed by server),
//! never compares them pairwise.
pub(crate) mod fallback_retry;
pub(crate) mod intermittent_failure;
pub(crate) mod server_certificate_inconsistent;

use crate::model::Analysis;
use std::collections::HashMap;

/// The server each connection talks to: `SNI:port`, and for connections
/// without SNI the SNI other connections used for the same address (so a
/// client that forgot SNI still lands in its server's group), else `addr:port`.
pub(crate) fn server_keys(a: &Analysis) -> Vec<String> {
    let mut sni_of_addr: HashMap<std::net::SocketAddr, String> = HashMap::new();
    for c in &a.connections {
        if let Some(s) = c.tls.as_ref().and_then(|t| t.sni.as_ref()) {
            sni_of_addr.entry(c.server).or_insert_with(|| s.clone());
        }
    }
    a.connections
        .iter()
        .map(|c| {
            match c
                .tls
                .as_ref()
                .and_then(|t| t.sni.as_ref())
                .or_else(|| sni_of_addr.get(&c.server))
            {
                Some(s) => format!("{s}:{}", c.server.port()),
                None => c.server.to_string(),
            }
        })
        .collect()
}
