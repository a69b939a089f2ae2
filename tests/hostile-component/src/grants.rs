//! Attacks on what was not granted: descriptors and preopens it was not given, `/proc`,
//! `/dev`, the host's working directory, environment variables, sockets, stdin.

use std::io::{Read, Write};

use wasip2::filesystem::preopens::get_directories;
use wasip2::filesystem::types::{Descriptor, PathFlags};
use wasip2::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasip2::sockets::{instance_network, ip_name_lookup, tcp_create_socket, udp_create_socket};

use crate::ctx::{Ctx, create, open_dir, open_read};

/// The preopens: exactly SOURCE and TARGET, by the names the host gave.
pub fn preopens(c: &mut Ctx) {
    let mut names: Vec<String> = get_directories().into_iter().map(|(_, n)| n).collect();
    names.sort();
    c.note("preopens", names.join(","));
}

/// Component-level handles it was never given: the runtime traps the instance on the
/// first use of a forged one (the outcome line is never printed).
#[allow(unsafe_code, reason = "forging a handle is the attack")]
pub fn forged_handle(c: &mut Ctx) {
    for handle in [1000u32, 7, 100_000] {
        // SAFETY: none; a handle this instance does not own, which the host must refuse.
        let forged = unsafe { Descriptor::from_handle(handle) };
        c.op(&format!("stat-{handle}"), forged.stat().map(|s| s.type_));
        std::mem::forget(forged);
    }
}

/// File descriptor numbers of the C library it did not open: only stdin, stdout, stderr
/// and the two preopens exist.
#[allow(unsafe_code, reason = "forging a descriptor number is the attack")]
pub fn libc_descriptors(c: &mut Ctx) {
    use std::os::fd::FromRawFd;
    let mut writable = Vec::new();
    let mut readable = Vec::new();
    for fd in 0..64 {
        // SAFETY: the numbers may be unused or be stdio/preopens; `ManuallyDrop` keeps
        // them open, and every use is a plain read or write that may fail.
        let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        if fd > 2 && f.write(b"hostile").is_ok() {
            writable.push(fd);
        }
        let mut buf = [0u8; 16];
        if f.read(&mut buf).is_ok_and(|n| n > 0) {
            readable.push(fd);
        }
    }
    c.note("writable-above-stderr", format!("{writable:?}"));
    c.note("readable", format!("{readable:?}"));
}

/// `/proc`, `/dev`, `/etc` and `/` through the C library (which maps absolute paths to
/// preopens) and relative to each preopen.
pub fn proc_dev(c: &mut Ctx) {
    for (tag, path) in [
        ("proc-environ", "/proc/self/environ"),
        ("proc-fd", "/proc/self/fd/0"),
        ("proc-root", "/proc/self/root/etc/passwd"),
        ("dev-zero", "/dev/zero"),
        ("etc-passwd", "/etc/passwd"),
    ] {
        c.op(&format!("libc-{tag}"), std::fs::read(path).map(|_| ()));
    }
    c.op("libc-list-root", std::fs::read_dir("/").map(|_| ()));
    c.op(
        "libc-write-dev-null",
        std::fs::OpenOptions::new().write(true).open("/dev/null"),
    );
    for (tag, dir) in [("src", c.source.clone_dir()), ("dst", c.target.clone_dir())] {
        c.op(
            &format!("{tag}-proc-environ"),
            open_read(&dir, "/proc/self/environ", true),
        );
        c.op(
            &format!("{tag}-dev-dotdot"),
            open_read(&dir, "../../../../../../../../dev/zero", true),
        );
    }
}

/// The host's working directory: there is none, and relative paths reach nothing.
pub fn host_cwd(c: &mut Ctx) {
    let cwd = wasip2::cli::environment::initial_cwd();
    c.note("initial-cwd", cwd.as_deref().unwrap_or("none"));
    c.op(
        "libc-read-cargo-toml",
        std::fs::read("Cargo.toml").map(|_| ()),
    );
    c.op("libc-list-dot", std::fs::read_dir(".").map(|_| ()));
    c.op("libc-create", std::fs::write("hostile.txt", b"x"));
}

/// The environment and arguments: only what the host granted.
pub fn environment(c: &mut Ctx) {
    let mut names: Vec<String> = wasip2::cli::environment::get_environment()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    names.sort();
    c.note("env", names.join(","));
    c.note("args", wasip2::cli::environment::get_arguments().len());
}

/// The loopback address and the port the test listens on (`WP_INIT_PORT`).
fn listener() -> IpSocketAddress {
    let port = std::env::var("WP_INIT_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9);
    IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    })
}

/// A TCP connection to the port the test listens on.
pub fn tcp(c: &mut Ctx) {
    let network = instance_network::instance_network();
    let Some(s) = c.op(
        "create",
        tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4),
    ) else {
        return;
    };
    c.op("connect", s.start_connect(&network, listener()));
    let any = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: 0,
        address: (0, 0, 0, 0),
    });
    c.op("bind", s.start_bind(&network, any));
    c.op("listen", s.start_listen());
}

/// A UDP datagram to the port the test listens on.
pub fn udp(c: &mut Ctx) {
    let network = instance_network::instance_network();
    let Some(s) = c.op(
        "create",
        udp_create_socket::create_udp_socket(IpAddressFamily::Ipv4),
    ) else {
        return;
    };
    let any = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: 0,
        address: (0, 0, 0, 0),
    });
    c.op("bind", s.start_bind(&network, any));
    c.op("connect", s.stream(Some(listener())).map(|_| ()));
}

/// A name lookup.
pub fn name_lookup(c: &mut Ctx) {
    let network = instance_network::instance_network();
    for name in ["localhost", "example.com"] {
        let r = ip_name_lookup::resolve_addresses(&network, name).and_then(|s| {
            s.subscribe().block();
            s.resolve_next_address().map(|_| ())
        });
        c.op(&format!("resolve-{name}"), r);
    }
}

/// Reads stdin: closed.
pub fn stdin(c: &mut Ctx) {
    let input = wasip2::cli::stdin::get_stdin();
    c.op("read", input.blocking_read(1024).map(|b| b.len()));
    c.op("libc-read", std::io::stdin().read(&mut [0u8; 16]));
}

/// Writes into TARGET, which is granted read-only here (a dry run or `verify`).
pub fn target_write(c: &mut Ctx) {
    c.op("create", create(&c.target, "hostile.php", false));
    c.op("mkdir", c.target.create_directory_at("hostile-dir"));
    c.op("symlink", c.target.symlink_at("index.php", "hostile-link"));
    if let Some(d) = c.op("open-dir-mutate", open_dir(&c.target, ".", false, true)) {
        c.op("create-via-mutate-dir", create(&d, "hostile.php", false));
    }
    let r = c.target.set_times_at(
        PathFlags::empty(),
        ".",
        wasip2::filesystem::types::NewTimestamp::Now,
        wasip2::filesystem::types::NewTimestamp::Now,
    );
    c.op("set-times", r);
}

/// A second handle to a preopen.
trait CloneDir {
    fn clone_dir(&self) -> Descriptor;
}

impl CloneDir for Descriptor {
    fn clone_dir(&self) -> Descriptor {
        open_dir(self, ".", false, false)
            .unwrap_or_else(|e| panic!("reopening a preopen: {}", e.name()))
    }
}
