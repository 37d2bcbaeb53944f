//! The registry: every rule, once. Order here is the order of `tlsdiag rules`
//! and of `docs/rules.md` (the failure catalog's sections).

use super::Rule;
#[allow(unused_imports)]
use super::{alerts, certificates, cross, mtls, names, params, transport};

/// Every rule tlsdiag knows.
pub static RULES: &[&Rule] = &[
    // == section A: transport, params, names, alerts, cross (helper R1) ==
    &transport::capture_truncated_packets::CAPTURE_TRUNCATED_PACKETS,
    &transport::capture_missing_segments::CAPTURE_MISSING_SEGMENTS,
    &transport::capture_started_mid_connection::CAPTURE_STARTED_MID_CONNECTION,
    &transport::capture_one_sided::CAPTURE_ONE_SIDED,
    &transport::tcp_segment_conflict::TCP_SEGMENT_CONFLICT,
    &transport::analysis_limit_reached::ANALYSIS_LIMIT_REACHED,
    &transport::capture_file_truncated::CAPTURE_FILE_TRUNCATED,
    &transport::tcp_connection_refused::TCP_CONNECTION_REFUSED,
    &transport::tcp_no_response::TCP_NO_RESPONSE,
    &transport::tcp_reset_during_handshake::TCP_RESET_DURING_HANDSHAKE,
    &transport::closed_without_alert::CLOSED_WITHOUT_ALERT,
    &transport::no_server_response::NO_SERVER_RESPONSE,
    &transport::not_tls::NOT_TLS,
    &params::protocol_version_mismatch::PROTOCOL_VERSION_MISMATCH,
    &params::protocol_downgrade::PROTOCOL_DOWNGRADE,
    &params::deprecated_protocol::DEPRECATED_PROTOCOL,
    &params::cipher_suite_mismatch::CIPHER_SUITE_MISMATCH,
    &params::no_common_group::NO_COMMON_GROUP,
    &params::signature_algorithm_mismatch::SIGNATURE_ALGORITHM_MISMATCH,
    &params::alpn_mismatch::ALPN_MISMATCH,
    &params::weak_cipher_negotiated::WEAK_CIPHER_NEGOTIATED,
    &names::sni_missing::SNI_MISSING,
    &names::sni_unrecognized::SNI_UNRECOGNIZED,
    &names::certificate_name_mismatch::CERTIFICATE_NAME_MISMATCH,
    &alerts::fatal_alert::FATAL_ALERT,
    &alerts::close_notify_during_handshake::CLOSE_NOTIFY_DURING_HANDSHAKE,
    &alerts::handshake_encrypted::HANDSHAKE_ENCRYPTED,
    &alerts::encrypted_alert_inferred::ENCRYPTED_ALERT_INFERRED,
    &alerts::hello_retry_request::HELLO_RETRY_REQUEST,
    &alerts::session_resumed::SESSION_RESUMED,
    &alerts::renegotiation::RENEGOTIATION,
    &cross::server_certificate_inconsistent::SERVER_CERTIFICATE_INCONSISTENT,
    &cross::intermittent_failure::INTERMITTENT_FAILURE,
    &cross::fallback_retry::FALLBACK_RETRY,
    // == end of section A ==
    // == section B: certificates, mtls (helper R2) ==
    // == end of section B ==
];
