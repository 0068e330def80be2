# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the pure functions behind xsoar_incident."""

import re

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils import desired
from ansible_collections.xsoar.connector.plugins.module_utils import incident_fields as fields
from ansible_collections.xsoar.connector.plugins.module_utils import planner
from ansible_collections.xsoar.connector.plugins.module_utils.incidents_api import resolve_playbook


# --- severity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, number",
    [
        ("Unknown", 0),
        ("informational", 0.5),
        ("LOW", 1),
        ("Medium", 2),
        ("hIgH", 3),
        ("critical", 4),
        (" high ", 3),
        (0, 0),
        (0.5, 0.5),
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (4.0, 4),
        ("0", 0),
        ("0.5", 0.5),
        ("3", 3),
        ("4.0", 4),
    ],
)
def test_parse_severity_valid(value, number):
    result = fields.parse_severity(value)
    assert result == number
    assert not isinstance(result, bool)


def test_parse_severity_whole_numbers_are_int():
    assert isinstance(fields.parse_severity(4.0), int)
    assert isinstance(fields.parse_severity("2"), int)
    assert isinstance(fields.parse_severity(0.5), float)


@pytest.mark.parametrize("value", [True, False, 2.5, "2.5", "urgent", "", -1, 5, "5", None, [], {}, "nan", "inf"])
def test_parse_severity_invalid(value):
    with pytest.raises(XsoarInputError) as error:
        fields.parse_severity(value)
    assert "is not valid" in str(error.value)
    assert "Critical" in str(error.value)


@pytest.mark.parametrize(
    "value, number",
    [
        ("low", 1),
        ("medium", 2),
        ("high", 3),
        ("critical", 4),
        ("HIGH", 3),
        (" Critical ", 4),
        ("weird", 0),
        ("", 0),
        (None, 0),
        ("informational", 0),
        ("unknown", 0),
        ("3", 0),
    ],
)
def test_rule_severity_number(value, number):
    assert fields.rule_severity_number(value) == number


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Disk full", 'He said "x"', "C:\\temp", "name: value", "Störung 障害", "x" * 600, "\U0001f525 db1 !!!", "7"],
)
def test_check_name_valid(name):
    assert fields.check_name(name) == name


@pytest.mark.parametrize(
    "name, message",
    [
        (None, "is empty"),
        ("", "is empty"),
        ("   ", "is empty"),
        (3, "must be one string, got a int"),
        (["a", "b"], "must be one string, got a list"),
        (" Disk", "starts or ends with spaces"),
        ("Disk ", "starts or ends with spaces"),
        ("x" * 1001, "1001 characters"),
        ("!!!", "has no letter or digit"),
        ("\U0001f525\U0001f525", "has no letter or digit"),
        ("-- ?? --", "has no letter or digit"),
    ],
)
def test_check_name_invalid(name, message):
    with pytest.raises(XsoarInputError) as error:
        fields.check_name(name, "items[2].name")
    assert message in str(error.value)
    assert str(error.value).startswith("items[2].name")


def test_names_match_is_exact():
    assert fields.names_match("Disk full", {"name": "Disk full"})
    assert not fields.names_match("Disk full", {"name": "Disk full on db1"})
    assert not fields.names_match("Disk full", {"name": "disk full"})
    assert not fields.names_match("Disk full", {"name": "Disk  full"})
    assert not fields.names_match("Disk full", {})
    assert not fields.names_match("Disk full", None)
    assert not fields.names_match("Disk full", "Disk full")


# --- body -------------------------------------------------------------------------------------


def test_parse_body_forms():
    assert fields.parse_body(None) == {}
    assert fields.parse_body("") == {}
    assert fields.parse_body({"reason": "x"}) == {"reason": "x"}
    assert fields.parse_body('{"reason": "x", "severity": 3}') == {"reason": "x", "severity": 3}


