# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table tests of the alert_to_incident filter: alert payloads -> xsoar_incident bulk items."""

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.xsoar.connector.plugins.filter.alert_to_incident import FilterModule, alert_to_incident

KIBANA_FIRING = {
    "rule": {"id": "5a1b2c3d", "name": "High CPU", "url": "https://kibana.example.com/app/rules/5a1b2c3d"},
    "alert": {"id": "web-01", "uuid": "8f8e7d6c", "actionGroup": "threshold met", "actionGroupName": "Threshold met"},
    "context": {"rule": {"severity": "high"}, "reason": "CPU 97% on web-01 for 5 minutes"},
    "date": "2026-11-29T10:00:00.123Z",
}
KIBANA_RECOVERED = dict(
    KIBANA_FIRING, alert=dict(KIBANA_FIRING["alert"], actionGroup="recovered"), date="2026-11-29T10:20:00.000Z"
)
RULE_LABEL = [{"type": "Alert rule", "value": "High CPU"}]


def one(payload, **options):
    items = alert_to_incident(payload, **options)
    assert len(items) == 1
    return items[0]


def test_kibana_alert_becomes_one_item_with_every_field():
    assert one(KIBANA_FIRING) == {
        "name": "High CPU / web-01",
        "state": "present",
        "rule_severity": "high",
        "occurred": "2026-11-29T10:00:00.123Z",
        "labels": RULE_LABEL,
        "details": "Alert of rule High CPU (5a1b2c3d)\nAlert: web-01\nSeverity of the rule: high\n"
        "Reason: CPU 97% on web-01 for 5 minutes\n"
        "Rule URL: https://kibana.example.com/app/rules/5a1b2c3d\nTime: 2026-11-29T10:00:00.123Z",
    }


def test_generic_alert_with_only_a_rule_name():
    assert one({"rule": {"name": "Disk usage"}}) == {
        "name": "Disk usage",
        "state": "present",
        "rule_severity": "",
        "labels": [{"type": "Alert rule", "value": "Disk usage"}],
        "details": "Alert of rule Disk usage\nSeverity of the rule: not given",
    }


@pytest.mark.parametrize(
    "payload, name",
    [
        ({"rule": {"name": "Disk usage"}, "id": "db1"}, "Disk usage / db1"),
        ({"rule": {"name": "Disk usage"}, "alert": {"id": "db2"}, "id": "db1"}, "Disk usage / db2"),  # alert.id first
        ({"rule": {"name": "Disk usage"}, "alert": {"id": ""}, "id": "db1"}, "Disk usage / db1"),  # empty falls back
        (
            {"rule": {"name": "Disk usage"}, "id": "Disk usage"},
            "Disk usage",
        ),  # an id equal to the rule name is left out
        ({"rule": {"name": "Disk usage"}, "id": 7}, "Disk usage / 7"),
        ({"rule": {"name": "  Disk usage  "}}, "Disk usage"),
    ],
)
def test_name(payload, name):
    assert one(payload)["name"] == name


def test_name_prefix_and_fixed_name():
    assert one({"rule": {"name": "Login failures"}}, name_prefix="Auth: ")["name"] == "Auth: Login failures"
    assert one(KIBANA_FIRING, name="CPU alarm")["name"] == "CPU alarm"


@pytest.mark.parametrize(
    "payload, rule_severity",
    [
        ({"rule": {"name": "R", "severity": "critical"}}, "critical"),
        (
            {"rule": {"name": "R", "severity": "low"}, "context": {"rule": {"severity": "High"}}},
            "High",
        ),  # Kibana's wins
        ({"rule": {"name": "R", "severity": "low"}, "context": {"rule": {"severity": ""}}}, "low"),
        ({"rule": {"name": "R", "severity": 3}}, "3"),
        ({"rule": {"name": "R"}}, ""),
    ],
)
def test_rule_severity_kept(payload, rule_severity):
    item = one(payload)
    assert item["rule_severity"] == rule_severity
    assert "severity" not in item


def test_fixed_severity_replaces_the_rules():
    item = one({"rule": {"name": "R", "severity": "low"}}, severity="critical")
    assert item["severity"] == "critical" and "rule_severity" not in item
    assert "Severity of the rule: low" in item["details"]
    assert one({"rule": {"name": "R"}}, severity=4)["severity"] == 4


