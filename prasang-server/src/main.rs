//! `prasang-server`: see `prasang-server --help`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    prasang_server::cli::run(prasang_server::cli::Cli::parse())
}
