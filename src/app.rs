//! Runs one command of the command line. The only place with `anyhow`
//! context; decides the exit status (0 clean, 1 findings, 2 error).

use crate::certs::{CertCache, Crl, TrustStore};
use crate::cli::{
    AnalyzeArgs, CertsArgs, Cli, Command, DecryptArgs, DiffArgs, DiffFormat, FailOn, Format,
    LimitArgs, Redact, RedactArgs, RulesFormat, TrustArgs,
};
use crate::model::{Analysis, Connection};
use crate::pipeline::{self, Limits};
use crate::report::redact::{RedactWhat, redact};
use crate::report::retain::{Keep, Retained};
use crate::report::{self, ReportOptions, TextOptions, rules_doc};
use crate::rules::{self, Context, Finding, RuleOptions, Selection, Severity};
use crate::tls::KeyLog;
use anyhow::{Context as _, Result, bail};
use clap::CommandFactory;
use std::io::{self, IsTerminal, Write};
use std::sync::PoisonError;

/// Runs the command and returns the process exit status.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Analyze(args) => analyze(&args),
        Command::Diff(args) => diff(&args),
        Command::Rules(args) => {
            let mut out = io::stdout().lock();
            match args.format {
                RulesFormat::Text => rules_doc::write_table(&mut out)?,
                RulesFormat::Markdown => out.write_all(rules_doc::markdown().as_bytes())?,
                RulesFormat::Json => rules_doc::write_json(&mut out)?,
            }
            out.flush()?;
            Ok(0)
        }
        Command::Schema => {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &crate::model::json_schema())?;
            writeln!(out)?;
            out.flush()?;
            Ok(0)
        }
        Command::Explain(args) => explain(args.query.trim()),
        Command::Certs(args) => certs(&args),
        Command::Redact(args) => redact_capture(&args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "tlsdiag", &mut script);
            write_stdout(&script)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            write_stdout(&page)
        }
    }
}

/// Writes generated text (completions, man page) to stdout.
fn write_stdout(bytes: &[u8]) -> Result<u8> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(0)
}

/// `explain`: a rule id prints the rule; anything else is looked up in the
/// table of log reasons, alerts and error messages.
fn explain(query: &str) -> Result<u8> {
    let mut out = io::stdout().lock();
    if let Some(rule) = rules::find(query) {
        rules_doc::write_explain(&mut out, rule)?;
    } else if let Some(answer) = crate::lookup::lookup(query) {
        rules_doc::write_lookup(&mut out, &answer)?;
    } else {
        bail!(
            "nothing known matches {query:?}. `tlsdiag explain` takes a rule id (`tlsdiag rules` lists them), \
             a TLS alert name or number (`bad_certificate`, `42`), an AWS ALB mTLS connection-log reason \
             (`ClientCertUntrusted`), or an error message from OpenSSL, Java, Go, curl, nginx, Apigee/Envoy \
             or API Gateway (`tlsv1 alert unknown ca`, `PKIX path building failed`); a whole log line is fine"
        );
    }
    out.flush()?;
    Ok(0)
}

