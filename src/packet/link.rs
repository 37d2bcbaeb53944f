//! Link layers: turns a frame of a given LINKTYPE into a packet sliced up to
//! the network layer (VLAN and QinQ tags are handled by etherparse).

use crate::capture::LinkType;
use etherparse::{EtherType, LaxIpSlice, LaxSlicedPacket};
use pcap_parser::data::PacketData;

// Returned by value once per frame and matched at once; boxing would allocate per packet.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Link<'a> {
    Sliced(LaxSlicedPacket<'a>),
    /// The common case, an untagged Ethernet frame or a raw IP packet,
    /// sliced to the IP layer only: `LaxSlicedPacket` also slices the TCP
    /// header, which the decoder reads anyway.
    Ip(LaxIpSlice<'a>),
    /// A link type we know, carrying something other than IP.
    NotIp,
    Unsupported,
    Malformed(String),
}

const NULL: u32 = 0;
const ETHERNET: u32 = 1;
const RAW_BSD: u32 = 12;
const RAW_OPENBSD: u32 = 14;
const RAW: u32 = 101;
const LOOP: u32 = 108;
const LINUX_SLL: u32 = 113;
const IPV4: u32 = 228;
const IPV6: u32 = 229;
const LINUX_SLL2: u32 = 276;

pub(crate) fn slice(lt: LinkType, data: &[u8]) -> Link<'_> {
    match lt.0 {
        ETHERNET => {
            let untagged_ip = matches!(data.get(12..14), Some([0x08, 0x00] | [0x86, 0xdd]));
            match data.get(14..).filter(|_| untagged_ip).and_then(ip_only) {
                Some(ip) => Link::Ip(ip),
                None => match LaxSlicedPacket::from_ethernet(data) {
                    Ok(p) => Link::Sliced(p),
                    Err(e) => Link::Malformed(format!("Ethernet header: {e}")),
                },
            }
        }
        RAW | RAW_BSD | RAW_OPENBSD | IPV4 | IPV6 => match ip_only(data) {
            Some(ip) => Link::Ip(ip),
            None => match LaxSlicedPacket::from_ip(data) {
                Ok(p) => Link::Sliced(p),
                Err(e) => Link::Malformed(format!("IP header: {e}")),
            },
        },
        NULL | LOOP => null_loop(lt.0 == LOOP, data),
        LINUX_SLL => cooked(
            pcap_parser::data::get_packetdata_linux_sll(data, data.len()),
            "SLL",
        ),
        LINUX_SLL2 => cooked(
            pcap_parser::data::get_packetdata_linux_sll2(data, data.len()),
            "SLL2",
        ),
        _ => Link::Unsupported,
    }
}

/// An IP packet that etherparse slices without complaint; anything else
/// (a damaged header or extension) takes `LaxSlicedPacket`'s path, whose
/// errors say where in the frame it stopped.
fn ip_only(data: &[u8]) -> Option<LaxIpSlice<'_>> {
    match LaxIpSlice::from_slice(data) {
        Ok((ip, None)) => Some(ip),
        _ => None,
    }
}

/// Linux cooked headers, decoded by pcap-parser.
fn cooked<'a>(d: Option<PacketData<'a>>, name: &str) -> Link<'a> {
    match d {
        Some(PacketData::L3(ethertype, rest)) => {
            Link::Sliced(LaxSlicedPacket::from_ether_type(EtherType(ethertype), rest))
        }
        Some(_) => Link::NotIp,
        None => Link::Malformed(format!("Linux {name} header too short")),
    }
}

/// BSD loopback: a 4-byte address family, host byte order for NULL (so either
/// order is accepted), network byte order for LOOP.
fn null_loop(big_endian_only: bool, data: &[u8]) -> Link<'_> {
    let Some((af, rest)) = data.split_first_chunk::<4>() else {
        return Link::Malformed("loopback header too short".to_string());
    };
    let family = |v: u32| match v {
        2 => Some(EtherType::IPV4),
        24 | 28 | 30 => Some(EtherType::IPV6),
        _ => None,
    };
    let be = family(u32::from_be_bytes(*af));
    let kind = if big_endian_only {
        be
    } else {
        family(u32::from_le_bytes(*af)).or(be)
    };
    match kind {
        Some(t) => Link::Sliced(LaxSlicedPacket::from_ether_type(t, rest)),
        None => Link::NotIp,
    }
}
