//! Command-line definitions (clap derive). Doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Explain failed TLS handshakes in packet captures, with the evidence.
///
/// tlsdiag reads pcap/pcapng files (also gzip/zstd-compressed, or `-` for
/// stdin), reassembles every TCP connection, decodes the TLS handshakes and
/// reports why the failed ones failed, naming the frames that show it.
///
/// Exit status: 0 = no finding at or above --fail-on, 1 = findings at or above
/// --fail-on, 2 = input or usage error.
#[derive(Debug, Parser)]
#[command(name = "tlsdiag", version = crate::VERSION_LINE, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse one or more captures and report what went wrong.
    Analyze(Box<AnalyzeArgs>),
    /// List every rule with its id, severity and title.
    Rules(RulesArgs),
    /// Explain a rule id, or what a log reason, TLS alert or error message means.
    ///
    /// Besides a rule id, QUERY may be a TLS alert name or number
    /// (`bad_certificate`, `42`), an AWS ALB mTLS connection-log reason
    /// (`ClientCertUntrusted`), or an error message from OpenSSL, Java, Go,
    /// curl, nginx, Apigee/Envoy or API Gateway (`tlsv1 alert unknown ca`,
    /// `PKIX path building failed`). Case and punctuation do not matter, and a
    /// whole log line is fine. The answer names the rules that can produce it,
    /// what to look for in the capture and how to capture it.
    Explain(ExplainArgs),
    /// Print the JSON Schema of `analyze --format json` output (docs/tlsdiag.schema.json).
    Schema,
    /// Compare a working and a failing case: what changed, server by server,
    /// the change that explains a new failure first.
    ///
    /// Each side is a capture or a JSON file saved by `analyze --format json`
    /// (recognised by its first non-space byte `{`). Exit status 1 when the
    /// AFTER side has error findings the BEFORE side does not.
    Diff(Box<DiffArgs>),
    /// Print a shell completion script, e.g. `tlsdiag completions bash > /etc/bash_completion.d/tlsdiag`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tlsdiag man > tlsdiag.1 && man ./tlsdiag.1`.
    Man,
    /// Write a copy of a capture that is safe to send to a vendor: client
    /// addresses pseudonymised (as `analyze --redact` names them, checksums
    /// fixed), application data cut after the handshake (sizes kept),
    /// decryption secrets dropped. Output is pcapng.
    Redact(RedactArgs),
    /// Export the certificate chains seen on the wire as PEM files (one per
    /// Certificate message, leaf first) with an index.tsv.
    Certs(CertsArgs),
}

/// Output format of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics for a person, modelled on compiler errors.
    Text,
    /// The whole analysis as one JSON document (see docs/json-schema.md).
    Json,
    /// One JSON object per connection per line, with its findings.
    Jsonl,
    /// A GitHub-flavoured Markdown report for tickets, with handshake ladders.
    #[value(alias = "md")]
    Markdown,
    /// One self-contained HTML file (inline CSS and SVG, no scripts) for tickets.
    Html,
}

/// What `--redact` replaces with pseudonyms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Redact {
    /// Client IP addresses (become 192.0.2.x / 2001:db8::x documentation addresses).
    Ips,
    /// SNI, certificate and CA names, and their mentions in findings.
    Names,
    /// Both.
    All,
}

/// Severity threshold for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Capture files (pcap or pcapng, optionally gzip/zstd compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to this file instead of stdout (an existing file is
    /// only replaced with --force).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,

    /// Treat all FILEs as pieces of one capture (tcpdump -C/-G rotation), merged by timestamp.
    #[arg(long)]
    pub merge: bool,

    /// Analyse up to N files at once (default: one per core). Reports are
    /// written in the order the files were given either way.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Exit with status 1 when a finding at or above this severity is reported.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Run only these rules (ids or prefixes ending in `-`, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules (ids or prefixes ending in `-`, e.g. `client-certificate-`).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    /// Show every connection in text output, not only those with findings.
    #[arg(long)]
    pub all: bool,

    /// Text output: show at most N finding groups and N connection lines and
    /// say how many were folded (0 = no limit).
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,

    /// Replace client IPs and/or names with stable pseudonyms in every output format
    /// (numbered in order of appearance; not reversible). `--redact` alone means `all`.
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "all", value_name = "WHAT")]
    pub redact: Option<Redact>,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub trust: TrustArgs,

    #[command(flatten)]
    pub decrypt: DecryptArgs,

    /// Never draw a progress bar (it is only drawn when stderr is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Which connections to analyse in a big capture. Connections left out are
/// not reported and not counted in the summary.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only connections with this IP address at either end (client or server).
    /// Checked as TCP sees each connection, before any TLS is decoded.
    #[arg(long, value_name = "IP")]
    pub host: Option<std::net::IpAddr>,

    /// Only connections with this TCP port at either end. Checked before any TLS is decoded.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,

    /// Only connections whose ClientHello names a server (SNI) matching this
    /// pattern: `*` any run of characters, `?` one, case-insensitive
    /// (`*.example.com`). Connections without SNI are left out.
    #[arg(long, value_name = "GLOB")]
    pub sni: Option<String>,
}

