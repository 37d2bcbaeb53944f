//! Stage benchmarks: each hot stage of the pipeline timed on its own
//! (capture → packet → tcp → tls → model and certs → rules → report), over
//! every capture committed in `captures/`, read into memory once before
//! timing; `whole_pipeline` runs them together for scale.
//!
//!     cargo bench --bench stages                        # all of them
//!     cargo bench --bench stages -- tcp                 # names matching "tcp"
//!     cargo bench --bench stages -- --sample-count 10   # a quicker run
//!
//! Each stage's input is made by the stages before it, once, outside the
//! timed part, so a bench times its own stage only. The committed captures
//! are small (one to three connections each), so the benches run over all
//! of them: one iteration is one pass over the whole set. Throughput is in
//! input bytes of the stage (file bytes, frame bytes, TCP payload, stream
//! bytes, DER) or output bytes for the renderers. Figures are in
//! docs/performance.md.

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Cursor};
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use tlsdiag::capture::{self, CaptureReader, Frame, LinkType};
use tlsdiag::certs::CertCache;
use tlsdiag::model::Analysis;
use tlsdiag::packet::{Decoded, FragLimits, PacketDecoder, Segment};
use tlsdiag::pipeline::{self, Limits};
use tlsdiag::report::{self, ReportOptions, TextOptions};
use tlsdiag::rules::{Context, Engine, RuleOptions, Selection};
use tlsdiag::tcp::{ConnTable, Gap, Interest, RoleBasis, StreamSink, TcpConnection, TcpLimits};
use tlsdiag::tls::{HandshakeMsg, HsContext, TlsConnDecoder, TlsLimits, TlsSession};
use tlsdiag::types::{ConnId, Dir, FrameNo, Timestamp};

fn main() {
    divan::main();
}

// ---------------------------------------------------------------------------
// Input: the committed captures and what each stage makes of them.

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// One committed capture, with the input of every stage precomputed.
struct Capture {
    name: String,
    path: PathBuf,
    bytes: Arc<[u8]>,
    /// Every frame, copied out of the reader (input of the packet decoder).
    frames: Vec<OwnedFrame>,
    /// The TCP segments the packet decoder made (input of TCP reassembly).
    segments: Vec<Segment<'static>>,
    /// Per connection and direction, the stream offset from which the TLS
    /// decoder answered `CountOnly` (so TCP sees the pipeline's answers).
    count_only_from: HashMap<(ConnId, Dir), u64>,
    /// What TCP handed to the TLS stage, one list of calls per connection.
    streams: Vec<Vec<StreamEvent>>,
    /// Each connection as TCP and TLS left it (input of model building).
    closed: Vec<(TcpConnection, Option<TlsSession>)>,
    /// The whole analysis (input of the rules and the renderers).
    analysis: Analysis,
}

/// A frame that owns its bytes.
struct OwnedFrame {
    no: FrameNo,
    ts: Timestamp,
    caplen: u32,
    origlen: u32,
    linktype: LinkType,
    data: Vec<u8>,
}

impl OwnedFrame {
    fn frame(&self) -> Frame<'_> {
        Frame {
            no: self.no,
            ts: self.ts,
            caplen: self.caplen,
            origlen: self.origlen,
            linktype: self.linktype,
            data: &self.data,
        }
    }
}

/// One call TCP made to the TLS decoder of a connection.
enum StreamEvent {
    Data {
        dir: Dir,
        offset: u64,
        data: Vec<u8>,
        frame: FrameNo,
        ts: Timestamp,
    },
    Gap {
        dir: Dir,
        offset: u64,
        len: u64,
    },
}

static CAPTURES: LazyLock<Vec<Capture>> = LazyLock::new(|| {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no captures in {}",
        captures_dir().display()
    );
    paths.into_iter().map(Capture::load).collect()
});

fn memory_reader(name: &str, bytes: &Arc<[u8]>) -> CaptureReader {
    capture::from_reader(name, Box::new(Cursor::new(Arc::clone(bytes)))).unwrap()
}

