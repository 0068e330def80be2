"""Tests of the XSOAR simulator, run as a subprocess and driven over real HTTP."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import secrets
import signal
import string
import subprocess
import sys
import threading
import time
from pathlib import Path

import jsonschema
import pytest
import requests

HERE = Path(__file__).resolve().parent
SIMULATOR = HERE / "xsoar_simulator.py"
SCHEMA = json.loads((HERE / "xsoar_swagger_definitions.json").read_text(encoding="utf-8"))
KEY = "sim-test-key-5f1c0a9d7e3b"
KEY_ID = "17"
PREFIX = {"xsoar6": "", "xsoar8-opp": "/xsoar/public/v1", "xsoar8-saas": "/xsoar/public/v1"}
LEGACY = {"xsoar6": "", "xsoar8-opp": "/xsoar", "xsoar8-saas": "/xsoar"}
SERVER_LABELS = [{"type": "Instance", "value": ""}, {"type": "Brand", "value": "Manual"}]
ALNUM = string.ascii_letters + string.digits

sys.path.insert(0, str(HERE))
import xsoar_simulator  # noqa: E402  (for the certificate helpers only)


@functools.cache
def validator(definition: str, definitions_json: str = "") -> jsonschema.Draft4Validator:
    definitions = json.loads(definitions_json) if definitions_json else SCHEMA["definitions"]
    return jsonschema.Draft4Validator({"$ref": f"#/definitions/{definition}", "definitions": definitions})


def check_schema(definition: str, body) -> None:
    """The request a test sends must be valid for the (relaxed) swagger definition."""
    validator(definition).validate(body)


def wait_for(condition, timeout=5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def sign(key: str, nonce: str, timestamp: str) -> str:
    return hashlib.sha256((key + nonce + timestamp).encode()).hexdigest()


def advanced_headers(key=KEY, key_id=KEY_ID, nonce=None, timestamp=None) -> dict:
    nonce = nonce or "".join(secrets.choice(ALNUM) for _index in range(64))
    timestamp = timestamp or str(int(time.time() * 1000))
    return {
        "x-xdr-auth-id": key_id,
        "x-xdr-timestamp": timestamp,
        "x-xdr-nonce": nonce,
        "Authorization": sign(key, nonce, timestamp),
    }


class AdvancedAuth(requests.auth.AuthBase):
    """Signs every request the way demisto-py does for advanced keys."""

    def __call__(self, request):
        request.headers.update(advanced_headers())
        return request


class Sim:
    """One simulator subprocess and a client for it."""

    def __init__(self, workdir: Path, deployment: str, *extra: str, key_type="standard", state_file=None):
        self.workdir, self.deployment = workdir, deployment
        self.port_file = workdir / f"port-{secrets.token_hex(4)}.json"
        self.stderr_path = workdir / "stderr.log"
        args = [
            sys.executable,
            str(SIMULATOR),
            "--deployment",
            deployment,
            "--api-key",
            KEY,
            "--api-key-type",
            key_type,
            "--port",
            "0",
            "--port-file",
            str(self.port_file),
        ]
        if deployment != "xsoar6":
            args += ["--api-key-id", KEY_ID]
        if state_file:
            args += ["--state-file", str(state_file)]
        with open(self.stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.DEVNULL, stderr=stderr)
        self.info = self.wait_for_port_file()
        self.url = self.info["url"]
        self.verify = self.info["ca_path"] or True
        self.prefix = PREFIX[deployment]
        self.legacy = LEGACY[deployment]
        self.session = requests.Session()
        if key_type == "advanced":
            self.session.auth = AdvancedAuth()
        else:
            self.session.headers["Authorization"] = KEY
            if deployment != "xsoar6":
                self.session.headers["x-xdr-auth-id"] = KEY_ID

    def wait_for_port_file(self) -> dict:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.port_file.exists():
                return json.loads(self.port_file.read_text())
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.proc.kill()
        pytest.fail(f"simulator did not start: {self.stderr_path.read_text()}")

    def stop(self, sig=signal.SIGTERM) -> int:
        self.session.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=10)

    def call(self, method: str, api_path: str, body=None, prefix=None, **kwargs):
        url = self.url + (self.prefix if prefix is None else prefix) + api_path
        if body is not None:
            kwargs["json"] = body
        # Per request: REQUESTS_CA_BUNDLE in the environment would override Session.verify.
        kwargs.setdefault("verify", self.verify)
        kwargs.setdefault("allow_redirects", False)  # a 303 is an answer to look at
        return self.session.request(method, url, timeout=kwargs.pop("timeout", 10), **kwargs)

    def create(self, **fields):
        check_schema("CreateIncidentRequest", fields)
        return self.call("POST", "/incident", fields)

    def search(self, **flt):
        body = {"filter": flt}
        check_schema("SearchIncidentsData", body)
        return self.call("POST", "/incidents/search", body)

    def control(self, method: str, name: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/_simulator/{name}", json=body, verify=self.verify, timeout=10)
        response.raise_for_status()
        return response.json()

    def incidents(self) -> list:
        return self.control("GET", "incidents")["incidents"]

    def log(self) -> list:
        return self.control("GET", "requests")["requests"]

    def make(self, name: str, **fields) -> dict:
        """Create an incident and return it as stored (SaaS answers without the id)."""
        response = self.create(name=name, **fields)
        assert response.status_code in (200, 201), response.text
        return self.incidents()[-1]

    def faults(self, *faults) -> None:
        self.control("POST", "faults", {"faults": list(faults)})

    def batch(self, operation: str, **body):
        """batchClose / batchDelete as real clients send them: with a filter, and batchClose on
        XSOAR 8 through the legacy prefix (the public one does not document it)."""
        body.setdefault("filter", {})
        check_schema("UpdateDataBatch", body)
        prefix = self.legacy if operation == "batchClose" else self.prefix
        return self.call("POST", "/incident/" + operation, body, prefix=prefix)


@pytest.fixture(scope="session")
def shared_sims(tmp_path_factory):
    started = {}

    def get(deployment: str, key_type: str = "standard") -> Sim:
        key = (deployment, key_type)
        if key not in started:
            # Index lag off: these tests look at search semantics right after creating.
            # test_index_lag_* check the lag itself.
            started[key] = Sim(tmp_path_factory.mktemp("sim"), deployment, "--index-lag", "0", key_type=key_type)
        sim = started[key]
        sim.control("POST", "reset")
        return sim

    yield get
    for sim in started.values():
        sim.stop()


@pytest.fixture
def sim6(shared_sims):
    return shared_sims("xsoar6")


@pytest.fixture(params=["xsoar8-opp", "xsoar8-saas"])
def sim8(request, shared_sims):
    return shared_sims(request.param)


@pytest.fixture(params=["xsoar6", "xsoar8-opp", "xsoar8-saas"])
def sim(request, shared_sims):
    return shared_sims(request.param)


@pytest.fixture
def sim_adv(shared_sims):
    return shared_sims("xsoar8-opp", "advanced")


@pytest.fixture
def private_sims(tmp_path):
    """Simulators a test configures itself; stopped afterwards."""
    started = []

    def start(deployment: str, *extra: str, **kwargs) -> Sim:
        started.append(Sim(tmp_path, deployment, *extra, **kwargs))
        return started[-1]

    yield start
    for sim in started:
        sim.stop()


# --- authentication ----------------------------------------------------------------------------

XSOAR6_FORBIDDEN = {
    "id": "forbidden",
    "status": 403,
    "title": "Forbidden",
    "detail": "Issue with CSRF code",
    "error": "http: named cookie not present",
}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "wrong"}, {"Authorization": KEY + "x"}])
def test_xsoar6_bad_key_is_403_csrf(sim6, headers):
    response = requests.post(sim6.url + "/playbook/search", json={}, headers=headers, timeout=5)
    assert response.status_code == 403
    assert response.json() == XSOAR6_FORBIDDEN


def test_xsoar6_about_and_paths(sim6):
    about = sim6.call("GET", "/about")
    assert about.status_code == 200
    assert about.headers["Content-Type"].startswith("text/plain")  # JSON labelled text/plain
    # The same productMode/deploymentMode as XSOAR 8 on-prem: only the version tells them apart.
    assert json.loads(about.text) == {
        "demistoVersion": "6.14.0",
        "buildNum": "1398843",
        "productMode": "xsoar",
        "deploymentMode": "opp",
    }
    for method, path in (
        ("GET", "/xsoar/about"),
        ("POST", "/xsoar/public/v1/incident"),
        ("POST", "/xsoar/incidents/search"),
        ("POST", "/public_api/v1/x"),
    ):
        response = sim6.call(method, path, {}, prefix="", headers={"Authorization": "wrong"})
        # the web app, before any auth check
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<html" in response.text
    # real routes the simulator does not implement stay 404
    assert sim6.call("POST", "/incident/batch", {}).status_code == 404


@pytest.mark.parametrize(
    "headers, extra",
    [
        ({}, "Missing x-xdr-auth-id"),
        ({"Authorization": KEY}, "Missing x-xdr-auth-id"),
        ({"Authorization": KEY, "x-xdr-auth-id": "18"}, "Invalid"),
        ({"Authorization": "wrong", "x-xdr-auth-id": KEY_ID}, "Invalid"),
        ({"x-xdr-auth-id": KEY_ID}, "Invalid"),
    ],
)
def test_xsoar8_bad_credentials_are_401(sim8, headers, extra):
    response = requests.post(
        sim8.url + "/xsoar/public/v1/incidents/search", json={"filter": {"size": 1}}, headers=headers, timeout=5
    )
    assert response.status_code == 401
    # XSOAR 8's own 401 body, err_extra null (xsoar-api.md "Real servers, round 3": "XSOAR 8 bad key");
    # why the simulator refused is in its request log only
    assert response.json() == {
        "reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": None}
    }
    assert sim8.log()[-1]["denied"].startswith(extra)
    assert KEY not in response.text


def test_xsoar8_paths(sim8):
    for method, path in (("POST", "/incident"), ("POST", "/incidents/search"), ("GET", "/about")):
        for headers in ({}, {"x-xdr-auth-id": None}):  # with and without the key id
            root = sim8.call(method, path, {"filter": {}}, prefix="", headers=headers)
            assert root.status_code == 500, path  # root paths: 500, not 404
            assert root.json()["reply"]["err_code"] == 500
    for method, path in (("GET", "/about"), ("POST", "/incident/batchClose"), ("POST", "/playbook/delete")):
        undocumented = sim8.call(method, path, {})  # not in the public API reference
        assert undocumented.status_code == 303, path
        assert undocumented.content == b"" and "Location" in undocumented.headers
    assert sim8.call("POST", "/nowhere", {}, prefix="/xsoar").status_code == 303
    about = sim8.call("GET", "/about", prefix="/xsoar")
    assert about.status_code == 200 and about.headers["Content-Type"] == "application/json"
    assert about.json() == {
        "demistoVersion": "8.9.0",
        "buildNum": about.json()["buildNum"],
        "productMode": "xsoar",
        "deploymentMode": sim8.deployment.split("-")[1],
    }
    legacy = sim8.call("POST", "/playbook/search", {}, prefix="/xsoar")
    assert legacy.status_code == 200 and legacy.json()["total"] == 6
    closed = sim8.call("POST", "/incident/batchClose", {"ids": [], "filter": {}}, prefix="/xsoar")
    assert closed.status_code == 200


def test_wrong_method_and_unknown_path(sim):
    assert sim.call("GET", "/incident").status_code == 405
    unknown = sim.call("POST", "/incident/unknown", {})
    assert unknown.status_code == (200 if sim.deployment == "xsoar6" else 303)


def test_advanced_key_accepted(sim_adv):
    assert sim_adv.call("POST", "/incidents/search", {"filter": {"size": 1}}).status_code == 200
    assert sim_adv.call("GET", "/about", prefix="/xsoar").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"Authorization": KEY},  # a standard key on the wire
        {"Authorization": sign("wrong-key", "a" * 64, "1")},  # signed with another key
        {"x-xdr-auth-id": "99"},
        {"x-xdr-timestamp": str(int(time.time() * 1000) - 6 * 60 * 1000)},
        {"x-xdr-timestamp": "soon"},
        {"x-xdr-nonce": "a" * 63},
        {"x-xdr-nonce": "a" * 63 + "-"},
    ],
)
def test_advanced_key_rejections(sim_adv, change):
    headers = advanced_headers()
    headers.update(change)
    if "x-xdr-timestamp" in change or "x-xdr-nonce" in change:  # sign what is sent
        headers["Authorization"] = sign(KEY, headers["x-xdr-nonce"], headers["x-xdr-timestamp"])
    response = requests.post(sim_adv.url + "/xsoar/public/v1/playbook/search", json={}, headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["reply"]["err_code"] == 401


def test_advanced_key_nonce_reuse_rejected(sim_adv):
    headers = advanced_headers()
    url = sim_adv.url + "/xsoar/public/v1/playbook/search"
    assert requests.post(url, json={}, headers=headers, timeout=5).status_code == 200
    second = requests.post(url, json={}, headers=headers, timeout=5)
    assert second.status_code == 401
    assert second.json()["reply"]["err_extra"] is None
    assert "already used" in sim_adv.log()[-1]["denied"]


def test_key_never_logged_or_echoed(shared_sims):
    for sim in (shared_sims("xsoar6"), shared_sims("xsoar8-saas"), shared_sims("xsoar8-opp", "advanced")):
        sim.make("Secret check")
        requests.post(
            sim.url + sim.prefix + "/incident",
            json={"name": "x"},
            headers={"Authorization": KEY + "-wrong", "x-xdr-auth-id": KEY_ID},
            timeout=5,
        )
        log = sim.log()
        assert all(entry["headers"]["Authorization"] == "<redacted>" for entry in log)
        assert KEY not in json.dumps(log)
        assert KEY not in sim.stderr_path.read_text()
        assert KEY not in json.dumps(sim.control("GET", "config"))


# --- create and update ---------------------------------------------------------------------------


def test_create_answers_per_deployment(sim):
    response = sim.create(name="Disk full on db1", severity=2)
    expected = {"xsoar6": 200, "xsoar8-opp": 201, "xsoar8-saas": 201}[sim.deployment]
    assert response.status_code == expected
    body = response.json()
    if sim.deployment == "xsoar8-saas":
        assert "id" not in body  # clients must find the incident by name
        found = sim.search(name=["Disk full on db1"], size=10).json()["data"]
        assert [inc["id"] for inc in found] == ["1"]
    else:
        assert body["id"] == "1"
    assert body["name"] == "Disk full on db1" and body["version"] == first_version(sim)
    assert sim.make("second")["id"] == "2"


def first_version(sim) -> int:
    """A new incident's version: 0 on XSOAR 8 (Kibana's recorded create answer), 1 on XSOAR 6."""
    return 1 if sim.deployment == "xsoar6" else 0


def test_xsoar8_new_incident_is_version_0_never_modified(sim):
    """XSOAR 8: version 0 and modified 1970-01-01 until the first change (Kibana xsoar.test.ts, the
    XSOAR 8 docs' "get an incident" example); XSOAR 6: version 1 and modified = created."""
    incident = sim.make("Fresh")
    if sim.deployment == "xsoar6":
        assert incident["version"] == 1 and incident["modified"] == incident["created"]
        return
    assert incident["version"] == 0 and incident["modified"] == "1970-01-01T00:00:00Z"
    changed = sim.call(
        "POST", "/incident", {"id": incident["id"], "version": 0, "name": "Fresh", "details": "x"}
    ).json()
    assert changed["version"] == 1 and changed["modified"] > "2000"


def test_load_answers_the_stored_incident_on_every_prefix(sim):
    incident = sim.make("Load me")
    prefixes = [sim.prefix] if sim.deployment == "xsoar6" else [sim.prefix, sim.legacy]
    for prefix in prefixes:  # XSOAR 8 documents it on its public prefix; the legacy one has it too
        response = sim.call("GET", f"/incident/load/{incident['id']}", prefix=prefix)
        assert response.status_code == 200, response.text
        assert response.json() == incident
    assert sim.call("GET", "/incident/load/404").status_code == 400
    assert sim.call("POST", f"/incident/load/{incident['id']}", {}).status_code == 405
    assert f"GET /incident/load/{incident['id']}" in sim.control("GET", "stats")["by_endpoint"]


def test_create_defaults(sim6):
    incident = sim6.create(name="Defaults").json()
    expected = {
        "id": "1",
        "version": 1,
        "name": "Defaults",
        "rawName": "Defaults",
        "type": "Unclassified",
        "rawType": "Unclassified",
        "severity": 0,
        "status": 0,
        "investigationId": "",
        "playbookId": "",
        "labels": SERVER_LABELS,
        "CustomFields": {},
        "owner": "",
        "details": "",
        "closeReason": "",
        "closeNotes": "",
        "closed": "0001-01-01T00:00:00Z",
    }
    assert {key: incident[key] for key in expected} == expected
    for field in ("created", "modified", "occurred"):
        assert xsoar_simulator.parse_rfc3339(incident[field]) is not None
    assert sim6.incidents() == [incident]


def test_create_stores_given_fields(sim):
    labels = [{"type": "Email/from", "value": "a@example.com"}]
    sim.create(
        name="Phish",
        type="Phishing",
        severity=0.5,
        owner="admin",
        details="d",
        labels=labels,
        occurred="2024-01-02T03:04:05.123456789+02:00",
        sourceBrand="Kibana",
        customFields={"src": "1.1.1.1", "count": 3, "flag": True, "list": ["a"]},
    )
    incident = sim.incidents()[0]
    assert incident["type"] == incident["rawType"] == "Phishing"
    assert incident["severity"] == 0.5 and incident["owner"] == "admin"
    # the server appends its Instance and Brand labels (Brand from sourceBrand)
    assert incident["labels"] == labels + [{"type": "Instance", "value": ""}, {"type": "Brand", "value": "Kibana"}]
    assert incident["sourceBrand"] == "Kibana"
    assert incident["occurred"] == "2024-01-02T03:04:05.123456789+02:00"
    assert incident["CustomFields"] == {"src": "1.1.1.1", "count": 3, "flag": True, "list": ["a"]}
    assert "customFields" not in incident


def test_create_investigation_activates(sim):
    incident = sim.make("Investigate", playbookId="playbook0", createInvestigation=True)
    assert incident["status"] == 1 and incident["investigationId"] == incident["id"]
    assert incident["playbookId"] == "playbook0"
    assert sim.make("Pending", createInvestigation=False)["status"] == 0


def test_kibana_body_with_nulls_and_extra_keys(sim):
    # Kibana sends playbookId null without a playbook and isRuleSeverity in every body; a Go
    # server leaves null fields unset and ignores unknown keys.
    body = {
        "name": "From Kibana",
        "playbookId": None,
        "createInvestigation": False,
        "severity": 2,
        "isRuleSeverity": False,
    }
    response = sim.call("POST", "/incident", body)
    assert response.status_code in (200, 201), response.text
    assert sim.incidents()[0]["playbookId"] == ""


@pytest.mark.parametrize(
    "playbook_id, ok",
    [
        ("playbook0", True),
        ("8db0105c-f674-4d83-8095-f95a9f61e77a", True),
        ("Phishing - Generic v3", True),
        ("Block IP - Generic v3", False),  # a name, where this playbook's id is a UUID
        ("No such playbook", False),
    ],
)
def test_create_checks_playbook(sim, playbook_id, ok):
    response = sim.create(name="pb", playbookId=playbook_id)
    if ok:
        assert response.status_code in (200, 201)
        return
    assert response.status_code == 400
    body = response.json()
    assert body["id"] == "incCreateErr" and body["status"] == 400
    assert body["title"] == "Failed creating incident" and body["detail"] and body["error"]
    assert sim.incidents() == []


def test_name_required_on_xsoar8_only(sim):
    for body in ({}, {"name": ""}, {"severity": 1}):
        response = sim.call("POST", "/incident", body)
        if sim.deployment == "xsoar6":
            assert response.status_code == 200
        else:
            assert response.status_code == 400
            assert response.json()["id"] == "badRequest"


@pytest.mark.parametrize("severity, status", [(0, None), (0.5, None), (4, None), (5, 400), (-1, 400), (2.5, 400)])
def test_create_severity_range(sim6, severity, status):
    response = sim6.create(name="sev", severity=severity)
    assert response.status_code == (status or 200)


@pytest.mark.parametrize("raw", [b"not json", b"", b"[1, 2]", b'{"name": "x"', b'"text"', b'{"name": NaN}'])
def test_non_json_body_is_400(sim, raw):
    response = sim.session.post(
        sim.url + sim.prefix + "/incident", data=raw, timeout=5, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["id"] == "badRequest" and body["status"] == 400 and body["title"] == "Bad request"
    assert sim.incidents() == []


# The simulator's own (stdlib) checker must agree with jsonschema on the relaxed swagger.
@pytest.mark.parametrize(
    "body",
    [
        {"name": "a"},
        {"name": 1},
        {"name": "a", "severity": "high"},
        {"name": "a", "severity": True},
        {"name": "a", "labels": [{"type": "x", "value": 1}]},
        {"name": "a", "labels": "x"},
        {"name": "a", "createInvestigation": "yes"},
        {"name": "a", "CustomFields": {"n": 1, "s": "x", "l": [1], "o": {"a": 1}}},
        {"name": "a", "CustomFields": "x"},
        {"name": "a", "details": ["a"]},
        {"name": "a", "isRuleSeverity": True, "rawJSON": "{}"},
        {"name": "a", "version": "1"},
    ],
)
def test_request_validation_matches_jsonschema(sim6, body):
    try:
        check_schema("CreateIncidentRequest", body)
        valid = True
    except jsonschema.ValidationError:
        valid = False
    response = sim6.call("POST", "/incident", body)
    assert response.status_code == (200 if valid else 400), response.text
    if not valid:
        assert response.json()["id"] == "badRequest"


@pytest.mark.parametrize("occurred", ["yesterday", "2024-01-02", "2024-13-01T00:00:00Z", ""])
def test_create_rejects_bad_time(sim6, occurred):
    assert sim6.call("POST", "/incident", {"name": "t", "occurred": occurred}).status_code == 400


def test_swagger_copy_is_relaxed_and_attributed():
    assert "Apache" in SCHEMA["x-licence"] and "demisto-py" in SCHEMA["x-source"]
    assert any("CustomFields" in change for change in SCHEMA["x-changes"])
    body = {"name": "n", "CustomFields": {"src": "1.1.1.1"}}
    check_schema("CreateIncidentRequest", body)
    original = copy.deepcopy(SCHEMA["definitions"])  # as published: values must be objects
    original["CustomFields"]["additionalProperties"] = {"type": "object"}
    with pytest.raises(jsonschema.ValidationError):
        validator("CreateIncidentRequest", json.dumps(original)).validate(body)


def test_update_bumps_version(sim):
    incident = sim.make("Before", severity=1)
    version = first_version(sim)
    body = {"id": incident["id"], "version": version, "name": "After", "severity": 3, "CustomFields": {"x": "1"}}
    check_schema("CreateIncidentRequest", body)
    response = sim.call("POST", "/incident", body)
    # XSOAR 8 documents 201 for create-or-update; the id is there on SaaS too
    assert response.status_code == (200 if sim.deployment == "xsoar6" else 201)
    updated = response.json()
    assert updated["id"] == incident["id"] and updated["version"] == version + 1
    assert updated["name"] == updated["rawName"] == "After" and updated["severity"] == 3
    assert updated["CustomFields"] == {"x": "1"} and updated["created"] == incident["created"]
    assert updated["modified"] >= incident["modified"]
    assert sim.incidents() == [updated]


def test_update_version_conflict(sim):
    incident = sim.make("Locked")
    stale = (1, 2) if first_version(sim) == 0 else (0, 2, None)  # no version counts as 0
    for version in stale:
        body = {"id": incident["id"], "name": "Locked"}
        if version is not None:
            body["version"] = version
        response = sim.call("POST", "/incident", body)
        error = response.json()
        assert "DB version conflict" in error["detail"]
        if sim.deployment == "xsoar6":
            assert response.status_code == 409 and error["id"] == "conflict"
        else:  # the XSOAR 8 page documents no 409
            assert response.status_code == 400 and error["id"] == "incCreateErr"
        assert error["status"] == response.status_code
    forced = sim.call("POST", "/incident", {"id": incident["id"], "version": -1, "name": "Forced"})
    assert forced.status_code in (200, 201) and forced.json()["version"] == first_version(sim) + 1


def test_update_keeps_server_labels(sim):
    incident = sim.make("Labelled", labels=[{"type": "a", "value": "1"}])
    assert incident["labels"] == [{"type": "a", "value": "1"}] + SERVER_LABELS
    version = first_version(sim)
    body = {"id": incident["id"], "version": version, "name": "Labelled", "labels": [{"type": "b", "value": "2"}]}
    updated = sim.call("POST", "/incident", body).json()
    # a client that sends only its own labels still finds the server's on the next read
    assert updated["labels"] == [{"type": "b", "value": "2"}] + SERVER_LABELS
    body = {
        "id": incident["id"],
        "version": version + 1,
        "name": "Labelled",
        "labels": [{"type": "Brand", "value": "Ansible"}],
    }
    assert sim.call("POST", "/incident", body).json()["labels"] == [
        {"type": "Brand", "value": "Ansible"},
        {"type": "Instance", "value": ""},
    ]
    body = {"id": incident["id"], "version": version + 2, "name": "Renamed"}  # no labels: unchanged
    assert sim.call("POST", "/incident", body).json()["labels"][0]["value"] == "Ansible"


def test_index_lag(private_sims):
    sim = private_sims("xsoar8-saas", "--index-lag", "1.5")
    assert sim.control("GET", "config")["index_lag"] == 1.5
    started = time.monotonic()
    assert sim.create(name="Fresh").status_code == 201
    # stored at once, but neither search nor a batch call by filter finds it yet
    assert [inc["name"] for inc in sim.incidents()] == ["Fresh"]
    assert sim.search(name=["Fresh"], size=10).json() == {"total": 0, "data": None}
    assert sim.batch("batchDelete", filter={"name": ["Fresh"]}).json()["total"] == 0
    wait_for(lambda: sim.search(name=["Fresh"], size=10).json()["total"] == 1, timeout=5)
    assert time.monotonic() - started >= 1.5
    # by id, a batch call works at once (the id is known: no search needed)
    sim.control("POST", "config", {"index_lag": 30})
    sim.create(name="Later")
    assert sim.search(size=10).json()["total"] == 1
    assert sim.batch("batchDelete", ids=["2"]).json()["total"] == 1


def test_index_lag_default_only_on_saas(private_sims):
    lags = {
        deployment: private_sims(deployment).control("GET", "config")["index_lag"]
        for deployment in ("xsoar6", "xsoar8-opp", "xsoar8-saas")
    }
    assert lags == {"xsoar6": 0.0, "xsoar8-opp": 0.0, "xsoar8-saas": 5.0}


def test_update_unknown_incident(sim):
    response = sim.call("POST", "/incident", {"id": "404", "version": 1, "name": "x"})
    assert response.status_code == 400
    assert response.json()["id"] == "incCreateErr"
    assert sim.incidents() == []


def test_drop_names(private_sims):
    sim = private_sims("xsoar8-opp", "--drop-names", "^Drop")
    dropped = sim.create(name="Drop me")
    assert dropped.status_code == 200 and dropped.content == b""
    assert sim.incidents() == []
    assert sim.create(name="Keep me, Drop").status_code == 201
    sim.control("POST", "config", {"drop_names": None})
    assert sim.create(name="Drop now kept").status_code == 201
    assert len(sim.incidents()) == 2


def test_runtime_config(private_sims):
    sim = private_sims("xsoar8-opp")
    assert sim.control("GET", "config") == {
        "deployment": "xsoar8-opp",
        "api_key_id": KEY_ID,
        "api_key_type": "standard",
        "drop_names": None,
        "index_lag": 0.0,
        "extra_playbooks": 0,
        "playbook_cost_ms": 30.0,
        "latency_ms": 0,
        "batch_needs_size": False,
        "page_cap": None,
        "playbook_edit_after": None,
        "stale_index": None,
        "close_names": None,
    }
    sim.control("POST", "config", {"deployment": "xsoar8-saas"})
    assert sim.control("GET", "config")["index_lag"] == 5.0  # the SaaS default
    assert "id" not in sim.create(name="saas now").json()
    sim.control("POST", "config", {"deployment": "xsoar6"})
    assert sim.call("POST", "/incident", {"name": "six"}, prefix="").status_code == 200
    bad = requests.post(sim.url + "/_simulator/config", json={"api_key_type": "advanced"}, timeout=5)
    assert bad.status_code == 400  # advanced keys exist on XSOAR 8 only
    for bad in (
        {"api_key": 5},
        {"index_lag": -1},
        {"index_lag": "1"},
        {"extra_playbooks": 1.5},
        {"extra_playbooks": 10**6},
        {"playbook_cost_ms": True},
        {"latency_ms": -5},
        {"batch_needs_size": 1},
        {"page_cap": 0},
        {"stale_index": -1},
        {"close_names": "("},
    ):
        assert requests.post(sim.url + "/_simulator/config", json=bad, timeout=5).status_code == 400, bad


def test_latency_delays_every_api_request_not_the_control_api(private_sims):
    sim = private_sims("xsoar6")
    sim.control("POST", "config", {"latency_ms": 300})
    started = time.monotonic()
    sim.create(name="far away")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    sim.control("GET", "incidents")
    assert time.monotonic() - started < 0.3
    assert sim.control("POST", "config", {"latency_ms": None})["latency_ms"] == 0


def test_peak_in_flight_counts_requests_answered_at_once(private_sims):
    sim = private_sims("xsoar6")
    sim.control(
        "POST",
        "faults",
        {"faults": [{"kind": "slow", "delay": 0.5, "method": "POST", "api_path": "/incident", "times": 3}]},
    )
    threads = [threading.Thread(target=sim.create, kwargs={"name": f"at once {n}"}) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sim.create(name="after them")
    peaks = sim.control("GET", "stats")["peak_in_flight"]
    assert peaks["POST /incident"] == 3
    sim.control("POST", "reset", {"requests": True})
    sim.create(name="alone")
    assert sim.control("GET", "stats")["peak_in_flight"] == {"POST /incident": 1}


def test_clearing_the_faults_ends_the_slow_answers_in_progress(private_sims):
    sim = private_sims("xsoar6")
    sim.control(
        "POST", "faults", {"faults": [{"kind": "slow", "delay": 30, "method": "POST", "api_path": "/incident"}]}
    )
    answers = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answers.append(sim.create(name="held")))
    thread.start()
    while not sim.control("GET", "stats")["peak_in_flight"]:
        time.sleep(0.01)
    sim.control("DELETE", "faults")
    # answered and logged before the clearing returned: a request log reset now would not get it later
    assert [entry["fault"] for entry in sim.control("GET", "requests")["requests"]] == ["slow"]
    thread.join()
    assert time.monotonic() - started < 10
    assert answers[0].status_code == 200
    sim.control(
        "POST", "faults", {"faults": [{"kind": "slow", "delay": 0.3, "method": "POST", "api_path": "/incident"}]}
    )
    started = time.monotonic()
    sim.create(name="slow again")  # a fault added after the clearing sleeps in full
    assert time.monotonic() - started >= 0.3


# --- search --------------------------------------------------------------------------------------


@pytest.fixture
def three(sim):
    made = [
        sim.make("Disk full on db1", severity=3, owner="admin", type="Phishing", playbookId="playbook0"),
        sim.make("Disk check", severity=1, CustomFields={"src": "10.0.0.1"}),
        sim.make('CPU "hot" high', severity=4),
    ]
    sim.control("POST", "reset", {"requests": True})
    return made


def ids_of(response) -> list:
    assert response.status_code == 200, response.text
    return [inc["id"] for inc in response.json()["data"] or []]


def test_search_without_size_returns_only_total(sim, three):
    for flt in ({}, {"size": 0}, {"name": ["disk"]}):
        response = sim.search(**flt)
        assert response.status_code == 200
        assert response.json()["data"] is None
    assert sim.search().json()["total"] == 3
    assert sim.search(name=["disk"]).json()["total"] == 2
    no_filter = sim.call("POST", "/incidents/search", {})
    assert no_filter.json() == {"total": 3, "data": None}


@pytest.mark.parametrize(
    "names, expected",
    [
        (["Disk full"], ["1"]),
        (["full DISK"], ["1"]),
        (["disk"], ["2", "1"]),
        (["Disk full on db1"], ["1"]),
        (["Disk full on db2"], []),
        (["cpu", "check"], ["3", "2"]),
    ],
)
def test_search_name_is_token_match(sim, three, names, expected):
    response = sim.search(name=names, size=10)
    assert ids_of(response) == expected
    if not expected:
        assert response.json() == {"total": 0, "data": None}


def test_search_filters(sim, three):
    sim.batch("batchClose", ids=["2"])
    assert ids_of(sim.search(id=["1", "3"], size=10)) == ["3", "1"]
    assert ids_of(sim.search(status=[2], size=10)) == ["2"]
    assert ids_of(sim.search(notStatus=[2], size=10)) == ["3", "1"]
    assert ids_of(sim.search(type=["phishing"], size=10)) == ["1"]
    assert ids_of(sim.search(level=[4, 1], size=10)) == ["3", "2"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ('name:"Disk full"', ["1"]),
        ("name:disk", ["2", "1"]),
        ("disk", ["2", "1"]),
        ("-name:disk", ["3"]),
        ("-status:closed", ["3", "1"]),
        ("status:closed", ["2"]),
        ("status:2", ["2"]),
        ("status:pending", ["3", "1"]),
        ("severity:>=3", ["3", "1"]),
        ("severity:high", ["1"]),
        ("name:disk and severity:3", ["1"]),
        ("name:disk AND -severity:3", ["2"]),
        ("name:cpu or name:check", ["3", "2"]),
        ("name:cpu OR name:check", ["3", "2"]),
        ("(name:disk or name:cpu) and -id:1", ["3", "2"]),
        ("name:disk -status:closed", ["1"]),
        ("type:Phishing", ["1"]),
        ("owner:admin", ["1"]),
        ("playbookId:playbook0", ["1"]),
        ("src:10.0.0.1", ["2"]),
        ('name:"CPU \\"hot\\""', ["3"]),
        ("name:di*", ["2", "1"]),
        ("id:3", ["3"]),
        ("", ["3", "2", "1"]),
    ],
)
def test_search_query(sim, three, query, expected):
    sim.batch("batchClose", ids=["2"])
    assert ids_of(sim.search(query=query, size=10)) == expected


def test_search_query_overrides_other_filter_fields(sim, three):
    sim.batch("batchClose", ids=["2"])
    # "All other filters will be ignored when this filter is used" (SearchIncidentsV2)
    response = sim.search(query="name:disk", status=[2], name=["cpu"], id=["3"], size=10)
    assert ids_of(response) == ["2", "1"] and response.json()["total"] == 2
    assert ids_of(sim.search(query="name:disk and status:closed", size=10)) == ["2"]
    assert ids_of(sim.search(query="", status=[2], size=10)) == ["2"]  # empty: no query


@pytest.mark.parametrize(
    "query", ['name:"unterminated', "(name:disk", "name:disk)", "and", "status:nonsense", "severity:"]
)
def test_search_bad_query_is_400(sim, three, query):
    response = sim.search(query=query, size=10)
    assert response.status_code == 400
    assert response.json()["id"] == "badRequest"


def test_search_paging_and_sort(sim, three):
    assert ids_of(sim.search(size=2)) == ["3", "2"]  # default: newest first
    assert ids_of(sim.search(size=2, page=1)) == ["1"]
    assert sim.search(size=2, page=5).json() == {"total": 3, "data": None}
    by_name = sim.search(size=10, sort=[{"field": "name", "asc": True}])
    assert ids_of(by_name) == ["3", "2", "1"]
    by_severity = sim.search(size=10, sort=[{"field": "severity", "asc": True}])
    assert ids_of(by_severity) == ["2", "1", "3"]
    by_id = sim.search(size=10, sort=[{"field": "id", "asc": True}])
    assert ids_of(by_id) == ["1", "2", "3"]


@pytest.mark.parametrize(
    "body",
    [
        {"filter": {"size": "10"}},
        {"filter": {"name": "Disk"}},
        {"filter": {"status": ["closed"]}},
        {"filter": []},
        {"filter": {"size": 1.5}},
        {"filter": {"size": -1}},
    ],
)
def test_search_bad_body_is_400(sim, body):
    response = sim.call("POST", "/incidents/search", body)
    assert response.status_code == 400
    assert response.json()["id"] == "badRequest"


def test_search_size_capped_at_1000(private_sims, tmp_path):
    state = tmp_path / "state.json"
    incidents = [
        {
            "id": str(i),
            "version": 1,
            "name": f"bulk {i}",
            "type": "Unclassified",
            "severity": 0,
            "status": 0,
            "created": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
            "CustomFields": {},
        }
        for i in range(1, 1006)
    ]
    state.write_text(json.dumps({"next_id": 1006, "incidents": incidents}))
    sim = private_sims("xsoar6", state_file=state)
    body = sim.search(size=5000).json()
    assert body["total"] == 1005 and len(body["data"]) == 1000
    assert sim.make("new")["id"] == "1006"


# --- batch close and delete ----------------------------------------------------------------------


def test_batch_close(sim, three):
    body = {
        "ids": ["1", "999", "2"],
        "closeReason": "Resolved",
        "closeNotes": "done",
        "CustomFields": {"verdict": "benign"},
    }
    check_schema("UpdateDataBatch", body)
    response = sim.batch("batchClose", **body)
    assert response.status_code == 200
    result = response.json()
    assert result["total"] == 2 and result["notUpdated"] == 1
    assert sorted(inc["id"] for inc in result["data"]) == ["1", "2"]
    closed = {inc["id"]: inc for inc in sim.incidents()}
    for incident_id in ("1", "2"):
        incident = closed[incident_id]
        assert incident["status"] == 2 and incident["version"] == first_version(sim) + 1
        assert incident["closeReason"] == "Resolved" and incident["closeNotes"] == "done"
        assert incident["CustomFields"]["verdict"] == "benign"
        assert incident["closed"] != "0001-01-01T00:00:00Z"
    assert closed["2"]["CustomFields"]["src"] == "10.0.0.1"
    assert closed["3"]["status"] == 0


def test_close_one(sim, three):
    body = {"id": "2", "closeReason": "Resolved", "closeNotes": "n", "CustomFields": {"v": "x"}}
    response = sim.call("POST", "/incident/close", body)
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == 2 and closed["version"] == first_version(sim) + 1
    assert closed["closeReason"] == "Resolved"
    assert closed["CustomFields"] == {"src": "10.0.0.1", "v": "x"}
    stale = sim.call("POST", "/incident/close", {"id": "1", "version": 7})
    assert stale.status_code == (409 if sim.deployment == "xsoar6" else 400)
    assert sim.call("POST", "/incident/close", {"id": "404"}).status_code == 400
    assert sim.call("POST", "/incident/close", {}).status_code == 400
    assert [inc["status"] for inc in sim.incidents()] == [0, 2, 0]


def test_batch_calls_without_filter_are_500(sim, three):
    # ids-only batch calls answered 500 on live servers; nothing changes
    for operation in ("batchClose", "batchDelete"):
        prefix = sim.legacy if operation == "batchClose" else sim.prefix
        for body in ({"ids": ["1"]}, {"ids": ["1"], "all": False, "filter": None}):
            response = sim.call("POST", "/incident/" + operation, body, prefix=prefix)
            assert response.status_code == 500, (operation, body)
            assert response.json()["status"] == 500
    assert [inc["status"] for inc in sim.incidents()] == [0, 0, 0]


def test_batch_close_by_filter(sim, three):
    response = sim.batch("batchClose", filter={"name": ["disk"]})
    assert response.json()["total"] == 2
    assert ids_of(sim.search(status=[2], size=10)) == ["2", "1"]


def test_batch_delete(sim, three):
    result = sim.batch("batchDelete", ids=["1", "404"]).json()
    assert result["total"] == 1 and result["notUpdated"] == 1 and result["data"][0]["id"] == "1"
    assert sorted(inc["id"] for inc in sim.incidents()) == ["2", "3"]
    assert sim.batch("batchDelete", ids=["404"]).json() == {"total": 0, "data": None, "notUpdated": 1}
    by_query = sim.batch("batchDelete", all=True, filter={"query": "cpu"})
    assert by_query.json()["total"] == 1
    assert [inc["id"] for inc in sim.incidents()] == ["2"]


# --- playbooks -----------------------------------------------------------------------------------

EXPECTED_PLAYBOOKS = [
    ("8db0105c-f674-4d83-8095-f95a9f61e77a", "Account Enrichment - Generic v2.1"),
    ("c1a4ae9b-87d4-4f39-8e05-1f2f7a0c6b3e", "Block IP - Generic v3"),
    ("5f2b6e0a-3c1d-4e8f-9a7b-2d4c6e8f0a1b", "Endpoint Enrichment - Generic v2.1"),
    ("Phishing - Generic v3", "Phishing - Generic v3"),
    ("Malware Investigation & Response Incident Handler", "Malware Investigation & Response Incident Handler"),
    ("playbook0", "Playbook0"),
]


def test_playbook_search(sim):
    response = sim.call("POST", "/playbook/search", {})
    assert response.status_code == 200
    body = response.json()
    assert [(pb["id"], pb["name"]) for pb in body["playbooks"]] == EXPECTED_PLAYBOOKS
    assert body["total"] == 6 and "phishing" in body["tags"]
    assert all(isinstance(pb["tags"], list) for pb in body["playbooks"])
    found = sim.call("POST", "/playbook/search", {"query": "name:phishing"}).json()
    assert [pb["id"] for pb in found["playbooks"]] == ["Phishing - Generic v3"]
    assert found["total"] == 1 and found["tags"] == ["phishing"]
    assert sim.call("POST", "/playbook/search", {"query": 5}).status_code == 400


def test_playbook_search_pages(sim):
    first = sim.call("POST", "/playbook/search", {"page": 0, "size": 4}).json()
    second = sim.call("POST", "/playbook/search", {"page": 1, "size": 4}).json()
    assert first["total"] == second["total"] == 6
    assert [pb["id"] for pb in first["playbooks"] + second["playbooks"]] == [
        pb_id for pb_id, _name in EXPECTED_PLAYBOOKS
    ]
    assert sim.call("POST", "/playbook/search", {"size": -1}).status_code == 400


def test_big_tenant_full_listing_is_slow(private_sims):
    sim = private_sims("xsoar8-opp", "--extra-playbooks", "2000", "--playbook-cost-ms", "2")
    started = time.monotonic()
    full = sim.call("POST", "/playbook/search", {}, timeout=60).json()
    full_seconds = time.monotonic() - started
    assert full["total"] == len(full["playbooks"]) == 2006
    assert full_seconds >= 2006 * 0.002
    started = time.monotonic()
    one = sim.call("POST", "/playbook/search", {"query": 'name:"Content Pack Playbook 01234"', "size": 10}).json()
    assert time.monotonic() - started < full_seconds / 3
    assert [pb["name"] for pb in one["playbooks"]] == ["Content Pack Playbook 01234"]
    created = sim.create(name="uses a generated one", playbookId="generated-01234")
    assert created.status_code == 201
    # the default cost, 30 ms a playbook: a full listing of 2006 takes a minute, like real tenants
    assert sim.control("POST", "config", {"playbook_cost_ms": None})["playbook_cost_ms"] == 30.0


# --- faults --------------------------------------------------------------------------------------


def test_fault_status_with_retry_after(sim):
    sim.faults(
        {
            "method": "POST",
            "api_path": "/incident",
            "kind": "status",
            "status": 429,
            "retry_after": 2,
            "body": {"message": "slow down"},
        }
    )
    assert sim.search(size=1).status_code == 200  # other endpoints are not affected
    response = sim.create(name="limited")
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.json() == {"message": "slow down"}
    assert sim.incidents() == []
    assert sim.create(name="limited").status_code in (200, 201)  # times defaults to 1
    assert sim.control("GET", "faults") == {"faults": []}


def test_fault_times_and_listing(sim):
    sim.faults(
        {"kind": "status", "status": 502, "times": 2},
        {"kind": "status", "status": 503, "api_path": "/incidents/search"},
    )
    listed = sim.control("GET", "faults")["faults"]
    assert [f["status"] for f in listed] == [502, 503]
    assert [sim.search(size=1).status_code for _attempt in range(4)] == [502, 502, 503, 200]
    sim.faults({"kind": "status", "status": 504, "times": 5})
    sim.control("DELETE", "faults")
    assert sim.search(size=1).status_code == 200


def test_fault_html_empty_malformed_null_data(sim, three):
    sim.faults({"kind": "html"}, {"kind": "empty"}, {"kind": "malformed"}, {"kind": "null_data"})
    html = sim.search(size=10)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert "<html" in html.text
    empty = sim.search(size=10)
    assert empty.status_code == 200 and empty.content == b""
    malformed = sim.search(size=10)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    assert sim.search(size=10).json() == {"total": 0, "data": None}
    assert sim.search(size=10).json()["total"] == 3


def test_fault_drop(sim):
    sim.faults({"kind": "drop", "api_path": "/incident"})
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.create(name="lost")
    assert sim.incidents() == []
    sim.faults({"kind": "drop", "api_path": "/incident", "after_store": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        sim.create(name="stored but unanswered")
    assert [inc["name"] for inc in sim.incidents()] == ["stored but unanswered"]
    entries = sim.log()
    assert [(e["status"], e["fault"], e["write"]) for e in entries] == [(None, "drop", True), (None, "drop", True)]


def test_fault_slow(sim):
    sim.faults({"kind": "slow", "delay": 0.3})
    started = time.monotonic()
    assert sim.search(size=1).status_code == 200
    assert time.monotonic() - started >= 0.3
    sim.faults({"kind": "slow", "delay": 0.6, "after_store": True})
    with pytest.raises(requests.exceptions.ReadTimeout):
        sim.call("POST", "/incident", {"name": "timed out"}, timeout=0.2)
    assert [inc["name"] for inc in sim.incidents()] == ["timed out"]
    wait_for(lambda: len(sim.log()) == 2)  # let the sleeping request finish before the next test


def test_fault_status_after_store(sim):
    sim.faults({"kind": "status", "status": 504, "after_store": True})
    assert sim.create(name="gateway timeout").status_code == 504
    assert len(sim.incidents()) == 1


def test_fault_echo_headers(sim):
    sim.faults({"kind": "echo_headers"})
    response = sim.search(size=1)
    assert response.status_code == 500
    assert response.json()["headers"]["Authorization"] == KEY  # the hostile part
    assert KEY in response.text
    assert sim.log()[0]["headers"]["Authorization"] == "<redacted>"


@pytest.mark.parametrize(
    "fmt, content_type", [("text", "text/plain"), ("json", "application/json"), ("html", "text/html")]
)
def test_fault_echo_key(sim6, fmt, content_type):
    sim6.faults({"kind": "echo_key", "status": 403, "format": fmt, "prefix": 190})
    response = sim6.search(size=1)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith(content_type)
    assert "E" * 190 + KEY in response.text


def test_fault_trickle(sim6):
    sim6.faults({"kind": "trickle", "interval": 0.01})
    started = time.monotonic()
    response = sim6.search(size=1)
    assert response.json() == {"total": 0, "data": None}
    assert time.monotonic() - started >= 226 * 0.01


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"kind": "nope"},
        {"kind": "status"},
        {"kind": "slow"},
        {"kind": "trickle"},
        {"kind": "echo_key", "format": "xml"},
        {"kind": "html", "times": 0},
    ],
)
def test_bad_fault_definition(sim6, fault):
    response = requests.post(sim6.url + "/_simulator/faults", json={"faults": [fault]}, timeout=5)
    assert response.status_code == 400
    assert sim6.control("GET", "faults") == {"faults": []}


