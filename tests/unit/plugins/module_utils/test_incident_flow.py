# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incident_flow.prepare: task-level checks made before any request."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incident_flow
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError


def params(**changes):
    values = dict.fromkeys(incident_flow.module_argument_spec())
    values.update(
        state="present",
        start_investigation=False,
        match_closed=False,
        update_existing=False,
        continue_on_item_error=False,
    )
    values.update(changes)
    return values


@pytest.mark.parametrize("option", ["close_reason", "close_notes"])
def test_close_options_without_a_close(option):
    with pytest.raises(XsoarInputError) as error:
        incident_flow.prepare(params(name="n", **{option: "Resolved"}))
    message = str(error.value)
    assert message.startswith(f"{option} only applies with state: closed")
    assert "set state: closed" in message and f"remove {option}" in message


def test_close_options_without_a_closed_item_in_bulk():
    with pytest.raises(XsoarInputError, match="close_reason only applies with state: closed"):
        incident_flow.prepare(
            params(close_reason="Resolved", incidents=[{"name": "a"}, {"name": "b", "state": "absent"}])
        )


def test_close_options_with_a_close():
    plan = incident_flow.prepare(params(name="n", state="closed", close_reason="Resolved", close_notes="done"))
    assert (plan.items[0].close_reason, plan.items[0].close_notes) == ("Resolved", "done")
    plan = incident_flow.prepare(
        params(
            close_reason="Resolved",
            incidents=[
                {"name": "a"},
                {"name": "b", "state": "closed"},
                {"name": "c", "state": "closed", "close_reason": "Duplicate"},
            ],
        )
    )
    assert [item.state for item in plan.items] == ["present", "closed", "closed"]
    # the task's close_reason is every closed item's default; an item's own wins
    assert [item.close_reason for item in plan.items] == [None, "Resolved", "Duplicate"]


def test_argument_spec_leaves_suboptions_to_prepare():
    # a sub-spec in AnsibleModule's hands unmasks the API key on a string label (arguments.without_suboptions)
    spec = incident_flow.module_argument_spec()
    assert spec["labels"] == dict(type="list", elements="dict")
    assert spec["incidents"] == dict(type="list", elements="dict")
    assert spec["api_key"]["no_log"] is True


@pytest.mark.parametrize(
    "item, message",
    [
        (
            {"name": "b", "sevrity": "high"},
            r"^incidents\[1\]: unsupported option sevrity. Supported parameters include: ",
        ),
        (
            {"name": "b", "state": "resolved"},
            r"^incidents\[1\]: value of state must be one of: present, closed, absent, got: resolved",
        ),
        ({"name": "b", "start_investigation": "maybe"}, r"^incidents\[1\]: argument 'start_investigation' is of type"),
        ({"name": "b", "labels": "Source ansible"}, r"^incidents\[1\]: Elements value for option 'labels'"),
        (
            {"name": "b", "labels": [{"type": "Source"}]},
            r"^incidents\[1\]: missing required arguments: value found in labels",
        ),
    ],
)
def test_bulk_items_are_validated_like_options(item, message):
    with pytest.raises(XsoarInputError, match=message):
        incident_flow.prepare(params(incidents=[{"name": "a"}, item]))


def test_bulk_items_are_converted_and_inherit_the_task_options():
    plan = incident_flow.prepare(
        params(
            severity="high",
            incidents=[
                {"name": "a", "start_investigation": "yes", "labels": [{"type": "Port", "value": 443}]},
                {"name": "b", "rule_severity": "low"},
            ],
        )
    )
    first, second = plan.items
    assert first.start_investigation is True
    assert first.fields["labels"] == [{"type": "Port", "value": "443"}]
    assert first.fields["severity"] == 3 and first.state == "present"
    assert second.fields["severity"] == 1  # its rule_severity, not the task's severity


def test_single_form_labels_are_validated():
    with pytest.raises(XsoarInputError, match="^missing required arguments: value found in labels"):
        incident_flow.prepare(params(name="n", labels=[{"type": "Source"}]))
    plan = incident_flow.prepare(params(name="n", labels=[{"type": "Port", "value": 443}]))
    assert plan.items[0].fields["labels"] == [{"type": "Port", "value": "443"}]


def test_name_must_be_one_string():
    with pytest.raises(XsoarInputError, match="^name must be one string, got a list"):
        incident_flow.prepare(params(name=["a", "b"]))
    with pytest.raises(XsoarInputError, match=r"^incidents\[0\]\.name must be one string, got a list"):
        incident_flow.prepare(params(incidents=[{"name": ["a", "b"]}]))
    assert incident_flow.prepare(params(name=2026)).items[0].name == "2026"


def test_wait_for_id_is_bounded():
    with pytest.raises(XsoarInputError, match="^wait_for_id -1 is out of range"):
        incident_flow.prepare(params(name="n", wait_for_id=-1))
    assert incident_flow.prepare(params(name="n", wait_for_id=5)).task["wait_for_id"] == 5


@pytest.mark.parametrize(
    "labels, message",
    [
        ([{"type": "Host", "value": ["db1", "db2"]}], "labels[0].value is a list: a label has one string value"),
        ([{"type": ["Host"], "value": "db1"}], "labels[0].type is a list: a label has one string type"),
        ([{"type": "Host", "value": {"a": 1}}], "labels[0].value is a dict"),
    ],
)
def test_a_label_given_as_a_list_is_refused_not_stored_as_its_text(labels, message):
    with pytest.raises(XsoarInputError) as info:
        incident_flow.prepare(params(name="n", labels=labels))
    assert message in str(info.value)
    assert "several labels of the same type" in str(info.value)


def test_a_bulk_label_given_as_a_list_is_refused():
    items = [{"name": "a"}, {"name": "b", "labels": [{"type": "Host", "value": ["db1"]}]}]
    with pytest.raises(XsoarInputError) as info:
        incident_flow.prepare(params(incidents=items))
    assert "incidents[1].labels[0].value is a list" in str(info.value)


def test_a_label_value_given_as_a_number_is_sent_as_its_text():
    prepared = incident_flow.prepare(params(name="n", labels=[{"type": "Port", "value": 443}]))
    assert prepared.items[0].fields["labels"] == [{"type": "Port", "value": "443"}]
