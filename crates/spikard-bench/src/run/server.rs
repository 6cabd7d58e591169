//! Starting a target's server, waiting until it answers, and stopping it by its PID.

use std::fs::File;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::spec::Target;

use super::check::Client;

/// A running target server.
#[derive(Debug)]
pub struct Server {
    pub name: String,
    pub port: u16,
    child: Child,
}

/// A free loopback port (the OS picks it; the listener is closed before the server binds).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `target` on a free port with its output in `log`, pinned to `cpus` if given,
    /// and waits until `GET /health` answers 200.
    pub fn start(
        target: &Target,
        root: &Path,
        log: &Path,
        cpus: Option<&str>,
        client: &Client,
    ) -> anyhow::Result<Server> {
        if let Some(req) = &target.requires
            && !root.join(&req.path).exists()
        {
            bail!("{} is missing; install it with: {}", req.path.display(), req.install);
        }
        let port = free_port().context("no free port")?;
        let fill = |a: &String| a.replace("{port}", &port.to_string());
        let args: Vec<String> = target.command.iter().map(fill).collect();
        let env: Vec<(&String, String)> = target.env.iter().map(|(k, v)| (k, fill(v))).collect();
        let (program, rest) = args
            .split_first()
            .with_context(|| format!("{}: empty command", target.name))?;
        let mut cmd = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(program);
                c
            }
            None => Command::new(program),
        };
        let out = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.args(rest)
            .envs(env)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .with_context(|| format!("{}: cannot start {program}", target.name))?;
        let mut server = Server {
            name: target.name.clone(),
            port,
            child,
        };
        server.wait_ready(client, log)?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn wait_ready(&mut self, client: &Client, log: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: String = tail
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                bail!("{} exited before it was ready ({status}):\n{tail}", self.name);
            }
            if let Ok(reply) = client.send("GET", &self.url("/health"), None)
                && reply.status == 200
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{} did not answer GET /health within 60 s (log: {})",
            self.name,
            log.display()
        )
    }

    /// SIGTERM, then up to 10 s for a graceful exit, then SIGKILL. Only this PID is signalled.
    pub fn stop(mut self) -> anyhow::Result<()> {
        if let Ok(Some(_)) = self.child.try_wait() {
            return Ok(());
        }
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a PID this process spawned and has not reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child
            .kill()
            .with_context(|| format!("cannot kill {}", self.name))?;
        self.child.wait()?;
        bail!("{} ignored SIGTERM for 10 s and was killed", self.name)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
