//! `cargo xtask`: ci, codegen, release.
fn main() -> anyhow::Result<()> {
    Ok(())
}
