//! `cargo xtask ci [--lint]`: the checks every change must pass.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use crate::workspace::{cargo, run_step};

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Formatting, clippy, tests and doc tests.
    All,
    /// Formatting, clippy and rustdoc only (`--lint`).
    Lint,
}

/// One check: a name and the cargo arguments that perform it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// What the check is called in the output.
    pub name: &'static str,
    /// The arguments after `cargo`.
    pub args: &'static [&'static str],
    /// Environment variables the check sets.
    pub env: &'static [(&'static str, &'static str)],
    /// Whether `--lint` runs it.
    pub lint: bool,
}

/// Every check, in the order they run: the cheap ones first.
pub const CHECKS: &[Check] = &[
    Check {
        name: "format",
        args: &["fmt", "--all", "--", "--check"],
        env: &[],
        lint: true,
    },
    Check {
        name: "clippy",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
        lint: true,
    },
    // Every public item is documented and every intra-doc link resolves.
    Check {
        name: "docs",
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
        lint: true,
    },
    // The README's test command.
    Check {
        name: "tests",
        args: &["test", "--workspace"],
        env: &[],
        lint: false,
    },
    Check {
        name: "doc tests",
        args: &["test", "--workspace", "--doc"],
        env: &[],
        lint: false,
    },
];

/// The checks a scope runs.
pub fn checks(scope: Scope) -> impl Iterator<Item = &'static Check> {
    CHECKS.iter().filter(move |c| scope == Scope::All || c.lint)
}

/// Runs the checks of `scope` in `root`, stopping at the first failure.
pub fn run(root: &Path, scope: Scope) -> Result<()> {
    let started = Instant::now();
    for check in checks(scope) {
        run_step(
            check.name,
            root,
            cargo().args(check.args).envs(check.env.iter().copied()),
        )?;
    }
    println!(
        "ci: all checks passed ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lint_runs_fmt_clippy_and_docs_only() {
        let names: Vec<_> = checks(Scope::Lint).map(|c| c.name).collect();
        assert_eq!(names, ["format", "clippy", "docs"]);
        let names: Vec<_> = checks(Scope::All).map(|c| c.name).collect();
        assert_eq!(names, ["format", "clippy", "docs", "tests", "doc tests"]);
    }

    #[test]
    fn the_test_check_is_the_readme_command() {
        let readme = std::fs::read_to_string(crate::workspace::root().join("README.md"))
            .expect("the workspace has a README.md");
        let tests = CHECKS.iter().find(|c| c.name == "tests").unwrap();
        let command = format!("cargo {}", tests.args.join(" "));
        assert!(
            readme.contains(&format!("`{command}`")),
            "README.md should show `{command}`"
        );
    }
}
