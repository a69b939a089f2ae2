"""adapt.py — turn an example under examples/kubernetes/ into the Pod the test plays.

Usage: adapt.py VARIANT EXAMPLE_DIR IMAGES_JSON OUT_DIR [SOURCE_DIR | REGISTRY_DIR]

VARIANT is image-volume (wordpress-fpm.yaml), any-cluster (wordpress-fpm-any-cluster.yaml),
registry (wordpress-fpm-registry.yaml) or entrypoint (the any-cluster Pod with its init
containers and php-fpm replaced by one container from the drop-in entrypoint image). Writes OUT_DIR/pod.yaml (ConfigMap, PVC, Pod)
and OUT_DIR/secret.json (for `podman secret create`).

Only what podman 4.3 or the test needs changes; everything else is the example as it is:
  * images: the example's names -> the images built on this machine (IMAGES_JSON);
  * the Deployment's Pod template -> a Pod named after the variant, restartPolicy Never;
  * the Secret -> secret.json with the test's values (kube play 4.3 misreads Secret objects:
    it wants a podman secret holding {"KEY": base64});
  * an image volume (podman 4.3 has none) -> a read-only hostPath of the same image's
    file system, mounted by `podman image mount` (SOURCE_DIR, already at the subPath);
  * container ports are dropped (podman refuses them with --network none);
  * registry: the image's registry -> the test's on the Pod's loopback (registry.sh), its
    pull Secret volume -> a read-only hostPath of REGISTRY_DIR/auth holding the same
    `.dockerconfigjson`, and the test CA mounted for SSL_CERT_FILE (the README's advice for
    a registry with a private CA);
  * tests/pod/test-containers.yaml's MariaDB and checker are added, plus a hostPath
    volume with the checker's script.
"""

import base64
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {
    "image-volume": "wordpress-fpm.yaml",
    "any-cluster": "wordpress-fpm-any-cluster.yaml",
    "entrypoint": "wordpress-fpm-any-cluster.yaml",
    "registry": "wordpress-fpm-registry.yaml",
}
HUB = "docker://docker.io/library/wordpress:6-php8.3-fpm"
LOOPBACK = "docker://127.0.0.1:5000/wordpress:6-php8.3-fpm"


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    if len(found) != 1:
        sys.exit(f"adapt.py: expected one {kind}, found {len(found)}")
    return found[0]


def container(spec, name):
    for c in spec["containers"]:
        if c["name"] == name:
            return c
    sys.exit(f"adapt.py: no container {name!r} in the example")


def main():
    variant, example_dir, images_json, out_dir = sys.argv[1:5]
    source_dir = sys.argv[5] if len(sys.argv) > 5 else None
    images = json.loads(images_json)
    docs = load(os.path.join(example_dir, "common.yaml")) + load(
        os.path.join(example_dir, FILES[variant])
    )
    with open(os.path.join(HERE, "test-containers.yaml")) as f:
        extra = yaml.safe_load(f)

    secret = one(docs, "Secret")
    values = dict(secret["stringData"])
    if set(values) != set(extra["secret"]):
        sys.exit(f"adapt.py: the example's Secret has {sorted(values)}, the test sets {sorted(extra['secret'])}")
    values.update(extra["secret"])
    with open(os.path.join(out_dir, "secret.json"), "w") as f:
        json.dump({k: base64.b64encode(v.encode()).decode() for k, v in values.items()}, f)

    spec = one(docs, "Deployment")["spec"]["template"]["spec"]
    spec["restartPolicy"] = "Never"
    spec["containers"] += extra["containers"]
    spec["volumes"] += extra["volumes"] + [
        {"name": "check", "hostPath": {"path": HERE, "type": "Directory"}}
    ]

    if variant == "entrypoint":
        # The official image's way: one container whose entrypoint installs, then php-fpm.
        del spec["initContainers"]
        spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "wp-init-binary"]
        fpm = container(spec, "php-fpm")
        fpm["image"] = "wordpress-entrypoint"
        del fpm["command"]  # ENTRYPOINT ["wp-init","install","--"], CMD ["php-fpm8.2","-F"]
        # Started as root like the official image: wp-init chowns to www-data, php-fpm's
        # workers drop to it.
        fpm["securityContext"] = {"runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False}
        fpm["volumeMounts"] = [
            {"name": "docroot", "mountPath": "/var/www/html"}
            if m["name"] == "docroot"
            else m
            for m in fpm["volumeMounts"]
        ]
        # nginx starts beside it, before the install has made the docroot's uploads mount
        # point: the entrypoint Pod has no uploads volume (its checker does not upload).
        spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "uploads"]
        for c in spec["containers"]:
            c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "uploads"]
        container(spec, "checker")["env"].append({"name": "CHECK_MODE", "value": "entrypoint"})

    if variant == "registry":
        registry_dir = sys.argv[5]
        init = spec["initContainers"][0]
        if HUB not in init["args"]:
            sys.exit(f"adapt.py: the registry example does not pull {HUB}")
        init["args"] = [LOOPBACK if a == HUB else a for a in init["args"]]
        init.setdefault("env", []).append({"name": "SSL_CERT_FILE", "value": "/registry-ca/ca.crt"})
        init["volumeMounts"].append({"name": "registry-ca", "mountPath": "/registry-ca", "readOnly": True})
        for vol in spec["volumes"]:
            if vol["name"] == "registry-auth":
                if vol.pop("secret")["items"] != [{"key": ".dockerconfigjson", "path": ".dockerconfigjson"}]:
                    sys.exit("adapt.py: the pull Secret is not mounted as .dockerconfigjson")
                vol["hostPath"] = {"path": os.path.join(registry_dir, "auth"), "type": "Directory"}
        spec["volumes"].append(
            {"name": "registry-ca", "hostPath": {"path": os.path.join(registry_dir, "tls/ca"), "type": "Directory"}}
        )

    for c in spec.get("initContainers", []) + spec["containers"]:
        c["image"] = images[c["image"]]
        # With --network none the Pod has loopback only: nothing to publish.
        c.pop("ports", None)

    for vol in spec["volumes"]:
        if "image" in vol:
            if not source_dir:
                sys.exit("adapt.py: the example has an image volume: give SOURCE_DIR")
            images[vol["image"]["reference"]]  # the same image the containers use
            del vol["image"]
            vol["hostPath"] = {"path": source_dir, "type": "Directory"}
            for c in spec["initContainers"] + spec["containers"]:
                for m in c.get("volumeMounts", []):
                    if m["name"] == vol["name"]:
                        if m.pop("subPath", None) != "usr/src/wordpress" or not m.get("readOnly"):
                            sys.exit("adapt.py: the image volume is not mounted read-only at its usr/src/wordpress")

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"wp-{variant}"}, "spec": spec}
    kept = [d for d in docs if d["kind"] in ("ConfigMap", "PersistentVolumeClaim")]
    with open(os.path.join(out_dir, "pod.yaml"), "w") as f:
        yaml.safe_dump_all(kept + [pod], f, sort_keys=False)


main()
