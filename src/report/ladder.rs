//! The handshake of one connection as a ladder (sequence) diagram, as plain
//! rows that the Markdown (text ladder) and HTML (SVG) renderers both draw.
//!
//! One row per timeline entry, plus the TCP events that frame it (SYN,
//! SYN-ACK, and the RST/FIN or capture end that closed it). Times are
//! relative to the first ClientHello (or the first frame when there is none).

use crate::model::{Connection, EndedBy, Status};
use crate::tcp::TcpEnd;
use crate::types::{FrameNo, Side, Timestamp};

/// What a row shows; renderers style by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// TCP connection set-up (SYN, SYN-ACK).
    Tcp,
    /// A plaintext handshake message (or one seen through decryption).
    Handshake,
    /// ChangeCipherSpec.
    ChangeCipherSpec,
    /// An encrypted record whose content is not visible.
    Encrypted,
    /// An alert.
    Alert,
    /// What ended the connection: RST, FIN, refusal, no answer.
    End,
    /// The capture stops here; no side sent anything more.
    CaptureEnd,
}

impl RowKind {
    /// A CSS class / short name.
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Tcp => "tcp",
            RowKind::Handshake => "handshake",
            RowKind::ChangeCipherSpec => "ccs",
            RowKind::Encrypted => "encrypted",
            RowKind::Alert => "alert",
            RowKind::End => "end",
            RowKind::CaptureEnd => "capture-end",
        }
    }
}

/// One arrow of the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Who sent it; `None` for the capture end (no arrow).
    pub sender: Option<Side>,
    /// Message name as the model gives it (wire-derived: escape when drawing).
    pub label: String,
    pub frame: Option<FrameNo>,
    /// Milliseconds after the origin (negative before it); `None` when the
    /// frame's time is not recorded in the model.
    pub rel_ms: Option<f64>,
    pub kind: RowKind,
    /// Seen only through decryption.
    pub decrypted: bool,
    /// This row is what ended a connection that did not complete (the alert, RST or FIN).
    pub terminal: bool,
}

/// The ladder of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    /// What time zero is: `first ClientHello` or `first frame`.
    pub origin_label: &'static str,
    pub origin: Timestamp,
    pub rows: Vec<Row>,
}

/// Builds the ladder of `c`. Never fails; an empty connection gives the TCP rows only.
pub fn build(c: &Connection) -> Ladder {
    let tls = c.tls.as_ref();
    let (origin_label, origin) = match tls.and_then(|t| t.client_hello.as_ref()) {
        Some(ch) => ("first ClientHello", ch.ts),
        None => ("first frame", c.first_ts),
    };
    let rel = |ts: Option<Timestamp>| ts.map(|t| t.since(origin) * 1000.0);
    let mut rows = Vec::new();
    if let Some(f) = c.tcp.syn_frame {
        rows.push(tcp_row(
            Side::Client,
            "SYN",
            f,
            rel(c.frame_time(f)),
            RowKind::Tcp,
        ));
    }
    if let Some(f) = c.tcp.synack_frame {
        rows.push(tcp_row(
            Side::Server,
            "SYN-ACK",
            f,
            rel(c.frame_time(f)),
            RowKind::Tcp,
        ));
    }
    let ended_by = c
        .outcome
        .ended_by
        .clone()
        .or_else(|| from_tcp_end(c.tcp.end));
    let alert_frame = match &ended_by {
        Some(EndedBy::Alert { frame, .. }) => Some(*frame),
        _ => None,
    };
    for e in tls.map(|t| t.timeline.as_slice()).unwrap_or_default() {
        let kind = kind_of(&e.what);
        rows.push(Row {
            sender: Some(e.sender),
            label: e.what.to_string(),
            frame: Some(e.frame),
            rel_ms: rel(Some(e.ts)),
            kind,
            decrypted: e.decrypted,
            terminal: kind == RowKind::Alert && alert_frame == Some(e.frame),
        });
    }
    if let Some(end) = ended_by {
        push_end(&mut rows, c, &end, &rel);
    }
    if c.outcome.status == Status::Completed {
        // A close after a completed handshake is routine, not the failure point.
        for r in rows
            .iter_mut()
            .filter(|r| r.terminal && r.kind == RowKind::End)
        {
            r.kind = RowKind::Tcp;
            r.terminal = false;
        }
    }
    Ladder {
        origin_label,
        origin,
        rows,
    }
}

