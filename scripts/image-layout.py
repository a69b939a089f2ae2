#!/usr/bin/env python3
"""Finishes the OCI layout `buildah manifest push --all --format oci` wrote (scripts/image.sh).

    image-layout.py LAYOUT TAG SBOM_DIR ANNOTATIONS_JSON ARCH...

- checks that the image index lists one linux/ARCH image manifest per ARCH, in that order;
- adds, for each ARCH, the CycloneDX SBOM SBOM_DIR/wp-init-linux-ARCH.cdx.json as an OCI 1.1
  artifact (artifactType application/vnd.cyclonedx+json, an empty config, the SBOM as its
  one blob) whose `subject` is that platform's image manifest, listed in the same image index
  with the platform unknown/unknown, as BuildKit lists its attestations: `skopeo copy --all`
  carries the SBOMs with the image, platform selection skips them, and the layout's own
  index.json still names one image (podman 4.3's `podman load` refuses a layout that names
  more than one: "more than one image in oci, choose an image");
- sets the image index's annotations (ANNOTATIONS_JSON: the build inputs);
- rewrites index.json to name the new index, tagged TAG, and drops the old index blob.

Every JSON document is written compactly with sorted keys, so the same inputs give the
same digests.
"""

import hashlib
import json
import os
import sys

EMPTY = "application/vnd.oci.empty.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CYCLONEDX = "application/vnd.cyclonedx+json"


def main():
    layout, tag, sbom_dir, annotations, *archs = sys.argv[1:]
    blobs = os.path.join(layout, "blobs", "sha256")

    def read(descriptor):
        algo, digest = descriptor["digest"].split(":")
        assert algo == "sha256", descriptor
        with open(os.path.join(blobs, digest), "rb") as f:
            return f.read()

    def write(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def encode(document):
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()

    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    assert len(top["manifests"]) == 1, top
    old = top["manifests"][0]
    assert old["mediaType"] == INDEX, old
    index = json.loads(read(old))
    platforms = [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]]
    assert platforms == [("linux", a) for a in archs], platforms

    empty = write(b"{}", EMPTY)
    for image in list(index["manifests"]):
        arch = image["platform"]["architecture"]
        name = f"wp-init-linux-{arch}.cdx.json"
        with open(os.path.join(sbom_dir, name), "rb") as f:
            sbom = write(f.read(), CYCLONEDX)
        sbom["annotations"] = {"org.opencontainers.image.title": name}
        artifact = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "artifactType": CYCLONEDX,
            "config": empty,
            "layers": [sbom],
            "subject": {k: image[k] for k in ("mediaType", "digest", "size")},
            "annotations": {"org.opencontainers.image.description": f"CycloneDX SBOM of the linux/{arch} wp-init binary"},
        }
        entry = write(encode(artifact), MANIFEST)
        entry["artifactType"] = CYCLONEDX
        entry["platform"] = {"architecture": "unknown", "os": "unknown"}
        index["manifests"].append(entry)

    index["annotations"] = json.loads(annotations)
    new = write(encode(index), INDEX)
    new["annotations"] = {"org.opencontainers.image.ref.name": tag}
    if new["digest"] != old["digest"]:
        os.remove(os.path.join(blobs, old["digest"].split(":")[1]))
    top["manifests"] = [new]
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(encode(top))


if __name__ == "__main__":
    main()
