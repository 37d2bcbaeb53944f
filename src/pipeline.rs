//! The pipeline from capture bytes to the connection model, as a library call.
//!
//! capture → packet → tcp → tls → model. Connections are built into their
//! model as soon as TCP closes them, and their decoding state is freed then.

use crate::capture::{self, CaptureError, CaptureReader, CaptureSummary};
use crate::certs::CertCache;
use crate::model::{self, Connection};
use crate::packet::{Decoded, FragLimits, PacketDecoder, PacketError};
use crate::tcp::{ConnTable, Gap, Interest, RoleBasis, StreamSink, TcpConnection, TcpLimits};
use crate::tls::{KeyLog, TlsConnDecoder, TlsLimits};
use crate::types::{ConnId, Dir, FrameNo, Timestamp};
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::sync::Arc;

/// Caps that keep memory bounded, with documented defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    pub tcp: TcpLimits,
    pub tls: TlsLimits,
    pub frag: FragLimits,
    /// Which connections to decode (`--host`, `--port`); the rest are only
    /// tracked by TCP and dropped when they close.
    pub filter: ConnFilter,
}

/// Keeps the connections with a given address or port at either end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnFilter {
    pub host: Option<IpAddr>,
    pub port: Option<u16>,
}

impl ConnFilter {
    /// True when the connection between `a` and `b` passes the filter.
    pub fn accepts(&self, a: SocketAddr, b: SocketAddr) -> bool {
        let host_ok = self
            .host
            .is_none_or(|h| same_ip(a.ip(), h) || same_ip(b.ip(), h));
        let port_ok = self.port.is_none_or(|p| a.port() == p || b.port() == p);
        host_ok && port_ok
    }
}

/// Equal addresses, also across IPv4 and its IPv4-mapped IPv6 form.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// True when the connection's SNI matches `glob` (see [`glob_match`]).
pub fn sni_matches(c: &Connection, glob: &str) -> bool {
    c.tls
        .as_ref()
        .and_then(|t| t.sni.as_deref())
        .is_some_and(|sni| glob_match(glob, sni))
}

/// Case-insensitive glob match with `*` and `?` (linear backtracking, no recursion).
pub fn glob_match(glob: &str, text: &str) -> bool {
    let p: Vec<char> = glob.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Everything read from one capture (or one merged set of pieces).
#[derive(Debug)]
pub struct Decoding {
    pub capture: CaptureSummary,
    pub connections: Vec<Connection>,
    pub packet_errors: Vec<PacketError>,
    /// Packet-level counters worth reporting.
    pub frames_tcp: u64,
    pub connections_evicted: u64,
    /// Of those, connections the server had not answered (`--max-half-open`).
    pub half_open_evicted: u64,
    /// Connections left out by `--host` / `--port`.
    pub connections_filtered: u64,
}

/// Builds the model of each connection as TCP hands it over.
struct Collector<'c> {
    /// Decoders of open connections that have sent bytes (boxed: they are
    /// large, and the map moves its values when it grows).
    decoders: foldhash::HashMap<ConnId, Box<TlsConnDecoder>>,
    /// Sessions of connections that can receive no more bytes, until TCP closes them.
    finished: foldhash::HashMap<ConnId, crate::tls::TlsSession>,
    /// Open connections the filter left out: dropped at close.
    skipped: HashSet<ConnId>,
    filter: ConnFilter,
    filtered: u64,
    limits: TlsLimits,
    /// Where each finished connection goes; `Break` stops the reading.
    emit: &'c mut dyn FnMut(Closed) -> ControlFlow<()>,
    stopped: bool,
    /// Key log in force (`--keylog` plus the capture's own secrets blocks).
    keys: Option<Arc<KeyLog>>,
}

impl StreamSink for Collector<'_> {
    fn on_open(&mut self, id: ConnId, client: SocketAddr, server: SocketAddr, _basis: RoleBasis) {
        // The decoder is made with the first byte: half-open connections (a
        // SYN flood) cost nothing here.
        if !self.filter.accepts(client, server) {
            self.skipped.insert(id);
        }
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
        match self.decoder(id) {
            Some(d) => d.on_data(dir, offset, data, frame, ts),
            None => Interest::CountOnly,
        }
    }

    fn on_gap(&mut self, id: ConnId, gap: &Gap) {
        if let Some(d) = self.decoder(id) {
            d.on_gap(gap.dir, gap.offset, gap.len);
        }
    }

    fn on_finished(&mut self, id: ConnId) {
        // No more bytes: decode what is left now and free the buffers, so a
        // connection lingering for late segments costs only its session.
        if !self.skipped.contains(&id) {
            let session = match self.decoders.remove(&id) {
                Some(d) => d.finish(),
                None => self.empty_session(),
            };
            self.finished.insert(id, session);
        }
    }

    fn on_close(&mut self, conn: TcpConnection) {
        if self.skipped.remove(&conn.id) {
            self.filtered += 1;
            return;
        }
        let tls = match self.decoders.remove(&conn.id) {
            Some(d) => d.finish(),
            None => match self.finished.remove(&conn.id) {
                Some(s) => s,
                None => self.empty_session(),
            },
        };
        let tls = Some(tls); // every accepted connection has a session, maybe empty
        if !self.stopped && (self.emit)(Closed { tcp: conn, tls }).is_break() {
            self.stopped = true;
        }
    }
}

