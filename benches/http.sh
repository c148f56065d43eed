#!/usr/bin/env bash
# vnfeed against nginx serving the very same feed bytes, as issue 15 asks, in one command:
#
#   bash benches/http.sh           # 5 alternating rounds of 8 s per case (about 45 minutes)
#   bash benches/http.sh --quick   # 1 round of 2 s per case: does the harness work?
#
# Two feeds of seed-sized articles (about 4 KB each, `benches/src/bin/corpus.rs`): a small one
# (about 100 KB identity) and a large one (about 330 KB). Four servers: vnfeed on its default
# multi-threaded runtime, vnfeed with `--workers $(nproc)` (thread-per-core), and nginx
# (sendfile, gzip_static, open_file_cache, access log off), and a second, identical nginx as
# the control: nginx-b/nginx is what the noise of this machine alone does to a ratio, so a
# ratio of vnfeed's can be read against it. Cases: 200 with gzip and 304 via If-None-Match,
# at 64 and 256 connections, with wrk -t1 and -t2. Each round runs the four servers back to
# back, the order rotating from round to round.
#
# Before every round the machine must be quiet: the share of all cores busy (from
# /proc/stat over one second, nothing of ours running) must be under BENCH_MAX_BUSY (25%).
# The harness waits up to BENCH_WAIT seconds (60) for that and otherwise refuses the round;
# refused rounds are counted and printed, never measured.
#
# For each case it prints each server's median and min-max requests/s, the spread
# ((max-min)/median), its CPU time per request, and vnfeed/nginx: the ratio of the medians
# and the range of the per-round ratios. "claimed" only where the median ratio is >= 1.0 and
# the whole range is >= 0.9 (issue 15's goal). Then, with strace, system calls per response.
#
# Environment: BENCH_ROUNDS (5), BENCH_SECONDS (8), BENCH_MAX_BUSY (25), BENCH_WAIT (60),
# BENCH_SMALL_ITEMS (24), BENCH_LARGE_ITEMS (80), BENCH_WORKERS (nproc).
# Everything listens on and targets 127.0.0.1. Nothing here passes or fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=benches/lib.sh
source benches/lib.sh

ROUNDS=${BENCH_ROUNDS:-5}
SECONDS_PER_CASE=${BENCH_SECONDS:-8}
if [[ "${1:-}" == "--quick" ]]; then
    ROUNDS=${BENCH_ROUNDS:-1}
    SECONDS_PER_CASE=${BENCH_SECONDS:-2}
fi
MAX_BUSY=${BENCH_MAX_BUSY:-25}
WAIT=${BENCH_WAIT:-60}
SMALL_ITEMS=${BENCH_SMALL_ITEMS:-24}
LARGE_ITEMS=${BENCH_LARGE_ITEMS:-80}
WORKERS=${BENCH_WORKERS:-$(nproc)}
OUT=target/bench/http
mkdir -p "$OUT"
LOADLOG=$OUT/load.log
: >"$LOADLOG"

echo "== tools"
install_tools strace

echo "== build (release)"
cargo build --release -p vnfeed -p vnfeed-bench --bin vnfeed --bin corpus

echo "== machine"
echo "cores: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
echo "kernel: $(uname -r); rustc: $(rustc --version); date: $(date -u +%Y-%m-%dT%H:%MZ)"

echo "== feeds"
CORPUS=$OUT/corpus
STORE=$OUT/store.db
rm -rf "$CORPUS" "$STORE" "$STORE"-*
target/release/corpus "$CORPUS" --count "$LARGE_ITEMS"
target/release/vnfeed import --store "$STORE" --feeds feeds "$CORPUS" >/dev/null

# vnfeed: one server per feed size and runtime, by name; one base URL, so that all send
# the same bytes.
declare -A URL PID
next_port=18180
start_vnfeed() { # name items extra-args...
    local name=$1 items=$2 port
    shift 2
    port=$(free_port "$next_port")
    next_port=$((port + 1))
    target/release/vnfeed serve --no-samples --store "$STORE" --feeds feeds --limit "$items" \
        --base-url http://feeds.example --addr "127.0.0.1:$port" "$@" 2>"$OUT/$name.log" &
    PID[$name]=$!
    pids+=("${PID[$name]}")
    URL[$name]="http://127.0.0.1:$port"
    wait_for "${URL[$name]}/feeds/all.rss" "${PID[$name]}"
}
for size in small large; do
    items=$SMALL_ITEMS
    [[ $size == large ]] && items=$LARGE_ITEMS
    start_vnfeed "vnfeed-$size" "$items"
    start_vnfeed "vnfeed-tpc-$size" "$items" --workers "$WORKERS"