@pytest.mark.parametrize(
    "body, message",
    [
        ("{not json", "body is not valid JSON"),
        ("[1, 2]", "body must be a JSON object of incident fields, got list"),
        ('"text"', "got str"),
        ("3", "got int"),
        ([{"a": 1}], "got list"),
        (3, "got int"),
    ],
)
def test_parse_body_invalid(body, message):
    with pytest.raises(XsoarInputError) as error:
        fields.parse_body(body)
    assert message in str(error.value)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"severity": "high"}, "body.severity is invalid"),
        ({"severity": 2.5}, "body.severity is invalid"),
        ({"labels": "Source"}, "body.labels is invalid"),
        ({"labels": [{"type": "Source"}]}, "body.labels.0 is invalid"),
        ({"labels": [{"type": "Source", "value": 1}]}, "body.labels.0.value is invalid"),
        ({"createInvestigation": "yes"}, "body.createInvestigation is invalid"),
        ({"CustomFields": []}, "body.CustomFields is invalid"),
        ({"ShardID": 1.5}, "body.ShardID is invalid"),
        ({"id": "1"}, "body sets id"),
        ({"version": 3, "status": 1}, "body sets status, version"),
    ],
)
def test_validate_body_errors_name_the_field(body, message):
    with pytest.raises(XsoarInputError) as error:
        fields.validate_body(body)
    assert message in str(error.value)


def test_validate_body_option_prefix():
    with pytest.raises(XsoarInputError) as error:
        fields.validate_body({"severity": "x"}, "items[1].body")
    assert str(error.value).startswith("items[1].body.severity is invalid")


def test_validate_body_warnings():
    assert fields.validate_body({"reason": "x", "severity": 3, "CustomFields": {"a": [1]}}) == []
    warnings = fields.validate_body({"reason": "x", "isRuleSeverity": True, "foo": 1})
    assert len(warnings) == 1
    assert "foo, isRuleSeverity" in warnings[0]


# --- the create request: desired fields (desired.py) plus create-time defaults (planner.py) -------


def create_request(options, playbook_id=None):
    """What the module sends to create the item: its desired fields plus the create-time defaults."""
    record = desired.desired_record(options, {})
    return planner.create_body(record, planner.wanted_fields(record, playbook_id)), list(record.warnings)


def test_incident_request_defaults():
    request, warnings = create_request({"name": "n"})
    assert request == {"name": "n", "severity": 0}
    assert warnings == []


def test_desired_fields_have_no_defaults():
    assert desired.desired_record({"name": "n"}, {}).fields == {}


def test_incident_request_all_options():
    options = dict(
        name="n",
        severity="high",
        start_investigation=True,
        type="Phishing",
        details="d",
        owner="admin",
        labels=[{"type": "Source", "value": "ansible"}],
        custom_fields={"a": 1},
        occurred="2026-11-29T10:00:00Z",
        playbook="Phishing",
    )
    request, warnings = create_request(options, "pb-id")
    assert request == {
        "name": "n",
        "severity": 3,
        "playbookId": "pb-id",
        "createInvestigation": True,
        "type": "Phishing",
        "details": "d",
        "owner": "admin",
        "labels": [{"type": "Source", "value": "ansible"}],
        "CustomFields": {"a": 1},
        "occurred": "2026-11-29T10:00:00Z",
    }
    assert warnings == []


def test_incident_request_start_investigation_false_is_sent():
    request = create_request({"name": "n", "start_investigation": False})[0]
    assert request["createInvestigation"] is False


def test_incident_request_merges_body_and_warns_on_override():
    options = {"name": "n", "severity": "low", "details": "option", "body": '{"details": "body", "reason": "r"}'}
    request, warnings = create_request(options)
    assert request == {"name": "n", "severity": 1, "details": "option", "reason": "r"}
    assert warnings == ["body sets details, which the named options override"]


def test_incident_request_same_value_in_body_is_no_override():
    request, warnings = create_request({"name": "n", "body": {"name": "n", "reason": "r"}})
    assert request == {"name": "n", "severity": 0, "reason": "r"}
    assert warnings == []


def test_incident_request_body_severity_kept_without_severity_option():
    request, warnings = create_request({"name": "n", "body": {"severity": 3}})
    assert request["severity"] == 3
    assert warnings == []


def test_incident_request_rule_severity():
    request = create_request({"name": "n", "rule_severity": "weird"})[0]
    assert request["severity"] == 0


def test_incident_request_custom_fields_merge_per_key():
    options = {"name": "n", "custom_fields": {"a": 1, "c": 3}, "body": {"customFields": {"a": 0, "b": 2}}}
    request, warnings = create_request(options)
    assert "customFields" not in request
    assert request["CustomFields"] == {"a": 1, "b": 2, "c": 3}
    assert warnings == ["custom_fields overrides body's custom fields a"]


def test_incident_request_unknown_body_fields_warn():
    warnings = create_request({"name": "n", "body": {"foo": 1}})[1]
    assert len(warnings) == 1
    assert "foo" in warnings[0]


