//! The `tlsdiag` binary: parse arguments, run, exit with the right status.

use clap::Parser;
use std::process::ExitCode;

// mimalloc instead of the system allocator: models are built on one thread
// and freed on another (`--format jsonl`), which makes glibc's arenas
// contend, and the pipeline allocates many small objects per connection.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