done

# nginx: the bytes vnfeed serves, as static files, one directory per size.
WWW=$(mktemp -d /tmp/vnfeed-bench-www.XXXXXX)
chmod 755 "$WWW"
FEED=/feeds/all.rss
for size in small large; do
    mkdir -p "$WWW/$size/feeds"
    curl -sf -o "$WWW/$size$FEED" "${URL[vnfeed-$size]}$FEED"
    curl -sf -H 'Accept-Encoding: gzip' -o "$WWW/$size$FEED.gz" "${URL[vnfeed-$size]}$FEED"
    gzip -dc "$WWW/$size$FEED.gz" | cmp -s - "$WWW/$size$FEED" || { echo "gzip body does not decode to the identity body" >&2; exit 1; }
    touch -r "$WWW/$size$FEED" "$WWW/$size$FEED.gz"
done
NGINX_PORT=$(free_port "$next_port")
nginx_conf "$WWW" "$NGINX_PORT" >"$WWW/nginx.conf"
nginx -c "$WWW/nginx.conf" -e "$WWW/error.log" 2>"$OUT/nginx.log" &
PID[nginx]=$!
pids+=("${PID[nginx]}")
NG="http://127.0.0.1:$NGINX_PORT"
wait_for "$NG/small$FEED" "${PID[nginx]}"
# The control: the same files and configuration on another port, its own pid file.
mkdir -p "$WWW/b"
NGINX_B_PORT=$(free_port $((NGINX_PORT + 1)))
nginx_conf "$WWW" "$NGINX_B_PORT" "$WWW/b" >"$WWW/b/nginx.conf"
nginx -c "$WWW/b/nginx.conf" -e "$WWW/b/error.log" 2>"$OUT/nginx-b.log" &
PID[nginx-b]=$!
pids+=("${PID[nginx-b]}")
NGB="http://127.0.0.1:$NGINX_B_PORT"
wait_for "$NGB/small$FEED" "${PID[nginx-b]}"

etag_of() { curl -sf -o /dev/null -D - -H 'Accept-Encoding: gzip' "$1" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag" {print $2}'; }
declare -A TARGET ETAG
SERVERS=(vnfeed vnfeed-tpc nginx nginx-b)
for size in small large; do
    for who in vnfeed vnfeed-tpc; do
        TARGET[$who-$size]=${URL[$who-$size]}$FEED
    done
    TARGET[nginx-$size]=$NG/$size$FEED
    TARGET[nginx-b-$size]=$NGB/$size$FEED
    for who in "${SERVERS[@]}"; do
        for enc in identity gzip; do
            a=$(curl -sf -H "Accept-Encoding: $enc" "${TARGET[vnfeed-$size]}" | sha256sum)
            b=$(curl -sf -H "Accept-Encoding: $enc" "${TARGET[$who-$size]}" | sha256sum)
            [[ "$a" == "$b" ]] || { echo "$who sends other bytes than vnfeed for $size/$enc" >&2; exit 1; }
        done
        ETAG[$who-$size]=$(etag_of "${TARGET[$who-$size]}")
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' -H "If-None-Match: ${ETAG[$who-$size]}" "${TARGET[$who-$size]}")
        [[ "$code" == 304 ]] || { echo "$who answered $code to If-None-Match" >&2; exit 1; }
    done
    echo "$size feed: $(stat -c %s "$WWW/$size$FEED") bytes identity, $(stat -c %s "$WWW/$size$FEED.gz") gzip; the same bytes from all four servers"
done

TICKS=$(getconf CLK_TCK)

# Percent of all cores busy over one second (nothing of ours is running when it is read).
busy_percent() {
    local a b
    read -ra a </proc/stat
    sleep 1
    read -ra b </proc/stat
    awk -v a="${a[*]}" -v b="${b[*]}" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ");
        for (i = 2; i <= n; i++) { t += y[i] - x[i]; if (i == 5 || i == 6) idle += y[i] - x[i] }
        printf "%.0f", t ? 100 * (t - idle) / t : 0 }'
}

