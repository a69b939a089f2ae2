//! The rows' archives, built in memory from [`E`] entries: tar blocks written by hand (the
//! `tar` crate's builder refuses to write a lie: `..`, absolute names, sizes that disagree),
//! gzip with `flate2`, zip with the `zip` crate and then edited in place where a zip must
//! lie (overlaps, names that disagree, sizes).
//!
//! Names, link targets and PAX values may hold `{outside}` (the canary directory beside
//! TARGET, absolute) and `{long}` (a relative name of more than 4 KiB).

use std::io::Write;

/// Bytes as the table writes them.
pub type B = &'static [u8];

/// One archive entry (names are the archive's, e.g. `wordpress/index.php`).
#[derive(Clone, Copy, Debug)]
pub enum E {
    /// A directory and its mode (`/` is added to a tar name).
    Dir(B, u32),
    /// A regular file: mode and content.
    File(B, u32, B),
    /// A symlink and its target.
    Symlink(B, B),
    /// A hard link and the name it links to.
    Hard(B, B),
    /// A tar header of this type flag and no data: `3` char device, `4` block device,
    /// `6` FIFO, `S` GNU sparse (a GNU header, no holes)... (devices are 1:3, /dev/null's).
    Typed(B, u8),
    /// A regular file of this many zero bytes.
    Zeros(B, u64),
    /// A PAX extended header (`x`) with these records, for the entry that follows.
    Pax(&'static [(B, B)], &'static E),
    /// A PAX global header (`g`) with these records (`git archive` writes one).
    Global(&'static [(B, B)]),
    /// A GNU long-name record (`L`) naming the entry that follows.
    GnuLong(B, &'static E),
    /// A regular file whose header says `size` while `data` follows (padded to a block).
    Sized(B, u64, B),
    /// A file whose PAX `size` is 10 while its ustar size also covers the entry given,
    /// written inside its data: a reader trusting PAX sees that entry, one trusting the
    /// ustar header does not (the 2026 tar-rs desyncs).
    Smuggle(B, &'static E),
}

/// How the archive's bytes are laid out (and the file's name ending).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Tar,
    TarGz,
    Tgz,
    Zip,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Tar => "release-6.8.1.tar",
            Format::TarGz => "release-6.8.1.tar.gz",
            Format::Tgz => "release-6.8.1.tgz",
            Format::Zip => "release-6.8.1.zip",
        }
    }
}

/// A recognisable modification time for every entry (2020-09-13).
pub const MTIME: u64 = 1_600_000_000;

/// Replaces the placeholders in `b`.
pub struct Fill {
    pub outside: Vec<u8>,
}

impl Fill {
    pub fn fill(&self, b: &[u8]) -> Vec<u8> {
        replace(&replace(b, b"{outside}", &self.outside), b"{long}", &long())
    }
}

/// A relative name of 4,285 bytes: 17 components of 250 `a`s, then `x.php`.
pub fn long() -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..17 {
        out.extend(std::iter::repeat_n(b'a', 250));
        out.push(b'/');
    }
    out.extend(b"x.php");
    out
}

fn replace(b: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(from) {
            out.extend(to);
            i += from.len();
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// `prefix/name` (`prefix/` for an empty name; `name` for an empty prefix).
pub fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_vec(),
        (false, true) => [prefix, b"/"].concat(),
        (false, false) => [prefix, b"/", name].concat(),
    }
}

// Tar.

/// The archive's entries as tar: each `(prefix, entry)` in order, then the two zero blocks.
pub fn tar(entries: &[(Vec<u8>, E)], fill: &Fill) -> Vec<u8> {
    let mut out = Vec::new();
    for (prefix, e) in entries {
        tar_entry(&mut out, prefix, e, fill);
    }
    out.extend([0u8; 1024]);
    out
}

