# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract tests: the client and the poller fed the answers public sources record from real servers.

Each answer below is written from a documented fact (not copied from its source), and each test names
the source, as collected in the project's xsoar-api.md. The client is driven over real HTTP on
127.0.0.1 (the scripted server of conftest.py), so status codes, headers and bodies go through the
same code as against a real server.
"""

import calendar

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incident_poller
from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarAuthError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import created_order
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values

KEY = "contract-key-5f1c0a9d7e3b"


def client_for(server, api_key_id=None):
    settings = connection_values(url=server.url, api_key=KEY, api_key_id=api_key_id, timeout=5.0, retries=0)
    return Client(settings, sleep=lambda seconds: None)


def kibana_recorded_create_answer():
    """The shape and values of the XSOAR 8 create answer Kibana's tests record
    (Kibana server/connector_types/xsoar/xsoar.test.ts): a new incident has version 0 and the Go epoch
    as `modified` until its first change (xsoar-api.md "Real servers, round 3"), the server's
    Instance/Brand labels ("Real servers and real tenants"), `created` with trailing zeros of the
    fraction trimmed while `occurred` keeps nanoseconds ("Time formats")."""
    return {
        "id": "7",
        "version": 0,
        "name": "My test incident",
        "rawName": "My test incident",
        "type": "Unclassified",
        "rawType": "Unclassified",
        "severity": 1,
        "status": 0,
        "playbookId": "",
        "investigationId": "",
        "created": "2026-12-01T10:31:52.38Z",
        "occurred": "2026-12-01T10:31:52.380114500Z",
        "modified": "1970-01-01T00:00:00Z",
        "closed": "0001-01-01T00:00:00Z",
        "labels": [{"type": "Instance", "value": ""}, {"type": "Brand", "value": "Manual"}],
        "CustomFields": {},
        "owner": "",
        "details": "",
    }


# -- authentication answers ------------------------------------------------------------------------


def test_xsoar8_401_body_with_null_err_extra(http_server):
    """XSOAR 8's bad-key answer: 401 {"reply": {"err_code": 401, "err_msg": "Public API request
    unauthorized", "err_extra": null}} (xsoar-api.md "Real servers, round 3", "XSOAR 8 bad key"; the same
    body is quoted from live tenants in public troubleshooting notes). A null err_extra must not show as
    "None", and the message must point at the key, its id and its type."""
    body = {"reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": None}}
    http_server.script = [("answer", 401, body, {})]
    client = client_for(http_server, api_key_id="17")
    with pytest.raises(XsoarAuthError) as caught:
        api.search(client, {}, limit=1)
    message = str(caught.value)
    assert caught.value.status == 401
    assert "(HTTP 401, Public API request unauthorized): XSOAR 8 rejected the key" in message
    assert "None" not in message
    assert "api_key_id" in message and "api_key_type" in message
    assert KEY not in message
    assert len(http_server.requests) == 1  # a 401 is not retried


def test_xsoar6_403_csrf_body(http_server):
    """XSOAR 6's wrong-key answer: 403 {"id": "forbidden", "detail": "Issue with CSRF code", "error": "http:
    named cookie not present"} (demisto-py README, troubleshooting; xsoar-api.md "Deployments and
    authentication"): the message says it is the key, not CSRF."""
    body = {
        "id": "forbidden",
        "status": 403,
        "detail": "Issue with CSRF code",
        "error": "http: named cookie not present",
    }
    http_server.script = [("answer", 403, body, {})]
    with pytest.raises(XsoarAuthError) as caught:
        api.search(client_for(http_server), {}, limit=1)
    assert "XSOAR 6 answers a wrong or revoked API key with 403" in str(caught.value)
    assert "check api_key" in str(caught.value)


def test_every_post_says_it_is_json(http_server):
    """Live XSOAR 8 / XSIAM answer 415 to a POST without Content-Type: application/json (xsoar-api.md
    "Real servers, round 3", moderate): every POST the client sends carries it, writes included."""
    http_server.script = [
        ("answer", 200, {"total": 0, "data": None}, {}),
        ("answer", 201, kibana_recorded_create_answer(), {}),
    ]
    client = client_for(http_server, api_key_id="17")
    api.search(client, {"name": ["x"]})
    api.create(client, {"name": "My test incident"})
    content_types = [headers.get("Content-Type") for method, path, body, headers in http_server.requests]
    assert content_types == ["application/json", "application/json"]


# -- create and search answers ---------------------------------------------------------------------


def test_kibana_recorded_xsoar8_create_answer(http_server):
    """XSOAR 8 answers a create with 201 and the new incident (XSOAR 8 "Create or update an incident" page;
    Kibana's recorded answer in xsoar.test.ts): taken as created, its version 0 and epoch `modified` kept
    as the server sent them."""
    http_server.script = [("answer", 201, kibana_recorded_create_answer(), {})]
    incident, status = api.create(client_for(http_server, api_key_id="17"), {"name": "My test incident"})
    assert status == 201
    assert incident["id"] == "7" and incident["version"] == 0
    assert incident["modified"] == "1970-01-01T00:00:00Z"


def test_xsoar8_create_accepted_without_content(http_server):
    """200 with no content: accepted, but no incident was created, e.g. a pre-processing rule dropped it
    (XSOAR 8 "Create or update an incident" page, xsoar-api.md "Create an incident")."""
    http_server.script = [("answer", 200, None, {})]
    assert api.create(client_for(http_server, api_key_id="17"), {"name": "Dropped"}) == (None, 200)


