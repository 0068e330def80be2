# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted HTTP server on 127.0.0.1, so the client is tested at the HTTP boundary."""

import json
import os
import socket
import ssl
import subprocess
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def parsed_body(raw, headers):
    """A request body as JSON, or the raw bytes of one that is not JSON (a multipart upload)."""
    if not raw:
        return None
    if "json" not in (headers.get("Content-Type") or ""):
        return raw
    return json.loads(raw)


class ScriptedServer:
    """Answers requests from a script; each entry is one of:

    ("answer", status, body_dict_or_None, headers)   a JSON answer (None: empty body)
    ("slow", seconds, status, body)                  the answer after `seconds`
    ("drop",)                                        the connection is closed without an answer
    Past the script's end every request gets 500. `requests` records (method, path, parsed body).
    """

    def __init__(self, tls_dir=None):
        self.script = []
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                BaseHTTPRequestHandler.setup(self)
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                self.handle_any()

            def do_POST(self):
                self.handle_any()

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, parsed_body(raw, self.headers), dict(self.headers)))
                entry = server.script.pop(0) if server.script else ("answer", 500, {"title": "script ended"}, {})
                if entry[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if entry[0] == "slow":
                    time.sleep(entry[1])
                    entry = ("answer", entry[2], entry[3], {})
                status, data, headers = entry[1], entry[2], entry[3]
                body = b"" if data is None else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls_dir is not None:  # a self-signed certificate, as on-prem servers often have
            cert, key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    key,
                    "-out",
                    cert,
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
                check=True,
                capture_output=True,
            )
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def paths(self):
        return [path for method, path, body, headers in self.requests]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def https_server(tmp_path):
    server = ScriptedServer(str(tmp_path))
    yield server
    server.stop()
