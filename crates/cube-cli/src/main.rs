//! The `cube` command: a local ConnectyCube-compatible server and tools around it.
//!
//! Each subcommand lives in its own module with an `Args` struct (clap) and a `run` function;
//! adding one is a variant here and a module beside this file.

use clap::{Parser, Subcommand};

mod serve;

/// cube: the ConnectyCube SDK's command line.
#[derive(Debug, Parser)]
#[command(name = "cube", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local ConnectyCube-compatible server (REST; chat arrives with the chat issue).
    Serve(serve::Args),
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CUBE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
        }
    })
}
