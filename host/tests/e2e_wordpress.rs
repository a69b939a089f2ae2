//! End-to-end proof on a real WordPress: drives the scripts in `tests/e2e/` with the `wp-init`
//! binary that cargo built for this test.
//!
//! * `run.sh`: builds an image-like source tree from Debian's `wordpress` package (cached per
//!   version), installs it with `wp-init install`, serves it with `php -S` against a throwaway
//!   MariaDB, installs WordPress through its web installer and logs in to the dashboard.
//! * `upgrade.sh`: installs and runs WordPress 6.1.9 (bookworm's package) the same way, adds an
//!   upload and a plugin, then `wp-init upgrade`s it to 6.8.12 (trixie's package, fetched with
//!   a private apt configuration), runs WordPress's own database upgrade, checks that a
//!   downgrade is refused, and `wp-init verify`s the tree clean and tampered; it prints
//!   upgrade and verify timings next to `tar` and `sha256sum`. It runs twice more with the
//!   releases as fetched SOURCEs (`WP_E2E_SOURCE`, `tests/e2e/sources.sh`): tarballs over
//!   HTTPS, and images in a registry on loopback.
//!
//! They need Debian with apt access (they install mariadb-server, php-cli, php-mysql and curl
//! when they are missing, which needs root); see the comments at the top of each script.
//! Their output is streamed as they run (the child inherits stdout and stderr). The two tests
//! take turns (one lock): each starts its own servers, and the timings they print would
//! otherwise measure each other.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run_script(name: &str, env: &[(&str, &str)]) {
    // A failed test poisons the lock; the next one still runs.
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let workspace: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = workspace.join("tests/e2e").join(name);
    assert!(script.is_file(), "missing {}", script.display());

    let status = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_wp-init"))
        .envs(env.iter().copied())
        .current_dir(&workspace)
        .status()
        .unwrap_or_else(|e| panic!("could not start bash to run tests/e2e/{name}: {e}"));

    assert!(
        status.success(),
        "tests/e2e/{name} failed ({status}); its output above says which check"
    );
}

#[test]
#[ignore = "needs root, apt and Debian's archive: scripts/test.sh runs it"]
fn wordpress_installs_and_serves_end_to_end() {
    run_script("run.sh", &[]);
}

#[test]
#[ignore = "needs root, apt and Debian's archive: scripts/test.sh runs it"]
fn wordpress_upgrades_and_verifies_end_to_end() {
    run_script("upgrade.sh", &[]);
}

#[test]
#[ignore = "needs root, apt and Debian's archive: scripts/test.sh runs it"]
fn wordpress_upgrades_from_release_tarballs_over_https() {
    run_script("upgrade.sh", &[("WP_E2E_SOURCE", "https")]);
}

#[test]
#[ignore = "needs root, apt and Debian's archive: scripts/test.sh runs it"]
fn wordpress_upgrades_from_images_in_a_registry() {
    run_script("upgrade.sh", &[("WP_E2E_SOURCE", "registry")]);
}