/// `tlsdiag certs`: decode (no rules needed) and write the chains as PEM.
fn certs(args: &CertsArgs) -> Result<u8> {
    let options = RuleOptions::default();
    let cx = Context {
        options: &options,
        trust: None,
        crls: &[],
    };
    let sel = Selection {
        select: vec!["none-".into()],
        ignore: Vec::new(),
    };
    let mut limits = Limits::default();
    limits.tcp.max_connections = args.limits.max_connections.max(1);
    limits.tcp.max_half_open = args.limits.max_half_open.max(1);
    limits.tcp.max_ooo_bytes = args.limits.max_ooo_bytes;
    let keys = read_keylogs(&args.decrypt)?;
    let certs = CertCache::new();
    let mut analyses = Vec::new();
    if args.merge {
        let paths: Vec<&str> = args.files.iter().map(String::as_str).collect();
        let reader = crate::capture::MergedReader::open(&paths)?;
        analyses.push(pipeline::analyze(
            pipeline::decode_capture(reader, &limits, keys.as_ref(), &certs, &mut |_| {})?,
            &cx,
            &sel,
        ));
    } else {
        for file in &args.files {
            analyses.push(pipeline::analyze(
                pipeline::decode_file(file, &limits, keys.as_ref(), &certs, &mut |_| {})?,
                &cx,
                &sel,
            ));
        }
    }
    let mut out = io::stdout().lock();
    for (i, a) in analyses.iter().enumerate() {
        // Several files without --merge: one sub-directory per file, by position.
        let dir = if analyses.len() == 1 {
            args.out.clone()
        } else {
            args.out.join(format!("file-{:02}", i + 1))
        };
        let written = report::certs_export::export(a, &dir, args.force)
            .with_context(|| format!("exporting certificates to {}", dir.display()))?;
        for p in written {
            writeln!(out, "{}", p.display())?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// `tlsdiag redact IN OUT`: write the redacted pcapng copy and say what was done.
fn redact_capture(args: &RedactArgs) -> Result<u8> {
    let opts = crate::redact_pcap::RedactOptions {
        keep_secrets: args.keep_secrets,
        force: args.force,
        keep_payload: args.keep_payload,
    };
    let s = crate::redact_pcap::redact_capture(&args.input, &args.output, &opts)?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{}: {} frames, {} client address(es) replaced, payload cut from {} segment(s), \
         {} frame(s) reduced to headers, decryption secrets {}",
        args.output.display(),
        s.frames,
        s.clients,
        s.payload_cut,
        s.headers_only,
        if s.secrets_written {
            "kept"
        } else {
            "not written"
        },
    )?;
    out.flush()?;
    Ok(0)
}

/// True when the error is a closed pipe (`tlsdiag … | head`): exit quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// What the rules need, read once from the options: selection, trust store, CRLs.
struct RuleSetup {
    sel: Selection,
    trust: Option<TrustStore>,
    crls: Vec<Crl>,
    options: RuleOptions,
    limits: Limits,
    /// `--keylog` files, parsed.
    keys: Option<KeyLog>,
}

/// Reads every `--keylog` file into one key log (`None` without the flag).
fn read_keylogs(args: &DecryptArgs) -> Result<Option<KeyLog>> {
    if args.keylog.is_empty() {
        return Ok(None);
    }
    let mut log = KeyLog::default();
    for p in &args.keylog {
        let text = std::fs::read(p).with_context(|| format!("reading --keylog {}", p.display()))?;
        log.extend(&text);
    }
    Ok(Some(log))
}

impl RuleSetup {
    fn new(
        select: &[String],
        ignore: &[String],
        trust_args: &TrustArgs,
        limit_args: &LimitArgs,
    ) -> Result<Self> {
        let sel = Selection {
            select: select.to_vec(),
            ignore: ignore.to_vec(),
        };
        let unknown = sel.unknown_patterns();
        if !unknown.is_empty() {
            bail!(
                "--select/--ignore: no rule matches {}; `tlsdiag rules` lists them",
                unknown.join(", ")
            );
        }
        let trust = match &trust_args.ca_bundle {
            Some(p) => Some(
                TrustStore::from_pem_file(p)
                    .with_context(|| format!("reading --ca-bundle {}", p.display()))?,
            ),
            None => None,
        };
        let crls = trust_args
            .crl
            .iter()
            .map(|p| Crl::from_file(p).with_context(|| format!("reading --crl {}", p.display())))
            .collect::<Result<Vec<_>>>()?;
        let options = RuleOptions {
            expect_host: trust_args.expect_host.clone(),
            max_chain_depth: trust_args.max_chain_depth,
            max_cert_size: trust_args.max_cert_size,
        };
        let mut limits = Limits::default();
        limits.tcp.max_connections = limit_args.max_connections.max(1);
        limits.tcp.max_half_open = limit_args.max_half_open.max(1);
        limits.tcp.max_ooo_bytes = limit_args.max_ooo_bytes;
        limits.tls.max_handshake_bytes = limit_args.max_handshake_bytes.max(1);
        limits.tls.max_certificates = limit_args.max_certificates;
        limits.tls.max_records = limit_args.max_records;
        limits.tls.max_alerts = limit_args.max_alerts;
        Ok(RuleSetup {
            sel,
            trust,
            crls,
            options,
            limits,
            keys: None,
        })
    }

    fn with_keys(mut self, args: &DecryptArgs) -> Result<Self> {
        self.keys = read_keylogs(args)?;
        Ok(self)
    }

    fn context(&self) -> Context<'_> {
        Context {
            options: &self.options,
            trust: self.trust.as_ref(),
            crls: &self.crls,
        }
    }
}

fn analyze(args: &AnalyzeArgs) -> Result<u8> {
    let setup = RuleSetup::new(&args.select, &args.ignore, &args.trust, &args.limits)?
        .with_keys(&args.decrypt)?;
    let mut limits = setup.limits;
    limits.filter = pipeline::ConnFilter {
        host: args.filter.host,
        port: args.filter.port,
    };
    let limits = &limits;

    let certs = CertCache::new();
    if args.format == Format::Jsonl && args.redact.is_none() {
        return analyze_streaming(args, &setup, limits, &certs);
    }
    // The ticket reports name each file's SHA-256: hash on another core
    // while this one analyses.
    let hashing = matches!(args.format, Format::Markdown | Format::Html).then(|| {
        let files = args.files.clone();
        std::thread::spawn(move || {
            files
                .into_iter()
                .map(|f| {
                    let h = file_sha256(&f);
                    (f, h)
                })
                .collect::<std::collections::HashMap<_, _>>()
        })
    });
    // Keep of each connection what the report shows: reports that list
    // connections and detail a few keep only those few whole. Pseudonyms
    // (--redact) are numbered over everything, so that keeps everything.
    let keep = match args.format {
        _ if args.all || args.redact.is_some() => Keep::Everything,
        Format::Text => Keep::Lines(text_options(args)),
        Format::Markdown | Format::Html => Keep::Examples(report_options(args)),
        Format::Json | Format::Jsonl => Keep::Everything,
    };
    let run = Streamed {
        args,
        setup: &setup,
        limits,
        certs: &certs,
    };
    let mut analyses = Vec::new();
    let mut gathered = Vec::new();
    let mut worst: Option<Severity> = None;
    let mut keep_one = |(w, retained, rest): (Option<Severity>, Retained, Analysis)| {
        worst = worst.max(w).max(highest(&rest.findings));
        let done = retained.finish(rest);
        analyses.push(done.analysis);
        gathered.push(Gathered {
            text: done.text,
            tally: done.tally,
        });
    };
    if args.merge {
        let paths: Vec<&str> = args.files.iter().map(String::as_str).collect();
        let reader = crate::capture::MergedReader::open(&paths)?;
        let mut progress = progress_bar(args, None, "", &indicatif::MultiProgress::new());
        keep_one(run.capture(reader, &mut progress, Retained::new(keep.clone()))?);
    } else {
        let bars = indicatif::MultiProgress::new();
        crate::jobs::ordered(
            &args.files,
            job_count(args),
            |_, file, cancel| {
                let (reader, mut progress) = open_job(args, file, &bars, cancel)?;
                run.capture(reader, &mut progress, Retained::new(keep.clone()))
            },
            |_, analysed| {
                keep_one(analysed);
                Ok(())
            },
        )?;
    }

    if let Some(hashing) = hashing {
        let hashes = hashing.join().unwrap_or_default();
        for a in &mut analyses {
            for f in &mut a.capture.files {
                f.sha256 = hashes.get(&f.name).cloned().flatten();
            }
        }
    }
    if let Some(what) = args.redact {
        let what = RedactWhat {
            ips: what != Redact::Names,
            names: what != Redact::Ips,
        };
        analyses = analyses.iter().map(|a| redact(a, what)).collect();
    }
    write_output(args, &analyses, &gathered)?;
    Ok(u8::from(worst.is_some_and(|w| reaches(args.fail_on, w))))
}

fn text_options(args: &AnalyzeArgs) -> TextOptions {
    TextOptions {
        all: args.all,
        limit: args.limit,
    }
}

/// `analyze --format jsonl`: each connection's line is written as soon as
/// TCP closes it and its model is dropped, so memory follows the connections
/// in flight. (With `--redact` the pseudonyms need every connection first,
/// so that case takes the buffered path.)
fn analyze_streaming(
    args: &AnalyzeArgs,
    setup: &RuleSetup,
    limits: &Limits,
    certs: &CertCache,
) -> Result<u8> {
    let mut out = open_output(args.output.as_deref(), args.force)?;
    let shared: SharedSink<'_> = std::sync::Mutex::new(&mut *out);
    let sink = &shared;
    let run = Streamed {
        args,
        setup,
        limits,
        certs,
    };
    let bars = indicatif::MultiProgress::new();
    let mut worst: Option<Severity> = None;
    if args.merge {
        let paths: Vec<&str> = args.files.iter().map(String::as_str).collect();
        let name = paths.join(", ");
        let reader = crate::capture::MergedReader::open(&paths)?;
        let mut progress = progress_bar(args, None, "", &bars);
        worst = worst.max(run.lines(reader, &name, sink, &mut progress)?);
    } else {
        crate::jobs::ordered(
            &args.files,
            job_count(args),
            |_, file, cancel| {
                let (reader, mut progress) = open_job(args, file, &bars, cancel)?;
                run.lines(reader, file, sink, &mut progress)
            },
            |_, w| {
                worst = worst.max(w);
                Ok(())
            },
        )?;
    }
    let out = shared.into_inner().unwrap_or_else(PoisonError::into_inner);
    out.flush().context("writing the report")?;
    Ok(u8::from(worst.is_some_and(|w| reaches(args.fail_on, w))))
}

/// Where JSON Lines go, shared by the files analysed side by side: each
/// writes a block of whole lines at a time under the lock, so their lines
/// interleave by blocks and never mix within a line.
type SharedSink<'s> = std::sync::Mutex<&'s mut (dyn Write + Send)>;

/// The last stage of a streamed analysis: takes each connection with the
/// findings known when it ended.
trait LastStage: Send {
    fn take(&mut self, c: Connection, findings: Vec<Finding>) -> io::Result<()>;
}

/// JSON Lines: each connection's line serialised at once and the model
/// dropped; lines are gathered into one buffer, written when it holds
/// [`Lines::FLUSH_AT`] bytes (one copy and one write per few hundred lines).
struct Lines<'w, 's> {
    sink: &'w SharedSink<'s>,
    name: &'w str,
    buf: Vec<u8>,
}

impl Lines<'_, '_> {
    const FLUSH_AT: usize = 1 << 20;

    fn flush(&mut self) -> io::Result<()> {
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        sink.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

impl LastStage for Lines<'_, '_> {
    fn take(&mut self, c: Connection, findings: Vec<Finding>) -> io::Result<()> {
        report::json::connection_line_into(
            &mut self.buf,
            self.name,
            &c,
            findings.iter().collect(),
        )?;
        if self.buf.len() >= Self::FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }
}

/// The other formats: what the report needs kept until the end.
impl LastStage for Retained {
    fn take(&mut self, c: Connection, findings: Vec<Finding>) -> io::Result<()> {
        self.add(c, findings);
        Ok(())
    }
}

/// What one streamed analysis needs besides the capture.
struct Streamed<'a> {
    args: &'a AnalyzeArgs,
    setup: &'a RuleSetup,
    limits: &'a Limits,
    certs: &'a CertCache,
}

impl Streamed<'_> {
    /// Streams one capture's JSON Lines to `sink` (the capture line last)
    /// and returns the highest severity found.
    fn lines<R: pipeline::FrameSource>(
        &self,
        reader: R,
        name: &str,
        sink: &SharedSink<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Option<Severity>> {
        let lines = Lines {
            sink,
            name,
            buf: Vec::with_capacity(Lines::FLUSH_AT + (64 << 10)),
        };
        let (worst, mut lines, rest) = self.capture(reader, progress, lines)?;
        report::json::write_capture_line(
            &mut lines.buf,
            name,
            &rest.summary,
            rest.findings.iter().collect(),
        )
        .context("writing the report")?;
        lines.flush().context("writing the report")?;
        Ok(worst.max(highest(&rest.findings)))
    }

    /// Analyses one capture, handing each connection to `last` as TCP closes
    /// it. Three threads joined by bounded queues of batches: this one
    /// decodes (capture → packets → TCP → TLS); the next builds each model
    /// and runs the rules; the last is `last` (serialising and writing, or
    /// keeping what a report needs). Memory stays bounded by what `last`
    /// keeps, connections reach it in the order they closed, and two cores
    /// stay busy (on the handshake workload, JSON Lines: the decoding thread
    /// takes about half the CPU and sets the pace, the other two share the
    /// second core; docs/performance.md).
    ///
    /// Returns the highest severity among the connections' findings, `last`,
    /// and the analysis without connections: the capture's facts, the
    /// summary, and the findings that needed every connection.
    fn capture<R: pipeline::FrameSource, S: LastStage>(
        &self,
        reader: R,
        progress: &mut dyn FnMut(u64),
        last: S,
    ) -> Result<(Option<Severity>, S, Analysis)> {
        // Batches, so the threads wake each other once per 64 connections.
        const BATCH: usize = 64;
        const QUEUED: usize = 8;
        type Judged = (Connection, Vec<Finding>);
        let cx = self.setup.context();
        let sni = self.args.filter.sni.as_deref();
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<pipeline::Closed>>(QUEUED);
            let (judged_tx, judged_rx) = std::sync::mpsc::sync_channel::<Vec<Judged>>(QUEUED);
            let cx = &cx;
            let sel = &self.setup.sel;
            let certs = self.certs;
            let mut last = last;
            let writer = scope.spawn(move || -> io::Result<S> {
                for (c, findings) in judged_rx.into_iter().flatten() {
                    // An error drops the queue: the stages before see it and stop.
                    last.take(c, findings)?;
                }
                Ok(last)
            });
            let judge = scope.spawn(move || -> (Option<Severity>, pipeline::Streaming<'_>) {
                let mut stream = pipeline::Streaming::new(cx, sel);
                let mut worst = None;
                for batch in rx {
                    let mut out = Vec::with_capacity(batch.len());
                    for closed in batch {
                        let c = closed.build(certs);
                        if sni.is_some_and(|glob| !pipeline::sni_matches(&c, glob)) {
                            continue;
                        }
                        let findings = stream.add(&c);
                        worst = worst.max(highest(&findings));
                        out.push((c, findings));
                    }
                    if judged_tx.send(out).is_err() {
                        break; // the last stage failed; its error is reported below
                    }
                }
                (worst, stream)
            });
            let mut batch = Vec::with_capacity(BATCH);
            let decoded = pipeline::decode_closed(
                reader,
                self.limits,
                self.setup.keys.as_ref(),
                progress,
                &mut |c| {
                    batch.push(c);
                    if batch.len() < BATCH {
                        return std::ops::ControlFlow::Continue(());
                    }
                    match tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))) {
                        Ok(()) => std::ops::ControlFlow::Continue(()),
                        Err(_) => std::ops::ControlFlow::Break(()),
                    }
                },
            );
            // The rest; a send error means a later stage already stopped.
            let _ = tx.send(batch);
            drop(tx);
            let stopped = || anyhow::anyhow!("the report writer stopped unexpectedly");
            let (worst, stream) = judge.join().map_err(|_| stopped())?;
            let last = writer
                .join()
                .map_err(|_| stopped())?
                .context("writing the report")?;
            let rest = stream.finish(decoded?);
            Ok((worst, last, rest))
        })
    }
}

