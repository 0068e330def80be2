# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the failure_incident callback's pure logic: names, errors, and which items a run yields."""

import hashlib

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import failure_report as report

OPTIONS = dict(
    name_prefix="Ansible failure",
    per_host=True,
    name_max_length=200,
    severity="high",
    incident_type=None,
    playbook=None,
    start_investigation=False,
)


@pytest.mark.parametrize(
    "per_host, expected",
    [
        (True, "Ansible failure: Deploy / Restart nginx on web1"),
        (False, "Ansible failure: Deploy / Restart nginx"),
    ],
)
def test_incident_name_is_the_roles(per_host, expected):
    assert report.incident_name("Ansible failure", "Deploy", "Restart nginx", "web1", per_host) == expected


def test_incident_name_at_the_limit_is_kept():
    name = report.incident_name("P", "p", "t" * 50, "h", max_length=len("P: p / " + "t" * 50 + " on h"))
    assert name == "P: p / " + "t" * 50 + " on h"


def test_long_name_is_cut_and_ends_in_the_full_names_hash():
    task = ("Apply the very long configuration step " * 10).strip()
    full = f"Ansible failure: Deploy / {task} on web1"
    name = report.incident_name("Ansible failure", "Deploy", task, "web1", max_length=80)
    assert len(name) <= 80
    assert name.endswith(" [{}]".format(hashlib.sha1(full.encode("utf-8")).hexdigest()[:8]))
    assert name.startswith(full[:60])
    # two long names that differ only at the end stay two names
    assert name != report.incident_name("Ansible failure", "Deploy", task, "web2", max_length=80)


@pytest.mark.parametrize(
    "name, action, expected",
    [
        ("Restart nginx", "ansible.builtin.service", "Restart nginx"),
        ("  padded  ", "x", "padded"),
        ("", "ansible.builtin.command", "ansible.builtin.command"),
        (None, "ping", "ping"),
        (None, None, "unnamed task"),
    ],
)
def test_task_label(name, action, expected):
    assert report.task_label(name, action) == expected


@pytest.mark.parametrize(
    "result, expected",
    [
        ({"msg": "boom"}, "boom"),
        (
            {"msg": "non-zero return code", "rc": 3, "stderr": "disk full"},
            "non-zero return code; rc 3; stderr: disk full",
        ),
        ({"rc": 0}, "rc 0"),
        ({}, "no error message"),
        ({"msg": "x" * 50}, "x" * 20),
    ],
)
def test_error_text(result, expected):
    assert report.error_text(result, max_length=20 if "x" * 50 in str(result) else 2000) == expected


def test_error_text_keeps_the_end_of_stderr():
    text = report.error_text({"stderr": "a" * 5000 + "THE END"})
    assert text.endswith("THE END") and len(text) == len("stderr: ") + report.STDERR_TAIL


@pytest.mark.parametrize(
    "result, task_no_log, expected",
    [
        ({"msg": "x"}, False, False),
        ({"msg": "x"}, None, False),
        ({"_ansible_no_log": True}, False, True),
        ({"censored": "hidden"}, False, True),
        ({"msg": "x"}, True, True),
        ({"msg": "x"}, "{{ hide }}", True),  # not templated yet: on the safe side
        ({"msg": "x"}, "False", False),
        ({"msg": "x"}, "yes", True),
    ],
)
def test_is_no_log(result, task_no_log, expected):
    assert report.is_no_log(result, task_no_log) is expected


def test_details_are_the_roles_lines():
    assert report.details("Deploy", "Restart", ["web1"], "2026-12-01T10:00:00Z", "boom") == (
        "Ansible task failed.\nPlay: Deploy\nTask: Restart\nHost: web1\nTime: 2026-12-01T10:00:00Z\nError: boom"
    )
    assert "\nHosts: web1, web2\n" in report.details("D", "R", ["web1", "web2"], "t", "e")
    assert report.details("D", "R", ["web1"], "t", "e", unreachable=True).startswith("Ansible host unreachable.\n")


def _log(*events):
    log = report.FailureLog()
    for kind, play, task, host in events:
        if kind == "ok":
            log.ok(play, task, host)
        else:
            log.failed(
                play,
                task,
                host,
                "2026-12-01T10:00:00Z",
                "boom",
                unreachable=kind == "unreachable",
                report=kind != "ignored",
            )
    return log


