//! One direction of a connection: stream bytes → records → handshake messages.
//!
//! Bytes arrive in arbitrary chunks. A partial record is buffered (at most one
//! record plus one chunk); encrypted record bodies are skipped without
//! buffering; handshake messages are reassembled across records within the
//! per-direction handshake byte limit. A frame log maps stream offsets back
//! to the frames that carried them, so every message names its frames.

use super::enums::{self, IanaValue, Registry};
use super::handshake::{self, HandshakeMsg};
use super::prelude::{self, Start};
use super::session::{
    AlertEvent, CcsEvent, EncryptedRecord, HandshakeEvent, HandshakeGap, NotTls, Prelude,
};
use super::{Shared, TlsSession};
use crate::tcp::Interest;
use crate::types::{Dir, FrameNo, Timestamp};
use std::collections::VecDeque;

/// RFC 8446 §5.2: the largest legal record payload.
const MAX_RECORD_LEN: usize = 16384 + 2048;
/// Frame-log entries kept per direction (one per distinct frame still referenced).
const FRAME_LOG_CAP: usize = 65536;
/// Plaintext bytes kept for classification and previews.
const PREFIX_KEEP: usize = 512;
/// Prelude frames listed.
const PRELUDE_FRAMES: usize = 64;

/// Maps stream offsets to the frame (and its timestamp) that carried them.
#[derive(Default)]
struct FrameLog {
    entries: VecDeque<(u64, FrameNo, Timestamp)>,
}

impl FrameLog {
    fn push(&mut self, offset: u64, frame: FrameNo, ts: Timestamp) -> bool {
        if self.entries.back().is_some_and(|e| e.1 == frame) {
            return false;
        }
        let overflow = self.entries.len() >= FRAME_LOG_CAP;
        if overflow {
            self.entries.pop_front();
        }
        self.entries.push_back((offset, frame, ts));
        overflow
    }

    /// The frame holding stream byte `offset` (the oldest known one if it was trimmed).
    fn at(&self, offset: u64) -> (FrameNo, Timestamp) {
        let idx = self.entries.partition_point(|e| e.0 <= offset);
        idx.checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .or(self.entries.front())
            .map(|e| (e.1, e.2))
            .unwrap_or_default()
    }

