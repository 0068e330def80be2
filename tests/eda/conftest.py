"""Fixtures of the EDA tests: an XSOAR simulator subprocess per profile, and the installed collection.

Run through nox -e eda, which builds and installs the collection into a temporary
collections path ($XSOAR_EDA_COLLECTIONS) and provides ansible-rulebook in the venv.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = ROOT / "tests" / "simulator" / "xsoar_simulator.py"

# name: (deployment, key type, key id, tls)
PROFILES = {
    "xsoar6": ("xsoar6", "standard", "", False),
    "xsoar8-saas-advanced": ("xsoar8-saas", "advanced", "42", True),
}


def collections_path() -> Path:
    path = os.environ.get("XSOAR_EDA_COLLECTIONS")
    if not path:
        pytest.fail("XSOAR_EDA_COLLECTIONS is not set: run the EDA tests through nox -e eda")
    return Path(path)


def installed(*parts: str) -> Path:
    """A file of the installed collection."""
    return collections_path() / "ansible_collections" / "xsoar" / "connector" / Path(*parts)


class Simulator:
    """One simulator subprocess with its XSOAR_* environment and its control API."""

    def __init__(self, workdir: Path, profile: str, port: int = 0, key: str = "", state_file: str = ""):
        deployment, key_type, key_id, tls = PROFILES[profile]
        self.profile = profile
        self.key = key or secrets.token_hex(24)
        self.workdir = workdir
        self.port = port
        self.state_file = state_file
        port_file = workdir / "port.json"
        args = [
            sys.executable,
            str(SIMULATOR),
            "--deployment",
            deployment,
            "--api-key",
            self.key,
            "--api-key-type",
            key_type,
            "--port",
            str(port),
            "--port-file",
            str(port_file),
        ]
        if state_file:
            args += ["--state-file", state_file]
        if key_id:
            args += ["--api-key-id", key_id]
        if tls:
            args += ["--tls", "--cert-dir", str(workdir / "certs")]
        self.log_path = workdir / "simulator.log"
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log_path.open("a"))
        deadline = time.monotonic() + 20
        while not port_file.exists() or not port_file.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"simulator did not start: {self.log_path.read_text()}")
            time.sleep(0.05)
        info = json.loads(port_file.read_text())
        self.url = info["url"]
        self.ca_path = info.get("ca_path") or ""
        self.env = {"XSOAR_URL": self.url, "XSOAR_API_KEY": self.key, "XSOAR_API_KEY_TYPE": key_type}
        if key_id:
            self.env["XSOAR_API_KEY_ID"] = key_id
        if self.ca_path:
            self.env["XSOAR_CA_PATH"] = self.ca_path
        self.prefix = "/xsoar/public/v1" if key_id else ""
        self.port = info["port"]

    def restarted(self) -> Simulator:
        """A new simulator process on the same port, key and state file (after stop(): an outage)."""
        return Simulator(self.workdir, self.profile, self.port, self.key, self.state_file)

    # -- control API (no auth) --------------------------------------------------------------
    def control(self, method: str, name: str, body=None):
        answer = requests.request(
            method, self.url + "/_simulator/" + name, json=body, verify=self.ca_path or True, timeout=10
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def reset(self):
        self.control("POST", "reset", {})

    def incidents(self) -> list:
        return self.control("GET", "incidents")["incidents"]

    def faults(self, *faults):
        self.control("POST", "faults", {"faults": list(faults)})

    def requests_log(self) -> list:
        return self.control("GET", "requests")["requests"]

    # -- the API itself, as a client would use it ------------------------------------------
    def api(self, path: str, body: dict, prefix=None) -> requests.Response:
        """POST to the XSOAR API with this simulator's key (signed for an advanced key)."""
        headers = {"Content-Type": "application/json"}
        if self.profile == "xsoar6":
            headers["Authorization"] = self.key
        else:
            headers.update(_advanced_headers(self.key))
            headers["x-xdr-auth-id"] = PROFILES[self.profile][2]
        answer = requests.post(
            self.url + (self.prefix if prefix is None else prefix) + path,
            json=body,
            headers=headers,
            verify=self.ca_path or True,
            timeout=10,
        )
        assert answer.status_code in (200, 201), answer.text
        return answer

    def create(self, name: str, **fields) -> dict:
        """Create an incident through the API; returns the stored incident (with its id)."""
        before = {incident["id"] for incident in self.incidents()}
        self.api("/incident", dict(fields, name=name))
        created = [incident for incident in self.incidents() if incident["id"] not in before]
        assert len(created) == 1
        return created[0]

    def update(self, incident: dict, **changes) -> None:
        current = [stored for stored in self.incidents() if stored["id"] == incident["id"]][0]
        self.api("/incident", dict(current, **changes))

    def close(self, incident: dict) -> None:
        # XSOAR 8 documents no public batchClose: the legacy /xsoar prefix has it, as the collection uses
        self.api(
            "/incident/batchClose",
            {"ids": [incident["id"]], "all": False, "filter": {}},
            prefix="/xsoar" if self.prefix else "",
        )

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def store_incident_dated_tomorrow(state_file: Path, name: str, **fields) -> dict:
    """While the simulator is down: add to its state an incident dated a day ahead (a server whose
    clock ran ahead when it stamped it), as the simulator stores incidents."""
    state = json.loads(state_file.read_text())
    tomorrow = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    stamp = tomorrow.isoformat(timespec="microseconds").replace("+00:00", "Z")
    incident = dict(state["incidents"][-1], id=str(state["next_id"]), name=name, rawName=name, **fields)
    incident.update(created=stamp, modified=stamp, occurred=stamp)
    state["incidents"].append(incident)
    state["next_id"] += 1
    state_file.write_text(json.dumps(state))
    return incident


def _advanced_headers(key: str) -> dict:
    import hashlib
    import string

    alphabet = string.ascii_letters + string.digits
    nonce = "".join(secrets.choice(alphabet) for _index in range(64))
    timestamp = str(int(time.time() * 1000))
    return {
        "x-xdr-timestamp": timestamp,
        "x-xdr-nonce": nonce,
        "Authorization": hashlib.sha256((key + nonce + timestamp).encode()).hexdigest(),
    }


@pytest.fixture(scope="module", params=sorted(PROFILES))
def simulator(request, tmp_path_factory):
    sim = Simulator(tmp_path_factory.mktemp("sim-" + request.param), request.param)
    yield sim
    sim.stop()
    # the key is never written by the simulator, whatever clients sent
    assert sim.key not in sim.log_path.read_text()


@pytest.fixture
def sim(simulator):
    simulator.reset()
    return simulator
