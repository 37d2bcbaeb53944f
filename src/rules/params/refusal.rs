//! Why a server answered a ClientHello with `handshake_failure` or
//! `insufficient_security` (no ServerHello): the wire does not say, so this
//! reads the client's offer for the most likely missing piece. One answer per
//! connection, so exactly one of cipher-suite-mismatch, no-common-group and
//! signature-algorithm-mismatch reports it (and fatal-alert stays quiet).
//!
//! Order of the reading: (1) a client whose signature_algorithms cover only
//! one key family (only RSA, or only ECDSA) ⇒ signature algorithms; (2) a
//! client with one key-exchange group, or with neither x25519 nor secp256r1,
//! whose suites are not the problem ⇒ groups; (3) otherwise cipher suites.
//! A HelloRetryRequest followed by the failure ⇒ groups.

use crate::model::{Alert, ClientOffer, Tls};
use crate::rules::alerts::meaning::{Stage, id, stage};
use crate::rules::transport::facts::real_suites;
use crate::types::Side;

/// The most likely missing piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    CipherSuites,
    Groups,
    SignatureAlgorithms,
}

/// The server's refusal of the ClientHello and its most likely reason, if this
/// connection shows one.
pub(crate) fn refusal(tls: &Tls) -> Option<(&Alert, Missing)> {
    let offer = tls.client_hello.as_ref()?;
    let alert = tls.alerts.iter().find(|a| {
        a.sender == Side::Server
            && a.description
                .as_ref()
                .is_some_and(|d| matches!(d.id, id::HANDSHAKE_FAILURE | id::INSUFFICIENT_SECURITY))
            && matches!(
                stage(tls, a),
                Stage::AnsweringClientHello | Stage::AfterHelloRetry
            )
    })?;
    if stage(tls, alert) == Stage::AfterHelloRetry {
        return Some((alert, Missing::Groups));
    }
    Some((alert, classify(offer)))
}

fn classify(offer: &ClientOffer) -> Missing {
    if one_key_family(offer).is_some() {
        Missing::SignatureAlgorithms
    } else if groups_narrow(offer) && !suites_narrow(offer) {
        Missing::Groups
    } else {
        Missing::CipherSuites
    }
}

/// `Some("RSA")` when every offered signature algorithm needs an RSA key
/// (likewise ECDSA); `None` when both families (or none listed) are offered.
pub(crate) fn one_key_family(offer: &ClientOffer) -> Option<&'static str> {
    let algs = &offer.signature_algorithms;
    if algs.is_empty() {
        return None;
    }
    let rsa = algs.iter().any(|a| is_rsa_sigalg(a.id));
    let ec = algs.iter().any(|a| is_ecdsa_sigalg(a.id));
    match (rsa, ec) {
        (true, false) => Some("RSA"),
        (false, true) => Some("ECDSA"),
        _ => None,
    }
}

/// RSA PKCS#1 (0x0n01), RSA-PSS rsae/pss (0x0804-0x0806, 0x0809-0x080b).
pub(crate) fn is_rsa_sigalg(v: u16) -> bool {
    (v & 0xff == 0x01 && v >> 8 <= 0x06) || matches!(v, 0x0804..=0x0806 | 0x0809..=0x080b)
}

/// ECDSA (0x0n03).
pub(crate) fn is_ecdsa_sigalg(v: u16) -> bool {
    v & 0xff == 0x03 && v >> 8 <= 0x06
}

/// One group only, or neither of the two groups nearly every server supports.
fn groups_narrow(offer: &ClientOffer) -> bool {
    let g = &offer.supported_groups;
    !g.is_empty() && (g.len() == 1 || !g.iter().any(|x| matches!(x.id, 0x001d | 0x0017)))
}

/// Few suites, unless the client offers only TLS 1.3 with its mandatory suite.
fn suites_narrow(offer: &ClientOffer) -> bool {
    let only13 = offer.versions.iter().all(|v| v.id == 0x0304) && !offer.versions.is_empty();
    let mandatory13 = offer.cipher_suites.iter().any(|s| s.id == 0x1301);
    if only13 && mandatory13 {
        return false;
    }
    real_suites(offer).len() <= 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    fn refused_with(offer: ClientOffer) -> Option<Missing> {
        let c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        let mut t = c.tls?;
        t.client_hello = Some(Box::new(offer));
        refusal(&t).map(|(_, m)| m)
    }

    #[test]
    fn narrow_suites_read_as_cipher_mismatch() {
        let mut o = client_offer();
        o.versions = vec![named(0x0303, "TLS 1.2")];
        o.supported_groups.push(named(0x0018, "secp384r1"));
        assert_eq!(refused_with(o), Some(Missing::CipherSuites));
    }

    #[test]
    fn single_group_with_tls13_suites_reads_as_groups() {
        let mut o = client_offer();
        o.versions = vec![named(0x0304, "TLS 1.3")];
        o.supported_groups = vec![named(0x001d, "x25519")];
        assert_eq!(refused_with(o), Some(Missing::Groups));
    }

    #[test]
    fn rsa_only_signature_algorithms_read_as_sigalg() {
        let mut o = client_offer();
        o.signature_algorithms = vec![
            named(0x0401, "rsa_pkcs1_sha256"),
            named(0x0804, "rsa_pss_rsae_sha256"),
        ];
        assert_eq!(refused_with(o), Some(Missing::SignatureAlgorithms));
    }

    #[test]
    fn alerts_after_a_server_hello_are_not_refusals() {
        let mut c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        if let Some(t) = c.tls.as_mut() {
            t.server_hello = Some(Box::new(server_hello(5)));
        }
        assert!(c.tls.as_ref().and_then(refusal).is_none());
    }
}
