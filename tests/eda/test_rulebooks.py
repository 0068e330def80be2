"""The collection's rulebooks run by the real ansible-rulebook against the simulator.

Each test starts `ansible-rulebook -r xsoar.connector.<rulebook>` with the collection installed in a
temporary collections path (nox -e eda), the connection passed from the XSOAR_* environment
with -E, as the docs say to run it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import Simulator, collections_path, installed, store_incident_dated_tomorrow

HERE = Path(__file__).resolve().parent
TOKEN = "kibana-webhook-token-1f4e"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout, what, rulebook=None):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if rulebook is not None and rulebook.proc.poll() is not None:
            pytest.fail(
                f"ansible-rulebook exited ({rulebook.proc.returncode}) while waiting for {what}:\n{rulebook.output()}"
            )
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for {}\n{}".format(what, rulebook.output() if rulebook else ""))
        time.sleep(0.2)


class Rulebook:
    """ansible-rulebook in the background; its output in a file."""

    def __init__(self, workdir: Path, sim: Simulator, rulebook: str, variables: dict):
        self.workdir = workdir
        (workdir / "inventory.yml").write_text(
            json.dumps(
                {
                    "all": {
                        "hosts": {
                            "localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
                        }
                    }
                }
            )
        )
        (workdir / "vars.yml").write_text(json.dumps(variables))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path()), **sim.env)
        env.pop("ANSIBLE_COLLECTIONS_PATHS", None)
        self.log = workdir / "rulebook.log"
        self.proc = subprocess.Popen(
            [
                "ansible-rulebook",
                "-r",
                rulebook,
                "-i",
                "inventory.yml",
                "--vars",
                "vars.yml",
                "-E",
                ",".join(sorted(sim.env)),
            ],
            cwd=workdir,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def playbook_runs(self) -> int:
        return self.output().count("PLAY RECAP")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="module")
def saas(tmp_path_factory):
    sim = Simulator(tmp_path_factory.mktemp("sim-saas"), "xsoar8-saas-advanced")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def xsoar6(tmp_path_factory):
    sim = Simulator(tmp_path_factory.mktemp("sim-xsoar6"), "xsoar6")
    yield sim
    sim.stop()


def post(port, body, token=TOKEN):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.post(
        f"http://127.0.0.1:{port}/endpoint",
        data=body,
        timeout=10,
        headers=dict(headers, **{"Content-Type": "application/json"}),
    ).status_code


def searched(sim):
    return any(entry["api_path"] == "/incidents/search" and entry["status"] == 200 for entry in sim.requests_log())


def open_incidents(sim, name):
    return [incident for incident in sim.incidents() if incident["name"] == name and incident["status"] != 2]


def test_kibana_alerts_rulebook(saas, tmp_path):
    """The Kibana body posted twice opens one incident; a real alert keeps its rule's severity and
    closes on recovery; braces in alert text reach XSOAR as text; no token, no incident."""
    saas.reset()
    port = free_port()
    rulebook = Rulebook(
        tmp_path,
        saas,
        "xsoar.connector.kibana_alerts",
        {"webhook_host": "127.0.0.1", "webhook_port": port, "webhook_token": TOKEN},
    )
    try:

        def listening():
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 60, "the webhook to listen", rulebook)

        template = installed("roles", "alert_incident", "files", "kibana_webhook_body.json").read_text()
        assert post(port, template, token=None) == 401
        assert post(port, template, token="wrong") == 401

        # the connector's body as shipped, twice: one incident
        assert post(port, template) == 200
        assert post(port, template) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 2, 90, "two playbook runs", rulebook)
        stored = saas.incidents()
        assert [incident["name"] for incident in stored] == ["{{rule.name}} / {{alert.id}}"], stored
        assert stored[0]["severity"] == 0  # "{{context.rule.severity}}" is no severity: Unknown

        alert = {
            "rule": {"id": "r-1", "name": "High CPU on web", "url": "https://kibana.example.com/r/1"},
            "alert": {"id": "web-1", "uuid": "u-1", "actionGroup": "threshold met"},
            "context": {"rule": {"severity": "high"}, "reason": "cpu at 97% {{ 7*7 }} {% raw %}"},
            "date": "2026-12-01T11:00:00.000Z",
        }
        assert post(port, json.dumps(alert)) == 200
        assert post(port, json.dumps(alert)) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 4, 90, "four playbook runs", rulebook)
        [incident] = open_incidents(saas, "High CPU on web / web-1")
        assert incident["severity"] == 3
        assert "{{ 7*7 }} {% raw %}" in incident["details"]  # data, never templated

        alert["alert"]["actionGroup"] = "recovered"
        assert post(port, json.dumps(alert)) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 5, 90, "the recovery's playbook run", rulebook)
        assert open_incidents(saas, "High CPU on web / web-1") == []
        [closed] = [stored for stored in saas.incidents() if stored["id"] == incident["id"]]
        assert closed["status"] == 2 and closed["closeReason"] == "Resolved"
        # another sender's generic shape: {rule: {name, severity}, status}
        generic = {"rule": {"name": "Disk usage", "severity": "critical"}, "id": "db1", "status": "firing"}
        assert post(port, json.dumps(generic)) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 6, 90, "the generic alert's playbook run", rulebook)
        [disk] = open_incidents(saas, "Disk usage / db1")
        assert disk["severity"] == 4
        assert len(saas.incidents()) == 3
        assert rulebook.output().count("failed=0") == 6
    finally:
        rulebook.stop()
    assert saas.key not in rulebook.output()


def test_source_fires_each_new_incident_once(xsoar6, tmp_path):
    """A rulebook with the xsoar_incidents source: each incident created while it runs fires once."""
    xsoar6.reset()
    before = xsoar6.create("Existing before the rulebook")
    rulebook = Rulebook(tmp_path, xsoar6, str(HERE / "rulebooks" / "print_new_incidents.yml"), {})
    try:
        wait_for(lambda: searched(xsoar6), 60, "the source's first poll", rulebook)
        created = [xsoar6.create(f"Rulebook incident {index}", type="Phishing") for index in range(5)]
        created.append(xsoar6.create("Not phishing", type="Malware"))

        def fired():
            return [line for line in rulebook.output().splitlines() if line.startswith("NEW INCIDENT ")]

        wait_for(lambda: len(fired()) >= 5, 60, "five rule firings", rulebook)
        time.sleep(3)  # three more polls: nothing fires twice
        assert sorted(fired()) == sorted(
            "NEW INCIDENT {} {}".format(incident["id"], incident["name"]) for incident in created[:5]
        )
        assert "Existing before" not in rulebook.output()
    finally:
        rulebook.stop()
    assert xsoar6.key not in rulebook.output()
    assert before["id"]


def test_remediation_rulebook(saas, tmp_path):
    """The XSOAR -> Ansible example: a new incident of the type is remediated once, then closed."""
    saas.reset()
    marks = tmp_path / "remediated"
    marks.mkdir()
    tasks = tmp_path / "remediation.yml"
    tasks.write_text(
        "- name: Record the remediation\n"
        "  ansible.builtin.lineinfile:\n"
        f"    path: {marks}/{{{{ xsoar_incident.id }}}}\n"
        '    line: "{{ xsoar_incident.name }}"\n'
        "    create: true\n"
    )
    rulebook = Rulebook(
        tmp_path,
        saas,
        "xsoar.connector.xsoar_remediation",
        {"xsoar_remediation_tasks": str(tasks), "xsoar_poll_interval": 1},
    )
    try:
        wait_for(lambda: searched(saas), 60, "the source's first poll", rulebook)
        target = saas.create("Disk full on db1 {{ 7*7 }}", type="Ansible Remediation", createInvestigation=True)
        other = saas.create("Not for Ansible", type="Phishing")
        wait_for(lambda: not open_incidents(saas, target["name"]), 90, "the incident to be closed", rulebook)
        time.sleep(2)
        assert sorted(path.name for path in marks.iterdir()) == [target["id"]]
        assert (marks / target["id"]).read_text() == target["name"] + "\n"
        assert open_incidents(saas, other["name"])
        [closed] = [stored for stored in saas.incidents() if stored["id"] == target["id"]]
        assert closed["closeNotes"] == "Remediated by Ansible (xsoar.connector.remediate_incident)."
        # the summary went to the war room before the close (a closed investigation takes no entry)
        [summary] = saas.control("GET", "war_rooms")["war_rooms"][target["id"]]
        assert summary["contents"] == "Remediated by Ansible (xsoar.connector.remediate_incident)."
        assert summary["note"] is True
        assert summary["tags"] == ["ansible", "remediation"]
        assert rulebook.playbook_runs() == 1
    finally:
        rulebook.stop()
    assert saas.key not in rulebook.output()


def test_remediation_rulebook_completes_the_waiting_task(saas, tmp_path):
    """The alternative to closing: the incident's playbook waits for Ansible, which completes that task."""
    saas.reset()
    tasks = tmp_path / "remediation.yml"
    tasks.write_text("- name: Remediate\n  ansible.builtin.debug:\n    msg: remediated\n")
    rulebook = Rulebook(
        tmp_path,
        saas,
        "xsoar.connector.xsoar_remediation",
        {
            "xsoar_remediation_tasks": str(tasks),
            "xsoar_poll_interval": 1,
            "xsoar_remediation_task": "Wait for Ansible remediation",
            "xsoar_remediation_completion": "Remediated",
        },
    )

    def completions():
        return [
            entry
            for entry in saas.requests_log()
            if entry["api_path"] == "/inv-playbook/task/complete/simple" and entry["status"] == 200
        ]

    try:
        wait_for(lambda: searched(saas), 60, "the source's first poll", rulebook)
        target = saas.create(
            "Waits for Ansible", type="Ansible Remediation", playbookId="playbook0", createInvestigation=True
        )
        wait_for(completions, 90, "the waiting task to be completed", rulebook)
        [completion] = completions()
        assert completion["body"]["invId"] == target["investigationId"]
        assert completion["body"]["inTaskID"] == "2" and completion["body"]["input"] == "Remediated"
        assert completion["body"]["comment"] == "Remediated by Ansible (xsoar.connector.remediate_incident)."
        wait_for(lambda: rulebook.playbook_runs() >= 1, 60, "the playbook run to end", rulebook)
        assert open_incidents(saas, target["name"])  # completed its task, not closed
        assert rulebook.output().count("failed=0") == 1
    finally:
        rulebook.stop()
    assert saas.key not in rulebook.output()


