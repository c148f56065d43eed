# shellcheck shell=bash
# Shell pieces both benchmark drivers (run.sh, http.sh) use; sourced, never run.

# Processes a script starts (its servers) go into `pids`; on exit they are stopped and the
# nginx root `WWW`, if made, is removed.
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n "${WWW:-}" ]]; then rm -rf "$WWW"; fi
}
trap cleanup EXIT

# Installs what the HTTP runs need (wrk, nginx, curl, and the commands given) with apt-get.
install_tools() { # extra-command...
    local missing=() extra
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null && [[ -x "$(command -v nginx)" ]] || missing+=(nginx)
    command -v curl >/dev/null || missing+=(curl)
    for extra in "$@"; do command -v "$extra" >/dev/null || missing+=("$extra"); done
    if ((${#missing[@]})); then
        echo "installing ${missing[*]} with apt-get"
        apt-get update -qq
        local pkgs=("${missing[@]/nginx/nginx-light}")
        # Debian 13 dropped nginx-light; plain nginx has the same modules we use.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    echo "wrk: $(wrk --version 2>&1 | head -1)"
    echo "nginx: $(nginx -v 2>&1)"
}

# Waits until URL answers, failing (naming the log directory $OUT) if PID exits first.
wait_for() { # url pid
    for _ in $(seq 1 600); do
        curl -sf -o /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || { echo "the server for $1 exited; see its log in $OUT" >&2; exit 1; }
        sleep 0.2
    done
    echo "nothing answers at $1" >&2
    exit 1
}

# A loopback port from FIRST on that nothing listens on (other people's servers may share
# the machine).
free_port() { # first
    local port
    for port in $(seq "$1" $(($1 + 400))); do
        ss -Htln "sport = :$port" | grep -q . || { echo "$port"; return; }
    done
    echo "no free port from $1" >&2
    exit 1
}

# CPU time (clock ticks) a server's processes have used: the process and its children
# (nginx's workers).
cpu_ticks() { # pid
    local total=0 p
    for p in "$1" $(pgrep -P "$1"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# nginx's configuration for serving the files under ROOT on 127.0.0.1:PORT as the
# benchmarks compare it: sendfile, gzip_static, open_file_cache, access log off. Its pid file
# and error log go into STATE (ROOT unless given), so that two can serve the same files.
nginx_conf() { # root port [state]
    cat <<EOF
worker_processes auto;
pid ${3:-$1}/nginx.pid;
error_log ${3:-$1}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    types { application/rss+xml rss; application/atom+xml atom; }
    charset utf-8;
    charset_types application/rss+xml application/atom+xml;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000000;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    etag on;
    gzip_static on;
    gzip_vary on;
    server {
        listen 127.0.0.1:$2;
        root $1;
        add_header Cache-Control "public, max-age=300";
    }
}
EOF
}
