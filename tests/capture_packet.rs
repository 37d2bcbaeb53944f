//! Capture and packet stages against synthetic captures built here (a tiny
//! pcap/pcapng writer plus etherparse's PacketBuilder), hostile inputs, and the
//! public corpus compared with tshark's counts (committed in tests/data).

use etherparse::{IpNumber, Ipv4Header, PacketBuilder};
use std::io::{Cursor, Write};
use tlsdiag::capture::{self, CaptureSummary, Compression, Format, LinkType};
use tlsdiag::packet::{Decoded, FragLimits, PacketDecoder};
use tlsdiag::types::{FrameNo, Timestamp};

// ---------- tiny capture writers ----------

/// One record for the writers: seconds, sub-second units, data, original length.
struct Rec<'a> {
    secs: u32,
    frac: u32,
    data: &'a [u8],
    origlen: u32,
}

fn rec(secs: u32, frac: u32, data: &[u8]) -> Rec<'_> {
    Rec {
        secs,
        frac,
        data,
        origlen: data.len() as u32,
    }
}

fn pcap(big_endian: bool, nanos: bool, linktype: u32, recs: &[Rec]) -> Vec<u8> {
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let mut v = Vec::new();
    w32(&mut v, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    w16(&mut v, 2);
    w16(&mut v, 4);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, 65535);
    w32(&mut v, linktype);
    for r in recs {
        w32(&mut v, r.secs);
        w32(&mut v, r.frac);
        w32(&mut v, r.data.len() as u32);
        w32(&mut v, r.origlen);
        v.extend_from_slice(r.data);
    }
    v
}

