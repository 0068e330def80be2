# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the collection: a keep-alive requests session with bounded retries."""

from __future__ import annotations

import base64
import contextlib
import email.utils
import functools
import hashlib
import json
import math
import os
import random
import re
import secrets
import socket
import string
import threading
import time
import traceback

from urllib.parse import quote, urlsplit

from ansible_collections.xsoar.connector.plugins.module_utils.arguments import (
    CLOUD_API_PREFIX,
    LEGACY_API_PREFIX,
    without_credentials,
)
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarAuthError,
    XsoarConnectionError,
    XsoarError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
    XsoarTimeBudgetSpent,
    XsoarUnreachableError,
)

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
    from requests import exceptions as rexc
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib
    requests = None
    HTTPAdapter = object
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

RETRY_STATUSES = (429, 502, 503, 504)
# A gateway error may come after the server acted on the request.
UNKNOWN_OUTCOME_STATUSES = (502, 504)
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0
NONCE_ALPHABET = string.ascii_letters + string.digits
SNIPPET_LENGTH = 200
READ_CHUNK = 65536
MEGABYTE = 1024 * 1024
DEFAULT_MAX_ANSWER_MB = 64
# A clock this far from the server's is named when an advanced key is refused (XSOAR's own window is not
# documented; Cortex XDR's advanced keys allow a few minutes, so a minute is shown as a likely cause).
CLOCK_SKEW_SHOWN = 60.0
# The watchdog shuts a request's socket this long after timeout: a silent server meets the socket's own
# timeout first (its message says no answer came), one that trickles meets the watchdog.
WATCHDOG_GRACE = 0.25
REDACTED = "********"
# A JSON escape of a letter, a digit or "/": no encoder needs one, so it may be spelling out a key.
JSON_ESCAPED_KEY_CHARACTER = re.compile(r"\\(?:u00(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])|/)")
# The shortest run of the key that is hidden: shorter runs are common in ordinary text and of no use alone.
REDACT_MIN_RUN = 8
# OpenSSL's words for a client certificate the server wants, refuses, or that cannot be loaded
CLIENT_CERT_SIGNS = (
    "certificate required",
    "unknown ca",
    "bad certificate",
    "certificate unknown",
    "unsupported certificate",
)
# ... and for files that cannot be used at all (read before anything is sent)
CLIENT_FILE_SIGNS = ("pem lib", "key values mismatch", "no start line")


class Response:
    """One HTTP answer: status, headers, raw body and its parsed JSON (None when empty)."""

    def __init__(self, status, headers, body, json_data):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = json_data


class _NotRetried(XsoarConnectionError):
    """A failure every attempt would meet again: raised at once."""


class _CertificateRejected(_NotRetried):
    """The server's certificate is not trusted (or ours is refused): every attempt would meet the same."""


class _AnswerTooLarge(XsoarResponseError):
    """An answer above max_answer_mb: refused unread, and not asked for again (it would be as large)."""


class _NotConnected(XsoarConnectionError):
    """No connection was made (DNS, refused, connect timeout, proxy): nothing was sent."""


def advanced_key_headers(api_key, now_ms=None, nonce=None):
    """Headers of an XSOAR 8 advanced key: the key itself never goes on the wire."""
    timestamp = str(int(time.time() * 1000) if now_ms is None else now_ms)
    nonce = nonce or "".join(secrets.choice(NONCE_ALPHABET) for dummy in range(64))
    signature = hashlib.sha256((api_key + nonce + timestamp).encode("utf-8")).hexdigest()
    return {"x-xdr-timestamp": timestamp, "x-xdr-nonce": nonce, "Authorization": signature}


def secret_forms(secret: str) -> tuple[str, ...]:
    """The texts a server may echo `secret` as: itself, URL-encoded, and base64 at each of its three alignments.

    Base64 turns three bytes into four characters, so what a piece of the secret becomes depends on where
    it starts in the encoded text; the whole groups of secret[shift:] for shift 0, 1 and 2 cover every start.
    """
    forms = [secret, quote(secret, safe="")]
    raw = secret.encode("utf-8")
    for shift in range(3):
        part = raw[shift:]
        whole_groups = part[: len(part) - len(part) % 3]
        forms.append(base64.b64encode(whole_groups).decode("ascii"))
        forms.append(base64.urlsafe_b64encode(whole_groups).decode("ascii"))
    return tuple(dict.fromkeys(forms))


# Every REDACT_MIN_RUN characters in a row of a form hold one of its ANCHOR_LENGTH-character pieces that start
# at a multiple of ANCHOR_LENGTH: a text is searched for those few pieces (str.find is fast), then checked there.
ANCHOR_LENGTH = REDACT_MIN_RUN // 2