/// A gzip stream of `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn tar_entry(out: &mut Vec<u8>, prefix: &[u8], e: &E, fill: &Fill) {
    let name = |n: &[u8]| fill.fill(&join(prefix, n));
    match *e {
        E::Dir(n, mode) => {
            let mut n = name(n);
            if !n.ends_with(b"/") {
                n.push(b'/');
            }
            plain(out, &n, b'5', mode, b"", b"");
        }
        E::File(n, mode, data) => plain(out, &name(n), b'0', mode, data, b""),
        E::Symlink(n, to) => plain(out, &name(n), b'2', 0o777, b"", &fill.fill(to)),
        E::Hard(n, to) => plain(out, &name(n), b'1', 0o644, b"", &fill.fill(to)),
        E::Typed(n, b'S') => {
            // A GNU header (the tar crate reads sparse entries only from one), no holes.
            let mut h = tar::Header::new_gnu();
            let n = name(n);
            h.as_mut_bytes()[..n.len()].copy_from_slice(&n);
            h.as_gnu_mut().unwrap().set_real_size(0);
            set(&mut h, b'S', 0o644, 0);
            out.extend(h.as_bytes());
        }
        E::Typed(n, kind) => {
            let mut h = header(&name(n), kind, 0o644, 0, b"");
            if kind == b'3' || kind == b'4' {
                h.set_device_major(1).unwrap();
                h.set_device_minor(3).unwrap();
                h.set_cksum();
            }
            out.extend(h.as_bytes());
        }
        E::Zeros(n, size) => {
            out.extend(header(&name(n), b'0', 0o644, size, b"").as_bytes());
            let padded = size.div_ceil(512) * 512;
            out.resize(out.len() + usize::try_from(padded).unwrap(), 0);
        }
        E::Pax(records, inner) => {
            extension(out, b'x', records, fill);
            tar_entry(out, prefix, inner, fill);
        }
        E::Global(records) => extension(out, b'g', records, fill),
        E::GnuLong(n, inner) => {
            let data = [name(n).as_slice(), b"\0"].concat();
            let mut h = tar::Header::new_gnu();
            h.as_mut_bytes()[..13].copy_from_slice(b"././@LongLink");
            set(&mut h, b'L', 0o644, data.len() as u64);
            out.extend(h.as_bytes());
            pad(out, &data);
            tar_entry(out, prefix, inner, fill);
        }
        E::Sized(n, size, data) => {
            out.extend(header(&name(n), b'0', 0o644, size, b"").as_bytes());
            pad(out, data);
        }
        E::Smuggle(n, inner) => {
            let mut hidden = Vec::new();
            tar_entry(&mut hidden, prefix, inner, fill);
            extension(out, b'x', &[(b"size", b"10")], fill);
            out.extend(header(&name(n), b'0', 0o644, 512 + hidden.len() as u64, b"").as_bytes());
            pad(out, b"0123456789");
            out.extend(hidden);
        }
    }
}

/// One entry: a PAX header first when the name or link target does not fit ustar's 100
/// bytes (ustar's fields then hold their first 100 bytes, as bsdtar writes them).
fn plain(out: &mut Vec<u8>, name: &[u8], kind: u8, mode: u32, data: B, link: &[u8]) {
    let mut records: Vec<(&[u8], &[u8])> = Vec::new();
    if name.len() > 100 {
        records.push((b"path", name));
    }
    if link.len() > 100 {
        records.push((b"linkpath", link));
    }
    if !records.is_empty() {
        pax_header(out, b'x', &records);
    }
    out.extend(header(name, kind, mode, data.len() as u64, link).as_bytes());
    pad(out, data);
}

/// A ustar header: the name and link target cut to 100 bytes, owner 0:0, [`MTIME`].
fn header(name: &[u8], kind: u8, mode: u32, size: u64, link: &[u8]) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    let b = h.as_mut_bytes();
    let n = name.len().min(100);
    b[..n].copy_from_slice(&name[..n]);
    let l = link.len().min(100);
    b[157..157 + l].copy_from_slice(&link[..l]);
    set(&mut h, kind, mode, size);
    h
}

/// Sets the type, mode, size, owner and time, and the checksum.
fn set(h: &mut tar::Header, kind: u8, mode: u32, size: u64) {
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    h.set_cksum();
}

fn extension(out: &mut Vec<u8>, kind: u8, records: &[(B, B)], fill: &Fill) {
    let filled: Vec<(Vec<u8>, Vec<u8>)> = records
        .iter()
        .map(|(k, v)| (k.to_vec(), fill.fill(v)))
        .collect();
    let refs: Vec<(&[u8], &[u8])> = filled
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    pax_header(out, kind, &refs);
}

/// A PAX header block (`x` or `g`) holding `records`.
fn pax_header(out: &mut Vec<u8>, kind: u8, records: &[(&[u8], &[u8])]) {
    let data: Vec<u8> = records.iter().flat_map(|(k, v)| record(k, v)).collect();
    let name: &[u8] = if kind == b'g' {
        b"pax_global_header"
    } else {
        b"PaxHeaders.0/entry"
    };
    out.extend(header(name, kind, 0o644, data.len() as u64, b"").as_bytes());
    pad(out, &data);
}

/// `LEN KEY=VALUE\n`, LEN counting itself.
fn record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    [len.to_string().as_bytes(), b" ", key, b"=", value, b"\n"].concat()
}