def test_source_through_an_outage_by_refusal_and_an_incident_dated_tomorrow(tmp_path):
    """The real ansible-rulebook with the source: the server is killed (refused), an incident dated
    tomorrow is stored meanwhile, and it comes back on the same port. Every incident fires once."""
    (tmp_path / "sim").mkdir()
    first = Simulator(tmp_path / "sim", "xsoar6", state_file=str(tmp_path / "state.json"))
    servers = [first]
    rulebook = Rulebook(tmp_path, first, str(HERE / "rulebooks" / "print_new_incidents.yml"), {})
    try:
        wait_for(lambda: searched(first), 60, "the source's first poll", rulebook)
        expected = [first.create("Before the outage", type="Phishing")]

        def fired():
            return [line for line in rulebook.output().splitlines() if line.startswith("NEW INCIDENT ")]

        wait_for(lambda: len(fired()) >= 1, 60, "the first rule firing", rulebook)
        first.stop()
        wait_for(lambda: "connection refused" in rulebook.output(), 60, "a refused poll", rulebook)
        expected.append(store_incident_dated_tomorrow(tmp_path / "state.json", "Dated tomorrow", type="Phishing"))
        second = first.restarted()
        servers.append(second)
        expected += [second.create(f"After the outage {index}", type="Phishing") for index in range(3)]
        wait_for(lambda: len(fired()) >= 5, 90, "five rule firings", rulebook)
        time.sleep(3)  # more polls: nothing fires twice
        assert sorted(fired()) == sorted("NEW INCIDENT {} {}".format(item["id"], item["name"]) for item in expected)
    finally:
        rulebook.stop()
        for server in servers:
            server.stop()
    assert first.key not in rulebook.output()