    /// Forgets entries that only cover bytes before `needed`.
    fn trim(&mut self, needed: u64) {
        while self.entries.get(1).is_some_and(|e| e.0 <= needed) {
            self.entries.pop_front();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing classified yet.
    Start,
    /// Plaintext; scanning for a TLS start.
    Plain,
    /// TLS records.
    Tls,
    /// Inspection over (framing error, limit, or handshake done).
    Stopped,
}

/// Plaintext seen before TLS (or instead of it).
#[derive(Debug, Default)]
pub(super) struct PlainInfo {
    bytes: u64,
    prefix: Vec<u8>,
    frames: Vec<FrameNo>,
    first_frame: Option<FrameNo>,
    /// Frame of the first TLS record found after the plaintext.
    tls_start: Option<FrameNo>,
    scan_limit_reached: bool,
}

/// What a direction hands back at the end.
pub(super) struct DirEnd {
    dir: Dir,
    plain: PlainInfo,
}

/// Decoding state of one direction.
pub(super) struct DirState {
    dir: Dir,
    mode: Mode,
    next: Option<u64>,
    log: FrameLog,
    /// Unconsumed bytes; `buf_start` is the stream offset of `buf[0]`.
    buf: Vec<u8>,
    buf_start: u64,
    /// Encrypted record body bytes still to skip.
    skip: usize,
    /// Index in `encrypted_records` of the record being skipped.
    skip_rec: Option<usize>,
    /// Framing lost after a gap; look for the next record header.
    resync: bool,
    /// Partial handshake messages and where their bytes came from.
    hs: Vec<u8>,
    hs_map: Vec<(usize, u64)>,
    /// Stream offset of the last byte of the record being decoded: messages
    /// are dated by the frame that completes their record, as Wireshark does.
    rec_last: u64,
    hs_total: usize,
    hs_stopped: bool,
    /// A ChangeCipherSpec was seen here (TLS ≤ 1.2).
    encrypted: bool,
    /// The handshake bytes being fed come from a decrypted record.
    cur_decrypted: bool,
    enc_count: usize,
    records: u64,
    last_frame: FrameNo,
    /// Highest frame delivered so far: out-of-order bytes released by a later
    /// frame complete their message in that frame, as Wireshark shows it.
    max_seen: (FrameNo, Timestamp),
    plain: PlainInfo,
}

impl DirState {
    pub(super) fn new(dir: Dir) -> Self {
        DirState {
            dir,
            mode: Mode::Start,
            next: None,
            log: FrameLog::default(),
            buf: Vec::new(),
            buf_start: 0,
            skip: 0,
            skip_rec: None,
            resync: false,
            hs: Vec::new(),
            hs_map: Vec::new(),
            rec_last: 0,
            hs_total: 0,
            hs_stopped: false,
            encrypted: false,
            cur_decrypted: false,
            enc_count: 0,
            records: 0,
            last_frame: FrameNo::default(),
            max_seen: (FrameNo::default(), Timestamp::default()),
            plain: PlainInfo::default(),
        }
    }

    fn interest(&self) -> Interest {
        if self.mode == Mode::Stopped {
            Interest::CountOnly
        } else {
            Interest::Bytes
        }
    }

    fn name(&self) -> &'static str {
        match self.dir {
            Dir::ToServer => "to_server",
            Dir::ToClient => "to_client",
        }
    }

    /// Ends inspection of this direction at the current frame.
    fn stop(&mut self, sh: &mut Shared) {
        self.mode = Mode::Stopped;
        self.buf = Vec::new();
        self.hs = Vec::new();
        self.hs_map = Vec::new();
        let frame = self.last_frame;
        sh.stats(self.dir)
            .inspection_stopped_frame
            .get_or_insert(frame);
    }

    pub(super) fn on_data(
        &mut self,
        sh: &mut Shared,
        offset: u64,
        data: &[u8],
        frame: FrameNo,
        ts: Timestamp,
    ) -> Interest {
        if self.mode == Mode::Stopped {
            return Interest::CountOnly;
        }
        let expected = self.next.unwrap_or(0);
        let (offset, data) = if offset < expected {
            let cut = usize::try_from(expected - offset).unwrap_or(usize::MAX);
            match data.get(cut..) {
                Some(rest) if !rest.is_empty() => (expected, rest),
                _ => return self.interest(),
            }
        } else {
            if offset > expected {
                self.on_gap(sh, expected, offset - expected);
            }
            (offset, data)
        };
        self.next = Some(offset + data.len() as u64);
        self.last_frame = frame;
        if frame > self.max_seen.0 {
            self.max_seen = (frame, ts);
        }
        if self.log.push(offset, frame, ts) {
            sh.hit(format!(
                "{}: more than {FRAME_LOG_CAP} frames in one message",
                self.name()
            ));
        }
        let mut data = data;
        if self.buf.is_empty() {
            self.buf_start = offset;
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = data.get(n..).unwrap_or_default();
                self.buf_start = offset + n as u64;
                if self.skip == 0 {
                    self.end_encrypted(sh, self.buf_start - 1);
                }
            }
        }
        self.buf.extend_from_slice(data);
        self.process(sh);
        self.interest()
    }

    pub(super) fn on_gap(&mut self, sh: &mut Shared, offset: u64, len: u64) {
        self.next = Some(offset.saturating_add(len));
        match self.mode {
            Mode::Stopped => return,
            Mode::Start | Mode::Plain if self.buf.is_empty() && self.plain.bytes == 0 => {
                self.mode = Mode::Tls;
                self.resync = true;
                sh.session.gaps_in_handshake.push(HandshakeGap {
                    dir: self.dir,
                    offset,
                    len,
                });
            }
            Mode::Start | Mode::Plain => {
                self.plain
                    .first_frame
                    .get_or_insert(self.log.at(self.buf_start).0);
                self.take_plain(self.buf.len());
                self.mode = Mode::Plain;
            }
            Mode::Tls => self.gap_in_records(sh, offset, len),
        }
        self.buf.clear();
        self.buf_start = offset.saturating_add(len);
    }

