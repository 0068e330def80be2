# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""name_lock: real flock files, taken by other processes, in sorted order, with a bounded wait."""

import multiprocessing
import os
import stat
import tempfile
import time
import uuid

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import name_lock
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError

SERVER = "https://192.0.2.10"  # an address: no DNS look-up in these tests


def _hold(directory, names, seconds, ready, server=SERVER, tmpdir=None):
    if tmpdir is not None:  # this process's own temporary directory, as separate AWX jobs have
        os.environ["TMPDIR"] = tmpdir
        tempfile.tempdir = None
    with name_lock.names_locked(server, names, 5, directory=directory):
        ready.set()
        time.sleep(seconds)


@pytest.fixture
def holder(tmp_path):
    """Start another process that holds the locks of some names for a while."""
    started = []

    def start(names, seconds, server=SERVER, directory=str(tmp_path), tmpdir=None):
        ready = multiprocessing.Event()
        process = multiprocessing.Process(target=_hold, args=(directory, names, seconds, ready, server, tmpdir))
        process.start()
        assert ready.wait(20)
        started.append(process)
        return process

    yield start
    for process in started:
        process.join(10)


def test_a_bulk_of_thousands_of_names_holds_one_file_per_address():
    names = ["b name", "a name", "Disk full on db1/../../etc"] + [str(n) for n in range(5000)]
    locked = name_lock.name_bytes(name_lock.server_keys(SERVER), names)
    assert locked == sorted(locked)
    assert len(locked) == len(names)  # a byte per name: no two of these 5003 names share one
    assert {entry.file_name for entry in locked} == {locked[0].file_name}
    assert all("/" not in entry.file_name and "Disk" not in entry.file_name for entry in locked)


def fake_resolver(table):
    def resolve(host, port, type=0):  # noqa: A002 - socket.getaddrinfo's keyword
        if host not in table:
            raise OSError("Name or service not known")
        return [(2, 1, 6, "", (address, port)) for address in table[host]]

    return resolve


@pytest.mark.parametrize(
    "one, other, same",
    [
        ("https://localhost:8443", "https://127.0.0.1:8443", True),
        ("https://LocalHost:8443/", "https://127.0.0.1:8443", True),
        ("https://xsoar.example.com", "https://xsoar.example.com:443", True),
        ("https://xsoar.example.com", "https://10.1.1.2", True),  # its address
        ("https://xsoar.example.com", "https://10.1.1.3", True),  # round-robin: another of its addresses
        ("https://localhost:8443", "https://localhost:8444", False),  # another port
        ("https://xsoar.example.com", "https://other.example.com", False),
        ("https://xsoar.example.com", "https://xsoar.example.com/prefix", False),  # another path
        ("https://unknown.example.com", "https://UNKNOWN.example.com", True),  # not resolved: by name
        ("https://unknown.example.com", "https://unknown2.example.com", False),
    ],
)
def test_one_server_spelled_two_ways_is_one_key(one, other, same):
    resolve = fake_resolver(
        {
            "localhost": ["127.0.0.1", "::1"],
            "127.0.0.1": ["127.0.0.1"],
            "xsoar.example.com": ["10.1.1.3", "10.1.1.2"],
            "10.1.1.2": ["10.1.1.2"],
            "10.1.1.3": ["10.1.1.3"],
            "other.example.com": ["10.1.1.9"],
        }
    )
    shared = set(name_lock.server_keys(one, resolve)) & set(name_lock.server_keys(other, resolve))
    assert bool(shared) is same


def test_a_second_process_waits_for_the_holder(tmp_path, holder):
    holder(["Disk full"], 1.0)
    started = time.monotonic()
    with name_lock.names_locked(SERVER, ["Disk full"], 10, directory=str(tmp_path)):
        waited = time.monotonic() - started
    assert 0.7 <= waited < 5


def test_other_names_do_not_wait(tmp_path, holder):
    holder(["held"], 2.0)
    started = time.monotonic()
    with name_lock.names_locked(SERVER, ["another name"], 10, directory=str(tmp_path)):
        assert time.monotonic() - started < 0.5


def test_an_unrelated_name_does_not_wait_for_a_big_bulk(tmp_path, holder):
    """A bulk of 2,000 names holds its locks; a run of another name starts at once."""
    holder([f"Bulk incident {n}" for n in range(2000)], 3.0)
    started = time.monotonic()
    with name_lock.names_locked(SERVER, ["Disk full on db1"], 2, directory=str(tmp_path)):
        assert time.monotonic() - started < 0.5