# Waits until the machine is quiet; returns 1 if it never was within $WAIT seconds.
quiet() { # label
    local waited=0 busy
    while :; do
        busy=$(busy_percent)
        echo "$(date -u +%H:%M:%S) $1: load $(cut -d' ' -f1-3 /proc/loadavg), ${busy}% busy" >>"$LOADLOG"
        ((busy < MAX_BUSY)) && return 0
        ((waited >= WAIT)) && return 1
        sleep 2
        waited=$((waited + 3))
    done
}

# One wrk run: "requests/s server_cpu_us_per_request errors".
run_wrk() { # threads conns url etag-or-empty pid
    local extra=() before after
    [[ -n "$4" ]] && extra=(-H "If-None-Match: $4")
    before=$(cpu_ticks "$5")
    wrk -t"$1" -c"$2" -d"${SECONDS_PER_CASE}s" -H 'Accept-Encoding: gzip' "${extra[@]}" "$3" >"$OUT/wrk.txt"
    after=$(cpu_ticks "$5")
    awk -v ticks=$((after - before)) -v hz="$TICKS" '
        /requests in/ {n=$1}
        /Requests\/sec/ {rps=$2}
        /Socket errors|Non-2xx/ {err=err $0 ";"}
        END {printf "%s %.2f %s\n", rps, (n ? ticks / hz * 1e6 / n : 0), (err=="" ? "-" : err)}' "$OUT/wrk.txt"
}

pid_of() { # who size
    if [[ $1 == nginx* ]]; then echo "${PID[$1]}"; else echo "${PID[$1-$2]}"; fi
}

# "median min max" of the numbers on stdin.
summary() { sort -g | awk '{a[NR]=$1} END {printf "%s %s %s\n", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[1], a[NR]}'; }

echo
echo "== HTTP: $ROUNDS rounds of ${SECONDS_PER_CASE} s per case and server; refused when over ${MAX_BUSY}% busy for ${WAIT} s"
printf '%-5s %-3s %-4s %5s | %-27s | %-27s | %-27s | %-22s | %-22s | %-22s | %s\n' size wrk case conns \
    "vnfeed req/s med (min-max)" "tpc req/s med (min-max)" "nginx req/s med (min-max)" \
    "vnfeed/nginx (range)" "tpc/nginx (range)" "nginx-b/nginx (range)" "CPU us/req vn tpc ng; refused"
