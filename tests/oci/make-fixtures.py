#!/usr/bin/env python3
"""Writes the fetch tests' fixtures, daemon-less and deterministic (host/src/fetch/tests.rs).

    make-fixtures.py OUT

- OUT/multi: an OCI image layout naming three images:
  - `multi`: an index of linux/amd64 and linux/arm64 images (plus an unknown/unknown entry,
    as BuildKit lists attestations), whose last layer differs (version.php says the arch);
  - `armonly`: an index of the linux/arm64 image alone;
  - `plain`: the linux/amd64 image manifest itself.
  Each image has three layers over /usr/src/wordpress: a tar+gzip tree, a plain tar with a
  whiteout (`.wh.old.php`) and an opaque directory (`wp-content/.wh..wh..opq`), and a
  tar+gzip layer with the platform's version.php.
- OUT/one: a layout naming only the amd64 image (no REF needed).
- OUT/multi.tar, OUT/one.tar: the same layouts as tar files (oci-archive:).
- OUT/wordpress.tar.gz: a release archive (wordpress/...).
- OUT/fixtures.json: the digests the tests expect.
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


def tar_bytes(files):
    """A tar of (name, content or None for a directory), fixed metadata."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.mode = 0o644
                info.size = len(content)
                t.addfile(info, io.BytesIO(content))
    return out.getvalue()


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(data)
    return out.getvalue()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def encode(doc):
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


WP = "usr/src/wordpress/"


def layers_for(arch):
    base = [
        ("usr/", None), ("usr/src/", None), (WP, None),
        (WP + "index.php", b"<?php // front\n"),
        (WP + "old.php", b"<?php // removed by layer 2\n"),
        (WP + "wp-includes/", None),
        (WP + "wp-includes/version.php", b"<?php $wp_version = '6.8';\n"),
        (WP + "wp-content/", None),
        (WP + "wp-content/plugins/", None),
        (WP + "wp-content/plugins/hidden.php", b"<?php // hidden by the opaque dir\n"),
    ]
    masks = [
        (WP + ".wh.old.php", b""),
        (WP + "wp-content/", None),
        (WP + "wp-content/.wh..wh..opq", b""),
        (WP + "wp-content/themes/", None),
        (WP + "wp-content/themes/style.css", b"/* theme */\n"),
    ]
    top = [(WP + "wp-includes/version.php", f"<?php $wp_version = '6.8'; // {arch}\n".encode())]
    return [(TGZ, tar_bytes(base)), (TAR, tar_bytes(masks)), (TGZ, tar_bytes(top))]


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, media_type):
        digest = sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def image(self, arch):
        descs, diff_ids = [], []
        for media_type, raw in layers_for(arch):
            diff_ids.append(sha(raw))
            descs.append(self.blob(gz(raw) if media_type == TGZ else raw, media_type))
        config = {"architecture": arch, "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                    "config": self.blob(encode(config), CONFIG), "layers": descs}
        desc = self.blob(encode(manifest), MANIFEST)
        return desc, descs, diff_ids

    def index(self, entries):
        return self.blob(encode({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}), INDEX)

    def name(self, entries):
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(encode({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}))


def named(desc, ref):
    return dict(desc, annotations={REF: ref})


def with_platform(desc, arch):
    return dict(desc, platform={"os": "linux", "architecture": arch})


def as_tar(layout, out):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(layout):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                info = t.gettarinfo(full, os.path.relpath(full, layout))
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                with open(full, "rb") as f:
                    t.addfile(info, f)


def main():
    out = sys.argv[1]
    multi = Layout(os.path.join(out, "multi"))
    amd, amd_layers, amd_diffs = multi.image("amd64")
    arm, arm_layers, _ = multi.image("arm64")
    # An attestation-like entry (platform unknown/unknown): a manifest of its own.
    junk = multi.blob(encode({"schemaVersion": 2, "mediaType": MANIFEST,
                              "config": multi.blob(b"{}", CONFIG),
                              "layers": [multi.blob(tar_bytes([("x", b"x")]), TAR)]}), MANIFEST)
    index = multi.index([with_platform(amd, "amd64"), with_platform(arm, "arm64"),
                         dict(junk, platform={"os": "unknown", "architecture": "unknown"})])
    armonly = multi.index([with_platform(arm, "arm64")])
    multi.name([named(index, "multi"), named(armonly, "armonly"), named(amd, "plain")])

    one = Layout(os.path.join(out, "one"))
    one.image("amd64")
    one.name([amd])

    as_tar(multi.path, os.path.join(out, "multi.tar"))
    as_tar(one.path, os.path.join(out, "one.tar"))

    # Incompressible content, so the archive is large enough to be cut mid-download.
    noise, block = b"", b"wp-init"
    while len(noise) < 256 * 1024:
        block = hashlib.sha256(block).digest()
        noise += block
    release = gz(tar_bytes([("wordpress/", None), ("wordpress/index.php", b"<?php // release\n"),
                            ("wordpress/noise.bin", noise)]))
    with open(os.path.join(out, "wordpress.tar.gz"), "wb") as f:
        f.write(release)

    summary = {
        "index": index["digest"], "armonly": armonly["digest"],
        "amd64": amd["digest"], "arm64": arm["digest"],
        "amd64_layers": [d["digest"] for d in amd_layers],
        "arm64_layers": [d["digest"] for d in arm_layers],
        "amd64_diff_ids": amd_diffs,
        "release": sha(release), "release_size": len(release),
    }
    with open(os.path.join(out, "fixtures.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
