//! Rules: server name (SNI) and hostname (one file per rule).
