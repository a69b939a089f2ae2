#!/usr/bin/env python3
"""Writes a WordPress-image-like OCI image of a tree, daemon-less (tests/e2e/upgrade.sh).

    image-from-tree.py LAYOUT TREE TAG ARCH

Adds to the OCI image layout LAYOUT (made when missing) an image index tagged TAG with two
images, linux/amd64 and linux/arm64, each of three layers over /usr/src/wordpress:

1. tar+gzip: TREE as it is, plus `wp-admin/e2e-whited-out.php` and a directory
   `wp-content/e2e-opaque/` that the next layer hides;
2. tar: the whiteout `wp-admin/.wh.e2e-whited-out.php`, the opaque marker
   `wp-content/.wh..wh..opq`, and TREE's wp-content again;
3. tar+gzip: `wp-includes/version.php` — TREE's own in the ARCH image; in the other, one
   saying `$wp_version = '0.0.1-wrong-platform'`, so that an install from the wrong platform's
   image is seen at once (an upgrade to it is refused as a downgrade).

So ARCH's image, its layers applied with their whiteouts, is exactly TREE. Entries keep TREE's
modes, mtimes (whole seconds) and symlinks; owners are 0:0. Prints the index's digest.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
TAR = "application/vnd.oci.image.layer.v1.tar"
TGZ = "application/vnd.oci.image.layer.v1.tar+gzip"
REF = "org.opencontainers.image.ref.name"
ROOT = "usr/src/wordpress"
MTIME = 1700000000


def main():
    layout, tree, tag, arch = sys.argv[1:]
    blobs = os.path.join(layout, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def blob(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def encode(document):
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    def entries(t, top, first=()):
        """TREE's entries under `top` ("" for all), parents first, sorted; `first`: extra
        entries written right after `top`'s own (where an image builder puts an opaque
        marker: it sorts first among the directory's children)."""
        names = [top]
        for parent, dirs, files in os.walk(os.path.join(tree, top)):
            dirs.sort()
            rel = os.path.relpath(parent, tree)
            for name in sorted(dirs + files):
                names.append(name if rel == "." else f"{rel}/{name}")
        for name in sorted(names):
            info = t.gettarinfo(os.path.join(tree, name), f"{ROOT}/{name}" if name else ROOT)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = int(info.mtime)
            if info.isreg():
                with open(os.path.join(tree, name), "rb") as f:
                    t.addfile(info, f)
            else:
                t.addfile(info)
            if name == top:
                for args in first:
                    extra(t, *args)

    def extra(t, name, content=None):
        info = tarfile.TarInfo(f"{ROOT}/{name}")
        info.mtime = MTIME
        if content is None:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        else:
            info.mode, info.size = 0o644, len(content)
            t.addfile(info, io.BytesIO(content))

    def layer(fill):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
            for d in ("usr", "usr/src"):
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                t.addfile(info)
            fill(t)
        return out.getvalue()

    def base(t):
        entries(t, "")
        extra(t, "wp-admin/e2e-whited-out.php", b"<?php // hidden by a whiteout\n")
        extra(t, "wp-content/e2e-opaque")
        extra(t, "wp-content/e2e-opaque/stale.php", b"<?php // hidden by an opaque directory\n")

    def hiding(t):
        extra(t, "wp-admin/.wh.e2e-whited-out.php", b"")
        entries(t, "wp-content", [("wp-content/.wh..wh..opq", b"")])

    version_path = os.path.join(tree, "wp-includes", "version.php")
    with open(version_path, "rb") as f:
        version = f.read()
    wrong = b"<?php\n$wp_version = '0.0.1-wrong-platform';\n$wp_db_version = 1;\n"

    def platform_layer(content):
        def fill(t):
            info = t.gettarinfo(version_path, f"{ROOT}/wp-includes/version.php")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = int(info.mtime)
            info.size = len(content)
            t.addfile(info, io.BytesIO(content))

        return layer(fill)

    shared = [layer(base), layer(hiding)]
    manifests = []
    for platform in ("amd64", "arm64"):
        raw = shared + [platform_layer(version if platform == arch else wrong)]
        packed = [gzip.compress(raw[0], 6, mtime=0), raw[1], gzip.compress(raw[2], 6, mtime=0)]
        layers = [blob(p, m) for p, m in zip(packed, (TGZ, TAR, TGZ))]
        config = {
            "architecture": platform,
            "os": "linux",
            "config": {"WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(r).hexdigest() for r in raw]},
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": blob(encode(config), CONFIG),
            "layers": layers,
        }
        entry = blob(encode(manifest), MANIFEST)
        entry["platform"] = {"architecture": platform, "os": "linux"}
        manifests.append(entry)
    index = blob(encode({"schemaVersion": 2, "mediaType": INDEX, "manifests": manifests}), INDEX)

    index_json = os.path.join(layout, "index.json")
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_json):
        with open(index_json) as f:
            top = json.load(f)
    top["manifests"] = [m for m in top["manifests"] if m.get("annotations", {}).get(REF) != tag]
    top["manifests"].append(dict(index, annotations={REF: tag}))
    with open(index_json, "w") as f:
        json.dump(top, f, sort_keys=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(index["digest"])


main()
