# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server's incident fields and types, and the checks of an item's custom fields and type against them.

Reads: GET /incidentfields (an array of IncidentField: cliName, name, type, selectValues,
associatedTypes, associatedToAll, required, system) and GET /incidenttype (an array of IncidentType
with its name), as demisto-sdk and demisto/content scripts read them. Neither is in XSOAR 8's
public API reference, so on XSOAR 8 they go to the legacy /xsoar prefix, which carries the whole
server API (as batchClose does). The checks are pure: tables in, messages out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import planner
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.desired import DesiredIncident, TaskOptions
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import Incident
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarAuthError,
    XsoarInputError,
    XsoarResponseError,
)

SELECT_TYPES = ("singleSelect", "multiSelect")
CLOSEST_COUNT = 3
CLOSEST_CUTOFF = 0.5
CHOICES_SHOWN = 20
FORBIDDEN_WARNING = (
    "the API key may not read the incident field definitions (HTTP 403 on GET /incidentfields or /incidenttype),"
    " so custom fields and the type were sent unchecked: give the key's role read access to incident fields and types, or set"
    " validate_fields: false to skip the check"
)


class FieldDefinition(NamedTuple):
    """One incident field as the server defines it."""

    cli_name: str
    name: str
    type: str
    select_values: tuple
    incident_types: tuple
    associated_to_all: bool
    required: bool
    system: bool


class Definitions(NamedTuple):
    """What the checks compare with: fields by machine name, incident type names (None: not read)."""

    fields: dict | None
    types: tuple | None


class Needs(NamedTuple):
    """Which definitions a task needs read: fields for custom fields, types for a type."""

    fields: bool
    types: bool


def field_definition(raw: dict) -> FieldDefinition:
    """An IncidentField of the server as a record (missing keys as empty values)."""
    select_values = raw.get("selectValues") or []
    incident_types = raw.get("associatedTypes") or []
    return FieldDefinition(
        cli_name=str(raw.get("cliName") or ""),
        name=str(raw.get("name") or ""),
        type=str(raw.get("type") or ""),
        select_values=tuple(str(value) for value in select_values),
        incident_types=tuple(str(name) for name in incident_types),
        associated_to_all=bool(raw.get("associatedToAll")),
        required=bool(raw.get("required")),
        system=bool(raw.get("system")),
    )


def read_list(client: Client, path: str) -> list[dict[str, Any]]:
    """One GET of a definitions list; the answer must be a JSON array."""
    data = client.get(path, base=client.legacy_base).json
    if not isinstance(data, list):
        raise XsoarResponseError(f"GET {path} answered without a JSON array: check that url is the XSOAR API address")
    return [entry for entry in data if isinstance(entry, dict)]


def read_fields(client: Client) -> dict[str, FieldDefinition]:
    """{cliName: FieldDefinition} of every incident field the server defines."""
    fields: dict[str, FieldDefinition] = {}
    for raw in read_list(client, "/incidentfields"):
        definition = field_definition(raw)
        if definition.cli_name:
            fields[definition.cli_name] = definition
    return fields


def read_types(client: Client) -> tuple[str, ...]:
    """The names of the incident types the server defines."""
    names = [str(raw.get("name")) for raw in read_list(client, "/incidenttype") if raw.get("name")]
    return tuple(names)


def read_definitions(client: Client, needs: Needs) -> Definitions:
    """The definitions `needs` asks for, one request each."""
    fields = read_fields(client) if needs.fields else None
    types = read_types(client) if needs.types else None
    return Definitions(fields, types)


def closest(wanted: str, candidates: Iterable[str]) -> list[str]:
    """Up to three candidates most like `wanted`, compared without case."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    matches = difflib.get_close_matches(wanted.lower(), list(by_lower), n=CLOSEST_COUNT, cutoff=CLOSEST_CUTOFF)
    return [by_lower[match] for match in matches]


def quoted_list(names: Iterable[object]) -> str:
    return ", ".join(repr(name) for name in names)


def display_name_match(key: str, fields: dict[str, FieldDefinition]) -> FieldDefinition | None:
    """The field whose display name is `key` (without case and spaces): the user gave its display name."""
    folded = "".join(key.split()).lower()
    for definition in fields.values():
        if "".join(definition.name.split()).lower() == folded:
            return definition
    return None


def unknown_field_message(key: str, fields: dict[str, FieldDefinition], where: str) -> str:
    """Why a custom field key is refused, with the machine names it may have meant."""
    start = f"{where}custom field {key!r} is not a field of this XSOAR server"
    named = display_name_match(key, fields)
    if named is not None and named.cli_name != key:
        return f"{start}: {named.name!r} is a display name, its machine name is {named.cli_name!r}"
    near = closest(key, fields)
    hint = "no field has a similar machine name"
    if near:
        hint = f"closest machine names: {quoted_list(near)}"
    return f"{start} ({hint}); xsoar_incident_field_info lists the fields"


def choices_text(choices: tuple[str, ...]) -> str:
    shown = [choice for choice in choices if choice][:CHOICES_SHOWN]
    more = len([choice for choice in choices if choice]) - len(shown)
    text = quoted_list(shown)
    if more > 0:
        text += f" and {more} more"
    return text


def select_message(key: str, value: object, definition: FieldDefinition, where: str) -> str | None:
    """Why a select field's value is refused (outside its choices), or None.

    A select field without choices takes any value (its choices may come from a script).
    """
    choices = definition.select_values
    if definition.type not in SELECT_TYPES or not choices:
        return None
    values = value if isinstance(value, list) else [value]
    outside = [item for item in values if str(item) not in choices]
    if not outside:
        return None
    return (
        f"{where}custom field {key!r} has a value outside the choices of its {definition.type} field"
        f" {definition.name!r}: {quoted_list(outside)}; choose from {choices_text(choices)}"
    )


def custom_field_messages(custom: dict[str, Any], fields: dict[str, FieldDefinition], where: str) -> list[str]:
    """Every problem of an item's custom fields: unknown machine names, values outside a select's choices."""
    messages = []
    for key, value in custom.items():
        definition = fields.get(key)
        if definition is None:
            messages.append(unknown_field_message(key, fields, where))
            continue
        message = select_message(key, value, definition, where)
        if message is not None:
            messages.append(message)
    return messages


def type_message(type_name: str, types: tuple[str, ...], where: str) -> str | None:
    """Why an incident type is refused (the server would store it as Unclassified), or None."""
    if type_name in types:
        return None
    start = f"{where}type {type_name!r} is not an incident type of this XSOAR server"
    same = [name for name in types if name.lower() == type_name.lower()]
    if same:
        return f"{start}: type names are compared exactly, did you mean {same[0]!r}?"
    near = closest(type_name, types)
    if near:
        return f"{start} (closest: {quoted_list(near)}); the server would store it as 'Unclassified'"
    return f"{start} (known types: {choices_text(types)})"


class Check(NamedTuple):
    """What one item sends that the definitions must allow."""

    where: str
    custom: dict[str, Any]
    type: str | None


def item_check(item: DesiredIncident, action: planner.Action) -> Check | None:
    """The custom fields and type the item's write sends: all for a create, the changed ones for an update."""
    fields = item.fields
    if isinstance(action, planner.Create):
        sent = fields
    elif isinstance(action, planner.Update):
        sent = {key: fields[key] for key in ("CustomFields", "type") if key in action.changes and key in fields}
    else:
        return None
    custom = sent.get("CustomFields") or {}
    type_name = sent.get("type")
    if not custom and type_name is None:
        return None
    return Check(item.where, custom, type_name)


