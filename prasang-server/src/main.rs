//! `prasang-server`: see `prasang-server --help`.
//!
//! The command line, the demo data, the benchmark and its hello-world ceiling are modules of this
//! binary, not of the `prasang_server` library: they are tools around the server, not API.

mod bench;
mod cli;
mod demo;
mod hello;

use clap::Parser;

/// sled allocates and frees a node copy for every write; glibc's malloc cost a booking ~30% more
/// CPU than mimalloc in the booking benchmark (BENCHMARKS.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}