# --- control API ---------------------------------------------------------------------------------


def test_request_log_and_stats(sim):
    sim.make("logged")
    sim.search(size=1)
    sim.batch("batchClose", ids=["1"])
    sim.call("POST", "/incident", {"name": "x"}, prefix="/nowhere")
    log = sim.log()
    assert [(e["method"], e["api_path"], e["write"]) for e in log] == [
        ("POST", "/incident", True),
        ("POST", "/incidents/search", False),
        ("POST", "/incident/batchClose", True),
        ("POST", None if sim.deployment != "xsoar6" else "/nowhere/incident", False),
    ]
    assert log[3]["status"] == (200 if sim.deployment == "xsoar6" else 500)
    first = log[0]
    assert first["path"] == sim.prefix + "/incident"
    assert first["status"] == (200 if sim.deployment == "xsoar6" else 201)
    assert first["body"] == {"name": "logged"} and first["fault"] is None
    assert first["headers"]["Authorization"] == "<redacted>"
    stats = sim.control("GET", "stats")
    assert stats["total"] == 4 and stats["writes"] == 2
    assert stats["by_endpoint"]["POST /incident"] == 1
    assert stats["by_endpoint"]["POST /incidents/search"] == 1


def test_control_calls_are_not_logged_and_reset_is_selective(sim):
    sim.make("kept")
    sim.faults({"kind": "html", "times": 3})
    sim.control("GET", "incidents")
    sim.control("GET", "stats")
    assert len(sim.log()) == 1
    sim.control("POST", "reset", {"requests": True})
    assert sim.log() == [] and len(sim.incidents()) == 1
    assert len(sim.control("GET", "faults")["faults"]) == 1
    sim.control("POST", "reset", {"faults": True})
    assert sim.control("GET", "faults")["faults"] == [] and len(sim.incidents()) == 1
    assert sim.control("POST", "reset", {"incidents": False}) == {"reset": []}
    assert len(sim.incidents()) == 1
    sim.control("POST", "reset")
    assert sim.incidents() == [] and sim.make("fresh")["id"] == "1"
    assert (
        requests.post(
            sim.url + "/_simulator/reset", json={"everything": True}, timeout=5, verify=sim.verify
        ).status_code
        == 400
    )


