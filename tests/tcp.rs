//! TCP reassembly and connection-table behaviour, checked on the exact bytes,
//! gaps and events a recording sink receives.

use proptest::prelude::*;
use std::borrow::Cow;
use std::net::SocketAddr;
use tlsdiag::packet::{Segment, TcpFlags};
use tlsdiag::tcp::{
    Conflict, ConnTable, Gap, Interest, RoleBasis, StreamSink, TcpConnection, TcpEnd, TcpLimits,
};
use tlsdiag::types::{ConnId, Dir, FrameNo, Side, Timestamp};

// ---------------------------------------------------------------- helpers

const C: &str = "10.0.0.1:50000";
const S: &str = "10.0.0.2:443";

fn ep(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    Open(ConnId, SocketAddr, SocketAddr, RoleBasis),
    Data {
        id: ConnId,
        dir: Dir,
        offset: u64,
        bytes: Vec<u8>,
        frame: FrameNo,
    },
    Gap(ConnId, Gap),
    Close(ConnId),
}

/// Records everything; optionally answers `CountOnly` once a direction has
/// received `count_only_after` bytes.
#[derive(Default)]
struct Rec {
    events: Vec<Ev>,
    closed: Vec<TcpConnection>,
    count_only_after: Option<u64>,
    received: std::collections::HashMap<(ConnId, Dir), u64>,
}

impl StreamSink for Rec {
    fn on_open(&mut self, id: ConnId, client: SocketAddr, server: SocketAddr, basis: RoleBasis) {
        self.events.push(Ev::Open(id, client, server, basis));
    }
    fn on_data(
        &mut self,
        id: ConnId,
        dir: Dir,
        offset: u64,
        data: &[u8],
        frame: FrameNo,
        _ts: Timestamp,
    ) -> Interest {
        assert!(!data.is_empty(), "empty on_data");
        self.events.push(Ev::Data {
            id,
            dir,
            offset,
            bytes: data.to_vec(),
            frame,
        });
        let got = self.received.entry((id, dir)).or_default();
        *got += data.len() as u64;
        match self.count_only_after {
            Some(limit) if *got >= limit => Interest::CountOnly,
            _ => Interest::Bytes,
        }
    }
    fn on_gap(&mut self, id: ConnId, gap: &Gap) {
        self.events.push(Ev::Gap(id, *gap));
    }
    fn on_close(&mut self, conn: TcpConnection) {
        self.events.push(Ev::Close(conn.id));
        self.closed.push(conn);
    }
}

impl Rec {
    /// The stream of one direction as text, gaps shown as `[gap N]`.
    /// Also checks that offsets are contiguous and calls sit between open and close.
    fn render(&self, id: ConnId, dir: Dir) -> String {
        let mut out = Vec::new();
        let mut at = 0u64;
        let mut open = false;
        for ev in &self.events {
            match ev {
                Ev::Open(i, ..) if *i == id => open = true,
                Ev::Close(i) if *i == id => open = false,
                Ev::Data {
                    id: i,
                    dir: d,
                    offset,
                    bytes,
                    ..
                } if *i == id && *d == dir => {
                    assert!(open, "data outside open/close");
                    assert_eq!(*offset, at, "data not contiguous");
                    out.extend_from_slice(bytes);
                    at += bytes.len() as u64;
                }
                Ev::Gap(i, g) if *i == id && g.dir == dir => {
                    assert!(open, "gap outside open/close");
                    assert_eq!(g.offset, at, "gap not at the delivery point");
                    out.extend_from_slice(format!("[gap {}]", g.len).as_bytes());
                    at += g.len;
                }
                _ => {}
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// (offset, bytes, frame) of each on_data call of one direction.
    fn pieces(&self, id: ConnId, dir: Dir) -> Vec<(u64, String, u64)> {
        self.events
            .iter()
            .filter_map(|ev| match ev {
                Ev::Data {
                    id: i,
                    dir: d,
                    offset,
                    bytes,
                    frame,
                } if *i == id && *d == dir => Some((
                    *offset,
                    String::from_utf8_lossy(bytes).into_owned(),
                    frame.0,
                )),
                _ => None,
            })
            .collect()
    }

    fn conn(&self, id: u32) -> &TcpConnection {
        self.closed
            .iter()
            .find(|c| c.id == ConnId(id))
            .expect("connection closed")
    }
}

fn flags(s: &str) -> TcpFlags {
    TcpFlags {
        syn: s.contains('S'),
        ack: s.contains('A'),
        fin: s.contains('F'),
        rst: s.contains('R'),
        psh: s.contains('P'),
    }
}

/// A segment; frame and timestamp are filled in by [`run`] from its position.
fn seg(src: &str, dst: &str, seq: u32, ack: u32, fl: &str, payload: &[u8]) -> Segment<'static> {
    Segment {
        frame: FrameNo(0),
        ts: Timestamp::default(),
        src: ep(src),
        dst: ep(dst),
        seq,
        ack,
        flags: flags(fl),
        window: 64240,
        payload: Cow::Owned(payload.to_vec()),
        payload_missing: 0,
        frame_len: 0,
    }
}

fn c2s(seq: u32, ack: u32, fl: &str, payload: &[u8]) -> Segment<'static> {
    seg(C, S, seq, ack, fl, payload)
}

fn s2c(seq: u32, ack: u32, fl: &str, payload: &[u8]) -> Segment<'static> {
    seg(S, C, seq, ack, fl, payload)
}