def test_kibana_alerts_rulebook_war_room_notes(saas, tmp_path):
    """alert_incident_war_room: a re-fired alert adds a note to its open incident, a recovery writes
    the recovery note before the close."""
    saas.reset()
    port = free_port()
    rulebook = Rulebook(
        tmp_path,
        saas,
        "xsoar.connector.kibana_alerts",
        {
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
            "webhook_token": TOKEN,
            "alert_incident_war_room": True,
            "alert_incident_start_investigation": True,
        },
    )
    try:

        def listening():
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, 60, "the webhook to listen", rulebook)
        alert = {
            "rule": {"id": "r-2", "name": "Disk on db", "url": "https://kibana.example.com/r/2"},
            "alert": {"id": "db-1", "uuid": "u-2", "actionGroup": "threshold met"},
            "context": {"rule": {"severity": "high"}, "reason": "disk at 97% {{ 7*7 }}"},
            "date": "2026-12-01T11:00:00.000Z",
        }
        assert post(port, json.dumps(alert)) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 1, 90, "the first playbook run", rulebook)
        time.sleep(6)  # SaaS: the new incident shows in searches after the index lag
        alert["date"] = "2026-12-01T11:10:00.000Z"
        alert["context"]["reason"] = "disk at 99% {{ 7*7 }}"
        assert post(port, json.dumps(alert)) == 200
        wait_for(lambda: rulebook.playbook_runs() >= 2, 90, "the second playbook run", rulebook)
        alert["alert"]["actionGroup"] = "recovered"
        assert post(port, json.dumps(alert)) == 200
        wait_for(lambda: not open_incidents(saas, "Disk on db / db-1"), 90, "the incident to be closed", rulebook)
        [incident] = [stored for stored in saas.incidents() if stored["name"] == "Disk on db / db-1"]
        room = saas.control("GET", "war_rooms")["war_rooms"][incident["id"]]
        assert len(room) == 2
        assert room[0]["contents"].startswith(
            "The alert fired again at 2026-12-01T11:10:00.000Z. Alert of rule Disk on db"
        )
        assert room[1]["contents"] == "The alert recovered (closed by xsoar.connector.alert_incident)."
        assert "disk at 99% {{ 7*7 }}" in room[0]["contents"]  # data, never templated
        assert all(entry["note"] for entry in room)
    finally:
        rulebook.stop()
    assert saas.key not in rulebook.output()