/// pcapng blocks, little- or big-endian.
struct Ng {
    be: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new() -> Ng {
        Ng {
            be: false,
            out: Vec::new(),
        }
    }
    fn u32b(&self, x: u32) -> [u8; 4] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn u16b(&self, x: u16) -> [u8; 2] {
        if self.be {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }
    fn block(&mut self, btype: u32, body: &[u8]) -> &mut Ng {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let len = 12 + body.len() as u32;
        let (t, l) = (self.u32b(btype), self.u32b(len));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(&body);
        self.out.extend_from_slice(&l);
        self
    }
    fn shb(&mut self, be: bool) -> &mut Ng {
        self.be = be;
        let mut b = self.u32b(0x1A2B_3C4D).to_vec();
        b.extend_from_slice(&self.u16b(1));
        b.extend_from_slice(&self.u16b(0));
        b.extend_from_slice(&[0xff; 8]);
        self.block(0x0A0D_0D0A, &b)
    }
    fn idb(&mut self, linktype: u16, snaplen: u32, tsresol: Option<u8>) -> &mut Ng {
        let mut b = self.u16b(linktype).to_vec();
        b.extend_from_slice(&self.u16b(0));
        b.extend_from_slice(&self.u32b(snaplen));
        if let Some(r) = tsresol {
            b.extend_from_slice(&self.u16b(9));
            b.extend_from_slice(&self.u16b(1));
            b.extend_from_slice(&[r, 0, 0, 0]);
            b.extend_from_slice(&[0, 0, 0, 0]);
        }
        self.block(1, &b)
    }
    fn epb(&mut self, if_id: u32, ts: u64, data: &[u8], origlen: u32) -> &mut Ng {
        let mut b = Vec::new();
        for x in [
            if_id,
            (ts >> 32) as u32,
            ts as u32,
            data.len() as u32,
            origlen,
        ] {
            b.extend_from_slice(&self.u32b(x));
        }
        b.extend_from_slice(data);
        self.block(6, &b)
    }
    fn spb(&mut self, origlen: u32, data: &[u8]) -> &mut Ng {
        let mut b = self.u32b(origlen).to_vec();
        b.extend_from_slice(data);
        self.block(3, &b)
    }
    fn dsb(&mut self, text: &[u8]) -> &mut Ng {
        let mut b = self.u32b(0x544c_534b).to_vec();
        b.extend_from_slice(&self.u32b(text.len() as u32));
        b.extend_from_slice(text);
        self.block(10, &b)
    }
}

// ---------- packets ----------

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

fn ip_tcp(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1000, 512)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn eth_tcp(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1000, 512)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = MAC_B.to_vec();
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Outer Ethernet + IPv4 (192.0.2.1 → 192.0.2.2) carrying `payload` as protocol `proto`.
fn outer_ip(proto: IpNumber, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .write(&mut v, proto, payload)
        .unwrap();
    v
}

fn outer_udp(dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .udp(50000, dst_port)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn frame(no: u64, linktype: u32, data: &[u8]) -> capture::Frame<'_> {
    capture::Frame {
        no: FrameNo(no),
        ts: Timestamp::new(1_700_000_000, 0),
        caplen: data.len() as u32,
        origlen: data.len() as u32,
        linktype: LinkType(linktype),
        data,
    }
}

/// Decodes one frame and asserts it is the 10.0.0.1:40000 → 10.0.0.2:443 segment with `payload`.
fn assert_tcp(dec: &mut PacketDecoder, f: &capture::Frame, payload: &[u8]) {
    match dec.decode(f) {
        Decoded::Tcp(s) => {
            assert_eq!(s.src.to_string(), "10.0.0.1:40000");
            assert_eq!(s.dst.to_string(), "10.0.0.2:443");
            assert_eq!(s.seq, 1000);
            assert_eq!(&*s.payload, payload);
            assert_eq!(s.payload_missing, 0);
            assert_eq!(s.frame, f.no);
        }
        other => panic!(
            "frame {} linktype {}: expected TCP, got {other:?}",
            f.no, f.linktype.0
        ),
    }
}

// ---------- reading helpers ----------

struct Owned {
    no: u64,
    ts: Timestamp,
    caplen: u32,
    origlen: u32,
    linktype: u32,
    data: Vec<u8>,
}

fn read_all(bytes: Vec<u8>) -> (Vec<Owned>, CaptureSummary) {
    collect(capture::from_reader("test", Box::new(Cursor::new(bytes))).expect("header accepted"))
}

/// Every frame of `r` (copied) and the summary at the end.
fn collect(mut r: capture::CaptureReader) -> (Vec<Owned>, CaptureSummary) {
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().expect("no fatal error after the header") {
        out.push(Owned {
            no: f.no.0,
            ts: f.ts,
            caplen: f.caplen,
            origlen: f.origlen,
            linktype: f.linktype.0,
            data: f.data.to_vec(),
        });
        assert!(out.len() < 1_000_000, "runaway reader");
    }
    (out, r.into_summary())
}

// ---------- capture tests ----------

#[test]
fn pcap_both_byte_orders_micro_and_nano() {
    let p1 = eth_tcp(b"one");
    let p2 = eth_tcp(b"two!");
    for (be, nanos) in [(false, false), (true, false), (false, true), (true, true)] {
        let frac = if nanos { 123_456_789 } else { 123_456 };
        let (frames, s) = read_all(pcap(
            be,
            nanos,
            1,
            &[rec(1_700_000_000, frac, &p1), rec(1_700_000_001, 0, &p2)],
        ));
        assert_eq!(frames.len(), 2, "be={be} nanos={nanos}");
        assert_eq!(
            frames[0].ts,
            Timestamp::new(1_700_000_000, if nanos { 123_456_789 } else { 123_456_000 })
        );
        assert_eq!(frames[1].data, p2);
        assert_eq!((frames[0].no, frames[1].no), (1, 2));
        assert_eq!(s.format, Format::Pcap);
        assert_eq!(s.ts_precision_digits, if nanos { 9 } else { 6 });
        assert_eq!(s.linktypes, vec![LinkType(1)]);
        assert_eq!(s.frames, 2);
        assert_eq!(s.captured_bytes, (p1.len() + p2.len()) as u64);
        assert!(!s.file_truncated && s.warnings.is_empty());
    }
}

#[test]
fn pcapng_interfaces_spb_dsb_sections_and_unknown_blocks() {
    let e = eth_tcp(b"eth");
    let r = ip_tcp(b"raw");
    let mut ng = Ng::new();
    ng.shb(false)
        .idb(1, 0, None) // Ethernet, microseconds
        .idb(101, 0, Some(9)) // raw IP, nanoseconds
        .epb(0, 1_700_000_000_000_000 + 250_000, &e, e.len() as u32)
        .block(0x0BAD_0001, b"unknown block type, skipped")
        .dsb(b"CLIENT_RANDOM aa bb\n")
        .epb(1, 1_700_000_001_000_000_007, &r, r.len() as u32)
        .spb(e.len() as u32, &e)
        .shb(true) // a second section, big-endian, with its own interfaces
        .idb(113, 0, None);
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip_tcp(b"sll"));
    ng.epb(0, 1_700_000_002_000_000, &sll, sll.len() as u32);
    let (frames, s) = read_all(ng.out.clone());
    assert_eq!(
        frames.iter().map(|f| f.no).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        frames.iter().map(|f| f.linktype).collect::<Vec<_>>(),
        vec![1, 101, 1, 113]
    );
    assert_eq!(frames[0].ts, Timestamp::new(1_700_000_000, 250_000_000));
    assert_eq!(
        frames[1].ts,
        Timestamp::new(1_700_000_001, 7),
        "if_tsresol 9 gives nanoseconds"
    );
    assert_eq!(
        frames[2].ts, frames[1].ts,
        "SPB has no timestamp: the previous frame's is used"
    );
    assert_eq!(
        frames[2].data, e,
        "SPB caplen is min(snaplen, origlen): padding removed"
    );
    assert_eq!(frames[3].ts, Timestamp::new(1_700_000_002, 0));
    assert_eq!(s.format, Format::Pcapng);
    assert_eq!(s.ts_precision_digits, 9);
    assert_eq!(s.linktypes, vec![LinkType(1), LinkType(101), LinkType(113)]);
    assert_eq!(
        s.keylog, b"CLIENT_RANDOM aa bb\n",
        "DSB trimmed to secrets_len"
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);