    fn gap_in_records(&mut self, sh: &mut Shared, offset: u64, len: u64) {
        sh.crypto.on_gap(self.dir);
        let in_handshake = !(self.encrypted || sh.tls13_keys) || !self.hs.is_empty();
        if in_handshake {
            sh.session.gaps_in_handshake.push(HandshakeGap {
                dir: self.dir,
                offset,
                len,
            });
        }
        if self.skip > 0 && self.buf.is_empty() && len <= self.skip as u64 {
            // The gap lies inside an encrypted body we were skipping anyway.
            self.skip -= len as usize;
            if self.skip == 0 {
                self.skip_rec = None;
            }
            return;
        }
        let frame = self.last_frame;
        if !self.buf.is_empty() && !self.resync {
            let msg = format!(
                "record cut by a {len}-byte TCP gap ({} bytes buffered)",
                self.buf.len()
            );
            sh.malformed(self.dir, frame, self.buf_start, msg);
        }
        if !self.hs.is_empty() {
            let start = self.hs_map.first().map_or(offset, |m| m.1);
            let msg = format!("handshake message cut by a {len}-byte TCP gap");
            sh.malformed(self.dir, frame, start, msg);
            self.hs.clear();
            self.hs_map.clear();
        }
        self.skip = 0;
        self.skip_rec = None;
        self.resync = true;
    }

    fn process(&mut self, sh: &mut Shared) {
        loop {
            match self.mode {
                Mode::Start => match prelude::classify_start(&self.buf) {
                    Start::NeedMore => return,
                    Start::Tls => self.mode = Mode::Tls,
                    Start::Sslv2ClientHello => {
                        if !self.sslv2(sh) {
                            return;
                        }
                    }
                    Start::Plain => {
                        self.mode = Mode::Plain;
                        self.plain.first_frame = Some(self.log.at(self.buf_start).0);
                    }
                },
                Mode::Plain => {
                    self.scan_plain(sh);
                    if self.mode == Mode::Plain {
                        return;
                    }
                }
                Mode::Tls => return self.records(sh),
                Mode::Stopped => return,
            }
        }
    }

    /// Consumes `n` buffered bytes as plaintext prelude.
    fn take_plain(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        if n == 0 {
            return;
        }
        let room = PREFIX_KEEP.saturating_sub(self.plain.prefix.len());
        self.plain.prefix.extend(self.buf.iter().take(room.min(n)));
        for off in [self.buf_start, self.buf_start + n as u64 - 1] {
            let f = self.log.at(off).0;
            if self.plain.frames.len() < PRELUDE_FRAMES && self.plain.frames.last() != Some(&f) {
                self.plain.frames.push(f);
            }
        }
        self.plain.bytes += n as u64;
        self.buf.drain(..n);
        self.buf_start += n as u64;
    }

    fn scan_plain(&mut self, sh: &mut Shared) {
        if let Some(p) = prelude::find_tls_start(&self.buf, 0) {
            self.take_plain(p);
            self.plain.tls_start = Some(self.log.at(self.buf_start).0);
            self.mode = Mode::Tls;
            return;
        }
        let keep = self.buf.len().min(prelude::HEADER_PROBE - 1);
        self.take_plain(self.buf.len() - keep);
        if self.plain.bytes > sh.limits.max_prelude_bytes as u64 {
            // Reported as `NotTls::scan_limit_reached`.
            self.plain.scan_limit_reached = true;
            self.stop(sh);
        }
    }

