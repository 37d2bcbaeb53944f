//! signature-algorithm-mismatch: a certificate's key cannot sign with any
//! algorithm the peer accepts.
use crate::certs::{CertSummary, KeyType};
use crate::model::{Connection, Named};
use crate::rules::params::refusal::{
    Missing, is_ecdsa_sigalg, is_rsa_sigalg, one_key_family, refusal,
};
use crate::rules::transport::facts::labels;
use crate::rules::{Context, Finding};

declare_rule! {
    SIGNATURE_ALGORITHM_MISMATCH {
        id: "signature-algorithm-mismatch",
        severity: Error,
        title: "a certificate's key type is not covered by the peer's signature algorithms",
        explanation: "Each side proves it owns its certificate by signing the handshake with the certificate's key, using one of the signature algorithms the peer listed (signature_algorithms in the ClientHello for the server's key, in the CertificateRequest for the client's). An ECDSA key cannot produce an RSA signature: if the peer lists only RSA algorithms and the certificate has an EC key (or the reverse, or an Ed25519 key against a peer without ed25519), the handshake fails, usually with handshake_failure before the certificate is even sent.",
        remediation: "Widen the signature algorithms on the side that lists them (OpenSSL `-sigalgs` / `SignatureAlgorithms`, Java `jdk.tls.client.SignatureSchemes`) to include the certificate's family (e.g. `ecdsa_secp256r1_sha256` for EC keys), or give the other side a certificate of an accepted type (many servers can hold both an RSA and an ECDSA certificate). Check the key type with `openssl x509 -in cert.pem -noout -text | grep 'Public Key Algorithm'`.",
        fires_on: ["signature-algorithm-mismatch.pcap"],
        quiet_on: ["tls12-ok.pcap", "cipher-mismatch.pcap", "no-common-group.pcap"],
        check: Connection(check),
    }
}

/// Whether `algs` includes an algorithm usable with a key of `key`'s type.
fn covers(algs: &[Named], key: KeyType) -> Option<bool> {
    let ok = match key {
        KeyType::Rsa => algs.iter().any(|a| is_rsa_sigalg(a.id)),
        KeyType::Ec => algs.iter().any(|a| is_ecdsa_sigalg(a.id)),
        KeyType::Ed25519 => algs.iter().any(|a| a.id == 0x0807),
        KeyType::Ed448 => algs.iter().any(|a| a.id == 0x0808),
        KeyType::Dsa | KeyType::Other => return None,
    };
    Some(ok)
}

