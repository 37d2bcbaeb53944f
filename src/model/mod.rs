//! The connection model: everything a person wants to know about each
//! connection, each fact with the frames that show it.
//!
//! This *is* the public JSON interface (`schema_version` below; documented
//! in `docs/json-schema.md`) and the only input of the rules. It holds no
//! packet buffers: certificates are kept as summaries plus their DER (for
//! export), shared between connections that sent the same certificate.

use crate::capture::CaptureSummary;
use crate::certs::CertSummary;
use crate::rules::Finding;
use crate::tcp::TcpConnection;
use crate::types::{ConnId, FrameNo, Side, Timestamp};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;

mod build;
pub mod fingerprint;
pub mod memo;
pub use build::{ALERT_RECORD_MAX, build, message_name, tls13_inferred_alert};

/// Version of the JSON schema. Bump on any incompatible change, and say so
/// in docs/json-schema.md.
pub const SCHEMA_VERSION: u32 = 2;

/// A value from the registry of TLS numbers, with its name when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Named {
    pub id: u16,
    // Registry names are borrowed from the static tables in `tls::enums` (no
    // allocation per value); a name read back from a JSON document (`diff`)
    // is owned.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<Cow<'static, str>>,
}

impl Named {
    /// The name, or the number in hex when unknown.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.to_string(),
            None => format!("0x{:04x}", self.id),
        }
    }
}

/// The whole result of analysing one capture.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Analysis {
    pub schema_version: u32,
    pub tool: Tool,
    pub capture: CaptureFacts,
    pub summary: Summary,
    pub connections: Vec<Connection>,
    pub findings: Vec<Finding>,
}

impl Analysis {
    /// The name of the (first) capture file, as given on the command line.
    pub fn capture_name(&self) -> &str {
        self.capture.files.first().map_or("", |f| f.name.as_str())
    }

    /// Timestamp of frame `n`, looked up in the connection that names it.
    pub fn frame_time(&self, conn: Option<ConnId>, n: FrameNo) -> Option<Timestamp> {
        let c = self.connections.iter().find(|c| Some(c.id) == conn)?;
        c.frame_time(n)
    }

