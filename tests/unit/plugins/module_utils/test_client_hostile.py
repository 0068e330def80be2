# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client against hostile servers on 127.0.0.1: trickled headers, partial key echoes, huge answers."""

import base64
import email.utils
import re
import socket
import threading
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.raw_server import HostileServer

KEY = "Kq7Zr2Wm9Xv4Tn8Lp3Hs6Jd1Fg5Bc0Ny"


def client_for(url, **changes):
    # timeout generous: on a loaded machine a canned answer may take seconds; the deadline tests set their own
    settings = connection_values(url=url, api_key=KEY, timeout=10.0, retries=0)
    settings.update(changes)
    return Client(settings, sleep=lambda seconds: None)


def failure(server, **changes):
    """(message, seconds) of one search against `server` that must fail."""
    return timed_failure(client_for(server.url, **changes))


def timed_failure(client):
    """(message, seconds) of one search that must fail; the client is closed."""
    started = time.monotonic()
    try:
        with pytest.raises(XsoarError) as info:
            client.post("/incidents/search", {"filter": {}})
    finally:
        took = time.monotonic() - started
        client.close()
    return str(info.value), took


def trickle_headers(conn, head):
    """The status line, then a header one byte a second, for up to 30 s."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for byte in b"X-Slow: " + b"a" * 30:
        conn.sendall(bytes([byte]))
        time.sleep(1)


def trickle_status_line(conn, head):
    for byte in b"HTTP/1.1 200 OK\r\n" * 3:
        conn.sendall(bytes([byte]))
        time.sleep(1)


@pytest.mark.parametrize("respond", [trickle_headers, trickle_status_line])
@pytest.mark.parametrize("retries", [0, 1])
def test_trickled_headers_end_at_the_deadline(respond, retries):
    server = HostileServer(respond)
    try:
        message, took = failure(server, timeout=2.0, retries=retries)
    finally:
        server.close()
    # one deadline per request: connecting, headers and body together, at most a second late
    assert took < 3.0 * (retries + 1), took
    assert "did not complete within 2s" in message, message
    assert server.requests == retries + 1


def trickle_body_without_length(conn, head):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{")
    for _round in range(30):
        conn.sendall(b" ")
        time.sleep(1)


def test_a_body_trickled_until_close_ends_at_the_deadline():
    server = HostileServer(trickle_body_without_length)
    try:
        message, took = failure(server, timeout=2.0)
    finally:
        server.close()
    assert took < 3.0, took
    assert "did not complete within 2s" in message


def echo(text):
    def respond(conn, head):
        body = ('{"title": "bad request", "detail": "' + text + '"}').encode()
        conn.sendall(
            b"HTTP/1.1 400 Bad\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(body)
        )
        conn.sendall(body)

    return respond


ECHOES = {
    "first 16": KEY[:16],
    "last 12": KEY[-12:],
    "first 10...last 10": f"{KEY[:10]}...{KEY[-10:]}",
    "lower case": KEY.lower(),
    "8-character chunks": " ".join(KEY[i : i + 8] for i in range(0, len(KEY), 8)),
    "base64": base64.b64encode(KEY.encode()).decode(),
}


@pytest.mark.parametrize("shape", sorted(ECHOES))
def test_a_partial_echo_of_the_key_is_hidden_in_the_message(shape):
    server = HostileServer(echo(ECHOES[shape]))
    try:
        message, dummy = failure(server)
    finally:
        server.close()
    assert "HTTP 400" in message and "********" in message, message
    shown = [ECHOES[shape][i : i + 8] for i in range(len(ECHOES[shape]) - 7)]
    assert [piece for piece in shown if piece in message] == [], message


def echo_authorization(conn, head):
    signature = [line for line in head.split("\r\n") if line.lower().startswith("authorization:")][0]
    echo(signature.partition(":")[2].strip())(conn, head)


def test_an_echoed_signature_is_hidden_and_not_kept():
    server = HostileServer(echo_authorization)
    client = client_for(server.url, api_key_type="advanced", api_key_id="7")
    messages = []
    try:
        for _round in range(50):
            with pytest.raises(XsoarError) as info:
                client.post("/incidents/search", {})
            messages.append(str(info.value))
        assert all("HTTP 400 bad request; ********" in message for message in messages), messages[0]
        # a signature is a secret only while its request is in flight: none is kept after
        assert client.redact("x" * 64) == "x" * 64
        assert not client._signatures
    finally:
        client.close()
        server.close()


def json_escaped_echo(conn, head):
    spelled = "".join(f"\\u{ord(char):04x}" for char in KEY)
    body = ('{"total": 1, "data": [{"id": "1", "name": "x", "details": "key ' + spelled + '"}]}').encode()
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(body)
    )
    conn.sendall(body)


def test_a_key_spelled_with_json_escapes_is_hidden_once_parsed():
    server = HostileServer(json_escaped_echo)
    client = client_for(server.url)
    try:
        answer = client.post("/incidents/search", {}).json
    finally:
        client.close()
        server.close()
    assert answer["data"][0]["details"] == "key ********"


HUGE = 300 * 1024 * 1024


def stream_huge(announce):
    """A 300 MB search answer in 1 MB pieces, with its Content-Length or chunked."""

    def respond(conn, head):
        piece = b" " * (1024 * 1024)
        if announce:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % HUGE)
            for _round in range(HUGE // len(piece)):
                conn.sendall(piece)
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _round in range(HUGE // len(piece)):
            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    return respond


@pytest.mark.parametrize(
    "announce, size", [(True, "300.0 MB (Content-Length)"), (False, "more than 2 MB (no Content-Length)")]
)
def test_an_answer_above_max_answer_mb_is_refused_naming_its_size_and_the_option(announce, size):
    server = HostileServer(stream_huge(announce))
    try:
        message, took = failure(server, timeout=30.0, retries=2, max_answer_mb=2)
    finally:
        server.close()
    assert message.startswith(f"POST /incidents/search: the answer is {size}, above max_answer_mb=2"), message
    assert server.requests == 1  # not asked for again: it would be as large
    assert took < 10, took


MEASURE = """
import resource, sys
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError
settings = dict(url=sys.argv[1], api_key="Kq7Zr2Wm9Xv4Tn8Lp3Hs6Jd1Fg5Bc0Ny", api_key_id=None,
                api_key_type="standard", validate_certs=True, ca_path=None, client_cert=None,
                client_key=None, proxy=None, timeout=60.0, retries=0)