/// `tlsdiag diff BEFORE AFTER`: exit 1 when AFTER has new error findings.
fn diff(args: &DiffArgs) -> Result<u8> {
    let setup = RuleSetup::new(&args.select, &args.ignore, &args.trust, &args.limits)?
        .with_keys(&args.decrypt)?;
    let certs = CertCache::new();
    // Both sides at once, one per core (one after the other if both are stdin).
    let sides = [args.before.as_str(), args.after.as_str()];
    let jobs = match sides {
        ["-", "-"] => 1,
        _ => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut analysed = Vec::with_capacity(2);
    crate::jobs::ordered(
        &sides,
        jobs,
        |_, side, _| diff_side(side, &setup, &certs),
        |_, a| {
            analysed.push(a);
            Ok(())
        },
    )?;
    let [before, after] = <[Analysis; 2]>::try_from(analysed)
        .map_err(|_| anyhow::anyhow!("the analysis of a capture stopped unexpectedly"))?;
    let d = crate::diff::diff(&before, &after);
    let mut sink = open_output(args.output.as_deref(), args.force)?;
    match args.format {
        DiffFormat::Json => crate::diff::write_json(&mut sink, &d)?,
        DiffFormat::Markdown => crate::diff::write_markdown(&mut sink, &d)?,
        DiffFormat::Html => crate::diff::write_html(&mut sink, &d)?,
        DiffFormat::Text if args.output.is_none() => {
            let mut s = anstream::stdout().lock();
            crate::diff::write_text(&mut s, &d)?;
            s.flush()?;
        }
        DiffFormat::Text => {
            crate::diff::write_text(&mut anstream::StripStream::new(&mut sink), &d)?
        }
    }
    sink.flush().context("writing the diff")?;
    Ok(u8::from(crate::diff::new_errors(&d)))
}

/// One side of a diff: a saved JSON analysis (first non-space byte `{`), else a capture.
fn diff_side(file: &str, setup: &RuleSetup, certs: &CertCache) -> Result<Analysis> {
    let path = std::path::Path::new(file);
    if file != "-" && crate::diff::is_json_file(path).with_context(|| format!("reading {file}"))? {
        return Ok(crate::diff::load_analysis(path)?);
    }
    let decoding =
        pipeline::decode_file(file, &setup.limits, setup.keys.as_ref(), certs, &mut |_| {})?;
    Ok(pipeline::analyze(decoding, &setup.context(), &setup.sel))
}

/// How many files `analyze` works on at once: `--jobs`, else one per core;
/// one when stdin is named more than once (it can be read by one only).
fn job_count(args: &AnalyzeArgs) -> usize {
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        return 1;
    }
    match args.jobs {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    }
}

