# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lock on the machine that runs the module, keyed by server and incident name.

Held from the search for a name to the create, it makes parallel runs on one machine (forks of one
play, separate ansible-playbook processes) converge on one incident: the second run searches after
the first one's create and finds it. It does not reach other machines: see docs/reliability.md.

"The same server" is what the client reaches: the addresses the URL's host resolves to, the port and
the path. `https://localhost:8443` and `https://127.0.0.1:8443` share the address 127.0.0.1, so they
share a lock. One server behind two addresses that share none, two ports or two proxies counts as
two servers (those runs rely on close_duplicates); two servers behind one address and port only wait
for each other.

Each server address has one lock file; each name is one byte of it, locked with an fcntl record lock.
A bulk of thousands of names therefore holds a few open files, and a name waits only for runs that
write the same name (a hash of 40 bits: two names share a byte about once in a trillion pairs).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple
from urllib.parse import urlsplit

try:
    import fcntl
except ImportError:  # pragma: no cover - modules run on POSIX hosts
    fcntl = None  # type: ignore[assignment]  # reached only off POSIX, where no module runs

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError, XsoarInputError

# Not $TMPDIR: processes of one controller (AWX jobs, ansible-runner) may each have their own.
SHARED_TEMP = "/tmp"
DIRECTORY_VARIABLE = "XSOAR_NAME_LOCK_DIR"
ENABLED_VARIABLE = "XSOAR_NAME_LOCK"
NAME_BYTES = 2**40
MAX_ADDRESSES = 4  # a host name of many addresses (round-robin DNS): its first four, sorted
DEFAULT_PORTS = {"https": 443, "http": 80}
POLL_INTERVAL = 0.05
MIN_WAIT = 60
WAY_OUT = (
    "set name_lock_dir (or XSOAR_NAME_LOCK_DIR) to a directory that every run on this machine can write,"
    " or name_lock: false (XSOAR_NAME_LOCK=false) to run without the lock (parallel runs may then open"
    " duplicates; close_duplicates: true closes them on a later run)"
)

# fcntl record locks belong to a process, not to an open file: threads of one process take turns here.
_PROCESS_TURN = threading.Lock()


class XsoarLockTimeout(XsoarError):
    """Another run held the lock of a name for longer than the wait allows."""


class LockSettings(NamedTuple):
    enabled: bool
    directory: str | None  # None: the shared default


class NameByte(NamedTuple):
    file_name: str
    offset: int
    name: str
    server_key: str


def lock_settings(name_lock: bool | None, name_lock_dir: str | None) -> LockSettings:
    """The task's options, else the XSOAR_NAME_LOCK / XSOAR_NAME_LOCK_DIR environment, else on in /tmp."""
    enabled = name_lock
    if enabled is None:
        enabled = _enabled_from_environment()
    directory = name_lock_dir or os.environ.get(DIRECTORY_VARIABLE) or None
    return LockSettings(enabled, directory)


def _enabled_from_environment() -> bool:
    value = os.environ.get(ENABLED_VARIABLE, "")
    if not value.strip():
        return True
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise XsoarInputError(f"XSOAR_NAME_LOCK is {value!r}: set it to true or false")


def default_directory() -> str:
    return os.path.join(SHARED_TEMP, f"xsoar-connector-locks-{os.getuid()}")


def lock_directory(path: str | None = None) -> str:
    """The directory of the lock files, created owner-only when missing.

    The default one is shared by every user's runs: it must be this user's, a directory and private
    (another user could have made it first, to make our runs wait or to watch them). A directory the
    user names is taken as given.
    """
    chosen = path is not None
    path = path or default_directory()
    try:
        os.mkdir(path, 0o700)
    except OSError as error:
        if error.errno != errno.EEXIST:
            raise XsoarError(f"cannot create the lock directory {path}: {error.strerror}; {WAY_OUT}")
    if chosen:
        if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
            raise XsoarError(f"the lock directory {path} is not a directory this user can write; {WAY_OUT}")
        return path
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise XsoarError(
            f"the lock directory {path} is not a directory owned and only accessible by this user: remove it"
            f" (it holds only empty lock files) and run again, or {WAY_OUT}"
        )
    return path


