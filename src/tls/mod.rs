//! TLS: record layer and handshake messages, decoded from reassembled
//! per-direction byte streams into a per-connection [`TlsSession`].
//! (Filled in by the TLS work; see the issue "Decode every TLS handshake".)
