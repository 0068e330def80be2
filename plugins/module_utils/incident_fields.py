# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn module options into XSOAR incident fields and compare incidents."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from functools import cache
from datetime import datetime
from types import ModuleType
from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_schema import (
    DATE_TIME_FIELDS,
    INCIDENT_BODY_SCHEMA,
    KNOWN_BODY_FIELDS,
    MANAGED_BY_MODULE,
)

# An incident as the server answers it (a JSON object).
Incident = dict[str, Any]

# Kibana common/xsoar/constants.ts
SEVERITY_BY_NAME = {"unknown": 0, "informational": 0.5, "low": 1, "medium": 2, "high": 3, "critical": 4}
SEVERITY_NAME_BY_NUMBER = {number: name.capitalize() for name, number in SEVERITY_BY_NAME.items()}
# Kibana server/connector_types/xsoar/render.ts: anything else is Unknown.
RULE_SEVERITY = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# XSOAR documents 600 characters for system fields such as the name (demisto/content-docs#1601, #1605);
# what a create beyond it does is unpublished, and a cut name is never found again by name.
MAX_NAME_LENGTH = 600
# Unicode's format (zero-width space, joiners, BOM) and control characters: invisible in a key, never in a field's name.
INVISIBLE_CATEGORIES = ("Cf", "Cc")
# Deeper JSON is no incident field; Python's own parsers would hit their recursion limit.
MAX_DEPTH = 100
# Kibana's placeholder severity for "keep the rule's severity", never sent to XSOAR.
KIBANA_RULE_SEVERITY_PLACEHOLDER = 5
# RFC 3339 exactly as XSOAR's Go server parses it: "T", an upper-case "Z" or an offset, nothing around.
STRICT_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
# The incident statuses XSOAR counts as closed: done, archived.
CLOSED_STATUSES = (2, 3)


def is_closed(incident: Incident) -> bool:
    return incident.get("status") in CLOSED_STATUSES


def parse_severity(value: object) -> int | float:
    """A severity name (any case) or one of XSOAR's numbers -> the number XSOAR stores."""
    given = value  # quoted as given: float("nan") would show as nan, not 'nan'
    if isinstance(value, bool):
        raise XsoarInputError(_severity_help(given))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in SEVERITY_BY_NAME:
            return SEVERITY_BY_NAME[text]
        try:
            value = float(text)
        except ValueError:
            raise XsoarInputError(_severity_help(given))
    if isinstance(value, (int, float)) and value in SEVERITY_NAME_BY_NUMBER:
        return int(value) if float(value).is_integer() else float(value)
    raise XsoarInputError(_severity_help(given))


def _severity_help(value: object) -> str:
    placeholder = ""
    if not isinstance(value, bool) and str(value).strip() in ("5", "5.0"):
        placeholder = (
            f"; {KIBANA_RULE_SEVERITY_PLACEHOLDER} is Kibana's placeholder for the rule's severity:"
            " use rule_severity for that"
        )
    return (
        f"severity {value!r} is not valid: use Unknown, Informational, Low, Medium, High or Critical"
        f" (any case), or 0, 0.5, 1, 2, 3, 4{placeholder}"
    )


def rule_severity_number(rule_severity: str | None) -> int:
    """Kibana's "keep severity from rule": low 1, medium 2, high 3, critical 4, anything else 0."""
    return RULE_SEVERITY.get(str(rule_severity or "").strip().lower(), 0)


def check_name(
    name: object,
    option: str = "name",
    empty_hint: str = "give the incident a name; it is what makes the task idempotent",
) -> str:
    if name is not None and not isinstance(name, str):
        raise XsoarInputError(
            f"{option} must be one string, got a {type(name).__name__}: give one incident name (a list of incidents goes"
            " into incidents)"
        )
    if not isinstance(name, str) or not name.strip():
        raise XsoarInputError(f"{option} is empty: {empty_hint}")
    if len(name) > MAX_NAME_LENGTH:
        raise XsoarInputError(
            f"{option} is {len(name)} characters long: shorten it to at most {MAX_NAME_LENGTH} characters"
            " (XSOAR's limit for incident names)"
        )
    if name != name.strip():
        raise XsoarInputError(
            f"{option} {name!r} starts or ends with spaces: remove them (XSOAR compares names exactly)"
        )
    if not has_a_word(name):
        raise XsoarInputError(
            f"{option} {name!r} has no letter or digit: XSOAR searches names by their words, so an incident of"
            " this name could never be found again (each run would open another one); add a word, for example"
            f" 'Alert {name}'"
        )
    return name