/// Session keys for decryption.
#[derive(Debug, Args, Clone, Default)]
pub struct DecryptArgs {
    /// Key log (NSS SSLKEYLOGFILE format, as curl, browsers and `openssl
    /// -keylogfile` write it) to decrypt TLS 1.3 handshakes and TLS 1.2
    /// Finished/alerts; may be given several times. Secrets stored in a pcapng
    /// (`editcap --inject-secrets`) are used without it.
    #[arg(long, value_name = "FILE")]
    pub keylog: Vec<PathBuf>,
}

/// Inputs the certificate rules use.
#[derive(Debug, Args, Clone, Default)]
pub struct TrustArgs {
    /// Trust store (PEM bundle of CA certificates) to verify chains against.
    /// Without it, chain rules still find missing intermediates and self-signed leaves.
    #[arg(long, value_name = "PEM")]
    pub ca_bundle: Option<PathBuf>,

    /// Certificate revocation list (PEM or DER); may be given several times.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,

    /// The host name the client meant to reach (used when the ClientHello carries no SNI).
    #[arg(long, value_name = "NAME")]
    pub expect_host: Option<String>,

    /// Longest acceptable certificate chain (certificates sent, leaf included).
    /// The default follows AWS ALB's mutual-TLS limit.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub max_chain_depth: usize,

    /// Largest acceptable certificate, in bytes of DER (AWS ALB's limit is 16 KiB for a client certificate).
    #[arg(long, default_value_t = 16 * 1024, value_name = "BYTES")]
    pub max_cert_size: usize,
}

/// Resource caps: each hit is reported as an `analysis-limit-reached` finding.
#[derive(Debug, Args, Clone)]
pub struct LimitArgs {
    /// Connections tracked at once; the least recently active is evicted beyond it.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub max_connections: usize,

    /// Connections the server has not answered yet (SYN seen, nothing back)
    /// tracked at once, within --max-connections; the oldest is evicted
    /// beyond it, so a SYN flood cannot fill the table.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_half_open: usize,

    /// Out-of-order bytes buffered per connection direction.
    #[arg(long, default_value_t = 256 * 1024, value_name = "BYTES")]
    pub max_ooo_bytes: usize,

    /// Handshake bytes decoded per connection direction.
    #[arg(long, default_value_t = 256 * 1024, value_name = "BYTES")]
    pub max_handshake_bytes: usize,

    /// Certificates kept per chain.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_certificates: usize,

    /// TLS records inspected per connection direction.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_records: u64,

    /// Alerts kept per connection.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub max_alerts: usize,
}

/// Output format of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Differences for a person, most important first.
    Text,
    /// The diff as one JSON document.
    Json,
    /// A Markdown table (for tickets and pull requests).
    Markdown,
    /// A self-contained HTML page.
    Html,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The working case: a capture, or a saved `analyze --format json` output.
    #[arg(value_name = "BEFORE")]
    pub before: String,

    /// The failing case: a capture, or a saved `analyze --format json` output.
    #[arg(value_name = "AFTER")]
    pub after: String,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,

    /// Write the diff to this file instead of stdout (an existing file is
    /// only replaced with --force).
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,

    /// Run only these rules on captures (ids or prefixes ending in `-`).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules on captures.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub trust: TrustArgs,

    #[command(flatten)]
    pub decrypt: DecryptArgs,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format: a text table, Markdown (docs/rules.md), or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id (e.g. `client-certificate-missing`), an alert, a log reason or an error message.
    #[arg(value_name = "QUERY")]
    pub query: String,
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Capture files (pcap or pcapng, optionally gzip/zstd compressed); `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,

    /// Directory to write the PEM files and index.tsv into (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,

    /// Overwrite files that already exist.
    #[arg(long)]
    pub force: bool,

    /// Treat all FILEs as pieces of one capture, merged by timestamp.
    #[arg(long)]
    pub merge: bool,

    #[command(flatten)]
    pub limits: LimitArgs,

    #[command(flatten)]
    pub decrypt: DecryptArgs,
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Capture to read (pcap or pcapng, optionally gzip/zstd compressed).
    #[arg(value_name = "IN")]
    pub input: String,

    /// The pcapng file to write.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,

    /// Also write the capture's TLS key log (pcapng Decryption Secrets) into OUT.
    #[arg(long)]
    pub keep_secrets: bool,

    /// Overwrite OUT if it exists.
    #[arg(long)]
    pub force: bool,

    /// TCP payload bytes kept at the start of each direction of a connection.
    #[arg(long, value_name = "BYTES", default_value_t = crate::redact_pcap::DEFAULT_KEEP_PAYLOAD)]
    pub keep_payload: u32,
}
