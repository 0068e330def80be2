#!/usr/bin/env python
"""Run every default nox session in two lanes at once: .ci/run's way of using both cores of a CI machine.

    python scripts/ci_lanes.py NOX [NOX OPTION ...]

NOX is the nox executable. The sessions tagged ``lane-1`` in noxfile.py run in one nox process, all
the others in a second one, side by side; each output line is shown with its lane's prefix as it
comes and kept whole in .ci-lanes/lane-N.log. An integration session spends about half of its time
waiting (the simulator's index lag, timeouts and slow answers on purpose), which is what the other
lane uses. CI shows only the end of the output, so after both lanes have ended, what a failed lane
said of its failures is printed again, last: the summaries its integration sessions printed
(scripts/checks/integration_failures.py), ansible-test's ERROR/FATAL lines (sanity, units), pytest's
FAILED lines and nox's failed sessions. The exit status is 1 when either lane fails.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks"))
from integration_failures import BEGIN_MARK, END_MARK  # noqa: E402 (a sibling directory's module)
import contextlib

LANE_TAG = "lane-1"
LOG_DIR = ".ci-lanes"
# the lines that say what failed, outside an integration summary
FAILURE_LINE = re.compile(r"^(ERROR: |FATAL: |FAILED |nox > Session \S+ (failed|aborted))")
# a failed lane's lines printed again at the end, at most (the rest is in its log)
KEPT_LINES = 300


def default_sessions(nox, options):
    """[(name, tags)] of the sessions a plain ``nox`` run would run, in its order."""
    listed = subprocess.run([nox, *options, "--list", "--json"], capture_output=True, text=True, check=True).stdout
    return [(entry["session"], entry.get("tags") or []) for entry in json.loads(listed)]


def split(sessions):
    """(lane 1, lane 2): the sessions tagged LANE_TAG, and the others."""
    first = [name for name, tags in sessions if LANE_TAG in tags]
    second = [name for name, tags in sessions if LANE_TAG not in tags]
    return first, second


def stop_lanes(processes):
    """A signal handler that ends every lane's whole process tree (each lane is a session of its own)."""

    def handler(signum, _frame):
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        sys.exit(128 + signum)

    return handler


def run_lane(number, command, results, summaries, processes):
    """Run one lane, echo its lines prefixed, keep its log and the lines that say what failed.

    results[number] = (exit status, seconds); summaries[number] = [those lines, ...].
    """
    started = time.monotonic()
    prefix = "[lane %d] " % number
    kept = summaries[number] = []
    in_summary = False
    with open(os.path.join(LOG_DIR, "lane-%d.log" % number), "w", encoding="utf-8") as log:
        # a session of its own: stop_lanes ends nox, ansible-test and the simulators under it together
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        processes.append(process)
        for line in process.stdout:
            log.write(line)
            sys.stdout.write(prefix + line)
            in_summary = in_summary or line.startswith(BEGIN_MARK)
            if (in_summary or FAILURE_LINE.match(line)) and len(kept) < KEPT_LINES:
                kept.append(line)
            in_summary = in_summary and not line.startswith(END_MARK)
        results[number] = (process.wait(), time.monotonic() - started)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    nox, options = argv[1], argv[2:]
    lanes = [lane for lane in split(default_sessions(nox, options)) if lane]
    os.makedirs(LOG_DIR, exist_ok=True)
    results = {}
    summaries = {}
    processes = []
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_lanes(processes))
    threads = []
    for number, names in enumerate(lanes, 1):
        print("[lane %d] sessions: %s" % (number, " ".join(names)), flush=True)
        thread = threading.Thread(
            target=run_lane, args=(number, [nox, *options, "--sessions", *names], results, summaries, processes)
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    for number in sorted(summaries):
        if results.get(number, (1,))[0] != 0:
            for line in summaries[number]:
                sys.stdout.write("[lane %d] %s" % (number, line))
    failed = False
    for number in sorted(results):
        status, seconds = results[number]
        failed = failed or status != 0
        print(
            "lane %d: %s in %d s (log: %s/lane-%d.log)"
            % (number, "passed" if status == 0 else "FAILED (exit %d)" % status, seconds, LOG_DIR, number)
        )
    return 1 if failed or len(results) != len(lanes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