impl Capture {
    fn load(path: PathBuf) -> Capture {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes: Arc<[u8]> = std::fs::read(&path).unwrap().into();

        let mut reader = memory_reader(&name, &bytes);
        let mut frames = Vec::new();
        while let Some(f) = reader.next_frame().unwrap() {
            frames.push(OwnedFrame {
                no: f.no,
                ts: f.ts,
                caplen: f.caplen,
                origlen: f.origlen,
                linktype: f.linktype,
                data: f.data.to_vec(),
            });
        }

        let mut packets = PacketDecoder::new(FragLimits::default());
        let segments = frames
            .iter()
            .filter_map(|f| match packets.decode(&f.frame()) {
                Decoded::Tcp(s) => Some(owned_segment(s)),
                Decoded::Other | Decoded::Error(_) => None,
            })
            .collect::<Vec<_>>();

        let mut recorder = Recorder::default();
        let mut table = ConnTable::new(TcpLimits::default());
        for s in &segments {
            table.process(s, &mut recorder);
        }
        table.finish(&mut recorder);

        let mut closed = Vec::new();
        pipeline::decode_closed(
            memory_reader(&name, &bytes),
            &Limits::default(),
            None,
            &mut |_| {},
            &mut |c| {
                closed.push((c.tcp, c.tls));
                ControlFlow::Continue(())
            },
        )
        .unwrap();

        let certs = CertCache::new();
        let decoding = pipeline::decode_capture(
            memory_reader(&name, &bytes),
            &Limits::default(),
            None,
            &certs,
            &mut |_| {},
        )
        .unwrap();
        let opts = RuleOptions::default();
        let cx = rule_context(&opts);
        let analysis = pipeline::analyze(decoding, &cx, &Selection::default());

        Capture {
            name,
            path,
            bytes,
            frames,
            segments,
            count_only_from: recorder.count_only_from,
            streams: recorder.streams,
            closed,
            analysis,
        }
    }
}

fn owned_segment(s: Segment<'_>) -> Segment<'static> {
    Segment {
        frame: s.frame,
        ts: s.ts,
        src: s.src,
        dst: s.dst,
        seq: s.seq,
        ack: s.ack,
        flags: s.flags,
        window: s.window,
        payload: Cow::Owned(s.payload.into_owned()),
        payload_missing: s.payload_missing,
        frame_len: s.frame_len,
    }
}

fn rule_context(options: &RuleOptions) -> Context<'_> {
    Context {
        options,
        trust: None,
        crls: &[],
    }
}

/// Runs a real TLS decoder behind TCP (for its answers) and records every
/// call TCP makes, to replay them to the TLS stage alone.
#[derive(Default)]
struct Recorder {
    open: HashMap<ConnId, (TlsConnDecoder, Vec<StreamEvent>)>,
    count_only_from: HashMap<(ConnId, Dir), u64>,
    streams: Vec<Vec<StreamEvent>>,
}

impl StreamSink for Recorder {
    fn on_open(&mut self, id: ConnId, _: SocketAddr, _: SocketAddr, _: RoleBasis) {
        let decoder = TlsConnDecoder::new(TlsLimits::default());
        self.open.insert(id, (decoder, Vec::new()));
    }

    fn on_data(
        &mut self,
        id: ConnId,
        dir: Dir,
        offset: u64,
        data: &[u8],
        frame: FrameNo,
        ts: Timestamp,
    ) -> Interest {
        let (decoder, events) = self.open.get_mut(&id).unwrap();
        events.push(StreamEvent::Data {
            dir,
            offset,
            data: data.to_vec(),
            frame,
            ts,
        });
        let interest = decoder.on_data(dir, offset, data, frame, ts);
        if interest == Interest::CountOnly {
            self.count_only_from.entry((id, dir)).or_insert(offset);
        }
        interest
    }

    fn on_gap(&mut self, id: ConnId, gap: &Gap) {
        let (decoder, events) = self.open.get_mut(&id).unwrap();
        events.push(StreamEvent::Gap {
            dir: gap.dir,
            offset: gap.offset,
            len: gap.len,
        });
        decoder.on_gap(gap.dir, gap.offset, gap.len);
    }

    fn on_close(&mut self, conn: TcpConnection) {
        let (_, events) = self.open.remove(&conn.id).unwrap();
        if !events.is_empty() {
            self.streams.push(events);
        }
    }
}

