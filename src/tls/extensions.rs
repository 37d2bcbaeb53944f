//! Hello extensions: the ordered list as sent, plus decoders for the
//! extension bodies this tool reasons about.
//!
//! tls-parser leaves key_share raw and does not know certificate_authorities,
//! signature_algorithms_cert or encrypted_client_hello, so all extension
//! bodies are decoded here with the bounded [`Reader`].

use super::enums::{IanaValue, Registry};
use super::reader::{DResult, Reader};
use serde::Serialize;

/// One extension as it appeared on the wire, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtensionInfo {
    pub id: u16,
    pub name: Option<&'static str>,
    pub grease: bool,
    /// Length of the extension body in bytes.
    pub length: usize,
    /// Why the body could not be decoded, when it could not.
    pub malformed: Option<String>,
}

/// A distinguished name as sent in certificate_authorities / CertificateRequest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistinguishedName {
    /// DER of the Name, hex.
    pub der_hex: String,
    /// Human form; filled by a later stage (e.g. `certs::dn_to_string`), null here.
    pub rendered: Option<String>,
}

/// A raw extension: its number and body bytes.
pub struct RawExt<'a> {
    pub id: u16,
    pub body: &'a [u8],
}

/// Splits an extensions block (without its 2-byte length prefix). The count is
/// bounded by the block size (at most one per 4 bytes).
pub fn split_extensions<'a>(r: &mut Reader<'a>) -> DResult<Vec<RawExt<'a>>> {
    let mut out = Vec::new();
    while !r.is_empty() {
        let id = r.u16("extension type")?;
        let body = r.vec16("extension body")?.rest();
        out.push(RawExt { id, body });
    }
    Ok(out)
}

/// The wire-order summary of raw extensions, each annotated with its decode error.
pub fn infos(raw: &[RawExt<'_>], errors: &[(usize, String)]) -> Vec<ExtensionInfo> {
    raw.iter()
        .enumerate()
        .map(|(i, e)| {
            let v = IanaValue::new(Registry::Extension, e.id);
            ExtensionInfo {
                id: e.id,
                name: v.name,
                grease: v.grease,
                length: e.body.len(),
                malformed: errors.iter().find(|(j, _)| *j == i).map(|(_, m)| m.clone()),
            }
        })
        .collect()
}

/// A list of u16 registry values with a 2-byte length prefix.
pub fn u16_values(body: &[u8], reg: Registry, field: &'static str) -> DResult<Vec<IanaValue>> {
    let mut r = Reader::new(body);
    let mut list = r.vec16(field)?;
    r.expect_end(field)?;
    Ok(list
        .u16_list(field)?
        .into_iter()
        .map(|v| IanaValue::new(reg, v))
        .collect())
}

/// server_name: the first host_name entry, plus its raw hex if not valid UTF-8.
pub fn server_name(body: &[u8]) -> DResult<(Option<String>, Option<String>)> {
    let mut r = Reader::new(body);
    let mut list = r.vec16("server_name_list")?;
    r.expect_end("server_name")?;
    while !list.is_empty() {
        let kind = list.u8("name_type")?;
        let name = list.vec16("host_name")?.rest();
        if kind == 0 {
            return Ok(match std::str::from_utf8(name) {
                Ok(s) => (Some(s.to_owned()), None),
                Err(_) => (
                    Some(String::from_utf8_lossy(name).into_owned()),
                    Some(hex(name)),
                ),
            });
        }
    }
    Ok((None, None))
}

/// ALPN protocol names (lossy UTF-8).
pub fn alpn(body: &[u8]) -> DResult<Vec<String>> {
    let mut r = Reader::new(body);
    let mut list = r.vec16("protocol_name_list")?;
    r.expect_end("alpn")?;
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(String::from_utf8_lossy(list.vec8("protocol_name")?.rest()).into_owned());
    }
    Ok(out)
}

