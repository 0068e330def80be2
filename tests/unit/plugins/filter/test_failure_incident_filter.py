# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table tests of the failure_incident filter: the role's incident is the callback's, text for text."""

import hashlib

import pytest

from ansible_collections.xsoar.connector.plugins.filter.failure_incident import FilterModule, failure_incident


def test_the_filter_is_registered():
    assert FilterModule().filters()["failure_incident"] is failure_incident


@pytest.mark.parametrize(
    "per_host, expected",
    [
        (True, "Ansible failure: Deploy / Restart nginx on web-01"),
        (False, "Ansible failure: Deploy / Restart nginx"),
    ],
)
def test_name(per_host, expected):
    incident = failure_incident("Deploy", task="Restart nginx", host="web-01", per_host=per_host)
    assert incident["name"] == expected


def test_long_name_is_cut_and_ends_in_the_hash_of_the_full_name():
    task = "x" * 300
    full = f"Ansible failure: Deploy / {task} on web-01"
    digest = hashlib.sha1(full.encode("utf-8")).hexdigest()[:8]
    incident = failure_incident("Deploy", task=task, host="web-01", name_max_length=50)
    assert incident["name"] == f"{full[:39]} [{digest}]"
    assert len(incident["name"]) == 50


@pytest.mark.parametrize(
    "hosts, host_line, host_label",
    [
        ([], "Host: web-01", "web-01"),
        (["web-01", "web-02"], "Hosts: web-01, web-02", "web-01, web-02"),
    ],
)
def test_details_and_labels(hosts, host_line, host_label):
    incident = failure_incident(
        "Deploy",
        task="Restart nginx",
        host="web-01",
        hosts=hosts,
        time="2026-12-07T06:00:00Z",
        error="rc 1",
        per_host=False,
    )
    assert incident["details"] == "\n".join(
        [
            "Ansible task failed.",
            "Play: Deploy",
            "Task: Restart nginx",
            host_line,
            "Time: 2026-12-07T06:00:00Z",
            "Error: rc 1",
        ]
    )
    assert incident["labels"] == [
        {"type": "Ansible play", "value": "Deploy"},
        {"type": "Ansible task", "value": "Restart nginx"},
        {"type": "Ansible host", "value": host_label},
    ]
