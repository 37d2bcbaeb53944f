//! Rules: alerts and TLS 1.3 (one file per rule), plus `meaning`, the shared
//! table of what each alert means by sender and stage.
pub(crate) mod close_notify_during_handshake;
pub(crate) mod encrypted_alert_inferred;
pub(crate) mod fatal_alert;
pub(crate) mod handshake_encrypted;
pub(crate) mod hello_retry_request;
pub(crate) mod meaning;
pub(crate) mod renegotiation;
pub(crate) mod session_resumed;
#[cfg(test)]
pub(crate) mod testkit;
