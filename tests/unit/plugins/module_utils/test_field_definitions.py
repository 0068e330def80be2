# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""field_definitions: custom fields and types checked against the server's definitions, from tables."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import field_definitions as fd
from ansible_collections.xsoar.connector.plugins.module_utils import planner
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarAuthError, XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.desired import DesiredIncident
from ansible_collections.xsoar.connector.plugins.module_utils.client import api_bases

RAW_FIELDS = [
    {"cliName": "sourceip", "name": "Source IP", "type": "shortText", "associatedToAll": True},
    {"cliName": "scanip", "name": "Scan IP", "type": "shortText"},
    {"cliName": "team", "name": "Team", "type": "singleSelect", "selectValues": ["", "blue", "red"]},
    {"cliName": "hosts", "name": "Affected Hosts", "type": "multiSelect", "selectValues": ["db1", "db2"]},
    {"cliName": "tags", "name": "Free Tags", "type": "multiSelect", "selectValues": None},
    {"cliName": "emailsubject", "name": "Email Subject", "type": "shortText", "associatedTypes": ["Phishing"]},
]
FIELDS = {raw["cliName"]: fd.field_definition(raw) for raw in RAW_FIELDS}
TYPES = ("Unclassified", "Phishing", "Malware")


@pytest.mark.parametrize(
    "custom, expected",
    [
        ({"sourceip": "192.0.2.1", "team": "blue"}, []),
        ({"team": ""}, []),
        ({"hosts": ["db1", "db2"]}, []),
        ({"tags": ["anything"]}, []),  # a select without choices takes any value
        ({"sourceipp": "x"}, ["custom field 'sourceipp' is not a field", "closest machine names: 'sourceip'"]),
        ({"SourceIP": "x"}, ["'Source IP' is a display name, its machine name is 'sourceip'"]),
        ({"zzzzqqq": 1}, ["no field has a similar machine name"]),
        (
            {"team": "purple"},
            ["'team' has a value outside the choices of its singleSelect field 'Team': 'purple'", "'blue', 'red'"],
        ),
        ({"hosts": ["db1", "db3"]}, ["'Affected Hosts': 'db3'; choose from 'db1', 'db2'"]),
    ],
)
def test_custom_field_messages(custom, expected):
    messages = fd.custom_field_messages(custom, FIELDS, "incidents[0].")
    assert len(messages) == (1 if expected else 0)
    for part in expected:
        assert part in messages[0]
    if expected:
        assert messages[0].startswith("incidents[0].custom field")


@pytest.mark.parametrize(
    "type_name, expected",
    [
        ("Phishing", None),
        ("phishing", "did you mean 'Phishing'?"),
        ("Phishng", "closest: 'Phishing'"),
        ("Qqqq", "known types: 'Unclassified', 'Phishing', 'Malware'"),
    ],
)
def test_type_message(type_name, expected):
    message = fd.type_message(type_name, TYPES, "")
    if expected is None:
        assert message is None
    else:
        assert f"type {type_name!r} is not an incident type" in message and expected in message


def desired(name="A", state="present", **fields):
    return DesiredIncident(name, state, "", fields, None, None, None, None, ())


TASK = {"update_existing": True, "match_closed": False, "close_duplicates": False, "validate_fields": True}
STORED = {"id": "1", "name": "A", "status": 1, "type": "Phishing", "CustomFields": {"team": "blue"}}


@pytest.mark.parametrize(
    "item, matches, expected",
    [
        (desired(CustomFields={"team": "red"}), [], fd.Check("", {"team": "red"}, None)),  # create
        (desired(type="Malware"), [], fd.Check("", {}, "Malware")),
        (desired(details="x"), [], None),  # nothing to check
        (desired(CustomFields={"team": "blue"}, type="Phishing"), [STORED], None),  # idempotent re-run
        (desired(CustomFields={"team": "red"}, type="Phishing"), [STORED], fd.Check("", {"team": "red"}, None)),
        (desired(state="closed", CustomFields={"bad": 1}), [STORED], None),  # a close sends no fields
    ],
)
def test_checks_only_for_what_is_sent(item, matches, expected):
    checks = fd.checks_for([item], {"A": matches}, TASK)
    assert checks == ([] if expected is None else [expected])


class FakeAnswer:
    def __init__(self, json_data):
        self.json = json_data


class FakeClient:
    """Answers the two definition reads; records every request."""

    def __init__(self, status=200, api_key_id=None):
        self.status = status
        self.api_key_id = api_key_id
        self.url = "https://xsoar.example.com"
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]
        self.requests = []

    def get(self, path, base=None, **kwargs):
        self.requests.append((base, path))
        if self.status == 403:
            raise XsoarAuthError("authentication failed (HTTP 403, forbidden)", 403)
        if path == "/incidentfields":
            return FakeAnswer(RAW_FIELDS)
        return FakeAnswer([{"name": name} for name in TYPES])


def test_validate_items_reads_once_and_refuses_before_writing():
    client = FakeClient(api_key_id="7")
    items = [desired("A", CustomFields={"sourceipp": 1}), desired("B", CustomFields={"team": "x"}, type="Malware")]
    with pytest.raises(XsoarInputError) as raised:
        fd.validate_items(client, items, {"A": [], "B": []}, TASK)
    assert "'sourceipp' is not a field" in str(raised.value) and "'Team': 'x'; choose from" in str(raised.value)
    assert "nothing was sent" in str(raised.value)
    # one read of each list for the whole task, under XSOAR 8's legacy prefix
    legacy = "https://xsoar.example.com/xsoar"
    assert client.requests == [(legacy, "/incidentfields"), (legacy, "/incidenttype")]


def test_validate_items_reads_nothing_when_nothing_is_sent_or_it_is_off():
    client = FakeClient()
    assert fd.validate_items(client, [desired(CustomFields={"team": "blue"})], {"A": [STORED]}, TASK) == []
    off = dict(TASK, validate_fields=False)
    assert fd.validate_items(client, [desired(CustomFields={"bad": 1})], {"A": []}, off) == []
    assert client.requests == []


def test_forbidden_definitions_warn_and_do_not_check():
    client = FakeClient(status=403)
    warnings = fd.validate_items(client, [desired(CustomFields={"bad": 1})], {"A": []}, TASK)
    assert len(warnings) == 1 and "may not read the incident field definitions" in warnings[0]
    # XSOAR 6: the server root
    assert client.requests == [("https://xsoar.example.com", "/incidentfields")]


def test_item_check_of_a_dedupe_uses_the_kept_action():
    kept = planner.Update(STORED, {"CustomFields": {"team": "red"}}, {"CustomFields": {"team": "red"}})
    action = planner.Dedupe(kept, planner.Close(["2"], [], "Duplicate", ""))
    check = fd.item_check(desired(CustomFields={"team": "red"}), planner.main_action(action))
    assert check == fd.Check("", {"team": "red"}, None)