    pub fn connection(&self, id: ConnId) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "tlsdiag".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Facts about the capture file(s).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CaptureFacts {
    /// One entry per file read (several with `--merge`).
    pub files: Vec<FileFacts>,
    pub frames: u64,
    pub first_ts: Option<Timestamp>,
    pub last_ts: Option<Timestamp>,
    /// Non-fatal problems: a file cut mid-record, undecodable packets.
    pub warnings: Vec<Warning>,
    /// Resource caps that were hit.
    pub limits_hit: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileFacts {
    pub name: String,
    pub format: String,
    pub compression: String,
    pub frames: u64,
    pub bytes: u64,
    pub link_types: Vec<String>,
    pub ts_precision_digits: u8,
    pub file_truncated: bool,
    /// SHA-256 of the file as given (compressed bytes if compressed), for
    /// ticket reports; `null` when not computed (stdin, JSON/text output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl FileFacts {
    pub fn from_summary(s: &CaptureSummary) -> Self {
        FileFacts {
            name: s.name.clone(),
            format: serde_json::to_value(s.format)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            compression: serde_json::to_value(s.compression)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            frames: s.frames,
            bytes: s.captured_bytes,
            link_types: s
                .linktypes
                .iter()
                .map(|l| crate::capture::linktype_name(*l))
                .collect(),
            ts_precision_digits: s.ts_precision_digits,
            file_truncated: s.file_truncated,
            sha256: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub frame: Option<FrameNo>,
    pub message: String,
}

/// Counts for the verdict line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub connections: usize,
    pub tls_connections: usize,
    pub completed: usize,
    pub failed: usize,
    pub incomplete: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Per server (SNI:port, else address:port): the overview of a big capture.
    #[serde(default)]
    pub servers: Vec<ServerSummary>,
}

/// One server's connections at a glance.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerSummary {
    /// SNI:port, else address:port (as `Connection::server_key`).
    pub server: String,
    pub connections: usize,
    pub completed: usize,
    pub failed: usize,
    /// Error findings by rule id.
    pub failures_by_rule: std::collections::BTreeMap<String, usize>,
    /// Negotiated versions and how often.
    pub versions: std::collections::BTreeMap<String, usize>,
    /// Server leaf certificates seen: `CN=… (sha256 prefix)` and how often.
    pub certificates: std::collections::BTreeMap<String, usize>,
}

impl ServerSummary {
    /// Counts one connection and the error findings about it.
    fn add(&mut self, c: &Connection, findings: &[Finding]) {
        use crate::rules::Severity;
        self.connections += 1;
        match c.outcome.status {
            Status::Completed => self.completed += 1,
            Status::Failed => self.failed += 1,
            _ => {}
        }
        if let Some(t) = &c.tls {
            if let Some(v) = &t.version {
                *self.versions.entry(v.label()).or_default() += 1;
            }
            if let Some(leaf) = t.server_certificates.as_ref().and_then(Chain::leaf) {
                let cn = leaf
                    .subject_cn
                    .clone()
                    .unwrap_or_else(|| leaf.subject.clone());
                let fp: String = leaf.sha256.chars().take(12).collect();
                *self
                    .certificates
                    .entry(format!("CN={cn} ({fp})"))
                    .or_default() += 1;
            }
        }
        for f in findings.iter().filter(|f| f.severity == Severity::Error) {
            *self.failures_by_rule.entry(f.rule.to_string()).or_default() += 1;
        }
    }
}

/// Builds the [`Summary`] as connections stream past: memory follows the
/// number of servers, not of connections.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    summary: Summary,
    /// Per server key: the lowest connection id seen (for ordering) and the counts.
    servers: std::collections::HashMap<String, (ConnId, ServerSummary)>,
}

impl SummaryBuilder {
    /// Counts one connection and the findings about it (the errors among
    /// them count for its server's `failures_by_rule`).
    pub fn add(&mut self, c: &Connection, findings: &[Finding]) {
        let s = &mut self.summary;
        s.connections += 1;
        if c.tls.is_some() {
            s.tls_connections += 1;
        }
        match c.outcome.status {
            Status::Completed => s.completed += 1,
            Status::Failed => s.failed += 1,
            Status::Incomplete => s.incomplete += 1,
            Status::NotTls | Status::NoData => {}
        }
        self.count(findings);
        let key = c.server_key();
        let (first, server) = match self.servers.get_mut(&key) {
            Some(entry) => entry,
            None => self.servers.entry(key.clone()).or_insert((
                c.id,
                ServerSummary {
                    server: key,
                    ..ServerSummary::default()
                },
            )),
        };
        *first = (*first).min(c.id);
        server.add(c, findings);
    }

    /// Counts findings by severity (those not about one connection, or not
    /// passed to [`SummaryBuilder::add`]).
    pub fn count(&mut self, findings: &[Finding]) {
        use crate::rules::Severity;
        for f in findings {
            match f.severity {
                Severity::Error => self.summary.errors += 1,
                Severity::Warning => self.summary.warnings += 1,
                Severity::Info => self.summary.infos += 1,
            }
        }
    }

    /// The summary, servers in order of their first connection.
    pub fn finish(self) -> Summary {
        let mut servers: Vec<(ConnId, ServerSummary)> = self.servers.into_values().collect();
        servers.sort_by_key(|(id, _)| *id);
        Summary {
            servers: servers.into_iter().map(|(_, s)| s).collect(),
            ..self.summary
        }
    }
}

/// How a connection ended, from TLS's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Both Finished messages (or, in TLS 1.3 without keys, application data both ways).
    Completed,
    /// Ended by an alert, a RST or a FIN before the handshake finished, or TCP never connected.
    Failed,
    /// The capture ends (or has gaps) before the outcome is known.
    Incomplete,
    /// The bytes are not TLS.
    NotTls,
    /// TCP connected but no byte was exchanged.
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Incomplete => "incomplete",
            Status::NotTls => "not_tls",
            Status::NoData => "no_data",
        }
    }
}

/// What ended a connection (or the handshake).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndedBy {
    Alert {
        by: Side,
        frame: FrameNo,
        description: String,
    },
    Rst {
        by: Side,
        frame: FrameNo,
    },
    Fin {
        by: Side,
        frame: FrameNo,
    },
    /// The SYN was answered by RST.
    Refused {
        frame: FrameNo,
    },
    /// SYN(s) with no answer.
    NoAnswer {
        frame: FrameNo,
    },
    CaptureEnd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Outcome {
    pub status: Status,
    /// One plain sentence.
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ended_by: Option<EndedBy>,
}