def test_control_seed(private_sims):
    sim = private_sims("xsoar8-saas")  # default index lag: seeded ones are indexed at once
    seeded = sim.control(
        "POST",
        "incidents",
        {
            "incidents": [
                {"name": "Seeded open", "severity": 2, "CustomFields": {"src": "x"}},
                {"name": "Seeded closed", "closed": True, "closeReason": "Resolved"},
            ]
        },
    )["incidents"]
    assert [(inc["id"], inc["status"]) for inc in seeded] == [("1", 0), ("2", 2)]
    assert seeded[0]["labels"] == SERVER_LABELS and seeded[0]["CustomFields"] == {"src": "x"}
    assert seeded[1]["closeReason"] == "Resolved"
    assert sim.log() == []  # control calls are not logged
    assert sim.search(size=10).json()["total"] == 2
    for bad in ({}, {"incidents": [1]}, {"incidents": [{"severity": "high"}]}):
        response = requests.post(sim.url + "/_simulator/incidents", json=bad, verify=sim.verify, timeout=5)
        assert response.status_code == 400, bad


def test_unknown_control_endpoint(sim6):
    assert requests.get(sim6.url + "/_simulator/nothing", timeout=5).status_code == 404
    assert requests.post(sim6.url + "/_simulator/faults", data=b"nope", timeout=5).status_code == 400


