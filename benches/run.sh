#!/usr/bin/env bash
# vnfeed's benchmarks, one command from a clean clone:
#
#   bash benches/run.sh            # everything: scale (1,000,000 articles), micro, HTTP vs nginx
#   bash benches/run.sh --quick    # a few minutes: 20,000 articles, 3 s per HTTP case, 1 round
#
# Environment: BENCH_ARTICLES (1000000), BENCH_SIZE (seed: about 4 KB articles; short: 1.3 KB),
# BENCH_SECONDS per wrk case (10), BENCH_ROUNDS (3),
# BENCH_REUSE=1 keeps a store already filled by an earlier run, BENCH_SKIP="scale pg micro
# http" (any of them; `pg` is the scale run again on a throwaway PostgreSQL cluster, printed
# beside SQLite's; BENCH_PG_ARTICLES sets its size, default the same). Everything listens on and targets 127.0.0.1 only. Prints numbers; nothing
# here passes or fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ARTICLES=${BENCH_ARTICLES:-1000000}
SECONDS_PER_CASE=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
SKIP=${BENCH_SKIP:-}
if [[ "${1:-}" == "--quick" ]]; then
    ARTICLES=${BENCH_ARTICLES:-20000}
    SECONDS_PER_CASE=${BENCH_SECONDS:-3}
    ROUNDS=${BENCH_ROUNDS:-1}
fi
OUT=target/bench
SIZE=${BENCH_SIZE:-seed}
STORE=$OUT/store-$ARTICLES-$SIZE.db
mkdir -p "$OUT"

skipped() { [[ " $SKIP " == *" $1 "* ]]; }

echo "== tools"
install_tools

echo "== build (release)"
cargo build --release -p vnfeed -p vnfeed-bench --bins

echo "== machine"
echo "cores: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "memory: $(free -m | awk '/Mem:/ {print $2 " MB"}'); load now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kernel: $(uname -r); rustc: $(rustc --version)"

