"""A stand-in for nox in the tests of scripts/ci_lanes.py: three sessions and a meta session.

``--list --json`` lists them, in nox's order: ``lint`` (no tag), ``a`` (integration), ``b`` (units), and
a meta session ``all`` that runs ``lint``.
``--sessions a`` prints a failure summary and fails; the others pass. With FAKE_NOX_HANG=1 every
session waits until it is killed instead (its pid in FAKE_NOX_PIDS, a file).
"""

import json
import os
import sys
import time

if "--list" in sys.argv:
    sessions = [
        {"session": "all", "tags": [], "description": "Meta session for triggering the following sessions: lint"},
        {"session": "lint", "tags": []},
        {"session": "a", "tags": ["integration", "ansible-test"]},
        {"session": "b", "tags": ["units", "ansible-test"]},
    ]
    print(json.dumps(sessions))
    sys.exit(0)
session = sys.argv[sys.argv.index("--sessions") + 1]
if os.environ.get("FAKE_NOX_PIDS"):
    with open(os.environ["FAKE_NOX_PIDS"], "a", encoding="utf-8") as pids:
        pids.write(f"{os.getpid()}\n")
print(f"session {session} starts", flush=True)
if os.environ.get("FAKE_NOX_HANG"):
    time.sleep(300)
if session == "a":
    print("ERROR: tests/x.py:1:1: a sanity error")
    print("=== integration failures: a\n--- target_x: the end of its output\nFAIL: x\n=== end of integration failures")
    print("more output after the summary")
    print("nox > Session a failed.")
    sys.exit(1)
print("ERROR: a line of a session that passes")
print(f"session {session} passes")