def test_desired_record_checks_each_option():
    desired.desired_record({"name": "n", "severity": "high", "labels": [{"type": "a", "value": "b"}]}, {})
    with pytest.raises(XsoarInputError, match="mutually exclusive"):
        desired.desired_record({"name": "n", "severity": "high", "rule_severity": "low"}, {})
    with pytest.raises(XsoarInputError, match="^items.0.severity 'urgent' is not valid"):
        desired.desired_record({"name": "n", "severity": "urgent"}, {}, "items.0.")
    with pytest.raises(XsoarInputError, match="occurred 'yesterday' is not an RFC 3339 time"):
        desired.desired_record({"name": "n", "occurred": "yesterday"}, {})


# --- labels and times -------------------------------------------------------------------------


def test_check_labels_valid():
    fields.check_labels(None)
    fields.check_labels([])
    fields.check_labels([{"type": "Source", "value": "ansible"}, {"type": "a", "value": ""}])


@pytest.mark.parametrize(
    "labels, index",
    [
        (["Source"], 0),
        ([{"type": "Source"}], 0),
        ([{"type": "a", "value": "b"}, {"type": "a", "value": "b", "extra": "c"}], 1),
        ([{"type": "a", "value": 1}], 0),
        ([{"type": None, "value": "b"}], 0),
    ],
)
def test_check_labels_invalid(labels, index):
    with pytest.raises(XsoarInputError) as error:
        fields.check_labels(labels)
    assert str(error.value).startswith(f"labels[{index}] must be a dict")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29T10:00:00Z",
        "2026-11-29T10:00:00z",
        "2026-11-29 10:00:00Z",
        "2026-11-29T10:00:00.123Z",
        "2026-11-29T10:00:00.123456789Z",
        "2026-11-29T11:00:00+01:00",
        "2026-11-29T05:00:00.5-05:00",
        " 2026-11-29T10:00:00Z ",
    ],
)
def test_parse_time_valid(text):
    parsed = fields.parse_time(text)
    assert parsed is not None
    assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    "value",
    [
        None,
        3,
        "",
        "yesterday",
        "2026-11-29",
        "2026-11-29T10:00:00",
        "2026-13-01T10:00:00Z",
        "2026-11-29T25:00:00Z",
        "2026-11-29T10:00:00+0100",
        "0001-01-01T00:00:00+01:00x",
    ],
)
def test_parse_time_invalid(value):
    assert fields.parse_time(value) is None


def test_parse_time_equal_instants():
    assert fields.parse_time("2026-11-29T10:00:00Z") == fields.parse_time("2026-11-29T11:00:00.000000000+01:00")
    assert fields.parse_time("2026-11-29T10:00:00.1Z") == fields.parse_time("2026-11-29T10:00:00.100Z")


# --- comparison -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, wanted",
    [
        ("2026-11-29T10:00:00Z", "2026-11-29T11:00:00+01:00"),
        ("2026-11-29T10:00:00.000000000Z", "2026-11-29T10:00:00Z"),
        ("2026-11-29T10:00:00Z", "2026-11-29 10:00:00z"),
        (3, 3.0),
        (0.5, 0.5),
        ("a", "a"),
        (None, None),
        ({"a": 1, "b": 2}, {"a": 1}),
        ({"when": "2026-11-29T10:00:00Z"}, {"when": "2026-11-29T10:00:00.000Z"}),
        ([{"type": "a", "value": "b"}], [{"type": "a", "value": "b"}]),
        ([1, "2026-11-29T10:00:00Z"], [1.0, "2026-11-29T11:00:00+01:00"]),
        (True, True),
        ({"flag": False}, {"flag": False}),
    ],
)
def test_same_value_equal(current, wanted):
    assert fields.same_value(current, wanted)


@pytest.mark.parametrize(
    "current, wanted",
    [
        ("2026-11-29T10:00:00Z", "2026-11-29T10:00:01Z"),
        ("2026-11-29T10:00:00Z", "2026-11-29T10:00:00+01:00"),
        (3, 4),
        ("3", 3),
        (1, True),
        (0, False),
        ("a", "A"),
        (None, ""),
        ({"a": 1}, {"a": 2}),
        ({}, {"a": 1}),
        ([{"type": "a", "value": "b"}], []),
        (True, 1),
        (1.0, True),
        ({"flag": 0}, {"flag": False}),
        ([1], [True]),
        ([1, 2], [1]),
    ],
)
def test_same_value_different(current, wanted):
    assert not fields.same_value(current, wanted)


