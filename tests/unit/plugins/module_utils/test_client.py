# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client: retry delays, advanced-key signing, error messages, redaction, the retry loop."""

import hashlib
import re
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarConnectionError, XsoarOutcomeUnknown

from ansible_collections.xsoar.connector.plugins.module_utils import client as client_module
from ansible_collections.xsoar.connector.plugins.module_utils.client import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    RETRY_AFTER_MAX,
    SNIPPET_LENGTH,
    Client,
    advanced_key_headers,
    auth_message,
    html_message,
    looks_like_html,
    not_found_message,
    retry_delay,
    server_message,
    tls_message,
)
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values

KEY = "k3y-0123456789abcdef"


def settings(**changes):
    values = connection_values(api_key=KEY)
    values.update(changes)
    return values


# -- retry_delay ---------------------------------------------------------------------------------


@pytest.mark.parametrize("header, expected", [("0", 0.0), ("1", 1.0), ("2.5", 2.5), (" 7 ", 7.0), (3, 3.0)])
def test_retry_after_is_honoured(header, expected):
    assert retry_delay(1, header) == expected
    assert retry_delay(5, header) == expected


@pytest.mark.parametrize("header", ["61", "3600", "1e9", "inf"])
def test_retry_after_is_capped(header):
    assert retry_delay(1, header) == RETRY_AFTER_MAX


@pytest.mark.parametrize("header", ["-5", "-inf"])
def test_negative_retry_after_means_no_wait(header):
    assert retry_delay(1, header) == 0.0


@pytest.mark.parametrize("header", ["Wed, 21 Oct 2015 07:28:00 GMT", "soon", "", "nan", "NaN"])
def test_unusable_retry_after_falls_back_to_backoff(header):
    for _dummy in range(50):
        delay = retry_delay(1, header)
        assert BACKOFF_BASE * 0.8 <= delay <= BACKOFF_BASE * 1.2


@pytest.mark.parametrize("attempt", [1, 2, 3, 4])
def test_backoff_doubles_with_jitter(attempt):
    nominal = BACKOFF_BASE * 2 ** (attempt - 1)
    delays = [retry_delay(attempt) for dummy in range(200)]
    assert all(nominal * 0.8 <= delay <= nominal * 1.2 for delay in delays)
    assert len(set(delays)) > 1, "no jitter"


@pytest.mark.parametrize("attempt", [5, 6, 10, 11, 50, 5000])
def test_backoff_is_bounded(attempt):
    delays = [retry_delay(attempt) for dummy in range(200)]
    assert all(BACKOFF_MAX * 0.8 <= delay <= BACKOFF_MAX for delay in delays)


@pytest.mark.parametrize("attempt", [0, -3])
def test_backoff_for_odd_attempt_numbers(attempt):
    assert BACKOFF_BASE * 0.8 <= retry_delay(attempt) <= BACKOFF_BASE * 1.2


# -- advanced keys -------------------------------------------------------------------------------


def test_advanced_key_signature():
    nonce = "a" * 64
    headers = advanced_key_headers(KEY, now_ms=1700000000123, nonce=nonce)
    assert headers == {
        "x-xdr-timestamp": "1700000000123",
        "x-xdr-nonce": nonce,
        "Authorization": hashlib.sha256((KEY + nonce + "1700000000123").encode("utf-8")).hexdigest(),
    }


def test_advanced_key_never_sends_the_key():
    headers = advanced_key_headers(KEY)
    assert all(KEY not in value for value in headers.values())
    assert re.match(r"^[0-9a-f]{64}$", headers["Authorization"])


def test_advanced_key_nonce_and_timestamp():
    before = int(time.time() * 1000)
    headers = advanced_key_headers(KEY)
    after = int(time.time() * 1000)
    assert re.match(r"^[A-Za-z0-9]{64}$", headers["x-xdr-nonce"])
    assert before <= int(headers["x-xdr-timestamp"]) <= after
    signed = KEY + headers["x-xdr-nonce"] + headers["x-xdr-timestamp"]
    assert headers["Authorization"] == hashlib.sha256(signed.encode("utf-8")).hexdigest()


def test_advanced_key_nonces_differ():
    nonces = {advanced_key_headers(KEY)["x-xdr-nonce"] for dummy in range(100)}
    assert len(nonces) == 100


# -- server_message ------------------------------------------------------------------------------


