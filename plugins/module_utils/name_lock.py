# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lock on the machine that runs the module, keyed by server and incident name.

Held from the search for a name to the create, it makes parallel runs on one machine (forks of one
play, separate ansible-playbook processes) converge on one incident: the second run searches after
the first one's create and finds it. It does not reach other machines: see docs/reliability.md.
"""

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - modules run on POSIX hosts
    fcntl = None

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError

# Names share a fixed number of lock files per server: a bulk task of thousands of names then holds
# at most this many open files (the usual limit is 1024). Two names in one bucket only wait for
# each other a little.
BUCKETS = 128
POLL_INTERVAL = 0.05
MIN_WAIT = 60


class XsoarLockTimeout(XsoarError):
    """Another run held the lock of a name for longer than the wait allows."""


def lock_directory():
    """The per-user directory of the lock files (created owner-only; another user's is refused)."""
    path = os.path.join(tempfile.gettempdir(), "xsoar-connector-locks-%d" % os.getuid())
    try:
        os.mkdir(path, 0o700)
    except OSError as error:
        if error.errno != errno.EEXIST:
            raise XsoarError(f"cannot create the lock directory {path}: {error.strerror}")
    info = os.lstat(path)
    # another user could have made it first, to make our runs wait or to watch them
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise XsoarError(
            f"the lock directory {path} is not a directory owned and only accessible by this user: remove it"
            " (it holds only empty lock files) and run again"
        )
    return path


def lock_files(server, names):
    """The lock file names of `names` on `server`, sorted (so that every run takes them in one order)."""
    buckets = set()
    for name in names:
        digest = hashlib.sha256((f"{server}\n{name}").encode("utf-8", "surrogatepass")).digest()
        buckets.add(int.from_bytes(digest[:4], "big") % BUCKETS)
    server_id = hashlib.sha256(server.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return ["%s-%03d.lock" % (server_id, bucket) for bucket in sorted(buckets)]


def _acquire(path, deadline, clock, sleep):
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as error:
        raise XsoarError(f"cannot open the lock file {path}: {error.strerror}")
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if clock() >= deadline:
                raise XsoarLockTimeout("timed out")
            sleep(POLL_INTERVAL)
    except BaseException:
        os.close(handle)
        raise


def wait_for(client):
    """How long to wait for another run: long enough for its search and creates to succeed or fail."""
    return max(MIN_WAIT, 2 * client.timeout * (client.retries + 1))


def for_run(client, names, check_mode):
    """The lock of a module run that may create `names`; none in check mode, which writes nothing."""
    if check_mode:
        return contextlib.nullcontext()
    return names_locked(client.url, names, wait_for(client))


@contextlib.contextmanager
def names_locked(server, names, wait, directory=None, clock=time.monotonic, sleep=time.sleep):
    """Hold the locks of `names` on `server` for the block; wait at most `wait` seconds for them.

    The lock is released when the block ends, and by the system if the process dies.
    """
    directory = directory or lock_directory()
    deadline = clock() + wait
    handles = []
    try:
        for file_name in lock_files(server, names):
            try:
                handles.append(_acquire(os.path.join(directory, file_name), deadline, clock, sleep))
            except XsoarLockTimeout:
                raise XsoarLockTimeout(
                    f"another run on this machine has been writing incidents of the same names on {server} for more"
                    f" than {wait:g}s (a lock file in {directory} is held): wait for it to finish and run again"
                )
        yield
    finally:
        for handle in reversed(handles):
            os.close(handle)  # closing the last descriptor releases the flock
