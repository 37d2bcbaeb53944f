//! Rules: capture and transport (one file per rule), plus `facts`, small
//! connection questions shared by the section-A rules.
pub(crate) mod analysis_limit_reached;
pub(crate) mod capture_file_truncated;
pub(crate) mod capture_missing_segments;
pub(crate) mod capture_one_sided;
pub(crate) mod capture_started_mid_connection;
pub(crate) mod capture_truncated_packets;
pub(crate) mod closed_without_alert;
pub(crate) mod facts;
pub(crate) mod no_server_response;
pub(crate) mod not_tls;
pub(crate) mod tcp_connection_refused;
pub(crate) mod tcp_no_response;
pub(crate) mod tcp_reset_during_handshake;
pub(crate) mod tcp_segment_conflict;
