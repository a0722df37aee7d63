//! `cargo xtask release VERSION [--dry-run]`: bump, check, package and tag a release.
//!
//! The plan is computed from the workspace's files alone (no command runs), so that
//! `--dry-run` and the tests see exactly what a real release would do.

use std::fmt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::ci;
use crate::workspace::{Member, Workspace, cargo, display_command, output, run_step};

/// The changelog that must have a `## VERSION` (or `## [VERSION]`) heading.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One step of a release, in the order they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `git status --porcelain` must print nothing.
    CheckClean,
    /// The tag must not exist yet.
    CheckTagFree {
        /// The tag, `vVERSION`.
        tag: String,
    },
    /// Rewrite the version in `[workspace.package]` and the `cube-*` workspace dependencies.
    Bump {
        /// The version now.
        from: String,
        /// The version released.
        to: String,
    },
    /// `cargo xtask ci`: formatting, clippy, tests, doc tests (this also refreshes Cargo.lock).
    Ci,
    /// Commit Cargo.toml and Cargo.lock, if the bump changed them.
    Commit {
        /// The commit message.
        message: String,
    },
    /// Package every publishable crate and rehearse the upload.
    Publish {
        /// The crates, in dependency order.
        crates: Vec<String>,
    },
    /// `git tag vVERSION`.
    Tag {
        /// The tag.
        tag: String,
    },
}

impl Step {
    /// The commands this step runs, as cargo/git invocations.
    fn commands(&self) -> Vec<Command> {
        match self {
            Self::CheckClean => vec![git(&["status", "--porcelain"])],
            Self::CheckTagFree { tag } => vec![git(&["tag", "--list", tag])],
            Self::Bump { .. } => Vec::new(),
            Self::Ci => ci::checks(ci::Scope::All)
                .map(|c| {
                    let mut cmd = cargo();
                    cmd.args(c.args);
                    cmd
                })
                .collect(),
            Self::Commit { message } => vec![
                git(&["add", "Cargo.toml", "Cargo.lock"]),
                git(&["commit", "-m", message]),
            ],
            Self::Publish { crates } => vec![publish_command(crates)],
            Self::Tag { tag } => vec![git(&["tag", tag])],
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CheckClean => write!(f, "check that the work tree is clean"),
            Self::CheckTagFree { tag } => write!(f, "check that tag {tag} does not exist"),
            Self::Bump { from, to } => write!(
                f,
                "bump the version {from} -> {to} in [workspace.package] and the cube-* \
                 workspace dependencies of Cargo.toml"
            ),
            Self::Ci => write!(f, "run the ci checks"),
            Self::Commit { message } => write!(f, "commit Cargo.toml and Cargo.lock: {message}"),
            Self::Publish { crates } => write!(
                f,
                "package and rehearse publishing, in this order: {}",
                crates.join(", ")
            ),
            Self::Tag { tag } => write!(f, "tag the release commit {tag}"),
        }
    }
}

/// Everything a release of one version will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The version released.
    pub version: String,
    /// The publishable crates in dependency order.
    pub crates: Vec<String>,
    /// The steps in order.
    pub steps: Vec<Step>,
}

/// Computes the release plan for `version` from the workspace and its changelog text.
pub fn plan(ws: &Workspace, changelog: &str, version: &str) -> Result<Plan> {
    ensure!(
        is_version(version),
        "`{version}` is not a version like 1.2.3 or 1.2.3-rc.1 (no leading `v`)"
    );
    ensure!(
        changelog_has_entry(changelog, version),
        "{CHANGELOG} has no `## {version}` (or `## [{version}]`) heading: write the release notes first"
    );
    let current = check_lockstep(&ws.manifest, &ws.members)?;
    let crates = publish_order(&ws.members)?;
    let tag = format!("v{version}");
    let steps = vec![
        Step::CheckClean,
        Step::CheckTagFree { tag: tag.clone() },
        Step::Bump {
            from: current,
            to: version.to_owned(),
        },
        Step::Ci,
        Step::Commit {
            message: format!("release: {tag}"),
        },
        Step::Publish {
            crates: crates.clone(),
        },
        Step::Tag { tag },
    ];
    Ok(Plan {
        version: version.to_owned(),
        crates,
        steps,
    })
}