def test_search_answer_with_null_data(http_server):
    """`data` is null when nothing matched (xsoar-api.md "Find incidents")."""
    http_server.script = [("answer", 200, {"total": 0, "data": None}, {})]
    assert api.search(client_for(http_server), {"name": ["Nothing"]}) == (0, [])


def test_name_search_answers_by_words(http_server):
    """The server's `filter.name` matches words, not exact names (demisto/content PR #16384 re-filters
    SearchIncidentsV2 by exact name, screenshots from 6.2 and 6.5): only the exact name is taken."""
    word_matches = [
        dict(kibana_recorded_create_answer(), id="9", name="Disk full on db1 and db2"),
        dict(kibana_recorded_create_answer(), id="8", name="disk FULL on db1"),
        dict(kibana_recorded_create_answer(), id="7", name="Disk full on db1"),
    ]
    http_server.script = [("answer", 200, {"total": 3, "data": word_matches}, {})]
    found = api.find_by_names(client_for(http_server), ["Disk full on db1"])
    assert [incident["id"] for incident in found["Disk full on db1"]] == ["7"]


# -- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # XSOAR 6: local offsets with microseconds (demisto/content Packs/DemistoRESTAPI/Scripts/UploadFile/
        # UploadFile_test.py records "2020-07-08T11:30:14.386972+03:00")
        ("2020-07-08T11:30:14.386972+03:00", calendar.timegm((2020, 7, 8, 8, 30, 14)) + 0.386972),
        # XSOAR 8: `created` with trailing zeros of the fraction trimmed, `occurred` with nanoseconds
        # (xsoar-api.md "Real servers, round 3", "Time formats")
        ("2026-12-01T10:31:52.38Z", calendar.timegm((2026, 12, 1, 10, 31, 52)) + 0.38),
        ("2026-12-01T10:31:52.380114500Z", calendar.timegm((2026, 12, 1, 10, 31, 52)) + 0.3801145),
        # Go's zero time, XSOAR's "never" for `closed` (xsoar-api.md "Create an incident", the simulator)
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_poller_reads_the_servers_times(text, expected):
    parsed = incident_poller.parse_time(text)
    assert parsed == pytest.approx(expected) if expected is not None else parsed is None


def test_times_of_both_deployments_order_as_times():
    """An XSOAR 6 local-offset time and an XSOAR 8 trimmed one order by the moment they name, not as text
    (the same sources as above): 11:30+03:00 is before 09:00Z."""
    xsoar6 = {"id": "10", "created": "2020-07-08T11:30:14.386972+03:00"}
    xsoar8 = {"id": "9", "created": "2020-07-08T09:00:00.5Z"}
    assert sorted([xsoar8, xsoar6], key=created_order) == [xsoar6, xsoar8]


def test_poller_delivers_xsoar6_incidents_indexed_in_local_time():
    """The poller's window is kept in parsed times: an incident written with XSOAR 6's local offset is
    new once, whatever the offset (demisto/content UploadFile_test.py for the format)."""
    tracker = incident_poller.Tracker(lookback=300)
    first = {"id": "1", "version": 1, "created": "2020-07-08T11:30:14.386972+03:00"}
    assert tracker.select([first], server_now=calendar.timegm((2020, 7, 8, 8, 30, 20))) == []
    second = {"id": "2", "version": 1, "created": "2020-07-08T08:30:30.5Z"}
    events = tracker.select([second, first])
    assert events == [{"incident": second, "event": "new"}]
    assert tracker.select([second, first]) == []


def test_poller_in_modified_mode_delivers_a_new_xsoar8_incident():
    """A new XSOAR 8 incident has version 0 and `modified` 1970-01-01T00:00:00Z until its first change
    (Kibana's recorded create answer in xsoar.test.ts; the XSOAR 8 docs' "get an incident" example;
    xsoar-api.md "Real servers, round 3"): the epoch means "never modified", so the incident is new."""
    tracker = incident_poller.Tracker(lookback=300, modified=True)
    start = calendar.timegm((2026, 12, 1, 10, 31, 0))
    assert tracker.select([], server_now=start) == []
    fresh = kibana_recorded_create_answer()
    assert tracker.select([fresh]) == [{"incident": fresh, "event": "new"}]
    assert tracker.select([fresh]) == []


def test_close_answered_as_the_xsoar8_docs_example_is_waited_for(http_server):
    """The XSOAR 8 docs' close example answers with the notes stored and version 2, but status 1 and a zero
    `closed` time (xsoar-api.md "Real servers, round 3", "Close may not be immediate on XSOAR 8"): the close
    is proven by loading the incident until it reads closed, not taken from the answer."""
    not_yet = dict(kibana_recorded_create_answer(), version=2, status=1, closeNotes="done")
    closed = dict(not_yet, version=3, status=2, closed="2026-12-01T10:32:00.5Z")
    http_server.script = [
        ("answer", 200, {"total": 1, "data": [not_yet], "notUpdated": 0}, {}),
        ("answer", 200, not_yet, {}),
        ("answer", 200, closed, {}),
    ]
    result = api.close(client_for(http_server, api_key_id="17"), ["7"], close_notes="done", wait=5)
    assert [incident["status"] for incident in result.incidents] == [2]
    assert result.one_by_one == []
    load = "/xsoar/public/v1/incident/load/7"
    assert http_server.paths() == ["/xsoar/incident/batchClose", load, load]
