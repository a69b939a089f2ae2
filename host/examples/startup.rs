//! Prints the time of each start-up stage of one cold run, one `stage microseconds` line
//! each (used by `scripts/bench.sh`):
//!
//! ```text
//! cargo run --release --example startup -- SOURCE TARGET
//! ```
//!
//! TARGET should hold an install: the last stage is the component's no-op.

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(source), Some(target)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: startup SOURCE TARGET");
    };
    let laps = wp_init::startup_profile(&source, &target).context("start-up profile")?;
    for (stage, took) in laps {
        println!("{stage}\t{}", took.as_micros());
    }
    Ok(())
}
