//! Facts of the connection model checked on real captures, with the values
//! tshark shows for the same bytes (given in the comments).

mod common;

#[test]
fn stapled_ocsp_and_server_key_exchange() {
    let Some(corpus) = common::corpus_dir() else {
        eprintln!("skipped: the public corpus (../shared/corpus) is absent");
        return;
    };
    let path = corpus
        .join("suricata-verify/sv_tls12_sni-p130-contacts.icloud.com_alpn_ocsp-stapling.pcap");
    let a = common::analyze_json(&path, &[]);
    let t = &a["connections"][0]["tls"];
    // tshark: ocsp.responseStatus 0, ocsp.certStatus 0 (good),
    // thisUpdate Jun 1 2024 02:14:44, nextUpdate Jun 1 2024 18:14:43, curve 0x001d.
    assert_eq!(t["ocsp_stapled"]["response_status"], "successful");
    assert_eq!(t["ocsp_stapled"]["cert_status"], "good");
    assert_eq!(
        t["ocsp_stapled"]["this_update"],
        "2024-06-01T02:14:44.000000Z"
    );
    assert_eq!(
        t["ocsp_stapled"]["next_update"],
        "2024-06-01T18:14:43.000000Z"
    );
    assert_eq!(t["server_key_exchange"]["group"]["id"], 0x1d);
    assert_eq!(
        t["server_hello"]["group"]["name"], "x25519",
        "TLS 1.2 group comes from ServerKeyExchange"
    );
}

#[test]
fn client_certificates_null_versus_empty() {
    // The model keeps "never sent" (null) apart from "sent empty" ([]).
    let a = common::analyze_json(&common::capture("mtls12-client-cert-missing.pcap"), &[]);
    let cc = &a["connections"][0]["tls"]["client_certificates"];
    assert_eq!(cc["certificates"].as_array().map(Vec::len), Some(0));
    let a = common::analyze_json(&common::capture("tls12-ok.pcap"), &[]);
    assert!(a["connections"][0]["tls"]["client_certificates"].is_null());
    // TLS 1.3 without keys: the client's Certificate is encrypted, so unknown (null), not empty.
    let a = common::analyze_json(&common::capture("mtls13-client-cert-missing.pcap"), &[]);
    let t = &a["connections"][0]["tls"];
    assert!(t["client_certificates"].is_null());
    assert_eq!(t["encrypted_handshake"], true);
}

#[test]
fn roles_come_from_the_client_hello() {
    // A capture that starts mid-connection has no SYN; the ClientHello decides.
    let a = common::analyze_json(&common::capture("tls12-ok.pcap"), &[]);
    let c = &a["connections"][0];
    assert_eq!(c["tcp"]["role_basis"], "syn");
    assert!(c["server"].as_str().is_some_and(|s| s.ends_with(":24400")));
    assert_eq!(
        c["history"],
        "CH | SH C(2) SKE SHD | CKE CCS E | NST CCS E | E | E | A:encrypted<-server | A:encrypted<-client | FIN<-server"
    );
}

/// The compact history: one group per side's run, alerts and the TCP end as
/// groups of their own, consecutive encrypted records of a side folded.
#[test]
fn history_groups_runs_folds_records_and_ends_with_tcp() {
    let cases = [
        (
            "capture-one-sided.pcap",
            "CH CKE CCS E×2 | A:encrypted<-client | FIN<-client",
        ),
        (
            "capture-started-mid-connection.pcap",
            "E | E | A:encrypted<-server | FIN<-client",
        ),
        (
            "alpn-mismatch.pcap",
            "CH | A:no_application_protocol<-server | FIN<-client",
        ),
    ];
    for (file, history) in cases {
        let a = common::analyze_json(&common::capture(file), &[]);
        assert_eq!(a["connections"][0]["history"], history, "{file}");
    }
}

/// The JSON Lines writer serialises certificates and registry lists once per
/// thread (`model::memo`); the bytes must be exactly serde's, on first use and
/// on every hit, for every connection of every capture.
#[test]
fn memoised_serialisation_writes_the_same_bytes() {
    use std::borrow::Cow;
    use tlsdiag::model::memo::with_memo;
    let dir = common::root().join("captures");
    let mut connections = 0;
    let mut certificates = 0;
    for entry in std::fs::read_dir(&dir).expect("captures/") {
        let path = entry.expect("entry").path();
        if !path
            .extension()
            .is_some_and(|e| e == "pcap" || e == "pcapng")
        {
            continue;
        }
        let certs = tlsdiag::certs::CertCache::new();
        let decoding = tlsdiag::pipeline::decode_file(
            path.to_str().expect("utf-8 path"),
            &tlsdiag::pipeline::Limits::default(),
            None,
            &certs,
            &mut |_| {},
        )
        .expect("decode");
        for c in &decoding.connections {
            let plain = serde_json::to_string(c).expect("serialise");
            for round in 0..2 {
                let memo = with_memo(|| serde_json::to_string(c)).expect("serialise");
                assert_eq!(memo, plain, "{} round {round}", path.display());
            }
            connections += 1;
            certificates += c
                .tls
                .as_ref()
                .and_then(|t| t.server_certificates.as_ref())
                .map_or(0, |ch| ch.certificates.len());
            // Same ids, other names (as read back from an edited document): not a hit.
            let mut renamed = c.clone();
            if let Some(offer) = renamed.tls.as_mut().and_then(|t| t.client_hello.as_mut())
                && let Some(first) = offer.cipher_suites.first_mut()
            {
                first.name = Some(Cow::Owned("renamed".to_string()));
                let memo = with_memo(|| serde_json::to_string(&renamed)).expect("serialise");
                assert!(memo.contains("\"renamed\""));
                assert_eq!(memo, serde_json::to_string(&renamed).expect("serialise"));
            }
        }
    }
    assert!(
        connections > 50 && certificates > 50,
        "{connections} {certificates}"
    );
}
