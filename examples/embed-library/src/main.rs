//! Installs WordPress with the `wp_init` library: the builder, the report, the typed error.
//!
//! ```sh
//! cargo run --release -p wp-init-example-embed-library -- examples/wordpress /tmp/docroot
//! ```
//!
//! Every `WORDPRESS_*` variable of this process is handed to the component (so
//! `wp-config.php` is written when one is set). The exit code is the `wp-init` CLI's.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, target] = args.as_slice() else {
        eprintln!("usage: embed-library SOURCE TARGET");
        return ExitCode::from(2);
    };

    let mut installer = wp_init::Installer::new(source, target);
    for (name, value) in std::env::vars().filter(|(n, _)| n.starts_with("WORDPRESS_")) {
        installer = installer.env(name, value);
    }

    match installer.install() {
        Ok(outcome) => {
            let report = &outcome.report;
            println!("status: {:?}", report.status);
            println!(
                "copied: {} files, {} directories, {} symlinks, {} bytes",
                report.files_copied,
                report.dirs_created,
                report.symlinks_copied,
                report.bytes_copied
            );
            println!("wp-config.php: {:?}", report.config.action);
            for warning in &report.warnings {
                println!("warning: {warning}");
            }
            println!(
                "host: {} modes set, {} owners set",
                outcome.host.modes_set, outcome.host.owners_set
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            // Every error names the path and the cause, once: in its message or, when the
            // cause is an error of its own, in its chain of sources. The exit code is the
            // CLI's.
            let mut message = err.to_string();
            let mut cause = std::error::Error::source(&err);
            while let Some(c) = cause {
                message = format!("{message}: {c}");
                cause = c.source();
            }
            eprintln!("error: {message}");
            ExitCode::from(u8::from(err.exit_code()))
        }
    }
}