    /// Decodes an SSLv2-format ClientHello at the start of the stream.
    /// Returns false while the record is incomplete.
    fn sslv2(&mut self, sh: &mut Shared) -> bool {
        let (Some(&hi), Some(&lo)) = (self.buf.first(), self.buf.get(1)) else {
            return false;
        };
        let len = (usize::from(hi & 0x7f) << 8) | usize::from(lo);
        let Some(body) = self.buf.get(2..2 + len) else {
            return false;
        };
        let (frame_first, _) = self.log.at(self.buf_start);
        let (frame_last, ts) = self.log.at(self.buf_start + 1 + len as u64);
        let msg = match handshake::sslv2_client_hello(body) {
            Ok(ch) => HandshakeMsg::ClientHello(Box::new(ch)),
            Err(e) => {
                sh.malformed(
                    self.dir,
                    frame_first,
                    self.buf_start,
                    format!("SSLv2 ClientHello: {e}"),
                );
                HandshakeMsg::Malformed {
                    error: e.to_string(),
                }
            }
        };
        let stats = sh.stats(self.dir);
        stats.records += 1;
        stats.handshake_records += 1;
        stats.handshake_bytes += len as u64;
        stats.first_record_frame.get_or_insert(frame_first);
        sh.push_message(HandshakeEvent {
            dir: self.dir,
            frame_first,
            frame_last,
            ts,
            msg_type: 1,
            msg_type_name: Some("client_hello".into()),
            length: len as u32,
            decrypted: false,
            body: msg,
        });
        self.buf.drain(..2 + len);
        self.buf_start += 2 + len as u64;
        self.mode = Mode::Tls;
        true
    }

    /// Splits buffered bytes into records.
    fn records(&mut self, sh: &mut Shared) {
        let buf = std::mem::take(&mut self.buf);
        let mut pos = 0usize;
        loop {
            if self.mode != Mode::Tls {
                break;
            }
            let rest = buf.get(pos..).unwrap_or_default();
            if self.skip > 0 {
                let n = self.skip.min(rest.len());
                pos += n;
                self.skip -= n;
                if self.skip > 0 {
                    break;
                }
                self.end_encrypted(sh, self.buf_start + pos as u64 - 1);
                continue;
            }
            if self.enc_count >= sh.limits.max_encrypted_records {
                self.stop(sh);
                break;
            }
            if self.resync {
                match find_record_header(rest) {
                    Some(p) => {
                        if p > 0 {
                            let msg = format!("resynchronised after a gap: skipped {p} bytes");
                            sh.malformed(
                                self.dir,
                                self.last_frame,
                                self.buf_start + pos as u64,
                                msg,
                            );
                        }
                        pos += p;
                        self.resync = false;
                        continue;
                    }
                    None => {
                        pos += rest.len().saturating_sub(4);
                        break;
                    }
                }
            }
            let Some(&[ct, vhi, vlo, lhi, llo]) = rest.first_chunk::<5>() else {
                break;
            };
            let version = u16::from_be_bytes([vhi, vlo]);
            let len = usize::from(u16::from_be_bytes([lhi, llo]));
            let rec_off = self.buf_start + pos as u64;
            let (frame, ts) = self.log.at(rec_off);
            if !(20..=26).contains(&ct) || vhi != 3 {
                let msg = format!(
                    "not a TLS record header: content type {ct}, version 0x{version:04x}; decoding of this direction stopped"
                );
                sh.malformed(self.dir, frame, rec_off, msg);
                self.stop(sh);
                break;
            }
            let encrypted = self.is_encrypted(sh, ct, len);
            // With keys, encrypted records (and a renegotiation's encrypted
            // ChangeCipherSpec) are buffered whole and decrypted.
            let decrypt = sh.crypto.can_decrypt(self.dir) && (encrypted || (ct == 20 && len > 1));
            let body = if encrypted && !decrypt {
                None
            } else {
                // A plaintext or decryptable record is handled once complete.
                let Some(body) = rest.get(5..5 + len) else {
                    break;
                };
                Some(body)
            };
            self.records += 1;
            if self.records > sh.limits.max_records {
                sh.hit(format!(
                    "{}: more than {} records",
                    self.name(),
                    sh.limits.max_records
                ));
                self.stop(sh);
                break;
            }
            if len > MAX_RECORD_LEN {
                let msg = format!("record length {len} exceeds 2^14+2048");
                sh.malformed(self.dir, frame, rec_off, msg);
            }
            self.note_version(sh, version, frame);
            if decrypt && let Some(body) = body {
                let header = [ct, vhi, vlo, lhi, llo];
                self.decrypted_record(sh, &header, body, rec_off, frame, ts);
                pos += 5 + len;
                continue;
            }
            self.count(sh, ct, len, encrypted, frame);
            let Some(body) = body else {
                self.begin_encrypted(sh, ct, len, frame, ts);
                pos += 5;
                self.skip = len;
                if len == 0 {
                    self.end_encrypted(sh, rec_off + 4);
                }
                continue;
            };
            self.plain_record(sh, ct, body, rec_off, frame, ts);
            pos += 5 + len;
        }
        if self.mode == Mode::Stopped {
            return;
        }
        let pos = pos.min(buf.len());
        self.buf = buf;
        self.buf.drain(..pos);
        self.buf_start += pos as u64;
        let needed = self
            .hs_map
            .first()
            .map_or(self.buf_start, |m| m.1.min(self.buf_start));
        self.log.trim(needed);
    }