def _names(items, state):
    return [item["name"] for item in items if item["state"] == state]


def test_one_item_per_failed_task_and_host():
    items = _log(
        ("failed", "P", "T", "h1"),
        ("failed", "P", "T", "h2"),
        ("ignored", "P", "U", "h3"),
        ("unreachable", "P", "ping", "h4"),
    ).items(OPTIONS)
    assert _names(items, "present") == [
        "Ansible failure: P / T on h1",
        "Ansible failure: P / T on h2",
        "Ansible failure: P / ping on h4",
    ]
    first = items[0]
    assert first["severity"] == "high" and first["occurred"] == "2026-12-01T10:00:00Z"
    assert {"type": "Ansible host", "value": "h1"} in first["labels"]
    assert "type" not in first and "playbook" not in first and "start_investigation" not in first


def test_not_per_host_makes_one_item_listing_the_hosts():
    items = _log(("failed", "P", "T", "h1"), ("failed", "P", "T", "h2")).items(dict(OPTIONS, per_host=False))
    assert len(items) == 1 and items[0]["name"] == "Ansible failure: P / T"
    assert "\nHosts: h1, h2\n" in items[0]["details"]
    assert {"type": "Ansible host", "value": "h1, h2"} in items[0]["labels"]


def test_optional_fields():
    options = dict(OPTIONS, incident_type="Ansible", playbook="Triage", start_investigation=True, severity="low")
    item = _log(("failed", "P", "T", "h1")).items(options)[0]
    assert (item["type"], item["playbook"], item["start_investigation"], item["severity"]) == (
        "Ansible",
        "Triage",
        True,
        "low",
    )


@pytest.mark.parametrize(
    "events, closed",
    [
        ([("ok", "P", "T", "h1")], ["Ansible failure: P / T on h1"]),
        # failed and succeeded in one run (a repeated task name): the failure wins
        ([("ok", "P", "T", "h1"), ("failed", "P", "T", "h1")], []),
        # ignored, rescued or unreachable-not-counted failures are not successes either
        ([("ignored", "P", "T", "h1"), ("ok", "P", "T", "h1")], []),
        ([("ok", "P", "T", "h1"), ("ok", "P", "T", "h1")], ["Ansible failure: P / T on h1"]),
    ],
)
def test_recovery_closes_what_succeeded_and_did_not_fail(events, closed):
    log = _log(*events)
    assert _names(log.items(OPTIONS, close_on_recovery=True), "closed") == closed
    assert _names(log.items(OPTIONS, close_on_recovery=False), "closed") == []


def test_recovery_not_per_host_needs_every_host():
    log = _log(("ok", "P", "T", "h1"), ("failed", "P", "T", "h2"))
    items = log.items(dict(OPTIONS, per_host=False), close_on_recovery=True)
    assert _names(items, "closed") == [] and _names(items, "present") == ["Ansible failure: P / T"]


# -- what goes to the war room ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "result, expected",
    [
        (
            {"msg": "non-zero return code", "rc": 3, "stdout": "1\n2", "stderr": "boom"},
            "msg: non-zero return code\nrc: 3\nstdout:\n1\n2\nstderr:\nboom",
        ),
        ({"msg": "failed", "rc": 0}, "msg: failed\nrc: 0"),
        ({"stderr": "x" * 5000}, "stderr:\n" + "x" * 5000),  # whole: the file is what the cut loses
        ({}, ""),
    ],
)
def test_full_output(result, expected):
    assert report.full_output(result) == expected


@pytest.mark.parametrize(
    "host, expected",
    [
        ("host01", "ansible-output-host01.txt"),
        ("db1.example.com", "ansible-output-db1.example.com.txt"),
        ("web 1/../x", "ansible-output-web_1_.._x.txt"),
    ],
)
def test_output_file_name(host, expected):
    assert report.output_file_name(host) == expected


def test_repeat_note():
    note = report.repeat_note("2026-12-07T05:00:00Z", "AWX job 42", ["host01"], "rc 3")
    assert note == "Failed again at 2026-12-07T05:00:00Z in run AWX job 42 on host01.\nError: rc 3"