@functools.lru_cache(maxsize=8)
def _secret_pieces(secret: str) -> tuple[frozenset, tuple[str, ...]]:
    """(every REDACT_MIN_RUN characters in a row of the secret's forms, their anchors), in lower case."""
    runs = set()
    anchors = set()
    for form in secret_forms(secret):
        lowered = form.lower()
        for start in range(len(lowered) - REDACT_MIN_RUN + 1):
            runs.add(lowered[start : start + REDACT_MIN_RUN])
        for start in range(0, len(lowered) - ANCHOR_LENGTH + 1, ANCHOR_LENGTH):
            anchors.add(lowered[start : start + ANCHOR_LENGTH])
    return frozenset(runs), tuple(sorted(anchors))


def _run_starts(lowered: str, secret: str) -> set[int]:
    """Where in `lowered` REDACT_MIN_RUN characters of one of the secret's forms start."""
    runs, anchors = _secret_pieces(secret)
    starts = set()
    for anchor in anchors:
        found = lowered.find(anchor)
        while found != -1:
            for start in range(max(found - ANCHOR_LENGTH, 0), found + 1):
                if lowered[start : start + REDACT_MIN_RUN] in runs:
                    starts.add(start)
            found = lowered.find(anchor, found + 1)
    return starts


def _hide_runs(text: str, starts: set[int]) -> str:
    """`text` with each stretch of overlapping windows at `starts` replaced by one REDACTED."""
    pieces = []
    kept_from = 0
    hidden_to = -1
    for start in sorted(starts):
        if start >= hidden_to:  # a new stretch
            if hidden_to >= 0:
                pieces.append(REDACTED)
            pieces.append(text[kept_from:start])
        hidden_to = max(hidden_to, start + REDACT_MIN_RUN)
        kept_from = hidden_to
    if hidden_to < 0:
        return text
    pieces.append(REDACTED)
    pieces.append(text[kept_from:])
    return "".join(pieces)


def _ascii_lower(text: str) -> str:
    """`text` in lower case, character for character (str.lower turns a few letters into two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char.lower() if char.isascii() else char for char in text)


def redact(text: object, api_key: str, signatures: tuple[str, ...] = ()) -> str:
    """`text` without the key: the one redaction of the collection (modules, callback, EDA source).

    Hides every run of REDACT_MIN_RUN or more characters of the key, in any case, and of its URL-encoded
    and base64 forms (servers echo a key cut, lower-cased, quoted or inside a Basic header), and the
    advanced-key signatures given (the requests in flight).
    """
    text = str(text)
    if len(api_key) < REDACT_MIN_RUN:
        # a key this short cannot be told from ordinary text by pieces: hide it only whole
        text = text.replace(api_key, REDACTED) if api_key else text
    else:
        text = _hide_runs(text, _run_starts(_ascii_lower(text), api_key))
    for signature in signatures:
        text = text.replace(signature, REDACTED).replace(signature.upper(), REDACTED)
    return text


_WATCHED = threading.local()


def _shut(sock: socket.socket) -> None:
    """Wakes whatever waits on `sock` in another thread (a close alone does not on Linux)."""
    with contextlib.suppress(OSError):  # already closed
        # socket.socket's own shutdown: an SSLSocket's would touch its TLS state from this thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """The deadline of one request: when it passes, the request's socket is shut, wherever the request waits.

    A socket timeout bounds each read alone, so a server sending its headers a byte at a time would hold
    the request for ever; this bounds connecting, the headers and the body together.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.end = time.monotonic() + seconds
        # the host whose look-up was still running at the deadline, if any (a socket cannot be shut before it exists)
        self.unresolved: str | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.0)


class _LookUpTimeout(OSError):
    """A new connection (its name look-up) still unfinished at the request's deadline."""


def _connect_within(watchdog: _Watchdog, connect, host: str) -> socket.socket:
    """connect() (urllib3's: the name look-up, then TCP), waited on until the watchdog's deadline.

    getaddrinfo cannot be interrupted, and before it returns there is no socket to shut: it runs in a
    daemon thread, left behind (its socket closed when it ends) if it outlives the deadline. Connecting
    itself is bounded by the socket's timeout, so a connect() still running at the deadline is a look-up.
    """
    outcome: dict = {}
    finished = threading.Event()
    abandoned = threading.Event()

    def run() -> None:
        try:
            outcome["sock"] = connect()
        except BaseException as error:  # pylint: disable=broad-except  # handed to the waiting thread
            outcome["error"] = error
        finished.set()
        if abandoned.is_set() and "sock" in outcome:
            outcome["sock"].close()

    threading.Thread(target=run, name="xsoar-connect", daemon=True).start()
    if not finished.wait(watchdog.left()):
        abandoned.set()
        if finished.is_set() and "sock" in outcome:  # it ended just now
            outcome["sock"].close()
        watchdog.unresolved = host
        raise _LookUpTimeout(host)  # replaced by the client's message (_look_up_timed_out)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["sock"]


def _watch(sock: socket.socket | None) -> None:
    """Hands `sock` to the watchdog of this thread's request in flight."""
    watchdog = getattr(_WATCHED, "watchdog", None)
    if watchdog is not None and sock is not None:
        watchdog.watch(sock)