    fn is_encrypted(&self, sh: &Shared, ct: u8, len: usize) -> bool {
        match ct {
            23 => true,
            20 => false,
            21 if len == 2 => false,
            _ => self.encrypted || sh.tls13_keys,
        }
    }

    fn note_version(&self, sh: &mut Shared, version: u16, frame: FrameNo) {
        let list = &mut sh.session.record_versions;
        match list
            .iter_mut()
            .find(|v| v.dir == self.dir && v.version.id == version)
        {
            Some(v) => v.count += 1,
            None => list.push(super::RecordVersion {
                dir: self.dir,
                version: IanaValue::new(Registry::Version, version),
                first_frame: frame,
                count: 1,
            }),
        }
    }

    fn count(&self, sh: &mut Shared, ct: u8, len: usize, encrypted: bool, frame: FrameNo) {
        let s = sh.stats(self.dir);
        s.records += 1;
        s.first_record_frame.get_or_insert(frame);
        let len = len as u64;
        match ct {
            20 => s.ccs_records += 1,
            21 => s.alert_records += 1,
            22 if encrypted => s.encrypted_handshake_records += 1,
            22 => {
                s.handshake_records += 1;
                s.handshake_bytes += len;
            }
            23 => {
                s.app_data_records += 1;
                s.app_data_bytes += len;
                s.first_app_data_frame.get_or_insert(frame);
            }
            24 => s.heartbeat_records += 1,
            _ => s.other_records += 1,
        }
        if encrypted {
            s.encryption_started_frame.get_or_insert(frame);
        }
    }

    fn begin_encrypted(
        &mut self,
        sh: &mut Shared,
        ct: u8,
        len: usize,
        frame: FrameNo,
        ts: Timestamp,
    ) {
        self.enc_count += 1;
        if ct == 21 {
            self.push_alert(
                sh,
                AlertEvent {
                    dir: self.dir,
                    frame,
                    ts,
                    encrypted: true,
                    level: None,
                    level_name: None,
                    description: None,
                    description_name: None,
                    len,
                    decrypted: false,
                },
            );
        }
        let list = &mut sh.session.encrypted_records;
        self.skip_rec = Some(list.len());
        list.push(EncryptedRecord {
            dir: self.dir,
            frame,
            frame_last: None,
            ts,
            content_type: ct,
            len,
            decrypted_type: None,
        });
    }

    /// Decrypts one whole record and feeds its plaintext on; a record that
    /// does not authenticate is counted as encrypted, as without keys.
    fn decrypted_record(
        &mut self,
        sh: &mut Shared,
        header: &[u8; 5],
        body: &[u8],
        rec_off: u64,
        frame: FrameNo,
        ts: Timestamp,
    ) {
        let ct = header[0];
        let last_off = rec_off + 4 + body.len() as u64;
        let frame_last = self.log.at(last_off).0;
        self.enc_count += 1;
        let plain = sh.crypto.open(self.dir, header, body, frame);
        let inner = plain.as_ref().map(|p| p.content_type);
        self.count(sh, inner.unwrap_or(ct), body.len(), true, frame);
        sh.session.encrypted_records.push(EncryptedRecord {
            dir: self.dir,
            frame,
            frame_last: Some(frame_last),
            ts,
            content_type: ct,
            len: body.len(),
            decrypted_type: inner,
        });
        let Some(plain) = plain else {
            if ct == 21 {
                let alert = AlertEvent {
                    dir: self.dir,
                    frame,
                    ts,
                    encrypted: true,
                    level: None,
                    level_name: None,
                    description: None,
                    description_name: None,
                    len: body.len(),
                    decrypted: false,
                };
                self.push_alert(sh, alert);
            }
            return;
        };
        let data_off = rec_off + 5 + plain.prefix as u64;
        match plain.content_type {
            22 => {
                self.cur_decrypted = true;
                self.handshake_bytes(sh, &plain.data, data_off, last_off);
                self.cur_decrypted = false;
            }
            21 => self.alerts(sh, &plain.data, rec_off, frame, ts, true),
            20 => {
                sh.session.ccs.push(CcsEvent {
                    dir: self.dir,
                    frame,
                    ts,
                });
                sh.crypto.on_ccs(self.dir);
            }
            _ => {}
        }
        sh.crypto.after_record(self.dir);
    }

