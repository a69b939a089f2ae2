//! Command-line flags of `wp-init`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Installs WordPress into a directory, as the official image's entrypoint does, from a
/// sandboxed WebAssembly component: SOURCE read-only, TARGET writable, nothing else.
#[derive(Debug, Parser)]
#[command(
    name = "wp-init",
    version,
    about,
    max_term_width = 98,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy WordPress into TARGET unless it is installed there, then write wp-config.php
    /// when WORDPRESS_* variables are set and TARGET has none.
    Install(InstallArgs),
    /// Bring core in TARGET to SOURCE's WordPress version (install it when TARGET has
    /// none; never downgrade unless allowed): wp-admin/ and wp-includes/ end identical to
    /// SOURCE's, wp-content/ gains only what it lacks, wp-config.php is never touched.
    Upgrade(UpgradeArgs),
    /// Compare TARGET's core files with SOURCE's by SHA-256, writing nothing (TARGET is
    /// granted read-only); exit 1 when anything is modified, missing or extra.
    Verify(VerifyArgs),
    /// Write the embedded WebAssembly component to a file (for `wasmtime run`), atomically,
    /// mode 0644 (a symlink there is replaced, never written through).
    Component {
        /// Where to write the `.wasm` file.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Copy this executable to a file, atomically, mode 0755: how a FROM-scratch image (no
    /// shell, no `cp`) hands wp-init to another container through a shared volume.
    CopySelf {
        /// Where to write the executable, e.g. `/wp-init-bin/wp-init`.
        #[arg(long, short)]
        output: PathBuf,
    },
}

/// Flags of `wp-init install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The WordPress tree to copy from (granted read-only), or a release archive
    /// (.tar, .tar.gz, .tgz, .zip) that the component unpacks in the sandbox.
    #[arg(long, default_value = wp_init::DEFAULT_SOURCE, value_name = "SOURCE")]
    pub source: String,
    #[command(flatten)]
    pub archive: SourceArgs,
    /// The directory to install into.
    #[arg(long, default_value = wp_init::DEFAULT_TARGET, value_name = "DIR")]
    pub target: String,
    /// Print what would be done; TARGET is granted read-only, so nothing can be written.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also forward this environment variable to the component (WORDPRESS_* always are).
    #[arg(long, value_name = "NAME")]
    pub env: Vec<String>,
    /// Cap on the component's memory, in bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "128M")]
    pub memory_limit: u64,
    /// Cap on the component's run time, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "600")]
    pub timeout: Duration,
    /// Owner of the created entries, names or numbers. Default: www-data:www-data when
    /// running as root, else the running user (no chown at all).
    #[arg(long, value_name = "USER[:GROUP]")]
    pub user: Option<String>,
    /// Also leave this directory (relative to TARGET) in place, empty, for a volume
    /// mounted inside a read-only TARGET; wp-content/uploads always is. Repeatable.
    #[arg(long, value_name = "REL")]
    pub mount_point: Vec<String>,
    /// Mode of a written wp-config.php (octal). It holds the keys and salts: the
    /// default gives others nothing.
    #[arg(long, value_name = "MODE", value_parser = parse_mode, default_value = "0640")]
    pub config_mode: u32,
    /// How long to wait for another wp-init's lock on TARGET, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "900")]
    pub lock_timeout: Duration,
    /// Do not lock TARGET (for file systems that support no file locks); then make sure
    /// only one wp-init runs on TARGET at a time.
    #[arg(long)]
    pub no_lock: bool,
    /// Component instances a fresh install runs at once, each copying part of the tree
    /// (wp-includes, wp-admin, the rest): 1 for one (upgrade always runs one). Default:
    /// the available cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub instances: Option<u16>,
    /// After a successful install, execute this command in place of wp-init
    /// (`ENTRYPOINT ["wp-init", "install", "--"]`, `CMD ["apache2-foreground"]`).
    #[arg(last = true, value_name = "CMD")]
    pub exec: Vec<std::ffi::OsString>,
}

/// Flags of an archive SOURCE.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// The directory in the archive WordPress is taken from. Default: wordpress (a
    /// release archive's top directory).
    #[arg(long, value_name = "PATH")]
    pub source_path: Option<String>,
    /// The most bytes the archive may expand to (suffixes K, M, G allowed); more is
    /// refused as a bomb.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "1G")]
    pub max_source_bytes: u64,
    /// The archive's SHA-256 (64 hex digits), checked before anything is unpacked;
    /// required for an https:// SOURCE.
    #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
    pub sha256: Option<String>,
    /// Keep fetched archives and image blobs in DIR by digest (DIR/blobs/sha256/HEX): a
    /// second run fetches nothing it holds.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<std::path::PathBuf>,
    /// Registry credentials for a docker:// SOURCE: a Docker config.json (the content of a
    /// kubernetes.io/dockerconfigjson Secret).
    #[arg(long, value_name = "FILE")]
    pub registry_auth: Option<std::path::PathBuf>,
    /// The platform taken from a multi-platform image (os/arch[/variant]). Default: the
    /// running one.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

