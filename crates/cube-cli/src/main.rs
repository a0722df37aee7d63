//! The `cube` command: a local ConnectyCube-compatible server and tools around it.
//!
//! Each subcommand lives in its own module with an `Args` struct (clap) and a `run` function;
//! adding one is a variant here and a module beside this file.

use clap::{Parser, Subcommand};

mod api;
mod bench;
mod bench_chat;
mod demo;
mod profile;
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
    /// Run the local ConnectyCube-compatible server: REST, XMPP over WebSocket and TCP.
    Serve(serve::Args),
    /// Run the whole ConnectyCube flow against an in-process server, through cube-client.
    Demo(demo::Args),
    /// Sessions: create one and show it.
    Session(api::SessionArgs),
    /// Users: sign up, show, search, update, delete.
    Users(api::UsersArgs),
    /// Dialogs: list, create, rename, add and remove occupants, delete.
    Dialogs(api::DialogsArgs),
    /// Messages over REST: history, send, mark read, delete, unread counts.
    Messages(api::MessagesArgs),
    /// Chat: send a message, or listen to incoming events.
    Chat(api::ChatArgs),
    /// Benchmarks against a server over loopback (`cube bench rest`, `cube bench chat`).
    Bench(bench::Args),
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
            Command::Demo(args) => demo::run(args).await,
            Command::Session(args) => api::session(args).await,
            Command::Users(args) => api::users(args).await,
            Command::Dialogs(args) => api::dialogs(args).await,
            Command::Messages(args) => api::messages(args).await,
            Command::Chat(args) => api::chat(args).await,
            Command::Bench(args) => bench::run(args).await,
        }
    })
}
