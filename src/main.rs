//! The `tlsdiag` binary: parse arguments, run, exit with the right status.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = tlsdiag::cli::Cli::parse();
    match tlsdiag::app::run(cli) {
        Ok(status) => ExitCode::from(status),
        Err(err) => {
            if tlsdiag::app::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tlsdiag: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