@pytest.mark.parametrize(
    "payload, state",
    [
        (KIBANA_FIRING, "present"),
        (KIBANA_RECOVERED, "closed"),
        ({"rule": {"name": "R"}, "alert": {"actionGroup": "Recovered"}}, "closed"),
        ({"rule": {"name": "R"}, "status": "firing"}, "present"),
        ({"rule": {"name": "R"}, "status": "RESOLVED"}, "closed"),
        ({"rule": {"name": "R"}, "status": "ok"}, "closed"),
        ({"rule": {"name": "R"}, "status": "closed"}, "closed"),
        ({"rule": {"name": "R"}, "status": "recovered"}, "closed"),
        ({"rule": {"name": "R"}, "status": "warning"}, "present"),
    ],
)
def test_state(payload, state):
    assert one(payload)["state"] == state


@pytest.mark.parametrize(
    "time, occurred",
    [
        ("2026-11-29T10:00:00Z", "2026-11-29T10:00:00Z"),
        ("2026-11-29T10:00:00.123456789+01:00", "2026-11-29T10:00:00.123456789+01:00"),
        ("2026-11-29 10:00:00Z", None),  # not strict RFC 3339: only in the details
        ("2026-11-29T10:00:00", None),  # no zone
        ("2026-13-29T10:00:00Z", None),  # no such month
        ("yesterday", None),
    ],
)
def test_occurred_only_for_rfc3339_times(time, occurred):
    for key in ("date", "timestamp"):
        item = one({"rule": {"name": "R"}, key: time})
        assert item.get("occurred") == occurred
        assert item["details"].endswith("Time: " + time)


def test_reason_from_the_first_field_that_has_one():
    for alert, reason in [
        ({"context": {"reason": "a", "message": "b"}, "message": "c"}, "a"),
        ({"context": {"message": "b"}, "message": "c", "description": "d"}, "b"),
        ({"message": "c", "description": "d"}, "c"),
        ({"description": "d"}, "d"),
        ({"context": {"reason": ""}, "message": "c"}, "c"),
    ]:
        assert f"\nReason: {reason}" in one(dict(alert, rule={"name": "R"}))["details"]


def test_playbook_type_and_labels_are_added():
    item = one({"rule": {"name": "R"}}, playbook="Triage", type="Access", labels=[{"type": "Team", "value": "ops"}])
    assert item["playbook"] == "Triage" and item["type"] == "Access"
    assert item["labels"] == [{"type": "Alert rule", "value": "R"}, {"type": "Team", "value": "ops"}]
    assert "playbook" not in one({"rule": {"name": "R"}}, playbook="", type="")


@pytest.mark.parametrize(
    "payload",
    [
        KIBANA_FIRING,
        json.dumps(KIBANA_FIRING),
        [KIBANA_FIRING],
        [json.dumps(KIBANA_FIRING)],
        (KIBANA_FIRING,),
    ],
)
def test_payload_shapes(payload):
    assert one(payload)["name"] == "High CPU / web-01"


def test_one_item_per_name_the_last_alert_counts_in_the_place_of_the_first():
    items = alert_to_incident([KIBANA_FIRING, {"rule": {"name": "Disk usage"}}, KIBANA_RECOVERED])
    assert [(item["name"], item["state"]) for item in items] == [
        ("High CPU / web-01", "closed"),
        ("Disk usage", "present"),
    ]


@pytest.mark.parametrize(
    "payload, options, message",
    [
        ([], {}, "got 0 alert(s) with the rule names []"),
        ([{"rule": {"name": "Good rule"}}, {"rule": {"severity": "high"}}], {}, "rule names ['Good rule', '(none)']"),
        ({"rule": {"name": "   "}}, {}, "each with rule.name set"),
        ({"rule": "High CPU"}, {}, "rule names ['(none)']"),
        (
            [{"rule": {"name": "A"}}, {"rule": {"name": "B"}}],
            {"name": "fixed"},
            "a fixed name can name only a single alert",
        ),
        ("{not json", {}, "alert 1 is a string but not JSON"),
        ([{"rule": {"name": "A"}}, 5], {}, "alert 2 is not a dict (got int)"),
        ({"rule": {"name": "A"}}, {"labels": "Team ops"}, "labels must be a list"),
    ],
)
def test_bad_input_names_the_fix(payload, options, message):
    with pytest.raises(AnsibleFilterError) as error:
        alert_to_incident(payload, **options)
    assert message in str(error.value)
    assert str(error.value).startswith("alert_to_incident: ")


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"alert_to_incident": alert_to_incident}
