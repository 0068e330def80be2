# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client against real sockets on 127.0.0.1: redaction before every cut, the answer deadline, unreachable."""

import re
import socket
import threading
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils.client import SNIPPET_LENGTH, Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarConnectionError,
    XsoarError,
    XsoarUnreachableError,
)
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.raw_server import HostileServer

KEY = "Kq7Zr2Wm9Xv4Tn8Lp3Hs6Jd1Fg5Bc0Ny"


def canned_server(status, body, content_type="text/plain", trickle=0.0):
    """Answers every request with one canned HTTP answer; its body is sent at once or a byte at a time."""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"

    def respond(conn, request_head):
        if not trickle:
            conn.sendall(head.encode("ascii") + body)
            return
        conn.sendall(head.encode("ascii"))
        for index in range(len(body)):
            conn.sendall(body[index : index + 1])
            time.sleep(trickle)

    return HostileServer(respond)


def client_for(url, **changes):
    settings = connection_values(url=url, api_key=KEY, timeout=5.0, retries=0)
    settings.update(changes)
    return Client(settings, sleep=lambda seconds: None)


def leaked_pieces(text, length=8):
    return [
        KEY[start : start + length] for start in range(len(KEY) - length + 1) if KEY[start : start + length] in text
    ]


def failure_of(server, **changes):
    client = client_for(server.url, **changes)
    try:
        with pytest.raises(XsoarError) as info:
            client.post("/incidents/search", {"filter": {}})
    finally:
        client.close()
        server.close()
    return str(info.value)


# Every offset that puts the key across the cut of a text snippet (200) or of a non-JSON 200 (80).
OFFSETS = sorted(set(range(80 - len(KEY) - 1, 82)) | set(range(SNIPPET_LENGTH - len(KEY) - 1, SNIPPET_LENGTH + 2)))


@pytest.mark.parametrize("status", [500, 403, 429, 200])
@pytest.mark.parametrize("offset", OFFSETS)
def test_an_echoed_key_is_redacted_before_the_cut(status, offset):
    body = ("E" * offset + KEY + "tail " * 50).encode("ascii")
    message = failure_of(canned_server(status, body))
    assert leaked_pieces(message) == [], message
    if offset < 60:
        assert "********" in message


@pytest.mark.parametrize("offset", [0, 150, 190])
def test_an_echoed_key_in_json_or_html_is_redacted(offset):
    json_body = ('{{"title": "bad", "detail": "{}{}"}}'.format("E" * offset, KEY)).encode("ascii")
    assert leaked_pieces(failure_of(canned_server(500, json_body, "application/json"))) == []
    html_body = ("<html>{}{}</html>".format("E" * offset, KEY)).encode("ascii")
    assert leaked_pieces(failure_of(canned_server(500, html_body, "text/html"))) == []


def test_a_trickling_answer_ends_at_the_deadline():
    server = canned_server(200, b'{"total": 0, "data": []}' + b" " * 400, "application/json", trickle=0.1)
    started = time.monotonic()
    message = failure_of(server, timeout=1.0, retries=1)
    took = time.monotonic() - started
    # each read comes within 0.1 s, so only the deadline can end it: 1 s per attempt, 2 attempts
    assert 1.9 <= took < 3.5, took
    assert "did not complete within 1s" in message and "2 attempts" in message


def test_a_slow_but_steady_answer_within_the_deadline_is_read():
    server = canned_server(200, b'{"total": 0, "data": []}', "application/json", trickle=0.01)
    client = client_for(server.url, timeout=2.0)
    try:
        assert client.post("/incidents/search", {}).json == {"total": 0, "data": []}
    finally:
        client.close()
        server.close()


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_an_unreachable_server_fails_later_requests_at_once():
    client = client_for(f"http://127.0.0.1:{free_port()}", retries=2)
    with pytest.raises(XsoarUnreachableError) as first:
        client.post("/incidents/search", {})
    assert "connection refused" in str(first.value) and "3 attempts" in str(first.value)
    sent = client.request_count
    assert sent == 3
    started = time.monotonic()
    with pytest.raises(XsoarUnreachableError) as later:
        client.post("/incident", {"name": "x"}, idempotent=False)
    assert client.request_count == sent and time.monotonic() - started < 0.1
    # it quotes this request, and the earlier one that found no server
    assert str(later.value) == (
        f"POST /incident was not sent: the server was unreachable at an earlier request of this run ({first.value})"
    )


def test_a_server_that_answers_is_not_unreachable():
    server = canned_server(503, b"busy")
    client = client_for(server.url, retries=1)
    try:
        with pytest.raises(XsoarConnectionError) as info:
            client.post("/incidents/search", {})
        assert not isinstance(info.value, XsoarUnreachableError)
        assert client.unreachable is None
    finally:
        client.close()
        server.close()


@pytest.mark.parametrize(
    "reason, client_cert, expect",
    [
        ("EOF occurred in violation of protocol (_ssl.c:2406)", None, "when none is given"),
        ("EOF occurred in violation of protocol (_ssl.c:2406)", "/c.pem", "does not trust the one given"),
        ("TLSV13_ALERT_CERTIFICATE_REQUIRED", None, "failed on the client certificate"),
        ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca", "/c.pem", "failed on the client certificate"),
        ("KEY_VALUES_MISMATCH", "/c.pem", "client_cert / client_key cannot be used"),
    ],
)
def test_client_certificate_messages_name_the_options(reason, client_cert, expect):
    from ansible_collections.xsoar.connector.plugins.module_utils.client import tls_message

    message = tls_message("https://xsoar.example.com", Exception(reason), client_cert)
    assert expect in message and "client_cert (XSOAR_CLIENT_CERT) and client_key (XSOAR_CLIENT_KEY)" in message


@pytest.mark.parametrize("compressed", [False, True])
def test_a_chunked_and_compressed_answer_is_read_whole(compressed):
    # what XSOAR's Go server sends for large answers; the body is read in pieces against the deadline
    import gzip

    body = b'{"total": 1, "data": [{"id": "1", "name": "' + b"x" * 100000 + b'"}]}'
    encoding = b""
    if compressed:
        body, encoding = gzip.compress(body), b"Content-Encoding: gzip\r\n"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve():
        conn, dummy = sock.accept()
        with conn:
            # the whole request, body included: unread bytes at close would make the kernel reset the
            # connection while the client still reads the answer
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            head, dummy, rest = request.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1)) if b"ength:" in head else 0
            while len(rest) < length:
                rest += conn.recv(65536)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + encoding
                + b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for start in range(0, len(body), 7000):
                part = body[start : start + 7000]
                conn.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
            conn.recv(1)  # until the client hangs up

    threading.Thread(target=serve, daemon=True).start()
    client = client_for(f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        answer = client.post("/incidents/search", {}).json
    finally:
        client.close()
        sock.close()
    assert answer["total"] == 1 and len(answer["data"][0]["name"]) == 100000