/// Numbers the segments as frames 1.. (one second apart unless a timestamp
/// was set), runs them through a table and finishes it.
fn run_with(limits: TcpLimits, mut rec: Rec, segs: Vec<Segment<'static>>) -> (Rec, ConnTable) {
    let mut table = ConnTable::new(limits);
    for (i, mut s) in segs.into_iter().enumerate() {
        s.frame = FrameNo(i as u64 + 1);
        if s.ts == Timestamp::default() {
            s.ts = Timestamp::new(1_700_000_000 + i as i64, 0);
        }
        table.process(&s, &mut rec);
    }
    table.finish(&mut rec);
    (rec, table)
}

fn run(segs: Vec<Segment<'static>>) -> Rec {
    run_with(TcpLimits::default(), Rec::default(), segs).0
}

/// Client ISN 1000 (data from 1001), server ISN 5000 (data from 5001).
fn handshake() -> Vec<Segment<'static>> {
    vec![
        c2s(1000, 0, "S", b""),
        s2c(5000, 1001, "SA", b""),
        c2s(1001, 5001, "A", b""),
    ]
}

const ID1: ConnId = ConnId(1);

// ---------------------------------------------------------------- tests

#[test]
fn in_order_delivers_each_segment_from_its_frame() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"hello "), // 4
        c2s(1007, 5001, "PA", b"world"),  // 5
        s2c(5001, 1012, "PA", b"hi"),     // 6
        c2s(1012, 5003, "FA", b""),       // 7
        s2c(5003, 1013, "FA", b""),       // 8
        c2s(1013, 5004, "A", b""),        // 9
    ]);
    let rec = run(segs);
    assert_eq!(rec.events[0], Ev::Open(ID1, ep(C), ep(S), RoleBasis::Syn));
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer),
        vec![(0, "hello ".into(), 4), (6, "world".into(), 5)]
    );
    assert_eq!(rec.render(ID1, Dir::ToClient), "hi");
    let c = rec.conn(1);
    assert_eq!(
        c.end,
        TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(7)
        }
    );
    assert_eq!(
        (c.syn_frame, c.synack_frame),
        (Some(FrameNo(1)), Some(FrameNo(2)))
    );
    assert_eq!(c.to_server.bytes, 11);
    assert_eq!(c.to_server.packets, 6);
    assert_eq!(c.to_client.packets, 3);
    assert!(!c.mid_stream && c.one_sided.is_none() && !c.refused);
    assert!(c.gaps.is_empty() && c.conflicts.is_empty());
    assert_eq!((c.first_frame, c.last_frame), (FrameNo(1), FrameNo(9)));
}

#[test]
fn out_of_order_is_buffered_then_delivered_in_order() {
    let mut segs = handshake();
    segs.extend([
        c2s(1006, 5001, "PA", b"BBBBB"), // 4: ahead of a hole
        c2s(1011, 5001, "PA", b"CCC"),   // 5
        c2s(1001, 5001, "PA", b"AAAAA"), // 6: fills it
    ]);
    let rec = run(segs);
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer),
        vec![
            (0, "AAAAA".into(), 6),
            (5, "BBBBB".into(), 4),
            (10, "CCC".into(), 5)
        ]
    );
    let c = rec.conn(1);
    assert_eq!(c.to_server.out_of_order, 2);
    assert_eq!(c.to_server.bytes, 13);
    assert!(c.gaps.is_empty());
}