impl Collector<'_> {
    /// The decoder of an open, accepted connection, made on first use, with
    /// the keys now in force (a secrets block may have arrived meanwhile).
    fn decoder(&mut self, id: ConnId) -> Option<&mut TlsConnDecoder> {
        if self.skipped.contains(&id) || self.finished.contains_key(&id) {
            return None;
        }
        let (limits, keys) = (self.limits, &self.keys);
        let d = self
            .decoders
            .entry(id)
            .or_insert_with(|| Box::new(TlsConnDecoder::with_keys(limits, keys.clone())));
        d.set_keys(keys);
        Some(d)
    }

    /// The session of a connection that sent no byte (what a decoder that
    /// saw nothing reports).
    fn empty_session(&self) -> crate::tls::TlsSession {
        TlsConnDecoder::with_keys(self.limits, self.keys.clone()).finish()
    }
}

/// Progress callback: called now and then with input bytes consumed so far.
pub type Progress<'a> = &'a mut dyn FnMut(u64);

/// Where frames come from: one file, or several merged by timestamp.
pub trait FrameSource {
    fn next_frame(&mut self) -> Result<Option<crate::capture::Frame<'_>>, CaptureError>;
    fn bytes_read(&self) -> u64;
    fn into_summary(self) -> CaptureSummary;
    /// Key-log text from pcapng Decryption Secrets Blocks read so far.
    fn secrets(&self) -> Vec<u8>;
    /// Its length (cheap; checked after every frame).
    fn secrets_len(&self) -> usize;
}

impl FrameSource for CaptureReader {
    fn next_frame(&mut self) -> Result<Option<crate::capture::Frame<'_>>, CaptureError> {
        CaptureReader::next_frame(self)
    }
    fn bytes_read(&self) -> u64 {
        CaptureReader::bytes_read(self)
    }
    fn into_summary(self) -> CaptureSummary {
        CaptureReader::into_summary(self)
    }
    fn secrets(&self) -> Vec<u8> {
        self.summary().keylog.clone()
    }
    fn secrets_len(&self) -> usize {
        self.summary().keylog.len()
    }
}

impl FrameSource for crate::capture::MergedReader {
    fn next_frame(&mut self) -> Result<Option<crate::capture::Frame<'_>>, CaptureError> {
        crate::capture::MergedReader::next_frame(self)
    }
    fn bytes_read(&self) -> u64 {
        crate::capture::MergedReader::bytes_read(self)
    }
    fn into_summary(self) -> CaptureSummary {
        crate::capture::MergedReader::into_summary(self)
    }
    fn secrets(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for s in self.file_summaries() {
            all.extend_from_slice(&s.keylog);
            all.push(b'\n');
        }
        all
    }
    fn secrets_len(&self) -> usize {
        self.file_summaries().iter().map(|s| s.keylog.len()).sum()
    }
}

/// Reads one capture to the end and returns its connections' models,
/// ordered by id. `keys` (from `--keylog`) and any Decryption Secrets Blocks
/// in the capture decrypt what they have secrets for; `None` and a capture
/// without secrets blocks mean no keys were given.
pub fn decode_capture<R: FrameSource>(
    reader: R,
    limits: &Limits,
    keys: Option<&KeyLog>,
    certs: &CertCache,
    progress: Progress<'_>,
) -> Result<Decoding, CaptureError> {
    let mut connections = Vec::new();
    let mut decoding = decode_each(reader, limits, keys, certs, progress, &mut |c| {
        connections.push(c);
        ControlFlow::Continue(())
    })?;
    connections.sort_by_key(|c| c.id);
    decoding.connections = connections;
    Ok(decoding)
}

