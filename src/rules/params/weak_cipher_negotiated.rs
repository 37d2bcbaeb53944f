//! weak-cipher-negotiated: NULL, EXPORT, RC4, (3)DES or anonymous suites.
use crate::model::Connection;
use crate::rules::{Context, Finding};

declare_rule! {
    WEAK_CIPHER_NEGOTIATED {
        id: "weak-cipher-negotiated",
        severity: Warning,
        title: "a weak cipher suite was negotiated",
        explanation: "The negotiated cipher suite gives little or no protection: NULL suites do not encrypt at all, EXPORT suites use 40/56-bit keys, RC4 and DES/3DES are broken or too weak (RFC 7465, Sweet32), and anonymous (anon) suites authenticate nobody, so anyone in the path can impersonate the server. Such suites are usually enabled by an overly broad cipher string or a lowered security level.",
        remediation: "Restrict the cipher list on the server (and client) to AEAD suites: e.g. nginx `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;` and remove `@SECLEVEL=0`, `NULL`, `aNULL`, `EXPORT`, `RC4`, `3DES` from cipher strings. Check with `nmap --script ssl-enum-ciphers -p PORT HOST`.",
        fires_on: ["weak-cipher-null.pcap"],
        quiet_on: ["tls12-ok.pcap", "tls13-ok.pcap"],
        check: Connection(check),
    }
}

/// Why a suite name is weak, if it is.
pub(crate) fn weakness(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_uppercase();
    if n.contains("_NULL_") || n.ends_with("_NULL") || n.contains("WITH_NULL") {
        Some("no encryption at all (NULL cipher)")
    } else if n.contains("EXPORT") {
        Some("export-grade key length (40/56 bits)")
    } else if n.contains("RC4") {
        Some("RC4, broken stream cipher (RFC 7465)")
    } else if n.contains("3DES")
        || n.contains("_DES_")
        || n.contains("DES40")
        || n.contains("DES_CBC")
    {
        Some("DES/3DES, 64-bit block cipher (Sweet32)")
    } else if n.contains("_ANON_") {
        Some("anonymous key exchange: the server is not authenticated")
    } else {
        None
    }
}

fn check(conn: &Connection, _cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(tls) = conn.tls.as_ref() else { return };
    let Some(sh) = tls.server_hello.as_ref() else {
        return;
    };
    let name = sh.cipher_suite.label();
    let Some(why) = weakness(&name) else { return };
    out.push(
        Finding::new(
            &WEAK_CIPHER_NEGOTIATED,
            Some(conn.id),
            format!("server negotiated weak suite {name}"),
            format!(
                "The ServerHello (frame {}) selected {name}: {why}. The client offered it in its ClientHello{}, so both sides' cipher configuration allows it.",
                sh.frame,
                tls.client_hello.as_ref().map(|c| format!(" (frame {})", c.frame)).unwrap_or_default()
            ),
        )
        .frames(tls.client_hello.as_ref().map(|c| c.frame))
        .frames([sh.frame])
        .fact(format!("cipher suite: {name} (0x{:04x})", sh.cipher_suite.id)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::alerts::testkit::*;
    use crate::rules::testutil::*;

    #[test]
    fn null_suite_fires() {
        let mut c = completed12();
        assert!(run_conn(check, &c).is_empty());
        if let Some(s) = c.tls.as_mut().and_then(|t| t.server_hello.as_mut()) {
            s.cipher_suite = named(0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA");
        }
        let out = run_conn(check, &c);
        assert_eq!(out.len(), 1);
        assert!(out[0].explanation.contains("no encryption at all"));
        assert_eq!(
            weakness("TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
            Some("DES/3DES, 64-bit block cipher (Sweet32)")
        );
        assert_eq!(
            weakness("TLS_DH_anon_WITH_AES_128_CBC_SHA"),
            Some("anonymous key exchange: the server is not authenticated")
        );
        assert_eq!(weakness("TLS_AES_128_GCM_SHA256"), None);
    }
}
