#!/usr/bin/env bash
# The deployment of README's "Deployment" section, run on this machine on loopback only:
# a throwaway PostgreSQL cluster, two vnfeed replicas, and nginx with deploy/nginx.conf in
# front, then a walk through what each piece does. Everything stops at the end.
#   deploy/try-loopback.sh            (uses target/debug/vnfeed; VNFEED_BIN to choose)
#   BASE_PORT=28080 deploy/try-loopback.sh
# Needs: nginx, the PostgreSQL server binaries, curl. Ports BASE_PORT..BASE_PORT+2.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(readlink -f "${VNFEED_BIN:-target/debug/vnfeed}")
base=${BASE_PORT:-18080}
edge=$base a=$((base + 1)) b=$((base + 2))
work=$(mktemp -d -t vnfeed-try.XXXXXX)
chmod 755 "$work"
token=thu-tren-may-nay
pids=()

finish() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    tests/support/pg-cluster stop "$work/pg" >/dev/null 2>&1 || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap finish EXIT

say() { printf '\n== %s\n' "$*"; }
status_of() { curl -s -o /dev/null -w '%{http_code} %header{x-cache-status} etag=%header{etag}' "$@"; }
until_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return; sleep 0.1; done; echo "no answer from $1"; exit 1; }

say "PostgreSQL: a throwaway cluster"
store=$(tests/support/pg-cluster init "$work/pg")
echo "$store"

say "two replicas on 127.0.0.1:$a and :$b, one database"
for port in $a $b; do
    VNFEED_STORE=$store VNFEED_BASE_URL=http://tin.example VNFEED_API_TOKEN=$token \
        VNFEED_FEEDS=feeds "$bin" --log-format json serve --addr 127.0.0.1:$port \
        2>"$work/replica-$port.log" &
    pids+=($!)
    until_up "http://127.0.0.1:$port/healthz"
done
curl -s "http://127.0.0.1:$a/healthz"; echo

say "nginx on 127.0.0.1:$edge with deploy/nginx.conf"
mkdir -p "$work/cache" && chmod 777 "$work/cache"
sed -e "s|/var/cache/nginx/vnfeed|$work/cache|" \
    -e "s|listen 80;|listen 127.0.0.1:$edge;|" \
    -e "s|127.0.0.1:8081|127.0.0.1:$a|" -e "s|127.0.0.1:8082|127.0.0.1:$b|" \
    deploy/nginx.conf >"$work/vnfeed.conf"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
    log_format cache '\$status \$upstream_cache_status';
    access_log $work/nginx-access.log cache;
    include $work/vnfeed.conf;
}
EOF
nginx -t -q -c "$work/nginx.conf" -p "$work"
nginx -c "$work/nginx.conf" -p "$work"
until_up "http://127.0.0.1:$edge/healthz"
feed=http://127.0.0.1:$edge/feeds/borders.rss

say "replicas agree: same ETag from each, and through nginx"
for port in $a $b; do status_of "http://127.0.0.1:$port/feeds/borders.rss"; echo " (replica :$port)"; done
status_of "$feed"; echo " (nginx, first request)"
status_of "$feed"; echo " (nginx, again)"
etag=$(curl -s -o /dev/null -w '%header{etag}' "$feed")
status_of -H "If-None-Match: $etag" "$feed"; echo " (nginx, conditional)"
status_of -H 'Accept-Encoding: gzip, br' "$feed"; echo " (nginx, brotli)"

say "a write through nginx reaches the edge"
start=$(date +%s.%N)
curl -s -o /dev/null -w '%{http_code} POST /api/articles\n' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "http://127.0.0.1:$edge/api/articles" -d '{
  "id": "thu-2026-01", "title": "Đồn Biên phòng Trà Lĩnh thử triển khai hai máy chủ",
  "published": "2026-11-26T08:00:00+07:00", "categories": ["bien-gioi"],
  "body": "Bài viết thử khi chạy hai bản sao sau nginx.\n\nHai bản sao dùng chung một cơ sở dữ liệu."}'
for port in $a $b; do
    until curl -s "http://127.0.0.1:$port/feeds/borders.rss" | grep -q 'Trà Lĩnh'; do sleep 0.02; done
    printf 'replica :%s has it after %.3f s\n' "$port" "$(echo "$(date +%s.%N) - $start" | bc)"
done
until curl -s "$feed" | grep -q 'Trà Lĩnh'; do sleep 0.05; done
printf 'nginx serves it after %.3f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

say "one replica stops: nginx sends everything to the other"
kill "${pids[0]}"
for _ in 1 2 3 4; do status_of "http://127.0.0.1:$edge/feeds/all.atom?page=1"; echo; done

say "PostgreSQL stops: the remaining replica serves its last good feeds, health says degraded"
tests/support/pg-cluster stop "$work/pg"
curl -s "http://127.0.0.1:$b/healthz"; echo
status_of "http://127.0.0.1:$b/feeds/borders.rss"; echo " (replica :$b)"
curl -s -o /dev/null -w '%{http_code} POST during the outage\n' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "http://127.0.0.1:$edge/api/articles" \
    -d '{"id": "thu-2026-02", "title": "Bài gửi khi cơ sở dữ liệu ngừng",
         "published": "2026-11-26T09:00:00+07:00", "categories": ["bien-gioi"],
         "body": "Bài này không được lưu: máy chủ trả 503 và bên gửi thử lại sau."}'

say "PostgreSQL is back: the replica recovers by itself"
tests/support/pg-cluster start "$work/pg"
until curl -s "http://127.0.0.1:$b/healthz" | grep -q '"ok"'; do sleep 0.1; done
curl -s "http://127.0.0.1:$b/healthz"; echo
curl -s "http://127.0.0.1:$b/metrics" | grep -E '^vnfeed_(http_requests_total\{route="feed"|http_not_modified_share|store_errors_total|change_)'
say "what nginx answered (status, cache status)"
sort "$work/nginx-access.log" | uniq -c
