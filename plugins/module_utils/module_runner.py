# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module does around its own logic: check inputs, build the client, report errors."""

from __future__ import annotations

from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.xsoar.connector.plugins.module_utils.arguments import validate_connection
from ansible_collections.xsoar.connector.plugins.module_utils.connection import open_client
from ansible_collections.xsoar.connector.plugins.module_utils.client import REQUESTS_IMPORT_ERROR, Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError

# prepare(params) checks a module's own options and returns what execute needs
Prepare = Callable[[dict[str, Any]], Any]
# execute(client, prepared, check_mode) returns the module result
Execute = Callable[[Client, Any, bool], dict[str, Any]]


def run_module(module: AnsibleModule, prepare: Prepare, execute: Execute) -> None:
    """Validate everything with `prepare(params)` before any request, then `execute(client, prepared)`.

    `execute` returns the module result (a dict with at least `changed`); an XsoarError from either
    step fails the module with its message and no traceback.
    """
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    # fail_json is called outside the except blocks: inside one, ansible-core adds the handled
    # exception's traceback to the output (-vvv), which for an input error is noise
    failure: XsoarError | None = None
    try:
        settings = dict(module.params, url=validate_connection(module.params))
        prepared = prepare(module.params)
    except XsoarError as error:
        failure = error
    if failure is not None:
        module.fail_json(msg=str(failure))
    client = open_client(settings, module.warn)
    try:
        result = execute(client, prepared, module.check_mode)
    except XsoarError as error:
        failure = error
        result = dict(getattr(error, "result", {}))
    finally:
        client.close()
    # warnings go through module.warn on failure too (a `warnings` key of fail_json is deprecated)
    for warning in result.pop("warnings", []):
        module.warn(client.redact(warning))
    if failure is not None:
        module.fail_json(msg=client.redact(failure), **result)
    module.exit_json(**result)