    let mut dec = PacketDecoder::new(FragLimits::default());
    for (f, want) in frames.iter().zip([&b"eth"[..], b"raw", b"eth", b"sll"]) {
        let fr = capture::Frame {
            no: FrameNo(f.no),
            ts: f.ts,
            caplen: f.caplen,
            origlen: f.origlen,
            linktype: LinkType(f.linktype),
            data: &f.data,
        };
        assert_tcp(&mut dec, &fr, want);
    }
}

#[test]
fn spb_caplen_is_limited_by_snaplen() {
    let e = eth_tcp(&[7u8; 100]);
    let mut ng = Ng::new();
    ng.shb(false).idb(1, 60, None).spb(e.len() as u32, &e);
    let (frames, _) = read_all(ng.out);
    assert_eq!(frames[0].caplen, 60);
    assert_eq!(frames[0].origlen, e.len() as u32);
    assert_eq!(frames[0].data, e[..60]);
}

#[test]
fn gzip_and_zstd_are_detected_by_magic() {
    let p = eth_tcp(b"compressed");
    let plain = pcap(false, false, 1, &[rec(1, 0, &p), rec(2, 0, &p)]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let gz_len = gz.len() as u64;
    let mut r = capture::from_reader("x.pcap", Box::new(Cursor::new(gz))).unwrap();
    let mut n = 0;
    while let Some(f) = r.next_frame().unwrap() {
        assert_eq!(f.data, &p[..]);
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(r.summary().compression, Compression::Gzip);
    assert_eq!(r.bytes_read(), gz_len, "progress counts compressed bytes");

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.pcap");
    std::fs::write(&src, &plain).unwrap();
    let zst = dir.path().join("a.pcap.zst");
    let ok = std::process::Command::new("zstd")
        .arg("-q")
        .arg("-o")
        .arg(&zst)
        .arg(&src)
        .status()
        .map(|s| s.success());
    if !matches!(ok, Ok(true)) {
        eprintln!("note: `zstd` CLI not available; zstd decoding not exercised");
        return;
    }
    let mut r = capture::open(zst.to_str().unwrap()).unwrap();
    let mut n = 0;
    while r.next_frame().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    assert_eq!(r.summary().compression, Compression::Zstd);
}

#[test]
fn truncated_pcap_keeps_earlier_frames_and_names_the_cut_frame() {
    let p = eth_tcp(&[1u8; 200]);
    let full = pcap(
        false,
        false,
        1,
        &[rec(1, 0, &p), rec(2, 0, &p), rec(3, 0, &p)],
    );
    for cut in [full.len() - 50, full.len() - p.len() - 8] {
        let (frames, s) = read_all(full[..cut].to_vec());
        assert_eq!(frames.len(), 2);
        assert!(s.file_truncated);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].frame, Some(FrameNo(3)));
        assert!(
            s.warnings[0].message.contains("frame 3"),
            "{}",
            s.warnings[0].message
        );
    }
}