client = Client(settings)
try:
    client.post("/incidents/search", {})
    print("read")
except XsoarError as error:
    print(error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_a_300_mb_answer_keeps_memory_within_a_small_multiple_of_the_limit():
    import subprocess
    import sys

    server = HostileServer(stream_huge(False))
    try:
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, server.url],
            capture_output=True,
            text=True,
            timeout=120,
            env={"PYTHONPATH": ":".join(path for path in sys.path if path)},
            check=True,
        )
    finally:
        server.close()
    message, peak_mb = done.stdout.strip().splitlines()
    print(f"peak memory with a 300 MB answer and the default max_answer_mb (64): {peak_mb} MB")
    assert "above max_answer_mb=64" in message, message
    # the default limit, 64 MB, read once, plus the interpreter and its libraries
    assert int(peak_mb) < 3 * 64 + 60, peak_mb


def slow_answer(seconds):
    def respond(conn, head):
        time.sleep(seconds)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )

    return respond


def test_the_time_budget_ends_requests_and_waits_together():
    from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarTimeBudgetSpent

    server = HostileServer(slow_answer(9))
    slept = []
    client = client_for(server.url, timeout=10.0, retries=3)
    client._sleep = slept.append
    client.spend_at_most(2.0)
    started = time.monotonic()
    try:
        with pytest.raises(XsoarError) as first:
            client.post("/incidents/search", {})
        took = time.monotonic() - started
        with pytest.raises(XsoarTimeBudgetSpent) as later:
            client.post("/incident", {"name": "x"}, idempotent=False)
        client.sleep(30)
    finally:
        client.close()
        server.close()
    # the in-flight request is cut at the budget (plus the watchdog's 0.25 s), the next is never sent
    assert took < 3.0, took
    assert "was not sent after 1 attempt(s): the time budget of this run is spent" in str(first.value)
    assert str(later.value) == "POST /incident was not sent: the time budget of this run is spent"
    assert server.requests == 1 and client.budget_spent
    assert slept[-1] == 0.0  # a wait never goes past the budget


