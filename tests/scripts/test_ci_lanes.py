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


def test_a_failed_lane_fails_the_run_and_its_summary_comes_again_last(tmp_path):
    process = start(tmp_path)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 1
    lines = output.splitlines()
    assert "[lane 1] sessions: a" in lines and "[lane 2] sessions: b" in lines
    assert "[lane 2] session b passes" in lines
    # what the failed lane said of its failures comes again after everything the lanes printed, just
    # before the lanes' results; nothing of the lane that passed
    again = [
        "[lane 1] ERROR: tests/x.py:1:1: a sanity error",
        "[lane 1] === integration failures: a",
        "[lane 1] --- target_x: the end of its output",
        "[lane 1] FAIL: x",
        "[lane 1] === end of integration failures",
        "[lane 1] nox > Session a failed.",
    ]
    assert lines[-2 - len(again) : -2] == again
    assert lines[-2].startswith("lane 1: FAILED (exit 1)")
    assert lines[-1].startswith("lane 2: passed")
    assert lines.count("[lane 1] === integration failures: a") == 2
    assert lines.count("[lane 2] ERROR: a line of a lane that passes") == 1
    assert (tmp_path / ".ci-lanes" / "lane-2.log").read_text(encoding="utf-8").splitlines()[-1] == "session b passes"


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
