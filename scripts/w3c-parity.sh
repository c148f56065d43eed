#!/usr/bin/env bash
# Measures `vnfeed check` against the W3C Feed Validation Service's own test suite and prints
# the parity table of docs/check-rules.md ("W3C parity"). Needs a checkout of
# w3c/feedvalidator (never copied into this repository) and, to run the W3C engine for its
# verdicts, a Python 3 with html5lib (set PYTHON to choose the interpreter):
#
#   git clone https://github.com/w3c/feedvalidator /tmp/feedvalidator
#   python3 -m venv /tmp/w3c-venv && /tmp/w3c-venv/bin/pip install html5lib
#   PYTHON=/tmp/w3c-venv/bin/python scripts/w3c-parity.sh /tmp/feedvalidator          # the table
#   PYTHON=/tmp/w3c-venv/bin/python scripts/w3c-parity.sh /tmp/feedvalidator --list   # and every disagreement
#
# What is in scope, how a file's `Expect:` comment is read and how W3C classes map to rules
# is in crates/vnfeed-check/examples/w3c_parity.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ ! -d "$1/testcases" ]; then
    echo "usage: scripts/w3c-parity.sh PATH-TO-W3C-FEEDVALIDATOR-CHECKOUT [--list]" >&2
    exit 2
fi
checkout=$(cd "$1" && pwd)
shift
python=${PYTHON:-python3}
if ! "$python" -c 'import html5lib' 2>/dev/null; then
    echo "w3c-parity.sh: $python cannot import html5lib, which the W3C engine needs (see the header of this script)" >&2
    exit 2
fi
events=$(mktemp -t w3c-events.XXXXXX)
trap 'rm -f "$events"' EXIT
"$python" scripts/w3c-events.py "$checkout" >"$events"
cargo run --quiet -p vnfeed-check --example w3c_parity -- "$checkout" "$events" "$@"
