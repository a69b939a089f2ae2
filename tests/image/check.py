#!/usr/bin/env python3
"""Checks the image archive scripts/image.sh writes (it runs this on every build).

    check.py ARCHIVE VERSION

- the archive is an OCI layout whose index.json names one image index, wp-init:VERSION,
  and every blob's name is its sha256;
- the index lists linux/amd64 and linux/arm64 image manifests, and one CycloneDX SBOM
  artifact per platform whose `subject` is that platform's manifest;
- each manifest's config says its architecture and linux, runs as 33:33 with wp-init as its
  entrypoint, and carries the build inputs as labels (and the manifest as annotations);
- each image has one layer holding exactly /etc/passwd, /etc/group and /usr/local/bin/wp-init
  (and their directories), in sorted order, owned by 0:0, dated by the config's `created`;
  the binary is a static ELF for the manifest's architecture;
- each SBOM describes wp-init for that platform's Rust target.

Prints one line per check; exits 1 on the first failure.
"""

import datetime
import gzip
import hashlib
import io
import json
import sys
import tarfile

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CYCLONEDX = "application/vnd.cyclonedx+json"
ELF_MACHINE = {"amd64": 62, "arm64": 183}
TRIPLE = {"amd64": "x86_64-unknown-linux-musl", "arm64": "aarch64-unknown-linux-musl"}
INPUTS = [
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.source",
    "org.opencontainers.image.created",
    "wp-init.build.target",
    "wp-init.build.cargo-lock-sha256",
    "wp-init.build.rustc",
    "wp-init.build.c-toolchain",
]


