//! End-to-end proof on a real WordPress: drives `tests/e2e/run.sh` with the `wp-init` binary
//! that cargo built for this test.
//!
//! The script builds an image-like source tree from Debian's `wordpress` package (cached per
//! version), installs it with `wp-init install`, serves it with `php -S` against a throwaway
//! MariaDB, installs WordPress through its web installer and logs in to the dashboard. It
//! needs Debian with apt access (it installs mariadb-server, php-cli, php-mysql and curl when
//! they are missing, which needs root); see the comments at the top of `tests/e2e/run.sh`.
//! Its output is streamed as it runs (the child inherits stdout and stderr).

use std::path::Path;
use std::process::Command;

#[test]
fn wordpress_installs_and_serves_end_to_end() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = workspace.join("tests/e2e/run.sh");
    assert!(script.is_file(), "missing {}", script.display());

    let status = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_wp-init"))
        .current_dir(&workspace)
        .status()
        .expect("could not start bash to run tests/e2e/run.sh");

    assert!(
        status.success(),
        "tests/e2e/run.sh failed ({status}); its output above says which check"
    );
}
