# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""api_request: path checking and the decisions of xsoar_api from tables; retries, prefixes, check mode
and redaction through the real client against a scripted HTTP server."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import api_request
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarConnectionError,
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
)
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values

KEY = "k3y-S3CR3T-abcdefghijklmnop"

ACCEPTED_PATHS = [
    "/incidents/search",
    "/incident/load/123",
    "/about",
    "/lists",
    "/lists/download/blocked_ips",
    "/incidents/search?size=10&page=0",
    "/indicators/search?query=value%3A10.0.0.1",  # an encoded ":" is fine
    "/lists/download/my%20list",  # an encoded space is fine
    "/lists/download/50%25",  # a percent sign, encoded once
    "/incident/my..name",  # dots inside a segment are not a dot segment
    "/v2/inv-playbook/task/complete",
    "/xsoarish/route",  # only /xsoar itself is the prefix
]

REFUSED_PATHS = [
    ("", "path is empty"),
    ("https://evil.example.com/incidents/search", "is an absolute URL"),
    ("http://127.0.0.1/about", "is an absolute URL"),
    ("javascript:alert(1)", "is an absolute URL"),
    ("xsoar.example.com/about", "must start with /"),
    ("incidents/search", "must start with /"),
    ("@evil.example.com/about", "must start with /"),
    ("//evil.example.com/about", "names another host"),
    ("/about#x", "has a fragment"),
    ("/incidents/ search", "contains spaces"),
    ("/about\r\nX-Injected: 1", "contains spaces"),
    ("/about%0d%0aX-Injected:%201", "control characters"),
    ("/about%00", "control characters"),
    ("/incident/../apikeys", "a . or .. segment"),
    ("/incident/..", "a . or .. segment"),
    ("/incident/./load", "a . or .. segment"),
    ("/incident/%2e%2e/apikeys", "a . or .. segment"),
    ("/incident/%2E%2E/apikeys", "a . or .. segment"),
    ("/incident/.%2e/apikeys", "a . or .. segment"),
    ("/incident/%252e%252e/apikeys", "percent-encoded more than once"),
    ("/incident%2f..%2fapikeys", "an encoded / or"),
    ("/incident%2Fload", "an encoded / or"),
    ("/incident\\..\\apikeys", "a backslash"),
    ("/incident%5c..%5capikeys", "an encoded / or"),
    ("/incident/..;/apikeys", "contains ';' before the query"),
    ("/incident;jsessionid=1/load", "contains ';' before the query"),
    ("/incidents/search?next=../../apikeys", "a . or .. segment"),
    ("/incidents/search?x=%2e%2e/apikeys", "a . or .. segment"),
    ("/xsoar/public/v1/incidents/search", "starts with /xsoar"),
    ("/xsoar/about", "starts with /xsoar"),
    ("/xsoar", "starts with /xsoar"),
    ("/%78soar/about", "starts with /xsoar"),
]


@pytest.mark.parametrize("path", ACCEPTED_PATHS)
def test_check_path_accepts(path):
    assert api_request.check_path(path) == path