#[test]
fn truncated_gzip_ends_with_a_warning() {
    let p = eth_tcp(&[1u8; 2000]);
    let plain = pcap(false, false, 1, &[rec(1, 0, &p), rec(2, 0, &p)]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let (frames, s) = read_all(gz[..gz.len() - 1000].to_vec());
    assert_eq!(frames.len(), 1);
    assert!(s.file_truncated);
    assert!(!s.warnings.is_empty());
}

#[test]
fn hostile_headers_are_errors() {
    for bytes in [
        vec![],
        vec![0xd4, 0xc3],
        b"this is not a capture file at all".to_vec(),
        vec![0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0],
    ] {
        let r = capture::from_reader("bad", Box::new(Cursor::new(bytes.clone())));
        assert!(
            matches!(r, Err(capture::CaptureError::UnknownFormat { .. })),
            "{bytes:?}"
        );
    }
    let e = capture::open("/nonexistent/dir/file.pcap");
    assert!(matches!(e, Err(capture::CaptureError::Open { .. })));
}

#[test]
fn absurd_lengths_warn_without_allocating() {
    let mut bad = pcap(false, false, 1, &[]);
    for x in [0u32, 0, 0xFFFF_FFF0, 0xFFFF_FFF0] {
        bad.extend_from_slice(&x.to_le_bytes());
    }
    let (frames, s) = read_all(bad);
    assert!(frames.is_empty());
    assert!(s.warnings[0].message.contains("limit"), "{:?}", s.warnings);

    let mut ng = Ng::new();
    ng.shb(false).idb(1, 0, None);
    let mut bytes = ng.out.clone();
    bytes.extend_from_slice(&6u32.to_le_bytes());
    bytes.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    bytes.extend_from_slice(&[0; 64]);
    let (frames, s) = read_all(bytes);
    assert!(frames.is_empty());
    assert_eq!(s.warnings.len(), 1);
    assert!(s.warnings[0].message.contains("limit"));
}

#[test]
fn pcapng_garbage_after_header_is_a_warning() {
    let p = eth_tcp(b"ok");
    let mut ng = Ng::new();
    ng.shb(false).idb(1, 0, None).epb(0, 5, &p, p.len() as u32);
    let mut bytes = ng.out.clone();
    bytes.extend_from_slice(&[0x06, 0, 0, 0, 0x20, 0, 0, 0]); // EPB of 32 bytes …
    bytes.extend_from_slice(&[0xAB; 24]); // … whose trailing length is wrong
    let (frames, s) = read_all(bytes);
    assert_eq!(frames.len(), 1);
    assert_eq!(s.warnings.len(), 1);
    assert_eq!(s.warnings[0].frame, Some(FrameNo(2)));
}

#[test]
fn packet_block_naming_an_undescribed_interface_stops_with_warning() {
    let p = eth_tcp(b"x");
    let mut ng = Ng::new();
    ng.shb(false).idb(1, 0, None).epb(3, 0, &p, p.len() as u32);
    let (frames, s) = read_all(ng.out);
    assert!(frames.is_empty());
    assert!(s.warnings[0].message.contains("interface 3"));
}

#[test]
fn merge_orders_by_time_and_renumbers() {
    let dir = tempfile::tempdir().unwrap();
    let a = eth_tcp(b"a");
    let b = eth_tcp(b"b");
    let pa = dir.path().join("a.pcap");
    let pb = dir.path().join("b.pcap");
    std::fs::write(
        &pa,
        pcap(false, false, 1, &[rec(10, 0, &a), rec(30, 0, &a)]),
    )
    .unwrap();
    std::fs::write(&pb, pcap(true, true, 1, &[rec(20, 0, &b), rec(40, 0, &b)])).unwrap();
    let mut m = capture::MergedReader::open(&[pa.to_str().unwrap(), pb.to_str().unwrap()]).unwrap();
    let mut seen = Vec::new();
    while let Some(f) = m.next_frame().unwrap() {
        seen.push((f.no.0, f.ts.secs, f.data.to_vec()));
    }
    assert_eq!(
        seen.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
        vec![(1, 10), (2, 20), (3, 30), (4, 40)]
    );
    assert_eq!(seen[1].2, b);
    let s = m.into_summary();
    assert_eq!(s.frames, 4);
    assert_eq!(s.first_ts, Some(Timestamp::new(10, 0)));
    assert_eq!(s.last_ts, Some(Timestamp::new(40, 0)));
    assert_eq!(s.ts_precision_digits, 9);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn arbitrary_bytes_after_a_valid_header_terminate(tail in proptest::collection::vec(any::<u8>(), 0..4096), ng in any::<bool>()) {
            let mut bytes = if ng {
                let mut n = Ng::new();
                n.shb(false).idb(1, 0, None);
                n.out
            } else {
                pcap(false, false, 1, &[])
            };
            bytes.extend_from_slice(&tail);
            let (frames, _) = read_all(bytes);
            let mut dec = PacketDecoder::new(FragLimits::default());
            for f in &frames {
                let fr = capture::Frame { no: FrameNo(f.no), ts: f.ts, caplen: f.caplen, origlen: f.origlen, linktype: LinkType(f.linktype), data: &f.data };
                let _ = dec.decode(&fr);
            }
        }

        #[test]
        fn decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300), lt in prop::sample::select(vec![0u32, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999])) {
            let mut dec = PacketDecoder::new(FragLimits::default());
            let _ = dec.decode(&frame(1, lt, &data));
            prop_assert_eq!(dec.stats().frames, 1);
        }
    }
}

