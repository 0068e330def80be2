# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: with_stand.py STAND VARS COMMAND...: run COMMAND -e @WORKDIR/VARS while STAND runs.

STAND (tls_simulator.py, or xsoar_network's network_stand.py) is started as
`python STAND SIMULATOR CONFIG WORKDIR`, with this directory on PYTHONPATH; it writes WORKDIR/VARS
once it listens and runs until SIGTERM. SIMULATOR is tests/simulator/xsoar_simulator.py, found above
the current directory (ansible-test runs a copy of the target inside the collection); CONFIG is the
integration_config.yml that ansible-test puts two levels up, which holds the profile's key, so the
key is on no command line here. Exits with COMMAND's status.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

CONFIG = os.path.join("..", "..", "integration_config.yml")
START_TIMEOUT = 30


def find_simulator(start):
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "tests", "simulator", "xsoar_simulator.py")
        if os.path.isfile(candidate):
            return candidate
        if os.path.dirname(directory) == directory:
            raise SystemExit(f"tests/simulator/xsoar_simulator.py not found above {start}")
        directory = os.path.dirname(directory)


def main(stand, vars_name, *command):
    workdir = tempfile.mkdtemp(prefix="xsoar-stand-")
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [os.path.dirname(os.path.abspath(__file__))] + [p for p in [os.environ.get("PYTHONPATH")] if p]
        ),
    )
    process = subprocess.Popen([sys.executable, stand, find_simulator(os.getcwd()), CONFIG, workdir], env=environment)
    try:
        vars_file = os.path.join(workdir, vars_name)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(vars_file):
            if process.poll() is not None or time.monotonic() > deadline:
                print(f"with_stand.py: {stand} did not start (its output is above)", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return subprocess.call(list(command) + ["-e", "@" + vars_file])
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