@pytest.mark.parametrize("path, message", REFUSED_PATHS)
def test_check_path_refuses(path, message):
    with pytest.raises(XsoarInputError) as caught:
        api_request.check_path(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith("path")


@pytest.mark.parametrize(
    "base, path, url",
    [
        ("https://x.example.com", "/about", "https://x.example.com/about"),
        ("https://x.example.com/xsoar", "/about?a=1", "https://x.example.com/xsoar/about?a=1"),
        ("https://x.example.com:8443/xsoar/public/v1", "/incidents/search", None),
    ],
)
def test_request_url_stays_under_the_base(base, path, url):
    assert api_request.request_url(base, path) == (url or base + path)


@pytest.mark.parametrize(
    "base, path",
    [
        ("https://x.example.com", "@evil.example.com/about"),  # user info: another host
        ("https://x.example.com", ".evil.example.com/about"),
        ("https://x.example.com", ":8080/about"),  # another port
        ("https://x.example.com/xsoar", "about"),  # glued to the prefix
        ("https://x.example.com/xsoar", "-evil/about"),
    ],
)
def test_request_url_refuses_another_place(base, path):
    with pytest.raises(XsoarInputError, match="would leave the API"):
        api_request.request_url(base, path)


# method, idempotent, changed option -> (sent in check mode, retried, changed)
DECISIONS = [
    ("GET", None, None, (True, True, False)),
    ("GET", False, None, (True, False, False)),
    ("GET", None, True, (True, True, True)),
    ("POST", None, None, (False, False, True)),
    ("POST", True, None, (False, True, True)),
    ("POST", None, False, (False, False, False)),
    ("PUT", None, None, (False, False, True)),
    ("PATCH", True, False, (False, True, False)),
    ("DELETE", None, None, (False, False, True)),
]


def params(**changes):
    values = dict(
        method="GET",
        path="/about",
        body=None,
        prefix="auto",
        status_code=[200, 201, 204],
        idempotent=None,
        changed=None,
    )
    values.update(changes)
    return values


@pytest.mark.parametrize("method, idempotent, changed, expected", DECISIONS)
def test_decisions(method, idempotent, changed, expected):
    body = None if method == "GET" else {"a": 1}
    request = api_request.prepare_api(params(method=method, idempotent=idempotent, changed=changed, body=body))
    assert (api_request.sends_in_check_mode(request.method), request.retry, request.changed) == expected


@pytest.mark.parametrize(
    "key_id, prefix, bases",
    [
        (None, "auto", ("U",)),
        (None, "public", ("U",)),
        (None, "legacy", ("U",)),
        ("", "legacy", ("U",)),
        ("17", "auto", ("U/xsoar/public/v1", "U/xsoar")),
        ("17", "public", ("U/xsoar/public/v1",)),
        ("17", "legacy", ("U/xsoar",)),
    ],
)
def test_prefix_bases(key_id, prefix, bases):
    assert api_request.prefix_bases("U", key_id, prefix) == bases


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(body={"a": 1}), "body is set but method is GET"),
        (dict(method="POST", body="{not json"), "body is a string that is not JSON"),
        (dict(method="POST", body={"a": float("nan")}), "body cannot be sent as JSON"),
        (dict(method="POST", body={"a": object()}), "body cannot be sent as JSON"),
        (dict(status_code=[]), "status_code is empty"),
        (dict(status_code=[200, 99]), "status_code must hold HTTP statuses from 100 to 599, not 99"),
        (dict(path="https://evil.example.com/"), "is an absolute URL"),
    ],
)
def test_prepare_refuses(changes, message):
    with pytest.raises(XsoarInputError, match=message):
        api_request.prepare_api(params(**changes))


@pytest.mark.parametrize(
    "body, sent",
    [
        ('{"filter": {"size": 1}}', {"filter": {"size": 1}}),
        ("[1, 2]", [1, 2]),
        ({"name": "x"}, {"name": "x"}),
        (None, None),
    ],
)
def test_prepare_body(body, sent):
    assert api_request.prepare_api(params(method="POST", body=body)).body == sent


def test_redacted_walks_keys_and_values():
    def redact(text):
        return text.replace(KEY, "********")

    data = {"a": [KEY, {"b": "x" + KEY}], KEY: 1, "n": 2, "t": True, "z": None}
    assert api_request.redacted(data, redact) == {
        "a": ["********", {"b": "x********"}],
        "********": 1,
        "n": 2,
        "t": True,
        "z": None,
    }


# --- through the client, against a scripted server ----------------------------------------


def client_for(server, sleeps, **changes):
    settings = connection_values(url=server.url, api_key=KEY, timeout=5.0)
    settings.update(changes)
    return Client(settings, sleep=sleeps.append)


def run(server, check_mode=False, client_changes=None, **changes):
    sleeps = []
    client = client_for(server, sleeps, **(client_changes or {}))
    try:
        return api_request.run_api(client, api_request.prepare_api(params(**changes)), check_mode)
    finally:
        client.close()


def test_get_answers_json_redacted(http_server):
    http_server.script = [("answer", 200, {"echo": "key " + KEY, KEY: [KEY]}, {})]
    result = run(http_server, path="/about?x=1")
    assert http_server.requests[0][:2] == ("GET", "/about?x=1")
    assert result == {
        "changed": False,
        "method": "GET",
        "url": http_server.url + "/about?x=1",
        "body": None,
        "sent": True,
        "status": 200,
        "json": {"echo": "key ********", "********": ["********"]},
    }


