//! Which architecture a precompiled component's native code is for, read from its ELF
//! header. The build script checks the artifact it made against `TARGET`; the run time
//! checks the one it is about to load against its own architecture. A binary never runs
//! code compiled for another architecture.
//!
//! Included in `build.rs` with `#[path]`: it must not depend on anything of this crate.

/// ELF `e_machine` values of the architectures Cranelift compiles for, by Rust's
/// `target_arch` name.
const MACHINES: [(&str, u16); 4] = [
    ("x86_64", 62),
    ("aarch64", 183),
    ("riscv64", 243),
    ("s390x", 22),
];

/// The `target_arch` name of the machine the ELF file `bytes` is for; `None` if `bytes` is
/// no 64-bit ELF file or its machine is none of [`MACHINES`].
pub fn artifact_arch(bytes: &[u8]) -> Option<&'static str> {
    let header = bytes.get(..20)?;
    if header[..4] != *b"\x7fELF" || header[4] != 2 {
        return None;
    }
    let machine = [header[18], header[19]];
    let machine = match header[5] {
        1 => u16::from_le_bytes(machine),
        2 => u16::from_be_bytes(machine),
        _ => return None,
    };
    MACHINES
        .iter()
        .find(|(_, m)| *m == machine)
        .map(|(arch, _)| *arch)
}
