# shellcheck shell=bash
# registry.sh — a registry for the Pod of examples/kubernetes/wordpress-fpm-registry.yaml;
# sourced by run.sh (uses its say, die, $work, $repo, $image_root).
#
#   registry_start   a network namespace of the test's own (loopback only), Debian's
#                    docker-registry in it on 127.0.0.1:5000 with TLS (a CA made here) and
#                    htpasswd basic auth, and the WordPress stand-in image's
#                    /usr/src/wordpress pushed to it as wordpress:6-php8.3-fpm
#                    (tests/oci/image-from-tree.py: an index of two platforms, three layers
#                    with a whiteout and an opaque directory); sets registry_ns (the
#                    namespace's path, which `podman kube play` enters), registry_digest
#   registry_pulled  the registry served the image's blobs after the push (podman 4.3
#                    removes an init container that succeeded, and its log with it)
#   registry_stop    stops the registry by PID and deletes the namespace (run.sh's cleanup)
#
# The Pod joins the namespace: its containers reach the registry on their loopback, and
# nothing else (no route, no other address). The registry's files are in $work/registry:
# tls/ca/ca.crt (the CA, for SSL_CERT_FILE), auth/.dockerconfigjson (the pull Secret's
# content).
# shellcheck disable=SC2154,SC2034 # $work, $repo, $image_root: run.sh's; registry_ns: read there

registry_pid="" registry_ns="" registry_ns_name="" registry_digest=""

registry_start() {
	local dir=$work/registry tag=6-php8.3-fpm i
	command -v docker-registry skopeo htpasswd openssl >/dev/null || {
		say "installing docker-registry skopeo apache2-utils openssl"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			docker-registry skopeo apache2-utils openssl >&2 || die "apt-get install for the registry failed"
	}
	mkdir -p "$dir/auth"
	# shellcheck source=tests/e2e/sources.sh
	source "$repo/tests/e2e/sources.sh"
	sources_tls "$dir/tls"
	sources_registry_files "$dir" 5000 info # info: its log shows the blobs it serves
	cp "$dir/config.json" "$dir/auth/.dockerconfigjson"
	registry_ns_name=wp-init-pod-$$
	ip netns add "$registry_ns_name" || die "ip netns add $registry_ns_name failed"
	registry_ns=/run/netns/$registry_ns_name
	registry_exec=(ip netns exec "$registry_ns_name")
	"${registry_exec[@]}" ip link set lo up || die "cannot bring up loopback in $registry_ns_name"
	"${registry_exec[@]}" docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	registry_pid=$!
	for ((i = 0; i < 200; i++)); do
		"${registry_exec[@]}" curl -s -o /dev/null --cacert "$dir/tls/ca/ca.crt" https://127.0.0.1:5000/v2/ && break
		kill -0 "$registry_pid" 2>/dev/null || die "docker-registry exited: $(cat "$dir/registry.log")"
		sleep 0.1
	done
	((i < 200)) || die "docker-registry did not answer on 127.0.0.1:5000 in $registry_ns_name"
	registry_digest=$(sources_push "$image_root/usr/src/wordpress" "$tag")
	say "registry in $registry_ns_name on 127.0.0.1:5000: wordpress:$tag is $registry_digest"
}

registry_pulled() {
	local log=$work/registry/registry.log gets
	gets=$(grep -c 'method=GET.*uri="/v2/wordpress/blobs/sha256:' "$log" || true)
	# The platform's config and three layers; the push itself GETs none.
	((gets >= 4)) || die "the registry served $gets blobs, want the image's config and 3 layers: $(tail -n 5 "$log")"
	say "ok: the init container pulled wordpress:6-php8.3-fpm ($registry_digest): $gets blobs served"
}

registry_stop() {
	if [[ -n $registry_pid ]]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true # 143: killed by the TERM just sent
		registry_pid=""
	fi
	if [[ -n $registry_ns_name ]]; then
		ip netns del "$registry_ns_name" || say "cannot delete the network namespace $registry_ns_name"
		registry_ns_name=""
	fi
}