def fail(message):
    print(f"image check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def ok(message):
    print(f"image check: ok: {message}", file=sys.stderr)


def expect(condition, message):
    if not condition:
        fail(message)


def has_interpreter(elf):
    """Whether the little-endian ELF64 file `elf` has a PT_INTERP program header."""
    phoff = int.from_bytes(elf[32:40], "little")
    size, count = int.from_bytes(elf[54:56], "little"), int.from_bytes(elf[56:58], "little")
    return any(int.from_bytes(elf[phoff + i * size:phoff + i * size + 4], "little") == 3 for i in range(count))


def main():
    archive, version = sys.argv[1:]
    with tarfile.open(archive) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}

    blobs = {}
    for name, data in files.items():
        if name.startswith("blobs/sha256/"):
            digest = "sha256:" + name.rsplit("/", 1)[1]
            expect(hashlib.sha256(data).hexdigest() == digest[7:], f"{name} is not named by its digest")
            blobs[digest] = data
    ok(f"{len(blobs)} blobs, each named by its sha256")

    def blob(descriptor, media_type=None):
        data = blobs.get(descriptor["digest"])
        expect(data is not None, f"blob {descriptor['digest']} missing")
        expect(len(data) == descriptor["size"], f"blob {descriptor['digest']} has the wrong size")
        if media_type:
            expect(descriptor["mediaType"] == media_type, f"{descriptor} is not a {media_type}")
        return data

    top = json.loads(files["index.json"])
    expect(len(top["manifests"]) == 1, "index.json names more than one image (podman load refuses it)")
    tag = top["manifests"][0].get("annotations", {}).get("org.opencontainers.image.ref.name")
    expect(tag == f"wp-init:{version}", f"tagged {tag}, not wp-init:{version}")
    index = json.loads(blob(top["manifests"][0], INDEX))
    for key in ["org.opencontainers.image.revision", "wp-init.build.cargo-lock-sha256", "wp-init.build.rustc"]:
        expect(index.get("annotations", {}).get(key), f"the index lacks the annotation {key}")
    ok(f"one image index, {tag}, {top['manifests'][0]['digest']}, annotated with the build inputs")

    images = [m for m in index["manifests"] if m.get("artifactType") != CYCLONEDX]
    sboms = [m for m in index["manifests"] if m.get("artifactType") == CYCLONEDX]
    platforms = [(m["platform"]["os"], m["platform"]["architecture"]) for m in images]
    expect(platforms == [("linux", "amd64"), ("linux", "arm64")], f"platforms {platforms}")

    for image in images:
        arch = image["platform"]["architecture"]
        manifest = json.loads(blob(image, MANIFEST))
        config = json.loads(blob(manifest["config"], "application/vnd.oci.image.config.v1+json"))
        expect(config["architecture"] == arch, f"the {arch} config says {config['architecture']}")
        expect(config["os"] == "linux", f"the {arch} config says os {config['os']}")
        expect(config["config"].get("User") == "33:33", f"the {arch} image runs as {config['config'].get('User')}")
        expect(config["config"].get("Entrypoint") == ["/usr/local/bin/wp-init"], f"the {arch} entrypoint")
        labels = config["config"].get("Labels", {})
        annotations = manifest.get("annotations", {})
        for key in INPUTS:
            expect(labels.get(key) not in (None, "", "unknown"), f"the {arch} config lacks the label {key}")
            expect(annotations.get(key) == labels[key], f"the {arch} manifest's annotation {key} differs from the label")
        expect(labels["wp-init.build.target"] == TRIPLE[arch], f"the {arch} image was built for {labels['wp-init.build.target']}")
        expect(labels["org.opencontainers.image.version"] == version, f"the {arch} image's version label")
        ok(f"linux/{arch}: manifest {image['digest'][:19]}..., config says {arch}/linux, 33:33, build inputs labelled")

        created = datetime.datetime.fromisoformat(config["created"].replace("Z", "+00:00")).timestamp()
        expect(len(manifest["layers"]) == 1, f"the {arch} image has {len(manifest['layers'])} layers")
        layer = gzip.decompress(blob(manifest["layers"][0], "application/vnd.oci.image.layer.v1.tar+gzip"))
        expect(
            "sha256:" + hashlib.sha256(layer).hexdigest() == config["rootfs"]["diff_ids"][0],
            f"the {arch} layer does not match its diff_id",
        )
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            members = tar.getmembers()
            names = [m.name.rstrip("/") for m in members]
            want = ["etc", "etc/group", "etc/passwd", "usr", "usr/local", "usr/local/bin", "usr/local/bin/wp-init"]
            expect(names == want, f"the {arch} layer holds {names}")
            for m in members:
                expect(m.uid == 0 and m.gid == 0, f"{arch}: {m.name} is owned by {m.uid}:{m.gid}")
                expect(m.mtime == created, f"{arch}: {m.name} is dated {m.mtime}, not {created}")
            binary = tar.extractfile("usr/local/bin/wp-init").read()
        expect(binary[:4] == b"\x7fELF", f"the {arch} wp-init is not ELF")
        machine = int.from_bytes(binary[18:20], "little")
        expect(machine == ELF_MACHINE[arch], f"the {arch} wp-init is for ELF machine {machine}")
        expect(not has_interpreter(binary), f"the {arch} wp-init asks for a dynamic loader (PT_INTERP)")
        ok(f"linux/{arch}: one layer, {len(members)} entries sorted, 0:0, dated {config['created']}; "
           f"wp-init is a static ELF for {arch} ({len(binary) // 1024} KiB)")

        mine = [s for s in sboms if s["platform"] == {"architecture": "unknown", "os": "unknown"}
                and json.loads(blob(s, MANIFEST))["subject"]["digest"] == image["digest"]]
        expect(len(mine) == 1, f"{len(mine)} SBOMs refer to the {arch} manifest")
        artifact = json.loads(blob(mine[0], MANIFEST))
        expect(artifact["config"]["mediaType"] == "application/vnd.oci.empty.v1+json", f"the {arch} SBOM's config")
        expect(len(artifact["layers"]) == 1, f"the {arch} SBOM artifact has {len(artifact['layers'])} blobs")
        bom = json.loads(blob(artifact["layers"][0], CYCLONEDX))
        expect(bom.get("bomFormat") == "CycloneDX", f"the {arch} SBOM is no CycloneDX document")
        expect(bom["metadata"]["component"]["name"] == "wp-init", f"the {arch} SBOM describes another component")
        names = {c["name"] for c in bom.get("components", [])}
        expect({"wasmtime", "wasmtime-wasi", "mimalloc"} <= names, f"the {arch} SBOM lacks the musl build's crates")
        expect(TRIPLE[arch] in json.dumps(bom["metadata"]), f"the {arch} SBOM does not name {TRIPLE[arch]}")
        ok(f"linux/{arch}: its CycloneDX SBOM ({len(names)} components, {TRIPLE[arch]}) refers to its manifest")

    expect(len(sboms) == len(images), f"{len(sboms)} SBOMs for {len(images)} images")


if __name__ == "__main__":
    main()
