# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A raw HTTP server on 127.0.0.1 whose answers a test writes byte by byte (canned, trickled, hostile)."""

import socket
import threading


class HostileServer:
    """Accepts connections on 127.0.0.1 and hands each, with its request head, to `respond(conn, head)`.

    One request per connection: answers say "Connection: close", or a client that kept the connection
    could send its next request into one this server is closing (a flaky "dropped" instead of the answer)."""

    def __init__(self, respond, read_request=True):
        self.respond = respond
        # False: `respond(conn, "")` at once, before the client sends anything readable (a TLS handshake)
        self.read_request = read_request
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.requests = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if not self.read_request:
                    self.requests += 1
                    self.respond(conn, "")
                    return
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                self.requests += 1
                self.respond(conn, request.decode("latin-1"))
            except OSError:
                pass

    def close(self):
        self.sock.close()
