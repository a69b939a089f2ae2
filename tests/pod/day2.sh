# day2.sh — "day 2" in real Pods: the upgrade path users run (sourced by run.sh, which has
# set up podman, the images and its helpers; call day2).
#
# examples/kubernetes/wordpress-fpm-persistent.yaml, its docroot on a persistent volume, as
# two replica Pods (adapt_day2.py) played at the same time on that volume, three times:
#   1. the WordPress 6.1 image (bookworm's tree): one replica's `wp-init upgrade` installs,
#      the other finds it done (after waiting for the lock, or after it was released); the
#      checker (check-day2.sh first) runs the web installer, writes a post, uploads a file,
#      installs a plugin from a zip through the admin and activates it;
#   2. the same Deployment with the 6.8 image (trixie's tree, Containerfile.day2: the tag
#      bump): one replica upgrades core in the volume, the other finds it up to date;
#      WordPress's database upgrade runs (check-day2.sh upgraded), the site serves 6.8 with
#      its post, upload and active plugin;
#   3. back to the 6.1 image (a rollback): both init containers refuse (exit 3), `kube play`
#      fails, no app container starts, and the volume is unchanged (every entry's type,
#      mode, owner, size, times, inode and content; the root's times aside: the lock file
#      was created and removed there).

# replicas STEP IMAGE: plays both replica Pods of STEP with the WordPress IMAGE, at once;
# sets rc_a and rc_b (kube play's exit codes) and day2_dir.
replicas() {
	local step=$1 image=$2 images pa pb
	day2_dir=$work/day2/$step
	mkdir -p "$day2_dir"
	images=$(printf '{"wp-init:0.1.0": "%s", "wordpress:6-php8.3-fpm": "%s", "nginx:1.27": "%s", "mariadb": "%s", "checker": "%s"}' \
		"$wp_init_image" "$image" localhost/wp-init-test/nginx:latest localhost/wp-init-test/mariadb:latest \
		localhost/wp-init-test/checker:latest)
	mkdir -p "$day2_dir/reports"
	chown 33:33 "$day2_dir/reports" # the init containers run as 33:33
	"$python" "$here/adapt_day2.py" "$examples" "$images" "$step" "$work/day2/state" "$day2_dir/reports" \
		"$day2_dir" || die "adapt_day2.py $step failed"
	podman kube play --network none "$day2_dir/replica-a.yaml" >"$day2_dir/a.log" 2>&1 &
	pa=$!
	podman kube play --network none "$day2_dir/replica-b.yaml" >"$day2_dir/b.log" 2>&1 &
	pb=$!
	rc_a=0 rc_b=0
	wait "$pa" || rc_a=$?
	wait "$pb" || rc_b=$?
}
# unplay_replicas: both Pods gone; the volumes stay.
unplay_replicas() {
	local r
	for r in a b; do
		podman kube down "$day2_dir/replica-$r.yaml" >/dev/null 2>&1 || true
		podman pod rm -f -t 0 "wp-day2-$r" >/dev/null 2>&1 || true
	done
}
# one_worked WORK IDLE: one replica's wp-init said WORK, the other IDLE; both locked alone.
one_worked() {
	local r
	for r in a b; do
		[[ -s $day2_dir/reports/$r.json ]] || die "day 2: replica $r's wp-init wrote no report"
	done
	"$python" - "$1" "$2" "$day2_dir/reports/a.json" "$day2_dir/reports/b.json" <<'EOF' >&2 \
		|| die "day 2: the replicas' reports are not one $1 and one $2"
import json, sys
work, idle = sys.argv[1:3]
reports = [json.load(open(p)) for p in sys.argv[3:]]
for name, r in zip("ab", reports):
    lock = r["lock"]
    waited = "after waiting %.2f s for %s" % (lock["waited_secs"], lock["held_by"]) if lock["held_by"] else "(lock free)"
    print("pod: day 2: replica %s: %s, lock %s %s" % (name, r["status"], lock["mode"], waited))
    assert lock["mode"] == "exclusive", lock
assert sorted(r["status"] for r in reports) == sorted([work, idle]), [r["status"] for r in reports]
EOF
}
# volume_state: every entry of the docroot volume, with what a change would touch.
volume_state() {
	local mp
	mp=$(podman volume inspect -f '{{.Mountpoint}}' wordpress-docroot) || die "podman volume inspect failed"
	# The volume's root without its times: the refusing runs took the lock, whose file
	# they created and removed there.
	(cd "$mp" && find . -maxdepth 0 -printf '. %y %m %U:%G %i\n' \
		&& find . -mindepth 1 -printf '%P %y %m %U:%G %s %T@ %C@ %i\n' | LC_ALL=C sort \
		&& find . -type f -exec md5sum {} + | LC_ALL=C sort -k2)
}

