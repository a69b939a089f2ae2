//! The real servers the fetch tests talk to, on 127.0.0.1 only: Debian's `docker-registry`
//! (distribution 2.8) with TLS, with or without htpasswd basic auth, images pushed with
//! `skopeo`; and `tests/oci/https-server.py` (Python's http.server over TLS, with Range).
//! Each is stopped by its PID when its guard drops.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Fails with what to install when a tool the tests need is missing.
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(
        found,
        "the fetch tests need `{tool}`: apt-get install {package} (scripts/test.sh installs it)"
    );
}

/// Runs a command, failing the test with its output when it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fixtures of `tests/oci/make-fixtures.py`, made once per test process.
pub struct Fixtures {
    pub dir: PathBuf,
    pub digests: serde_json::Value,
}

/// The fixtures, made on first use.
pub fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("wp-init-fetch.")
            .tempdir()
            .unwrap();
        let dir = dir.keep();
        run(Command::new("python3")
            .arg(repo().join("tests/oci/make-fixtures.py"))
            .arg(&dir));
        let digests = std::fs::read(dir.join("fixtures.json")).unwrap();
        Fixtures {
            digests: serde_json::from_slice(&digests).unwrap(),
            dir,
        }
    })
}

/// A test CA (`ca/ca.crt`, what skopeo's `--dest-cert-dir` reads, and what the fetch
/// code trusts in these tests) and a server certificate it signed for 127.0.0.1
/// (`cert.pem`, `key.pem`): webpki refuses a self-signed CA certificate as a server's own.
pub fn tls() -> &'static Path {
    static T: OnceLock<PathBuf> = OnceLock::new();
    T.get_or_init(|| {
        require("openssl", "openssl");
        let dir = tempfile::Builder::new()
            .prefix("wp-init-tls.")
            .tempdir()
            .unwrap()
            .keep();
        std::fs::create_dir(dir.join("ca")).unwrap();
        let openssl = |args: &[&str]| {
            run(Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .stderr(Stdio::null()));
        };
        openssl(
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ]
            .into_iter()
            .chain([
                "-subj",
                "/CN=wp-init test CA",
                "-keyout",
                "ca/ca.key",
                "-out",
                "ca/ca.crt",
            ])
            .collect::<Vec<_>>(),
        );
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
            ]
            .into_iter()
            .chain(["-keyout", "key.pem", "-out", "cert.csr"])
            .collect::<Vec<_>>(),
        );
        std::fs::write(
            dir.join("ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "cert.csr",
                "-CA",
                "ca/ca.crt",
                "-CAkey",
                "ca/ca.key",
            ]
            .into_iter()
            .chain([
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext",
                "-out",
                "cert.pem",
            ])
            .collect::<Vec<_>>(),
        );
        // skopeo reads every *.key in the directory as a client key: keep the CA's apart.
        std::fs::rename(dir.join("ca/ca.key"), dir.join("ca.key")).unwrap();
        let _ = super::CERT_FILE.set(dir.join("ca/ca.crt"));
        dir
    })
}

/// A port free on 127.0.0.1 now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port` (bounded, in case it never does).
fn wait_listening(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server on port {port} exited: {status}");
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `docker-registry`, killed by PID on drop.
pub struct Registry {
    pub port: u16,
    pub dir: TempDir,
    child: Child,
}

/// Username and password of the registry with auth.
pub const USER: (&str, &str) = ("wp", "s3cret");

impl Registry {
    /// Starts a registry (with htpasswd auth when `auth`) and pushes the fixture images
    /// `multi`, `armonly` and `plain` to `wp`.
    pub fn start(auth: bool) -> Registry {
        require("docker-registry", "docker-registry");
        require("skopeo", "skopeo");
        let tls = tls();
        let dir = tempfile::Builder::new()
            .prefix("wp-init-registry.")
            .tempdir()
            .unwrap();
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}}}\n\
             http: {{addr: '127.0.0.1:{port}', secret: test, tls: {{certificate: {}, key: {}}}}}\n",
            dir.path().join("storage").display(),
            tls.join("cert.pem").display(),
            tls.join("key.pem").display(),
        );
        if auth {
            require("htpasswd", "apache2-utils");
            let htpasswd = dir.path().join("htpasswd");
            run(Command::new("htpasswd")
                .args(["-B", "-b", "-c"])
                .arg(&htpasswd)
                .args([USER.0, USER.1]));
            config += &format!(
                "auth: {{htpasswd: {{realm: test, path: {}}}}}\n",
                htpasswd.display()
            );
        }
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_listening(port, &mut child);
        let registry = Registry { port, dir, child };
        for (reference, all) in [("multi", true), ("armonly", true), ("plain", false)] {
            registry.push(reference, all, auth);
        }
        registry
    }

    fn push(&self, reference: &str, all: bool, auth: bool) {
        let layout = fixtures().dir.join("multi");
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--preserve-digests", "--dest-cert-dir"])
            .arg(tls().join("ca"));
        if all {
            cmd.arg("--all");
        }
        if auth {
            cmd.args(["--dest-creds", &format!("{}:{}", USER.0, USER.1)]);
        }
        cmd.arg(format!("oci:{}:{reference}", layout.display()))
            .arg(format!("docker://127.0.0.1:{}/wp:{reference}", self.port));
        run(&mut cmd);
    }

    /// The registry's file of blob `digest` (to corrupt it).
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Stops it now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `tests/oci/https-server.py` serving a directory, killed by PID on drop.
pub struct Https {
    pub port: u16,
    pub log: PathBuf,
    child: Child,
}

impl Https {
    /// Serves `dir`; with `cut`, the first response stops after that many body bytes.
    pub fn start(dir: &Path, cut: Option<u64>) -> Https {
        let tls = tls();
        let log = dir.join(format!("https-{}.log", free_port()));
        let mut cmd = Command::new("python3");
        cmd.arg(repo().join("tests/oci/https-server.py"))
            .arg(dir)
            .arg(tls.join("cert.pem"))
            .arg(tls.join("key.pem"));
        if let Some(cut) = cut {
            cmd.arg(cut.to_string());
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("https-server.py did not start: {line:?}")
        });
        Https { port, log, child }
    }

    /// Stops it now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Https {
    fn drop(&mut self) {
        self.stop();
    }
}
