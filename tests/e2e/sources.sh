# shellcheck shell=bash
# sources.sh — the SOURCE forms upgrade.sh runs its upgrade with (WP_E2E_SOURCE); sourced
# after lib.sh.
#
#   sources_start KIND OLD NEW OLD_VERSION NEW_VERSION
#       sets old_src and new_src: the wp-init arguments naming the trees OLD and NEW as KIND:
#       dir       --source DIR
#       https     release tarballs (wordpress-X.Y.Z.tar.gz, a top-level wordpress/, made with
#                 GNU tar) served by tests/oci/https-server.py with a certificate of a CA made
#                 here, trusted through SSL_CERT_FILE: --source https://… --sha256 HEX --cache
#       registry  an image per release (tests/oci/image-from-tree.py: an index of linux/amd64
#                 and linux/arm64, three layers with a whiteout and an opaque directory over
#                 /usr/src/wordpress; the other platform's image is a wrong one) pushed with
#                 skopeo to Debian's docker-registry with TLS and htpasswd basic auth:
#                 --source docker://127.0.0.1:PORT/wordpress:X.Y.Z@sha256:… --registry-auth
#                 (a Docker config.json) --cache
#       and new_digest: NEW's `source_digest` in `--json` (empty for dir)
#   sources_offline
#       stops the servers: from then on every run must find what it needs in the --cache.
#
# The servers listen on 127.0.0.1 only and are tracked (service_track) like the others.
# $work and $here are the sourcing script's; old_src and new_src are read there.
# shellcheck disable=SC2154,SC2034

old_src=() new_src=() new_digest="" registry_dir=""
sources_servers=()

# sources_tls DIR: a CA (DIR/ca/ca.crt; skopeo's --dest-cert-dir reads DIR/ca) and a server
# certificate it signed for 127.0.0.1 (DIR/cert.pem, DIR/key.pem).
sources_tls() {
	local dir=$1
	mkdir -p "$dir/ca"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=wp-init e2e CA" \
			-keyout "$dir/ca.key" -out "$dir/ca/ca.crt"
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$dir/key.pem" -out "$dir/cert.csr"
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$dir/ext"
		openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca/ca.crt" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 2 -extfile "$dir/ext" -out "$dir/cert.pem"
	} > "$dir/openssl.log" 2>&1 || die "openssl could not make the test certificates ($dir/openssl.log)"
	export SSL_CERT_FILE="$dir/ca/ca.crt"
}

# sources_release TREE VERSION DIR: DIR/wordpress-VERSION.tar.gz of TREE, as wordpress.org
# ships it (one top-level wordpress/); prints its SHA-256.
sources_release() {
	local archive="$3/wordpress-$2.tar.gz"
	tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --transform 's,^\.,wordpress,' \
		-czf "$archive" . || die "tar could not make $archive"
	sha256sum "$archive" | cut -d' ' -f1
}

sources_start() {
	local kind=$1 old=$2 new=$3 old_version=$4 new_version=$5 dir="$work/sources" port old_digest
	case $kind in
		dir)
			old_src=(--source "$old") new_src=(--source "$new")
			return
			;;
		https) ensure_packages openssl python3 ;;
		registry) ensure_packages openssl python3 docker-registry skopeo apache2-utils ;;
		*) die "WP_E2E_SOURCE is '$kind': want dir, https or registry" ;;
	esac
	mkdir -p "$dir/www"
	sources_tls "$dir/tls"
	if [[ $kind == https ]]; then
		local old_sha new_sha
		old_sha=$(sources_release "$old" "$old_version" "$dir/www")
		new_sha=$(sources_release "$new" "$new_version" "$dir/www")
		python3 "$here/../oci/https-server.py" "$dir/www" "$dir/tls/cert.pem" "$dir/tls/key.pem" \
			> "$dir/https.port" 2> "$dir/https.log" &
		service_track $! https-server.py
		sources_servers+=($!)
		wait_until 20 $! test -s "$dir/https.port" || die "https-server.py did not start ($dir/https.log)"
		port=$(cat "$dir/https.port")
		old_src=(--source "https://127.0.0.1:$port/wordpress-$old_version.tar.gz" --sha256 "$old_sha" --cache "$dir/cache")
		new_src=(--source "https://127.0.0.1:$port/wordpress-$new_version.tar.gz" --sha256 "$new_sha" --cache "$dir/cache")
		new_digest=sha256:$new_sha
		say "https://127.0.0.1:$port serving wordpress-$old_version.tar.gz and wordpress-$new_version.tar.gz"
		return
	fi
	sources_registry "$dir"
	old_digest=$(sources_push "$old" "$old_version")
	new_digest=$(sources_push "$new" "$new_version")
	old_src=(--source "docker://127.0.0.1:$registry_port/wordpress:$old_version@$old_digest" --registry-auth "$dir/config.json" --cache "$dir/cache")
	new_src=(--source "docker://127.0.0.1:$registry_port/wordpress:$new_version@$new_digest" --registry-auth "$dir/config.json" --cache "$dir/cache")
	say "registry on 127.0.0.1:$registry_port holding wordpress:$old_version ($old_digest) and wordpress:$new_version ($new_digest)"
}