def refuse_with_date(offset):
    def respond(conn, head):
        date = email.utils.formatdate(time.time() + offset, usegmt=True).encode()
        body = b'{"reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": null}}'
        conn.sendall(
            b"HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nDate: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (date, len(body))
            + body
        )

    return respond


@pytest.mark.parametrize(
    "offset, key_type, expected",
    [
        (600, "advanced", "behind"),
        (-600, "advanced", "ahead of"),
        (5, "advanced", None),
        (600, "standard", None),  # a standard key signs nothing: its refusal is not about the clock
    ],
)
def test_a_refused_advanced_key_names_a_skewed_clock(offset, key_type, expected):
    server = HostileServer(refuse_with_date(offset))
    try:
        message, dummy = failure(server, api_key_type=key_type, api_key_id="7")
    finally:
        server.close()
    assert message.startswith("authentication failed (HTTP 401, Public API request unauthorized)"), message
    if expected is None:
        assert "clock" not in message
    else:
        # the Date header counts whole seconds
        shown = re.search(r"This host's clock is (\d+)s (behind|ahead of) the server's", message)
        assert shown and 598 <= int(shown.group(1)) <= 601 and shown.group(2) == expected, message
        assert "set this host's clock right (NTP)" in message


def test_a_socks_proxy_without_pysocks_is_not_retried(monkeypatch):
    from requests import adapters

    def missing(*args, **kwargs):
        raise adapters.InvalidSchema("Missing dependencies for SOCKS support.")

    monkeypatch.setattr(adapters, "SOCKSProxyManager", missing)
    client = client_for("http://127.0.0.1:9", proxy="socks5://127.0.0.1:1080", retries=3)
    try:
        with pytest.raises(XsoarError) as info:
            client.post("/incidents/search", {})
    finally:
        client.close()
    assert "is a SOCKS proxy (the proxy option (XSOAR_PROXY)), and the Python library PySocks" in str(info.value)
    assert client.request_count == 1


SLOW_HOST = "xsoar.slow-resolver.test"


def test_a_resolver_that_hangs_ends_at_the_deadline(monkeypatch):
    """A look-up the resolver never answers: the request ends within timeout + 1 s, naming the host."""
    real_getaddrinfo = socket.getaddrinfo
    released = threading.Event()

    def slow_resolver(host, *args, **kwargs):
        if host == SLOW_HOST:
            released.wait(30)  # a resolver that does not answer (released when the test ends)
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    client = client_for(f"http://{SLOW_HOST}:9", timeout=2.0)
    try:
        message, took = timed_failure(client)
    finally:
        released.set()
    print(f"a hanging look-up ended after {took:.2f}s (timeout 2s)")
    assert took < 3.0, took
    assert f"could not resolve {SLOW_HOST} within 2s" in message, message


def trickle_handshake(conn, head):
    """A TLS record header of a ServerHello, then one byte a second of it, for up to 30 s."""
    for byte in b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" + b"\x00" * 20:
        conn.sendall(bytes([byte]))
        time.sleep(1)


def silent_after_accept(conn, head):
    time.sleep(30)


@pytest.mark.parametrize("respond", [trickle_handshake, silent_after_accept])
def test_a_trickled_or_silent_tls_handshake_ends_at_the_deadline(respond):
    server = HostileServer(respond, read_request=False)
    client = client_for(server.url.replace("http:", "https:"), timeout=2.0)
    try:
        message, took = timed_failure(client)
    finally:
        server.close()
    print(f"TLS handshake ({respond.__name__}) ended after {took:.2f}s (timeout 2s): {message}")
    assert took < 3.0, took
    assert "2s" in message, message
    assert server.requests == 1