def server_keys(url: str, resolve: Callable = socket.getaddrinfo) -> list[str]:
    """The server as the client reaches it: one key per address of the host (with port and path).

    A host that does not resolve here (a proxy resolves it) is keyed by its name.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    path = parts.path.rstrip("/")
    try:
        addresses = sorted({info[4][0] for info in resolve(host, port, type=socket.SOCK_STREAM)})
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        addresses = [host]
    return [f"{address} {port} {path}" for address in addresses[:MAX_ADDRESSES]]


def name_bytes(keys: list[str], names: list[str]) -> list[NameByte]:
    """The bytes to lock for `names` on a server of `keys`, sorted, so that every run takes them in one order."""
    locked = set()
    for key in keys:
        file_name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16] + ".lock"
        for name in names:
            digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()
            offset = int.from_bytes(digest[:8], "big") % NAME_BYTES
            locked.add(NameByte(file_name, offset, name, key))
    return sorted(locked)


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:
        raise XsoarError(f"cannot open the lock file {path}: {error.strerror}; {WAY_OUT}")


def _lock_byte(handle: int, offset: int, deadline: float, clock: Callable, sleep: Callable) -> bool:
    """Lock one byte of an open lock file; False when the deadline passes first."""
    while True:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset, os.SEEK_SET)
            return True
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if clock() >= deadline:
            return False
        sleep(POLL_INTERVAL)


def _process_turn(deadline: float, clock: Callable, sleep: Callable) -> bool:
    while not _PROCESS_TURN.acquire(blocking=False):
        if clock() >= deadline:
            return False
        sleep(POLL_INTERVAL)
    return True


def wait_for(client: Client) -> float:
    """How long to wait for another run: long enough for its search and creates to succeed or fail."""
    return max(MIN_WAIT, 2 * client.timeout * (client.retries + 1))


def for_run(
    client: Client, names: list[str], check_mode: bool, settings: LockSettings | None = None
) -> contextlib.AbstractContextManager[None]:
    """The lock of a module run that may create `names`; none in check mode, which writes nothing,
    and none when the task turns it off."""
    settings = settings or lock_settings(None, None)
    if check_mode or not settings.enabled:
        return contextlib.nullcontext()
    return names_locked(client.url, names, wait_for(client), settings.directory)


@contextlib.contextmanager
def names_locked(
    server: str,
    names: list[str],
    wait: float,
    directory: str | None = None,
    clock: Callable = time.monotonic,
    sleep: Callable = time.sleep,
    resolve: Callable = socket.getaddrinfo,
) -> Iterator[None]:
    """Hold the locks of `names` on `server` for the block; wait at most `wait` seconds for them.

    The locks are released when the block ends, and by the system if the process dies.
    """
    directory = lock_directory(directory)
    deadline = clock() + wait
    if not _process_turn(deadline, clock, sleep):
        raise XsoarLockTimeout(f"another thread of this process held the name lock for more than {wait:g}s: run again")
    handles: dict[str, int] = {}
    try:
        for wanted in name_bytes(server_keys(server, resolve), names):
            path = os.path.join(directory, wanted.file_name)
            if path not in handles:
                handles[path] = _open(path)
            if not _lock_byte(handles[path], wanted.offset, deadline, clock, sleep):
                raise XsoarLockTimeout(
                    f"another run on this machine has been writing incidents named {wanted.name!r} on {server}"
                    f" (address {wanted.server_key.split(' ')[0]}) for more than {wait:g}s: this run waited for"
                    f" its lock of that name (in {path}); wait for it to finish and run again"
                )
        yield
    finally:
        for handle in handles.values():
            os.close(handle)  # closing a file releases this process's record locks on it
        _PROCESS_TURN.release()
