#!/usr/bin/env python3
"""Benchmark: `wp-init install` next to a `tar -cf - | tar -xf -` pipe on the same tree.

Builds (once, seeded) a synthetic WordPress-shaped tree of ~3,000 files / ~60 MB with
log-normal file sizes, or uses the tree given with --source, then runs each command
--runs times into a fresh directory and prints the medians and their ratio. A benchmark,
not a test: nothing here asserts a time.

    scripts/bench.py [--source DIR] [--runs N] [--bin target/release/wp-init] [--dir DIR]
"""
import argparse, os, random, shutil, statistics, subprocess, sys, tempfile, time

def make_tree(root, files=3000, total=60_000_000, seed=7):
    rng = random.Random(seed)
    sizes = [rng.lognormvariate(9.0, 1.4) for _ in range(files)]
    scale = total / sum(sizes)
    dirs = [f"wp-includes/d{i:03d}" for i in range(120)] + [f"wp-admin/d{i:02d}" for i in range(40)] + \
        [f"wp-content/plugins/p{i:02d}" for i in range(25)] + [f"wp-content/themes/t{i}" for i in range(15)]
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for i, s in enumerate(sizes):
        rel = "index.php" if i == 0 else "wp-includes/version.php" if i == 1 else \
            f"{dirs[i % len(dirs)]}/f{i:04d}.php"
        with open(os.path.join(root, rel), "wb") as fh:
            fh.write(rng.randbytes(max(1, int(s * scale))))

def timed(cmd, dst):
    shutil.rmtree(dst, ignore_errors=True)
    os.mkdir(dst)
    os.sync()  # start each run with no dirty data from the previous one
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--bin", default="target/release/wp-init")
    ap.add_argument("--dir", help="scratch directory (default: a new temp dir)")
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="wp-init-bench.")
    src = a.source or os.path.join(work, "src")
    if not a.source and not os.path.exists(os.path.join(src, "index.php")):
        make_tree(src)
    n = sum(len(fs) for _, _, fs in os.walk(src))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(src) for f in fs
               if not os.path.islink(os.path.join(d, f)))
    dst = os.path.join(work, "dst")
    cmds = {
        "wp-init install": f"{os.path.abspath(a.bin)} install --source {src} --target {dst} --user 0:0",
        "tar pipe": f"tar -C {src} -cf - . | tar -C {dst} -xf -",
    }
    print(f"tree: {src}: {n} files, {size / 1e6:.1f} MB; {a.runs} runs each, medians", file=sys.stderr)
    med = {}
    for name, cmd in cmds.items():
        timed(cmd, dst)  # warm-up
        runs = [timed(cmd, dst) for _ in range(a.runs)]
        med[name] = statistics.median(runs)
        print(f"{name:16s} median {med[name]:.3f} s  (min {min(runs):.3f}, max {max(runs):.3f})")
    print(f"ratio wp-init / tar: {med['wp-init install'] / med['tar pipe']:.2f}")
    shutil.rmtree(dst, ignore_errors=True)

if __name__ == "__main__":
    main()