def test_field_changes():
    incident = {
        "id": "7",
        "version": 2,
        "name": "n",
        "severity": 3,
        "details": "",
        "occurred": "2026-11-29T10:00:00Z",
        "CustomFields": {"a": 1, "other": "kept"},
        "labels": [],
        "playbookId": "",
    }
    wanted = {
        "severity": 3.0,
        "details": "new",
        "occurred": "2026-11-29T11:00:00+01:00",
        "CustomFields": {"a": 1},
        "labels": [{"type": "t", "value": "v"}],
    }
    assert planner.field_changes(incident, wanted) == {"details": "new", "labels": [{"type": "t", "value": "v"}]}
    assert planner.field_changes(incident, {"severity": 3}) == {}
    # the merged set: both a server that merges and one that replaces end with every field
    assert planner.field_changes(incident, {"CustomFields": {"a": 2}}) == {"CustomFields": {"a": 2, "other": "kept"}}


def test_view():
    incident = {"name": "n", "severity": 1, "CustomFields": {"a": 1, "b": 2}}
    wanted = {"name": "n", "severity": 3, "CustomFields": {"a": 5}}
    assert planner.view(incident, wanted) == {"name": "n", "severity": 1, "CustomFields": {"a": 1}}


# --- playbooks --------------------------------------------------------------------------------

PLAYBOOKS = [
    {"id": "8db0105c", "name": "Account Enrichment - Generic v2.1"},
    {"id": "c1a4ae9b", "name": "Block IP - Generic v3"},
    {"id": "Phishing - Generic v3", "name": "Phishing - Generic v3"},
    {"id": "dup-1", "name": "Twin"},
    {"id": "dup-2", "name": "Twin"},
    {"id": "case-1", "name": "Mixed Case"},
    {"id": "case-2", "name": "mixed case"},
]


@pytest.mark.parametrize(
    "reference, playbook_id",
    [
        ("c1a4ae9b", "c1a4ae9b"),
        ("Block IP - Generic v3", "c1a4ae9b"),
        ("block ip - GENERIC v3", "c1a4ae9b"),
        ("Phishing - Generic v3", "Phishing - Generic v3"),
        ("phishing - generic v3", "Phishing - Generic v3"),
        ("dup-1", "dup-1"),
        ("Mixed Case", "case-1"),
        ("mixed case", "case-2"),
    ],
)
def test_resolve_playbook(reference, playbook_id):
    assert resolve_playbook(PLAYBOOKS, reference) == playbook_id


def test_resolve_playbook_ambiguous_name():
    with pytest.raises(XsoarInputError) as error:
        resolve_playbook(PLAYBOOKS, "Twin")
    assert "names 2 playbooks" in str(error.value)
    assert "dup-1, dup-2" in str(error.value)


def test_resolve_playbook_ambiguous_case_insensitive():
    with pytest.raises(XsoarInputError, match="names 2 playbooks"):
        resolve_playbook(PLAYBOOKS, "MIXED CASE")


def test_resolve_playbook_unknown_lists_close_names():
    with pytest.raises(XsoarInputError) as error:
        resolve_playbook(PLAYBOOKS, "Phishing Generic v4", "items[0].playbook")
    message = str(error.value)
    assert message.startswith("items[0].playbook 'Phishing Generic v4' matches no playbook id or name")
    assert "'Phishing - Generic v3'" in message


def test_resolve_playbook_unknown_without_close_names():
    with pytest.raises(XsoarInputError) as error:
        resolve_playbook(PLAYBOOKS, "zzzzzzzzzzzzzzzzzzzzzzzzzzzz")
    assert "no playbook the key sees has a similar name" in str(error.value)
    with pytest.raises(XsoarInputError, match="no playbook the key sees has a similar name"):
        resolve_playbook([], "anything")


# --- bad input found by the xsoar_bad_input integration target ---------------------------------


def test_long_name_says_how_long_it_may_be():
    """XSOAR's documented limit is 600 characters (demisto/content-docs#1601, #1605)."""
    assert fields.check_name("x" * 600) == "x" * 600
    with pytest.raises(XsoarInputError, match="name is 601 characters long: shorten it to at most 600 characters"):
        fields.check_name("x" * 601)


def test_empty_name_hint_can_be_given():
    with pytest.raises(XsoarInputError, match="^name is empty: look it up by ids$"):
        fields.check_name(" ", empty_hint="look it up by ids")