# sources_registry_files DIR PORT LOG_LEVEL: what Debian's docker-registry needs to serve on
# 127.0.0.1:PORT with TLS (sources_tls DIR/tls first) and htpasswd basic auth
# (DIR/registry.yml, DIR/htpasswd), and DIR/config.json, its credentials as
# `--registry-auth` reads them; sets registry_dir, registry_port and registry_creds (as
# skopeo's `--creds` takes them).
registry_port="" registry_creds=""
sources_registry_files() {
	local dir=$1 user=wp password='e2e s3cret'
	registry_dir=$dir registry_port=$2 registry_creds="$user:$password"
	htpasswd -B -b -c "$dir/htpasswd" "$user" "$password" 2> /dev/null || die "htpasswd failed"
	cat > "$dir/registry.yml" <<-EOF
		version: 0.1
		log: {level: $3}
		storage: {filesystem: {rootdirectory: $dir/storage}}
		http: {addr: '127.0.0.1:$registry_port', secret: e2e, tls: {certificate: $dir/tls/cert.pem, key: $dir/tls/key.pem}}
		auth: {htpasswd: {realm: e2e, path: $dir/htpasswd}}
	EOF
	printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$registry_port" "$(printf '%s' "$registry_creds" | base64 -w0)" \
		> "$dir/config.json"
}

# sources_registry DIR: the registry of sources_registry_files, started on a free port.
sources_registry() {
	local dir=$1
	sources_registry_files "$dir" "$(free_port)" error
	docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 &
	service_track $! docker-registry
	sources_servers+=($!)
	# /v2/ answers 401 without credentials once the registry is up.
	wait_until 20 $! curl -s -o /dev/null --cacert "$dir/tls/ca/ca.crt" "https://127.0.0.1:$registry_port/v2/" \
		|| die "docker-registry did not come up on 127.0.0.1:$registry_port ($dir/registry.log)"
}

# sources_push TREE TAG: pushes the image of TREE (tests/oci/image-from-tree.py, this machine's
# platform the right one) as wordpress:TAG; prints its index's digest. skopeo runs behind
# the command prefix registry_exec (empty, or `ip netns exec NS` for a registry there).
registry_exec=()
sources_push() {
	local tree=$1 tag=$2 digest
	digest=$(python3 "$here/../oci/image-from-tree.py" "$registry_dir/layout" "$tree" "$tag" "$(dpkg --print-architecture)") \
		|| die "image-from-tree.py could not make the image of $tree"
	"${registry_exec[@]}" skopeo copy --quiet --all --preserve-digests --dest-cert-dir "$registry_dir/tls/ca" \
		--dest-creds "$registry_creds" "oci:$registry_dir/layout:$tag" "docker://127.0.0.1:$registry_port/wordpress:$tag" \
		> "$registry_dir/skopeo.log" 2>&1 || die "skopeo could not push wordpress:$tag ($(tail -n 3 "$registry_dir/skopeo.log"))"
	printf '%s\n' "$digest"
}

sources_offline() {
	local pid
	for pid in "${sources_servers[@]}"; do service_stop "$pid"; done
	sources_servers=()
}