#[test]
fn duplicates_are_counted_not_delivered_twice() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"abc"),
        c2s(1001, 5001, "PA", b"abc"),
        c2s(1004, 5001, "PA", b"def"),
        c2s(1001, 5001, "PA", b"abcdef"), // covers both, same bytes
    ]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcdef");
    let c = rec.conn(1);
    assert_eq!(c.to_server.retransmissions, 2);
    assert_eq!(c.to_server.bytes, 6);
    assert!(c.conflicts.is_empty());
}

#[test]
fn overlap_with_different_bytes_keeps_first_copy_and_records_conflict() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"0123456789"), // 4: delivered
        c2s(1006, 5001, "PA", b"56X89abcde"), // 5: byte 7 differs, 10.. is new
    ]);
    let rec = run(segs);
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer),
        vec![(0, "0123456789".into(), 4), (10, "abcde".into(), 5)]
    );
    assert_eq!(
        rec.conn(1).conflicts,
        vec![Conflict {
            dir: Dir::ToServer,
            offset: 5,
            len: 5,
            first_frame: FrameNo(4),
            frame: FrameNo(5)
        }]
    );
}

#[test]
fn overlap_inside_the_out_of_order_buffer_keeps_first_copy() {
    let mut segs = handshake();
    segs.extend([
        c2s(1011, 5001, "PA", b"KLMNO"),     // 4: [10,15) buffered
        c2s(1009, 5001, "PA", b"ijxxxxxpq"), // 5: [8,17) overlaps [10,15) with other bytes
        c2s(1001, 5001, "PA", b"abcdefgh"),  // 6: fills [0,8)
    ]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcdefghijKLMNOpq");
    assert_eq!(
        rec.conn(1).conflicts,
        vec![Conflict {
            dir: Dir::ToServer,
            offset: 10,
            len: 5,
            first_frame: FrameNo(4),
            frame: FrameNo(5)
        }]
    );
}

#[test]
fn sequence_numbers_wrap_around_2_pow_32() {
    let isn = 0xFFFF_FFF8u32; // data starts at ...F9, wraps after 7 bytes
    let segs = vec![
        c2s(isn, 0, "S", b""),
        s2c(77, isn.wrapping_add(1), "SA", b""),
        c2s(isn.wrapping_add(11), 78, "PA", b"KLMNOP"), // offset 10, past the wrap, out of order
        c2s(isn.wrapping_add(1), 78, "PA", b"ABCDEFGHIJ"), // offset 0..10 crosses the wrap
        c2s(isn.wrapping_add(17), 78, "FA", b"Q"),
    ];
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "ABCDEFGHIJKLMNOPQ");
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer)
            .iter()
            .map(|p| (p.0, p.2))
            .collect::<Vec<_>>(),
        vec![(0, 4), (10, 3), (16, 5)]
    );
    assert!(rec.conn(1).gaps.is_empty());
}

#[test]
fn gap_is_reported_at_finish_then_later_bytes_follow() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"abcde"),
        c2s(1011, 5001, "PA", b"klmno"),
    ]);
    let mut table = ConnTable::new(TcpLimits::default());
    let mut rec = Rec::default();
    for (i, mut s) in segs.into_iter().enumerate() {
        s.frame = FrameNo(i as u64 + 1);
        table.process(&s, &mut rec);
    }
    assert_eq!(
        rec.render(ID1, Dir::ToServer),
        "abcde",
        "must not bridge the hole early"
    );
    table.finish(&mut rec);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcde[gap 5]klmno");
    let gap = Gap {
        dir: Dir::ToServer,
        offset: 5,
        len: 5,
        frame_after: FrameNo(5),
    };
    assert_eq!(rec.conn(1).gaps, vec![gap]);
    assert_eq!(rec.conn(1).end, TcpEnd::Open);
}

#[test]
fn fin_before_its_data_is_recorded_and_data_still_delivered() {
    let mut segs = handshake();
    segs.extend([
        c2s(1006, 5001, "FA", b""),      // 4: FIN at offset 5, data not there yet
        c2s(1001, 5001, "PA", b"hello"), // 5
    ]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "hello");
    let c = rec.conn(1);
    assert_eq!(
        c.end,
        TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(4)
        }
    );
    assert!(
        c.gaps.is_empty(),
        "the FIN offset matches the data end: {:?}",
        c.gaps
    );
}

#[test]
fn fin_beyond_missing_data_reports_a_trailing_gap() {
    let mut segs = handshake();
    segs.extend([c2s(1001, 5001, "PA", b"ab"), c2s(1010, 5001, "FA", b"")]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "ab[gap 7]");
    assert_eq!(rec.conn(1).gaps[0].frame_after, FrameNo(5));
}