    fn end_encrypted(&mut self, sh: &mut Shared, last_offset: u64) {
        if let Some(i) = self.skip_rec.take() {
            let frame = self.log.at(last_offset).0;
            if let Some(r) = sh.session.encrypted_records.get_mut(i) {
                r.frame_last = Some(frame);
            }
        }
    }

    fn push_alert(&self, sh: &mut Shared, alert: AlertEvent) {
        if sh.session.alerts.len() < sh.limits.max_alerts {
            sh.session.alerts.push(alert);
        } else {
            sh.hit(format!("more than {} alerts", sh.limits.max_alerts));
        }
    }

    fn plain_record(
        &mut self,
        sh: &mut Shared,
        ct: u8,
        body: &[u8],
        off: u64,
        frame: FrameNo,
        ts: Timestamp,
    ) {
        match ct {
            20 => {
                sh.session.ccs.push(CcsEvent {
                    dir: self.dir,
                    frame,
                    ts,
                });
                if !self.hs.is_empty() {
                    let msg = "ChangeCipherSpec arrived inside an unfinished handshake message"
                        .to_string();
                    sh.malformed(self.dir, frame, off, msg);
                    self.hs.clear();
                    self.hs_map.clear();
                }
                let tls13 = sh.tls13_keys || sh.ctx.version.is_some_and(enums::is_tls13);
                if !tls13 {
                    self.encrypted = true;
                    sh.crypto.on_ccs(self.dir);
                }
            }
            21 => self.alerts(sh, body, off, frame, ts, false),
            22 => {
                let last = off + 4 + body.len() as u64;
                self.handshake_bytes(sh, body, off + 5, last);
            }
            _ => {}
        }
    }

    fn alerts(
        &mut self,
        sh: &mut Shared,
        body: &[u8],
        off: u64,
        frame: FrameNo,
        ts: Timestamp,
        decrypted: bool,
    ) {
        // A plaintext alert is level 1/2 plus a registered description. Anything
        // else in an alert record is ciphertext whose start we did not see (a
        // capture that began mid-connection, or a missed ChangeCipherSpec).
        let plaintext = !body.is_empty()
            && body.len().is_multiple_of(2)
            && body.chunks_exact(2).all(|p| {
                matches!(p.first(), Some(1 | 2))
                    && p.get(1)
                        .copied()
                        .and_then(enums::alert_description_name)
                        .is_some()
            });
        // The smallest encrypted alert is 19 bytes (TLS 1.3: 2 + 1 + 16-byte tag).
        if !plaintext && body.len() >= 18 {
            self.push_alert(
                sh,
                AlertEvent {
                    dir: self.dir,
                    frame,
                    ts,
                    encrypted: true,
                    level: None,
                    level_name: None,
                    description: None,
                    description_name: None,
                    len: body.len(),
                    decrypted,
                },
            );
            return;
        }
        if body.is_empty() || !body.len().is_multiple_of(2) {
            sh.malformed(
                self.dir,
                frame,
                off,
                format!("alert record of {} bytes", body.len()),
            );
        }
        for pair in body.chunks_exact(2) {
            let (level, desc) = (pair.first().copied(), pair.get(1).copied());
            self.push_alert(
                sh,
                AlertEvent {
                    dir: self.dir,
                    frame,
                    ts,
                    encrypted: false,
                    level,
                    level_name: level.map(|l| enums::alert_level_name(l).to_string()),
                    description: desc,
                    description_name: desc.and_then(enums::alert_description_name),
                    len: body.len(),
                    decrypted,
                },
            );
        }
    }