/// A connection TCP has closed, decoded but not yet turned into its model
/// (see [`Closed::build`]), so that the model can be built on another thread.
pub struct Closed {
    pub tcp: TcpConnection,
    pub tls: Option<crate::tls::TlsSession>,
}

impl Closed {
    /// The connection's model.
    pub fn build(self, certs: &CertCache) -> Connection {
        model::build(self.tcp, self.tls, certs)
    }
}

/// Reads one capture and hands each connection's model to `emit` as soon as
/// TCP closes it (and the rest at the end), then drops it: memory follows the
/// connections in flight, not the file. `emit` returning `Break` (a closed
/// output) stops the reading early. The returned [`Decoding`] holds the
/// capture's facts and no connections.
pub fn decode_each<R: FrameSource>(
    reader: R,
    limits: &Limits,
    keys: Option<&KeyLog>,
    certs: &CertCache,
    progress: Progress<'_>,
    emit: &mut dyn FnMut(Connection) -> ControlFlow<()>,
) -> Result<Decoding, CaptureError> {
    decode_closed(reader, limits, keys, progress, &mut |c| {
        emit(c.build(certs))
    })
}

/// [`decode_each`] one step earlier: hands over each closed connection
/// before its model is built.
pub fn decode_closed<R: FrameSource>(
    mut reader: R,
    limits: &Limits,
    keys: Option<&KeyLog>,
    progress: Progress<'_>,
    emit: &mut dyn FnMut(Closed) -> ControlFlow<()>,
) -> Result<Decoding, CaptureError> {
    let mut packets = PacketDecoder::new(limits.frag);
    let mut table = ConnTable::new(limits.tcp);
    let mut sink = Collector {
        decoders: foldhash::HashMap::default(),
        finished: foldhash::HashMap::default(),
        skipped: HashSet::new(),
        filter: limits.filter,
        filtered: 0,
        limits: limits.tls,
        emit,
        stopped: false,
        keys: keys.map(|k| Arc::new(k.clone())),
    };
    let mut secrets_seen = 0usize;
    let mut keylog_notes = Vec::new();
    if let Some(k) = keys.filter(|k| k.problem_count > 0) {
        keylog_notes.push(format!(
            "key log: {} lines not understood and skipped (first: {})",
            k.problem_count,
            k.problems.first().map_or("", String::as_str)
        ));
    }
    let mut packet_errors = Vec::new();
    let mut frames_tcp = 0u64;
    let mut n = 0u64;
    while let Some(frame) = reader.next_frame()? {
        match packets.decode(&frame) {
            Decoded::Tcp(seg) => {
                frames_tcp += 1;
                table.process(&seg, &mut sink);
                if sink.stopped {
                    break;
                }
            }
            Decoded::Other => {}
            Decoded::Error(e) => {
                if packet_errors.len() < 1000 {
                    packet_errors.push(e);
                }
            }
        }
        if reader.secrets_len() != secrets_seen {
            secrets_seen = reader.secrets_len();
            let mut log = keys.cloned().unwrap_or_default();
            let before = log.problem_count;
            log.extend(&reader.secrets());
            if log.problem_count > before {
                keylog_notes.push(format!(
                    "decryption secrets block: {} lines not understood",
                    log.problem_count - before
                ));
            }
            sink.keys = Some(Arc::new(log));
        }
        n += 1;
        if n.is_multiple_of(65_536) {
            progress(reader.bytes_read());
        }
    }
    if !sink.stopped {
        table.finish(&mut sink);
    }
    let connections_evicted = table.stats().evicted;
    let half_open_evicted = table.stats().half_open_evicted;
    let connections_filtered = sink.filtered;
    let mut capture = reader.into_summary();
    capture
        .warnings
        .extend(
            keylog_notes
                .into_iter()
                .map(|message| crate::capture::CaptureWarning {
                    frame: None,
                    message,
                }),
        );
    Ok(Decoding {
        capture,
        connections: Vec::new(),
        packet_errors,
        frames_tcp,
        connections_evicted,
        half_open_evicted,
        connections_filtered,
    })
}

/// Opens and decodes one file (`-` for stdin).
pub fn decode_file(
    path: &str,
    limits: &Limits,
    keys: Option<&KeyLog>,
    certs: &CertCache,
    progress: Progress<'_>,
) -> Result<Decoding, CaptureError> {
    decode_capture(
        capture::open_inflating_ahead(path)?,
        limits,
        keys,
        certs,
        progress,
    )
}

