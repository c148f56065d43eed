//! `vnfeed serve` as its own process, for what only a process shows: its resident memory,
//! its open descriptors, and its behaviour under a descriptor limit set for it alone.

use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// A limit to set on the child before it runs: `(resource, soft, hard)`.
pub type Rlimit = (libc::__rlimit_resource_t, u64, u64);

pub struct ServeProcess {
    child: Child,
    pub url: String,
    log: Arc<Mutex<String>>,
}

impl ServeProcess {
    /// Runs `vnfeed serve --addr 127.0.0.1:0 --feeds feeds ARGS` under `limits` and waits
    /// until it listens; on exit before that, returns what it logged.
    pub fn start(args: &[&str], limits: &[Rlimit]) -> Result<ServeProcess, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vnfeed"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--feeds"])
            .arg(super::repo().join("feeds"))
            .args(args);
        ServeProcess::spawn(cmd, limits)
    }

    /// Runs `vnfeed serve --addr 127.0.0.1:0 ARGS` in `dir` as a user who installed the
    /// binary would: no `--feeds`, no `VNFEED_*` variables, whatever `dir` holds.
    pub fn start_in(dir: &std::path::Path, args: &[&str]) -> Result<ServeProcess, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vnfeed"));
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir);
        ServeProcess::spawn(cmd, &[])
    }

    /// Runs `cmd` (a `vnfeed serve` the caller set up: its arguments, variables, working
    /// directory) and waits until it listens.
    pub fn start_command(cmd: Command) -> Result<ServeProcess, String> {
        ServeProcess::spawn(cmd, &[])
    }

    /// Spawns `cmd` with none of this process's `VNFEED_*` variables but those `cmd` sets.
    fn spawn(mut cmd: Command, limits: &[Rlimit]) -> Result<ServeProcess, String> {
        let set: Vec<std::ffi::OsString> = cmd.get_envs().map(|(k, _)| k.to_owned()).collect();
        cmd.env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars() {
            if key.starts_with("VNFEED_") && !set.iter().any(|k| *k == *key) {
                cmd.env_remove(key);
            }
        }
        let limits = limits.to_vec();
        // SAFETY: setrlimit is async-signal-safe, and the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                for &(resource, soft, hard) in &limits {
                    let lim = libc::rlimit {
                        rlim_cur: soft,
                        rlim_max: hard,
                    };
                    if libc::setrlimit(resource, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("vnfeed starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            // Drains the log for the whole run: a full pipe would stop the server.
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        let url = line[at + "listening on ".len()..]
                            // A JSON log line has the message in quotes.
                            .split(|c: char| c.is_whitespace() || c == '"')
                            .next()
                            .unwrap()
                            .to_string();
                        let _ = tx.send(url);
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(50)) {
                return Ok(ServeProcess { child, url, log });
            }
            if child.try_wait().unwrap().is_some() || std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err(log.lock().unwrap().clone());
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`), in bytes.
    pub fn status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in {status}"));
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap();
        kb * 1024
    }

    /// How many descriptors the server has open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    /// The server's `Max open files` soft and hard limits.
    pub fn nofile(&self) -> (u64, u64) {
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", self.pid())).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap();
        let mut n = line
            .split_whitespace()
            .skip(3)
            .map(|v| v.parse::<u64>().unwrap());
        (n.next().unwrap(), n.next().unwrap())
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Raises this process's soft descriptor limit to its hard one; returns the new soft limit.
pub fn raise_own_nofile() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}