day2() {
	local new_tree old_image=localhost/wp-init-test/wordpress-fpm:latest new_image=localhost/wp-init-test/wordpress-fpm-next:latest
	local old_version new_version rc r c state
	phase "day 2: the next WordPress image"
	new_tree=$(bash "$repo/tests/e2e/build-source.sh" --suite trixie | tail -n1)/with-template
	[[ -f $new_tree/wp-includes/version.php ]] || die "build-source.sh --suite trixie gave no tree"
	version_of() { sed -n "s/^\$wp_version = '\([^']*\)';.*/\1/p" "$1/wp-includes/version.php"; }
	old_version=$(version_of "$image_root/usr/src/wordpress") new_version=$(version_of "$new_tree")
	[[ -n $old_version && -n $new_version && $old_version != "$new_version" ]] \
		|| die "day 2: versions '$old_version' and '$new_version'"
	podman build --quiet --pull=never -t "$new_image" --build-arg "BASE=$old_image" \
		-f "$here/Containerfile.day2" "$new_tree" >/dev/null || die "building the $new_version image failed"
	"$venv/bin/kubernetes-validate" --strict -k 1.35.0 "$examples/common.yaml" \
		"$examples/wordpress-fpm-persistent.yaml" >&2 || die "wordpress-fpm-persistent.yaml does not validate"
	mkdir -p "$work/day2/state"
	chown 33:33 "$work/day2/state" # the checker runs as 33:33
	"$python" - "$work/day2/state/day2-marker.zip" <<'EOF' || die "cannot make the plugin's zip"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("day2-marker/day2-marker.php", """<?php
/*
Plugin Name: Day Two Marker
Description: wp-init's day-2 test: marks the front page while it is active.
Version: 1.0
*/
add_action('wp_footer', function () { echo '<!-- day2-marker-active -->'; });
""")
EOF
	printf '%s\n' "$new_version" >"$work/day2/state/want-version"
	"$python" - "$work/day2/secret.json" "$here/test-containers.yaml" <<'EOF' || die "cannot write the Secret"
import base64, json, sys, yaml
values = yaml.safe_load(open(sys.argv[2]))["secret"]
json.dump({k: base64.b64encode(v.encode()).decode() for k, v in values.items()}, open(sys.argv[1], "w"))
EOF
	podman secret create wordpress-env "$work/day2/secret.json" >/dev/null || die "podman secret create failed"
	podman volume create wordpress-docroot >/dev/null && podman volume create day2-mariadb >/dev/null \
		|| die "podman volume create failed"
	chown 33:33 "$(podman volume inspect -f '{{.Mountpoint}}' wordpress-docroot)" # fsGroup's effect

	phase "day 2: two replicas start on an empty volume with WordPress $old_version"
	replicas first "$old_image"
	((rc_a == 0 && rc_b == 0)) || { cat "$day2_dir"/*.log >&2; die "day 2: kube play exited $rc_a and $rc_b"; }
	one_worked installed up-to-date
	pod=wp-day2-a checker_result
	unplay_replicas

	phase "day 2: the tag bump to WordPress $new_version"
	replicas upgraded "$new_image"
	((rc_a == 0 && rc_b == 0)) || { cat "$day2_dir"/*.log >&2; die "day 2: kube play exited $rc_a and $rc_b"; }
	one_worked upgraded up-to-date
	pod=wp-day2-a checker_result
	unplay_replicas

	phase "day 2: a rollback to WordPress $old_version is refused"
	volume_state >"$work/day2/before-rollback"
	replicas refused "$old_image"
	((rc_a != 0 && rc_b != 0)) || die "day 2: kube play succeeded ($rc_a, $rc_b) with an older WordPress"
	for r in a b; do
		rc=$(podman inspect -f '{{.State.ExitCode}}' "wp-day2-$r-wp-init") || die "podman inspect failed"
		[[ $rc == 3 ]] || { podman logs "wp-day2-$r-wp-init" >&2; die "day 2: replica $r's wp-init exited $rc, want 3"; }
		podman logs "wp-day2-$r-wp-init" 2>&1 | grep -q "refusing to downgrade WordPress $new_version to $old_version" \
			|| die "day 2: replica $r's wp-init does not say it refuses the downgrade"
		for c in php-fpm nginx; do
			state=$(podman inspect -f '{{.State.Status}}' "wp-day2-$r-$c") || die "podman inspect wp-day2-$r-$c failed"
			[[ $state == created ]] || die "day 2: wp-day2-$r-$c is $state although its init container refused"
		done
	done
	diff "$work/day2/before-rollback" <(volume_state) >&2 || die "day 2: the refused rollback changed the volume"
	unplay_replicas
	podman volume rm wordpress-docroot day2-mariadb >/dev/null || die "podman volume rm failed"
	podman secret rm wordpress-env >/dev/null || die "podman secret rm failed"
	say "ok: day 2: installed at $old_version by one of two replicas, upgraded to $new_version by one, rollback refused by both"
}