/// Runs (or, with `dry_run`, prints) the release of `version` for the workspace at `root`.
pub fn run(root: &Path, version: &str, dry_run: bool) -> Result<()> {
    let ws = Workspace::load(root)?;
    let changelog = std::fs::read_to_string(root.join(CHANGELOG))
        .with_context(|| format!("cannot read {CHANGELOG}"))?;
    let plan = plan(&ws, &changelog, version)?;
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        println!("--- release step {}/{total}: {step}", i + 1);
        if dry_run {
            for command in step.commands() {
                println!("    would run: {}", display_command(&command));
            }
            if matches!(step, Step::CheckClean) {
                let dirty = output(root, &mut git(&["status", "--porcelain"]))?;
                if !dirty.trim().is_empty() {
                    println!("    note: the tree is not clean now; a real release would stop here");
                }
            }
            continue;
        }
        execute(root, &ws, step)?;
    }
    if dry_run {
        println!("dry run: nothing was changed");
    } else {
        println!(
            "released v{version} locally. To publish: git push --follow-tags, then \
             cargo publish for {} in that order",
            plan.crates.join(", ")
        );
    }
    Ok(())
}

fn execute(root: &Path, ws: &Workspace, step: &Step) -> Result<()> {
    match step {
        Step::CheckClean => {
            let dirty = output(root, &mut git(&["status", "--porcelain"]))?;
            ensure!(
                dirty.trim().is_empty(),
                "the work tree is not clean:\n{dirty}"
            );
        }
        Step::CheckTagFree { tag } => {
            let existing = output(root, &mut git(&["tag", "--list", tag]))?;
            ensure!(existing.trim().is_empty(), "tag {tag} already exists");
        }
        Step::Bump { from, to } => {
            if from == to {
                println!("    already at {to}");
            } else {
                let bumped = bump_manifest(&ws.manifest, to)?;
                std::fs::write(root.join("Cargo.toml"), bumped).context("writing Cargo.toml")?;
                println!(
                    "    Cargo.toml now at {to} (undo: git checkout -- Cargo.toml Cargo.lock)"
                );
            }
        }
        Step::Ci => ci::run(root, ci::Scope::All)?,
        Step::Commit { message } => {
            run_step(
                "stage",
                root,
                &mut git(&["add", "Cargo.toml", "Cargo.lock"]),
            )?;
            let staged = git(&["diff", "--cached", "--quiet"])
                .current_dir(root)
                .status()
                .context("running git diff")?;
            if staged.success() {
                println!("    nothing to commit: the version did not change");
            } else {
                run_step("commit", root, &mut git(&["commit", "-m", message]))?;
            }
        }
        Step::Publish { crates } => {
            run_step("publish rehearsal", root, &mut publish_command(crates))?;
        }
        Step::Tag { tag } => run_step("tag", root, &mut git(&["tag", tag]))?,
    }
    Ok(())
}

/// `cargo publish --dry-run --no-verify -p A -p B ...`.
///
/// One invocation for all crates: packaged one at a time, a crate that depends on an
/// unpublished sibling cannot be resolved against crates.io, whereas cargo's multi-package
/// mode packages them in dependency order against a local overlay of the ones just packaged
/// (the `.crate` files land in `target/package/`). `--no-verify` skips rebuilding each
/// package from its tarball: the ci step has just built and tested the same sources.
fn publish_command(crates: &[String]) -> Command {
    let mut command = cargo();
    command.args(["publish", "--dry-run", "--no-verify"]);
    for name in crates {
        command.args(["-p", name]);
    }
    command
}

fn git(args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command.args(args);
    command
}