def test_server_message_xsoar6():
    data = {
        "id": "forbidden",
        "status": 403,
        "title": "Forbidden",
        "detail": "Issue with CSRF code",
        "error": "http: named cookie not present",
    }
    assert server_message(data, "ignored") == "Forbidden; Issue with CSRF code; http: named cookie not present"


def test_server_message_xsoar6_partial():
    assert server_message({"detail": "DB version conflict"}, "") == "DB version conflict"


def test_server_message_xsoar8():
    data = {"reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": "bad key"}}
    assert server_message(data, "") == "Public API request unauthorized: bad key"
    data["reply"]["err_extra"] = None
    assert server_message(data, "") == "Public API request unauthorized"


def test_server_message_text_is_collapsed_and_cut():
    text = "  404 page\n\n not   found  " + "x" * 1000
    message = server_message(None, text)
    assert message.startswith("404 page not found x")
    assert len(message) == SNIPPET_LENGTH


@pytest.mark.parametrize("data", [None, {}, [], {"reply": "oops"}, {"title": ""}, "text"])
def test_server_message_falls_back_to_text(data):
    assert server_message(data, "plain answer") == "plain answer"


def test_server_message_nothing():
    assert server_message(None, None) == ""
    assert server_message(None, "") == ""


@pytest.mark.parametrize(
    "content_type, text, expected",
    [
        ("text/html; charset=utf-8", "", True),
        ("application/json", "  <!DOCTYPE html>", True),
        ("application/json", '{"a": 1}', False),
        (None, "", False),
        (None, "<html>", True),
    ],
)
def test_looks_like_html(content_type, text, expected):
    assert looks_like_html(content_type, text) is expected


# -- messages ------------------------------------------------------------------------------------


def test_auth_message_xsoar6_csrf():
    message = auth_message(403, "Forbidden; Issue with CSRF code", None)
    assert "403" in message
    assert "CSRF" in message
    assert "check api_key" in message
    assert "api_key_id is set" not in message


def test_auth_message_xsoar6_csrf_with_key_id():
    message = auth_message(403, "Issue with CSRF code", "17")
    assert "api_key_id is set" in message
    assert "only for XSOAR 8" in message


def test_auth_message_xsoar8():
    message = auth_message(401, "Public API request unauthorized", "17")
    assert "401" in message
    assert "Public API request unauthorized" in message
    for option in ("api_key", "api_key_id", "api_key_type"):
        assert option in message


def test_auth_message_without_key_id():
    message = auth_message(401, "unauthorized", None)
    assert "401" in message
    assert "for XSOAR 8 / cloud also set api_key_id" in message


def test_not_found_message_with_key_id():
    message = not_found_message("GET", "/about", "https://x.example.com/xsoar/public/v1", "17")
    assert "GET https://x.example.com/xsoar/public/v1/about: HTTP 404" in message
    assert "remove api_key_id" in message


def test_not_found_message_without_key_id():
    message = not_found_message("POST", "/incident", "https://x.example.com", None)
    assert "POST https://x.example.com/incident: HTTP 404" in message
    assert "set api_key_id" in message


def test_html_message():
    message = html_message("https://xsoar.example.com", 200)
    assert "https://xsoar.example.com answered HTTP 200 with an HTML page" in message
    assert "web UI" in message
    assert "api_key_id" in message


def test_tls_message_untrusted_certificate():
    error = client_module.rexc.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed")
    message = tls_message("https://xsoar.example.com", error)
    assert "not trusted" in message
    assert "ca_path" in message
    assert "validate_certs" in message