fn tcp_row(sender: Side, label: &str, frame: FrameNo, rel_ms: Option<f64>, kind: RowKind) -> Row {
    Row {
        sender: Some(sender),
        label: label.to_string(),
        frame: Some(frame),
        rel_ms,
        kind,
        decrypted: false,
        terminal: false,
    }
}

/// The TCP layer's end when the outcome names none.
fn from_tcp_end(end: TcpEnd) -> Option<EndedBy> {
    match end {
        TcpEnd::Fin { by, frame } => Some(EndedBy::Fin { by, frame }),
        TcpEnd::Rst { by, frame } => Some(EndedBy::Rst { by, frame }),
        TcpEnd::Open => Some(EndedBy::CaptureEnd),
        TcpEnd::Evicted { .. } => None,
    }
}

fn kind_of(what: &str) -> RowKind {
    if what.starts_with("Alert") {
        RowKind::Alert
    } else if what.starts_with("ChangeCipherSpec") {
        RowKind::ChangeCipherSpec
    } else if what.starts_with("Encrypted") || what.starts_with("ApplicationData") {
        RowKind::Encrypted
    } else {
        RowKind::Handshake
    }
}

/// Adds the row for what ended the connection (an alert is already a timeline row).
fn push_end(
    rows: &mut Vec<Row>,
    c: &Connection,
    end: &EndedBy,
    rel: &dyn Fn(Option<Timestamp>) -> Option<f64>,
) {
    let (sender, label, frame) = match end {
        EndedBy::Alert {
            by,
            frame,
            description,
        } => {
            if rows.iter().any(|r| r.terminal) {
                return;
            }
            (Some(*by), format!("Alert({description})"), Some(*frame))
        }
        EndedBy::Rst { by, frame } => (Some(*by), "RST".to_string(), Some(*frame)),
        EndedBy::Fin { by, frame } => (Some(*by), "FIN".to_string(), Some(*frame)),
        EndedBy::Refused { frame } => (
            Some(Side::Server),
            "RST (connection refused)".to_string(),
            Some(*frame),
        ),
        EndedBy::NoAnswer { frame } => (
            Some(Side::Client),
            "SYN (no answer)".to_string(),
            Some(*frame),
        ),
        EndedBy::CaptureEnd => (None, "capture ends".to_string(), None),
    };
    let kind = match end {
        EndedBy::Alert { .. } => RowKind::Alert,
        EndedBy::CaptureEnd => RowKind::CaptureEnd,
        _ => RowKind::End,
    };
    if let Some(r) = rows
        .iter_mut()
        .find(|r| r.frame.is_some() && r.frame == frame && r.sender == sender)
    {
        // A SYN that was never answered: the same frame, now the end.
        r.label = label;
        r.kind = kind;
        r.terminal = true;
        return;
    }
    let rel_ms = match frame {
        Some(f) => rel(c.frame_time(f)),
        None => rel(Some(c.last_ts)),
    };
    rows.push(Row {
        sender,
        label,
        frame,
        rel_ms,
        kind,
        decrypted: false,
        terminal: true,
    });
}

/// `+12.345 ms`-style time of a row, or empty when unknown.
pub fn rel_text(rel_ms: Option<f64>) -> String {
    match rel_ms {
        Some(ms) if ms.is_finite() => format!("{ms:+.1} ms"),
        _ => String::new(),
    }
}
