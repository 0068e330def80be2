# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Usage: hostile_server.py CONFIG PORT_FILE: hostile answers on 127.0.0.1 until killed (issue 24).

The first segment of the request path picks the behaviour (the module's url ends with it):
  /trickle-headers/...   the status line, then a header one byte a second (30 s)
  /echo-SHAPE/...        HTTP 400 quoting the key of CONFIG in SHAPE (first16, last12, ends, lower,
                         chunks, base64, urlencoded)
  /huge/...              a 300 MB chunked answer
The key is read from CONFIG (integration_config.yml), so the runme's leak check searches for the same.
"""

import base64
import json
import socket
import sys
import threading
import time
import urllib.parse

import yaml

HUGE_MB = 300


def echo_shapes(key):
    return {
        "first16": key[:16],
        "last12": key[-12:],
        "ends": f"{key[:10]}...{key[-10:]}",
        "lower": key.lower(),
        "chunks": " ".join(key[start : start + 8] for start in range(0, len(key), 8)),
        "base64": base64.b64encode(key.encode()).decode(),
        "urlencoded": urllib.parse.quote(key, safe=""),
    }


def answer(conn, path, shapes):
    mode = path.strip("/").split("/")[0]
    if mode == "trickle-headers":
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Slow: " + b"a" * 30:
            conn.sendall(bytes([byte]))
            time.sleep(1)
        return
    if mode == "huge":
        piece = b" " * (1024 * 1024)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _piece in range(HUGE_MB):
            conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")
        return
    shape = shapes.get(mode.removeprefix("echo-"), "unknown mode " + mode)
    body = json.dumps({"title": "bad request", "detail": f"the key {shape} is not valid"}).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    conn.sendall(head.encode() + body)


def serve(conn, shapes):
    with conn:
        try:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode("latin-1")
            answer(conn, path, shapes)
        except OSError:
            pass  # the client gave up: what this server is for


def main(config, port_file):
    with open(config, encoding="utf-8") as handle:
        shapes = echo_shapes(yaml.safe_load(handle)["xsoar_api_key"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file, "w", encoding="utf-8") as handle:
        handle.write(str(listener.getsockname()[1]))
    while True:
        conn, _address = listener.accept()
        threading.Thread(target=serve, args=(conn, shapes), daemon=True).start()


if __name__ == "__main__":
    main(*sys.argv[1:])