/// A ClientHello body (without the 4-byte handshake header) from a capture.
static CLIENT_HELLO: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let capture = CAPTURES.iter().find(|c| c.name == "tls13-ok.pcap").unwrap();
    let first = capture.streams.iter().flatten().find_map(|e| match e {
        StreamEvent::Data {
            dir: Dir::ToServer,
            offset: 0,
            data,
            ..
        } => Some(data),
        _ => None,
    });
    // One plaintext handshake record holding the whole ClientHello.
    let data = first.unwrap();
    assert_eq!(data[0], 22, "handshake record");
    assert_eq!(data[5], 1, "client_hello");
    let len = usize::from(data[6]) << 16 | usize::from(data[7]) << 8 | usize::from(data[8]);
    let body = data[9..9 + len].to_vec();
    let decoded = tlsdiag::tls::decode_handshake(1, &body, &HsContext::default());
    assert!(matches!(decoded, HandshakeMsg::ClientHello(_)));
    body
});

/// The DER of a certificate of the test PKI (`captures/pki/NAME`, PEM).
fn pki_der(name: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(captures_dir().join("pki").join(name)).unwrap();
    let b64: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    tlsdiag::tls::session::b64::decode(&b64).unwrap()
}

fn total(f: impl Fn(&Capture) -> usize) -> usize {
    CAPTURES.iter().map(f).sum()
}

// ---------------------------------------------------------------------------
// 1. Record walk: the capture reader over every frame.

mod record_walk {
    use super::*;

    /// `CaptureReader::next_frame` over every frame, the readers (over the files'
    /// bytes in memory) opened outside the timed part. One input holds a
    /// reader per capture, each with its 1 MiB buffer: one pass per sample.
    #[divan::bench(sample_size = 1)]
    fn frames(bencher: Bencher) {
        bencher
            .counter(BytesCount::new(total(|c| c.bytes.len())))
            .counter(ItemsCount::new(total(|c| c.frames.len())))
            .with_inputs(|| {
                CAPTURES
                    .iter()
                    .map(|c| memory_reader(&c.name, &c.bytes))
                    .collect::<Vec<_>>()
            })
            .bench_local_refs(|readers| {
                let mut sum = 0u64;
                for r in readers.iter_mut() {
                    sum += walk(r);
                }
                sum
            });
    }

    /// `capture::from_reader` alone: detecting the format and setting up
    /// the reader, per capture (its cost is per file, not per byte).
    #[divan::bench]
    fn open(bencher: Bencher) {
        bencher
            .counter(ItemsCount::new(CAPTURES.len()))
            .bench_local(|| {
                CAPTURES
                    .iter()
                    .map(|c| memory_reader(&c.name, black_box(&c.bytes)))
                    .map(|r| r.summary().frames)
                    .sum::<u64>()
            });
    }

    /// `capture::open` on each file (from the page cache) and every frame:
    /// the stage end to end.
    #[divan::bench]
    fn open_file(bencher: Bencher) {
        let paths: Vec<String> = CAPTURES
            .iter()
            .map(|c| c.path.to_string_lossy().into_owned())
            .collect();
        bencher
            .counter(BytesCount::new(total(|c| c.bytes.len())))
            .counter(ItemsCount::new(total(|c| c.frames.len())))
            .bench_local(|| {
                let mut sum = 0u64;
                for p in &paths {
                    sum += walk(&mut capture::open(black_box(p)).unwrap());
                }
                sum
            });
    }

    fn walk(reader: &mut CaptureReader) -> u64 {
        let mut sum = 0u64;
        while let Some(f) = reader.next_frame().unwrap() {
            sum += u64::from(f.caplen) + u64::from(black_box(f.data).first().copied().unwrap_or(0));
        }
        sum
    }
}

// ---------------------------------------------------------------------------
// 2. Packet decode: frame → TCP segment.

/// `PacketDecoder::decode` on every frame held in memory (one decoder per
/// capture, as the pipeline has).
#[divan::bench]
fn packet_decode(bencher: Bencher) {
    bencher
        .counter(BytesCount::new(total(|c| {
            c.frames.iter().map(|f| f.data.len()).sum()
        })))
        .counter(ItemsCount::new(total(|c| c.frames.len())))
        .bench_local(|| {
            let mut tcp = 0usize;
            for c in CAPTURES.iter() {
                let mut decoder = PacketDecoder::new(FragLimits::default());
                for f in &c.frames {
                    if let Decoded::Tcp(s) = decoder.decode(black_box(&f.frame())) {
                        tcp += black_box(s).payload.len();
                    }
                }
            }
            tcp
        });
}

// ---------------------------------------------------------------------------
// 3. TCP reassembly.

/// A sink that only counts, answering `CountOnly` where the TLS decoder did.
struct CountingSink<'a> {
    count_only_from: &'a HashMap<(ConnId, Dir), u64>,
    bytes: u64,
    closed: u64,
}

