# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of xsoar_api: one request to any XSOAR API path, through the collection's client."""

from __future__ import annotations

import json
import re

from typing import Any, Callable, NamedTuple
from urllib.parse import unquote, urlsplit

from ansible_collections.xsoar.connector.plugins.module_utils.arguments import LEGACY_API_PREFIX
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client, Response, api_bases
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarConnectionError,
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
    XsoarUnreachableError,
)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PREFIXES = ["auto", "public", "legacy"]
DEFAULT_STATUS_CODES = [200, 201, 204]

API_OPTIONS: dict[str, dict[str, Any]] = dict(
    method=dict(type="str", default="GET", choices=METHODS),
    path=dict(type="str", required=True),
    body=dict(type="raw"),
    prefix=dict(type="str", default="auto", choices=PREFIXES),
    status_code=dict(type="list", elements="int", default=DEFAULT_STATUS_CODES),
    idempotent=dict(type="bool"),
    changed=dict(type="bool"),
)

# XSOAR 8 answers a route its public API does not document with 303 (or 405) on live tenants,
# before acting on it (cortex-ps-toolkit content-probe.md): the legacy prefix may have the route.
PREFIX_FALLBACK_STATUSES = (303, 405)
# "https:", "javascript:", "mailto:" ...: a scheme makes the path an address of its own
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
QUERY_SEPARATORS = re.compile(r"[/&=;]")
ENCODED_SEPARATORS = ("%2f", "%5c")


class ApiRequest(NamedTuple):
    """What the task asks for, checked: the request and how to treat it."""

    method: str
    path: str
    body: Any
    prefix: str
    expected: tuple
    retry: bool  # may be sent again after a failure (GET, or a write marked idempotent)
    changed: bool  # what the task reports when the request is sent (or would be)


# --- path checking -----------------------------------------------------------------------


def decoded_levels(path: str) -> list:
    """`path` and each percent-decoding of it, until decoding changes nothing more."""
    levels = [path]
    while True:
        decoded = unquote(levels[-1])
        if decoded == levels[-1]:
            return levels
        levels.append(decoded)


def _refuse(path: str, problem: str) -> XsoarInputError:
    return XsoarInputError(f"path {path!r} {problem}")


def _check_shape(path: str) -> None:
    """The path names a place on the configured server: no address, host or fragment of its own."""
    if not path:
        raise XsoarInputError("path is empty: give the API path after the prefix, such as /incidents/search")
    if SCHEME.match(path) or "://" in path:
        raise _refuse(
            path,
            "is an absolute URL: give only the API path after the prefix, such as /incidents/search; the server comes"
            " from url (XSOAR_URL)",
        )
    if not path.startswith("/"):
        raise _refuse(path, "must start with /, such as /incidents/search")
    if path.startswith("//"):
        raise _refuse(path, "starts with //, which names another host: give one leading /, such as /incidents/search")
    if "#" in path:
        raise _refuse(path, "has a fragment (#...), which is never sent: remove it")
    if any(char.isspace() for char in path):
        raise _refuse(path, "contains spaces or line breaks: percent-encode them (a space is %20)")


def _check_decoded(path: str) -> None:
    """What the path says once a server or proxy has decoded it: no escape from the API prefix."""
    levels = decoded_levels(path)
    if len(levels) > 2:
        raise _refuse(path, "is percent-encoded more than once (such as %252e): give it encoded once")
    for text in levels:
        route, _mark, query = text.partition("?")
        if "\\" in text:
            raise _refuse(path, "contains a backslash (\\ or %5c), which some servers read as /: remove it")
        if any(not char.isprintable() for char in text):
            raise _refuse(path, "contains control characters (such as %0d%0a or %00): remove them")
        if any(sign in route.lower() for sign in ENCODED_SEPARATORS):
            raise _refuse(path, "contains an encoded / or \\ (%2f, %5c): give path segments with a plain /")
        if ";" in route:
            raise _refuse(path, "contains ';' before the query: XSOAR paths have no parameters there")
        if {".", ".."} & set(route.split("/")) or ".." in QUERY_SEPARATORS.split(query):
            raise _refuse(path, "contains a . or .. segment (plain or percent-encoded): give the path without them")
    route = levels[-1].partition("?")[0]
    if route == LEGACY_API_PREFIX or route.startswith(LEGACY_API_PREFIX + "/"):
        raise _refuse(
            path,
            "starts with /xsoar: give the path after the API prefix, such as /incidents/search; the prefix option"
            " chooses /xsoar/public/v1 or /xsoar",
        )


def check_path(path: str) -> str:
    """`path` when it is a path under the API prefix of the configured server; XsoarInputError otherwise.

    Refused: absolute and protocol-relative URLs (another host), fragments, whitespace and control
    characters, backslashes, dot segments and encoded separators at any level of percent-decoding,
    double encoding, and a path that repeats the API prefix. A query string is allowed.
    """
    _check_shape(path)
    _check_decoded(path)
    return path


def request_url(base: str, path: str) -> str:
    """base + path, refused unless it stays on base's host and under base's path."""
    url = base + path
    parts = urlsplit(url)
    base_parts = urlsplit(base)
    same_place = parts.scheme == base_parts.scheme and parts.netloc == base_parts.netloc
    if not same_place or not parts.path.startswith(base_parts.path + "/"):
        raise _refuse(path, f"would leave the API at {base}")
    return url


# --- decisions -----------------------------------------------------------------------------


def sends_in_check_mode(method: str) -> bool:
    """Only a GET runs in check mode: it only reads. Any other method could write."""
    return method == "GET"