// ---------- packet tests ----------

#[test]
fn link_layers_yield_the_tcp_segment() {
    let ip = ip_tcp(b"hello");
    let mut dec = PacketDecoder::new(FragLimits::default());
    assert_tcp(&mut dec, &frame(1, 1, &eth_tcp(b"hello")), b"hello");
    for raw in [101, 12, 14, 228] {
        assert_tcp(&mut dec, &frame(2, raw, &ip), b"hello");
    }
    let mut vlan = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .single_vlan(etherparse::VlanId::try_new(10).unwrap())
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1000, 512)
        .write(&mut vlan, b"hello")
        .unwrap();
    assert_tcp(&mut dec, &frame(3, 1, &vlan), b"hello");
    let mut qinq = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .double_vlan(
            etherparse::VlanId::try_new(100).unwrap(),
            etherparse::VlanId::try_new(10).unwrap(),
        )
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1000, 512)
        .write(&mut qinq, b"hello")
        .unwrap();
    assert_tcp(&mut dec, &frame(4, 1, &qinq), b"hello");

    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&ip);
    assert_tcp(&mut dec, &frame(5, 113, &sll), b"hello");
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&ip);
    assert_tcp(&mut dec, &frame(6, 276, &sll2), b"hello");

    let mut null_le = 2u32.to_le_bytes().to_vec();
    null_le.extend_from_slice(&ip);
    assert_tcp(&mut dec, &frame(7, 0, &null_le), b"hello");
    let mut null_be = 2u32.to_be_bytes().to_vec();
    null_be.extend_from_slice(&ip);
    assert_tcp(&mut dec, &frame(8, 0, &null_be), b"hello");
    assert_tcp(&mut dec, &frame(9, 108, &null_be), b"hello");
    assert!(
        matches!(dec.decode(&frame(10, 108, &null_le)), Decoded::Other),
        "LOOP is big-endian only"
    );

    assert!(matches!(dec.decode(&frame(11, 147, &ip)), Decoded::Other));
    assert_eq!(dec.stats().unsupported_linktypes, vec![LinkType(147)]);
    assert_eq!(dec.stats().tcp, 12);
}