/// One file of `analyze FILE...` opened for its job: the reader, which
/// stops once another file of the run has failed, and its progress bar.
fn open_job<'c>(
    args: &AnalyzeArgs,
    file: &'c str,
    bars: &indicatif::MultiProgress,
    cancel: &'c crate::jobs::Cancel,
) -> Result<(
    Cancellable<'c, crate::capture::CaptureReader>,
    impl FnMut(u64) + use<>,
)> {
    let size = std::fs::metadata(file).ok().map(|m| m.len());
    let progress = progress_bar(args, size, file, bars);
    let reader = Cancellable {
        inner: crate::capture::open_inflating_ahead(file)?,
        cancel,
        name: file,
    };
    Ok((reader, progress))
}

/// A capture that ends in an error once another file of the same run has
/// failed (checked before each frame): its report would be dropped, and
/// the error should not wait for it.
struct Cancellable<'c, R> {
    inner: R,
    cancel: &'c crate::jobs::Cancel,
    name: &'c str,
}

impl<R: pipeline::FrameSource> pipeline::FrameSource for Cancellable<'_, R> {
    fn next_frame(
        &mut self,
    ) -> std::result::Result<Option<crate::capture::Frame<'_>>, crate::capture::CaptureError> {
        if self.cancel.is_set() {
            return Err(crate::capture::CaptureError::Read {
                name: self.name.to_string(),
                message: "stopped: another capture of this run failed".to_string(),
            });
        }
        self.inner.next_frame()
    }
    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
    fn into_summary(self) -> crate::capture::CaptureSummary {
        self.inner.into_summary()
    }
    fn secrets(&self) -> Vec<u8> {
        self.inner.secrets()
    }
    fn secrets_len(&self) -> usize {
        self.inner.secrets_len()
    }
}

