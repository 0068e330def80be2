# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client: retry delays, advanced-key signing, error messages, redaction, the retry loop."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarConnectionError

from ansible_collections.xsoar.connector.plugins.module_utils import client as client_module
from ansible_collections.xsoar.connector.plugins.module_utils.client import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    RETRY_AFTER_MAX,
    SNIPPET_LENGTH,
    Client,
    Response,
    _CertificateRejected,
    _OutcomeUnknown,
    advanced_key_headers,
    auth_message,
    html_message,
    looks_like_html,
    not_found_message,
    retry_delay,
    server_message,
    tls_message,
)

KEY = "k3y-0123456789abcdef"


def settings(**changes):
    values = dict(url="https://xsoar.example.com", api_key=KEY, api_key_id=None, api_key_type="standard",
                  validate_certs=True, ca_path=None, client_cert=None, client_key=None, proxy=None,
                  timeout=30.0, retries=3)
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
    for dummy in range(50):
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
    nonces = set(advanced_key_headers(KEY)["x-xdr-nonce"] for dummy in range(100))
    assert len(nonces) == 100


# -- server_message ------------------------------------------------------------------------------

def test_server_message_xsoar6():
    data = {"id": "forbidden", "status": 403, "title": "Forbidden", "detail": "Issue with CSRF code",
            "error": "http: named cookie not present"}
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


@pytest.mark.parametrize("content_type, text, expected", [
    ("text/html; charset=utf-8", "", True),
    ("application/json", "  <!DOCTYPE html>", True),
    ("application/json", '{"a": 1}', False),
    (None, "", False),
    (None, "<html>", True),
])
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
        assert client.redact("Authorization: %s, again %s" % (KEY, KEY)) == "Authorization: ********, again ********"
        assert client.redact(ValueError("bad " + KEY)) == "bad ********"
        assert client.redact("nothing secret") == "nothing secret"
    finally:
        client.close()


def test_redact_hides_advanced_signatures():
    client = Client(settings(api_key_type="advanced", api_key_id="42"))
    try:
        headers = client._auth_headers()
        assert headers["x-xdr-auth-id"] == "42"
        assert KEY not in headers.values()
        assert client.redact("echo %s" % headers["Authorization"]) == "echo ********"
    finally:
        client.close()


def test_standard_headers_and_family():
    client = Client(settings(api_key_id="17"))
    try:
        assert client._auth_headers() == {"Authorization": KEY, "x-xdr-auth-id": "17"}
        assert client.deployment_family == "xsoar8"
        assert client.api_base == "https://xsoar.example.com/xsoar/public/v1"
    finally:
        client.close()
    client = Client(settings(api_key_id=""))
    try:
        assert client._auth_headers() == {"Authorization": KEY}
        assert client.deployment_family == "xsoar6"
        assert client.api_base == "https://xsoar.example.com"
    finally:
        client.close()


# -- the retry loop (request), with scripted exchanges instead of HTTP ------------------------------

def read_timeout():
    return _OutcomeUnknown("no answer within 1s", resend_safe=False)


def dropped():
    return _OutcomeUnknown("connection dropped without an answer")


def answer(status, data=None, headers=None):
    body = b"" if data is None else __import__("json").dumps(data).encode()
    return Response(status, headers or {}, body, data)


class Scripted:
    """A client whose exchanges are taken from a list (an exception is raised, a Response returned)."""

    def __init__(self, exchanges, retries=2, look_ups=()):
        self.client = Client(settings(retries=retries), sleep=self.sleep)
        self.client._send = self.send
        self.exchanges = list(exchanges)
        self.look_ups = list(look_ups)
        self.sent = 0
        self.looked = 0
        self.sleeps = []

    def send(self, method, url, data):
        self.sent += 1
        exchange = self.exchanges.pop(0)
        if isinstance(exchange, Exception):
            raise exchange
        return exchange

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def reconcile(self):
        self.looked += 1
        return self.look_ups.pop(0) if self.look_ups else None

    def create(self):
        return self.client.post("/incident", {"name": "x"}, expected=(200, 201), idempotent=False,
                                reconcile=self.reconcile)


def test_retries_exhausted_names_attempts_and_last_status():
    run = Scripted([answer(503), answer(502), answer(503, {"title": "Service Unavailable"})], retries=2)
    with pytest.raises(XsoarConnectionError) as error:
        run.client.post("/incidents/search", {})
    assert str(error.value) == (
        "POST /incidents/search failed after 3 attempts (retries=2); last error: HTTP 503 Service Unavailable")
    assert run.sent == 3
    assert len(run.sleeps) == 2


def test_retry_after_is_waited_then_success():
    run = Scripted([answer(429, headers={"Retry-After": "1"}), answer(201, {"id": "1"})])
    assert run.create().json == {"id": "1"}
    assert run.sleeps == [1.0]
    assert run.looked == 0  # a 429 was not acted on: re-sent without a look-up


def test_gateway_error_after_store_is_found_not_resent():
    run = Scripted([answer(502)], look_ups=[{"id": "7"}])
    assert run.create() == {"id": "7"}
    assert run.sent == 1
    assert len(run.sleeps) == 1  # the look-up waits first: the server may finish late


def test_gateway_error_before_store_is_resent_after_a_look_up():
    run = Scripted([answer(504), answer(201, {"id": "1"})])
    assert run.create().json == {"id": "1"}
    assert (run.sent, run.looked) == (2, 1)


def test_read_timeout_on_a_write_is_looked_up_never_resent():
    run = Scripted([read_timeout()], retries=3, look_ups=[None, None, {"id": "3"}])
    assert run.create() == {"id": "3"}
    assert (run.sent, run.looked) == (1, 3)


def test_read_timeout_on_a_write_not_found_fails_without_resending():
    run = Scripted([read_timeout()], retries=1)
    with pytest.raises(XsoarConnectionError) as error:
        run.create()
    assert (run.sent, run.looked) == (1, 2)
    message = str(error.value)
    assert message.startswith("POST /incident: no answer within 1s; it was not found in 2 look-ups since")
    assert "not sent again" in message


def test_read_timeout_on_a_write_without_reconcile_fails_at_once():
    run = Scripted([read_timeout()], retries=3)
    with pytest.raises(XsoarConnectionError) as error:
        run.client.post("/incident", {}, idempotent=False)
    assert run.sent == 1
    assert run.sleeps == []
    assert "cannot be looked up" in str(error.value)


def test_read_timeout_on_a_read_is_retried():
    run = Scripted([read_timeout(), answer(200, {"total": 0})])
    assert run.client.post("/incidents/search", {}).json == {"total": 0}
    assert run.sent == 2


def test_dropped_write_not_found_is_resent():
    run = Scripted([dropped(), answer(201, {"id": "2"})])
    assert run.create().json == {"id": "2"}
    assert (run.sent, run.looked) == (2, 1)


def test_dropped_write_found_on_the_last_attempt():
    run = Scripted([dropped()], retries=0, look_ups=[{"id": "4"}])
    assert run.create() == {"id": "4"}


def test_untrusted_certificate_is_not_retried():
    run = Scripted([_CertificateRejected("TLS certificate of x is not trusted")], retries=3)
    with pytest.raises(XsoarConnectionError, match="not trusted"):
        run.create()
    assert (run.sent, run.sleeps, run.looked) == (1, [], 0)
