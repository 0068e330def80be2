"""scripts/ci_lanes.py with a stand-in nox (fake_nox.py): the lanes, the summaries at the end, the exit."""

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CI_LANES = os.path.join(HERE, "..", "..", "scripts", "ci_lanes.py")
FAKE_NOX = os.path.join(HERE, "fake_nox.py")


def start(tmp_path, **env):
    return subprocess.Popen(
        [sys.executable, CI_LANES, sys.executable, FAKE_NOX],
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, **env),
    )


def test_the_longest_kinds_start_first_and_both_lanes_take_the_next_session(tmp_path):
    process = start(tmp_path)
    output = process.communicate(timeout=60)[0]
    lines = output.splitlines()
    assert lines[0] == "sessions, the longest kinds first: a b lint"
    starts = [line.split("] start ") for line in lines if "] start " in line]
    # a and b first, one on each lane; lint on whichever lane was free first
    assert sorted(name for lane, name in starts[:2]) == ["a", "b"]
    assert sorted(lane for lane, name in starts[:2]) == ["[lane 1", "[lane 2"]
    assert starts[2][1] == "lint"
    for number in (1, 2):
        assert (tmp_path / ".ci-lanes" / f"lane-{number}.log").read_text(encoding="utf-8").strip()


def test_a_failed_session_fails_the_run_and_its_summary_comes_again_last(tmp_path):
    process = start(tmp_path)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    lines = output.splitlines()
    # what the failed session said of its failures comes again after everything the lanes printed,
    # before every session's result; nothing of the sessions that passed
    again = [
        "[a] ERROR: tests/x.py:1:1: a sanity error",
        "[a] === integration failures: a",
        "[a] --- target_x: the end of its output",
        "[a] FAIL: x",
        "[a] === end of integration failures",
        "[a] nox > Session a failed.",
    ]
    first = lines.index(again[0])
    assert lines[first : first + len(again)] == again
    results = lines[first + len(again) : -2]
    assert sorted(result.split(":")[0] for result in results) == ["a", "b", "lint"]
    assert any(result.startswith("a: FAILED (exit 1) in ") for result in results)
    assert any(result.startswith("b: passed in ") for result in results)
    assert lines[-2].startswith("all sessions ended in ")
    assert lines[-1] == "sessions: 2 passed, 1 failed"
    assert lines.count("[a] === integration failures: a") == 1
    assert not any(line.startswith("[b]") or line.startswith("[lint]") for line in lines)


def test_a_signal_ends_every_lane(tmp_path):
    pids = tmp_path / "pids"
    process = start(tmp_path, FAKE_NOX_HANG="1", FAKE_NOX_PIDS=str(pids))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (pids.exists() and len(pids.read_text().split()) == 2):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM
    for pid in pids.read_text().split():
        assert ended(int(pid), seconds=5), f"lane process {pid} still runs"


def ended(pid, seconds):
    """Whether the process is gone within that many seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
