# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: defined once here, documented once in doc_fragments/connection.py."""

from __future__ import annotations

import copy
import importlib.util
import math
import os
from typing import Any

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import NoLogError, UnsupportedError
from urllib.parse import urlsplit

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError


def _env(name: str) -> tuple[Any, list[str]]:
    return (env_fallback, [name])


CONNECTION_SPEC: dict[str, dict[str, Any]] = dict(
    # Required, but checked by validate_connection: AnsibleModule's "missing required arguments: api_key,
    # url" would not say that the environment variables are the other way to give them.
    url=dict(type="str", fallback=_env("XSOAR_URL")),
    api_key=dict(type="str", no_log=True, fallback=_env("XSOAR_API_KEY")),
    # The key id identifies the key (it is shown beside it in XSOAR); it is not a secret.
    api_key_id=dict(type="str", no_log=False, fallback=_env("XSOAR_API_KEY_ID")),
    api_key_type=dict(
        type="str",
        no_log=False,
        default="standard",
        choices=["standard", "advanced"],
        fallback=_env("XSOAR_API_KEY_TYPE"),
    ),
    validate_certs=dict(type="bool", default=True, fallback=_env("XSOAR_VALIDATE_CERTS")),
    ca_path=dict(type="path", fallback=_env("XSOAR_CA_PATH")),
    client_cert=dict(type="path", fallback=_env("XSOAR_CLIENT_CERT")),
    client_key=dict(type="path", no_log=False, fallback=_env("XSOAR_CLIENT_KEY")),
    proxy=dict(type="str", no_log=True, fallback=_env("XSOAR_PROXY")),  # may carry user:password@
    timeout=dict(type="float", default=30, fallback=_env("XSOAR_TIMEOUT")),
    retries=dict(type="int", default=3, fallback=_env("XSOAR_RETRIES")),
    max_answer_mb=dict(type="int", default=64, fallback=_env("XSOAR_MAX_ANSWER_MB")),
)

MAX_RETRIES = 10
# Far above any answer of the calls the collection makes; an answer of this size takes a few times it in memory.
MAX_ANSWER_MB = 1024
# An hour per answer is far beyond any API call; larger values overflow the socket layer (inf does).
MAX_TIMEOUT = 3600

# XSOAR 8's API prefixes: the public API, and the whole server API (client.api_bases chooses between them).
CLOUD_API_PREFIX = "/xsoar/public/v1"
LEGACY_API_PREFIX = "/xsoar"
# Paths that the client adds itself; a url that already ends with one would double it.
API_PATH_SUFFIXES = (CLOUD_API_PREFIX, LEGACY_API_PREFIX)