class _WatchedConnection:
    """Mixed into urllib3's connection classes: each socket a request uses goes to its watchdog."""

    def _new_conn(self):
        watchdog = getattr(_WATCHED, "watchdog", None)
        if watchdog is None:
            return super()._new_conn()
        sock = _connect_within(watchdog, super()._new_conn, self.host)
        watchdog.watch(sock)
        return sock

    def request(self, *args, **kwargs):
        _watch(self.sock)  # a kept-alive connection: its socket was made for an earlier request
        return super().request(*args, **kwargs)


@functools.cache
def _watched_pool(pool_class: type) -> type:
    connection_class = pool_class.ConnectionCls
    if issubclass(connection_class, _WatchedConnection):
        return pool_class
    watched = type("Watched" + connection_class.__name__, (_WatchedConnection, connection_class), {})
    return type("Watched" + pool_class.__name__, (pool_class,), {"ConnectionCls": watched})


def _watch_pools(manager):
    classes = manager.pool_classes_by_scheme
    manager.pool_classes_by_scheme = {scheme: _watched_pool(cls) for scheme, cls in classes.items()}
    return manager


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections (direct, through a proxy or SOCKS) that a watchdog can shut."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        _watch_pools(self.poolmanager)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        return _watch_pools(super().proxy_manager_for(proxy, **proxy_kwargs))


def retry_delay(attempt, retry_after=None):
    """Seconds to wait before attempt number `attempt + 1`: Retry-After when given, else backoff."""
    if retry_after is not None:
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = None  # an HTTP date: fall back to backoff rather than parse clocks
        if seconds is not None and not math.isnan(seconds):  # NaN would make time.sleep raise
            return min(max(seconds, 0.0), RETRY_AFTER_MAX)
    delay = BACKOFF_BASE * (2 ** min(max(attempt - 1, 0), 16))
    # jitter first, then the cap: BACKOFF_MAX is the longest wait, not the longest nominal wait
    return min(delay * random.uniform(0.8, 1.2), BACKOFF_MAX)


def environment_settings(url, settings):
    """(verify, proxies, proxy origin) as requests would derive them from the environment, once per run.

    The proxy option wins over HTTP(S)_PROXY / NO_PROXY; ca_path over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE.
    A .netrc is not used: its basic auth would replace the API key's Authorization header. The origin
    names the setting the proxy came from, for messages (None without a proxy).
    """
    proxy = settings.get("proxy")
    if proxy:
        proxies, origin = {"http": proxy, "https": proxy}, "the proxy option (XSOAR_PROXY)"
    else:
        proxies = requests.utils.get_environ_proxies(url) or None
        applies = proxies and requests.utils.select_proxy(url, proxies)
        origin = f"the {environment_proxy_variable(url)} environment variable" if applies else None
    verify = settings.get("ca_path") or settings.get("validate_certs", True)
    if verify is True:
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return verify, proxies, origin


def environment_proxy_variable(url):
    """The variable requests takes url's proxy from: <scheme>_proxy, then all_proxy, lower case first."""
    scheme = url.partition(":")[0].lower()
    for name in (scheme + "_proxy", "all_proxy"):
        for variable in (name, name.upper()):
            if os.environ.get(variable):
                return variable
    return scheme.upper() + "_PROXY"


def server_message(data, text):
    """The human part of an XSOAR error body (XSOAR 6 `detail`/`title`, XSOAR 8 `reply.err_msg`).

    `text` is cut to SNIPPET_LENGTH: it must be redacted before (Client._send redacts every body it
    reads), or a cut key would no longer match the redaction and its first part would show.
    """
    if isinstance(data, dict):
        reply = data.get("reply")
        if isinstance(reply, dict) and reply.get("err_msg"):
            return "{}{}".format(
                reply["err_msg"], (": {}".format(reply["err_extra"])) if reply.get("err_extra") else ""
            )
        parts = [str(data[key]) for key in ("title", "detail", "error") if data.get(key)]
        if parts:
            return "; ".join(parts)
    return " ".join((text or "").split())[:SNIPPET_LENGTH]


def looks_like_html(content_type, text):
    return "html" in (content_type or "").lower() or text.lstrip()[:1] == "<"