/// `data`, zero-padded to a whole block.
fn pad(out: &mut Vec<u8>, data: &[u8]) {
    out.extend(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

// Zip.

const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// The archive's entries as a zip (files deflated, Unix modes in the external attributes).
pub fn zip(entries: &[(Vec<u8>, E)], fill: &Fill) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::from_date_and_time(2020, 9, 13, 12, 26, 40).unwrap());
    let attrs = |mode: u32| opts.external_attributes(mode << 16);
    for (prefix, e) in entries {
        let name = |n: &[u8]| String::from_utf8(fill.fill(&join(prefix, n))).unwrap();
        match *e {
            E::Dir(n, mode) => {
                let dos_dir = opts.external_attributes(((S_IFDIR | mode) << 16) | 0x10);
                w.add_directory(name(n), dos_dir).unwrap();
            }
            E::File(n, mode, data) => {
                w.start_file(name(n), attrs(S_IFREG | mode)).unwrap();
                w.write_all(data).unwrap();
            }
            E::Symlink(n, to) => {
                let to = String::from_utf8(fill.fill(to)).unwrap();
                w.add_symlink(name(n), to, attrs(S_IFLNK | 0o777)).unwrap();
            }
            E::Zeros(n, size) => {
                w.start_file(name(n), attrs(S_IFREG | 0o644)).unwrap();
                let chunk = vec![0u8; 1 << 20];
                let mut left = size;
                while left > 0 {
                    let k = left.min(chunk.len() as u64);
                    w.write_all(&chunk[..k as usize]).unwrap();
                    left -= k;
                }
            }
            ref other => panic!("no zip form: {other:?}"),
        }
    }
    w.finish().unwrap().into_inner()
}

/// One central-directory record of a zip: where it starts in the file.
#[derive(Clone, Copy, Debug)]
pub struct Cd(usize);

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// The end-of-central-directory record's offset.
fn eocd(b: &[u8]) -> usize {
    b.windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("a zip has an end record")
}

/// The central directory's records, in order.
pub fn central(b: &[u8]) -> Vec<Cd> {
    let e = eocd(b);
    let (count, mut at) = (u16_at(b, e + 10), u32_at(b, e + 16) as usize);
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(&b[at..at + 4], b"PK\x01\x02");
        out.push(Cd(at));
        at += 46 + u16_at(b, at + 28) + u16_at(b, at + 30) + u16_at(b, at + 32);
    }
    out
}

impl Cd {
    pub fn name<'a>(&self, b: &'a [u8]) -> &'a [u8] {
        &b[self.0 + 46..self.0 + 46 + u16_at(b, self.0 + 28)]
    }

    /// The offset of its local header.
    pub fn local(&self, b: &[u8]) -> u32 {
        u32_at(b, self.0 + 42)
    }

    pub fn set_local(&self, b: &mut [u8], v: u32) {
        put_u32(b, self.0 + 42, v);
    }

    /// Where its data starts (after its local header).
    pub fn data_start(&self, b: &[u8]) -> u32 {
        let local = self.local(b) as usize;
        (local + 30 + u16_at(b, local + 26) + u16_at(b, local + 28)) as u32
    }

    pub fn set_compressed(&self, b: &mut [u8], v: u32) {
        put_u32(b, self.0 + 20, v);
    }

    /// Sets the uncompressed size here and in the local header.
    pub fn set_size(&self, b: &mut [u8], v: u32) {
        put_u32(b, self.0 + 24, v);
        let local = self.local(b) as usize;
        put_u32(b, local + 22, v);
    }
}

/// The central record naming `name`.
pub fn record_of(b: &[u8], name: &[u8]) -> Cd {
    central(b)
        .into_iter()
        .find(|c| c.name(b) == name)
        .unwrap_or_else(|| panic!("no {:?} in the zip", String::from_utf8_lossy(name)))
}

/// Replaces every occurrence of `from` (local headers and central directory alike) by
/// `to`, of the same length.
pub fn rename(mut b: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut i = 0;
    while i + from.len() <= b.len() {
        if &b[i..i + from.len()] == from {
            b[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    b
}

/// Replaces `from` by `to` in the local header of the entry the central directory names
/// `from` only (the central directory keeps `from`).
pub fn rename_local(mut b: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let local = record_of(&b, from).local(&b) as usize;
    assert_eq!(&b[local + 30..local + 30 + from.len()], from);
    b[local + 30..local + 30 + to.len()].copy_from_slice(to);
    b
}