@pytest.mark.parametrize("value", [5, "5", 5.0])
def test_kibana_placeholder_severity_points_to_rule_severity(value):
    with pytest.raises(XsoarInputError, match="placeholder for the rule's severity: use rule_severity"):
        fields.parse_severity(value)


def test_other_invalid_severity_has_no_placeholder_hint():
    with pytest.raises(XsoarInputError) as error:
        fields.parse_severity(6)
    assert "placeholder" not in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29T10:00:00Z",
        "2026-11-29T11:00:00.5+01:00",
        # YAML's unquoted timestamp as Ansible hands it over, and a lower-case z: normalised before sending
        "2026-11-29 10:00:00+00:00",
        "2026-11-29T10:00:00z",
    ],
)
def test_check_time_accepts_what_is_sent_as_rfc3339(text):
    fields.check_time(text)
    assert fields.STRICT_RFC3339.match(fields.rfc3339_text(text))


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-11-29",
        "2026-11-29T10:00:00",
        "2026-11-29T25:00:00Z",
        "2026/11/29T10:00:00Z",
        1764410400,
        "2026-11-29T10:00:00+0100",
    ],
)
def test_check_time_rejects(value):
    with pytest.raises(XsoarInputError, match="is not an RFC 3339 time: use e.g. 2026-11-29T10:00:00Z"):
        fields.check_time(value, "occurred")


def test_incident_request_normalises_times_of_options_and_body():
    request = create_request(
        {"name": "n", "occurred": "2026-11-29 10:00:00+00:00", "body": {"dueDate": "2026-12-01T10:00:00z"}}
    )[0]
    assert request["occurred"] == "2026-11-29T10:00:00+00:00"
    assert request["dueDate"] == "2026-12-01T10:00:00Z"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"dueDate": "tomorrow"}, "body.dueDate 'tomorrow' is not an RFC 3339 time"),
        ({"occurred": "2026-11-29"}, "body.occurred '2026-11-29' is not an RFC 3339 time"),
        (
            {"linkedCount": 1.0},
            "body.linkedCount is invalid: 1.0 is not of type 'integer'; give it the type XSOAR documents",
        ),
        ({"linkedCount": True}, "body.linkedCount is invalid"),
        ({"sla": "x"}, "body.sla is invalid"),
        ({"hasRole": "yes"}, "body.hasRole is invalid"),
        (
            {"CustomFields": {"Scan IP": "1.2.3.4"}},
            "body.CustomFields key 'Scan IP' is not a field's machine name: .* 'scanip'",
        ),
    ],
)
def test_validate_body_checks_times_integers_and_custom_field_keys(body, message):
    with pytest.raises(XsoarInputError, match=message):
        fields.validate_body(body)


def test_validate_body_accepts_documented_fields():
    assert (
        fields.validate_body(
            {"sla": 1.5, "linkedCount": 2, "dueDate": "2026-12-01T10:00:00Z", "CustomFields": {"scanip": "1.2.3.4"}}
        )
        == []
    )


@pytest.mark.parametrize("playbook", ["", "   "])
def test_check_item_empty_playbook(playbook):
    with pytest.raises(XsoarInputError, match=r"^incidents\[0\].playbook is empty: give a playbook name or id"):
        desired.desired_record({"name": "n", "playbook": playbook}, {}, "incidents[0].")


@pytest.mark.parametrize(
    "custom_fields, key", [({"Scan IP": "1"}, "Scan IP"), ({" ": "1"}, " "), ({1: "x", "a b": 2}, "a b")]
)
def test_check_item_custom_field_keys(custom_fields, key):
    with pytest.raises(XsoarInputError, match=f"custom_fields key {key!r} is not a field's machine name"):
        desired.desired_record({"name": "n", "custom_fields": custom_fields}, {})


@pytest.mark.parametrize("value", ["nan", "inf", " 2.5 "])
def test_invalid_severity_is_quoted_as_given(value):
    with pytest.raises(XsoarInputError, match=rf"^severity {re.escape(repr(value))} is not valid"):
        fields.parse_severity(value)


# --- JSON that real servers refuse (issue 13) ----------------------------------------------------


@pytest.mark.parametrize(
    "body", ['{"reason": NaN}', '{"sla": Infinity}', {"sla": float("nan")}, {"CustomFields": {"x": [1, float("-inf")]}}]
)
def test_nan_and_infinity_are_refused(body):
    with pytest.raises(XsoarInputError, match="body"):
        fields.parse_body(body)


