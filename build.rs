//! `include_dir!` cannot tell Cargo which files it read: without this, editing a feed
//! definition or a sample article would leave the binary with the old copy embedded.

fn main() {
    println!("cargo:rerun-if-changed=feeds");
    println!("cargo:rerun-if-changed=samples");
}