def default_changed(method: str) -> bool:
    """Without `changed`: a GET changes nothing; any other method is taken to change something."""
    return method != "GET"


def may_retry(method: str, idempotent: bool | None) -> bool:
    """A GET is retried; a write only when the task says sending it twice is harmless."""
    if idempotent is None:
        return method == "GET"
    return idempotent


def prefix_bases(url: str, api_key_id: str | None, prefix: str) -> tuple:
    """The API bases to try in order for `prefix`, by the client's rule (a key id means XSOAR 8).

    XSOAR 6 has no prefix. XSOAR 8: public is /xsoar/public/v1 (the client's own base), legacy is
    /xsoar (the whole server API, as batchClose uses it), auto is public, then legacy when the public
    API answers that it has no such route.
    """
    if not api_key_id:
        return (url,)
    public, legacy = api_bases(url, True)
    if prefix == "public":
        return (public,)
    if prefix == "legacy":
        return (legacy,)
    return (public, legacy)


def parse_body(method: str, body: Any) -> Any:
    """The JSON body to send: a mapping or list as given, a string parsed as JSON text."""
    if body is None:
        return None
    if method == "GET":
        raise XsoarInputError(
            "body is set but method is GET, which sends no body: use method POST (XSOAR's searches are POST)"
        )
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as error:
            raise XsoarInputError(
                f"body is a string that is not JSON: give a mapping or a list, or JSON text ({error})"
            )
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise XsoarInputError(f"body cannot be sent as JSON: give plain mappings, lists, strings and numbers ({error})")
    return body


def expected_statuses(codes: list) -> tuple:
    if not codes:
        raise XsoarInputError("status_code is empty: give the HTTP statuses that mean success, such as [200, 201]")
    for code in codes:
        if not 100 <= code <= 599:
            raise XsoarInputError(f"status_code must hold HTTP statuses from 100 to 599, not {code}")
    return tuple(codes)


def prepare_api(params: dict) -> ApiRequest:
    """Everything checked before anything is sent."""
    method = params["method"]
    changed = params.get("changed")
    if changed is None:
        changed = default_changed(method)
    return ApiRequest(
        method=method,
        path=check_path(params["path"]),
        body=parse_body(method, params.get("body")),
        prefix=params["prefix"],
        expected=expected_statuses(params["status_code"]),
        retry=may_retry(method, params.get("idempotent")),
        changed=changed,
    )


# --- the request ---------------------------------------------------------------------------


def redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """`value` (parsed JSON) with every string, keys included, passed through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redacted(item, redact) for item in value]
    if isinstance(value, dict):
        return {redact(str(key)): redacted(item, redact) for key, item in value.items()}
    return value


def prefix_hint(prefix: str, api_key_id: str | None, status: int | None) -> str:
    """Why XSOAR 8 may have answered that it has no such route, and what to try."""
    if status not in PREFIX_FALLBACK_STATUSES or not api_key_id:
        return ""
    if prefix == "public":
        return (
            ". prefix is public: the public API (/xsoar/public/v1) lacks many routes; prefix auto or legacy reaches"
            " the whole server API"
        )
    return ". The legacy prefix (/xsoar), which carries the whole server API, answered so: check path and method"


def _send_once(client: Client, request: ApiRequest, base: str) -> Response:
    retries = None if request.retry else 0
    idempotent = request.retry
    request_url(base, request.path)
    return client.request(
        request.method, request.path, request.body, request.expected, idempotent, base, retries=retries
    )


def send(client: Client, request: ApiRequest, bases: tuple) -> tuple[Response, str]:
    """(answer, base): sent under each base in turn while XSOAR 8 answers that it has no such route."""
    for base in bases[:-1]:
        try:
            return _send_once(client, request, base), base
        except XsoarResponseError as error:
            if error.status not in PREFIX_FALLBACK_STATUSES:
                raise
    base = bases[-1]
    try:
        return _send_once(client, request, base), base
    except XsoarResponseError as error:
        hint = prefix_hint(request.prefix, client.api_key_id, error.status)
        if not hint:
            raise
        failure = XsoarResponseError(f"{error}{hint}", error.status)
    raise failure


def sent_once_note(request: ApiRequest, error: XsoarConnectionError) -> XsoarConnectionError:
    """A write not marked idempotent was sent once: say so, and that it may have been done."""
    if request.method == "GET" or request.retry or isinstance(error, XsoarUnreachableError):
        return error
    note = (
        f"; {request.method} is sent once unless idempotent is true, and it was not sent again:"
        " check in XSOAR whether it took effect before running the task again"
    )
    if isinstance(error, XsoarOutcomeUnknown):
        return XsoarOutcomeUnknown(f"{error}{note}", error.resend_safe)
    return XsoarConnectionError(f"{error}{note}")


def run_api(client: Client, request: ApiRequest, check_mode: bool) -> dict:
    """Send the request (a write not in check mode); the result with the answer's JSON, redacted."""
    bases = prefix_bases(client.url, client.api_key_id, request.prefix)
    result = dict(
        changed=request.changed,
        method=request.method,
        url=request_url(bases[0], request.path),
        body=redacted(request.body, client.redact),
        sent=False,
    )
    if check_mode and not sends_in_check_mode(request.method):
        return result
    try:
        answer, base = send(client, request, bases)
    except XsoarConnectionError as error:
        raise sent_once_note(request, error)
    result.update(url=base + request.path, sent=True, status=answer.status, json=redacted(answer.json, client.redact))
    return result