    /// Stream offset of handshake-buffer position `pos`.
    fn hs_offset(&self, pos: usize) -> u64 {
        let i = self.hs_map.partition_point(|m| m.0 <= pos);
        i.checked_sub(1)
            .and_then(|i| self.hs_map.get(i))
            .map_or(0, |&(p, off)| off + (pos - p) as u64)
    }

    /// Handshake bytes starting at stream offset `off`, from a record whose
    /// last byte is at `rec_last`.
    fn handshake_bytes(&mut self, sh: &mut Shared, body: &[u8], off: u64, rec_last: u64) {
        if self.hs_stopped {
            return;
        }
        let max = sh.limits.max_handshake_bytes;
        if self.hs_total + body.len() > max {
            sh.hit(format!(
                "{}: more than {max} handshake bytes; handshake decoding stopped",
                self.name()
            ));
            self.hs_stopped = true;
            self.hs.clear();
            self.hs_map.clear();
            return;
        }
        self.hs_total += body.len();
        self.rec_last = rec_last;
        self.hs_map.push((self.hs.len(), off));
        self.hs.extend_from_slice(body);
        let hs = std::mem::take(&mut self.hs);
        let mut p = 0usize;
        while let Some(&[t, a, b, c]) = hs.get(p..).and_then(|r| r.first_chunk::<4>()) {
            let len = (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c);
            let Some(msg_body) = hs.get(p + 4..p + 4 + len) else {
                if len > max {
                    let (frame, _) = self.log.at(self.hs_offset(p));
                    let msg =
                        format!("handshake message length {len} exceeds the {max}-byte limit");
                    sh.malformed(self.dir, frame, self.hs_offset(p), msg);
                    self.hs_stopped = true;
                    self.hs_map.clear();
                    return;
                }
                break;
            };
            self.message(sh, t, msg_body, p, len);
            p += 4 + len;
        }
        self.hs = hs;
        self.hs.drain(..p);
        self.remap(p);
    }

    /// Rebases the handshake offset map after `p` bytes were consumed.
    fn remap(&mut self, p: usize) {
        let keep_from = self.hs_map.partition_point(|m| m.0 <= p).saturating_sub(1);
        self.hs_map.drain(..keep_from);
        for m in &mut self.hs_map {
            if m.0 <= p {
                m.1 += (p - m.0) as u64;
                m.0 = 0;
            } else {
                m.0 -= p;
            }
        }
        if self.hs.is_empty() {
            self.hs_map.clear();
        }
    }

    fn message(&mut self, sh: &mut Shared, t: u8, body: &[u8], p: usize, len: usize) {
        let first = self.hs_offset(p);
        let (frame_first, _) = self.log.at(first);
        let (frame_last, ts) = self.log.at(self.rec_last.max(self.hs_offset(p + 3 + len)));
        let (frame_last, ts) = if self.max_seen.0 > frame_last {
            self.max_seen
        } else {
            (frame_last, ts)
        };
        let msg = if t == 11 {
            let tls13 = sh.ctx.version.is_some_and(enums::is_tls13);
            let c = handshake::certificate(body, tls13, sh.limits.max_certificates);
            if c.certificates_dropped > 0 {
                sh.hit(format!(
                    "certificate chain longer than {}",
                    sh.limits.max_certificates
                ));
            }
            HandshakeMsg::Certificate(c)
        } else {
            handshake::decode(t, body, &sh.ctx)
        };
        let name = enums::handshake_type_name(t);
        for problem in problems(&msg) {
            let what = name.unwrap_or("handshake message");
            sh.malformed(self.dir, frame_first, first, format!("{what}: {problem}"));
        }
        sh.push_message(HandshakeEvent {
            dir: self.dir,
            frame_first,
            frame_last,
            ts,
            msg_type: t,
            msg_type_name: name.map(str::to_string),
            length: len as u32,
            decrypted: self.cur_decrypted,
            body: msg,
        });
    }