class Client:
    """XSOAR REST client for one module run.

    `settings` holds the validated connection options (see arguments.validate_connection).
    Every error it raises is an XsoarError whose message is redacted of the key. Threads may share
    it (apply.py sends bulk writes side by side): each thread gets its own keep-alive session.
    """

    def __init__(self, settings, sleep=time.sleep, remember_unreachable=True):
        self.url = settings["url"]
        self._api_key = settings["api_key"]
        self.api_key_id = settings.get("api_key_id") or None
        self.api_key_type = settings.get("api_key_type") or "standard"
        self.timeout = settings.get("timeout") or 30
        self.retries = settings.get("retries", 3)
        self.max_answer_mb = settings.get("max_answer_mb") or DEFAULT_MAX_ANSWER_MB
        self.validate_certs = settings.get("validate_certs", True)
        cert = settings.get("client_cert")
        self._cert = (cert, settings["client_key"]) if cert and settings.get("client_key") else cert
        self._sleep = sleep
        # the monotonic time by which every request and wait of this client ends (spend_at_most), if any
        self._budget_end: float | None = None
        self.budget_spent = False
        # advanced-key signatures of the requests in flight: an echo of one is hidden while it can come back
        self._signatures: set[str] = set()
        self.request_count = 0
        # the Date header of the last answer: the server's clock, for callers that need "now" on the server
        self.last_answer_date = None
        # set once the server could not be reached after every retry: later requests fail at once.
        # Right for one run; a client that lives for ever (the EDA source) must try again each time.
        self.unreachable = None
        self._remember_unreachable = remember_unreachable
        self._verify, self._proxies, self._proxy_origin = environment_settings(self.url, settings)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions = []  # every thread's, for close()

    def _new_session(self):
        session = requests.Session()
        session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        # resolved once in __init__: requests would re-read the proxy and netrc environment per request
        session.trust_env = False
        for prefix in ("https://", "http://"):
            session.mount(prefix, _WatchedAdapter())
        with self._lock:
            self._sessions.append(session)
        self._local.session = session
        return session

    def _thread_session(self):
        """This thread's session (requests.Session is not made to be shared between threads)."""
        session = getattr(self._local, "session", None)
        return session if session is not None else self._new_session()

    @property
    def deployment_family(self):
        """Kibana's rule: a key id means XSOAR 8 / cloud."""
        return "xsoar8" if self.api_key_id else "xsoar6"

    @property
    def api_base(self):
        """The public API: every call goes there unless it names another base."""
        return api_bases(self.url, bool(self.api_key_id))[0]

    @property
    def legacy_base(self) -> str:
        """The whole server API, for the calls XSOAR 8's public API lacks (batchClose, entries, fields, tasks):
        its undocumented public routes answer 303 on live tenants, so these go deliberately to the legacy
        /xsoar prefix (demisto-py does too). XSOAR 6: the server root."""
        return api_bases(self.url, bool(self.api_key_id))[1]

    def close(self):
        for session in self._sessions:
            session.close()

    def spend_at_most(self, seconds: float) -> None:
        """Ends every later request and wait of this client within `seconds` from now, in total.

        A request in flight is cut when the time is spent; later ones raise XsoarTimeBudgetSpent unsent.
        """
        self._budget_end = time.monotonic() + seconds

    def _budget_left(self) -> float | None:
        if self._budget_end is None:
            return None
        return self._budget_end - time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Waits `seconds`, or what is left of the time budget when that is less."""
        left = self._budget_left()
        if left is not None:
            seconds = max(min(seconds, left), 0.0)
        self._sleep(seconds)

    def redact(self, text: object) -> str:
        # tuple(): another thread may add or drop a signature meanwhile
        return redact(text, self._api_key, tuple(self._signatures))

    # -- public verbs -------------------------------------------------------------------------

    def post(self, api_path, payload, expected=(200,), idempotent=True, base=None):
        """POST JSON to api_path under the API base (or `base`).

        A write (idempotent=False) whose outcome is unknown is never re-sent here: the client raises
        XsoarOutcomeUnknown and the caller, which knows how to look the result up, decides.
        """
        return self.request("POST", api_path, payload, expected, idempotent, base)

    def get(self, api_path, expected=(200,), base=None):
        return self.request("GET", api_path, None, expected, True, base)

    def upload(self, api_path, fields, file_name, content, expected=(200,), base=None):
        """POST a multipart/form-data upload: `fields` as text parts, then `content` as the part `file`.

        The collection's one home for multipart: the form's own content type (with its boundary)
        replaces the session's JSON one, which real servers refuse on an upload. An upload is a
        write: never re-sent when its outcome is unknown.
        """
        parts = dict(fields, file=(file_name, content, "application/octet-stream"))
        body, content_type = urllib3.encode_multipart_formdata(parts)
        return self.request("POST", api_path, body, expected, False, base, content_type=content_type)

    def request(
        self,
        method,
        api_path,
        payload=None,
        expected=(200,),
        idempotent=True,
        base=None,
        content_type=None,
        retries=None,
    ):
        """One call with bounded retries. Returns a Response whose status is in `expected`.

        Retried: failures before the request reached the server, and 429/503 (not acted on); for
        reads also timeouts, dropped connections and 502/504. For a write those last ones raise
        XsoarOutcomeUnknown at once. `retries` replaces the retries option for this call (0: sent once).
        """
        if self.unreachable is not None:
            raise XsoarUnreachableError(
                f"{method} {api_path} was not sent: the server was unreachable at an earlier request of this run"
                f" ({self.unreachable})"
            )
        if base is None:
            base = self.api_base
        url = base + api_path
        data = payload  # a body already encoded as content_type says
        if content_type is None and payload is not None:
            data = json.dumps(payload, allow_nan=False)
        last_problem = None
        if retries is None:
            retries = self.retries
        attempts = retries + 1
        for attempt in range(1, attempts + 1):
            retry_after = None
            not_connected = False  # this attempt found no server at all
            self._check_budget(method, api_path, attempt)
            try:
                response = self._send(method, url, data, content_type)
            except (_NotRetried, _AnswerTooLarge):
                raise
            except XsoarOutcomeUnknown as problem:
                if not idempotent:
                    raise XsoarOutcomeUnknown(self.redact(f"{method} {api_path}: {problem}"), problem.resend_safe)
                last_problem = str(problem)
            except XsoarConnectionError as problem:
                last_problem = str(problem)
                not_connected = isinstance(problem, _NotConnected)
            else:
                if response.status not in RETRY_STATUSES or response.status in expected:
                    return self._checked(response, method, api_path, expected, base)
                server_text = server_message(response.json, _text(response))
                last_problem = f"HTTP {response.status} {server_text}"
                if not idempotent and response.status in UNKNOWN_OUTCOME_STATUSES:
                    raise XsoarOutcomeUnknown(
                        self.redact(
                            f"{method} {api_path}: the gateway answered {last_problem}; the server may have acted on it"
                        ),
                        resend_safe=True,
                    )
                retry_after = response.headers.get("Retry-After")
            if attempt < attempts:
                self.sleep(retry_delay(attempt, retry_after))
        plural = "" if attempts == 1 else "s"
        raise self._given_up(
            self.redact(
                f"{method} {api_path} failed after {attempts} attempt{plural} (retries={retries});"
                f" last error: {last_problem}"
            ),
            not_connected,
        )

    # -- internals ----------------------------------------------------------------------------

    def _check_budget(self, method: str, api_path: str, attempt: int) -> None:
        left = self._budget_left()
        if left is None or left > 0:
            return
        self.budget_spent = True
        sent = f" after {attempt - 1} attempt(s)" if attempt > 1 else ""
        raise XsoarTimeBudgetSpent(f"{method} {api_path} was not sent{sent}: the time budget of this run is spent")

    def _given_up(self, message, not_connected):
        """The error after the last attempt: XsoarUnreachableError when even it found no server."""
        if not not_connected:
            return XsoarConnectionError(message)
        if self._remember_unreachable:
            self.unreachable = message
        return XsoarUnreachableError(message)

    def _auth_headers(self):
        advanced = self.api_key_type == "advanced"
        headers = advanced_key_headers(self._api_key) if advanced else {"Authorization": self._api_key}
        if self.api_key_id:
            headers["x-xdr-auth-id"] = self.api_key_id
        return headers

    def _send(self, method, url, data, content_type=None):
        """One HTTP exchange, within `timeout` in total; network failures become XsoarConnectionError.

        Every body is redacted here, before anything parses, quotes or cuts it.
        """
        with self._lock:
            self.request_count += 1
        headers = self._auth_headers()
        if content_type is not None:
            headers["Content-Type"] = content_type
        signature = None
        if self.api_key_type == "advanced":
            signature = headers["Authorization"]
            self._signatures.add(signature)
        try:
            raw, body, text = self._exchange_within_timeout(method, url, data, headers)
        finally:
            # kept only while its request is in flight: memory stays flat over any number of requests
            self._signatures.discard(signature)
        self.last_answer_date = raw.headers.get("Date")
        json_data = None
        if text.strip() and not looks_like_html(raw.headers.get("Content-Type"), text):
            json_data = self._parsed(text)
        return Response(raw.status_code, raw.headers, body, json_data)

    def _exchange_within_timeout(self, method, url, data, headers):
        """(raw answer, body, its text), redacted, of one request that connects, sends and is answered within timeout."""
        seconds = self.timeout
        left = self._budget_left()
        if left is not None:
            seconds = max(min(seconds, left), 0.0)
        watchdog = _Watchdog(seconds + WATCHDOG_GRACE)
        _WATCHED.watchdog = watchdog
        try:
            raw, body = self._exchange(method, url, data, headers)
        except XsoarError:
            if watchdog.unresolved is not None:
                raise self._look_up_timed_out(watchdog.unresolved) from None
            if watchdog.expired:
                raise self._deadline_passed() from None
            raise
        finally:
            watchdog.cancel()
            _WATCHED.watchdog = None
        if watchdog.expired:  # the body may end early without an error once its socket is shut
            raise self._deadline_passed()
        # redacted before anything parses, quotes or cuts it, with this request's signature still known
        decoded = body.decode("utf-8", "replace")
        text = self.redact(decoded)
        if text is not decoded:  # something was hidden: the body must not keep it
            body = text.encode("utf-8")
        return raw, body, text

    def _parsed(self, text: str):
        """The JSON of a redacted body (None when it is not JSON), redacted again when escapes could hide the key."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not JSON_ESCAPED_KEY_CHARACTER.search(text):
            return data
        # "\u004b" is "K" only once parsed: redact the parsed text as well
        try:
            return json.loads(self.redact(json.dumps(data, ensure_ascii=False)))
        except ValueError:
            return None

    def _look_up_timed_out(self, host: str) -> _NotConnected:
        return _NotConnected(
            f"could not resolve {host} within {self.timeout:g}s (timeout option): the DNS resolver of this host did"
            " not answer; check its resolver settings (/etc/resolv.conf) and the host in url (XSOAR_URL), or raise timeout"
        )

    def _deadline_passed(self):
        return XsoarOutcomeUnknown(
            f"the answer from {self.url} did not complete within {self.timeout:g}s (timeout option, the limit for a"
            " whole request: connecting, headers and body); the server may still have processed the request",
            resend_safe=False,
        )

    def _exchange(self, method, url, data, headers):
        """(raw answer, body bytes) of one request; network failures become XsoarConnectionError."""
        try:
            raw = self._thread_session().request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self.timeout,
                verify=self._verify,
                cert=self._cert,
                proxies=self._proxies,
                allow_redirects=False,
                stream=True,
            )
            try:
                self._check_announced_size(raw, method, url)
                body = self._read_body(raw, method, url)
            finally:
                raw.close()
        except rexc.SSLError as error:
            if certificate_rejected(error) or client_certificate_problem(error):
                raise _CertificateRejected(self.redact(tls_message(self.url, error, self._cert)))
            raise XsoarConnectionError(self.redact(tls_message(self.url, error, self._cert)))
        except rexc.ProxyError as error:
            raise _NotConnected(self.redact(self._proxy_message(url, error)))
        except rexc.ConnectTimeout:
            raise _NotConnected(
                f"no connection to {self.url} within {self.timeout:g}s: check the url, firewalls and proxy settings, or raise timeout"
            )
        except rexc.ReadTimeout:
            raise XsoarOutcomeUnknown(
                f"no answer from {self.url} within {self.timeout:g}s (timeout option); the server may still have processed the request",
                resend_safe=False,
            )
        except rexc.ConnectionError as error:
            if client_certificate_problem(error):
                raise _CertificateRejected(self.redact(tls_message(self.url, error, self._cert)))
            raise self._connection_failure(error)
        except rexc.InvalidSchema as error:
            if "socks" not in str(error).lower():
                raise XsoarConnectionError(self.redact(f"request to {self.url} failed: {_reason(error)}"))
            raise _NotRetried(
                f"the proxy for {self.url} is a SOCKS proxy ({self._proxy_origin}), and the Python library PySocks,"
                " which requests needs for it, is not installed on the host that runs the module: pip install"
                " PySocks (or requests[socks]), or use an HTTP proxy"
            )
        except rexc.RequestException as error:
            raise XsoarConnectionError(self.redact(f"request to {self.url} failed: {_reason(error)}"))
        return raw, body

    def _too_large(self, raw, method, url, size):
        """The refusal of an answer above max_answer_mb, with its status: a write's 2xx may have done its work."""
        return _AnswerTooLarge(
            f"{method} {urlsplit(url).path}: the answer is {size}, above max_answer_mb={self.max_answer_mb}"
            " (XSOAR_MAX_ANSWER_MB), so it was not read: ask for less (a narrower query or a smaller page), or"
            " raise max_answer_mb if the host has the memory (an answer takes a few times its size)",
            raw.status_code,
        )

    def _check_announced_size(self, raw, method, url):
        """Refuses an answer whose Content-Length is above the limit before a byte of it is read."""
        announced = raw.headers.get("Content-Length") or ""
        if announced.isdigit() and int(announced) > self.max_answer_mb * MEGABYTE:
            raise self._too_large(raw, method, url, f"{int(announced) / MEGABYTE:.1f} MB (Content-Length)")

    def _read_body(self, raw, method, url):
        """The whole body, at most max_answer_mb; the watchdog ends it at the deadline (it may come back cut)."""
        read1 = getattr(raw.raw, "read1", None)  # urllib3 2; older ones only check every 8 KiB
        chunks = []
        size = 0
        try:
            while True:
                chunk = read1(READ_CHUNK, decode_content=True) if read1 else raw.raw.read(8192, decode_content=True)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > self.max_answer_mb * MEGABYTE:
                    raise self._too_large(raw, method, url, f"more than {self.max_answer_mb} MB (no Content-Length)")
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError:
            raise XsoarOutcomeUnknown(
                f"no answer from {self.url} within {self.timeout:g}s (timeout option); the server may still have processed the request",
                resend_safe=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise XsoarOutcomeUnknown(
                self.redact(f"connection to {self.url} dropped in the middle of the answer: {_reason(error)}")
            )

    def _proxy_message(self, url, error):
        """What went wrong with the proxy, naming the setting it came from (never its credentials)."""
        proxy = requests.utils.select_proxy(url, self._proxies or {}) or ""
        setting = self._proxy_origin
        # host:port only: the whole proxy value is no_log, so Ansible would mask it in the message
        shown = "at " + without_credentials(proxy).rpartition("://")[2].rpartition("@")[2]
        reason = _reason(error)
        if "407" in reason:
            return (
                f"the proxy {shown} refused the credentials (HTTP 407 Proxy Authentication Required): give the right"
                f" user and password in {setting} as http://user:password@host:port"
            )
        if "tunnel connection failed" in reason.lower():
            return (
                f"the proxy {shown} refused to connect to {self.url} ({reason}): ask its administrators to allow it, or exclude the"
                f" host with NO_PROXY; the proxy comes from {setting}"
            )
        return f"cannot reach {self.url} through the proxy {shown} ({reason}): check {setting}, or exclude the host with NO_PROXY"

    def _connection_failure(self, error):
        reason = _reason(error)
        lowered = reason.lower()
        host = urlsplit(self.url).hostname
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or "failed to resolve" in lowered
            or "temporary failure in name resolution" in lowered
            or "no address associated" in lowered
        ):
            return _NotConnected(f"cannot resolve host {host!r} (DNS): check the url option (XSOAR_URL)")
        if "refused" in lowered:
            return _NotConnected(
                f"connection refused by {host}: nothing listens there; check the host and port in url ({self.url})"
            )
        # Reset or closed after the request went out: the server may have acted on it.
        return XsoarOutcomeUnknown(self.redact(f"connection to {self.url} dropped without an answer: {reason}"))

    def _checked(self, response, method, api_path, expected, api_base):
        text = _text(response)
        if response.status in expected:
            if looks_like_html(response.headers.get("Content-Type"), text):
                raise XsoarResponseError(html_message(self.url, response.status, self.api_key_id), response.status)
            if text.strip() and response.json is None:
                start = text.strip()[:80]
                raise XsoarResponseError(
                    self.redact(
                        f"{method} {api_path} answered HTTP {response.status} with a body that is not JSON"
                        f" ({start!r}): check that url is the XSOAR API address"
                    ),
                    response.status,
                )
            return response
        if looks_like_html(response.headers.get("Content-Type"), text):
            raise XsoarResponseError(html_message(self.url, response.status, self.api_key_id), response.status)
        message = self.redact(server_message(response.json, text))
        if response.status in (401, 403):
            hint = ""
            if self.api_key_type == "advanced":
                hint = clock_skew_hint(response.headers.get("Date"), time.time())
            raise XsoarAuthError(auth_message(response.status, message, self.api_key_id) + hint, response.status)
        if response.status == 404:
            raise XsoarResponseError(not_found_message(method, api_path, api_base, self.api_key_id), 404)
        if 300 <= response.status < 400:
            location = self.redact(response.headers.get("Location") or "")
            raise XsoarResponseError(
                redirect_message(method, api_path, api_base, response.status, location), response.status
            )
        hint = root_path_hint(response.status, self.api_key_id)
        raise XsoarResponseError(
            f"{method} {api_path}: HTTP {response.status} {message}{hint}",
            response.status,
        )