/// Whether `version` is a semantic version: `MAJOR.MINOR.PATCH[-pre][+build]`.
pub fn is_version(version: &str) -> bool {
    let (rest, build) = match version.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (version, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numeric = |p: &str| {
        !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let identifiers = |s: &str| {
        s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && pre.is_none_or(identifiers)
        && build.is_none_or(identifiers)
}

/// Whether the changelog has a `## VERSION` or `## [VERSION]` heading (text may follow).
pub fn changelog_has_entry(changelog: &str, version: &str) -> bool {
    let bracketed = format!("[{version}]");
    changelog.lines().any(|line| {
        line.strip_prefix("## ")
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|head| head == version || head == bracketed)
    })
}

/// The current workspace version, after checking that the `cube-*` dependencies and every
/// publishable member follow it.
fn check_lockstep(manifest: &str, members: &[Member]) -> Result<String> {
    let table: toml::Table = manifest.parse().context("root Cargo.toml is not TOML")?;
    let current = table
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(toml::Value::as_str)
        .context("root Cargo.toml has no [workspace.package] version")?
        .to_owned();
    let deps = workspace_path_deps(&table);
    for (name, version) in &deps {
        ensure!(
            version.as_deref() == Some(current.as_str()),
            "workspace dependency {name} is at {version:?}, not the workspace version {current}"
        );
    }
    for member in members.iter().filter(|m| m.publishable) {
        ensure!(
            member.version_from_workspace,
            "{} does not take its version from the workspace (version.workspace = true)",
            member.name
        );
    }
    Ok(current)
}

/// The `[workspace.dependencies]` entries with a `path`, and their `version`.
fn workspace_path_deps(table: &toml::Table) -> Vec<(String, Option<String>)> {
    table
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
        .filter(|(_, spec)| spec.get("path").is_some())
        .map(|(name, spec)| {
            let version = spec
                .get("version")
                .and_then(toml::Value::as_str)
                .map(str::to_owned);
            (name.clone(), version)
        })
        .collect()
}

/// Rewrites the version in `[workspace.package]` and in every `[workspace.dependencies]`
/// entry with a `path`, leaving every other byte of the manifest as it was.
pub fn bump_manifest(manifest: &str, version: &str) -> Result<String> {
    let mut section = "";
    let mut package_bumped = 0;
    let mut deps_bumped = 0;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed;
        }
        let replaced = match section {
            "[workspace.package]" if trimmed.starts_with("version") => {
                package_bumped += 1;
                replace_quoted_value(line, "version", version)
            }
            "[workspace.dependencies]" if trimmed.contains("path") && !trimmed.starts_with('#') => {
                let line = replace_quoted_value(line, "version", version);
                deps_bumped += usize::from(line.is_some());
                line
            }
            _ => None,
        };
        out.push_str(replaced.as_deref().unwrap_or(line));
    }
    ensure!(
        package_bumped == 1,
        "expected one version line in [workspace.package], found {package_bumped}"
    );

    let table: toml::Table = out.parse().context("the bumped Cargo.toml is not TOML")?;
    let deps = workspace_path_deps(&table);
    ensure!(
        deps_bumped == deps.len() && !deps.is_empty(),
        "bumped {deps_bumped} of {} path dependencies in [workspace.dependencies]",
        deps.len()
    );
    for (name, dep_version) in deps {
        ensure!(
            dep_version.as_deref() == Some(version),
            "{name} is still at {dep_version:?}"
        );
    }
    Ok(out)
}

/// Replaces the quoted value of `key = "..."` in one line, if the line has it.
fn replace_quoted_value(line: &str, key: &str, value: &str) -> Option<String> {
    let mut search = 0;
    while let Some(found) = line[search..].find(key) {
        let start = search + found;
        let before_ok = start == 0
            || line[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_whitespace() || c == '{' || c == ',');
        let rest = &line[start + key.len()..];
        let after_eq = rest.trim_start().strip_prefix('=').map(str::trim_start);
        if let (true, Some(quoted)) = (before_ok, after_eq.and_then(|r| r.strip_prefix('"'))) {
            let open = line.len() - quoted.len();
            let close = open + quoted.find('"')?;
            return Some(format!("{}{value}{}", &line[..open], &line[close..]));
        }
        search = start + key.len();
    }
    None
}