#[test]
fn mid_stream_start_uses_first_seen_seq_as_offset_zero() {
    let segs = vec![
        seg(
            "10.0.0.2:443",
            "10.0.0.1:50000",
            9000,
            777_777,
            "PA",
            b"srv",
        ), // server talks first
        seg(C, S, 777_777, 9003, "PA", b"abc"),
        seg(C, S, 777_774, 9003, "PA", b"xyz"), // before the start: not delivered
        seg(C, S, 777_780, 9003, "PA", b"def"),
    ];
    let rec = run(segs);
    assert_eq!(
        rec.events[0],
        Ev::Open(ID1, ep(C), ep(S), RoleBasis::PortGuess)
    );
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer),
        vec![(0, "abc".into(), 2), (3, "def".into(), 4)]
    );
    assert_eq!(rec.pieces(ID1, Dir::ToClient), vec![(0, "srv".into(), 1)]);
    let c = rec.conn(1);
    assert!(c.mid_stream);
    assert_eq!(c.to_server.retransmissions, 1);
    assert_eq!((c.syn_frame, c.one_sided), (None, None));
}

#[test]
fn port_guess_prefers_tls_port_then_lower_port() {
    let segs = vec![
        seg("10.0.0.1:443", "10.0.0.9:80", 1, 1, "A", b""), // 443 wins over the lower 80
        seg("10.0.0.3:40000", "10.0.0.4:30000", 1, 1, "A", b""),
    ];
    let rec = run(segs);
    assert_eq!(
        rec.events[0],
        Ev::Open(
            ID1,
            ep("10.0.0.9:80"),
            ep("10.0.0.1:443"),
            RoleBasis::PortGuess
        )
    );
    assert_eq!(
        rec.events[1],
        Ev::Open(
            ConnId(2),
            ep("10.0.0.3:40000"),
            ep("10.0.0.4:30000"),
            RoleBasis::PortGuess
        )
    );
}

#[test]
fn synack_without_syn_makes_its_receiver_the_client() {
    let segs = vec![
        s2c(5000, 1001, "SA", b""),
        c2s(1001, 5001, "PA", b"hello"), // offset 0 thanks to the SYN-ACK's ack
    ];
    let rec = run(segs);
    assert_eq!(
        rec.events[0],
        Ev::Open(ID1, ep(C), ep(S), RoleBasis::SynAck)
    );
    assert_eq!(rec.pieces(ID1, Dir::ToServer), vec![(0, "hello".into(), 2)]);
    assert!(!rec.conn(1).mid_stream);
}

#[test]
fn syn_with_data_delivers_it_at_offset_zero() {
    let segs = vec![
        c2s(1000, 0, "S", b"early"),
        s2c(5000, 1006, "SA", b""),
        c2s(1006, 5001, "PA", b"-late"),
    ];
    let rec = run(segs);
    assert_eq!(
        rec.pieces(ID1, Dir::ToServer),
        vec![(0, "early".into(), 1), (5, "-late".into(), 3)]
    );
    assert!(rec.conn(1).syn_data);
}

#[test]
fn syn_answered_by_rst_is_refused_and_each_retry_is_an_attempt() {
    let segs = vec![
        c2s(1000, 0, "S", b""),
        s2c(0, 1001, "RA", b""),
        c2s(1000, 0, "S", b""), // the client retries with the same ISN: a new attempt
        s2c(0, 1001, "RA", b""),
    ];
    let rec = run(segs);
    assert_eq!(
        rec.closed.len(),
        2,
        "each refused attempt is its own connection"
    );
    for (id, rst) in [(1, 2), (2, 4)] {
        let c = rec.conn(id);
        assert!(c.refused, "attempt {id}");
        assert_eq!(
            c.end,
            TcpEnd::Rst {
                by: Side::Server,
                frame: FrameNo(rst)
            }
        );
        assert_eq!(c.to_server.packets, 1);
    }
}

#[test]
fn rst_after_handshake_is_not_refused() {
    let mut segs = handshake();
    segs.push(s2c(5001, 1001, "RA", b""));
    let rec = run(segs);
    assert!(!rec.conn(1).refused);
    assert_eq!(
        rec.conn(1).end,
        TcpEnd::Rst {
            by: Side::Server,
            frame: FrameNo(4)
        }
    );
}

