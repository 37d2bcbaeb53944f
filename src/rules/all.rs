//! The registry: every rule, once. Order here is the order of `tlsdiag rules`
//! and of `docs/rules.md` (the failure catalog's sections).

use super::Rule;
use super::{alerts, certificates, cross, decryption, mtls, names, params, transport};

/// Every rule tlsdiag knows.
pub static RULES: &[&Rule] = &[
    // Capture and transport
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
    // Version and parameters
    &params::protocol_version_mismatch::PROTOCOL_VERSION_MISMATCH,
    &params::protocol_downgrade::PROTOCOL_DOWNGRADE,
    &params::deprecated_protocol::DEPRECATED_PROTOCOL,
    &params::cipher_suite_mismatch::CIPHER_SUITE_MISMATCH,
    &params::no_common_group::NO_COMMON_GROUP,
    &params::signature_algorithm_mismatch::SIGNATURE_ALGORITHM_MISMATCH,
    &params::alpn_mismatch::ALPN_MISMATCH,
    &params::weak_cipher_negotiated::WEAK_CIPHER_NEGOTIATED,
    // Server name
    &names::sni_missing::SNI_MISSING,
    &names::sni_unrecognized::SNI_UNRECOGNIZED,
    &names::certificate_name_mismatch::CERTIFICATE_NAME_MISMATCH,
    // Certificates (client and server)
    &certificates::certificate_expired::CLIENT_CERTIFICATE_EXPIRED,
    &certificates::certificate_expired::SERVER_CERTIFICATE_EXPIRED,
    &certificates::certificate_not_yet_valid::CLIENT_CERTIFICATE_NOT_YET_VALID,
    &certificates::certificate_not_yet_valid::SERVER_CERTIFICATE_NOT_YET_VALID,
    &certificates::chain_incomplete::CLIENT_CHAIN_INCOMPLETE,
    &certificates::chain_incomplete::SERVER_CHAIN_INCOMPLETE,
    &certificates::chain_misordered::CLIENT_CHAIN_MISORDERED,
    &certificates::chain_misordered::SERVER_CHAIN_MISORDERED,
    &certificates::certificate_untrusted::CLIENT_CERTIFICATE_UNTRUSTED,
    &certificates::certificate_untrusted::SERVER_CERTIFICATE_UNTRUSTED,
    &certificates::certificate_self_signed::CLIENT_CERTIFICATE_SELF_SIGNED,
    &certificates::certificate_self_signed::SERVER_CERTIFICATE_SELF_SIGNED,
    &certificates::certificate_weak_signature::CLIENT_CERTIFICATE_WEAK_SIGNATURE,
    &certificates::certificate_weak_signature::SERVER_CERTIFICATE_WEAK_SIGNATURE,
    &certificates::certificate_weak_key::CLIENT_CERTIFICATE_WEAK_KEY,
    &certificates::certificate_weak_key::SERVER_CERTIFICATE_WEAK_KEY,
    &certificates::certificate_not_v3::CLIENT_CERTIFICATE_NOT_V3,
    &certificates::certificate_not_v3::SERVER_CERTIFICATE_NOT_V3,
    &certificates::certificate_wrong_usage::CLIENT_CERTIFICATE_WRONG_USAGE,
    &certificates::certificate_wrong_usage::SERVER_CERTIFICATE_WRONG_USAGE,
    &certificates::chain_too_deep::CLIENT_CHAIN_TOO_DEEP,
    &certificates::chain_too_deep::SERVER_CHAIN_TOO_DEEP,
    &certificates::certificate_too_large::CLIENT_CERTIFICATE_TOO_LARGE,
    &certificates::certificate_too_large::SERVER_CERTIFICATE_TOO_LARGE,
    &certificates::certificate_revoked::CLIENT_CERTIFICATE_REVOKED,
    &certificates::certificate_revoked::SERVER_CERTIFICATE_REVOKED,
    &certificates::certificate_unparseable::CLIENT_CERTIFICATE_UNPARSEABLE,
    &certificates::certificate_unparseable::SERVER_CERTIFICATE_UNPARSEABLE,
    // Mutual TLS
    &mtls::client_certificate_missing::CLIENT_CERTIFICATE_MISSING,
    &mtls::client_certificate_issuer_not_accepted::CLIENT_CERTIFICATE_ISSUER_NOT_ACCEPTED,
    &mtls::client_certificate_optional_not_sent::CLIENT_CERTIFICATE_OPTIONAL_NOT_SENT,
    &mtls::mutual_tls_summary::MUTUAL_TLS_SUMMARY,
    &mtls::certificate_rejected::CLIENT_CERTIFICATE_REJECTED,
    &mtls::certificate_rejected::SERVER_CERTIFICATE_REJECTED,
    // Alerts and TLS 1.3
    &alerts::fatal_alert::FATAL_ALERT,
    &alerts::close_notify_during_handshake::CLOSE_NOTIFY_DURING_HANDSHAKE,
    &alerts::handshake_encrypted::HANDSHAKE_ENCRYPTED,
    &alerts::encrypted_alert_inferred::ENCRYPTED_ALERT_INFERRED,
    &alerts::hello_retry_request::HELLO_RETRY_REQUEST,
    &alerts::session_resumed::SESSION_RESUMED,
    &alerts::renegotiation::RENEGOTIATION,
    // Decryption
    &decryption::keys_missing::KEYS_MISSING,
    &decryption::keys_wrong::KEYS_WRONG,
    // Across connections
    &cross::server_certificate_inconsistent::SERVER_CERTIFICATE_INCONSISTENT,
    &cross::intermittent_failure::INTERMITTENT_FAILURE,
    &cross::fallback_retry::FALLBACK_RETRY,
];