def has_a_word(name: str) -> bool:
    """Whether the server's word search can find `name`: punctuation and emoji alone are no words."""
    return any(character.isalnum() for character in name)


def names_match(wanted: str, incident: object) -> bool:
    """Exact comparison on the client: the server's name search is by tokens, not exact."""
    return isinstance(incident, dict) and incident.get("name") == wanted


def parse_body(body: object, option: str = "body") -> dict[str, Any]:
    """Kibana's Body: a dict, or a string of JSON that must decode to an object."""
    if body is None or body == "":
        return {}
    if isinstance(body, str):
        try:
            body = json.loads(body, parse_constant=_refuse_constant)
        except RecursionError:
            raise XsoarInputError(f"{option} is nested deeper than {MAX_DEPTH} levels: flatten it")
        except ValueError as error:
            raise XsoarInputError(f"{option} is not valid JSON ({error}): give a JSON object or a YAML dict")
    if not isinstance(body, dict):
        raise XsoarInputError(f"{option} must be a JSON object of incident fields, got {type(body).__name__}")
    check_json_value(body, option)
    return body


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON; XSOAR refuses it")


def check_json_value(value: object, option: str) -> None:
    """Only what JSON can carry: no NaN or Infinity (real servers refuse them), nesting bounded.

    Walked with a stack, not recursion: a body nested 100000 deep must get a message, not a RecursionError.
    """
    stack: list[tuple[object, int, str]] = [(value, 1, option)]
    while stack:
        current, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise XsoarInputError(f"{option} is nested deeper than {MAX_DEPTH} levels: flatten it")
        if isinstance(current, float) and (math.isnan(current) or math.isinf(current)):
            raise XsoarInputError(
                f"{where} is {current}, which JSON cannot carry (XSOAR refuses it): give a number or a string"
            )
        if isinstance(current, dict):
            stack.extend((item, depth + 1, f"{where}.{key}") for key, item in current.items())
        elif isinstance(current, (list, tuple)):
            stack.extend((item, depth + 1, f"{where}[{index}]") for index, item in enumerate(current))


def validate_body(body: dict[str, Any], option: str = "body") -> list[str]:
    """Check the types of known incident fields; return warnings about unknown top-level keys."""
    forbidden = sorted(key for key in body if key in MANAGED_BY_MODULE)
    if forbidden:
        raise XsoarInputError(
            "{} sets {}: the module manages these itself (it finds the incident by name); remove them".format(
                option, ", ".join(forbidden)
            )
        )
    errors = sorted(_body_validator(option).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.path) or "(top level)"
        raise XsoarInputError(
            f"{option}.{where} is invalid: {first.message}; give it the type XSOAR documents for this field"
        )
    for field in DATE_TIME_FIELDS:
        if field in body:
            check_time(body[field], f"{option}.{field}")
    for key in ("CustomFields", "customFields"):
        check_custom_fields(body.get(key), f"{option}.{key}")
    unknown = sorted(key for key in body if key not in KNOWN_BODY_FIELDS)
    if unknown:
        return [
            "{} has fields XSOAR does not document for incidents: {}; they are sent as given (custom"
            " fields belong in custom_fields)".format(option, ", ".join(unknown))
        ]
    return []


def _body_validator(option: str) -> Any:
    """Draft 7, except that 1.0 is no integer: XSOAR's Go server refuses it for its int64 fields.

    jsonschema is imported here, only when a body is given (it costs 30 ms of every module start).
    """
    try:
        import jsonschema
    except ImportError:
        raise XsoarInputError("{} cannot be validated: {}".format(option, missing_required_lib("jsonschema")))
    return _built_validator(jsonschema)


@cache
def _built_validator(jsonschema: ModuleType) -> Any:
    """Built once per module run: a bulk task validates the body of every item with it."""
    integer_checker = jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    validator = jsonschema.validators.extend(jsonschema.Draft7Validator, type_checker=integer_checker)
    return validator(INCIDENT_BODY_SCHEMA)


def check_labels(labels: list[Any] | None, option: str = "labels") -> None:
    for index, label in enumerate(labels or []):
        if (
            not isinstance(label, dict)
            or set(label) != {"type", "value"}
            or not all(isinstance(v, str) for v in label.values())
        ):
            raise XsoarInputError(
                f"{option}[{index}] must be a dict with exactly the string keys type and value,"
                " e.g. {type: Source, value: ansible}"
            )