    pub(super) fn finish(mut self, sh: &mut Shared) -> DirEnd {
        match self.mode {
            Mode::Start | Mode::Plain => {
                if !self.buf.is_empty() {
                    self.plain
                        .first_frame
                        .get_or_insert(self.log.at(self.buf_start).0);
                }
                self.take_plain(self.buf.len());
            }
            Mode::Tls => {
                if self.skip == 0 && !self.buf.is_empty() && !self.resync {
                    let msg = format!(
                        "stream ended inside a record ({} bytes buffered)",
                        self.buf.len()
                    );
                    sh.malformed(self.dir, self.last_frame, self.buf_start, msg);
                }
                if !self.hs.is_empty() {
                    let start = self.hs_map.first().map_or(0, |m| m.1);
                    let msg = format!(
                        "stream ended inside a handshake message ({} bytes buffered)",
                        self.hs.len()
                    );
                    sh.malformed(self.dir, self.last_frame, start, msg);
                }
            }
            Mode::Stopped => {}
        }
        DirEnd {
            dir: self.dir,
            plain: self.plain,
        }
    }
}

/// Decode problems inside a decoded message (whole-message or per-extension).
fn problems(msg: &HandshakeMsg) -> Vec<String> {
    let ext_problems = |exts: &[super::ExtensionInfo]| -> Vec<String> {
        exts.iter()
            .filter_map(|e| {
                e.malformed
                    .as_ref()
                    .map(|m| format!("extension {}: {m}", e.id))
            })
            .collect()
    };
    match msg {
        HandshakeMsg::Malformed { error } => vec![error.clone()],
        HandshakeMsg::ClientHello(ch) => ext_problems(&ch.extensions),
        HandshakeMsg::ServerHello(s) | HandshakeMsg::HelloRetryRequest(s) => {
            ext_problems(&s.extensions)
        }
        HandshakeMsg::EncryptedExtensions(e) => ext_problems(&e.extensions),
        HandshakeMsg::CertificateRequest(c) => ext_problems(&c.extensions),
        HandshakeMsg::Certificate(c) => c.malformed.iter().cloned().collect(),
        HandshakeMsg::ServerKeyExchange(s) => s.malformed.iter().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Position of the next plausible record header (after a gap).
fn find_record_header(b: &[u8]) -> Option<usize> {
    b.windows(5).position(|w| match w {
        [20..=24, 3, minor, hi, lo] => {
            let len = (usize::from(*hi) << 8) | usize::from(*lo);
            *minor <= 4 && (1..=MAX_RECORD_LEN).contains(&len)
        }
        _ => false,
    })
}

/// Turns the plaintext seen in both directions into a prelude or not-TLS entries.
pub(super) fn summarise_plaintext(session: &mut TlsSession, ends: [DirEnd; 2]) {
    let [ts, tc] = &ends;
    let upgraded = ends
        .iter()
        .any(|e| e.plain.bytes > 0 && e.plain.tls_start.is_some());
    if upgraded {
        let mut frames: Vec<FrameNo> = ts
            .plain
            .frames
            .iter()
            .chain(&tc.plain.frames)
            .copied()
            .collect();
        frames.sort();
        frames.dedup();
        frames.truncate(PRELUDE_FRAMES);
        let start = |e: &DirEnd| {
            e.plain
                .tls_start
                .or(session.records(e.dir).first_record_frame)
        };
        session.prelude = Some(Prelude {
            protocol: prelude::classify_prelude(&ts.plain.prefix, &tc.plain.prefix).to_string(),
            to_server_bytes: ts.plain.bytes,
            to_client_bytes: tc.plain.bytes,
            frames,
            tls_start_to_server: start(ts),
            tls_start_to_client: start(tc),
            preview_to_server: prelude::preview(&ts.plain.prefix),
            preview_to_client: prelude::preview(&tc.plain.prefix),
        });
        return;
    }
    for e in &ends {
        if e.plain.bytes > 0 {
            session.not_tls.push(NotTls {
                dir: e.dir,
                kind: prelude::classify_direction(&e.plain.prefix).to_string(),
                preview: prelude::preview(&e.plain.prefix),
                frame: e.plain.first_frame.unwrap_or_default(),
                bytes: e.plain.bytes,
                scan_limit_reached: e.plain.scan_limit_reached,
            });
        }
    }
}
