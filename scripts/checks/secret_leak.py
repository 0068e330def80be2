#!/usr/bin/env python
"""Fail when the simulator's API key appears in any output of an integration run.

    python scripts/checks/secret_leak.py SIMULATOR_DIR [LOG ...]

SIMULATOR_DIR is the working directory of ``scripts/simulator.sh start`` (its ``env`` file holds the
key). The simulator's record of the requests it received (``/_simulator/requests``) is saved as
SIMULATOR_DIR/request-log.json first, and the war-room entries it stores (``/_simulator/war_rooms``)
as SIMULATOR_DIR/war-rooms.json, so they are searched too, with the simulator's own log and every
LOG given (the ansible-test output). The key must be in none of them: not in a task result, a
message, a diff, ``-vvv`` output, nor anything a module sent where the key does not belong.
Run it before the simulator is stopped. Exit status 1 names the files that hold the key.
"""

import os
import shlex
import ssl
import sys
import urllib.request


def read_env(path):
    """The XSOAR_* values of the ``env`` file that scripts/simulator.sh writes (export NAME='value')."""
    values = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("export "):
                name, _sep, value = line[len("export ") :].strip().partition("=")
                values[name] = shlex.split(value)[0] if value else ""
    return values


def save_request_log(env, dest, name="requests"):
    """Fetch what the simulator logged of the requests it received (or another control endpoint's
    answer, `name`: war_rooms, the entries it stores); False when it could not be read."""
    url = env["XSOAR_URL"] + "/_simulator/" + name
    context = ssl.create_default_context(cafile=env["XSOAR_CA_PATH"]) if env.get("XSOAR_CA_PATH") else None
    try:
        with urllib.request.urlopen(url, context=context, timeout=30) as answer:
            body = answer.read()
    except OSError as error:
        print(f"secret_leak: could not read {url}: {error}")
        return False
    with open(dest, "wb") as handle:
        handle.write(body)
    return True


def files_with(secret, paths):
    """The paths among paths whose bytes contain secret (a missing file counts as holding it: unchecked)."""
    needle = secret.encode()
    found = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                if needle in handle.read():
                    found.append(path)
        except OSError as error:
            found.append(f"{path} (unreadable: {error})")
    return found


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    workdir, logs = argv[1], argv[2:]
    env = read_env(os.path.join(workdir, "env"))
    key = env.get("XSOAR_API_KEY", "")
    if not key:
        print(f"secret_leak: no XSOAR_API_KEY in {workdir}/env")
        return 1
    request_log = os.path.join(workdir, "request-log.json")
    # the war-room entries the simulator stores: what the collection wrote to XSOAR for analysts to read
    war_rooms = os.path.join(workdir, "war-rooms.json")
    ok = save_request_log(env, request_log) and save_request_log(env, war_rooms, "war_rooms")
    leaked = files_with(
        key,
        [os.path.join(workdir, "simulator.log"), request_log, war_rooms] + logs
        if ok
        else [os.path.join(workdir, "simulator.log")] + logs,
    )
    if leaked or not ok:
        for path in leaked:
            print(f"FAIL: the API key appears in {path}")
        return 1
    print(f"secret_leak: the API key is in none of {len(logs) + 2} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