@pytest.mark.parametrize("method", ["POST"])
def test_check_mode_sends_no_write(http_server, method):
    result = run(http_server, check_mode=True, method=method, path="/incident", body={"name": "x", "k": KEY})
    assert http_server.requests == []
    assert result["sent"] is False and result["changed"] is True
    assert result["body"] == {"name": "x", "k": "********"}
    assert "status" not in result and "json" not in result


def test_check_mode_sends_a_get(http_server):
    http_server.script = [("answer", 200, {"ok": 1}, {})]
    result = run(http_server, check_mode=True, path="/about")
    assert http_server.paths() == ["/about"]
    assert result["sent"] is True and result["json"] == {"ok": 1}


@pytest.mark.parametrize(
    "method, idempotent, requests",
    [
        ("GET", None, 4),  # a read: 1 + retries
        ("GET", False, 1),
        ("POST", None, 1),  # a write: sent once
        ("POST", True, 4),  # a write marked idempotent: retried like a read
    ],
)
def test_retries_only_for_reads_and_idempotent_writes(http_server, method, idempotent, requests):
    http_server.script = [("answer", 503, {"title": "busy"}, {})] * 4
    body = None if method == "GET" else {}
    with pytest.raises(XsoarConnectionError) as caught:
        run(http_server, method=method, idempotent=idempotent, path="/incidents/search", body=body)
    assert len(http_server.requests) == requests
    assert ("is sent once unless idempotent is true" in str(caught.value)) == (method == "POST" and not idempotent)


def test_unsafe_write_timeout_is_not_sent_again(http_server):
    http_server.script = [("slow", 2, 200, {})]
    with pytest.raises(XsoarOutcomeUnknown, match="it was not sent again"):
        run(http_server, client_changes=dict(timeout=0.5), method="POST", path="/incident", body={"name": "x"})
    assert len(http_server.requests) == 1


@pytest.mark.parametrize("status", [303, 405])
def test_auto_prefix_falls_back_to_legacy(http_server, status):
    http_server.script = [("answer", status, None, {}), ("answer", 200, [{"name": "blocked_ips"}], {})]
    result = run(http_server, client_changes=dict(api_key_id="17"), method="POST", path="/lists/save", body={})
    assert http_server.paths() == ["/xsoar/public/v1/lists/save", "/xsoar/lists/save"]
    assert result["url"] == http_server.url + "/xsoar/lists/save"
    assert result["json"] == [{"name": "blocked_ips"}]


@pytest.mark.parametrize(
    "prefix, paths, message",
    [
        ("public", ["/xsoar/public/v1/lists"], "prefix is public"),
        ("auto", ["/xsoar/public/v1/lists", "/xsoar/lists"], "The legacy prefix (/xsoar)"),
        ("legacy", ["/xsoar/lists"], "The legacy prefix (/xsoar)"),
    ],
)
def test_prefix_without_the_route(http_server, prefix, paths, message):
    http_server.script = [("answer", 303, None, {})] * 2
    with pytest.raises(XsoarResponseError) as caught:
        run(http_server, client_changes=dict(api_key_id="17"), prefix=prefix, path="/lists")
    assert http_server.paths() == paths
    assert message in str(caught.value)


@pytest.mark.parametrize("status, sign", [(303, "answered HTTP 303"), (404, "HTTP 404 not found")])
def test_message_names_the_address_asked(http_server, status, sign):
    http_server.script = [("answer", status, None, {})]
    with pytest.raises(XsoarResponseError) as caught:
        run(http_server, client_changes=dict(api_key_id="17"), prefix="legacy", path="/lists")
    assert f"GET {http_server.url}/xsoar/lists" in str(caught.value)
    assert sign in str(caught.value)


def test_no_fallback_on_other_errors(http_server):
    http_server.script = [("answer", 404, None, {})]
    with pytest.raises(XsoarResponseError):
        run(http_server, client_changes=dict(api_key_id="17"), path="/incident/load/1")
    assert http_server.paths() == ["/xsoar/public/v1/incident/load/1"]


def test_xsoar6_has_no_prefix(http_server):
    http_server.script = [("answer", 200, {}, {})]
    run(http_server, prefix="legacy", path="/about")
    assert http_server.paths() == ["/about"]


def test_expected_status_and_changed_as_declared(http_server):
    http_server.script = [("answer", 404, {"title": "not found"}, {})]
    result = run(http_server, path="/incident/load/9", status_code=[200, 404], changed=True)
    assert result["status"] == 404 and result["changed"] is True
    assert result["json"] == {"title": "not found"}