#[test]
fn port_reuse_after_close_opens_a_new_connection() {
    // Both FINs acknowledged (frame 7): the connection is closed at once and
    // a tombstone recognises the late retransmitted FIN, which opens nothing.
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"one"),     // 4
        c2s(1004, 5001, "FA", b""),        // 5
        s2c(5001, 1005, "FA", b""),        // 6
        c2s(1005, 5002, "A", b""),         // 7 both FINs acknowledged: closed
        s2c(5001, 1005, "FA", b""),        // 8 late retransmitted FIN: dropped
        c2s(90_000, 0, "S", b""),          // 9 new ISN: new connection
        s2c(70_000, 90_001, "SA", b""),    // 10
        c2s(90_001, 70_001, "PA", b"two"), // 11
    ]);
    let (rec, table) = run_with(TcpLimits::default(), Rec::default(), segs);
    let close1 = rec
        .events
        .iter()
        .position(|e| *e == Ev::Close(ID1))
        .expect("closed");
    let open2 = rec
        .events
        .iter()
        .position(|e| matches!(e, Ev::Open(ConnId(2), ..)))
        .expect("opened");
    assert!(
        close1 < open2,
        "old connection closed before the new one opens"
    );
    assert_eq!(rec.render(ID1, Dir::ToServer), "one");
    assert_eq!(rec.render(ConnId(2), Dir::ToServer), "two");
    assert_eq!(rec.conn(1).last_frame, FrameNo(7));
    assert_eq!(rec.conn(2).first_frame, FrameNo(9));
    assert_eq!(
        (
            table.stats().late_segments,
            table.stats().connections_opened
        ),
        (1, 2),
        "the late FIN opened no connection"
    );
}

#[test]
fn late_fin_before_the_final_ack_joins_the_old_connection() {
    // Without the final ACK the connection lingers: the retransmitted FIN
    // lands in it, and the new SYN closes it (port reuse).
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"one"),     // 4
        c2s(1004, 5001, "FA", b""),        // 5
        s2c(5001, 1005, "FA", b""),        // 6
        s2c(5001, 1005, "FA", b""),        // 7 retransmitted FIN: same connection
        c2s(90_000, 0, "S", b""),          // 8 new ISN: new connection
        s2c(70_000, 90_001, "SA", b""),    // 9
        c2s(90_001, 70_001, "PA", b"two"), // 10
    ]);
    let (rec, table) = run_with(TcpLimits::default(), Rec::default(), segs);
    assert_eq!(
        rec.conn(1).to_client.packets,
        3,
        "late FIN went to the old connection"
    );
    assert_eq!(rec.conn(1).last_frame, FrameNo(7));
    assert_eq!(rec.conn(2).first_frame, FrameNo(8));
    assert_eq!(
        (table.stats().reused, table.stats().connections_opened),
        (1, 2)
    );
}

#[test]
fn a_finished_connection_lingers_then_closes() {
    // FIN both ways without the final ACK: the connection stays for late
    // segments, and is closed once LINGER_SECS of capture time have passed
    // (memory follows the connections in flight, not the capture).
    let t = |secs: i64| Timestamp::new(1_700_000_000 + secs, 0);
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"one"), // 4
        c2s(1004, 5001, "FA", b""),    // 5
        s2c(5001, 1005, "FA", b""),    // 6
    ]);
    let mut other = c2s(7000, 0, "S", b"");
    other.src = "10.0.0.7:40000".parse().expect("literal");
    other.ts = t(10);
    segs.push(other);
    let mut rec = Rec::default();
    let mut table = ConnTable::new(TcpLimits::default());
    for (i, mut s) in segs.into_iter().enumerate() {
        s.frame = FrameNo(i as u64 + 1);
        if i < 6 {
            s.ts = t(0);
        }
        table.process(&s, &mut rec);
        if i == 5 {
            assert!(!rec.events.contains(&Ev::Close(ID1)), "still lingering");
        }
    }
    assert!(
        rec.events.contains(&Ev::Close(ID1)),
        "closed {} s later, before the end of the capture",
        tlsdiag::tcp::LINGER_SECS
    );
}

#[test]
fn new_isn_reuses_only_after_a_long_time_when_not_closed() {
    let t = |secs: i64| Timestamp::new(1_700_000_000 + secs, 0);
    let mut a = c2s(1000, 0, "S", b"");
    a.ts = t(0);
    let mut b = c2s(2000, 0, "S", b""); // 1 s later: same connection
    b.ts = t(1);
    let mut c = c2s(3000, 0, "S", b""); // 120 s after the first SYN: new connection
    c.ts = t(120);
    let rec = run(vec![a, b, c]);
    assert_eq!(rec.closed.len(), 2);
    assert_eq!(rec.conn(1).to_server.packets, 2);
    assert_eq!(rec.conn(1).end, TcpEnd::Open);
    assert_eq!(rec.conn(2).syn_frame, Some(FrameNo(3)));
}