refused_total=0
for size in small large; do
    for threads in 1 2; do
        for case in 200 304; do
            for conns in 64 256; do
                declare -A RPS=() CPU=()
                ratios_vn=() ratios_tpc=() ratios_b=()
                refused=0
                for round in $(seq 1 "$ROUNDS"); do
                    if ! quiet "$size t$threads $case c$conns round $round"; then
                        refused=$((refused + 1))
                        continue
                    fi
                    # Rotate who goes first, so no server always meets the same neighbours.
                    order=("${SERVERS[@]}")
                    shift_by=$(((round - 1) % ${#order[@]}))
                    order=("${order[@]:$shift_by}" "${order[@]:0:$shift_by}")
                    declare -A this=()
                    for who in "${order[@]}"; do
                        etag=${ETAG[$who-$size]}
                        [[ $case == 200 ]] && etag=
                        read -r rps cpu err < <(run_wrk "$threads" "$conns" "${TARGET[$who-$size]}" "$etag" "$(pid_of "$who" "$size")")
                        [[ "$err" != - ]] && echo "  $who $size t$threads $case c$conns round $round: $err"
                        this[$who]=$rps
                        RPS[$who]+="$rps "
                        CPU[$who]+="$cpu "
                    done
                    ratios_vn+=("$(awk -v a="${this[vnfeed]}" -v b="${this[nginx]}" 'BEGIN {printf "%.3f", a/b}')")
                    ratios_tpc+=("$(awk -v a="${this[vnfeed-tpc]}" -v b="${this[nginx]}" 'BEGIN {printf "%.3f", a/b}')")
                    ratios_b+=("$(awk -v a="${this[nginx-b]}" -v b="${this[nginx]}" 'BEGIN {printf "%.3f", a/b}')")
                done
                refused_total=$((refused_total + refused))
                if ((${#ratios_vn[@]} == 0)); then
                    printf '%-5s t%-2s %-4s %5s | every round refused: the machine was busy\n' "$size" "$threads" "$case" "$conns"
                    continue
                fi
                cell() { # who
                    read -r med lo hi < <(printf '%s\n' ${RPS[$1]} | summary)
                    awk -v m="$med" -v l="$lo" -v h="$hi" 'BEGIN {printf "%7.0f (%.0f-%.0f) %3.0f%%", m, l, h, m ? 100*(h-l)/m : 0}'
                }
                ratio() { # who-rps-list ratios...
                    local list=$1
                    shift
                    read -r vm _ _ < <(printf '%s\n' ${RPS[$list]} | summary)
                    read -r nm _ _ < <(printf '%s\n' ${RPS[nginx]} | summary)
                    read -r _ rl rh < <(printf '%s\n' "$@" | summary)
                    awk -v v="$vm" -v n="$nm" -v l="$rl" -v h="$rh" 'BEGIN {
                        r = v / n; printf "%.2f (%.2f-%.2f)%s", r, l, h, (r >= 1.0 && l >= 0.9) ? " claimed" : "" }'
                }
                cpus=""
                for who in vnfeed vnfeed-tpc nginx; do
                    read -r c _ _ < <(printf '%s\n' ${CPU[$who]} | summary)
                    cpus+="$c "
                done
                printf '%-5s t%-2s %-4s %5s | %-27s | %-27s | %-27s | %-22s | %-22s | %-22s | %s; %s\n' \
                    "$size" "$threads" "$case" "$conns" "$(cell vnfeed)" "$(cell vnfeed-tpc)" "$(cell nginx)" \
                    "$(ratio vnfeed "${ratios_vn[@]}")" "$(ratio vnfeed-tpc "${ratios_tpc[@]}")" \
                    "$(ratio nginx-b "${ratios_b[@]}")" "$cpus" "$refused"
            done
        done
    done
done
echo "(req/s: median of the measured rounds, (min-max), spread = (max-min)/median; ratio: of the"
echo " medians, (range of the per-round ratios); \"claimed\" = median >= 1.0 and range >= 0.9;"
echo " nginx-b is a second, identical nginx: its ratio is the noise alone;"
echo " CPU: the server's own user+system time per request, median; $refused_total rounds refused"
echo " for a busy machine; each round's load is in $LOADLOG)"

echo
echo "== system calls per response (strace -c -f, wrk -t1 -c16 for 3 s, small feed)"
syscalls() { # who case
    local pid etag=${ETAG[$1-small]} extra=() n
    pid=$(pid_of "$1" small)
    [[ $2 == 200 ]] && etag=
    [[ -n "$etag" ]] && extra=(-H "If-None-Match: $etag")
    local attach=(-p "$pid") child
    for child in $(pgrep -P "$pid"); do attach+=(-p "$child"); done
    strace -c -f -q "${attach[@]}" -o "$OUT/strace-$1-$2.txt" &
    local tracer=$!
    sleep 1
    wrk -t1 -c16 -d3s -H 'Accept-Encoding: gzip' "${extra[@]}" "${TARGET[$1-small]}" >"$OUT/wrk-strace.txt"
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    n=$(awk '/requests in/ {print $1}' "$OUT/wrk-strace.txt")
    awk -v n="$n" -v who="$1" -v c="$2" '
        $NF != "total" && $4 ~ /^[0-9]+$/ {calls[$NF] += $4; total += $4}
        END {
            printf "%-11s %s: %.2f calls/response:", who, c, total / n
            for (s in calls) if (calls[s] / n >= 0.05) printf " %s %.2f", s, calls[s] / n
            printf "\n" }' "$OUT/strace-$1-$2.txt"
}
for who in vnfeed vnfeed-tpc nginx; do
    for case in 200 304; do
        syscalls "$who" "$case"
    done
done
