# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real networking parts on 127.0.0.1 for xsoar_network: HTTP CONNECT proxies and a mutual-TLS simulator.

Usage: network_stand.py SIMULATOR CONFIG WORKDIR (tls_simulator.py of xsoar_faults on PYTHONPATH).
Runs in the foreground until SIGTERM. Starts:
- an HTTPS simulator like the profile's, and one that requires a client certificate of its own CA;
- three CONNECT proxies: open, with credentials (user/secret-pw), and one that refuses every tunnel (403).
Each proxy appends every tunnel it opens ("host:port") to WORKDIR/<name>.tunnels.
Writes WORKDIR/network.yml (the addresses and certificate files) once everything listens.
"""

import base64
import datetime
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import tls_simulator

PROXY_USER, PROXY_PASSWORD = "proxyuser", "secret-pw"


class ProxyHandler(socketserver.StreamRequestHandler):
    """One CONNECT request: check credentials, open the tunnel, copy bytes both ways until one side closes."""

    def reply(self, status, reason, extra=""):
        self.wfile.write((f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: 0\r\n\r\n").encode("ascii"))

    def handle(self):
        request = self.rfile.readline().decode("latin-1").split()
        headers = {}
        while True:
            line = self.rfile.readline().decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, dummy, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request) != 3 or request[0] != "CONNECT":
            return self.reply(405, "Only CONNECT")
        expected = self.server.credentials
        if expected and headers.get("proxy-authorization") != "Basic " + expected:
            return self.reply(407, "Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="test"\r\n')
        if self.server.refuse:
            return self.reply(403, "Forbidden")
        host, dummy, port = request[1].rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        with open(self.server.tunnel_log, "a", encoding="utf-8") as log:
            log.write(request[1] + "\n")
        self.reply(200, "Connection established")
        self.wfile.flush()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable, dummy, dummy = select.select(sockets, [], [], 60)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is self.connection else self.connection).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tunnel_log, credentials=None, refuse=False):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), ProxyHandler)
        self.tunnel_log, self.refuse = tunnel_log, refuse
        self.credentials = (
            base64.b64encode(("{}:{}".format(*credentials)).encode("ascii")).decode("ascii") if credentials else None
        )
        open(tunnel_log, "w").close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


def _write(path, data, private=False):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def make_certificates(directory):
    """A client CA, a client certificate it signed (with its key), and a stranger: self-signed, same use."""
    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(subject, key, issuer, issuer_key, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def name(common):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def pem_key(key):
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key, client_key, stranger_key = (ec.generate_private_key(ec.SECP256R1()) for dummy in range(3))
    ca = certificate(name("client CA"), ca_key, name("client CA"), ca_key, True)
    client = certificate(name("ansible"), client_key, name("client CA"), ca_key, False)
    stranger = certificate(name("ansible"), stranger_key, name("ansible"), stranger_key, False)
    files = {
        "client_ca": ("client-ca.pem", ca.public_bytes(serialization.Encoding.PEM), False),
        "client_cert": ("client.pem", client.public_bytes(serialization.Encoding.PEM), False),
        "client_key": ("client.key", pem_key(client_key), True),
        "client_combined": (
            "client-combined.pem",
            client.public_bytes(serialization.Encoding.PEM) + pem_key(client_key),
            True,
        ),
        "stranger_cert": ("stranger.pem", stranger.public_bytes(serialization.Encoding.PEM), False),
        "stranger_key": ("stranger.key", pem_key(stranger_key), True),
    }
    paths = {}
    for option, (file_name, data, private) in files.items():
        paths[option] = os.path.join(directory, file_name)
        _write(paths[option], data, private)
    return paths


def main(simulator, config_path, workdir):
    settings = tls_simulator.profile_settings(config_path)
    certificates = make_certificates(os.path.join(workdir, "client-certs"))
    servers = []
    try:
        plain, plain_info = tls_simulator.start(simulator, settings, workdir, "-tls")
        servers.append(plain)
        mutual, mutual_info = tls_simulator.start(
            simulator, settings, workdir, "-mtls", ["--client-ca", certificates["client_ca"]]
        )
        servers.append(mutual)
        if plain_info is None or mutual_info is None:
            return 1
        proxies = {
            "open": Proxy(os.path.join(workdir, "open.tunnels")),
            "auth": Proxy(os.path.join(workdir, "auth.tunnels"), credentials=(PROXY_USER, PROXY_PASSWORD)),
            "refusing": Proxy(os.path.join(workdir, "refusing.tunnels"), refuse=True),
        }
        for proxy in proxies.values():
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
        values = dict(
            tls_url=plain_info["url"],
            tls_ca_path=plain_info["ca_path"],
            mtls_url=mutual_info["url"],
            mtls_ca_path=mutual_info["ca_path"],
            proxy_open=proxies["open"].url,
            proxy_refusing=proxies["refusing"].url,
            proxy_auth_host=proxies["auth"].url[len("http://") :],
            proxy_user=PROXY_USER,
            proxy_password=PROXY_PASSWORD,
            tunnel_dir=workdir,
            **certificates,
        )
        vars_file = os.path.join(workdir, "network.yml")
        with open(vars_file + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(values, handle)
        os.rename(vars_file + ".tmp", vars_file)  # the caller waits for this file: never half-written
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        return 1  # a simulator died: the caller's next task fails, with its output above
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, tls_simulator.stop)  # through main's finally, which stops the simulators
    sys.exit(main(*sys.argv[1:]))
