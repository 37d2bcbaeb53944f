//! Stapled OCSP responses (RFC 6960), read just far enough to say what a
//! person needs: the response status, the certificate status, and the
//! thisUpdate/nextUpdate window of the first single response.

use crate::types::Timestamp;
use serde::{Deserialize, Serialize};
use x509_parser::der_parser::ber::{BerObject, BerObjectContent};
use x509_parser::der_parser::der::parse_der;

/// What a stapled OCSP response says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OcspSummary {
    /// `successful`, `malformedRequest`, `internalError`, `tryLater`, `sigRequired`, `unauthorized`.
    pub response_status: Option<String>,
    /// `good`, `revoked` or `unknown` for the first certificate in the response.
    pub cert_status: Option<String>,
    pub this_update: Option<Timestamp>,
    pub next_update: Option<Timestamp>,
    /// Why the response could not be read (it is kept as its length only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

const RESPONSE_STATUS: [&str; 7] = [
    "successful",
    "malformedRequest",
    "internalError",
    "tryLater",
    "(unused)",
    "sigRequired",
    "unauthorized",
];

/// Reads an OCSPResponse; never panics, an unreadable one sets `error`.
pub fn summarize_ocsp(der: &[u8]) -> OcspSummary {
    let mut out = OcspSummary::default();
    if let Err(e) = read(der, &mut out) {
        out.error = Some(e.to_string());
    }
    out
}

fn seq<'a>(o: &'a BerObject<'a>) -> Result<&'a [BerObject<'a>], &'static str> {
    match &o.content {
        BerObjectContent::Sequence(v) => Ok(v),
        _ => Err("expected a SEQUENCE"),
    }
}

/// The content of an explicitly tagged or OCTET STRING wrapper, parsed.
fn inner<'a>(o: &'a BerObject<'a>) -> Result<BerObject<'a>, &'static str> {
    let bytes = o.as_slice().map_err(|_| "expected wrapped content")?;
    parse_der(bytes)
        .map(|(_, x)| x)
        .map_err(|_| "bad inner DER")
}

fn time(o: &BerObject<'_>) -> Option<Timestamp> {
    match &o.content {
        BerObjectContent::GeneralizedTime(t) => {
            let dt = t.to_datetime().ok()?;
            Some(Timestamp::new(dt.unix_timestamp(), 0))
        }
        _ => None,
    }
}

fn read(der: &[u8], out: &mut OcspSummary) -> Result<(), &'static str> {
    let (_, resp) = parse_der(der).map_err(|_| "not DER")?;
    let top = seq(&resp)?;
    let status = top.first().ok_or("empty response")?;
    let code = status.as_u32().map_err(|_| "no response status")?;
    out.response_status = RESPONSE_STATUS.get(code as usize).map(|s| (*s).to_string());
    let Some(bytes) = top.get(1) else {
        return Ok(());
    };
    // responseBytes [0] EXPLICIT SEQUENCE { responseType, response OCTET STRING }
    let rb = inner(bytes)?;
    let rb = seq(&rb)?;
    let basic = inner(rb.get(1).ok_or("no response")?)?;
    let basic = seq(&basic)?;
    let tbs = basic.first().ok_or("no tbsResponseData")?;
    let tbs = seq(tbs)?;
    // version [0] is optional; responses is the first SEQUENCE after responderID and producedAt.
    let responses = tbs
        .iter()
        .filter(|o| matches!(o.content, BerObjectContent::Sequence(_)))
        .find(|o| {
            seq(o).is_ok_and(|v| {
                v.first()
                    .is_some_and(|s| seq(s).is_ok_and(|c| c.len() >= 3))
            })
        })
        .ok_or("no responses")?;
    let single = seq(responses)?.first().ok_or("no single response")?;
    let single = seq(single)?;
    if let Some(st) = single.get(1) {
        out.cert_status = Some(
            match st.header.tag().0 {
                0 => "good",
                1 => "revoked",
                _ => "unknown",
            }
            .to_string(),
        );
    }
    out.this_update = single.get(2).and_then(time);
    out.next_update = single
        .get(3)
        .and_then(|o| inner(o).ok())
        .and_then(|t| time(&t));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&b""[..], b"\x30\x03\x0a\x01", b"\x30\x80", &[0xff; 40]] {
            let s = summarize_ocsp(bytes);
            assert!(s.error.is_some() || s.response_status.is_some());
        }
    }

    #[test]
    fn unsuccessful_status_without_body() {
        // OCSPResponse { responseStatus tryLater(3) }
        let s = summarize_ocsp(&[0x30, 0x03, 0x0a, 0x01, 0x03]);
        assert_eq!(s.response_status.as_deref(), Some("tryLater"));
        assert_eq!(s.error, None);
    }
}
