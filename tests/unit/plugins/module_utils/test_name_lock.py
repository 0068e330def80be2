# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""name_lock: real flock files, taken by other processes, in sorted order, with a bounded wait."""

import multiprocessing
import os
import stat
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import name_lock
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError

SERVER = "https://xsoar.example.com"


def _hold(directory, names, seconds, ready):
    with name_lock.names_locked(SERVER, names, 5, directory=str(directory)):
        ready.set()
        time.sleep(seconds)


@pytest.fixture
def holder(tmp_path):
    """Start another process that holds the locks of some names for a while."""
    started = []

    def start(names, seconds):
        ready = multiprocessing.Event()
        process = multiprocessing.Process(target=_hold, args=(tmp_path, names, seconds, ready))
        process.start()
        assert ready.wait(10)
        started.append(process)
        return process

    yield start
    for process in started:
        process.join(10)


def test_lock_files_are_sorted_hashed_and_bounded():
    files = name_lock.lock_files(
        SERVER, ["b name", "a name", "Disk full on db1/../../etc"] + [str(n) for n in range(5000)]
    )
    assert files == sorted(files)
    assert len(files) == name_lock.BUCKETS  # thousands of names, a bounded number of open files
    assert all("/" not in name and "Disk" not in name for name in files)
    assert name_lock.lock_files(SERVER, ["x", "x"]) == name_lock.lock_files(SERVER, ["x"])


def test_the_key_is_server_and_name():
    assert name_lock.lock_files(SERVER, ["one"]) != name_lock.lock_files("https://other.example.com", ["one"])
    assert name_lock.lock_files(SERVER, ["one"]) == name_lock.lock_files(SERVER, ["one"])


def test_a_second_process_waits_for_the_holder(tmp_path, holder):
    holder(["Disk full"], 1.0)
    started = time.monotonic()
    with name_lock.names_locked(SERVER, ["Disk full"], 10, directory=str(tmp_path)):
        waited = time.monotonic() - started
    assert 0.7 <= waited < 5


def test_other_names_do_not_wait(tmp_path, holder):
    names = ["held"]
    other = next(
        str(n) for n in range(1000) if name_lock.lock_files(SERVER, [str(n)]) != name_lock.lock_files(SERVER, names)
    )
    holder(names, 2.0)
    started = time.monotonic()
    with name_lock.names_locked(SERVER, [other], 10, directory=str(tmp_path)):
        assert time.monotonic() - started < 0.5


def test_the_wait_is_bounded_and_says_what_to_do(tmp_path, holder):
    holder(["Disk full"], 3.0)
    started = time.monotonic()
    with (
        pytest.raises(name_lock.XsoarLockTimeout) as info,
        name_lock.names_locked(SERVER, ["Disk full"], 0.5, directory=str(tmp_path)),
    ):
        pytest.fail("the lock was taken while another process held it")
    assert 0.4 <= time.monotonic() - started < 2
    assert "another run on this machine" in str(info.value) and "run again" in str(info.value)


def test_bulk_runs_with_crossing_names_do_not_deadlock(tmp_path, holder):
    # both take their locks in sorted order, so neither can hold one the other needs while waiting
    names = [str(n) for n in range(300)]
    holder(names, 0.5)
    with name_lock.names_locked(SERVER, list(reversed(names)), 10, directory=str(tmp_path)):
        pass


def test_released_after_the_block_and_on_error(tmp_path):
    with pytest.raises(RuntimeError), name_lock.names_locked(SERVER, ["x"], 1, directory=str(tmp_path)):
        raise RuntimeError("boom")
    with name_lock.names_locked(SERVER, ["x"], 0.1, directory=str(tmp_path)):
        pass


def test_lock_directory_is_private(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock.tempfile, "gettempdir", lambda: str(tmp_path))
    path = name_lock.lock_directory()
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
    assert name_lock.lock_directory() == path


def test_a_lock_directory_others_can_write_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock.tempfile, "gettempdir", lambda: str(tmp_path))
    path = tmp_path / ("xsoar-connector-locks-%d" % os.getuid())
    path.mkdir(mode=0o777)
    os.chmod(str(path), 0o777)
    with pytest.raises(XsoarError) as info:
        name_lock.lock_directory()
    assert "remove it" in str(info.value)


def test_a_symlinked_lock_directory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock.tempfile, "gettempdir", lambda: str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / ("xsoar-connector-locks-%d" % os.getuid())).symlink_to(target)
    with pytest.raises(XsoarError):
        name_lock.lock_directory()


class FakeClient:
    url = SERVER
    timeout = 30.0
    retries = 3


def test_the_wait_covers_the_holders_own_retries():
    assert name_lock.wait_for(FakeClient()) == 240
    small = FakeClient()
    small.timeout, small.retries = 1.0, 0
    assert name_lock.wait_for(small) == name_lock.MIN_WAIT


def test_check_mode_takes_no_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock, "lock_directory", lambda: pytest.fail("check mode opened the lock directory"))
    with name_lock.for_run(FakeClient(), ["x"], True):
        pass