/// One TCP connection and what TLS showed on it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Connection {
    pub id: ConnId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_frame: FrameNo,
    pub last_frame: FrameNo,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    pub outcome: Outcome,
    /// Compact history for grepping, in the spirit of Zeek's ssl_history,
    /// e.g. `CH SH C CR SHD | C(0) | A:bad_certificate<-server`.
    pub history: String,
    pub tcp: TcpConnection,
    /// `null` when no TLS was seen on the connection.
    pub tls: Option<Tls>,
}

impl Connection {
    /// Timestamp of a frame that belongs to this connection, if recorded.
    pub fn frame_time(&self, n: FrameNo) -> Option<Timestamp> {
        if n == self.first_frame {
            return Some(self.first_ts);
        }
        if n == self.last_frame {
            return Some(self.last_ts);
        }
        let tls = self.tls.as_ref()?;
        tls.timeline.iter().find(|e| e.frame == n).map(|e| e.ts)
    }

    /// The server's name for grouping: SNI, else address:port.
    pub fn server_key(&self) -> String {
        match self.tls.as_ref().and_then(|t| t.sni.clone()) {
            Some(s) => format!("{s}:{}", self.server.port()),
            None => self.server.to_string(),
        }
    }

    pub fn failed(&self) -> bool {
        self.outcome.status == Status::Failed
    }

    /// Drops what only a connection's detailed view shows (the hellos,
    /// certificates, alerts, timeline and encrypted records), keeping its
    /// identity, endpoints, frames, outcome, history, TCP facts and the
    /// one-line TLS facts (SNI, version, cipher suite, flags). A streamed
    /// ticket report does this to the connections it will only list, so its
    /// memory follows the connections it details, not the capture.
    pub fn drop_details(&mut self) {
        if let Some(t) = &mut self.tls {
            t.client_hello = None;
            t.hello_retry = None;
            t.server_hello = None;
            t.server_certificates = None;
            t.certificate_request = None;
            t.client_certificates = None;
            t.server_key_exchange = None;
            t.ocsp_stapled = None;
            t.not_tls = None;
            t.decryption = None;
            t.alerts = Vec::new();
            t.timeline = Vec::new();
            t.encrypted_flight = Vec::new();
            t.malformed = Vec::new();
            t.limits_hit = Vec::new();
        }
    }
}

/// One handshake-level event in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub sender: Side,
    /// Message name: `ClientHello`, `Certificate`, `Alert(bad_certificate)`, `ChangeCipherSpec`,
    /// `EncryptedRecord(53)`, …
    pub what: Cow<'static, str>,
    /// Seen only through decryption.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub decrypted: bool,
}

/// An alert as seen on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Alert {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub sender: Side,
    /// `warning`, `fatal`, or `unknown` (encrypted alerts have no visible level).
    pub level: String,
    /// The description, e.g. `bad_certificate` (`null` when encrypted).
    pub description: Option<Named>,
    /// Sent encrypted and not decrypted: level and description unknown.
    pub encrypted: bool,
    /// Sent encrypted and read with the key log.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub decrypted: bool,
    /// The last handshake message seen before the alert, e.g. `Certificate` from the client.
    pub after: Option<String>,
}

/// A certificate as sent, with its summary (shared between connections).
// Serialised as the summary's fields, by hand in `memo.rs`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct Cert {
    #[serde(flatten)]
    pub summary: Arc<CertSummary>,
}

/// A Certificate message.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Chain {
    pub frame: FrameNo,
    pub ts: Timestamp,
    /// In sending order (leaf first, normally). Empty = the peer sent an empty list.
    pub certificates: Vec<Cert>,
    /// Total DER bytes.
    pub total_size: usize,
    /// Set when the message was malformed; certificates holds what could be read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub malformed: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub decrypted: bool,
}

impl Chain {
    pub fn leaf(&self) -> Option<&CertSummary> {
        self.certificates.first().map(|c| c.summary.as_ref())
    }

    /// The certificates' summaries, in sending order.
    pub fn summaries(&self) -> Vec<&CertSummary> {
        self.certificates
            .iter()
            .map(|c| c.summary.as_ref())
            .collect()
    }
}