/// ClientHello supported_versions (1-byte length list of u16).
pub fn client_versions(body: &[u8]) -> DResult<Vec<IanaValue>> {
    let mut r = Reader::new(body);
    let mut list = r.vec8("supported_versions")?;
    r.expect_end("supported_versions")?;
    Ok(list
        .u16_list("supported_versions")?
        .into_iter()
        .map(|v| IanaValue::new(Registry::Version, v))
        .collect())
}

/// A single u16 body (ServerHello supported_versions, HRR key_share, selected PSK).
pub fn single_u16(body: &[u8], field: &'static str) -> DResult<u16> {
    let mut r = Reader::new(body);
    let v = r.u16(field)?;
    r.expect_end(field)?;
    Ok(v)
}

/// ClientHello key_share: the groups of the offered shares.
pub fn client_key_share_groups(body: &[u8]) -> DResult<Vec<IanaValue>> {
    let mut r = Reader::new(body);
    let mut list = r.vec16("client_shares")?;
    r.expect_end("key_share")?;
    let mut out = Vec::new();
    while !list.is_empty() {
        let g = list.u16("key_share group")?;
        list.vec16("key_exchange")?;
        out.push(IanaValue::new(Registry::NamedGroup, g));
    }
    Ok(out)
}

/// ServerHello key_share (group + key) or HRR key_share (group only).
pub fn server_key_share_group(body: &[u8]) -> DResult<u16> {
    let mut r = Reader::new(body);
    let g = r.u16("key_share group")?;
    if !r.is_empty() {
        r.vec16("key_exchange")?;
        r.expect_end("key_share")?;
    }
    Ok(g)
}

/// A list of u8 values with a 1-byte length prefix (psk modes, point formats).
pub fn u8_list(body: &[u8], field: &'static str) -> DResult<Vec<u8>> {
    let mut r = Reader::new(body);
    let list = r.vec8(field)?.rest().to_vec();
    r.expect_end(field)?;
    Ok(list)
}

/// pre_shared_key in a ClientHello: the number of identities offered.
pub fn psk_identities(body: &[u8]) -> DResult<usize> {
    let mut r = Reader::new(body);
    let mut ids = r.vec16("psk identities")?;
    r.vec16("psk binders")?;
    r.expect_end("pre_shared_key")?;
    let mut n = 0;
    while !ids.is_empty() {
        ids.vec16("psk identity")?;
        ids.u32("obfuscated_ticket_age")?;
        n += 1;
    }
    Ok(n)
}

/// certificate_authorities: a 2-byte list of 2-byte-prefixed DER names.
pub fn certificate_authorities(body: &[u8]) -> DResult<Vec<DistinguishedName>> {
    let mut r = Reader::new(body);
    let mut list = r.vec16("certificate_authorities")?;
    r.expect_end("certificate_authorities")?;
    dn_list(&mut list)
}

/// Reads 2-byte-prefixed DER names until the reader is empty.
pub fn dn_list(list: &mut Reader<'_>) -> DResult<Vec<DistinguishedName>> {
    let mut out = Vec::new();
    while !list.is_empty() {
        let dn = list.vec16("distinguished name")?.rest();
        out.push(DistinguishedName {
            der_hex: hex(dn),
            rendered: None,
        });
    }
    Ok(out)
}

/// Lower-case hex of bytes. (`hex::encode` builds its String a `char` at a
/// time, about 40 instructions a byte; randoms and session ids of every hello
/// go through here.)
pub fn hex(b: &[u8]) -> String {
    let mut out = vec![0u8; b.len() * 2];
    if hex::encode_to_slice(b, &mut out).is_err() {
        return hex::encode(b);
    }
    String::from_utf8(out).unwrap_or_else(|_| hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_lower_case_and_agrees_with_the_hex_crate() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f, 0xff]), "00ab0fff");
        assert_eq!(hex(&[]), "");
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(hex(&bytes), hex::encode(&bytes));
    }
}