/// Turns a decoded capture into the full analysis: model + findings + summary.
pub fn analyze(
    mut decoding: Decoding,
    cx: &crate::rules::Context<'_>,
    sel: &crate::rules::Selection,
) -> crate::model::Analysis {
    let connections = std::mem::take(&mut decoding.connections);
    let mut stream = Streaming::new(cx, sel);
    let mut findings = Vec::new();
    for c in &connections {
        findings.extend(stream.add(c));
    }
    let mut analysis = stream.finish(decoding);
    findings.append(&mut analysis.findings);
    crate::rules::sort(&mut findings);
    analysis.findings = findings;
    analysis.connections = connections;
    analysis
}

/// The analysis of connections one at a time, as [`decode_each`] hands them
/// over: each connection's own findings at once; the findings that need all
/// connections, and the summary, at the end.
pub struct Streaming<'a> {
    engine: crate::rules::Engine<'a>,
    summary: crate::model::SummaryBuilder,
}

impl<'a> Streaming<'a> {
    pub fn new(cx: &'a crate::rules::Context<'a>, sel: &crate::rules::Selection) -> Self {
        Streaming {
            engine: crate::rules::Engine::new(cx, sel),
            summary: crate::model::SummaryBuilder::default(),
        }
    }

    /// The findings about `c` (sorted); `c` can be dropped afterwards.
    pub fn add(&mut self, c: &Connection) -> Vec<crate::rules::Finding> {
        let findings = self.engine.connection(c);
        self.summary.add(c, &findings);
        findings
    }

    /// The analysis without its connections: the capture's facts, the
    /// summary of every connection added, and the findings that needed all of
    /// them (cross-connection and capture-wide), sorted.
    pub fn finish(self, decoding: Decoding) -> crate::model::Analysis {
        use crate::model::{Analysis, Tool};
        let capture = capture_facts(&decoding);
        let findings = self.engine.finish(&capture);
        let mut summary = self.summary;
        summary.count(&findings);
        Analysis {
            schema_version: crate::model::SCHEMA_VERSION,
            tool: Tool::default(),
            capture,
            summary: summary.finish(),
            connections: Vec::new(),
            findings,
        }
    }
}

/// The capture's facts: files, frames, time span, warnings, limits hit.
fn capture_facts(decoding: &Decoding) -> crate::model::CaptureFacts {
    use crate::model::{CaptureFacts, FileFacts, Warning};
    let capture = &decoding.capture;
    let mut warnings: Vec<Warning> = capture
        .warnings
        .iter()
        .map(|w| Warning {
            frame: w.frame,
            message: w.message.clone(),
        })
        .collect();
    warnings.extend(decoding.packet_errors.iter().map(|e| Warning {
        frame: Some(e.frame),
        message: e.message.clone(),
    }));
    let mut limits_hit = Vec::new();
    let idle_evicted = decoding
        .connections_evicted
        .saturating_sub(decoding.half_open_evicted);
    if idle_evicted > 0 {
        limits_hit.push(format!(
            "{idle_evicted} idle connections were evicted because too many were in flight (raise with --max-connections)"
        ));
    }
    if decoding.half_open_evicted > 0 {
        limits_hit.push(format!(
            "{} connections the server had not answered were evicted because too many were waiting at once, as in a SYN flood (raise with --max-half-open)",
            decoding.half_open_evicted
        ));
    }
    CaptureFacts {
        files: vec![FileFacts::from_summary(capture)],
        frames: capture.frames,
        first_ts: capture.first_ts,
        last_ts: capture.last_ts,
        warnings,
        limits_hit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob_match("*.example.com", "API.Example.COM"));
        assert!(glob_match("api?.example.com", "api2.example.com"));
        assert!(!glob_match("api?.example.com", "api.example.com"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYbc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(!glob_match("example.com", "www.example.com"));
        assert!(glob_match("**x", "x"));
    }

    #[test]
    fn filter_checks_either_end() {
        let a: SocketAddr = "10.0.0.1:51000".parse().expect("addr");
        let b: SocketAddr = "10.0.0.2:443".parse().expect("addr");
        let host = |h: &str| ConnFilter {
            host: Some(h.parse().expect("ip")),
            port: None,
        };
        assert!(host("10.0.0.1").accepts(a, b) && host("10.0.0.2").accepts(a, b));
        assert!(host("::ffff:10.0.0.2").accepts(a, b));
        assert!(!host("10.0.0.3").accepts(a, b));
        let port = |p| ConnFilter {
            host: None,
            port: Some(p),
        };
        assert!(port(443).accepts(a, b) && port(51000).accepts(a, b));
        assert!(!port(8443).accepts(a, b));
        assert!(ConnFilter::default().accepts(a, b));
    }
}