/// The server's request for a client certificate.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CertificateRequest {
    pub frame: FrameNo,
    pub ts: Timestamp,
    /// Distinguished names of the CAs the server accepts (RFC 4514-like text).
    /// Empty = the server named no CA (any issuer may be tried).
    pub ca_names: Vec<String>,
    /// Certificate types (TLS 1.2 only), e.g. `rsa_sign`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub certificate_types: Vec<String>,
    #[serde(serialize_with = "memo::named_list")]
    pub signature_algorithms: Vec<Named>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub decrypted: bool,
}

/// The client's offer, condensed from its ClientHello.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClientOffer {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub legacy_version: Named,
    /// Versions offered (supported_versions, else the legacy version), GREASE removed, highest first.
    #[serde(serialize_with = "memo::named_list")]
    pub versions: Vec<Named>,
    #[serde(serialize_with = "memo::named_list")]
    pub cipher_suites: Vec<Named>,
    #[serde(serialize_with = "memo::named_list")]
    pub supported_groups: Vec<Named>,
    #[serde(serialize_with = "memo::named_list")]
    pub key_share_groups: Vec<Named>,
    #[serde(serialize_with = "memo::named_list")]
    pub signature_algorithms: Vec<Named>,
    pub alpn: Vec<String>,
    #[serde(serialize_with = "memo::named_list")]
    pub extensions: Vec<Named>,
    pub fallback_scsv: bool,
    pub renegotiation_info: bool,
    pub session_id_len: usize,
    pub psk_offered: bool,
    pub sslv2_format: bool,
    /// A grep-friendly JA4 fingerprint (FoxIO JA4 spec, BSD-3-Clause).
    pub ja4: String,
    pub ja3: String,
    pub ja3_hash: String,
}

/// The server's choice, from its ServerHello.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerChoice {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub version: Named,
    pub cipher_suite: Named,
    pub group: Option<Named>,
    pub alpn: Option<String>,
    #[serde(serialize_with = "memo::named_list")]
    pub extensions: Vec<Named>,
    /// `tls12` / `tls11` when ServerHello.random ends with the RFC 8446 downgrade sentinel.
    pub downgrade_sentinel: Option<String>,
    pub session_id_echoed: bool,
    pub ja3s: String,
    pub ja3s_hash: String,
}

/// ServerKeyExchange: the key exchange group and how it was signed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ServerKeyExchange {
    pub frame: FrameNo,
    /// `ecdhe`, `dhe` or `unknown`.
    pub kx: String,
    pub group: Option<Named>,
    /// Size of the DHE prime in bits.
    pub dh_bits: Option<usize>,
    pub signature_algorithm: Option<Named>,
}

/// A CertificateStatus message carrying an OCSP response.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OcspStapled {
    pub frame: FrameNo,
    pub response_len: usize,
    #[serde(flatten)]
    pub summary: crate::certs::OcspSummary,
}

/// A HelloRetryRequest.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HelloRetry {
    pub frame: FrameNo,
    pub ts: Timestamp,
    /// The key-share group the server asks for.
    pub group: Option<Named>,
    pub cipher_suite: Named,
}

/// Bytes that are not TLS on a connection.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotTls {
    pub sender: Side,
    pub frame: FrameNo,
    /// `http_request`, `http_response`, `ssh`, `unknown`.
    pub kind: String,
    /// The first bytes, with non-printable bytes escaped.
    pub preview: String,
}

/// Durations in milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Durations {
    pub client_hello_to_server_hello_ms: Option<f64>,
    pub client_hello_to_finished_ms: Option<f64>,
}

