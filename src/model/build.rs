//! Builds a connection's model from its TCP summary and TLS session.
//! (Implemented by the lead once the TLS stage lands.)

use super::Connection;
use crate::certs::CertCache;
use crate::tcp::TcpConnection;

/// Builds one connection's model.
pub fn build(_tcp: TcpConnection, _tls: Option<crate::tls::TlsSession>, _certs: &CertCache) -> Connection {
    unimplemented!("stub")
}