def _text(response):
    return response.body.decode("utf-8", "replace")


def _reason(error):
    """The innermost cause of a requests error, without the URL noise around it."""
    cause = error
    while getattr(cause, "__cause__", None) is not None or (cause.args and isinstance(cause.args[0], Exception)):
        cause = cause.__cause__ if cause.__cause__ is not None else cause.args[0]
    reason = getattr(cause, "reason", None)
    return str(reason if reason is not None else cause)


def certificate_rejected(error):
    reason = _reason(error)
    return "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason


def client_certificate_problem(error):
    """True when the TLS failure is about our client certificate: missing, refused or unreadable."""
    return any(sign in _words(error) for sign in CLIENT_CERT_SIGNS + CLIENT_FILE_SIGNS)


def _words(error):
    """The reason in lower case, with OpenSSL's codes (TLSV13_ALERT_CERTIFICATE_REQUIRED) as words."""
    return _reason(error).lower().replace("_", " ")


def tls_message(url, error, client_cert=None):
    reason = _reason(error)
    if "eof occurred" in reason.lower() and not certificate_rejected(error):
        # what a server that requires a client certificate often does: close the handshake without a word
        return (
            "TLS handshake with {} ended by the server ({}): a server that requires a client certificate does this"
            " when {}; set client_cert (XSOAR_CLIENT_CERT) and client_key (XSOAR_CLIENT_KEY) to a PEM certificate"
            " signed by a CA the server trusts and its key, or check that the server speaks HTTPS on this port".format(
                url, reason, "it does not trust the one given" if client_cert else "none is given"
            )
        )
    if any(sign in _words(error) for sign in CLIENT_FILE_SIGNS):
        return (
            f"client_cert / client_key cannot be used ({reason}): set client_cert (XSOAR_CLIENT_CERT) and client_key"
            " (XSOAR_CLIENT_KEY) to a PEM certificate and its own private key (unencrypted), or one PEM file with both"
        )
    if client_certificate_problem(error):
        return (
            f"TLS with {url} failed on the client certificate ({reason}): the server requires one it trusts; set client_cert"
            " (XSOAR_CLIENT_CERT) and client_key (XSOAR_CLIENT_KEY) to a PEM certificate signed by a CA the server"
            " trusts, and its matching key"
        )
    if certificate_rejected(error):
        return (
            f"TLS certificate of {url} is not trusted ({reason}): set ca_path (XSOAR_CA_PATH) to the CA bundle that"
            " signed it, or validate_certs: false for a lab server"
        )
    return f"TLS handshake with {url} failed ({reason}): check that the server speaks HTTPS on this port, and client_cert/client_key if it asks for one"


