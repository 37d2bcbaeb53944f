//! `tlsdiag certs FILE --out DIR`: the certificate chains seen on the wire,
//! one PEM file per Certificate message (leaf first, in sending order), so
//! they can be inspected with `openssl x509` or attached to a ticket.
//!
//! File names derive from numbers only (`conn-0003-server-chain.pem`), never
//! from wire data, so no `..`, `/` or NUL can reach the file system. Existing
//! files are never overwritten without `force`, and nothing is written when
//! any target exists. `index.tsv` lists each file with its connection, SNI
//! and subjects (sanitised: no tabs or newlines from the wire).

use super::sanitize::terminal;
use crate::model::{Analysis, Chain, Connection};
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A target file exists and `force` was not given.
    #[error("{path} already exists (use --force to overwrite)")]
    Exists { path: PathBuf },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The name of the index file written next to the PEM files.
pub const INDEX: &str = "index.tsv";

/// One file to write.
struct Planned<'a> {
    name: String,
    conn: &'a Connection,
    role: &'static str,
    chain: &'a Chain,
}

/// Writes one PEM file per chain that has certificates, plus [`INDEX`];
/// returns the paths written (PEM files first, the index last).
pub fn export(analysis: &Analysis, dir: &Path, force: bool) -> Result<Vec<PathBuf>, ExportError> {
    let plan = plan(analysis);
    let mut targets: Vec<PathBuf> = plan.iter().map(|p| dir.join(&p.name)).collect();
    targets.push(dir.join(INDEX));
    if let Some(existing) = targets.iter().find(|p| !force && p.exists()) {
        return Err(ExportError::Exists {
            path: existing.clone(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| ExportError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for (p, path) in plan.iter().zip(&targets) {
        let pem: String = p
            .chain
            .certificates
            .iter()
            .filter(|c| !c.summary.der.is_empty())
            .map(|c| crate::certs::to_pem(&c.summary.der))
            .collect();
        write_file(path, pem.as_bytes(), force)?;
    }
    let index_path = dir.join(INDEX);
    write_file(&index_path, index(&plan).as_bytes(), force)?;
    Ok(targets)
}

fn plan(a: &Analysis) -> Vec<Planned<'_>> {
    let mut out = Vec::new();
    for c in &a.connections {
        let Some(t) = &c.tls else { continue };
        for (role, chain) in [
            ("server", &t.server_certificates),
            ("client", &t.client_certificates),
        ] {
            let Some(chain) = chain else { continue };
            if chain.certificates.iter().any(|x| !x.summary.der.is_empty()) {
                out.push(Planned {
                    name: format!("conn-{:04}-{role}-chain.pem", c.id.0),
                    conn: c,
                    role,
                    chain,
                });
            }
        }
    }
    out
}

fn index(plan: &[Planned<'_>]) -> String {
    let mut s =
        String::from("file\tconnection\tclient\tserver\tsni\trole\tframe\tsubjects (leaf first)\n");
    for p in plan {
        let sni = p
            .conn
            .tls
            .as_ref()
            .and_then(|t| t.sni.as_deref())
            .unwrap_or("-");
        let subjects: Vec<String> = p
            .chain
            .certificates
            .iter()
            .map(|c| c.summary.subject.clone())
            .collect();
        let fields = [
            p.name.clone(),
            p.conn.id.0.to_string(),
            p.conn.client.to_string(),
            p.conn.server.to_string(),
            tsv(sni),
            p.role.to_string(),
            p.chain.frame.to_string(),
            tsv(&subjects.join(" | ")),
        ];
        s.push_str(&fields.join("\t"));
        s.push('\n');
    }
    s
}

/// A TSV field: control characters (tab, newline) escaped.
fn tsv(s: &str) -> String {
    terminal(s)
}

fn write_file(path: &Path, bytes: &[u8], force: bool) -> Result<(), ExportError> {
    let io_err = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut opts = OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => ExportError::Exists {
            path: path.to_path_buf(),
        },
        _ => io_err(e),
    })?;
    f.write_all(bytes).map_err(io_err)?;
    f.flush().map_err(io_err)
}