# --- transport -----------------------------------------------------------------------------------


def test_keep_alive_is_fast(sim6):
    url = sim6.url + "/incidents/search"
    sim6.session.post(url, json={"filter": {"size": 1}})  # open the connection
    timings = []
    for _attempt in range(15):
        started = time.monotonic()
        assert sim6.session.post(url, json={"filter": {"size": 1}}).status_code == 200
        timings.append(time.monotonic() - started)
    assert sorted(timings)[len(timings) // 2] < 0.02  # Nagle + delayed ACK would cost 40 ms


def test_chunked_body(sim6):
    chunks = iter([b'{"name": ', b'"chunked"}'])
    response = sim6.session.post(sim6.url + "/incident", data=chunks, timeout=5)
    assert response.status_code == 200 and response.json()["name"] == "chunked"


def test_tls_with_generated_ca(private_sims, tmp_path):
    sim = private_sims("xsoar8-saas", "--tls", "--cert-dir", str(tmp_path / "certs"))
    assert sim.url.startswith("https://127.0.0.1:")
    assert sim.info["ca_path"] == str(tmp_path / "certs" / "cert.pem")
    assert sim.info["deployment"] == "xsoar8-saas" and sim.info["pid"] == sim.proc.pid
    assert sim.create(name="over tls").status_code == 201
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(sim.url + "/xsoar/public/v1/playbook/search", json={}, timeout=5)
    by_name = sim.url.replace("127.0.0.1", "localhost") + "/_simulator/stats"
    assert requests.get(by_name, verify=sim.info["ca_path"], timeout=5).status_code == 200


def test_openssl_certificate_fallback(tmp_path):
    from cryptography import x509

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    xsoar_simulator.make_certificate_with_openssl(cert, key, "127.0.0.1")
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    san = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_state_survives_restart(tmp_path):
    state = tmp_path / "state.json"
    sim = Sim(tmp_path, "xsoar8-opp", state_file=state)
    try:
        sim.make("persisted one")
        sim.make("persisted two")
        sim.batch("batchDelete", ids=["1"])
    finally:
        assert sim.stop() == 0
    assert not sim.port_file.exists()
    again = Sim(tmp_path, "xsoar8-opp", state_file=state)
    try:
        assert [inc["name"] for inc in again.incidents()] == ["persisted two"]
        assert again.make("persisted three")["id"] == "3"
    finally:
        assert again.stop(signal.SIGINT) == 0


def test_cli_rejects_bad_combinations(tmp_path):
    for extra in (
        ["--deployment", "xsoar8-opp"],
        ["--deployment", "xsoar6", "--api-key-type", "advanced"],
        ["--deployment", "xsoar6", "--drop-names", "("],
    ):
        result = subprocess.run(
            check=False,
            args=[sys.executable, str(SIMULATOR), "--api-key", KEY, *extra],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode == 2, result.stderr
        assert KEY not in result.stderr


# --- round 3: strict answers of real servers (xsoar-api.md, "Real servers, round 3") -----------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_xsoar8_post_without_json_content_type_is_415(sim8, content_type):
    """Live XSOAR 8 / XSIAM answer 415 to a POST without Content-Type: application/json (moderate)."""
    headers = {"Authorization": KEY, "x-xdr-auth-id": KEY_ID}
    if content_type:
        headers["Content-Type"] = content_type
    body = json.dumps({"filter": {"size": 1}})
    response = requests.post(sim8.url + sim8.prefix + "/incidents/search", data=body, headers=headers, timeout=5)
    assert response.status_code == 415
    assert response.json()["reply"]["err_code"] == 415
    created = requests.post(sim8.url + sim8.prefix + "/incident", data=json.dumps({"name": "x"}), headers=headers)
    assert created.status_code == 415
    assert sim8.incidents() == []
    headers["Content-Type"] = "application/json; charset=utf-8"
    assert requests.post(sim8.url + sim8.prefix + "/incidents/search", data=body, headers=headers).status_code == 200


def test_xsoar6_takes_a_post_without_content_type(sim6):
    """No source says XSOAR 6 refuses one: it is taken as JSON there."""
    body = json.dumps({"filter": {"size": 1}})
    response = requests.post(sim6.url + "/incidents/search", data=body, headers={"Authorization": KEY}, timeout=5)
    assert response.status_code == 200


def test_names_over_600_characters_are_cut(sim):
    """XSOAR's documented name limit is 600 characters (demisto/content-docs#1601, PR #1605). What a REST
    create beyond it does is not documented; the simulator cuts, the harmful reading: a name-keyed
    client that sent such a name would never find its incident again by that name."""
    name = "n" * 601
    response = sim.create(name=name)
    assert response.status_code in (200, 201)
    stored = sim.incidents()[-1]
    assert stored["name"] == "n" * 600 and stored["rawName"] == "n" * 600
    assert sim.search(name=[name], size=10).json() == {"total": 0, "data": None}
    exact = sim.create(name="m" * 600)
    assert exact.status_code in (200, 201)
    assert sim.incidents()[-1]["name"] == "m" * 600
    updated = sim.call("POST", "/incident", {"id": stored["id"], "version": -1, "name": "u" * 700})
    assert updated.status_code in (200, 201)
    assert updated.json()["name"] == "u" * 600


# --- knobs for behaviours the evidence makes likely, off by default (issue 20) ---------------------


def test_knobs_are_off_by_default(private_sims):
    config = private_sims("xsoar8-opp").control("GET", "config")
    knobs = ("batch_needs_size", "page_cap", "playbook_edit_after", "stale_index", "close_names")
    assert {knob: config[knob] for knob in knobs} == dict.fromkeys(knobs, None) | {"batch_needs_size": False}


def test_batch_needs_size(private_sims):
    """The swagger: a filter size of 0 means no results; Palo Alto's Core REST API integration sends a
    positive size; live probes saw a batch delete answer 200 and delete nothing."""
    sim = private_sims("xsoar8-opp", "--batch-needs-size")
    for name in ("a", "b", "c"):
        sim.make(name)
    for operation in ("batchClose", "batchDelete"):
        for flt in ({}, {"size": 0}, {"page": 0}):
            ignored = sim.batch(operation, ids=["1"], filter=flt)
            assert ignored.status_code == 200
            assert ignored.json() == {"total": 0, "data": None, "notUpdated": 0}
    assert [inc["status"] for inc in sim.incidents()] == [0, 0, 0]
    assert sim.batch("batchClose", ids=["1"], filter={"page": 0, "size": 1}).json()["total"] == 1
    assert sim.batch("batchDelete", ids=["2"], filter={"size": 1}).json()["total"] == 1
    assert [(inc["id"], inc["status"]) for inc in sim.incidents()] == [("1", 2), ("3", 0)]
    sim.control("POST", "config", {"batch_needs_size": False})
    assert sim.batch("batchDelete", ids=["3"], filter={}).json()["total"] == 1


def test_page_cap(private_sims):
    """Page size caps are unpublished (field clients use 100 and 2000): pages hold at most the cap, and
    page N starts at N * the capped size."""
    sim = private_sims("xsoar6", "--page-cap", "2")
    for number in range(5):
        sim.make(f"capped {number}")
    first = sim.search(size=1000, page=0).json()
    assert first["total"] == 5 and [inc["id"] for inc in first["data"]] == ["5", "4"]
    assert [inc["id"] for inc in sim.search(size=1000, page=2).json()["data"]] == ["1"]
    assert sim.search(size=1000, page=3).json()["data"] is None
    with pytest.raises(requests.HTTPError):
        sim.control("POST", "config", {"page_cap": 0})


def test_playbook_edit_after(private_sims):
    """A playbook changes a fresh incident within a second (demisto/content PR #16726): its version goes up,
    so a client holding the create's version meets a version conflict."""
    sim = private_sims("xsoar8-opp", "--playbook-edit-after", "0.3")
    created = sim.create(name="Fresh one", createInvestigation=True).json()
    quiet = sim.make("No investigation")
    time.sleep(0.4)
    stored = {inc["id"]: inc for inc in sim.incidents()}
    assert stored[created["id"]]["version"] == created["version"] + 1
    assert stored[quiet["id"]]["version"] == quiet["version"]
    stale = sim.call("POST", "/incident", dict(created, details="second"))
    assert stale.status_code == 400 and "DB version conflict" in stale.json()["detail"]


def test_stale_index(private_sims):
    """XSOAR 8 searches an Elasticsearch index: a hit can carry an older version than the stored one, and
    a deleted incident can still be found for a while. Load answers the stored incident."""
    sim = private_sims("xsoar8-opp", "--stale-index", "0.6")
    incident = sim.make("Indexed")
    sim.call("POST", "/incident", {"id": incident["id"], "version": incident["version"], "name": "Indexed"})
    assert sim.search(name=["Indexed"], size=10).json()["data"][0]["version"] == incident["version"]
    loaded = sim.call("GET", f"/incident/load/{incident['id']}").json()
    assert loaded["version"] == incident["version"] + 1
    wait_for(lambda: sim.search(name=["Indexed"], size=10).json()["data"][0]["version"] == loaded["version"], 5)
    sim.batch("batchDelete", ids=[incident["id"]], filter={"size": 1})
    assert sim.search(id=[incident["id"]], size=10).json()["total"] == 1
    wait_for(lambda: sim.search(id=[incident["id"]], size=10).json()["total"] == 0, 5)


def test_close_names(private_sims):
    """A pre-process rule (Close, Link and close) closes a new incident at birth; the create's answer shows
    it (XSOAR 6.6 admin guide, "Rule actions for pre-process rules")."""
    sim = private_sims("xsoar8-opp", "--close-names", "^Noise")
    closed = sim.create(name="Noise from the scanner")
    assert closed.status_code == 201 and closed.json()["status"] == 2
    assert sim.make("Real alert")["status"] == 0


def test_index_lag_on_xsoar8_on_premises(private_sims):
    """XSOAR 8 on-premises searches an index too; no lag is published, so it is a knob there."""
    sim = private_sims("xsoar8-opp", "--index-lag", "0.5")
    sim.create(name="Lagging")
    assert sim.search(name=["Lagging"], size=10).json()["total"] == 0
    wait_for(lambda: sim.search(name=["Lagging"], size=10).json()["total"] == 1, 5)


# --- incident fields, incident types, investigation playbooks (issue 22) -------------------------


def test_incident_fields_and_types(sim):
    for prefix in (sim.legacy, sim.prefix):
        fields = sim.call("GET", "/incidentfields", prefix=prefix)
        if sim.deployment != "xsoar6" and prefix == sim.prefix:
            assert fields.status_code == 303  # not in XSOAR 8's public API reference
            continue
        assert fields.status_code == 200
        by_name = {field["cliName"]: field for field in fields.json()}
        assert by_name["team"]["selectValues"] == ["", "blue", "red", "green"]
        assert by_name["emailsubject"]["associatedTypes"] == ["Phishing"]
        assert by_name["sourceip"]["associatedToAll"] is True
    types = sim.call("GET", "/incidenttype", prefix=sim.legacy).json()
    assert {"Unclassified", "Phishing"} <= {incident_type["name"] for incident_type in types}
    assert sim.call("POST", "/incidentfields", {}, prefix=sim.legacy).status_code in (303, 405)


def waiting_incident(sim) -> str:
    sim.create(name="Wait for Ansible", playbookId="playbook0", createInvestigation=True)
    return sim.incidents()[-1]["investigationId"]


def complete(sim, investigation: str, task_id: str, **info):
    body = {"invId": investigation, "inTaskID": task_id, **info}
    return sim.call("POST", "/inv-playbook/task/complete/simple", body, prefix=sim.legacy)


def states(playbook: dict) -> dict:
    return {task["task"]["name"]: task["state"] for task in playbook["tasks"].values() if task["task"]["name"]}


def test_investigation_playbook_waits_and_moves_on_down_the_branch(sim):
    investigation = waiting_incident(sim)
    read = sim.call("GET", f"/inv-playbook/{investigation}", prefix=sim.legacy)
    assert read.status_code == 200
    playbook = read.json()
    assert playbook["state"] == "inprogress" and "manual" not in playbook["tasks"]["2"]
    assert states(playbook) == {
        "Collect evidence": "Completed",
        "Wait for Ansible remediation": "Waiting",
        "Close as remediated": "",
        "Escalate to an analyst": "",
        "Notify the owner": "",
        "Approve containment": "Waiting",
    }
    wrong = complete(sim, investigation, "2", input="remediated")
    assert wrong.status_code == 400 and "branches: Failed, Remediated" in wrong.json()["detail"]
    done = complete(sim, investigation, "2", input="Remediated", comment="patched by Ansible")
    assert done.status_code == 200
    after = states(done.json())
    assert after["Wait for Ansible remediation"] == after["Close as remediated"] == "Completed"
    assert after["Notify the owner"] == "Completed" and after["Escalate to an analyst"] == "WillNotBeExecuted"
    assert done.json()["tasks"]["2"]["comments"] is True and done.json()["version"] == 2
    again = complete(sim, investigation, "2", input="Remediated")
    assert again.status_code == 400 and again.json()["detail"] == "Task is completed already"
    assert complete(sim, investigation, "6").status_code == 200  # a manual task: no input needed
    assert sim.call("GET", f"/inv-playbook/{investigation}", prefix=sim.legacy).json()["state"] == "completed"
    assert [entry["write"] for entry in sim.log() if entry["method"] == "POST"][-4:] == [True] * 4


def test_investigation_playbook_strict_answers(sim):
    sim.create(name="No investigation", playbookId="playbook0")
    missing = sim.call("GET", "/inv-playbook/1", prefix=sim.legacy)
    assert missing.status_code == 400 and "Could not find investigation" in missing.json()["detail"]
    investigation = waiting_incident(sim)
    assert complete(sim, investigation, "99").status_code == 400
    assert complete(sim, investigation, "4", input="x").status_code == 400  # not reached: not waiting
    assert sim.call("POST", f"/inv-playbook/{investigation}", {}, prefix=sim.legacy).status_code in (303, 405)
    if sim.deployment != "xsoar6":
        assert sim.call("GET", f"/inv-playbook/{investigation}").status_code == 303  # public prefix
