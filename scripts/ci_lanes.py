#!/usr/bin/env python
"""Run every default nox session on two lanes at once: .ci/run's way of using both cores of a CI machine.

    python scripts/ci_lanes.py NOX [NOX OPTION ...]

NOX is the nox executable. The sessions form one queue, the longest kinds first (integration, then
galaxy-importer's build-import-check, sanity and units, then the rest in nox's order); each lane takes the next
session as soon as its last one has ended, so both lanes end close together however long each session
takes. An integration session spends about half of its time waiting (the simulator's index lag,
timeouts and slow answers on purpose), which is what the other lane uses. Each output line is shown
with its lane's prefix as it comes and kept whole in .ci-lanes/lane-N.log.

CI shows only the end of the output, so after both lanes have ended, what each failed session said of
its failures is printed again: the summaries its integration runs printed
(scripts/checks/integration_failures.py), ansible-test's ERROR/FATAL lines (sanity, units), pytest's
FAILED lines and nox's failed sessions; then every session's result and time, and the count of passed
and failed sessions. The exit status is 1 when a session fails.
"""

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "checks"))
from integration_failures import BEGIN_MARK, END_MARK  # noqa: E402 (a sibling directory's module)

LANES = 2
# the kinds of sessions that take longest, started first: tags of noxfile.py's sessions, or the name of
# one (build-import-check runs galaxy-importer, ansible-lint included: 5 to 20 minutes on 2 cores)
LONGEST_FIRST = ("integration", "build-import-check", "sanity", "units")
LOG_DIR = ".ci-lanes"
# the lines that say what failed, outside an integration summary
FAILURE_LINE = re.compile(r"^(ERROR: |FATAL: |FAILED |nox > Session \S+ (failed|aborted))")
# how antsibull-nox describes a session that only runs others
META_SESSION = "Meta session for triggering the following sessions:"
# a failed session's lines printed again at the end, at most (the rest is in its lane's log)
KEPT_LINES = 300


def default_sessions(nox, options):
    """[(name, tags)] of the sessions a plain ``nox`` run would run, in its order, without meta sessions.

    A meta session of antsibull-nox (``lint``) only runs other sessions; they are in the list themselves,
    and each session runs in a nox of its own here, so it would run them twice.
    """
    listed = subprocess.run([nox, *options, "--list", "--json"], capture_output=True, text=True, check=True).stdout
    entries = json.loads(listed)
    return [
        (entry["session"], entry.get("tags") or [])
        for entry in entries
        if not (entry.get("description") or "").startswith(META_SESSION)
    ]


def rank(name, tags):
    """The place of a session's kind in LONGEST_FIRST (other kinds after them)."""
    for place, kind in enumerate(LONGEST_FIRST):
        if kind in tags or kind == name:
            return place
    return len(LONGEST_FIRST)


def ordered(sessions):
    """The session names, the longest kinds first, otherwise in nox's order."""
    return [name for name, tags in sorted(sessions, key=lambda session: rank(*session))]


class Run:
    """What the lanes share: the queue of sessions, the running processes, each session's result."""

    def __init__(self, nox, options, names):
        self.nox = nox
        self.options = options
        self.todo = queue.Queue()
        for name in names:
            self.todo.put(name)
        self.processes = []
        self.results = []  # (name, lane, exit status, seconds), in the order they ended
        self.failures = {}  # name: the lines of a failed session that say what failed
        self.stopping = False
        self.lock = threading.Lock()

    def lane(self, number):
        """Run sessions from the queue until it is empty, with the lane's prefix and log."""
        with open(os.path.join(LOG_DIR, f"lane-{number}.log"), "w", encoding="utf-8") as log:
            while not self.stopping:
                try:
                    name = self.todo.get_nowait()
                except queue.Empty:
                    return
                self.session(number, name, log)

    def session(self, number, name, log):
        prefix = f"[lane {number}] "
        sys.stdout.write(f"{prefix}start {name}\n")
        started = time.monotonic()
        kept = []
        in_summary = False
        # a session of its own: stop() ends nox, ansible-test and the simulators under it together
        process = subprocess.Popen(
            [self.nox, *self.options, "--sessions", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        with self.lock:
            self.processes.append(process)
        for line in process.stdout:
            log.write(line)
            sys.stdout.write(prefix + line)
            in_summary = in_summary or line.startswith(BEGIN_MARK)
            if (in_summary or FAILURE_LINE.match(line)) and len(kept) < KEPT_LINES:
                kept.append(line)
            in_summary = in_summary and not line.startswith(END_MARK)
        status = process.wait()
        seconds = time.monotonic() - started
        with self.lock:
            self.processes.remove(process)
            self.results.append((name, number, status, seconds))
            if status != 0:
                self.failures[name] = kept
        sys.stdout.write(f"{prefix}session {name}: {outcome(status)} in {seconds:.0f} s\n")

    def stop(self, signum, _frame):
        """A signal handler: no new session, and every running one's whole process tree ended."""
        self.stopping = True
        with self.lock:
            for process in self.processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        sys.exit(128 + signum)


def outcome(status):
    if status == 0:
        return "passed"
    return f"FAILED (exit {status})"


def report(run, seconds):
    """The failed sessions' lines again, each session's result, the counts; the exit status."""
    for name, lines in run.failures.items():
        for line in lines:
            sys.stdout.write(f"[{name}] {line}")
    for name, number, status, took in run.results:
        print(f"{name}: {outcome(status)} in {took:.0f} s (lane {number})")
    failed = len(run.failures)
    print(f"all sessions ended in {seconds:.0f} s (logs: {LOG_DIR}/lane-N.log)")
    print(f"sessions: {len(run.results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    nox, options = argv[1], argv[2:]
    names = ordered(default_sessions(nox, options))
    os.makedirs(LOG_DIR, exist_ok=True)
    run = Run(nox, options, names)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, run.stop)
    print("sessions, the longest kinds first: " + " ".join(names), flush=True)
    started = time.monotonic()
    threads = [threading.Thread(target=run.lane, args=(number,)) for number in range(1, LANES + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report(run, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
