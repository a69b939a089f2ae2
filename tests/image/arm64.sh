#!/usr/bin/env bash
# arm64.sh [ARCHIVE] — the arm64 image's wp-init does on the real WordPress tree what the amd64
# one does: run under Debian's qemu-aarch64-static, it installs the tree built by
# tests/e2e/build-source.sh (Debian's WordPress, cached) with WORDPRESS_DB_* set, and gives
# the same tree (paths, types, modes, owners, sizes, contents, file times; wp-config.php's
# random salts, and the times of the files the run writes rather than copies, wp-config.php
# and the record of core .wp-init-core, aside) and the same `--json` report (its lock wait
# aside) as the amd64 binary run natively. Both binaries are taken from ARCHIVE (default target/image/wp-init-oci.tar,
# from scripts/image.sh): what is tested is what ships. The arm64 run must use the component
# precompiled for aarch64 (no "does not load" notice: it was not compiled at run time).
# Root: the install sets owners (www-data).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
archive=${1:-$repo/target/image/wp-init-oci.tar}

say() { printf 'arm64: %s\n' "$*" >&2; }
die() { printf 'arm64: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -f $archive ]] || die "no image archive at $archive (run scripts/image.sh)"
PATH=$("$repo/scripts/cross-setup.sh"):$PATH # qemu-user-static
source_root=$(bash "$repo/tests/e2e/build-source.sh" | tail -n1)/with-template
[[ -f $source_root/wp-includes/version.php ]] || die "build-source.sh gave no tree"

work=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-arm64-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The two binaries, out of the archive's linux/amd64 and linux/arm64 images.
python3 - "$archive" "$work" <<'EOF'
import gzip, io, json, os, sys, tarfile
archive, work = sys.argv[1:]
with tarfile.open(archive) as tar:
    blob = lambda d: tar.extractfile("blobs/sha256/" + d["digest"].split(":")[1]).read()
    top = json.loads(tar.extractfile("index.json").read())
    index = json.loads(blob(top["manifests"][0]))
    for m in index["manifests"]:
        arch = m["platform"]["architecture"]
        if arch not in ("amd64", "arm64"):
            continue
        layer = json.loads(blob(m))["layers"][0]
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layer)))) as image:
            data = image.extractfile("usr/local/bin/wp-init").read()
        path = os.path.join(work, "wp-init-" + arch)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
EOF
file -b "$work/wp-init-arm64" | grep -q 'ARM aarch64' || die "the arm64 image's wp-init is not an aarch64 binary"
file -b "$work/wp-init-amd64" | grep -q 'x86-64' || die "the amd64 image's wp-init is not an x86-64 binary"

env_vars=(WORDPRESS_DB_HOST=db WORDPRESS_DB_USER=wp WORDPRESS_DB_NAME=wp WORDPRESS_DB_PASSWORD=secret)
for arch in amd64 arm64; do
	run=()
	[[ $arch == arm64 ]] && run=(qemu-aarch64-static)
	# Both install into the same path (the report names it), then the tree is moved aside.
	mkdir "$work/target"
	start=$(date +%s%N)
	env -i PATH=/usr/bin:/bin "${env_vars[@]}" "${run[@]}" "$work/wp-init-$arch" install \
		--source "$source_root" --target "$work/target" --json --instances 2 \
		>"$work/$arch.json" 2>"$work/$arch.err" \
		|| { cat "$work/$arch.err" >&2; die "the $arch install failed"; }
	mv "$work/target" "$work/$arch"
	say "$arch install ${run[*]:+under ${run[*]} }took $((($(date +%s%N) - start) / 1000000)) ms"
	! grep -q 'does not load' "$work/$arch.err" \
		|| die "the $arch binary compiled the component at run time: $(cat "$work/$arch.err")"
done

python3 - "$work" <<'EOF'
import hashlib, json, os, re, stat, sys
work = sys.argv[1]
# define( 'AUTH_KEY', getenv_docker( 'WORDPRESS_AUTH_KEY', '<64 random characters>' ) );
salts = re.compile(rb"(define\( '(?:AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_(?:KEY|SALT)', getenv_docker\( 'WORDPRESS_\w+', ').{64}(' \) \);)")

# Not copied but written by the run, so dated now: the config and the record of core.
MADE_NOW = {"wp-config.php", ".wp-init-core"}

def tree(root):
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            entry = [stat.filemode(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISREG(st.st_mode):
                data = open(path, "rb").read()
                rel = os.path.relpath(path, root)
                if rel == "wp-config.php":
                    data, n = salts.subn(rb"\1SALT\2", data)
                    assert n == 8, f"wp-config.php holds {n} salt lines"
                made_now = rel in MADE_NOW
                entry += [st.st_size, hashlib.sha256(data).hexdigest(), None if made_now else st.st_mtime_ns]
            elif stat.S_ISLNK(st.st_mode):
                entry += [os.readlink(path)]
            entries[os.path.relpath(path, root)] = entry
    return entries

def report(arch):
    r = json.load(open(os.path.join(work, arch + ".json")))
    r.pop("lock_wait_secs")
    return r

amd, arm = tree(os.path.join(work, "amd64")), tree(os.path.join(work, "arm64"))
diff = sorted(p for p in amd.keys() | arm.keys() if amd.get(p) != arm.get(p))
assert not diff, f"the trees differ at {diff[:10]}: {[(amd.get(p), arm.get(p)) for p in diff[:3]]}"
assert "wp-config.php" in amd and "wp-includes/version.php" in amd, "the install wrote no WordPress"
ra, rb = report("amd64"), report("arm64")
assert ra == rb, f"the reports differ: {[k for k in ra.keys() | rb.keys() if ra.get(k) != rb.get(k)]}"
assert ra["status"] == "copied" and ra["config"]["action"] != "not-requested", ra["status"]
print(f"arm64: ok: the arm64 binary under qemu installed the same {len(amd)} entries "
      f"({ra['files_copied']} files) with the same --json report as the amd64 binary", file=sys.stderr)
EOF
