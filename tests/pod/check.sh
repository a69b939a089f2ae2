#!/usr/bin/env bash
# check.sh — the test client inside the Pod (the checker container): WordPress through
# nginx and php-fpm on the Pod's loopback.
#
# Waits (polling, bounded) until wp-admin/install.php answers 200, which needs nginx,
# php-fpm, the docroot wp-init installed and MariaDB. Then, unless CHECK_MODE=entrypoint
# (only that page is checked): runs WordPress's web installer, checks the front page shows
# "Hello world!", logs in to the dashboard, uploads a file through wp-admin (php-fpm
# writes wp-content/uploads) and fetches it back through nginx. Exits non-zero on the
# first failed check, saying which.
set -euo pipefail
base=${BASE_URL:?}
mode=${CHECK_MODE:-full}
tmp=$(mktemp -d)

say() { printf 'checker: %s\n' "$*" >&2; }
die() { printf 'checker: FAILED: %s\n' "$*" >&2; exit 1; }
# http METHOD PATH OUTFILE [curl args...]: prints the HTTP status.
http() {
	local method=$1 path=$2 out=$3
	shift 3
	curl -sS --max-time 120 -X "$method" -o "$tmp/$out" -w '%{http_code}' "$@" "$base$path" \
		|| die "curl $method $path failed"
}
text() { sed -e 's/<[^>]*>//g' "$tmp/$1" | tr -s ' \n\t' ' ' | head -c 300; }

# Everything is up when the installer page renders (it connects to the database).
for ((i = 0; i < 900; i++)); do
	status=$(curl -s -o "$tmp/install0.html" -w '%{http_code}' --max-time 10 "$base/wp-admin/install.php" || true)
	[[ $status == 200 ]] && break
	sleep 0.2
done
[[ $status == 200 ]] || die "wp-admin/install.php never answered 200 (last: $status: $(text install0.html))"
grep -q 'WordPress &rsaquo; Installation' "$tmp/install0.html" || die "install.php is not WordPress's installer: $(text install0.html)"
say "ok: the installer page is served through nginx and php-fpm"
[[ $mode == entrypoint ]] && exit 0

status=$(http POST '/wp-admin/install.php?step=2' install2.html \
	--data-urlencode "weblog_title=wp-init pod" --data-urlencode "user_name=admin" \
	--data-urlencode "admin_password=pod-admin-pass" --data-urlencode "admin_password2=pod-admin-pass" \
	--data-urlencode "pw_weak=1" --data-urlencode "admin_email=admin@example.com" \
	--data-urlencode "blog_public=0" --data-urlencode "language=")
[[ $status == 200 ]] || die "POST install.php?step=2: HTTP $status"
grep -q 'Success!' "$tmp/install2.html" || die "the web installer did not succeed: $(text install2.html)"
say "ok: web installer"

status=$(http GET / front.html)
[[ $status == 200 ]] || die "GET /: HTTP $status"
grep -q 'Hello world!' "$tmp/front.html" || die "the front page does not show 'Hello world!'"
say "ok: front page shows 'Hello world!'"

jar=(-c "$tmp/cookies" -b "$tmp/cookies")
status=$(http GET /wp-login.php login0.html "${jar[@]}")
[[ $status == 200 ]] || die "GET /wp-login.php: HTTP $status"
status=$(http POST /wp-login.php login1.html "${jar[@]}" \
	--data-urlencode "log=admin" --data-urlencode "pwd=pod-admin-pass" --data-urlencode "wp-submit=Log In" \
	--data-urlencode "redirect_to=$base/wp-admin/" --data-urlencode "testcookie=1")
[[ $status == 302 ]] || die "POST /wp-login.php: HTTP $status, want a 302 to the dashboard"
status=$(http GET /wp-admin/ dashboard.html "${jar[@]}")
[[ $status == 200 ]] || die "GET /wp-admin/ after login: HTTP $status"
grep -q '<h1>Dashboard</h1>' "$tmp/dashboard.html" || die "wp-admin/ does not show the Dashboard"
say "ok: logged in to the dashboard"

# An upload through WordPress's own form (media-new.php, browser uploader): php-fpm writes
# it under wp-content/uploads, nginx serves it back.
status=$(http GET '/wp-admin/media-new.php?browser-uploader' media0.html "${jar[@]}")
[[ $status == 200 ]] || die "GET media-new.php: HTTP $status"
nonce=$(grep -o 'name="_wpnonce" value="[0-9a-f]*"' "$tmp/media0.html" | head -n1 | sed 's/.*value="\(.*\)"/\1/')
[[ -n $nonce ]] || die "no _wpnonce in media-new.php"
marker="uploaded through php-fpm $RANDOM$RANDOM"
printf '%s\n' "$marker" >"$tmp/pod-upload.txt"
status=$(http POST /wp-admin/media-new.php media1.html "${jar[@]}" \
	-F "async-upload=@$tmp/pod-upload.txt;type=text/plain" -F "html-upload=Upload" -F "post_id=0" \
	-F "_wpnonce=$nonce" -F "_wp_http_referer=/wp-admin/media-new.php")
[[ $status == 302 ]] || die "upload through media-new.php: HTTP $status: $(text media1.html)"
# Where WordPress stored it: the attachment's URL, from the REST API.
status=$(http GET '/?rest_route=/wp/v2/media' media.json)
[[ $status == 200 ]] || die "GET the media list: HTTP $status"
url=$(grep -o '"source_url":"[^"]*pod-upload[^"]*"' "$tmp/media.json" | head -n1 | sed 's/.*:"\(.*\)"/\1/; s|\\/|/|g')
path=${url#"$base"}
[[ $path == /wp-content/uploads/* ]] || die "the uploaded file is not under wp-content/uploads: '$url'"
status=$(http GET "$path" fetched.txt)
[[ $status == 200 ]] || die "GET $path: HTTP $status (the upload was not stored)"
grep -qF "$marker" "$tmp/fetched.txt" || die "$path does not hold the uploaded content"
say "ok: a media upload was written to wp-content/uploads and served back"
say "all checks passed"
