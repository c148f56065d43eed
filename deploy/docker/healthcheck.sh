#!/bin/bash
# The container's health check: exit 0 when vnfeed's GET /healthz answers 200, 1 otherwise.
# bash alone (its /dev/tcp), since the slim image has no curl or wget. The port is the one of
# VNFEED_ADDR (0.0.0.0:8080 in the image); the request goes to loopback.
set -uo pipefail
# A server that closes early makes a write fail (said below), not kill the script silently.
trap '' PIPE

addr="${VNFEED_ADDR:-127.0.0.1:8080}"
port="${addr##*:}"
case "$port" in
    '' | *[!0-9]*)
        echo "unhealthy: no port in VNFEED_ADDR=$addr"
        exit 1
        ;;
esac

if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    echo "unhealthy: nothing listens on 127.0.0.1:$port"
    exit 1
fi
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&3
status=""
IFS= read -r -t 2 status <&3
status="${status%$'\r'}"
exec 3<&-
case "$status" in
    'HTTP/1.1 200 '*)
        exit 0
        ;;
    *)
        echo "unhealthy: /healthz answered '${status:-nothing}'"
        exit 1
        ;;
esac