def connection_argument_spec(**module_options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The connection options merged with a module's own options."""
    spec = copy.deepcopy(CONNECTION_SPEC)
    spec.update(module_options)
    return spec


def without_suboptions(spec: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`spec` for AnsibleModule, with the sub-options of list and dict options left to validated_suboptions.

    ansible-core (2.16 to 2.21 at least) lists no_log values by walking sub-options; a string where a dict
    belongs (labels: "Source ansible") makes that walk raise, and the module then fails with no value
    masked: the API key in plain text in the invocation (-vvv output, AWX job events).
    """
    return {
        name: {key: value for key, value in option.items() if key not in ("options", "mutually_exclusive")}
        for name, option in spec.items()
    }


def validated_suboptions(values: dict[str, Any], spec: dict[str, Any], where: str = "") -> dict[str, Any]:
    """`values` (a dict) checked and converted against `spec` as AnsibleModule would, once no_log is in place.

    `where` prefixes the message (for example "incidents[2]: "); returns the validated values.
    """
    result = ArgumentSpecValidator(spec).validate(values)
    # a NoLogError repeats, less clearly, an error that follows it
    errors = [error for error in result.errors.errors if not isinstance(error, NoLogError)] or result.errors.errors
    if errors:
        unsupported = "unsupported option " if isinstance(errors[0], UnsupportedError) else ""
        raise XsoarInputError(f"{where}{unsupported}{errors[0].msg}")
    return result.validated_parameters


def _check_url(url: str) -> str:
    text = (url or "").strip()
    if not text:
        raise XsoarInputError(
            "url is empty: set url (or XSOAR_URL) to the XSOAR address, e.g. https://xsoar.example.com"
        )
    shown = without_credentials(text)  # url is not a secret option: never quote a password given in it
    if any(char.isspace() for char in text):
        raise XsoarInputError(f"url {shown!r} contains spaces: give the bare address, e.g. https://xsoar.example.com")
    try:
        parts = urlsplit(text)
    except ValueError as error:  # "Invalid IPv6 URL" for an unclosed [
        raise XsoarInputError(
            f"url {shown!r} is not a valid address ({error}): use https://<host>[:port], an IPv6 host in brackets"
            " such as https://[::1]:8443"
        )
    if parts.scheme not in ("https", "http"):
        raise XsoarInputError(
            f"url {shown!r} must start with https:// (or http:// for a lab server), e.g. https://xsoar.example.com"
        )
    if not parts.hostname:
        raise XsoarInputError(f"url {shown!r} has no host name: use https://<host>[:port]")
    try:
        parts.port  # noqa: B018 (reading it validates the port)
    except ValueError:
        raise XsoarInputError(f"url {shown!r} has an invalid port: use https://<host>[:port]")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise XsoarInputError(
            f"url {shown!r} must be the bare address https://<host>[:port] without user, query or fragment;"
            " credentials go in api_key"
        )
    path = parts.path.rstrip("/")
    for suffix in API_PATH_SUFFIXES:
        if path.endswith(suffix):
            raise XsoarInputError(
                f"url {shown!r} ends with {suffix}: give the base address only; the API path is chosen from api_key_id"
            )
    return text.rstrip("/")


def _check_file(option: str, path: str | None) -> None:
    if path and not os.path.isfile(path):
        raise XsoarInputError(
            f"{option} {path!r} is not a readable file: give the path of a PEM file on the host that runs the module"
        )


def without_credentials(address: str) -> str:
    """An address to quote in a message, with everything before its last "@" (user, password) hidden.

    Textual, not urlsplit: without a scheme, "user:password@host" would parse as scheme "user".
    """
    scheme, separator, rest = address.rpartition("://")
    if "@" not in rest:
        return address
    return scheme + separator + "<credentials>@" + rest.rpartition("@")[2]


def _check_api_key(api_key: str) -> None:
    # Never quote the key: a message is not masked once the key is shown escaped (repr of "key\n").
    if not (api_key or "").strip():
        raise XsoarInputError("api_key is empty: set api_key (or XSOAR_API_KEY) to an XSOAR API key")
    if any(char.isspace() or not char.isprintable() for char in api_key):
        raise XsoarInputError(
            "api_key contains spaces, a line break or other control characters: remove them (a key read from a"
            " file or a variable often ends with a newline)"
        )
    if not api_key.isascii():  # it goes into an HTTP header; XSOAR keys are ASCII letters and digits
        raise XsoarInputError(
            "api_key contains a character that is not ASCII (such as a typographic quote or dash pasted with it):"
            " copy the key again from XSOAR, as plain text"
        )


def _check_api_key_id(api_key_id: str | None) -> None:
    # "" is how an unset XSOAR_API_KEY_ID or AWX field arrives: it means XSOAR 6. Never quote the value:
    # a key pasted into the wrong option would be shown, and api_key_id is not masked.
    if api_key_id is None or api_key_id == "":
        return
    if not api_key_id.strip():
        raise XsoarInputError(
            "api_key_id is blank: set it to the key's ID (a number such as 17, listed beside the key on XSOAR 8),"
            " or leave it unset for XSOAR 6"
        )
    # str.isdigit also accepts other scripts' digits (١٧), which cannot go into an HTTP header
    if not (api_key_id.isascii() and api_key_id.isdigit()):
        raise XsoarInputError(
            "api_key_id must be the key's numeric ID (such as 17, listed beside the key on XSOAR 8), without"
            " spaces; check that api_key and api_key_id are not swapped"
        )


def _check_given(params: dict[str, Any]) -> None:
    missing = [option for option in ("url", "api_key") if params.get(option) is None]
    if missing:
        variables = " and ".join(f"XSOAR_{option.upper()}" for option in missing)
        raise XsoarInputError(
            "{} not set: export {} in the environment of the host that runs the module (an AWX credential does),"
            " or give the {} option{} (once for all modules: module_defaults group/xsoar.connector.xsoar)".format(
                " and ".join(missing) + (" are" if len(missing) > 1 else " is"),
                variables,
                " and ".join(missing),
                "s" if len(missing) > 1 else "",
            )
        )


def _check_proxy(proxy: str) -> None:
    shown = without_credentials(proxy)  # never quote a proxy password
    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 (reading it validates the port)
    except ValueError as error:
        raise XsoarInputError(
            f"proxy {shown!r} is not a valid address ({str(error).replace(proxy, shown)}): use http://[user:password@]<proxy>:<port>"
        )
    if parts.scheme not in ("http", "https", "socks5", "socks5h"):
        raise XsoarInputError(f"proxy {shown!r} needs a scheme: use http://<proxy>:<port>")
    if not parts.hostname:
        raise XsoarInputError(f"proxy {shown!r} has no host name: use http://[user:password@]<proxy>:<port>")
    if parts.scheme.startswith("socks") and importlib.util.find_spec("socks") is None:
        raise XsoarInputError(
            f"proxy {shown!r} is a SOCKS proxy, which needs the Python library PySocks on the host that runs the"
            " module: pip install PySocks (or requests[socks]) there, or use an HTTP proxy"
        )


def validate_connection(params: dict[str, Any]) -> str:
    """Check the connection options beyond what the argument spec can; return the normalised url."""
    _check_given(params)
    url = _check_url(params["url"])
    _check_api_key(params["api_key"])
    _check_api_key_id(params.get("api_key_id"))
    if params["api_key_type"] == "advanced" and not params.get("api_key_id"):
        raise XsoarInputError(
            "api_key_type=advanced is an XSOAR 8 key: set api_key_id (the ID shown beside the key in XSOAR)"
        )
    for option in ("ca_path", "client_cert", "client_key"):
        _check_file(option, params.get(option))
    if params.get("client_key") and not params.get("client_cert"):
        raise XsoarInputError("client_key is set without client_cert: set client_cert to the certificate of that key")
    if params.get("ca_path") and not params["validate_certs"]:
        raise XsoarInputError(
            "ca_path is set but validate_certs is false: remove one of them (ca_path only matters when certificates are checked)"
        )
    if params.get("proxy"):
        _check_proxy(params["proxy"])
    timeout = params["timeout"]
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise XsoarInputError(f"timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT}, got {timeout}")
    if not 0 <= params["retries"] <= MAX_RETRIES:
        raise XsoarInputError(f"retries must be between 0 and {MAX_RETRIES}, got {params['retries']}")
    max_answer_mb = params.get("max_answer_mb", 64)
    if not 1 <= max_answer_mb <= MAX_ANSWER_MB:
        raise XsoarInputError(
            f"max_answer_mb must be between 1 and {MAX_ANSWER_MB} (megabytes of one answer), got {max_answer_mb}"
        )
    return url
