//! Certificate stage tests. Chains, CRLs and name/usage variants are minted
//! with rcgen at test time with explicit validity dates, so no test depends on
//! today's date; cases rcgen cannot make (RSA-1024, SHA-1, X.509 v1) come
//! from openssl-made fixtures in tests/data/certs/ (see its README).

use rcgen::{
    BasicConstraints as RcBc, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose as Eku, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose as Ku,
    RevokedCertParams, SanType, SerialNumber, date_time_ymd,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::PathBuf;
use std::sync::Arc;
use tlsdiag::certs::{
    CertCache, ChainEnd, Crl, KeyType, NameSource, SignatureCheck, TrustStore, Usage, UsageProblem,
    Verdict, Weakness, analyze_chain, dn_to_string, matches_host, summarize, to_pem,
    usage_problems, weaknesses,
};
use tlsdiag::types::{Timestamp, days_from_civil};

/// Midnight UTC of a calendar day.
fn day(y: i64, m: u32, d: u32) -> Timestamp {
    Timestamp::new(days_from_civil(y, m, d) * 86_400, 0)
}

/// A minted certificate with what is needed to issue from it.
struct Minted {
    der: Vec<u8>,
    params: CertificateParams,
    key: KeyPair,
}

impl Minted {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn base_params(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::OrganizationName, "tlsdiag tests");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.not_before = date_time_ymd(from.0, from.1, from.2);
    p.not_after = date_time_ymd(to.0, to.1, to.2);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p.use_authority_key_identifier_extension = true;
    p
}

fn sign(params: CertificateParams, issuer: Option<&Minted>) -> Minted {
    let key = KeyPair::generate().expect("keygen");
    let cert = match issuer {
        Some(i) => params.signed_by(&key, &i.issuer()),
        None => params.self_signed(&key),
    }
    .expect("sign");
    Minted {
        der: cert.der().to_vec(),
        params,
        key,
    }
}

fn ca(cn: &str, issuer: Option<&Minted>) -> Minted {
    let mut p = base_params(cn, (2020, 1, 1), (2040, 1, 1));
    p.is_ca = IsCa::Ca(RcBc::Unconstrained);
    p.key_usages = vec![Ku::KeyCertSign, Ku::CrlSign, Ku::DigitalSignature];
    sign(p, issuer)
}

/// Leaf valid 2024-01-01 .. 2025-01-01 for www.example.com, serverAuth.
fn leaf_params(serial: u64) -> CertificateParams {
    let mut p = base_params("www.example.com", (2024, 1, 1), (2025, 1, 1));
    p.subject_alt_names = vec![SanType::DnsName("www.example.com".try_into().expect("dns"))];
    p.serial_number = Some(SerialNumber::from(serial));
    p.key_usages = vec![Ku::DigitalSignature];
    p.extended_key_usages = vec![Eku::ServerAuth];
    p
}

/// Root → intermediate → leaf (serial 0x1234).
struct Pki {
    root: Minted,
    inter: Minted,
    leaf: Minted,
}

fn pki() -> Pki {
    let root = ca("Test Root CA", None);
    let inter = ca("Test Intermediate CA", Some(&root));
    let leaf = sign(leaf_params(0x1234), Some(&inter));
    Pki { root, inter, leaf }
}

fn store(root: &Minted) -> TrustStore {
    TrustStore::from_pem(to_pem(&root.der).as_bytes()).expect("store")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/certs")
        .join(name);
    CertificateDer::from_pem_file(&path)
        .expect("fixture")
        .to_vec()
}

// ---------------------------------------------------------------- verification

#[test]
fn verify_ok_inside_validity() {
    let p = pki();
    let s = store(&p.root);
    let v = s.verify(
        &[&p.leaf.der, &p.inter.der],
        day(2024, 6, 1),
        Usage::ServerAuth,
        &[],
    );
    assert_eq!(v, Verdict::Ok);
}

#[test]
fn expiry_is_judged_at_the_given_time_not_now() {
    let p = pki();
    let s = store(&p.root);
    let chain = [&p.leaf.der[..], &p.inter.der[..]];
    let late = s.verify(&chain, day(2025, 6, 1), Usage::ServerAuth, &[]);
    assert_eq!(
        late,
        Verdict::Expired {
            index: Some(0),
            not_after: day(2025, 1, 1)
        }
    );
    // Same chain, same store, earlier time: fine. Time is the parameter.
    assert_eq!(
        s.verify(&chain, day(2024, 12, 31), Usage::ServerAuth, &[]),
        Verdict::Ok
    );
}

#[test]
fn not_yet_valid_before_not_before() {
    let p = pki();
    let s = store(&p.root);
    let v = s.verify(
        &[&p.leaf.der, &p.inter.der],
        day(2023, 6, 1),
        Usage::ServerAuth,
        &[],
    );
    assert_eq!(
        v,
        Verdict::NotYetValid {
            index: Some(0),
            not_before: day(2024, 1, 1)
        }
    );
}

#[test]
fn missing_intermediate_found_with_and_without_a_store() {
    let p = pki();
    let s = store(&p.root);
    let v = s.verify(&[&p.leaf.der], day(2024, 6, 1), Usage::ServerAuth, &[]);
    assert_eq!(v, Verdict::UnknownIssuer);

    let inter = summarize(&p.inter.der);
    let report = analyze_chain(&[&p.leaf.der]);
    assert_eq!(
        report.end,
        ChainEnd::IssuerNotSent {
            index: 0,
            issuer: inter.subject.clone(),
            authority_key_id: inter.subject_key_id.clone(),
        }
    );
    assert!(
        !s.has_subject(&inter.raw_subject),
        "the missing issuer is not an anchor"
    );

    // With the intermediate sent, the path stops at the root, which the store has.
    let full = analyze_chain(&[&p.leaf.der, &p.inter.der]);
    assert_eq!(full.path, vec![0, 1]);
    let root = summarize(&p.root.der);
    assert!(
        matches!(&full.end, ChainEnd::IssuerNotSent { index: 1, issuer, .. } if *issuer == root.subject)
    );
    assert!(s.has_subject(&root.raw_subject));
}

#[test]
fn complete_chain_in_order_links_by_name_key_id_and_signature() {
    let p = pki();
    let r = analyze_chain(&[&p.leaf.der, &p.inter.der, &p.root.der]);
    assert_eq!(r.path, vec![0, 1, 2]);
    assert_eq!(r.end, ChainEnd::SelfSigned { index: 2 });
    assert!(r.ends_at_root());
    assert!(!r.misordered && r.unrelated.is_empty() && !r.leaf_self_signed);
    assert_eq!(r.depth, 3);
    assert_eq!(
        r.total_size,
        p.leaf.der.len() + p.inter.der.len() + p.root.der.len()
    );
    for link in &r.links[..2] {
        assert!(link.issued_by_next && link.issuer_name_matches_next);
        assert_eq!(link.key_id_matches_next, Some(true));
        assert_eq!(link.signature, Some(SignatureCheck::Valid));
    }
}

#[test]
fn misordered_and_unrelated_certificates() {
    let p = pki();
    let r = analyze_chain(&[&p.leaf.der, &p.root.der, &p.inter.der]);
    assert!(r.misordered);
    assert_eq!(r.path, vec![0, 2, 1]);
    assert_eq!(r.end, ChainEnd::SelfSigned { index: 1 });
    assert!(r.unrelated.is_empty());
    assert!(!r.links[0].issued_by_next);
    // webpki builds paths in any order, so the verdict is still Ok.
    let s = store(&p.root);
    let v = s.verify(
        &[&p.leaf.der, &p.root.der, &p.inter.der],
        day(2024, 6, 1),
        Usage::ServerAuth,
        &[],
    );
    assert_eq!(v, Verdict::Ok);

    let stranger = ca("Some Other CA", None);
    let r = analyze_chain(&[&p.leaf.der, &p.inter.der, &stranger.der]);
    assert!(!r.misordered);
    assert_eq!(r.unrelated, vec![2]);
}

#[test]
fn same_name_wrong_key_is_not_the_issuer() {
    let p = pki();
    // A second "Test Intermediate CA" with its own key.
    let impostor = ca("Test Intermediate CA", Some(&p.root));
    // The leaf's AKI contradicts the impostor's SKI: not its issuer at all.
    let r = analyze_chain(&[&p.leaf.der, &impostor.der]);
    assert!(r.links[0].issuer_name_matches_next);
    assert_eq!(r.links[0].key_id_matches_next, Some(false));
    assert!(matches!(r.end, ChainEnd::IssuerNotSent { index: 0, .. }));
    assert_eq!(r.unrelated, vec![1]);
    // Without key ids only the signature can tell: a broken link.
    let mut params = leaf_params(0x42);
    params.use_authority_key_identifier_extension = false;
    let leaf = sign(params, Some(&p.inter));
    let r = analyze_chain(&[&leaf.der, &impostor.der]);
    assert_eq!(r.links[0].key_id_matches_next, None);
    assert_eq!(r.links[0].signature, Some(SignatureCheck::Invalid));
    assert_eq!(
        r.end,
        ChainEnd::BadSignature {
            index: 0,
            issuer_index: 1
        }
    );
    // ... and the genuine intermediate is preferred when both are sent.
    let r = analyze_chain(&[&leaf.der, &impostor.der, &p.inter.der]);
    assert_eq!(r.links[0].issuer_index, Some(2));
    assert_eq!(r.links[0].signature, Some(SignatureCheck::Valid));
    assert!(r.misordered);
    assert_eq!(r.unrelated, vec![1]);
}

#[test]
fn self_signed_leaf() {
    let leaf = sign(leaf_params(7), None);
    let sum = summarize(&leaf.der);
    assert!(sum.self_issued && sum.self_signed);
    assert_eq!(sum.self_signature, Some(SignatureCheck::Valid));
    let r = analyze_chain(&[&leaf.der]);
    assert!(r.leaf_self_signed);
    assert_eq!(r.end, ChainEnd::SelfSigned { index: 0 });
    let other_root = ca("Test Root CA", None);
    let v = store(&other_root).verify(&[&leaf.der], day(2024, 6, 1), Usage::ServerAuth, &[]);
    assert_eq!(v, Verdict::UnknownIssuer);
    // A CA-signed leaf is not self-signed.
    let p = pki();
    let s = summarize(&p.leaf.der);
    assert!(!s.self_issued && !s.self_signed);
}

// ---------------------------------------------------------------------- CRLs

fn crl_from(issuer: &Minted, serials: &[u64]) -> Crl {
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(2024, 3, 1),
        next_update: date_time_ymd(2024, 4, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: serials
            .iter()
            .map(|s| RevokedCertParams {
                serial_number: SerialNumber::from(*s),
                revocation_time: date_time_ymd(2024, 2, 15),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = params.signed_by(&issuer.issuer()).expect("crl");
    Crl::from_der(crl.der()).expect("parse crl")
}

#[test]
fn crl_revokes_the_leaf_serial_only() {
    let p = pki();
    let leaf = summarize(&p.leaf.der);
    assert_eq!(leaf.serial, "1234");
    let crl = crl_from(&p.inter, &[0x1234]);
    assert_eq!(crl.issuer, leaf.issuer);
    assert_eq!(crl.this_update, day(2024, 3, 1));
    assert_eq!(crl.next_update, Some(day(2024, 4, 1)));
    let entry = crl.revoked(&leaf).expect("revoked");
    assert_eq!(entry.revocation_date, day(2024, 2, 15));
    assert_eq!(entry.reason.as_deref(), Some("key_compromise"));

    let s = store(&p.root);
    let chain = [&p.leaf.der[..], &p.inter.der[..]];
    let v = s.verify(
        &chain,
        day(2024, 6, 1),
        Usage::ServerAuth,
        std::slice::from_ref(&crl),
    );
    assert_eq!(
        v,
        Verdict::Revoked {
            index: Some(0),
            serial: "1234".into()
        }
    );

    let other = crl_from(&p.inter, &[0x9999]);
    assert!(other.revoked(&leaf).is_none());
    assert_eq!(
        s.verify(&chain, day(2024, 6, 1), Usage::ServerAuth, &[other]),
        Verdict::Ok
    );
    // A CRL from a different issuer never matches, even with the same serial.
    assert!(crl_from(&p.root, &[0x1234]).revoked(&leaf).is_none());
}

#[test]
fn crl_loads_from_pem_and_der_files() {
    let p = pki();
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(2024, 3, 1),
        next_update: date_time_ymd(2024, 4, 1),
        crl_number: SerialNumber::from(2u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(0x1234u64),
            revocation_time: date_time_ymd(2024, 2, 15),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    };
    let crl = params.signed_by(&p.inter.issuer()).expect("crl");
    let dir = tempfile::tempdir().expect("tempdir");
    let pem_path = dir.path().join("c.pem");
    let der_path = dir.path().join("c.der");
    std::fs::write(&pem_path, crl.pem().expect("pem")).expect("write");
    std::fs::write(&der_path, crl.der()).expect("write");
    let leaf = summarize(&p.leaf.der);
    for path in [pem_path, der_path] {
        let c = Crl::from_file(&path).expect("load");
        assert_eq!(c.revoked.len(), 1);
        assert!(c.revoked(&leaf).is_some(), "{}", path.display());
    }
    assert!(Crl::from_file(dir.path().join("absent.crl")).is_err());
    assert!(Crl::from_bytes(b"not a crl").is_err());
}

// ------------------------------------------------------------------- names

fn named(sans: Vec<SanType>, cn: &str) -> tlsdiag::certs::CertSummary {
    let mut p = base_params(cn, (2024, 1, 1), (2025, 1, 1));
    p.subject_alt_names = sans;
    summarize(&sign(p, None).der)
}

fn dns(name: &str) -> SanType {
    SanType::DnsName(name.try_into().expect("dns"))
}

#[test]
fn hostname_matching_table() {
    let c = named(
        vec![
            dns("www.example.com"),
            dns("*.api.example.com"),
            dns("f*o.example.net"),
            SanType::IpAddress("192.0.2.10".parse().expect("ip")),
            SanType::IpAddress("2001:db8::1".parse().expect("ip")),
        ],
        "cn-only.example.org",
    );
    let table: &[(&str, bool, Option<&str>)] = &[
        ("www.example.com", true, Some("www.example.com")),
        ("WWW.Example.COM.", true, Some("www.example.com")),
        ("v1.api.example.com", true, Some("*.api.example.com")),
        ("a.v1.api.example.com", false, None),
        ("api.example.com", false, None),
        ("foo.example.net", false, None),
        ("cn-only.example.org", false, None),
        ("192.0.2.10", true, Some("192.0.2.10")),
        ("192.0.2.11", false, None),
        ("[2001:db8::1]", true, Some("2001:db8::1")),
        ("2001:0db8:0:0::1", true, Some("2001:db8::1")),
    ];
    for (host, want, name) in table {
        let m = matches_host(&c, host);
        assert_eq!(m.matched, *want, "host {host}: {m:?}");
        assert_eq!(m.matched_name.as_deref(), *name, "host {host}");
    }
    let m = matches_host(&c, "nope.example.com");
    assert_eq!(m.source, NameSource::DnsSan);
    assert_eq!(
        m.checked,
        vec!["www.example.com", "*.api.example.com", "f*o.example.net"]
    );
    assert_eq!(matches_host(&c, "192.0.2.99").source, NameSource::IpSan);
}

#[test]
fn common_name_only_without_dns_or_ip_san() {
    let cn_only = named(vec![], "legacy.example.com");
    let m = matches_host(&cn_only, "legacy.example.com");
    assert!(m.matched);
    assert_eq!(m.source, NameSource::CommonName);

    // An IP SAN alone is enough to disable the CN fallback.
    let with_ip = named(
        vec![SanType::IpAddress("192.0.2.1".parse().expect("ip"))],
        "legacy.example.com",
    );
    let m = matches_host(&with_ip, "legacy.example.com");
    assert!(!m.matched);
    assert_eq!(m.source, NameSource::DnsSan);

    // An e-mail SAN does not disable it.
    let with_mail = named(
        vec![SanType::Rfc822Name(
            "a@example.com".try_into().expect("mail"),
        )],
        "legacy.example.com",
    );
    assert!(matches_host(&with_mail, "legacy.example.com").matched);

    // Wildcards never match IP literals, and a CN is never used for IPs.
    let wild = named(vec![dns("*.0.2.1")], "192.0.2.1");
    assert!(!matches_host(&wild, "192.0.2.1").matched);
}

// ------------------------------------------------------------------- usage

#[test]
fn client_auth_only_certificate_used_as_server() {
    let p = pki();
    let mut params = leaf_params(0x55);
    params.extended_key_usages = vec![Eku::ClientAuth];
    let client = sign(params, Some(&p.inter));
    let sum = summarize(&client.der);
    assert_eq!(sum.extended_key_usage, Some(vec!["client_auth".to_owned()]));
    assert_eq!(
        usage_problems(&sum, Usage::ServerAuth, true),
        vec![UsageProblem::EkuMissingPurpose {
            required: Usage::ServerAuth,
            present: vec!["client_auth".into()]
        }]
    );
    assert!(usage_problems(&sum, Usage::ClientAuth, true).is_empty());

    let s = store(&p.root);
    let chain = [&client.der[..], &p.inter.der[..]];
    assert!(matches!(
        s.verify(&chain, day(2024, 6, 1), Usage::ServerAuth, &[]),
        Verdict::WrongUsage { .. }
    ));
    assert_eq!(
        s.verify(&chain, day(2024, 6, 1), Usage::ClientAuth, &[]),
        Verdict::Ok
    );
}

#[test]
fn ca_true_leaf_is_wrong_usage() {
    let p = pki();
    let mut params = leaf_params(0x66);
    params.is_ca = IsCa::Ca(RcBc::Unconstrained);
    let leaf = sign(params, Some(&p.inter));
    let sum = summarize(&leaf.der);
    assert!(usage_problems(&sum, Usage::ServerAuth, true).contains(&UsageProblem::LeafIsCa));
    assert!(!usage_problems(&sum, Usage::ServerAuth, false).contains(&UsageProblem::LeafIsCa));
    let v = store(&p.root).verify(
        &[&leaf.der, &p.inter.der],
        day(2024, 6, 1),
        Usage::ServerAuth,
        &[],
    );
    assert!(matches!(v, Verdict::WrongUsage { .. }), "{v:?}");
}

#[test]
fn key_usage_without_digital_signature() {
    let p = pki();
    let mut params = leaf_params(0x77);
    params.key_usages = vec![Ku::KeyAgreement];
    let sum = summarize(&sign(params, Some(&p.inter)).der);
    assert_eq!(sum.key_usage, Some(vec!["key_agreement".to_owned()]));
    assert_eq!(
        usage_problems(&sum, Usage::ServerAuth, true),
        vec![UsageProblem::KeyUsageWithoutDigitalSignature {
            present: vec!["key_agreement".into()]
        }]
    );
}

// --------------------------------------------------- openssl-made weaknesses

#[test]
fn weak_rsa_1024_key() {
    let der = fixture("rsa1024-selfsigned.pem");
    let s = summarize(&der);
    assert_eq!(s.parse_error, None);
    assert_eq!((s.key.key_type, s.key.bits), (KeyType::Rsa, 1024));
    assert_eq!(
        weaknesses(&s),
        vec![Weakness::WeakKey {
            key_type: KeyType::Rsa,
            bits: 1024
        }]
    );
    // Fingerprint and serial as printed by `openssl x509 -fingerprint -sha256 -serial`.
    assert_eq!(
        s.sha256,
        "4915594298e10abe333c32283845bb4b34abf5a3fc50e14965c073588c82768e"
    );
    assert_eq!(s.serial, "4f527c36844da801b78a931c207e0228236c6e70");
    // ring cannot check SHA-256 signatures by 1024-bit RSA keys: the chain
    // analysis still recognises the self-issued certificate as its own root.
    assert_eq!(s.self_signature, Some(SignatureCheck::Unsupported));
    assert!(s.self_signed);
    let r = analyze_chain(&[&der]);
    assert_eq!(r.links[0].signature, Some(SignatureCheck::Unsupported));
    assert!(r.leaf_self_signed);
}

#[test]
fn sha1_signature() {
    let der = fixture("sha1-selfsigned.pem");
    let s = summarize(&der);
    assert_eq!(s.signature_algorithm.name, "sha1WithRSAEncryption");
    assert_eq!(s.key.bits, 2048);
    assert_eq!(
        weaknesses(&s),
        vec![Weakness::WeakSignatureHash {
            hash: "sha1".into(),
            algorithm: "sha1WithRSAEncryption".into()
        }]
    );
    // x509-parser still verifies legacy SHA-1 signatures, so we can say "valid but SHA-1".
    assert!(s.self_signed);
    assert_eq!(s.self_signature, Some(SignatureCheck::Valid));
}

#[test]
fn version_1_certificate() {
    let der = fixture("v1-selfsigned.pem");
    let s = summarize(&der);
    assert_eq!(s.version, 1);
    assert_eq!(s.basic_constraints, None);
    assert_eq!(weaknesses(&s), vec![Weakness::NotV3 { version: 1 }]);
    let p = pki();
    let v = store(&p.root).verify(&[&der], day(2024, 6, 1), Usage::ServerAuth, &[]);
    assert_eq!(v, Verdict::UnsupportedCertVersion);
}

// ------------------------------------------------------------ summary

#[test]
fn truncated_der_gives_parse_error_everywhere() {
    let p = pki();
    let cut = &p.leaf.der[..p.leaf.der.len() / 2];
    let s = summarize(cut);
    assert!(s.parse_error.is_some());
    assert_eq!(s.size, cut.len());
    assert_eq!(s.sha256.len(), 64);
    assert_ne!(s.sha256, summarize(&p.leaf.der).sha256);
    let r = analyze_chain(&[&p.leaf.der, &p.inter.der[..10]]);
    assert_eq!(r.unparseable, vec![1]);
    assert!(matches!(r.end, ChainEnd::IssuerNotSent { index: 0, .. }));
    assert!(matches!(
        store(&p.root).verify(&[cut], day(2024, 6, 1), Usage::ServerAuth, &[]),
        Verdict::Malformed { .. }
    ));
    for n in 0..p.leaf.der.len() {
        let _ = summarize(&p.leaf.der[..n]); // must not panic at any cut
    }
}

#[test]
fn dn_of_a_ca_renders_like_the_issuer_it_signed() {
    let p = pki();
    let root = summarize(&p.root.der);
    let inter = summarize(&p.inter.der);
    assert_eq!(
        dn_to_string(&root.raw_subject).as_deref(),
        Some(inter.issuer.as_str())
    );
    assert_eq!(inter.issuer, "O=tlsdiag tests, CN=Test Root CA");
    assert_eq!(inter.issuer_cn.as_deref(), Some("Test Root CA"));
}

#[test]
fn summary_fields_of_a_minted_leaf() {
    let p = pki();
    let mut params = leaf_params(0x00ab_cdef);
    params.subject_alt_names = vec![
        dns("www.example.com"),
        SanType::IpAddress("192.0.2.7".parse().expect("ip")),
        SanType::URI("spiffe://example/test".try_into().expect("uri")),
        SanType::Rfc822Name("ops@example.com".try_into().expect("mail")),
    ];
    params.extended_key_usages = vec![Eku::ServerAuth, Eku::ClientAuth];
    let leaf = sign(params, Some(&p.inter));
    let s = summarize(&leaf.der);
    let inter = summarize(&p.inter.der);
    assert_eq!(s.subject, "O=tlsdiag tests, CN=www.example.com");
    assert_eq!(s.subject_cn.as_deref(), Some("www.example.com"));
    assert_eq!(s.serial, "abcdef");
    assert_eq!(
        (s.not_before, s.not_after),
        (Some(day(2024, 1, 1)), Some(day(2025, 1, 1)))
    );
    assert_eq!(s.san.dns, vec!["www.example.com"]);
    assert_eq!(s.san.ip, vec!["192.0.2.7"]);
    assert_eq!(s.san.uri, vec!["spiffe://example/test"]);
    assert_eq!(s.san.email, vec!["ops@example.com"]);
    assert_eq!(
        (s.key.key_type, s.key.bits, s.key.curve.as_deref()),
        (KeyType::Ec, 256, Some("secp256r1"))
    );
    assert_eq!(s.signature_algorithm.name, "ecdsa-with-SHA256");
    assert_eq!(s.signature_algorithm.hash.as_deref(), Some("sha256"));
    assert_eq!(s.version, 3);
    assert_eq!(
        s.extended_key_usage,
        Some(vec!["server_auth".to_owned(), "client_auth".to_owned()])
    );
    assert_eq!(s.key_usage, Some(vec!["digital_signature".to_owned()]));
    assert!(inter.subject_key_id.is_some());
    assert_eq!(s.authority_key_id, inter.subject_key_id);
    assert_eq!(inter.basic_constraints.map(|b| b.ca), Some(true));
    assert_eq!(s.size, leaf.der.len());
    assert!(s.parse_error.is_none() && s.extension_errors.is_empty());
}

#[test]
fn summary_json_uses_plain_snake_case_names_and_round_trips() {
    let p = pki();
    let s = summarize(&p.leaf.der);
    let json = serde_json::to_value(&s).expect("json");
    assert_eq!(json["key"]["type"], "ec");
    assert_eq!(json["not_after"], "2025-01-01T00:00:00.000000Z");
    assert_eq!(json["san"]["dns"][0], "www.example.com");
    assert!(json.get("raw_subject").is_none());
    assert!(json.get("der").is_none(), "the DER stays out of the JSON");
    let back: tlsdiag::certs::CertSummary = serde_json::from_value(json).expect("back");
    let mut expected = s.clone();
    expected.raw_subject.clear();
    expected.raw_issuer.clear();
    expected.der.clear();
    assert_eq!(back, expected);
    // CRL matching still works on a summary read back from JSON (by rendered DN).
    assert!(crl_from(&p.inter, &[0x1234]).revoked(&back).is_some());
}

#[test]
fn cache_parses_each_certificate_once() {
    let p = pki();
    let cache = CertCache::new();
    let a = cache.get(&p.leaf.der);
    let b = cache.get(&p.leaf.der);
    assert!(Arc::ptr_eq(&a, &b));
    let c = cache.get(&p.inter.der);
    assert!(!Arc::ptr_eq(&a, &c));
    assert_eq!(cache.len(), 2);
    // Chain reports are shared per distinct chain (the rules ask once per connection).
    let one = tlsdiag::certs::chain_report(&[&a, &c]);
    assert!(Arc::ptr_eq(&one, &tlsdiag::certs::chain_report(&[&a, &c])));
    let swapped = tlsdiag::certs::chain_report(&[&c, &a]);
    assert!(!Arc::ptr_eq(&one, &swapped), "order is part of the key");
    assert_eq!(one.path, vec![0, 1]);
}

#[test]
fn pem_export_round_trips() {
    let p = pki();
    let pem = to_pem(&p.leaf.der);
    let back = CertificateDer::from_pem_slice(pem.as_bytes()).expect("pem");
    assert_eq!(back.as_ref(), &p.leaf.der[..]);
}

#[test]
fn trust_store_loading() {
    let p = pki();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle.pem");
    std::fs::write(
        &bundle,
        format!("{}{}", to_pem(&p.root.der), to_pem(&p.inter.der)),
    )
    .expect("write");
    let s = TrustStore::from_pem_file(&bundle).expect("load");
    assert_eq!(s.len(), 2);
    assert_eq!(s.anchors()[0].subject_cn.as_deref(), Some("Test Root CA"));
    // With the intermediate as an anchor, the leaf alone verifies.
    assert_eq!(
        s.verify(&[&p.leaf.der], day(2024, 6, 1), Usage::ServerAuth, &[]),
        Verdict::Ok
    );
    assert!(s.verify(&[], day(2024, 6, 1), Usage::ServerAuth, &[]) == Verdict::EmptyChain);
    assert!(matches!(
        TrustStore::from_pem(b"no pem here"),
        Err(tlsdiag::certs::CertError::EmptyBundle)
    ));
    assert!(TrustStore::from_pem_file(dir.path().join("missing.pem")).is_err());
}

// ------------------------------------------------------------------ corpus

/// Every certificate tshark finds in the shared corpus (extracted by
/// tests/data/certs/extract-corpus.sh) summarises without panicking, and the
/// known-malformed ones are flagged.
#[test]
fn corpus_certificates_summarise() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/certs/corpus-certs.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("note: {} absent, skipping", path.display());
        return;
    };
    let mut parsed = 0;
    let mut failed = Vec::new();
    let mut by_file = std::collections::HashMap::new();
    for line in text.lines() {
        let Some((file, hex)) = line.split_once(' ') else {
            continue;
        };
        let der = decode_hex(hex);
        let s = summarize(&der);
        by_file
            .entry(file.to_owned())
            .or_insert_with(Vec::new)
            .push(s.clone());
        assert_eq!(s.size, der.len());
        let _ = weaknesses(&s);
        let _ = matches_host(&s, "www.example.com");
        match s.parse_error {
            None => parsed += 1,
            Some(_) => failed.push(file.to_owned()),
        }
    }
    assert!(parsed > 40, "only {parsed} corpus certificates parsed");
    assert!(
        failed.iter().all(|f| f.contains("malformed")),
        "unexpected failures: {failed:?}"
    );
    assert_eq!(failed.len(), 2, "both malformed-DER captures are flagged");
    // Facts stated by the capture names / corpus README.
    let one = |f: &str| by_file.get(f).and_then(|v| v.first()).cloned();
    if let Some(s) = one("sv_tls10_sni-fkp.samsungcloudsolution.com_cert-notbefore-pre-1970.pcap") {
        assert!(
            s.not_before.is_some_and(|t| t.secs < 0),
            "{:?}",
            s.not_before
        );
    }
    if let Some(s) = one("ws_rsasnakeoil2_sslv3-rsa-kx_full-and-resumed_apache-snakeoil-https.pcap")
    {
        assert_eq!(s.subject_cn.as_deref(), Some("www.snakeoil.dom"));
        assert!(
            weaknesses(&s)
                .iter()
                .any(|w| matches!(w, Weakness::WeakSignatureHash { hash, .. } if hash == "md5"))
        );
    }
    if let Some(s) = one("sv_tls12_sni-dogfish_full-handshake.pcap") {
        assert_eq!(s.subject_cn.as_deref(), Some("tls"));
        assert!(
            s.self_signed,
            "the dogfish server certificate is self-signed"
        );
    }
    if let Some(v) = by_file.get("sv_tls12_sni-localhost_client-certificate-auth.pcap") {
        let root = v
            .iter()
            .find(|s| s.subject_cn.as_deref() == Some("SampleRoot"));
        let jane = v
            .iter()
            .find(|s| s.subject_cn.as_deref() == Some("SampleClientJane"));
        if let (Some(root), Some(jane)) = (root, jane) {
            assert_eq!(jane.issuer, root.subject);
            assert_eq!(
                dn_to_string(&root.raw_subject).as_deref(),
                Some(jane.issuer.as_str())
            );
        }
    }
}

fn decode_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| s.get(2 * i..2 * i + 2))
        .filter_map(|b| u8::from_str_radix(b, 16).ok())
        .collect()
}

proptest::proptest! {
    /// Corrupting any byte of a real certificate never panics any check.
    #[test]
    fn mutated_der_never_panics(pos in 0usize..4096, byte in proptest::prelude::any::<u8>()) {
        let mut der = fixture("rsa1024-selfsigned.pem");
        let len = der.len().max(1);
        if let Some(b) = der.get_mut(pos % len) {
            *b = byte;
        }
        let s = summarize(&der);
        let _ = (weaknesses(&s), usage_problems(&s, Usage::ServerAuth, true));
        let _ = matches_host(&s, "weak-rsa-1024.test");
        let r = analyze_chain(&[&der, &der]);
        proptest::prop_assert_eq!(r.depth, 2);
    }
}
