//! `cargo xtask`: the project's build tasks.
//!
//! - `cargo xtask ci [--lint]`: formatting, clippy, tests and doc tests (`--lint`: the first two).
//! - `cargo xtask codegen [--check]`: regenerate generated files, or check they are fresh.
//! - `cargo xtask release VERSION [--dry-run]`: bump, check, package and tag a release.

mod ci;
mod codegen;
mod release;
mod workspace;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci [--lint]                  fmt check, clippy -D warnings, rustdoc -D warnings, tests, doc tests (--lint: the first three)
  codegen [--check]            write generated files (--check: fail if any is stale)
  release VERSION [--dry-run]  bump the workspace version, run ci, package, commit and tag
                               (--dry-run: print the steps, change nothing)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = workspace::root();
    match args.as_slice() {
        ["ci"] => ci::run(&root, ci::Scope::All),
        ["ci", "--lint"] => ci::run(&root, ci::Scope::Lint),
        ["codegen"] => codegen::run(&root, codegen::GENERATORS, codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(&root, codegen::GENERATORS, codegen::Mode::Check),
        ["release", version] => release::run(&root, version, false),
        ["release", version, "--dry-run"] | ["release", "--dry-run", version] => {
            release::run(&root, version, true)
        }
        [] | ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown arguments: {}\n\n{USAGE}", args.join(" ")),
    }
}
