//! The `vnfeed` binary as a user runs it, from the repository root.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `vnfeed ARGS` and waits for it.
pub fn vnfeed(args: &[&str]) -> Output {
    vnfeed_with(args, &[], b"")
}

/// Runs `vnfeed ARGS` with `env` set and `stdin` as its standard input. The variables that
/// would change its defaults (store, feeds, base URL, address, time zone) are removed first,
/// so a test says what it wants whatever the environment it runs in.
pub fn vnfeed_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vnfeed"));
    cmd.args(args).current_dir(super::repo());
    for key in [
        "VNFEED_STORE",
        "VNFEED_FEEDS",
        "VNFEED_BASE_URL",
        "VNFEED_ADDR",
        "TZ",
    ] {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