def test_tls_message_other_handshake_error():
    error = client_module.rexc.SSLError(ValueError("[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    message = tls_message("https://xsoar.example.com:80", error)
    assert "TLS handshake" in message
    assert "WRONG_VERSION_NUMBER" in message


# -- Client ----------------------------------------------------------------------------------------


def test_redact_hides_the_key():
    client = Client(settings())
    try:
        assert client.redact(f"Authorization: {KEY}, again {KEY}") == "Authorization: ********, again ********"
        assert client.redact(ValueError("bad " + KEY)) == "bad ********"
        assert client.redact("nothing secret") == "nothing secret"
    finally:
        client.close()


def test_advanced_headers_never_carry_the_key():
    client = Client(settings(api_key_type="advanced", api_key_id="42"))
    try:
        headers = client._auth_headers()
        assert headers["x-xdr-auth-id"] == "42"
        assert KEY not in headers.values()
    finally:
        client.close()


def test_standard_headers_and_family():
    client = Client(settings(api_key_id="17"))
    try:
        assert client._auth_headers() == {"Authorization": KEY, "x-xdr-auth-id": "17"}
        assert client.deployment_family == "xsoar8"
        assert client.api_base == "https://xsoar.example.com/xsoar/public/v1"
        assert client.legacy_base == "https://xsoar.example.com/xsoar"
    finally:
        client.close()
    client = Client(settings(api_key_id=""))
    try:
        assert client._auth_headers() == {"Authorization": KEY}
        assert client.deployment_family == "xsoar6"
        assert client.api_base == "https://xsoar.example.com"
        assert client.legacy_base == "https://xsoar.example.com"
    finally:
        client.close()


# -- the retry loop (request), against a scripted server on 127.0.0.1 -------------------------------


def served_client(server, **changes):
    sleeps = []
    values = dict(url=server.url, timeout=1.0, retries=2)
    values.update(changes)
    client = Client(settings(**values), sleep=sleeps.append)
    return client, sleeps


def test_retries_exhausted_names_attempts_and_last_status(http_server):
    http_server.script = [
        ("answer", 503, None, {}),
        ("answer", 502, None, {}),
        ("answer", 503, {"title": "Service Unavailable"}, {}),
    ]
    client, sleeps = served_client(http_server)
    with pytest.raises(XsoarConnectionError) as error:
        client.post("/incidents/search", {})
    assert str(error.value) == (
        "POST /incidents/search failed after 3 attempts (retries=2); last error: HTTP 503 Service Unavailable"
    )
    assert len(http_server.requests) == 3
    assert len(sleeps) == 2


def test_retry_after_is_waited_then_the_write_is_resent(http_server):
    http_server.script = [("answer", 429, None, {"Retry-After": "1"}), ("answer", 201, {"id": "1"}, {})]
    client, sleeps = served_client(http_server)
    assert client.post("/incident", {"name": "x"}, expected=(200, 201), idempotent=False).json == {"id": "1"}
    assert sleeps == [1.0]  # a 429 was not acted on: re-sent at once, by the client
    assert http_server.paths() == ["/incident", "/incident"]


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_error_to_a_write_is_reported_not_resent(http_server, status):
    http_server.script = [("answer", status, None, {})]
    client, sleeps = served_client(http_server)
    with pytest.raises(XsoarOutcomeUnknown) as error:
        client.post("/incident", {"name": "x"}, expected=(200, 201), idempotent=False)
    assert error.value.resend_safe is True
    assert f"HTTP {status}" in str(error.value)
    assert len(http_server.requests) == 1 and sleeps == []


def test_read_timeout_on_a_write_is_reported_as_not_resend_safe(http_server):
    http_server.script = [("slow", 1.5, 201, {"id": "1"})]
    client, sleeps = served_client(http_server, timeout=0.5)
    with pytest.raises(XsoarOutcomeUnknown) as error:
        client.post("/incident", {"name": "x"}, expected=(200, 201), idempotent=False)
    assert error.value.resend_safe is False
    assert str(error.value).startswith(f"POST /incident: no answer from {http_server.url} within 0.5s")
    assert len(http_server.requests) == 1


def test_dropped_write_is_reported(http_server):
    http_server.script = [("drop",)]
    client, sleeps = served_client(http_server)
    with pytest.raises(XsoarOutcomeUnknown) as error:
        client.post("/incident", {"name": "x"}, expected=(200, 201), idempotent=False)
    assert error.value.resend_safe is True
    assert len(http_server.requests) == 1


def test_read_timeout_and_drop_on_a_read_are_retried(http_server):
    http_server.script = [("slow", 1.5, 200, {}), ("drop",), ("answer", 200, {"total": 0}, {})]
    client, sleeps = served_client(http_server, timeout=0.5)
    assert client.post("/incidents/search", {}).json == {"total": 0}
    assert len(http_server.requests) == 3 and len(sleeps) == 2


def test_the_key_goes_in_the_header_and_json_out_strictly(http_server):
    http_server.script = [("answer", 200, {"total": 0}, {})]
    client, sleeps = served_client(http_server, api_key_id="17")
    client.post("/incidents/search", {"filter": {"size": 1}})
    method, path, body, headers = http_server.requests[0]
    assert path == "/xsoar/public/v1/incidents/search"
    assert body == {"filter": {"size": 1}}
    assert headers["Authorization"] == KEY and headers["x-xdr-auth-id"] == "17"
    with pytest.raises(ValueError):
        client.post("/incident", {"severity": float("nan")})  # validation refuses it first; never sent
    assert len(http_server.requests) == 1


def test_environment_is_resolved_once(monkeypatch, http_server):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    client = Client(settings(url="https://xsoar.example.com"))
    assert client._proxies["https"] == "http://proxy.example:3128"
    assert client._verify == "/etc/ssl/bundle.pem"
    assert client._thread_session().trust_env is False
    client = Client(settings(url="https://xsoar.example.com", proxy="http://mine:8080", ca_path="/ca.pem"))
    assert client._proxies == {"http": "http://mine:8080", "https": "http://mine:8080"}
    assert client._verify == "/ca.pem"
    monkeypatch.setenv("NO_PROXY", "xsoar.example.com")
    assert Client(settings(url="https://xsoar.example.com"))._proxies is None
    assert Client(settings(validate_certs=False))._verify is False


@pytest.mark.parametrize(
    "environment, option, origin",
    [
        ({"HTTPS_PROXY": "http://p:1"}, None, "the HTTPS_PROXY environment variable"),
        ({"https_proxy": "http://p:1"}, None, "the https_proxy environment variable"),
        ({"ALL_PROXY": "http://p:1"}, None, "the ALL_PROXY environment variable"),
        ({"HTTPS_PROXY": "http://p:1"}, "http://mine:8080", "the proxy option (XSOAR_PROXY)"),
        ({"HTTP_PROXY": "http://p:1"}, None, None),  # an https url takes no http proxy
        ({}, None, None),
    ],
)
def test_the_proxy_origin_names_the_setting_it_came_from(monkeypatch, environment, option, origin):
    for name in (
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert Client(settings(url="https://xsoar.example.com", proxy=option))._proxy_origin == origin


def test_untrusted_certificate_is_not_retried(https_server):
    https_server.script = [("answer", 201, {"id": "1"}, {})]
    client, sleeps = served_client(https_server, retries=3)
    with pytest.raises(XsoarConnectionError, match=f"TLS certificate of {https_server.url} is not trusted"):
        client.post("/incident", {}, idempotent=False)
    assert client.request_count == 1 and sleeps == []
    assert https_server.requests == []  # nothing reached the HTTP layer


# -- multipart uploads (Client.upload) -------------------------------------------------------------


def test_upload_is_multipart_never_json(http_server):
    http_server.script = [("answer", 200, {"id": "7", "entries": []}, {})]
    client, sleeps = served_client(http_server)
    answer = client.upload("/entry/upload/7", {"fileComment": "df", "isNoteEntry": "true"}, "df.txt", b"97%\x00")
    assert answer.json == {"id": "7", "entries": []}
    method, path, body, headers = http_server.requests[0]
    assert (method, path) == ("POST", "/entry/upload/7")
    content_type = headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert "json" not in content_type
    boundary = content_type.split("boundary=")[1].encode()
    assert body.count(b"--" + boundary) == 4  # three parts and the end
    assert b'name="fileComment"\r\n\r\ndf\r\n' in body
    assert b'name="isNoteEntry"\r\n\r\ntrue\r\n' in body
    assert b'name="file"; filename="df.txt"' in body
    assert b"\r\n\r\n97%\x00\r\n" in body
    assert headers["Authorization"] == KEY
    # the session's JSON content type still goes with the next JSON request
    http_server.script = [("answer", 200, {"total": 0}, {})]
    client.post("/incidents/search", {})
    assert http_server.requests[1][3]["Content-Type"] == "application/json"


def test_upload_with_unknown_outcome_is_not_resent(http_server):
    http_server.script = [("answer", 502, None, {})]
    client, sleeps = served_client(http_server)
    with pytest.raises(XsoarOutcomeUnknown):
        client.upload("/entry/upload/7", {}, "df.txt", b"x")
    assert len(http_server.requests) == 1 and sleeps == []


def test_upload_refused_with_429_is_sent_again_whole(http_server):
    http_server.script = [("answer", 429, None, {"Retry-After": "0"}), ("answer", 200, {"id": "7"}, {})]
    client, sleeps = served_client(http_server)
    client.upload("/incident/upload/7", {"field": "attachment"}, "a.log", b"evidence")
    first, second = (request[2] for request in http_server.requests)
    assert first == second and b"evidence" in second