#[test]
fn eviction_at_the_cap_closes_the_least_recently_active() {
    let syn = |port: u16| seg(&format!("10.0.0.1:{port}"), S, 100, 0, "S", b"");
    let segs = vec![
        syn(40001),                                 // 1 conn 1
        syn(40002),                                 // 2 conn 2
        syn(40003),                                 // 3 conn 3
        seg("10.0.0.1:40001", S, 100, 0, "S", b""), // 4 touches conn 1
        syn(40004),                                 // 5 evicts conn 2
        syn(40005),                                 // 6 evicts conn 3
    ];
    let limits = TcpLimits {
        max_connections: 3,
        ..TcpLimits::default()
    };
    let (rec, table) = run_with(limits, Rec::default(), segs);
    let order: Vec<u32> = rec.closed.iter().map(|c| c.id.0).collect();
    assert_eq!(
        order,
        vec![2, 3, 1, 4, 5],
        "evicted first, then the rest in order of first frame"
    );
    assert_eq!(rec.conn(2).end, TcpEnd::Evicted { frame: FrameNo(5) });
    assert_eq!(rec.conn(3).end, TcpEnd::Evicted { frame: FrameNo(6) });
    assert_eq!(rec.conn(1).end, TcpEnd::Open);
    let st = table.stats();
    assert_eq!(
        (
            st.evicted,
            st.peak_open,
            st.connections_opened,
            st.connections_closed
        ),
        (2, 3, 5, 5)
    );
}

#[test]
fn half_open_cap_evicts_the_oldest_unanswered_and_spares_answered_ones() {
    let syn = |port: u16| seg(&format!("10.0.0.1:{port}"), S, 100, 0, "S", b"");
    let synack = |port: u16| seg(S, &format!("10.0.0.1:{port}"), 500, 101, "SA", b"");
    let segs = vec![
        syn(40001),    // 1 conn 1, half-open
        synack(40001), // 2 answered: no longer half-open
        syn(40002),    // 3 conn 2, half-open
        syn(40003),    // 4 conn 3, half-open
        syn(40004),    // 5 conn 4: a third half-open one evicts conn 2
        syn(40005),    // 6 conn 5 evicts conn 3
        synack(40004), // 7 conn 4 answered
        syn(40006),    // 8 conn 6: conn 5 and 6 half-open, nothing evicted
    ];
    let limits = TcpLimits {
        max_half_open: 2,
        ..TcpLimits::default()
    };
    let (rec, table) = run_with(limits, Rec::default(), segs);
    assert_eq!(rec.conn(2).end, TcpEnd::Evicted { frame: FrameNo(5) });
    assert_eq!(rec.conn(3).end, TcpEnd::Evicted { frame: FrameNo(6) });
    for answered in [1, 4, 5, 6] {
        assert_eq!(rec.conn(answered).end, TcpEnd::Open, "conn {answered}");
    }
    let st = table.stats();
    assert_eq!((st.evicted, st.half_open_evicted, st.peak_open), (2, 2, 4));
}

#[test]
fn count_only_stops_delivery_but_keeps_counting() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"hello"), // 4: sink answers CountOnly
        c2s(1006, 5001, "PA", b"world"), // 5: counted, not delivered
        c2s(1016, 5001, "PA", b"later"), // 6: after a hole: not buffered, no gap
        c2s(1006, 5001, "PA", b"world"), // 7: retransmission
        c2s(1021, 5001, "FA", b""),      // 8
    ]);
    let rec = Rec {
        count_only_after: Some(5),
        ..Rec::default()
    };
    let (rec, _) = run_with(TcpLimits::default(), rec, segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "hello");
    let c = rec.conn(1);
    assert_eq!(c.to_server.bytes, 15);
    assert_eq!(c.to_server.retransmissions, 1);
    assert!(c.gaps.is_empty());
    assert_eq!(
        c.end,
        TcpEnd::Fin {
            by: Side::Client,
            frame: FrameNo(8)
        }
    );
}

#[test]
fn one_sided_capture_is_flagged() {
    let segs = vec![c2s(1, 1, "PA", b"abc"), c2s(4, 1, "PA", b"def")];
    let rec = run(segs);
    assert_eq!(rec.conn(1).one_sided, Some(Dir::ToServer));
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcdef");
}

