//! The workspace as xtask sees it: its root, its member crates, and running commands in it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The workspace root: the parent of this crate's directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo that launched us (`cargo xtask` sets `CARGO`), or the one on `PATH`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `command` in `dir` as a named step: prints it, times it, and fails if it fails.
pub fn run_step(name: &str, dir: &Path, command: &mut Command) -> Result<()> {
    command.current_dir(dir);
    println!("==> {name}: {}", display_command(command));
    let started = Instant::now();
    let status = command
        .status()
        .with_context(|| format!("{name}: cannot start {}", display_command(command)))?;
    let elapsed = started.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{name} failed after {elapsed:.1} s ({status})");
    }
    println!("<== {name}: ok ({elapsed:.1} s)");
    Ok(())
}

/// Runs `command` in `dir` and returns its standard output, failing if it fails.
pub fn output(dir: &Path, command: &mut Command) -> Result<String> {
    command.current_dir(dir);
    let out = command
        .output()
        .with_context(|| format!("cannot start {}", display_command(command)))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}): {}",
            display_command(command),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A command line as a person would type it.
pub fn display_command(command: &Command) -> String {
    let program = Path::new(command.get_program()).file_name().map_or_else(
        || command.get_program().to_string_lossy(),
        |n| n.to_string_lossy(),
    );
    std::iter::once(program.into_owned())
        .chain(command.get_args().map(|a| {
            let arg = a.to_string_lossy();
            if arg.contains(' ') {
                format!("'{arg}'")
            } else {
                arg.into_owned()
            }
        }))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A member crate of the workspace, as far as releasing it is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The package name.
    pub name: String,
    /// The member's directory, relative to the root (`crates/cube-auth`).
    pub dir: String,
    /// Whether `cargo publish` may publish it (`publish = false` says no).
    pub publishable: bool,
    /// Whether its version is `version.workspace = true`.
    pub version_from_workspace: bool,
    /// The other members it depends on (normal and build dependencies).
    pub depends_on: Vec<String>,
}

/// The root manifest's text and the workspace members, in the order the root lists them.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The text of the root `Cargo.toml`.
    pub manifest: String,
    /// The members, in `[workspace] members` order.
    pub members: Vec<Member>,
}

impl Workspace {
    /// Reads the root manifest and every member's manifest.
    pub fn load(root: &Path) -> Result<Self> {
        let manifest_path = root.join("Cargo.toml");
        let manifest = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let table: toml::Table = manifest.parse().context("root Cargo.toml is not TOML")?;
        let dirs = table
            .get("workspace")
            .and_then(|w| w.get("members"))
            .and_then(toml::Value::as_array)
            .context("root Cargo.toml has no [workspace] members")?;
        let mut members = Vec::new();
        for dir in dirs {
            let dir = dir.as_str().context("a workspace member is not a string")?;
            let path = root.join(dir).join("Cargo.toml");
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            members.push((dir.to_owned(), text));
        }
        let members = parse_members(&members)?;
        Ok(Self { manifest, members })
    }
}

/// Parses member manifests (`(dir, text)` pairs) into [`Member`]s.
pub fn parse_members(manifests: &[(String, String)]) -> Result<Vec<Member>> {
    let mut parsed = Vec::new();
    for (dir, text) in manifests {
        let table: toml::Table = text
            .parse()
            .with_context(|| format!("{dir}/Cargo.toml is not TOML"))?;
        let package = table
            .get("package")
            .with_context(|| format!("{dir}/Cargo.toml has no [package]"))?;
        let name = package
            .get("name")
            .and_then(toml::Value::as_str)
            .with_context(|| format!("{dir}/Cargo.toml has no package name"))?;
        let publishable = match package.get("publish") {
            None => true,
            Some(toml::Value::Boolean(b)) => *b,
            Some(toml::Value::Array(registries)) => !registries.is_empty(),
            Some(_) => bail!("{dir}/Cargo.toml: `publish` is neither a boolean nor a list"),
        };
        let version_from_workspace = package
            .get("version")
            .and_then(|v| v.get("workspace"))
            .and_then(toml::Value::as_bool)
            == Some(true);
        let mut deps = Vec::new();
        let mut collect = |t: &toml::Table| {
            for key in ["dependencies", "build-dependencies"] {
                if let Some(toml::Value::Table(d)) = t.get(key) {
                    deps.extend(d.iter().map(|(name, spec)| {
                        spec.get("package")
                            .and_then(toml::Value::as_str)
                            .unwrap_or(name)
                            .to_owned()
                    }));
                }
            }
        };
        collect(&table);
        if let Some(toml::Value::Table(targets)) = table.get("target") {
            for target in targets.values().filter_map(toml::Value::as_table) {
                collect(target);
            }
        }
        parsed.push(Member {
            name: name.to_owned(),
            dir: dir.clone(),
            publishable,
            version_from_workspace,
            depends_on: deps,
        });
    }
    let names: Vec<String> = parsed.iter().map(|m| m.name.clone()).collect();
    for member in &mut parsed {
        member.depends_on.retain(|d| names.contains(d));
        member.depends_on.sort();
        member.depends_on.dedup();
    }
    Ok(parsed)
}
