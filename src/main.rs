//! The `paperdex` binary: parses arguments, runs, maps the outcome to an exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = paperdex::cli::Cli::parse_args(std::env::args_os());
    match paperdex::run(cli) {
        Ok(paperdex::Status::Found) => ExitCode::SUCCESS,
        Ok(paperdex::Status::NotFound) => ExitCode::from(1),
        Err(err) => {
            // `paperdex search x | head -1`: the reader left; that is not an error.
            let broken_pipe = err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            // Not `eprintln!`, which panics where stderr cannot be written.
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(2)
        }
    }
}