def test_two_spellings_of_one_server_share_the_lock(tmp_path, holder):
    holder(["Disk full"], 3.0, server="http://localhost:8443")
    with (
        pytest.raises(name_lock.XsoarLockTimeout) as info,
        name_lock.names_locked("http://127.0.0.1:8443/", ["Disk full"], 0.5, directory=str(tmp_path)),
    ):
        pytest.fail("the lock was taken while another process held it under the other spelling")
    # the message says what it waited for: the name, the server as given and the address they share
    assert "named 'Disk full' on http://127.0.0.1:8443/ (address 127.0.0.1)" in str(info.value)
    with name_lock.names_locked("http://127.0.0.1:8444", ["Disk full"], 0.5, directory=str(tmp_path)):
        pass  # another port: another server


def test_processes_with_their_own_tmpdir_share_the_lock(tmp_path, holder, monkeypatch):
    """Two processes of one controller, each with its own $TMPDIR (as separate AWX jobs have)."""
    server = f"https://tmpdirs-{uuid.uuid4().hex}.invalid"  # this test's own lock file in the shared directory
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    holder(["Disk full"], 3.0, server=server, directory=None, tmpdir=str(first))
    monkeypatch.setenv("TMPDIR", str(second))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with (
        pytest.raises(name_lock.XsoarLockTimeout),
        name_lock.names_locked(server, ["Disk full"], 0.5),
    ):
        pytest.fail("the lock was taken while another process with another TMPDIR held it")


@pytest.mark.parametrize("directory", ["/dev/null/locks", "/proc/xsoar-locks"])
def test_a_lock_directory_that_cannot_be_written_says_how_to_go_on(directory):
    with (
        pytest.raises(XsoarError) as info,
        name_lock.names_locked(SERVER, ["x"], 1, directory=directory),
    ):
        pytest.fail("a lock was taken in a directory that cannot exist")
    message = str(info.value)
    assert "lock directory " + directory in message
    assert "name_lock_dir (or XSOAR_NAME_LOCK_DIR)" in message and "name_lock: false" in message


def test_the_lock_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(name_lock, "lock_directory", lambda *args: pytest.fail("a lock was taken"))
    with name_lock.for_run(FakeClient(), ["x"], False, name_lock.LockSettings(False, None)):
        pass


@pytest.mark.parametrize(
    "option, option_dir, environment, expected",
    [
        (None, None, {}, (True, None)),
        (False, None, {}, (False, None)),
        (None, None, {"XSOAR_NAME_LOCK": "false"}, (False, None)),
        (True, None, {"XSOAR_NAME_LOCK": "false"}, (True, None)),  # the option wins
        (None, None, {"XSOAR_NAME_LOCK_DIR": "/run/locks"}, (True, "/run/locks")),
        (None, "/srv/locks", {"XSOAR_NAME_LOCK_DIR": "/run/locks"}, (True, "/srv/locks")),
    ],
)
def test_lock_settings(option, option_dir, environment, expected, monkeypatch):
    monkeypatch.delenv("XSOAR_NAME_LOCK", raising=False)
    monkeypatch.delenv("XSOAR_NAME_LOCK_DIR", raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert tuple(name_lock.lock_settings(option, option_dir)) == expected


def test_a_bad_lock_variable_is_named(monkeypatch):
    monkeypatch.setenv("XSOAR_NAME_LOCK", "sometimes")
    with pytest.raises(XsoarError) as info:
        name_lock.lock_settings(None, None)
    assert "XSOAR_NAME_LOCK is 'sometimes': set it to true or false" in str(info.value)


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
    assert "named 'Disk full' on https://192.0.2.10" in str(info.value)


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
    monkeypatch.setattr(name_lock, "SHARED_TEMP", str(tmp_path))
    path = name_lock.lock_directory()
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
    assert name_lock.lock_directory() == path


def test_a_lock_directory_others_can_write_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock, "SHARED_TEMP", str(tmp_path))
    path = tmp_path / f"xsoar-connector-locks-{os.getuid()}"
    path.mkdir(mode=0o777)
    os.chmod(str(path), 0o777)
    with pytest.raises(XsoarError) as info:
        name_lock.lock_directory()
    assert "remove it" in str(info.value)


def test_a_symlinked_lock_directory_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(name_lock, "SHARED_TEMP", str(tmp_path))
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / f"xsoar-connector-locks-{os.getuid()}").symlink_to(target)
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
    monkeypatch.setattr(name_lock, "lock_directory", lambda *args: pytest.fail("check mode opened the lock directory"))
    with name_lock.for_run(FakeClient(), ["x"], True):
        pass