def checks_for(
    items: tuple[DesiredIncident, ...], existing: dict[str, list[Incident]], task: TaskOptions
) -> list[Check]:
    """The checks of the items that will be created or updated with custom fields or a type."""
    checks = []
    for item in items:
        if item.state != "present":
            continue
        action = planner.main_action(planner.plan(item, existing[item.name], task))
        check = item_check(item, action)
        if check is not None:
            checks.append(check)
    return checks


def needs_of(checks: list[Check]) -> Needs:
    return Needs(
        fields=any(check.custom for check in checks),
        types=any(check.type is not None for check in checks),
    )


def check_messages(checks: list[Check], definitions: Definitions) -> list[str]:
    """Every problem of every check, in item order."""
    messages = []
    for check in checks:
        if definitions.fields is not None:
            messages.extend(custom_field_messages(check.custom, definitions.fields, check.where))
        if check.type is not None and definitions.types is not None:
            message = type_message(check.type, definitions.types, check.where)
            if message is not None:
                messages.append(message)
    return messages


def validate_items(
    client: Client, items: tuple[DesiredIncident, ...], existing: dict[str, list[Incident]], task: TaskOptions
) -> list[str]:
    """xsoar_incident's hook: refuse bad custom fields and types before any write; returns warnings.

    Reads the definitions once per task, and only when an item to create or update sends custom
    fields or a type (an idempotent re-run reads nothing). A key that may not read them (403) gets
    a warning and no check.
    """
    if not task.get("validate_fields", True):
        return []
    checks = checks_for(items, existing, task)
    if not checks:
        return []
    try:
        definitions = read_definitions(client, needs_of(checks))
    except XsoarAuthError as error:
        if error.status != 403:
            raise
        return [FORBIDDEN_WARNING]
    messages = check_messages(checks, definitions)
    if messages:
        raise XsoarInputError("; ".join(messages) + " (nothing was sent; validate_fields: false skips this check)")
    return []


# --- xsoar_incident_field_info ---------------------------------------------------------

FIELD_INFO_OPTIONS: dict[str, dict[str, Any]] = dict(
    name=dict(type="str"),
    type=dict(type="str"),
    incident_type=dict(type="str"),
)


class FieldFilter(NamedTuple):
    """xsoar_incident_field_info's filters (None: not filtered)."""

    name: str | None
    type: str | None
    incident_type: str | None


def prepare_field_info(params: dict[str, Any]) -> FieldFilter:
    for option in FIELD_INFO_OPTIONS:
        value = params.get(option)
        if value is not None and not value.strip():
            raise XsoarInputError(f"{option} is empty: give a value to filter by, or leave {option} out")
    return FieldFilter(params.get("name"), params.get("type"), params.get("incident_type"))


def field_matches(definition: FieldDefinition, wanted: FieldFilter) -> bool:
    """Name: the machine or display name, without case; type: the field type, without case."""
    if wanted.name is not None:
        names = (definition.cli_name.lower(), definition.name.lower())
        if wanted.name.lower() not in names:
            return False
    if wanted.type is not None and definition.type.lower() != wanted.type.lower():
        return False
    if wanted.incident_type is None or definition.associated_to_all:
        return True
    return wanted.incident_type in definition.incident_types


def field_summary(definition: FieldDefinition) -> dict[str, Any]:
    return {
        "cli_name": definition.cli_name,
        "name": definition.name,
        "type": definition.type,
        "select_values": [value for value in definition.select_values if value],
        "incident_types": list(definition.incident_types),
        "associated_to_all": definition.associated_to_all,
        "required": definition.required,
        "system": definition.system,
    }


def run_field_info(client: Client, wanted: FieldFilter, check_mode: bool) -> dict[str, Any]:
    fields = read_fields(client).values()
    found = [field_summary(field) for field in fields if field_matches(field, wanted)]
    return {"changed": False, "fields": found}