reuse=()
[[ "${BENCH_REUSE:-}" == 1 ]] && reuse=(--reuse)
if ! skipped scale; then
    echo
    target/release/scale --store "$STORE" --articles "$ARTICLES" --size "$SIZE" "${reuse[@]}" \
        --server-log "$OUT/scale-server.log" | tee "$OUT/scale-sqlite.txt"
    if ! skipped pg; then
        # The same run on PostgreSQL: a throwaway cluster (fsync on, unlike the tests' one),
        # a fresh database, the same articles.
        PG_DIR=$(mktemp -d /tmp/vnfeed-bench-pg.XXXXXX)
        stop_pg() { tests/support/pg-cluster stop "$PG_DIR/cluster" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
        trap 'stop_pg; cleanup' EXIT
        PG_ADMIN=$(PG_FSYNC=on tests/support/pg-cluster init "$PG_DIR/cluster")
        PG_STORE=${PG_ADMIN/\/postgres\?//scale?}
        psql -q "$PG_ADMIN" -c 'CREATE DATABASE scale'
        echo
        target/release/scale --store "$PG_STORE" --articles "${BENCH_PG_ARTICLES:-$ARTICLES}" --size "$SIZE" \
            --server-log "$OUT/scale-server-pg.log" | tee "$OUT/scale-pg.txt"
        echo
        echo "== scale: SQLite beside PostgreSQL"
        for label in "store write" "import path" "store alone" "cold security.rss" \
            "cold party-affairs.rss" "cold borders.rss" "cold all.rss" \
            "warm security.rss" "server start" "write->served" "peak RSS"; do
            printf '%s\n' "$label"
            for side in sqlite pg; do
                figure=$(grep -m1 -F "$label " "$OUT/scale-$side.txt" |
                    awk -v l="$label" '{s = substr($0, length(l) + 1); sub(/^ +/, "", s); print s}' || true)
                printf '  %-11s %s\n' "$([[ $side == pg ]] && echo PostgreSQL || echo SQLite)" "${figure:-(none)}"
            done
        done
        stop_pg
    fi
elif [[ ! -f "$STORE" ]]; then
    echo "no store at $STORE: run without BENCH_SKIP=scale first" >&2
    exit 1
fi

if ! skipped micro; then
    echo
    echo "== micro (criterion; reports in target/criterion)"
    cargo bench -p vnfeed-bench --bench render --bench parse -- --warm-up-time 1 --measurement-time 3 2>&1 |
        grep -E '^[a-z].*time:|^(render|compress|parse)|^ +time:|^ +thrpt:|sizes|^  (gzip|brotli)' || true
fi

skipped http && exit 0

echo
echo "== HTTP: vnfeed vs nginx serving the same bytes (wrk, ${SECONDS_PER_CASE} s per case, $ROUNDS rounds)"
VNFEED_PORT=$(free_port 18080)
NGINX_PORT=$(free_port $((VNFEED_PORT + 1)))

target/release/vnfeed serve --no-samples --store "$STORE" --feeds feeds \
    --addr "127.0.0.1:$VNFEED_PORT" 2>"$OUT/http-vnfeed.log" &
vnfeed_pid=$!
pids+=("$vnfeed_pid")
VN="http://127.0.0.1:$VNFEED_PORT"
wait_for "$VN/feeds/all.rss" "$vnfeed_pid"

# The very bytes vnfeed serves, as nginx's static files.
WWW=$(mktemp -d /tmp/vnfeed-bench-www.XXXXXX)
chmod 755 "$WWW"
mkdir -p "$WWW/feeds"
FEED=/feeds/all.rss
curl -sf -o "$WWW$FEED" "$VN$FEED"
curl -sf -H 'Accept-Encoding: gzip' -o "$WWW$FEED.gz" "$VN$FEED"
gzip -dc "$WWW$FEED.gz" | cmp -s - "$WWW$FEED" || { echo "gzip body does not decode to the identity body" >&2; exit 1; }
touch -r "$WWW$FEED" "$WWW$FEED.gz"

nginx_conf "$WWW" "$NGINX_PORT" >"$WWW/nginx.conf"
nginx -c "$WWW/nginx.conf" -e "$WWW/error.log" 2>"$OUT/http-nginx.log" &
nginx_pid=$!
pids+=("$nginx_pid")
NG="http://127.0.0.1:$NGINX_PORT"
wait_for "$NG$FEED" "$nginx_pid"

# Both must send the same bytes, in both codings.
for enc in identity gzip; do
    a=$(curl -sf -H "Accept-Encoding: $enc" "$VN$FEED" | sha256sum)
    b=$(curl -sf -H "Accept-Encoding: $enc" "$NG$FEED" | sha256sum)
    [[ "$a" == "$b" ]] || { echo "vnfeed and nginx differ for $enc" >&2; exit 1; }
done
etag_of() { curl -sf -o /dev/null -D - -H 'Accept-Encoding: gzip' "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}'; }
VN_ETAG=$(etag_of "$VN$FEED")
NG_ETAG=$(etag_of "$NG$FEED")
for pair in "$VN|$VN_ETAG" "$NG|$NG_ETAG"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: ${pair#*|}" "${pair%%|*}$FEED")
    [[ "$code" == 304 ]] || { echo "${pair%%|*} answered $code to If-None-Match" >&2; exit 1; }
done
size=$(stat -c %s "$WWW$FEED.gz")
echo "feed $FEED: $(stat -c %s "$WWW$FEED") bytes identity, $size bytes gzip; same bytes from both servers"
echo "vnfeed ETag $VN_ETAG, nginx ETag $NG_ETAG"

TICKS=$(getconf CLK_TCK)

# One wrk run; prints "requests/s p99_ms server_cpu_us_per_request errors". The server's CPU
# per request is what it costs whatever else the machine runs, where requests/s is shared
# with wrk and the neighbours.
run_wrk() { # conns url etag-or-empty server-pid
    local extra=() before after
    [[ -n "$3" ]] && extra=(-H "If-None-Match: $3")
    before=$(cpu_ticks "$4")
    wrk -t2 -c"$1" -d"${SECONDS_PER_CASE}s" --latency -H 'Accept-Encoding: gzip' "${extra[@]}" "$2" >"$OUT/wrk.txt"
    after=$(cpu_ticks "$4")
    awk -v ticks=$((after - before)) -v hz="$TICKS" '
            /requests in/ {n=$1}
            /Requests\/sec/ {rps=$2}
            $1=="99%" {v=$2; u=v; sub(/[0-9.]+/,"",u); sub(/[a-z]+$/,"",v);
                       ms = (u=="us") ? v/1000 : (u=="s") ? v*1000 : (u=="m") ? v*60000 : v}
            /Socket errors|Non-2xx/ {err=err $0 ";"}
            END {printf "%s %s %.2f %s\n", rps, ms, (n ? ticks / hz * 1e6 / n : 0), (err=="" ? "-" : err)}' "$OUT/wrk.txt"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '\n%-5s %5s | %22s | %22s | %6s | %14s %14s | %18s\n' case conns "vnfeed req/s (min-max)" "nginx req/s (min-max)" ratio "p99 vnfeed" "p99 nginx" "CPU/req vn / nginx"
for conns in 64 256; do
    for case in 200 304; do
        vn_rps=() ng_rps=() vn_p99=() ng_p99=() vn_cpu=() ng_cpu=()
        for round in $(seq 1 "$ROUNDS"); do
            # Alternate who goes first, so neither always meets the same neighbours' load.
            order=(vnfeed nginx)
            ((round % 2 == 0)) && order=(nginx vnfeed)
            for who in "${order[@]}"; do
                if [[ $who == vnfeed ]]; then url=$VN$FEED etag=$VN_ETAG pid=$vnfeed_pid; else url=$NG$FEED etag=$NG_ETAG pid=$nginx_pid; fi
                [[ $case == 200 ]] && etag=
                read -r rps p99 cpu err < <(run_wrk "$conns" "$url" "$etag" "$pid")
                [[ "$err" != - ]] && echo "  $who $case c=$conns round $round: $err"
                if [[ $who == vnfeed ]]; then vn_rps+=("$rps") vn_p99+=("$p99") vn_cpu+=("$cpu"); else ng_rps+=("$rps") ng_p99+=("$p99") ng_cpu+=("$cpu"); fi
            done
        done
        stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.0f (%.0f-%.0f)", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[1], a[NR]}'; }
        vn_med=$(printf '%s\n' "${vn_rps[@]}" | median)
        ng_med=$(printf '%s\n' "${ng_rps[@]}" | median)
        ratio=$(awk -v a="$vn_med" -v b="$ng_med" 'BEGIN {printf "%.2f", a/b}')
        vn_p=$(printf '%s\n' "${vn_p99[@]}" | median)
        ng_p=$(printf '%s\n' "${ng_p99[@]}" | median)
        vn_c=$(printf '%s\n' "${vn_cpu[@]}" | median)
        ng_c=$(printf '%s\n' "${ng_cpu[@]}" | median)
        printf '%-5s %5s | %22s | %22s | %6s | %11.2f ms %11.2f ms | %6.2f / %5.2f us\n' "$case" "$conns" \
            "$(stats "${vn_rps[@]}")" "$(stats "${ng_rps[@]}")" "$ratio" "$vn_p" "$ng_p" "$vn_c" "$ng_c"
    done
done
echo "(median of $ROUNDS rounds; ratio = vnfeed/nginx requests/s, goal >= 1.0; p99 = median of the rounds' p99;"
echo " CPU/req = the server's own CPU time (user + system, nginx: master and workers) per request, median of the rounds)"
echo "vnfeed peak RSS after the HTTP runs: $(awk '/VmHWM/ {printf "%.1f MB", $2/1024}' /proc/$vnfeed_pid/status)"