/// What TLS showed on one connection. Everything seen before an abort is kept.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tls {
    /// SNI as sent (lossy UTF-8), `null` if the ClientHello had no server_name.
    pub sni: Option<String>,
    /// Negotiated version (ServerHello, via supported_versions when present).
    pub version: Option<Named>,
    pub cipher_suite: Option<Named>,
    pub client_hello: Option<Box<ClientOffer>>,
    pub hello_retry: Option<Box<HelloRetry>>,
    pub server_hello: Option<Box<ServerChoice>>,
    /// `null` = no Certificate message from the server seen (absent, or encrypted).
    pub server_certificates: Option<Chain>,
    pub certificate_request: Option<Box<CertificateRequest>>,
    /// `null` = the client never sent a Certificate message; `certificates: []` = it sent an empty one.
    pub client_certificates: Option<Chain>,
    /// TLS 1.2 and earlier: the server's key exchange parameters.
    #[serde(default)]
    pub server_key_exchange: Option<Box<ServerKeyExchange>>,
    /// A stapled OCSP response (CertificateStatus), when the server sent one.
    #[serde(default)]
    pub ocsp_stapled: Option<Box<OcspStapled>>,
    pub alerts: Vec<Alert>,
    pub timeline: Vec<TimelineEntry>,
    /// Handshake finished (both Finished seen, or inferred from application data both ways).
    pub handshake_complete: bool,
    /// Abbreviated handshake (session id or PSK accepted).
    pub resumed: bool,
    /// Handshakes after the first one on this connection.
    pub renegotiations: u32,
    /// The handshake after ServerHello is encrypted (TLS 1.3) and no keys decrypted it.
    pub encrypted_handshake: bool,
    /// Sizes of encrypted records in the handshake phase, per sender, for inference.
    pub encrypted_flight: Vec<EncryptedRecord>,
    pub application_data: AppData,
    pub not_tls: Option<NotTls>,
    /// A plaintext prelude before TLS (STARTTLS and friends): protocol name.
    pub starttls: Option<String>,
    pub malformed: Vec<Warning>,
    pub durations: Durations,
    /// Resource caps hit while decoding this connection.
    pub limits_hit: Vec<String>,
    /// What the key log did for this connection; absent when no keys were given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decryption: Option<Decryption>,
}

/// Decryption of one connection with `--keylog` or the capture's own secrets.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Decryption {
    pub status: DecryptionStatus,
    /// Key-log labels found for this connection's ClientHello random.
    pub secrets: Vec<String>,
    pub records_decrypted: u64,
    /// Records that did not authenticate; decryption of that side ended there.
    pub failures: Vec<DecryptionFailure>,
    /// Why something was not decrypted although a key was found.
    pub note: Option<String>,
}

/// The outcome of decryption on one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecryptionStatus {
    /// Every encrypted record looked at was decrypted.
    Decrypted,
    /// Some records were decrypted, then decryption stopped (see `failures`, `note`).
    Partial,
    /// No secrets in the key log for this connection's ClientHello random.
    KeysMissing,
    /// A key was found but the first record it should open does not authenticate.
    KeysWrong,
    /// A key was found but this version or cipher suite cannot be decrypted.
    NotSupported,
    /// Nothing on this connection was encrypted.
    NotNeeded,
}

/// A record the key in force did not decrypt.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecryptionFailure {
    pub frame: FrameNo,
    pub sender: Side,
    /// Records of this sender decrypted before it (0: the key never worked).
    pub records_before: u64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EncryptedRecord {
    pub frame: FrameNo,
    pub ts: Timestamp,
    pub sender: Side,
    pub content_type: u8,
    pub len: usize,
    /// The record's real content type when it was decrypted (TLS 1.3 hides it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decrypted_type: Option<u8>,
}

/// Application data, counted not kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppData {
    pub records_to_server: u64,
    pub bytes_to_server: u64,
    pub records_to_client: u64,
    pub bytes_to_client: u64,
    pub first_frame: Option<FrameNo>,
}

impl Summary {
    /// The summary of a whole analysis: every connection with the findings about it.
    pub fn of(connections: &[Connection], findings: &[Finding]) -> Summary {
        let mut by_conn: std::collections::HashMap<ConnId, Vec<Finding>> =
            std::collections::HashMap::new();
        let ids: std::collections::HashSet<ConnId> = connections.iter().map(|c| c.id).collect();
        let mut b = SummaryBuilder::default();
        for f in findings {
            match f.connection {
                Some(id) if ids.contains(&id) => {
                    by_conn.entry(id).or_default().push(f.clone());
                }
                _ => b.count(std::slice::from_ref(f)),
            }
        }
        for c in connections {
            b.add(c, by_conn.get(&c.id).map_or(&[], Vec::as_slice));
        }
        b.finish()
    }
}

/// The JSON Schema of `analyze --format json` output, generated from these
/// types (doc comments become descriptions). Committed as
/// `docs/tlsdiag.schema.json`; a test keeps it fresh.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Analysis);
    schema.insert(
        "$id".into(),
        format!("https://tlsdiag.invalid/schema/v{SCHEMA_VERSION}/analysis.json").into(),
    );
    schema.to_value()
}