def test_remediation_rulebook_failure_goes_to_the_war_room(saas, tmp_path):
    """A failed remediation writes its error to the war room and leaves the incident open."""
    saas.reset()
    tasks = tmp_path / "remediation.yml"
    tasks.write_text(
        "- name: Restart the service\n  ansible.builtin.fail:\n    msg: service did not start {{ '{{' }} 7*7 }}\n"
    )
    rulebook = Rulebook(
        tmp_path,
        saas,
        "xsoar.connector.xsoar_remediation",
        {"xsoar_remediation_tasks": str(tasks), "xsoar_poll_interval": 1},
    )
    try:
        wait_for(lambda: searched(saas), 60, "the source's first poll", rulebook)
        target = saas.create("Remediation fails", type="Ansible Remediation", createInvestigation=True)
        wait_for(lambda: rulebook.playbook_runs() >= 1, 90, "the playbook run to end", rulebook)
        time.sleep(2)
        [entry] = saas.control("GET", "war_rooms")["war_rooms"][target["id"]]
        assert entry["contents"].startswith('Remediation by Ansible failed in task "Restart the service"')
        assert "service did not start" in entry["contents"]
        assert entry["contents"].endswith("The incident stays open.")
        assert open_incidents(saas, target["name"])  # left open
    finally:
        rulebook.stop()
    assert saas.key not in rulebook.output()