#[test]
fn ack_beyond_a_hole_releases_the_gap_at_once() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"abcde"), // 4
        c2s(1011, 5001, "PA", b"klmno"), // 5: after a hole [5,10)
        s2c(5001, 1016, "A", b""),       // 6: server got everything up to 15
    ]);
    let mut table = ConnTable::new(TcpLimits::default());
    let mut rec = Rec::default();
    for (i, mut s) in segs.into_iter().enumerate() {
        s.frame = FrameNo(i as u64 + 1);
        table.process(&s, &mut rec);
    }
    assert_eq!(
        rec.render(ID1, Dir::ToServer),
        "abcde[gap 5]klmno",
        "released before finish"
    );
    table.finish(&mut rec);
    let gap = Gap {
        dir: Dir::ToServer,
        offset: 5,
        len: 5,
        frame_after: FrameNo(5),
    };
    assert_eq!(rec.conn(1).gaps, vec![gap]);
}

#[test]
fn ack_short_of_the_hole_keeps_waiting() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"abcde"),
        c2s(1011, 5001, "PA", b"klmno"),
        s2c(5001, 1006, "A", b""), // only acks what was delivered
        c2s(1006, 5001, "PA", b"fghij"),
    ]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcdefghijklmno");
    assert!(rec.conn(1).gaps.is_empty());
}

#[test]
fn buffer_over_cap_releases_the_front_hole() {
    let mut segs = handshake();
    segs.extend([
        c2s(1001, 5001, "PA", b"ab"),  // 4
        c2s(1006, 5001, "PA", b"fgh"), // 5: buffered (3 bytes)
        c2s(1009, 5001, "PA", b"ijk"), // 6: 6 bytes > cap 4: hole [2,5) released
        c2s(1003, 5001, "PA", b"cde"), // 7: too late, already a gap
    ]);
    let limits = TcpLimits {
        max_ooo_bytes: 4,
        ..TcpLimits::default()
    };
    let (rec, _) = run_with(limits, Rec::default(), segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "ab[gap 3]fghijk");
    assert_eq!(rec.conn(1).gaps[0].frame_after, FrameNo(5));
    assert_eq!(rec.conn(1).to_server.retransmissions, 1);
}

