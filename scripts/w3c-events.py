#!/usr/bin/env python3
"""Runs the W3C Feed Validation Service engine (from a checkout of w3c/feedvalidator) over
the test files of testcases/{atom,rss,rss20,xml} and prints, one JSON object a line, the
Error and Warning classes it logs for each: the W3C verdict the parity harness compares
`vnfeed check` with. Called by scripts/w3c-parity.sh; needs html5lib (pip install html5lib).
Each file is validated as W3C's own test runner (src/validtest.py) does it."""

import glob
import json
import os
import sys

checkout = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(checkout, "src"))
import feedvalidator  # noqa: E402
from feedvalidator.logging import Error, Warning  # noqa: E402

testcases = os.path.join(checkout, "testcases")
for suite in ("atom", "rss", "rss20", "xml"):
    for path in sorted(glob.glob(os.path.join(testcases, suite, "**", "*.xml"), recursive=True)):
        name = os.path.relpath(path, testcases)
        with open(path, "rb") as stream:
            data = stream.read()
        base = "http://www.feedvalidator.org/testcases/" + name
        try:
            events = feedvalidator.validateString(data, fallback="US-ASCII", base=base)["loggedEvents"]
        except Exception as e:  # the engine itself failing is reported, not hidden
            print(json.dumps({"file": name, "crash": repr(e)}))
            continue
        print(json.dumps({
            "file": name,
            "errors": sorted({type(e).__name__ for e in events if isinstance(e, Error)}),
            "warnings": sorted({type(e).__name__ for e in events if isinstance(e, Warning)}),
        }))
