//! Shared helpers of the mutual-TLS rules.

use crate::model::{CertificateRequest, Tls};

/// The CA names the server asked for, as one readable phrase.
pub(crate) fn requested_cas(cr: &CertificateRequest) -> String {
    if cr.ca_names.is_empty() {
        "the server named no CA (any issuer may be tried)".to_string()
    } else {
        format!(
            "the server asked for a certificate issued by {}",
            cr.ca_names.join("; ")
        )
    }
}

/// True when the client's Certificate answer is visible (not hidden by TLS 1.3 encryption).
pub(crate) fn client_flight_visible(tls: &Tls) -> bool {
    !tls.encrypted_handshake
        || tls
            .client_certificates
            .as_ref()
            .is_some_and(|c| c.decrypted)
}

/// The client sent no certificate in answer to a CertificateRequest: an
/// empty Certificate message, or none at all while its flight went on.
pub(crate) fn no_client_certificate(tls: &Tls) -> bool {
    if tls.certificate_request.is_none() || !client_flight_visible(tls) {
        return false;
    }
    match &tls.client_certificates {
        Some(c) => c.certificates.is_empty() && c.malformed.is_none(),
        None => tls.timeline.iter().any(|e| {
            e.sender == crate::types::Side::Client
                && matches!(e.what.as_ref(), "ClientKeyExchange" | "Finished")
        }),
    }
}