#[test]
fn ipv6_with_extension_headers() {
    let mut v = Vec::new();
    PacketBuilder::ipv6(
        [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        64,
    )
    .tcp(40000, 443, 1000, 512)
    .write(&mut v, b"v6")
    .unwrap();
    // insert hop-by-hop (0) and destination options (60) headers before TCP
    let tcp = v.split_off(40);
    v[6] = 0;
    let plen = u16::from_be_bytes([v[4], v[5]]) + 16;
    v[4..6].copy_from_slice(&plen.to_be_bytes());
    v.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
    v.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
    v.extend_from_slice(&tcp);
    let mut dec = PacketDecoder::new(FragLimits::default());
    match dec.decode(&frame(1, 229, &v)) {
        Decoded::Tcp(s) => {
            assert_eq!(s.src.to_string(), "[2001:db8::1]:40000");
            assert_eq!(&*s.payload, b"v6");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ipv4_fragments_are_reassembled() {
    let whole = ip_tcp(&[0x5A; 100]);
    let l4 = &whole[20..]; // TCP header + payload, 120 bytes
    let frag = |off: usize, data: &[u8], more: bool| {
        let mut h = Ipv4Header::new(
            data.len() as u16,
            64,
            IpNumber::TCP,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
        )
        .unwrap();
        h.identification = 77;
        h.more_fragments = more;
        h.fragment_offset = etherparse::IpFragOffset::try_new((off / 8) as u16).unwrap();
        h.header_checksum = h.calc_header_checksum();
        let mut v = Vec::new();
        h.write(&mut v).unwrap();
        v.extend_from_slice(data);
        eth(0x0800, &v)
    };
    let (f1, f2) = (frag(0, &l4[..64], true), frag(64, &l4[64..], false));
    let mut dec = PacketDecoder::new(FragLimits::default());
    assert!(
        matches!(dec.decode(&frame(1, 1, &f2)), Decoded::Other),
        "held for reassembly"
    );
    match dec.decode(&frame(2, 1, &f1)) {
        Decoded::Tcp(s) => {
            assert_eq!(
                s.frame,
                FrameNo(2),
                "the segment belongs to the completing frame"
            );
            assert_eq!(&*s.payload, &[0x5A; 100][..]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dec.stats().fragments_reassembled, 1);
    // a lone first fragment and an unrelated tail never complete
    let mut dec = PacketDecoder::new(FragLimits {
        max_datagrams: 1,
        max_bytes: 1 << 20,
        timeout_secs: 30,
    });
    assert!(matches!(dec.decode(&frame(1, 1, &f1)), Decoded::Other));
    let other = {
        let mut h = Ipv4Header::new(8, 64, IpNumber::TCP, [10, 0, 0, 9], [10, 0, 0, 2]).unwrap();
        h.more_fragments = true;
        let mut v = Vec::new();
        h.write(&mut v).unwrap();
        v.extend_from_slice(&[0; 8]);
        eth(0x0800, &v)
    };
    assert!(matches!(dec.decode(&frame(2, 1, &other)), Decoded::Other));
    assert_eq!(
        dec.stats().fragments_dropped,
        1,
        "second datagram is over max_datagrams"
    );
}

#[test]
fn tunnels_are_decapsulated() {
    let inner = eth_tcp(b"inner");
    let mut dec = PacketDecoder::new(FragLimits::default());
    let mut vx = vec![0x08, 0, 0, 0, 0, 0, 42, 0];
    vx.extend_from_slice(&inner);
    assert_tcp(&mut dec, &frame(1, 1, &outer_udp(4789, &vx)), b"inner");
    let mut geneve = vec![0x00, 0, 0x65, 0x58, 0, 0, 42, 0];
    geneve.extend_from_slice(&inner);
    assert_tcp(&mut dec, &frame(2, 1, &outer_udp(6081, &geneve)), b"inner");
    let mut teb = vec![0x20, 0, 0x65, 0x58, 0, 0, 0, 5]; // keyed GRE, transparent Ethernet bridging
    teb.extend_from_slice(&inner);
    assert_tcp(
        &mut dec,
        &frame(3, 1, &outer_ip(IpNumber::GRE, &teb)),
        b"inner",
    );
    let mut gre_ip = vec![0, 0, 0x08, 0x00];
    gre_ip.extend_from_slice(&ip_tcp(b"inner"));
    assert_tcp(
        &mut dec,
        &frame(4, 1, &outer_ip(IpNumber::GRE, &gre_ip)),
        b"inner",
    );
    let mut e2 = vec![
        0x10, 0, 0x88, 0xBE, 0, 0, 0, 1, 0x10, 0x01, 0, 0, 0, 0, 0, 0,
    ];
    e2.extend_from_slice(&inner);
    assert_tcp(
        &mut dec,
        &frame(5, 1, &outer_ip(IpNumber::GRE, &e2)),
        b"inner",
    );
    let mut e3 = vec![0x10, 0, 0x22, 0xEB, 0, 0, 0, 1];
    e3.extend_from_slice(&[0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e3.extend_from_slice(&inner);
    assert_tcp(
        &mut dec,
        &frame(6, 1, &outer_ip(IpNumber::GRE, &e3)),
        b"inner",
    );
    // VXLAN inside GRE: two levels
    let mut nested = vec![0, 0, 0x65, 0x58];
    nested.extend_from_slice(&outer_udp(4789, &vx));
    assert_tcp(
        &mut dec,
        &frame(7, 1, &outer_ip(IpNumber::GRE, &nested)),
        b"inner",
    );
    let t = &dec.stats().tunnels;
    assert_eq!((t.vxlan, t.geneve, t.gre, t.erspan), (2, 1, 3, 2));
}

#[test]
fn tunnel_nesting_is_bounded() {
    let mut pkt = eth_tcp(b"deep");
    for _ in 0..6 {
        let mut g = vec![0, 0, 0x65, 0x58];
        g.extend_from_slice(&pkt);
        pkt = outer_ip(IpNumber::GRE, &g);
    }
    let mut dec = PacketDecoder::new(FragLimits::default());
    assert!(matches!(dec.decode(&frame(9, 1, &pkt)), Decoded::Error(e) if e.frame == FrameNo(9)));
}

#[test]
fn snaplen_truncated_packet_reports_missing_payload() {
    let full = eth_tcp(&[0x42; 1000]);
    let cut = &full[..100]; // 14 + 20 + 20 header bytes, 46 payload bytes
    let f = capture::Frame {
        no: FrameNo(1),
        ts: Timestamp::default(),
        caplen: 100,
        origlen: full.len() as u32,
        linktype: LinkType(1),
        data: cut,
    };
    let mut dec = PacketDecoder::new(FragLimits::default());
    match dec.decode(&f) {
        Decoded::Tcp(s) => {
            assert_eq!(s.payload.len(), 46);
            assert_eq!(s.payload_missing, 954);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dec.stats().truncated_segments, 1);
    // cut inside the TCP header: an error naming the frame
    let f = capture::Frame {
        data: &full[..40],
        caplen: 40,
        ..f
    };
    assert!(
        matches!(dec.decode(&f), Decoded::Error(e) if e.frame == FrameNo(1) && e.message.contains("TCP"))
    );
}

// ---------- public corpus ----------

#[test]
fn corpus_counts_match_tshark() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!(
            "note: {} absent; corpus comparison skipped",
            corpus.display()
        );
        return;
    }
    let expected = std::fs::read_to_string(root.join("tests/data/corpus-frames.tsv")).unwrap();
    let mut checked = 0;
    for line in expected.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, frames, tcp, linktype, damaged] = cols[..] else {
            panic!("bad line {line}")
        };
        let path = corpus.join(file);
        if !path.exists() {
            continue;
        }
        let mut r = capture::open(path.to_str().unwrap()).unwrap();
        let mut dec = PacketDecoder::new(FragLimits::default());
        let (mut n, mut t) = (0u64, 0u64);
        while let Some(f) = r.next_frame().unwrap() {
            n += 1;
            if matches!(dec.decode(&f), Decoded::Tcp(_)) {
                t += 1;
            }
        }
        let s = r.summary();
        // where tshark calls the file damaged we must warn too (and not blame truncation
        // for a corrupt length field); elsewhere we must read cleanly to the end
        assert_eq!(
            !s.warnings.is_empty(),
            damaged == "1",
            "{file}: {:?}",
            s.warnings
        );
        assert!(!s.file_truncated, "{file}: {:?}", s.warnings);
        assert_eq!(n.to_string(), frames, "{file}: frames");
        assert_eq!(t.to_string(), tcp, "{file}: TCP segments");
        assert_eq!(
            s.linktypes.first().map(|l| l.0.to_string()).as_deref(),
            Some(linktype),
            "{file}: link type"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

// ---------- throughput (run by hand, release) ----------

/// `TLSDIAG_BENCH_FILE=/tmp/wl-200m.pcap cargo test --release --test capture_packet -- --ignored --nocapture bench`
#[test]
#[ignore]
fn bench_open_read_decode() {
    let Ok(path) = std::env::var("TLSDIAG_BENCH_FILE") else {
        eprintln!("set TLSDIAG_BENCH_FILE");
        return;
    };
    let t0 = std::time::Instant::now();
    let mut r = capture::open(&path).unwrap();
    let mut dec = PacketDecoder::new(FragLimits::default());
    let (mut frames, mut tcp, mut payload) = (0u64, 0u64, 0u64);
    while let Some(f) = r.next_frame().unwrap() {
        frames += 1;
        if let Decoded::Tcp(s) = dec.decode(&f) {
            tcp += 1;
            payload += s.payload.len() as u64;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let file_mb = r.bytes_read() as f64 / 1e6;
    eprintln!(
        "{frames} frames ({tcp} TCP, {payload} payload bytes), {file_mb:.1} MB in {secs:.3} s: {:.0} frames/s, {:.0} MB/s; warnings {:?}",
        frames as f64 / secs,
        file_mb / secs,
        r.summary().warnings
    );
    assert!(frames > 0 && tcp > 0);
}

fn read_file(path: &std::path::Path, ahead: bool) -> (Vec<Owned>, CaptureSummary) {
    let name = path.to_str().expect("utf-8 temp path");
    let r = if ahead {
        capture::open_inflating_ahead(name)
    } else {
        capture::open(name)
    };
    collect(r.expect("header accepted"))
}

/// A compressed capture is inflated on another thread, which hands the reader
/// 512 KiB chunks with 256 KiB of room in front: records cut by a chunk's end,
/// records longer than that room (copied instead) and longer than a chunk, and
/// a file cut inside a record must all read exactly as the plain reader reads
/// them.
#[test]
fn reading_ahead_reads_every_record_as_the_plain_reader_does() {
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut seed = 7u32;
    for i in 0..400u32 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = match i % 97 {
            13 => 300 * 1024,  // longer than the room before a chunk
            51 => 1100 * 1024, // longer than a chunk
            _ => 40 + (seed >> 8) as usize % 20_000,
        };
        payloads.push((0..len).map(|j| (j as u32 ^ i) as u8).collect());
    }
    let recs: Vec<Rec> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| rec(i as u32, 0, p))
        .collect();
    let mut bytes = pcap(false, false, 1, &recs);
    // A snapshot length that admits the long records.
    bytes[16..20].copy_from_slice(&(4u32 << 20).to_le_bytes());
    assert!(bytes.len() > 8 << 20, "spans many chunks: {}", bytes.len());

    let last = payloads.last().expect("records").len();
    for cut in [bytes.len(), bytes.len() - last / 2, bytes.len() - 3] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes[..cut]).expect("compress");
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&gz.finish().expect("compress"))
            .expect("write");
        let (plain, plain_summary) = read_file(file.path(), false);
        let (ahead, ahead_summary) = read_file(file.path(), true);
        let expected = if cut == bytes.len() { 400 } else { 399 };
        assert_eq!(plain.len(), expected);
        assert_eq!(ahead.len(), plain.len(), "cut at {cut}");
        for (a, p) in ahead.iter().zip(&plain) {
            assert_eq!(
                (a.no, a.ts, a.caplen, a.data.len()),
                (p.no, p.ts, p.caplen, p.data.len())
            );
            assert!(a.data == p.data, "frame {} differs", a.no);
        }
        assert_eq!(ahead_summary.file_truncated, cut != bytes.len());
        assert_eq!(ahead_summary.file_truncated, plain_summary.file_truncated);
        let messages = |s: &CaptureSummary| {
            s.warnings
                .iter()
                .map(|w| (w.frame, w.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(messages(&ahead_summary), messages(&plain_summary));
    }
}
