"""A stand-in for nox in the tests of scripts/ci_lanes.py: two sessions, one lane each.

``--list --json`` lists them; ``--sessions a`` prints a failure summary and fails; ``--sessions b``
passes, or with FAKE_NOX_HANG=1 waits until it is killed (its pid in FAKE_NOX_PIDS, a file).
"""

import json
import os
import sys
import time

if "--list" in sys.argv:
    print(json.dumps([{"session": "a", "tags": ["lane-1"]}, {"session": "b", "tags": []}]))
    sys.exit(0)
session = sys.argv[sys.argv.index("--sessions") + 1]
if os.environ.get("FAKE_NOX_PIDS"):
    with open(os.environ["FAKE_NOX_PIDS"], "a", encoding="utf-8") as pids:
        pids.write("%d\n" % os.getpid())
print(f"session {session} starts", flush=True)
if session == "a":
    print("ERROR: tests/x.py:1:1: a sanity error")
    print("=== integration failures: a\n--- target_x: the end of its output\nFAIL: x\n=== end of integration failures")
    print("more output after the summary")
    print("nox > Session a failed.")
    sys.exit(1)
print("ERROR: a line of a lane that passes")
if os.environ.get("FAKE_NOX_HANG"):
    time.sleep(300)
print("session b passes")
