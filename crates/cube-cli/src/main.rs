//! The `cube` command.
fn main() {
    println!("cube {}", env!("CARGO_PKG_VERSION"));
}