/// A progress callback: a bar on stderr (one of `bars`, so files analysed
/// side by side each get a line) when it is a terminal, else nothing.
fn progress_bar(
    args: &AnalyzeArgs,
    size: Option<u64>,
    name: &str,
    bars: &indicatif::MultiProgress,
) -> impl FnMut(u64) + use<> {
    let bar =
        if !args.no_progress && io::stderr().is_terminal() && size.is_some_and(|s| s > 32 << 20) {
            let bar = indicatif::ProgressBar::new(size.unwrap_or(0));
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            if args.files.len() > 1 {
                bar.set_message(crate::report::sanitize::terminal(name));
            }
            Some(bars.add(bar))
        } else {
            None
        };
    move |pos| {
        if let Some(b) = &bar {
            b.set_position(pos);
        }
    }
}

/// What a streamed report gathered besides its analysis.
#[derive(Default)]
struct Gathered {
    text: Option<report::text::TextDigest>,
    tally: Option<report::present::Tally>,
}

/// Writes each analysis, from what was gathered while streaming when there
/// is something (`gathered` pairs with `analyses`).
fn write_output(args: &AnalyzeArgs, analyses: &[Analysis], gathered: &[Gathered]) -> Result<()> {
    let mut sink = open_output(args.output.as_deref(), args.force)?;
    let to_terminal = args.output.is_none();
    let none = Gathered::default();
    for (i, a) in analyses.iter().enumerate() {
        let g = gathered.get(i).unwrap_or(&none);
        let text = |out: &mut dyn Write| match &g.text {
            Some(d) => report::text::write_digest(out, a, d),
            None => report::text::write(out, a, text_options(args)),
        };
        let opts = report_options(args);
        match args.format {
            Format::Json => report::json::write(&mut sink, a)?,
            Format::Jsonl => report::json::write_lines(&mut sink, a)?,
            Format::Markdown => match &g.tally {
                Some(t) => report::markdown::write_with(&mut sink, a, &opts, t)?,
                None => report::markdown::write(&mut sink, a, &opts)?,
            },
            Format::Html => match &g.tally {
                Some(t) => report::html::write_with(&mut sink, a, &opts, t)?,
                None => report::html::write(&mut sink, a, &opts)?,
            },
            Format::Text => {
                if to_terminal {
                    // anstream decides: colour on a terminal, plain in pipes or with NO_COLOR.
                    let mut s = anstream::stdout().lock();
                    text(&mut s)?;
                    s.flush()?;
                } else {
                    text(&mut anstream::StripStream::new(&mut sink))?;
                }
            }
        }
    }
    sink.flush().context("writing the report")?;
    Ok(())
}