impl StreamSink for CountingSink<'_> {
    fn on_open(&mut self, _: ConnId, _: SocketAddr, _: SocketAddr, _: RoleBasis) {}

    fn on_data(
        &mut self,
        id: ConnId,
        dir: Dir,
        offset: u64,
        data: &[u8],
        _: FrameNo,
        _: Timestamp,
    ) -> Interest {
        self.bytes += black_box(data).len() as u64;
        match self.count_only_from.get(&(id, dir)) {
            Some(&from) if offset >= from => Interest::CountOnly,
            _ => Interest::Bytes,
        }
    }

    fn on_gap(&mut self, _: ConnId, _: &Gap) {}

    fn on_close(&mut self, conn: TcpConnection) {
        black_box(conn);
        self.closed += 1;
    }
}

/// `ConnTable::process` on every decoded segment, then `finish` (one table
/// per capture), into a sink that does no TLS work.
#[divan::bench]
fn tcp_reassembly(bencher: Bencher) {
    bencher
        .counter(BytesCount::new(total(|c| {
            c.segments.iter().map(|s| s.payload.len()).sum()
        })))
        .counter(ItemsCount::new(total(|c| c.segments.len())))
        .bench_local(|| {
            let mut delivered = 0u64;
            for c in CAPTURES.iter() {
                let mut table = ConnTable::new(TcpLimits::default());
                let mut sink = CountingSink {
                    count_only_from: &c.count_only_from,
                    bytes: 0,
                    closed: 0,
                };
                for s in &c.segments {
                    table.process(black_box(s), &mut sink);
                }
                table.finish(&mut sink);
                delivered += sink.bytes + sink.closed;
            }
            delivered
        });
}

// ---------------------------------------------------------------------------
// 4. TLS records and handshake messages.

mod tls {
    use super::*;

    /// `TlsConnDecoder::on_data`/`on_gap`/`finish` over what TCP delivered
    /// for every connection (no key log).
    #[divan::bench]
    fn session_decode(bencher: Bencher) {
        let bytes: usize = total(|c| {
            c.streams
                .iter()
                .flatten()
                .map(|e| match e {
                    StreamEvent::Data { data, .. } => data.len(),
                    StreamEvent::Gap { .. } => 0,
                })
                .sum()
        });
        bencher
            .counter(BytesCount::new(bytes))
            .counter(ItemsCount::new(total(|c| c.streams.len())))
            .bench_local(|| {
                let mut messages = 0usize;
                for c in CAPTURES.iter() {
                    for events in &c.streams {
                        messages += replay(black_box(events)).messages.len();
                    }
                }
                messages
            });
    }

    fn replay(events: &[StreamEvent]) -> TlsSession {
        let mut decoder = TlsConnDecoder::new(TlsLimits::default());
        for e in events {
            match e {
                StreamEvent::Data {
                    dir,
                    offset,
                    data,
                    frame,
                    ts,
                } => {
                    decoder.on_data(*dir, *offset, data, *frame, *ts);
                }
                StreamEvent::Gap { dir, offset, len } => decoder.on_gap(*dir, *offset, *len),
            }
        }
        decoder.finish()
    }

    /// `tls::decode_handshake` on the ClientHello body of `tls13-ok.pcap`.
    #[divan::bench]
    fn client_hello(bencher: Bencher) {
        let body = &*CLIENT_HELLO;
        let ctx = HsContext::default();
        bencher
            .counter(BytesCount::new(body.len()))
            .bench_local(|| tlsdiag::tls::decode_handshake(1, black_box(body), &ctx));
    }
}

// ---------------------------------------------------------------------------
// Model building (between TLS and the rules).

/// `model::build` of every connection from its TCP summary and TLS session,
/// with a fresh `CertCache` per pass (each distinct certificate summarised
/// once per pass).
#[divan::bench(sample_size = 1)]
fn model_build(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(total(|c| c.closed.len())))
        .with_inputs(|| {
            CAPTURES
                .iter()
                .flat_map(|c| c.closed.iter().cloned())
                .collect::<Vec<_>>()
        })
        .bench_local_values(|closed| {
            let certs = CertCache::new();
            closed
                .into_iter()
                .map(|(tcp, tls)| tlsdiag::model::build(tcp, tls, &certs))
                .collect::<Vec<_>>()
        });
}