def test_nan_in_custom_fields_is_refused():
    with pytest.raises(XsoarInputError, match=r"^custom_fields.score is nan, which JSON cannot carry"):
        desired.desired_record({"name": "n", "custom_fields": {"score": float("nan")}}, {})


@pytest.mark.parametrize("depth", [101, 100000])
def test_deep_body_gets_a_message(depth):
    text = '{"a": ' * depth + "1" + "}" * depth
    with pytest.raises(XsoarInputError, match="body is nested deeper than 100 levels: flatten it"):
        fields.parse_body(text)
    nested = {}
    for _dummy in range(depth):
        nested = {"a": nested}
    with pytest.raises(XsoarInputError, match="nested deeper than 100 levels"):
        fields.parse_body(nested)


def test_body_within_the_depth_is_accepted():
    assert fields.parse_body('{"a": ' * 50 + "1" + "}" * 50)


def test_created_order_sorts_by_time_then_id_as_a_number():
    incidents = [
        {"id": "10", "created": "2026-11-29T10:00:00.5Z"},
        {"id": "9", "created": "2026-11-29T10:00:00.5Z"},
        {"id": "2", "created": "2026-11-29T10:00:00Z"},
        {"id": "1", "created": "2026-11-29T10:00:00.45Z"},
        {"id": "7", "created": "2026-11-29T12:00:00.4+02:00"},
        {"id": "8", "created": "never"},
    ]
    ordered = [incident["id"] for incident in sorted(incidents, key=fields.created_order)]
    assert ordered == ["8", "2", "7", "1", "9", "10"]


@pytest.mark.parametrize(
    "start_investigation, body, sent, warning",
    [
        (None, '{"createInvestigation": true}', True, None),  # issue 24: was sent as false, silently
        (None, '{"createInvestigation": false}', False, None),
        (None, None, None, None),  # neither: not sent, XSOAR's default (false)
        (True, None, True, None),
        (False, None, False, None),
        (True, '{"createInvestigation": true}', True, None),
        (
            False,
            '{"createInvestigation": true}',
            False,
            "body sets createInvestigation: true, which start_investigation: false overrides",
        ),
        (
            True,
            '{"createInvestigation": false}',
            True,
            "body sets createInvestigation: false, which start_investigation: true overrides",
        ),
    ],
)
def test_the_body_create_investigation_is_kept_unless_the_option_is_given(start_investigation, body, sent, warning):
    request, warnings = create_request({"name": "n", "start_investigation": start_investigation, "body": body})
    assert request.get("createInvestigation") == sent
    assert warnings == ([warning] if warning else [])


def test_start_investigation_has_no_default_so_the_body_can_apply():
    assert "default" not in desired.module_argument_spec()["start_investigation"]


@pytest.mark.parametrize(
    "key, message",
    [
        (
            "ScanIP",
            "custom_fields key 'ScanIP' is not a field's machine name: use the name without spaces in lower case, e.g. 'scanip'",
        ),
        (
            "scan\u200bip",
            "custom_fields key 'scan\\u200bip' contains an invisible character (U+200B), often pasted with it: type the key again, e.g. 'scanip'",
        ),
        ("\ufeffscanip", "contains an invisible character (U+FEFF)"),
        (
            "scan\u200dIP",
            "contains an invisible character (U+200D), often pasted with it: type the key again, e.g. 'scanip'",
        ),
        ("Scan IP", "custom_fields key 'Scan IP' is not a field's machine name"),
    ],
)
def test_custom_field_keys_with_capitals_or_invisible_characters_are_refused(key, message):
    with pytest.raises(XsoarInputError) as info:
        desired.desired_record({"name": "n", "custom_fields": {key: "x"}}, {})
    assert message in str(info.value)


def test_body_custom_field_keys_are_checked_too():
    with pytest.raises(XsoarInputError) as info:
        desired.desired_record({"name": "n", "body": {"CustomFields": {"ScanIP": "x"}}}, {})
    assert "body.CustomFields key 'ScanIP' is not a field's machine name" in str(info.value)


@pytest.mark.parametrize("key", ["scanip", "sourceusername", "scan_ip2"])
def test_machine_names_are_accepted(key):
    assert desired.desired_record({"name": "n", "custom_fields": {key: "x"}}, {}).fields["CustomFields"] == {key: "x"}