/// The options shown in the ticket reports' capture facts.
fn report_options(args: &AnalyzeArgs) -> ReportOptions {
    let mut options = Vec::new();
    if let Some(p) = &args.trust.ca_bundle {
        options.push(("--ca-bundle".to_string(), p.display().to_string()));
    }
    for p in &args.trust.crl {
        options.push(("--crl".to_string(), p.display().to_string()));
    }
    if let Some(h) = &args.trust.expect_host {
        options.push(("--expect-host".to_string(), h.clone()));
    }
    if !args.select.is_empty() {
        options.push(("--select".to_string(), args.select.join(",")));
    }
    if !args.ignore.is_empty() {
        options.push(("--ignore".to_string(), args.ignore.join(",")));
    }
    if args.merge {
        options.push(("--merge".to_string(), String::new()));
    }
    if let Some(r) = args.redact {
        options.push(("--redact".to_string(), format!("{r:?}").to_lowercase()));
    }
    ReportOptions {
        all: args.all,
        options,
    }
}

/// The highest severity among `findings`.
fn highest(findings: &[crate::rules::Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

/// True when a finding of `severity` reaches the `--fail-on` threshold.
fn reaches(fail_on: FailOn, severity: Severity) -> bool {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return false,
    };
    severity >= threshold
}

/// SHA-256 of a capture file for the ticket reports (`None` for stdin or a
/// file that cannot be read again).
fn file_sha256(name: &str) -> Option<String> {
    use sha2::{Digest, Sha256};
    if name == "-" {
        return None;
    }
    let mut f = std::fs::File::open(name).ok()?;
    let mut h = Sha256::new();
    io::copy(&mut f, &mut h).ok()?;
    Some(hex::encode(h.finalize()))
}

/// Where a report goes: `-o PATH`, else stdout, buffered. Stdout rather
/// than its lock, so the streaming writer thread can own the sink.
fn open_output(path: Option<&std::path::Path>, force: bool) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(path) => Box::new(io::BufWriter::new(create_output(path, force)?)),
        None => Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout())),
    })
}

/// Opens `-o PATH` for writing; an existing file is replaced only with `--force`.
fn create_output(path: &std::path::Path, force: bool) -> Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    opts.open(path).with_context(|| {
        if !force && path.exists() {
            format!("{} exists; add --force to replace it", path.display())
        } else {
            format!("creating {}", path.display())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn analyze_args(argv: &[&str]) -> AnalyzeArgs {
        let cli = Cli::try_parse_from(argv).expect("parses");
        match cli.command {
            Command::Analyze(a) => *a,
            _ => panic!("not analyze"),
        }
    }

    #[test]
    fn job_count_is_the_flag_else_one_per_core_and_one_for_stdin_twice() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(job_count(&analyze_args(&["t", "analyze", "a", "b"])), cores);
        assert_eq!(
            job_count(&analyze_args(&["t", "analyze", "-j3", "a", "b"])),
            3
        );
        assert_eq!(
            job_count(&analyze_args(&["t", "analyze", "-j3", "-", "b"])),
            3
        );
        assert_eq!(
            job_count(&analyze_args(&["t", "analyze", "-j3", "-", "-"])),
            1
        );
    }
}
