//! TCP reassembly: an arbitrary sequence of segments between two endpoints
//! (flags, sequence and acknowledgment numbers, payloads all chosen by the
//! fuzzer) must never panic, and delivered offsets stay consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::borrow::Cow;
use std::net::SocketAddr;
use tlsdiag::packet::{Segment, TcpFlags};
use tlsdiag::tcp::{ConnTable, Gap, Interest, RoleBasis, StreamSink, TcpConnection, TcpLimits};
use tlsdiag::types::{ConnId, Dir, FrameNo, Timestamp};

#[derive(Default)]
struct Sink {
    next: std::collections::HashMap<(ConnId, Dir), u64>,
}

impl StreamSink for Sink {
    fn on_open(&mut self, _: ConnId, _: SocketAddr, _: SocketAddr, _: RoleBasis) {}
    fn on_data(&mut self, id: ConnId, dir: Dir, offset: u64, data: &[u8], _: FrameNo, _: Timestamp) -> Interest {
        let next = self.next.entry((id, dir)).or_insert(offset);
        assert_eq!(*next, offset, "bytes delivered out of order or twice");
        *next = offset + data.len() as u64;
        Interest::Bytes
    }
    fn on_gap(&mut self, id: ConnId, gap: &Gap) {
        let next = self.next.entry((id, gap.dir)).or_insert(gap.offset);
        assert_eq!(*next, gap.offset, "gap not where delivery stopped");
        *next = gap.offset + gap.len;
    }
    fn on_close(&mut self, _: TcpConnection) {}
}

fuzz_target!(|data: &[u8]| {
    let a: SocketAddr = "10.0.0.1:40000".parse().unwrap_or_else(|_| unreachable!());
    let b: SocketAddr = "10.0.0.2:443".parse().unwrap_or_else(|_| unreachable!());
    let mut table = ConnTable::new(TcpLimits { max_connections: 4, max_ooo_bytes: 4096, max_half_open: 2 });
    let mut sink = Sink::default();
    let mut frame = 0u64;
    let mut rest = data;
    while rest.len() >= 11 {
        let (h, tail) = rest.split_at(11);
        let len = usize::from(h[10] & 0x3f).min(tail.len());
        let (payload, tail) = tail.split_at(len);
        rest = tail;
        frame += 1;
        let from_a = h[0] & 0x80 == 0;
        let seg = Segment {
            frame: FrameNo(frame),
            ts: Timestamp::new(frame as i64, 0),
            src: if from_a { a } else { b },
            dst: if from_a { b } else { a },
            seq: u32::from_be_bytes([h[1], h[2], h[3], h[4]]),
            ack: u32::from_be_bytes([h[5], h[6], h[7], h[8]]),
            flags: TcpFlags { syn: h[0] & 1 != 0, ack: h[0] & 2 != 0, fin: h[0] & 4 != 0, rst: h[0] & 8 != 0, psh: h[0] & 16 != 0 },
            window: u16::from(h[9]),
            payload: Cow::Borrowed(payload),
            payload_missing: u32::from(h[0] & 0x20 != 0) * 7,
            frame_len: 60 + len as u32,
        };
        table.process(&seg, &mut sink);
    }
    table.finish(&mut sink);
});