def html_message(url, status, api_key_id=None):
    """An HTML answer where JSON was expected: the web UI, or XSOAR 6's web app under /xsoar."""
    if api_key_id:
        # XSOAR 6 serves its web app (HTTP 200, HTML) for every path under /xsoar, so a key id,
        # which selects the XSOAR 8 path /xsoar/public/v1, ends here on XSOAR 6 (not in a 404).
        return (
            f"{url} answered HTTP {status} with an HTML page, not the JSON API: the url looks like the XSOAR web"
            f" UI, or, as api_key_id is set and so the XSOAR 8 path {CLOUD_API_PREFIX} was used, like an XSOAR 6"
            " server, which answers every /xsoar path with its web app. XSOAR 6: remove api_key_id (and"
            " XSOAR_API_KEY_ID); XSOAR 8 / cloud: use the API address https://api-<tenant>..."
        )
    return (
        f"{url} answered HTTP {status} with an HTML page, not the JSON API: the url looks like the XSOAR web"
        " UI (or a login page of a proxy). For XSOAR 8 / cloud use the API address https://api-<tenant>..."
        " with api_key_id; for XSOAR 6 use the server address itself"
    )


def root_path_hint(status, api_key_id):
    """XSOAR 8 answers paths outside /xsoar with HTTP 500: without a key id, that is where the calls go."""
    if status != 500 or api_key_id:
        return ""
    return (
        ". No api_key_id is set, so the XSOAR 6 path (no /xsoar prefix) was used, and XSOAR 8 answers such paths"
        " with HTTP 500: if the server is XSOAR 8 / cloud, set api_key_id (and XSOAR_API_KEY_ID) to the ID shown"
        " beside the key"
    )


