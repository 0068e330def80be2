# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start a second simulator like this profile's (deployment, key), but on HTTPS with its own CA.

Usage: tls_simulator.py SIMULATOR CONFIG WORKDIR. Runs in the foreground (the caller puts it in the
background and kills it); writes WORKDIR/tls.yml with tls_url and tls_ca_path once it listens.
"""

import json
import os
import signal
import subprocess
import sys
import time


def profile_settings(config_path):
    """integration_config.yml as simulator.sh writes it: one `name: <JSON value>` a line."""
    settings = {}
    with open(config_path, encoding="utf-8") as handle:
        for line in handle:
            name, sep, value = line.partition(": ")
            if sep and not line.startswith("#"):
                settings[name] = json.loads(value)
    return settings


def start(simulator, settings, workdir, name="", extra=()):
    """Start an HTTPS simulator like the profile's; return (process, its port-file info), or (process, None)."""
    port_file = os.path.join(workdir, f"port{name}.json")
    command = [
        sys.executable,
        simulator,
        "--deployment",
        settings["xsoar_deployment"],
        "--api-key",
        settings["xsoar_api_key"],
        "--api-key-type",
        settings["xsoar_api_key_type"],
        "--tls",
        "--cert-dir",
        os.path.join(workdir, "certs" + name),
        "--port-file",
        port_file,
        "--quiet",
    ]
    if settings["xsoar_api_key_id"]:
        command += ["--api-key-id", settings["xsoar_api_key_id"]]
    server = subprocess.Popen(command + list(extra))
    while not os.path.exists(port_file):
        if server.poll() is not None:
            return server, None
        time.sleep(0.1)
    with open(port_file, encoding="utf-8") as handle:
        return server, json.load(handle)


def main(simulator, config_path, workdir):
    server, info = start(simulator, profile_settings(config_path), workdir)
    try:
        if info is None:
            return server.returncode or 1
        vars_file = os.path.join(workdir, "tls.yml")
        with open(vars_file + ".tmp", "w", encoding="utf-8") as handle:
            json.dump({"tls_url": info["url"], "tls_ca_path": info["ca_path"]}, handle)
        os.rename(vars_file + ".tmp", vars_file)  # the caller waits for this file: never half-written
        return server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait()


def stop(signum, frame):
    sys.exit(0)  # through main's finally, which stops the simulator too


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    sys.exit(main(*sys.argv[1:]))
