//! X.509 certificates: summaries (x509-parser), chain linking, verification
//! against a CA bundle (rustls-webpki) at the capture's time, CRLs, hostname
//! matching, PEM export. Knows nothing about connections.