fn key_label(c: &CertSummary) -> String {
    let t = match c.key.key_type {
        KeyType::Rsa => "RSA",
        KeyType::Ec => "EC",
        KeyType::Ed25519 => "Ed25519",
        KeyType::Ed448 => "Ed448",
        KeyType::Dsa => "DSA",
        KeyType::Other => "unknown",
    };
    match (&c.key.curve, c.key.bits) {
        (Some(curve), _) => format!("{t} ({curve})"),
        (None, 0) => t.to_string(),
        (None, b) => format!("{t} {b}-bit"),
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref().filter(|t| !t.handshake_complete) else {
        return;
    };
    let Some(offer) = tls.client_hello.as_ref() else {
        return;
    };
    if let Some((alert, Missing::SignatureAlgorithms)) = refusal(tls) {
        let family = one_key_family(offer).unwrap_or("one");
        let other = if family == "RSA" { "EC (ECDSA)" } else { "RSA" };
        out.push(
            Finding::new(
                &SIGNATURE_ALGORITHM_MISMATCH,
                Some(conn.id),
                format!("client accepts only {family} signatures and the server refused the ClientHello"),
                format!(
                    "The client's signature_algorithms (ClientHello, frame {}) list only {family} algorithms: {}. The server answered with a fatal {} alert (frame {}) before sending its certificate. Inference: the server's certificate most likely has an {other} key, which cannot sign with any algorithm the client accepts.",
                    offer.frame,
                    labels(&offer.signature_algorithms),
                    crate::rules::alerts::meaning::description_name(alert),
                    alert.frame
                ),
            )
            .frames([offer.frame, alert.frame])
            .fact(format!("client signature algorithms: {}", labels(&offer.signature_algorithms)))
            .inferred(),
        );
        return;
    }
    if let Some(leaf) = tls
        .server_certificates
        .as_ref()
        .and_then(|c| c.leaf().map(|l| (c, l)))
        && !offer.signature_algorithms.is_empty()
        && covers(&offer.signature_algorithms, leaf.1.key.key_type) == Some(false)
    {
        let (chain, cert) = leaf;
        out.push(
            Finding::new(
                &SIGNATURE_ALGORITHM_MISMATCH,
                Some(conn.id),
                format!("server certificate has an {} key the client cannot accept", key_label(cert)),
                format!(
                    "The server's certificate {} (frame {}) has an {} key, but the client's signature_algorithms (frame {}) contain no algorithm for that key type: {}.",
                    cert.subject,
                    chain.frame,
                    key_label(cert),
                    offer.frame,
                    labels(&offer.signature_algorithms)
                ),
            )
            .frames([offer.frame, chain.frame]),
        );
    }
    if let (Some(cr), Some((chain, cert))) = (
        tls.certificate_request.as_ref(),
        tls.client_certificates
            .as_ref()
            .and_then(|c| c.leaf().map(|l| (c, l))),
    ) && !cr.signature_algorithms.is_empty()
        && covers(&cr.signature_algorithms, cert.key.key_type) == Some(false)
    {
        out.push(
            Finding::new(
                &SIGNATURE_ALGORITHM_MISMATCH,
                Some(conn.id),
                format!("client certificate has an {} key the server's certificaterequest does not allow", key_label(cert)),
                format!(
                    "The server's CertificateRequest (frame {}) allows only {}; the client's certificate {} (frame {}) has an {} key, which cannot sign with any of them.",
                    cr.frame,
                    labels(&cr.signature_algorithms),
                    cert.subject,
                    chain.frame,
                    key_label(cert)
                ),
            )
            .frames([cr.frame, chain.frame]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::KeyInfo;
    use crate::rules::alerts::meaning::id;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;
    use crate::types::FrameNo;
    use std::sync::Arc;

    #[test]
    fn rsa_only_client_refused_is_an_inference() {
        let mut c = refused_hello(id::HANDSHAKE_FAILURE, "handshake_failure");
        if let Some(o) = c.tls.as_mut().and_then(|t| t.client_hello.as_mut()) {
            o.signature_algorithms = vec![
                named(0x0401, "rsa_pkcs1_sha256"),
                named(0x0804, "rsa_pss_rsae_sha256"),
            ];
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].inferred);
        assert!(out[0].explanation.contains("EC (ECDSA) key"));
        assert_eq!(out[0].evidence.frames, vec![FrameNo(4), FrameNo(6)]);
    }

    #[test]
    fn visible_ec_leaf_against_rsa_only_client() {
        let mut c = completed12();
        if let Some(t) = c.tls.as_mut() {
            t.handshake_complete = false;
            if let Some(o) = t.client_hello.as_mut() {
                o.signature_algorithms = vec![named(0x0401, "rsa_pkcs1_sha256")];
            }
            let mut cert = cert("server.tlsdiag.test", &[], "aa");
            let mut s = (*cert.summary).clone();
            s.key = KeyInfo {
                key_type: KeyType::Ec,
                bits: 256,
                curve: Some("secp256r1".into()),
            };
            cert.summary = Arc::new(s);
            t.server_certificates = Some(chain(6, vec![cert]));
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "server certificate has an EC (secp256r1) key the client cannot accept"
        );
        // Covered key types are quiet.
        assert_eq!(
            covers(&[named(0x0403, "ecdsa_secp256r1_sha256")], KeyType::Ec),
            Some(true)
        );
    }
}