def rfc3339_text(value: str) -> str:
    """A time as XSOAR's server parses it: YAML's unquoted timestamps arrive as "2026-11-29 10:00:00+00:00"."""
    text = value.strip()
    if len(text) > 10 and text[10] == " ":
        text = text[:10] + "T" + text[11:]
    return text[:-1] + "Z" if text.endswith("z") else text


def check_time(value: object, option: str = "occurred") -> None:
    """A time the server will parse once rfc3339_text has normalised it (strict RFC 3339)."""
    if value is None:
        return
    strict = isinstance(value, str) and STRICT_RFC3339.match(rfc3339_text(value))
    if not strict or parse_time(value) is None:
        raise XsoarInputError(
            f"{option} {value!r} is not an RFC 3339 time: use e.g. 2026-11-29T10:00:00Z or 2026-11-29T11:00:00+01:00"
        )


def check_playbook(playbook: str | None, option: str = "playbook") -> None:
    if playbook is not None and not playbook.strip():
        raise XsoarInputError(
            f"{option} is empty: give a playbook name or id (xsoar_playbook_info lists them), or leave {option} out"
        )


def check_custom_fields(custom_fields: dict[str, Any] | None, option: str = "custom_fields") -> None:
    """Custom fields go by machine name (lower case, no spaces); XSOAR ignores other keys silently."""
    for key in custom_fields or {}:
        key = str(key)
        invisible = [char for char in key if unicodedata.category(char) in INVISIBLE_CATEGORIES]
        if invisible:
            raise XsoarInputError(
                f"{option} key {key!r} contains an invisible character (U+{ord(invisible[0]):04X}), often pasted with"
                f" it: type the key again, e.g. {machine_name(key)!r}"
            )
        spaced = any(char.isspace() for char in key)
        if not key.strip() or spaced or key != key.lower():
            raise XsoarInputError(
                f"{option} key {key!r} is not a field's machine name: use the name without spaces in lower case,"
                f" e.g. {machine_name(key)!r}"
            )


def machine_name(key: str) -> str:
    """What a custom field's key most likely should be: its visible characters, no spaces, lower case."""
    visible = "".join(char for char in key if unicodedata.category(char) not in INVISIBLE_CATEGORIES)
    return "".join(visible.split()).lower() or "scanip"


def check_label_values(labels: object, option: str = "labels") -> None:
    """A label's type and value are one string each: a list or dict would be stored as its Python text."""
    if not isinstance(labels, list):
        return
    for index, label in enumerate(labels):
        if not isinstance(label, dict):
            continue
        for part in ("type", "value"):
            if isinstance(label.get(part), (list, dict)):
                kind = type(label[part]).__name__
                raise XsoarInputError(
                    f"{option}[{index}].{part} is a {kind}: a label has one string {part}; for several values give"
                    " several labels of the same type, e.g. [{type: Host, value: db1}, {type: Host, value: db2}]"
                )


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 string -> aware datetime, or None (also for Go's nanoseconds and Python 3.9's limits)."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([zZ]|[+-]\d{2}:\d{2})$", value.strip())
    if not match:
        return None
    stamp, fraction, zone = match.groups()
    microseconds = (fraction or "0")[:6].ljust(6, "0")
    if zone in "zZ":
        zone = "+00:00"
    text = f"{stamp}.{microseconds}{zone}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def created_order(incident: Incident) -> tuple[bool, float, int, str]:
    """A sort key of incidents by `created` as a time, then id as a number: every run orders them alike.

    As text, XSOAR's times do not sort: Go trims trailing zeros of the fraction ("...:56.12Z" is
    before "...:56.123Z") and XSOAR 6 writes local offsets. An unreadable time sorts first.
    """
    created = parse_time(incident.get("created"))
    ident = str(incident.get("id") or "")
    return (created is not None, created.timestamp() if created is not None else 0.0, len(ident), ident)


def same_value(current: object, wanted: object) -> bool:
    if isinstance(wanted, bool) or isinstance(current, bool):  # in Python, True == 1
        return type(wanted) is type(current) and wanted == current
    if isinstance(wanted, str) and isinstance(current, str):
        current_time, wanted_time = parse_time(current), parse_time(wanted)
        if current_time is not None and wanted_time is not None:
            return current_time == wanted_time
    if isinstance(wanted, dict) and isinstance(current, dict):
        return all(same_value(current.get(key), value) for key, value in wanted.items())
    if isinstance(wanted, list) and isinstance(current, list):
        return len(current) == len(wanted) and all(same_value(c, w) for c, w in zip(current, wanted))
    if isinstance(wanted, (int, float)) and isinstance(current, (int, float)):
        return float(current) == float(wanted)
    return current == wanted
