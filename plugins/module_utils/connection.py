# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From connection options to a client: the one bootstrap of modules, the callback and the EDA source."""

from __future__ import annotations

from typing import Any, Callable

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.xsoar.connector.plugins.module_utils.arguments import validate_connection
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError

INSECURE_WARNING = "validate_certs is false: the server's certificate is not checked, so the API key can be intercepted"


def connection_settings(values: dict[str, Any], spec: dict[str, Any], fix: str = "") -> dict[str, Any]:
    """Options given outside a module (a callback's, an event source's) -> the settings a Client takes.

    Checked against `spec` as a module's options are, then by the connection rules; XsoarInputError
    names the option. `fix`, when given, follows the spec's own messages (where to set the option).
    """
    result = ArgumentSpecValidator(spec).validate(values)
    if result.errors.errors:
        message = result.errors.errors[0].msg
        if fix:
            message = f"{message}: {fix}"
        raise XsoarInputError(message)
    settings = result.validated_parameters
    settings["url"] = validate_connection(settings)
    return settings


def open_client(settings: dict[str, Any], warn: Callable[[str], None], remember_unreachable: bool = True) -> Client:
    """The client of validated settings, after the warning every entry point gives for unchecked certificates."""
    if not settings["validate_certs"] and settings["url"].startswith("https://"):
        warn(INSECURE_WARNING)
    return Client(settings, remember_unreachable=remember_unreachable)