/// The publishable members in dependency order; ties keep the `members` order.
fn publish_order(members: &[Member]) -> Result<Vec<String>> {
    let publishable: Vec<&Member> = members.iter().filter(|m| m.publishable).collect();
    for member in &publishable {
        for dep in &member.depends_on {
            let dep_publishable = members.iter().any(|m| &m.name == dep && m.publishable);
            ensure!(
                dep_publishable,
                "{} depends on {dep}, which is not publishable",
                member.name
            );
        }
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < publishable.len() {
        let next = publishable
            .iter()
            .find(|m| !order.contains(&m.name) && m.depends_on.iter().all(|d| order.contains(d)));
        match next {
            Some(member) => order.push(member.name.clone()),
            None => bail!("the workspace crates depend on each other in a cycle"),
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::root;

    fn real_workspace() -> Workspace {
        Workspace::load(&root()).expect("the workspace loads")
    }

    fn real_changelog() -> String {
        std::fs::read_to_string(root().join(CHANGELOG)).expect("CHANGELOG.md exists")
    }

    #[test]
    fn plans_every_publishable_crate_in_dependency_order() {
        let ws = real_workspace();
        let plan = plan(&ws, &real_changelog(), "0.1.0").unwrap();

        let publishable: Vec<&str> = ws
            .members
            .iter()
            .filter(|m| m.publishable)
            .map(|m| m.name.as_str())
            .collect();
        let mut listed: Vec<&str> = plan.crates.iter().map(String::as_str).collect();
        for member in &ws.members {
            let at = listed.iter().position(|c| *c == member.name);
            if !member.publishable {
                assert_eq!(at, None, "{} is not publishable", member.name);
                continue;
            }
            let at = at.unwrap_or_else(|| panic!("{} is missing from the plan", member.name));
            for dep in &member.depends_on {
                let dep_at = listed.iter().position(|c| c == dep).unwrap();
                assert!(dep_at < at, "{dep} must come before {}", member.name);
            }
        }
        listed.sort_unstable();
        let mut expected = publishable.clone();
        expected.sort_unstable();
        assert_eq!(listed, expected);

        assert_eq!(
            plan.crates,
            [
                "cube-model",
                "cube-auth",
                "cube-rest",
                "cube-xmpp",
                "cube-client",
                "cube-server",
                "cube-cli"
            ]
        );
        assert!(!plan.crates.contains(&"xtask".to_owned()));
        let publish = plan.steps.iter().find_map(|s| match s {
            Step::Publish { crates } => Some(crates),
            _ => None,
        });
        assert_eq!(publish, Some(&plan.crates));
        assert_eq!(
            plan.steps.last(),
            Some(&Step::Tag {
                tag: "v0.1.0".into()
            })
        );
    }

    #[test]
    fn dry_run_commands_package_every_crate_in_one_invocation() {
        let plan = plan(&real_workspace(), &real_changelog(), "0.1.0").unwrap();
        let commands: Vec<String> = plan
            .steps
            .iter()
            .flat_map(Step::commands)
            .map(|c| display_command(&c))
            .collect();
        assert!(commands.contains(&"git status --porcelain".to_owned()));
        assert!(
            commands.contains(
                &"cargo publish --dry-run --no-verify -p cube-model -p cube-auth -p cube-rest \
              -p cube-xmpp -p cube-client -p cube-server -p cube-cli"
                    .to_owned()
            )
        );
        assert!(commands.contains(&"git tag v0.1.0".to_owned()));
    }

    #[test]
    fn dry_run_against_the_real_workspace_changes_nothing() {
        let files = ["Cargo.toml", CHANGELOG];
        let read = || files.map(|f| std::fs::read_to_string(root().join(f)).unwrap());
        let before = read();
        run(&root(), "0.1.0", true).unwrap();
        assert_eq!(read(), before);
        assert!(run(&root(), "99.0.0", true).is_err());
    }

    #[test]
    fn refuses_a_version_without_a_changelog_entry() {
        let err = plan(&real_workspace(), &real_changelog(), "99.0.0").unwrap_err();
        assert!(
            err.to_string().contains("CHANGELOG.md has no `## 99.0.0`"),
            "{err}"
        );
    }

    #[test]
    fn refuses_what_is_not_a_version() {
        let changelog = "## v1.0.0\n## 1.0\n";
        for bad in ["v1.0.0", "1.0", "01.0.0", "1.0.0-", "1.0.x"] {
            assert!(plan(&real_workspace(), changelog, bad).is_err(), "{bad}");
        }
        assert!(is_version("1.2.3"));
        assert!(is_version("0.10.0-rc.1"));
        assert!(is_version("1.0.0+build.5"));
    }

    #[test]
    fn changelog_headings() {
        let log = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-01\n\n## 0.1.0\n";
        assert!(changelog_has_entry(log, "0.2.0"));
        assert!(changelog_has_entry(log, "0.1.0"));
        assert!(!changelog_has_entry(log, "0.1"));
        assert!(!changelog_has_entry(log, "0.3.0"));
        assert!(!changelog_has_entry("### 0.3.0\n", "0.3.0"));
    }

    #[test]
    fn bumps_the_real_manifest_in_lockstep_and_nothing_else() {
        let ws = real_workspace();
        let bumped = bump_manifest(&ws.manifest, "7.8.9").unwrap();
        let table: toml::Table = bumped.parse().unwrap();
        assert_eq!(
            table["workspace"]["package"]["version"].as_str(),
            Some("7.8.9")
        );
        let deps = workspace_path_deps(&table);
        assert!(deps.iter().any(|(name, _)| name == "cube-model"));
        assert!(deps.iter().all(|(_, v)| v.as_deref() == Some("7.8.9")));

        let changed = ws
            .manifest
            .lines()
            .zip(bumped.lines())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(changed, 1 + deps.len());
        assert_eq!(ws.manifest.lines().count(), bumped.lines().count());
        // Bumping back restores the original byte for byte.
        let current = check_lockstep(&ws.manifest, &ws.members).unwrap();
        assert_eq!(bump_manifest(&bumped, &current).unwrap(), ws.manifest);
    }

    #[test]
    fn refuses_dependencies_out_of_lockstep() {
        let manifest = "[workspace.package]\nversion = \"0.1.0\"\n\n[workspace.dependencies]\n\
                        cube-a = { path = \"a\", version = \"0.0.9\" }\n";
        let err = check_lockstep(manifest, &[]).unwrap_err();
        assert!(err.to_string().contains("cube-a"), "{err}");
    }

    #[test]
    fn replaces_only_the_version_key() {
        let line = "cube-x = { path = \"crates/version\", version = \"0.1.0\" }\n";
        assert_eq!(
            replace_quoted_value(line, "version", "1.0.0").as_deref(),
            Some("cube-x = { path = \"crates/version\", version = \"1.0.0\" }\n")
        );
        assert_eq!(
            replace_quoted_value("rust-version = \"1.85\"", "version", "2"),
            None
        );
    }

    #[test]
    fn dependency_cycles_are_refused() {
        let member = |name: &str, dep: &str| Member {
            name: name.into(),
            dir: name.into(),
            publishable: true,
            version_from_workspace: true,
            depends_on: vec![dep.into()],
        };
        let err = publish_order(&[member("a", "b"), member("b", "a")]).unwrap_err();
        assert!(err.to_string().contains("cycle"));
    }
}