// ---------------------------------------------------------------------------
// 5. Certificate summary.

/// `certs::summarize` on one DER certificate of the test PKI: the server
/// leaf (EC P-256), an RSA-2048 client certificate, and a self-signed
/// certificate (whose own signature `summarize` checks).
#[divan::bench(args = ["server.crt", "client-sha1.crt", "server-selfsigned.crt"])]
fn cert_summary(bencher: Bencher, name: &str) {
    let der = pki_der(name);
    bencher
        .counter(BytesCount::new(der.len()))
        .bench_local(|| tlsdiag::certs::summarize(black_box(&der)));
}

// ---------------------------------------------------------------------------
// 6. Rules.

/// `rules::Engine` (all rules, default options) over every connection model
/// of each capture, then `finish` (cross-connection rules); one engine per
/// capture, as the pipeline has. Chain analyses come from the process-wide
/// memo (`certs::chain_report`), warm after the first pass, as on a capture
/// whose chains repeat.
#[divan::bench]
fn rules_engine(bencher: Bencher) {
    let opts = RuleOptions::default();
    let cx = rule_context(&opts);
    let sel = Selection::default();
    bencher
        .counter(ItemsCount::new(total(|c| c.analysis.connections.len())))
        .bench_local(|| {
            let mut findings = 0usize;
            for c in CAPTURES.iter() {
                let mut engine = Engine::new(&cx, &sel);
                for conn in &c.analysis.connections {
                    findings += engine.connection(black_box(conn)).len();
                }
                findings += engine.finish(&c.analysis.capture).len();
            }
            findings
        });
}

// ---------------------------------------------------------------------------
// 7. Rendering.

mod render {
    use super::*;

    /// `--format json`.
    #[divan::bench]
    fn json(bencher: Bencher) {
        render(bencher, |out, a| report::json::write(out, a));
    }

    /// `--format jsonl` (one line per connection, then the capture line).
    #[divan::bench]
    fn jsonl(bencher: Bencher) {
        render(bencher, |out, a| report::json::write_lines(out, a));
    }

    /// `--format text` with the default `--limit 50` (with the styling
    /// escapes, which the app strips when writing to a file or pipe).
    #[divan::bench]
    fn text(bencher: Bencher) {
        let opts = TextOptions {
            all: false,
            limit: 50,
        };
        render(bencher, |out, a| report::text::write(out, a, opts));
    }

    /// `--format md`.
    #[divan::bench]
    fn markdown(bencher: Bencher) {
        let opts = ReportOptions::default();
        render(bencher, |out, a| report::markdown::write(out, a, &opts));
    }

    /// `--format html`.
    #[divan::bench]
    fn html(bencher: Bencher) {
        let opts = ReportOptions::default();
        render(bencher, |out, a| report::html::write(out, a, &opts));
    }

    /// Renders every capture's analysis into one reused buffer.
    fn render(bencher: Bencher, write: impl Fn(&mut Vec<u8>, &Analysis) -> io::Result<()>) {
        let mut out = Vec::new();
        let mut size = 0;
        for c in CAPTURES.iter() {
            out.clear();
            write(&mut out, &c.analysis).unwrap();
            size += out.len();
        }
        bencher
            .counter(BytesCount::new(size))
            .counter(ItemsCount::new(CAPTURES.len()))
            .bench_local(|| {
                for c in CAPTURES.iter() {
                    out.clear();
                    write(&mut out, black_box(&c.analysis)).unwrap();
                }
                out.len()
            });
    }
}

// ---------------------------------------------------------------------------
// For scale: the stages 1–6 together, as `analyze` runs them.

/// `pipeline::decode_capture` then `pipeline::analyze` on each capture in
/// memory (no rendering).
#[divan::bench]
fn whole_pipeline(bencher: Bencher) {
    let opts = RuleOptions::default();
    let cx = rule_context(&opts);
    let sel = Selection::default();
    bencher
        .counter(BytesCount::new(total(|c| c.bytes.len())))
        .bench_local(|| {
            let certs = CertCache::new();
            let mut findings = 0usize;
            for c in CAPTURES.iter() {
                let decoding = pipeline::decode_capture(
                    memory_reader(&c.name, black_box(&c.bytes)),
                    &Limits::default(),
                    None,
                    &certs,
                    &mut |_| {},
                )
                .unwrap();
                findings += pipeline::analyze(decoding, &cx, &sel).findings.len();
            }
            findings
        });
}