/// Flags of `wp-init upgrade`.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Replace core even when SOURCE's WordPress is older than TARGET's (a downgrade can
    /// break a site whose database a newer version has already upgraded).
    #[arg(long)]
    pub allow_downgrade: bool,
    #[command(flatten)]
    pub install: InstallArgs,
}

/// Flags of `wp-init verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The WordPress tree to compare with (granted read-only), or a release archive
    /// (.tar, .tar.gz, .tgz, .zip) that the component unpacks in the sandbox.
    #[arg(long, default_value = wp_init::DEFAULT_SOURCE, value_name = "SOURCE")]
    pub source: String,
    #[command(flatten)]
    pub archive: SourceArgs,
    /// The installed tree to check (granted read-only).
    #[arg(long, default_value = wp_init::DEFAULT_TARGET, value_name = "DIR")]
    pub target: String,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Cap on the component's memory, in bytes (suffixes K, M, G allowed).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "128M")]
    pub memory_limit: u64,
    /// Cap on the component's run time, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "600")]
    pub timeout: Duration,
    /// How long to wait for another wp-init's lock on TARGET, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_secs, default_value = "900")]
    pub lock_timeout: Duration,
    /// Do not lock TARGET.
    #[arg(long)]
    pub no_lock: bool,
    /// Component instances that share the hashing, each taking a share of the files
    /// (balanced by size): 1 for one. Default: the available cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub instances: Option<u16>,
}

/// The environment the component gets: every `WORDPRESS_*` variable, plus those named
/// with `--env` that are set. Values that are not UTF-8 are passed lossily (the install
/// step reads only the names).
pub fn forwarded_env(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
    extra: &[String],
) -> Vec<(String, String)> {
    vars.filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .filter(|(k, _)| k.starts_with(wp_init_core::config::VAR_PREFIX) || extra.contains(k))
        .collect()
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a number of bytes"))?;
    let shift = match unit {
        "" => 0,
        "K" | "k" | "KiB" => 10,
        "M" | "m" | "MiB" => 20,
        "G" | "g" | "GiB" => 30,
        _ => return Err(format!("unknown unit in '{s}' (use K, M or G)")),
    };
    n.checked_mul(1 << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("'{s}' is out of range"))
}

fn parse_sha256(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    match wp_init_core::source::is_sha256_hex(&lower) {
        true => Ok(lower),
        false => Err(format!("'{s}' is not a SHA-256 (64 hex digits)")),
    }
}

fn parse_mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| format!("'{s}' is not an octal mode such as 0640"))
}

/// Most seconds a time flag takes (about 31 years): any more is no limit at all.
const MAX_SECS: f64 = 999_999_999.0;

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .ok()
        .filter(|n: &f64| !n.is_nan())
        .ok_or_else(|| format!("'{s}' is not a number of seconds"))?;
    if secs <= 0.0 {
        Err(format!("'{s}' must be more than 0 seconds"))
    } else if secs > MAX_SECS {
        Err(format!("'{s}' is too long: at most {MAX_SECS} seconds"))
    } else {
        Ok(Duration::from_secs_f64(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_wordpress_variables_and_the_named_ones_only() {
        let vars = [
            ("WORDPRESS_DB_HOST", "db"),
            ("WP_EXTRA", "1"),
            ("SECRET_TOKEN", "x"),
            ("WORDPRESS_CONFIG_EXTRA", ""),
        ]
        .map(|(k, v)| (k.into(), v.into()));
        let got = forwarded_env(
            vars.clone().into_iter(),
            &["WP_EXTRA".into(), "UNSET".into()],
        );
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["WORDPRESS_DB_HOST", "WP_EXTRA", "WORDPRESS_CONFIG_EXTRA"]
        );
        assert_eq!(got[1].1, "1");
        let got = forwarded_env(vars.into_iter(), &[]);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("64M"), Ok(64 << 20));
        assert_eq!(parse_bytes("2G"), Ok(2 << 30));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("M").is_err());
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("0640"), Ok(0o640));
        assert_eq!(parse_mode("600"), Ok(0o600));
        assert!(parse_mode("0648").is_err());
        assert!(parse_mode("17777").is_err());
    }

    #[test]
    fn secs() {
        assert_eq!(parse_secs("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(
            parse_secs("inf")
                .unwrap_err()
                .contains("at most 999999999 seconds")
        );
        assert!(parse_secs("NaN").unwrap_err().contains("not a number"));
        assert_eq!(
            parse_secs("999999999"),
            Ok(Duration::from_secs(999_999_999))
        );
        assert!(parse_secs("1e9").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