def api_bases(url: str, xsoar8: bool) -> tuple[str, str]:
    """(public, legacy) API bases of a server: the one place that chooses an API prefix.

    XSOAR 6 serves its whole API at the root. XSOAR 8 (a key id) serves the public API under
    /xsoar/public/v1 and the whole server API, the legacy one, under /xsoar.
    """
    if not xsoar8:
        return url, url
    return url + CLOUD_API_PREFIX, url + LEGACY_API_PREFIX


def redirect_message(method, api_path, api_base, status, location):
    """A redirect instead of an answer (redirects are never followed: a POST would turn into a GET)."""
    where = (f" to {location}") if location else ""
    if status == 303:
        return (
            f"{method} {api_base}{api_path} answered HTTP 303 (a redirect{where}): the server has no such API call at this address. XSOAR 8"
            f" answers calls its public API ({CLOUD_API_PREFIX}) does not document this way; it is not the web UI"
        )
    return (
        f"{method} {api_base}{api_path} answered HTTP {status} (a redirect{where}), not the JSON API: the url"
        " may be the web UI or a single sign-on proxy; use the API address (XSOAR 8 / cloud:"
        " https://api-<tenant>... with api_key_id)"
    )


def auth_message(status, server_text, api_key_id):
    if status == 403 and "csrf" in server_text.lower():
        hint = "XSOAR 6 answers a wrong or revoked API key with 403 'Issue with CSRF code': check api_key"
        if api_key_id:
            hint += "; api_key_id is set, but a key id is only for XSOAR 8"
        return f"authentication failed (HTTP 403, {server_text}). {hint}"
    if api_key_id:
        return (
            f"authentication failed (HTTP {status}, {server_text}): XSOAR 8 rejected the key. Check api_key,"
            " api_key_id (the ID shown beside the key) and api_key_type (standard or advanced, as chosen when"
            " the key was made)"
        )
    return (
        f"authentication failed (HTTP {status}, {server_text}): check api_key; for XSOAR 8 / cloud also set api_key_id"
    )


def parse_http_date(text: str | None) -> float | None:
    """Seconds since the epoch of an HTTP Date header (RFC 9110: whole seconds, GMT), else None."""
    if not text:
        return None
    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed))


def clock_skew_hint(date_header: str | None, now: float) -> str:
    """For a refused advanced key: how far this host's clock is from the server's `Date`, when that is far."""
    server_time = parse_http_date(date_header)
    if server_time is None:
        return ""
    skew = now - server_time
    if abs(skew) < CLOCK_SKEW_SHOWN:
        return ""
    direction = "ahead of" if skew > 0 else "behind"
    return (
        f". This host's clock is {abs(skew):.0f}s {direction} the server's (Date: {date_header}): an advanced key"
        " signs the time of each request, and XSOAR refuses a signature whose time is off; set this host's clock"
        " right (NTP), the key may be fine"
    )


def not_found_message(method, api_path, api_base, api_key_id):
    if api_key_id:
        hint = "api_key_id is set, so the XSOAR 8 path was used; if the server is XSOAR 6, remove api_key_id"
    else:
        hint = "no api_key_id is set, so the XSOAR 6 path was used; for XSOAR 8 / cloud set api_key_id"
    return f"{method} {api_base}{api_path}: HTTP 404 not found. {hint}"
