//! Rules: mtls (one file per rule).
