"""The xsoar_incidents source's memory over 10,000 polls with an advanced key, in a process of its own.

memory_probe.py runs the installed source (its `main`, as ansible-rulebook does) against a server of
this test on 127.0.0.1 and measures with tracemalloc; this test checks the server's side (every request
signed, with a nonce of its own) and bounds the growth.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

from conftest import installed

POLLS = 10_000
KEY = secrets.token_hex(24)
KEY_ID = "42"
SEARCH_PATH = "/xsoar/public/v1/incidents/search"
# Before signatures were dropped after their request the source grew about 150 bytes a poll: 675 KB over
# the 4,500 polls of the second half. Measured since: under 1 KB (the warm-up takes the one-time costs).
SECOND_HALF_BOUND = 100_000


class SearchServer:
    """Answers every search with the same three incidents, keep-alive, each answer in one write.

    Checks each request as XSOAR 8 would an advanced key: the path, the key id, and the signature of
    the key, nonce and timestamp; counts the signed requests and the nonces."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.signed = 0
        self.connections = 0
        self.refused = []
        self.nonces = set()
        self.lock = threading.Lock()
        now = datetime.datetime.now(datetime.timezone.utc)
        incidents = [
            {"id": str(index), "name": f"Kept in the window {index}", "version": 1, "created": now.isoformat()}
            for index in range(1, 4)
        ]
        self.body = json.dumps({"total": 3, "data": incidents}).encode()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.keep_alive, args=(conn,), daemon=True).start()

    def keep_alive(self, conn):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = conn.makefile("rb")
        with conn, reader:
            while self.answer(conn, reader):
                pass

    def answer(self, conn, reader):
        request_line = reader.readline()
        if not request_line:
            return False
        headers = {}
        for line in iter(reader.readline, b"\r\n"):
            name, dummy, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        reader.read(int(headers.get("content-length", "0")))
        self.check(request_line.decode("latin-1"), headers)
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\nContent-Length: {len(self.body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + self.body)
        return True

    def check(self, request_line, headers):
        nonce = headers.get("x-xdr-nonce", "")
        timestamp = headers.get("x-xdr-timestamp", "")
        signature = hashlib.sha256((KEY + nonce + timestamp).encode()).hexdigest()
        signed = (
            request_line.startswith(f"POST {SEARCH_PATH} ")
            and headers.get("x-xdr-auth-id") == KEY_ID
            and headers.get("authorization") == signature
        )
        with self.lock:
            if signed:
                self.signed += 1
                self.nonces.add(nonce)
            else:
                self.refused.append(request_line)

    def close(self):
        self.sock.close()


def test_memory_stays_flat_over_10000_polls_with_an_advanced_key():
    """Days of polling, squeezed: after a warm-up, what the source holds grows by no more than a few
    one-time costs over the second half of 10,000 polls (each request signed with the advanced key)."""
    server = SearchServer()
    probe = Path(__file__).with_name("memory_probe.py")
    source = installed("extensions", "eda", "plugins", "event_source", "xsoar_incidents.py")
    try:
        done = subprocess.run(
            [sys.executable, str(probe), str(source), server.url, KEY, str(POLLS)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        server.close()
    assert done.returncode == 0, done.stderr[-3000:]
    measures = json.loads(done.stdout)
    first, middle, last = measures["first"], measures["middle"], measures["last"]
    print(
        f"traced memory grew {measures['growth_first_half']} bytes in polls {first['poll']}-{middle['poll']},"
        f" {measures['growth_second_half']} in {middle['poll']}-{last['poll']};"
        f" {server.connections} connection(s), {last['sessions']} session(s)"
    )
    assert not server.refused, server.refused[:3]
    # each request signed, with a nonce of its own (the source polls on a moment after the last measure)
    assert server.signed == len(server.nonces) >= last["requests"]
    assert measures["events"] == 3  # the three incidents delivered once (replay), never again
    assert last["requests"] - first["requests"] == last["poll"] - first["poll"]  # one search per poll
    assert last["known_ids"] == first["known_ids"] == 3  # the window's ids, no more
    assert last["sessions"] == 1  # one keep-alive session: the polls run in one thread
    assert measures["growth_second_half"] < SECOND_HALF_BOUND, measures["top_second_half"]
    assert "XSOAR poll failed" not in done.stderr
    assert KEY not in done.stdout + done.stderr
