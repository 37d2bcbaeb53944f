//! Tunnel headers used by cloud packet mirrors and SPAN sessions: VXLAN,
//! GENEVE, GRE (plain, keyed, transparent Ethernet bridging) and ERSPAN II/III.
//! Each parser returns where the inner packet starts, or `None` when the bytes
//! are not a tunnel this module unwraps.

/// What a tunnel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inner<'a> {
    Ethernet(&'a [u8]),
    EtherType(u16, &'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Vxlan,
    Geneve,
    Gre,
    Erspan,
}

const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;
const TEB: u16 = 0x6558;
const ERSPAN_II: u16 = 0x88BE;
const ERSPAN_III: u16 = 0x22EB;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

/// VXLAN / GENEVE by UDP destination port.
pub(crate) fn udp(dst_port: u16, payload: &[u8]) -> Option<(Kind, Inner<'_>)> {
    match dst_port {
        VXLAN_PORT => {
            // flags byte must have the I (valid VNI) bit; header is 8 bytes
            let flags = *payload.first()?;
            (flags & 0x08 != 0).then_some(())?;
            Some((Kind::Vxlan, Inner::Ethernet(payload.get(8..)?)))
        }
        GENEVE_PORT => {
            let b0 = *payload.first()?;
            if b0 >> 6 != 0 {
                return None;
            }
            let header = 8 + usize::from(b0 & 0x3f) * 4;
            let proto = be16(payload, 2)?;
            let inner = payload.get(header..)?;
            let inner = if proto == TEB {
                Inner::Ethernet(inner)
            } else {
                Inner::EtherType(proto, inner)
            };
            Some((Kind::Geneve, inner))
        }
        _ => None,
    }
}

/// GRE (IP protocol 47), version 0, including ERSPAN carried in it.
pub(crate) fn gre(d: &[u8]) -> Option<(Kind, Inner<'_>)> {
    let flags = be16(d, 0)?;
    let proto = be16(d, 2)?;
    // version 0 only (1 is PPTP's enhanced GRE); no source routing
    if flags & 0x0007 != 0 || flags & 0x4000 != 0 {
        return None;
    }
    let (c, k, s) = (
        flags & 0x8000 != 0,
        flags & 0x2000 != 0,
        flags & 0x1000 != 0,
    );
    let header = 4 + 4 * (usize::from(c) + usize::from(k) + usize::from(s));
    let body = d.get(header..)?;
    match proto {
        TEB => Some((Kind::Gre, Inner::Ethernet(body))),
        // type I has no ERSPAN header (and no sequence number); type II has 8 bytes
        ERSPAN_II => Some((
            Kind::Erspan,
            Inner::Ethernet(if s { body.get(8..)? } else { body }),
        )),
        ERSPAN_III => {
            // 12-byte header; the O bit (last bit) announces an 8-byte platform sub-header
            let o = body.get(11)? & 0x01 != 0;
            Some((
                Kind::Erspan,
                Inner::Ethernet(body.get(if o { 20 } else { 12 }..)?),
            ))
        }
        p => Some((Kind::Gre, Inner::EtherType(p, body))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_header_lengths_follow_flags() {
        let mut keyed = vec![0x20, 0x00, 0x08, 0x00, 0, 0, 0, 7];
        keyed.extend_from_slice(&[0x45, 0]);
        assert_eq!(
            gre(&keyed),
            Some((Kind::Gre, Inner::EtherType(0x0800, &[0x45, 0][..])))
        );
        let erspan2 = [
            0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0xEE,
        ];
        assert_eq!(
            gre(&erspan2),
            Some((Kind::Erspan, Inner::Ethernet(&[0xEE][..])))
        );
        let mut erspan3 = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1];
        erspan3.extend_from_slice(&[0; 11]);
        erspan3.push(0x01); // O bit set: 8 more bytes
        erspan3.extend_from_slice(&[9; 8]);
        erspan3.push(0xAB);
        assert_eq!(
            gre(&erspan3),
            Some((Kind::Erspan, Inner::Ethernet(&[0xAB][..])))
        );
        assert_eq!(
            gre(&[0x00, 0x01, 0x88, 0x0B]),
            None,
            "version 1 (PPTP) is not unwrapped"
        );
        assert_eq!(gre(&[0x30, 0x00]), None, "short header");
    }

    #[test]
    fn geneve_skips_options() {
        let g = [
            0x02, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 1, 1, 1, 2, 2, 2, 2, 0xCC,
        ];
        assert_eq!(
            udp(6081, &g),
            Some((Kind::Geneve, Inner::Ethernet(&[0xCC][..])))
        );
        assert_eq!(udp(4789, &[0x00; 9]), None, "VXLAN without the I flag");
        assert_eq!(udp(53, &[0x08; 9]), None);
    }
}
