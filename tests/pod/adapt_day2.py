"""adapt_day2.py — examples/kubernetes/wordpress-fpm-persistent.yaml as the two replica
Pods the day-2 test plays (tests/pod/day2.sh).

Usage: adapt_day2.py EXAMPLE_DIR IMAGES_JSON PHASE STATE_DIR REPORTS_DIR OUT_DIR

Writes OUT_DIR/replica-a.yaml and OUT_DIR/replica-b.yaml, one Pod per replica of the
Deployment (replicas: 2), both on the docroot volume (the PersistentVolumeClaim's name,
a podman volume the test creates). Only what podman 4.3 or the test needs changes, as in
adapt.py: image names (IMAGES_JSON: the example's names -> this machine's images), Pod
names, restartPolicy Never, no container ports (--network none), each emptyDir named for its
replica (podman 4.3 makes them named volumes), and `--json` added to the
init container's wp-init command, its report written to REPORTS_DIR/<replica>.json, so that
the test knows what each replica did. Replica a
also gets the test's MariaDB (its data on a second volume, day2-mariadb, so that the site
outlives each step) and a checker running check-day2.sh PHASE with STATE_DIR (where the
first phase leaves what the later one checks).
"""

import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def main():
    example_dir, images_json, phase, state_dir, reports_dir, out_dir = sys.argv[1:7]
    images = json.loads(images_json)
    docs = load(os.path.join(example_dir, "common.yaml")) + load(
        os.path.join(example_dir, "wordpress-fpm-persistent.yaml")
    )
    with open(os.path.join(HERE, "test-containers.yaml")) as f:
        extra = yaml.safe_load(f)
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    if deployment["spec"]["replicas"] != 2:
        sys.exit("adapt_day2.py: the example should run two replicas")
    configmaps = [d for d in docs if d["kind"] == "ConfigMap"]

    for replica in ("a", "b"):
        spec = yaml.safe_load(yaml.safe_dump(deployment["spec"]["template"]["spec"]))
        spec["restartPolicy"] = "Never"
        # The init container's --json report goes to a file (podman removes an init
        # container, and its log, once it succeeded).
        (init,) = [c for c in spec["initContainers"] if c["name"] == "wp-init"]
        init["command"] = ["sh", "-c", f'exec "$@" >/day2-reports/{replica}.json', "sh"] + init[
            "command"
        ] + ["--json"]
        init["volumeMounts"].append({"name": "day2-reports", "mountPath": "/day2-reports"})
        spec["volumes"].append(
            {"name": "day2-reports", "hostPath": {"path": reports_dir, "type": "Directory"}}
        )
        if replica == "a":
            db, checker = extra["containers"]
            checker["command"] = ["bash", "/check/check-day2.sh", phase]
            checker["volumeMounts"].append({"name": "day2-state", "mountPath": "/state"})
            spec["containers"] += [db, checker]
            spec["volumes"] += [
                v for v in extra["volumes"] if v["name"] != "mariadb-data"
            ] + [
                {"name": "mariadb-data", "persistentVolumeClaim": {"claimName": "day2-mariadb"}},
                {"name": "check", "hostPath": {"path": HERE, "type": "Directory"}},
                {"name": "day2-state", "hostPath": {"path": state_dir, "type": "Directory"}},
            ]
        # podman 4.3 makes each emptyDir a named volume, created by name when the Pod is
        # played: the two replicas, played at once, raced to create the same name ("volume
        # already exists") and shared what Kubernetes gives each Pod alone. One per replica.
        own = {v["name"]: f'{v["name"]}-{replica}' for v in spec["volumes"] if "emptyDir" in v}
        for v in spec["volumes"]:
            v["name"] = own.get(v["name"], v["name"])
        for c in spec["initContainers"] + spec["containers"]:
            c["image"] = images[c["image"]]
            c.pop("ports", None)
            for m in c.get("volumeMounts", []):
                m["name"] = own.get(m["name"], m["name"])
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"wp-day2-{replica}"},
            "spec": spec,
        }
        with open(os.path.join(out_dir, f"replica-{replica}.yaml"), "w") as f:
            yaml.safe_dump_all(configmaps + [pod], f, sort_keys=False)


main()