#[test]
fn truncated_segment_becomes_a_gap_never_garbage() {
    let mut segs = handshake();
    let mut cut = c2s(1001, 5001, "PA", b"abc"); // 4: 7 more bytes cut by snaplen
    cut.payload_missing = 7;
    segs.extend([cut, c2s(1011, 5001, "PA", b"XYZ")]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abc[gap 7]XYZ");
    let c = rec.conn(1);
    assert_eq!(
        c.gaps,
        vec![Gap {
            dir: Dir::ToServer,
            offset: 3,
            len: 7,
            frame_after: FrameNo(4)
        }]
    );
    assert_eq!(c.to_server.truncated_segments, 1);
    assert_eq!(c.to_server.bytes, 13);
}

#[test]
fn truncated_out_of_order_segment_gap_sits_inside_the_stream() {
    let mut segs = handshake();
    let mut cut = c2s(1004, 5001, "PA", b"de"); // 4: [3,5) present, [5,8) cut
    cut.payload_missing = 3;
    segs.extend([
        cut,
        c2s(1009, 5001, "PA", b"ij"),
        c2s(1001, 5001, "PA", b"abc"),
    ]);
    let rec = run(segs);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abcde[gap 3]ij");
}

#[test]
fn zero_windows_and_keepalives() {
    let mut segs = handshake();
    let mut zw = s2c(5001, 1004, "A", b"");
    zw.window = 0;
    segs.extend([
        c2s(1001, 5001, "PA", b"abc"),
        zw,
        c2s(1003, 5001, "A", b"\0"),
    ]);
    let rec = run(segs);
    let c = rec.conn(1);
    assert_eq!(c.to_client.zero_windows, 1);
    assert_eq!(rec.render(ID1, Dir::ToServer), "abc");
    assert!(
        c.conflicts.is_empty(),
        "a keep-alive byte is not a conflict"
    );
}

#[test]
fn million_half_open_syns_stay_under_the_cap() {
    #[derive(Default)]
    struct Counting {
        opened: u64,
        closed: u64,
    }
    impl StreamSink for Counting {
        fn on_open(&mut self, _: ConnId, _: SocketAddr, _: SocketAddr, _: RoleBasis) {
            self.opened += 1;
        }
        fn on_data(
            &mut self,
            _: ConnId,
            _: Dir,
            _: u64,
            _: &[u8],
            _: FrameNo,
            _: Timestamp,
        ) -> Interest {
            Interest::Bytes
        }
        fn on_gap(&mut self, _: ConnId, _: &Gap) {}
        fn on_close(&mut self, _: TcpConnection) {
            self.closed += 1;
        }
    }
    const N: u32 = 1_000_000;
    let limits = TcpLimits {
        max_connections: 10_000,
        ..TcpLimits::default()
    };
    let mut table = ConnTable::new(limits);
    let mut sink = Counting::default();
    let dst = ep(S);
    for i in 0..N {
        let ip = std::net::Ipv4Addr::from(0x0a00_0000 + (i >> 12));
        let src = SocketAddr::new(ip.into(), 1024 + (i & 0xfff) as u16);
        let s = Segment {
            frame: FrameNo(u64::from(i) + 1),
            ts: Timestamp::new(1_700_000_000 + i64::from(i / 1000), 0),
            src,
            dst,
            seq: i,
            ack: 0,
            flags: flags("S"),
            window: 1024,
            payload: Cow::Borrowed(&[]),
            payload_missing: 0,
            frame_len: 0,
        };
        table.process(&s, &mut sink);
        assert!(table.stats().open <= 10_000);
    }
    let st = table.stats().clone();
    assert_eq!(st.peak_open, 10_000);
    assert_eq!(st.evicted, u64::from(N) - 10_000);
    table.finish(&mut sink);
    assert_eq!((sink.opened, sink.closed), (u64::from(N), u64::from(N)));
    assert_eq!(table.stats().open, 0);
}

// ---------------------------------------------------------------- property

/// Cuts `data` into segments at `cuts`, plus overlapping re-sends `extra`,
/// permutes them with `order` and duplicates some.
fn scrambled(
    data: &[u8],
    cuts: &[usize],
    extra: &[(usize, usize)],
    order: &[usize],
    dups: &[usize],
) -> Vec<(usize, usize)> {
    let mut bounds: Vec<usize> = cuts
        .iter()
        .map(|c| c % data.len())
        .chain([0, data.len()])
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    for &(a, len) in extra {
        let a = a % data.len();
        ranges.push((a, (a + 1 + len).min(data.len())));
    }
    let first = ranges[0];
    let mut rest: Vec<(usize, usize)> = ranges[1..].to_vec();
    for (i, &o) in order.iter().enumerate() {
        if !rest.is_empty() {
            let n = rest.len();
            rest.swap(i % n, o % n);
        }
    }
    for &d in dups {
        if !rest.is_empty() {
            let r = rest[d % rest.len()];
            rest.push(r);
        }
    }
    let mut all = vec![first];
    all.extend(rest);
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_permutation_and_duplication_reassembles(
        data in proptest::collection::vec(any::<u8>(), 1..1500),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        extra in proptest::collection::vec((any::<usize>(), 0usize..300), 0..5),
        order in proptest::collection::vec(any::<usize>(), 0..30),
        dups in proptest::collection::vec(any::<usize>(), 0..10),
        isn in any::<u32>(),
        with_syn in any::<bool>(),
        first_anywhere in any::<bool>(),
    ) {
        let mut ranges = scrambled(&data, &cuts, &extra, &order, &dups);
        // With a SYN the stream start is known, so even the first range may come late.
        if with_syn && first_anywhere && ranges.len() > 1 {
            let last = ranges.len() - 1;
            ranges.swap(0, last);
        }
        let mut segs = Vec::new();
        if with_syn {
            segs.push(c2s(isn, 0, "S", b""));
        }
        let base = isn.wrapping_add(1);
        for (a, b) in ranges {
            segs.push(c2s(base.wrapping_add(a as u32), 1, "PA", &data[a..b]));
        }
        let rec = run(segs);
        let mut bytes = Vec::new();
        let mut at = 0u64;
        for ev in &rec.events {
            if let Ev::Data { offset, bytes: b, .. } = ev {
                prop_assert_eq!(*offset, at);
                bytes.extend_from_slice(b);
                at += b.len() as u64;
            }
        }
        prop_assert_eq!(&bytes, &data);
        let c = rec.conn(1);
        prop_assert!(c.gaps.is_empty());
        prop_assert!(c.conflicts.is_empty());
        prop_assert_eq!(c.to_server.bytes, data.len() as u64);
    }
}
