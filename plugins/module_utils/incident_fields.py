# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn module options into XSOAR incident fields and compare incidents."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from datetime import datetime

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_schema import (
    INCIDENT_BODY_SCHEMA,
    KNOWN_BODY_FIELDS,
    MANAGED_BY_MODULE,
)

try:
    import jsonschema
    JSONSCHEMA_MISSING = None
except ImportError:  # pragma: no cover - reported when a body needs validating
    jsonschema = None
    JSONSCHEMA_MISSING = missing_required_lib("jsonschema")

# Kibana common/xsoar/constants.ts
SEVERITY_BY_NAME = {"unknown": 0, "informational": 0.5, "low": 1, "medium": 2, "high": 3, "critical": 4}
SEVERITY_NAME_BY_NUMBER = dict((number, name.capitalize()) for name, number in SEVERITY_BY_NAME.items())
# Kibana server/connector_types/xsoar/render.ts: anything else is Unknown.
RULE_SEVERITY = {"low": 1, "medium": 2, "high": 3, "critical": 4}
MAX_NAME_LENGTH = 1000

# Module option -> incident field; these are the fields a task manages (for update and diff).
OPTION_FIELDS = (
    ("type", "type"),
    ("details", "details"),
    ("owner", "owner"),
    ("labels", "labels"),
    ("custom_fields", "CustomFields"),
    ("occurred", "occurred"),
)


def parse_severity(value):
    """A severity name (any case) or one of XSOAR's numbers -> the number XSOAR stores."""
    if isinstance(value, bool):
        raise XsoarInputError(_severity_help(value))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in SEVERITY_BY_NAME:
            return SEVERITY_BY_NAME[text]
        try:
            value = float(text)
        except ValueError:
            raise XsoarInputError(_severity_help(value))
    if isinstance(value, (int, float)) and value in SEVERITY_NAME_BY_NUMBER:
        return int(value) if float(value).is_integer() else float(value)
    raise XsoarInputError(_severity_help(value))


def _severity_help(value):
    return (
        "severity %r is not valid: use Unknown, Informational, Low, Medium, High or Critical"
        " (any case), or 0, 0.5, 1, 2, 3, 4" % (value,)
    )


def rule_severity_number(rule_severity):
    """Kibana's "keep severity from rule": low 1, medium 2, high 3, critical 4, anything else 0."""
    return RULE_SEVERITY.get(str(rule_severity or "").strip().lower(), 0)


def severity_name(number):
    return SEVERITY_NAME_BY_NUMBER.get(number, str(number))


def check_name(name, option="name"):
    if not isinstance(name, str) or not name.strip():
        raise XsoarInputError("%s is empty: give the incident a name; it is what makes the task idempotent" % option)
    if len(name) > MAX_NAME_LENGTH:
        raise XsoarInputError("%s is %d characters long: XSOAR incident names must stay under %d" % (option, len(name), MAX_NAME_LENGTH))
    if name != name.strip():
        raise XsoarInputError("%s %r starts or ends with spaces: remove them (XSOAR compares names exactly)" % (option, name))
    return name


def names_match(wanted, incident):
    """Exact comparison on the client: the server's name search is by tokens, not exact."""
    return isinstance(incident, dict) and incident.get("name") == wanted


def parse_body(body, option="body"):
    """Kibana's Body: a dict, or a string of JSON that must decode to an object."""
    if body is None or body == "":
        return {}
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as error:
            raise XsoarInputError("%s is not valid JSON (%s): give a JSON object or a YAML dict" % (option, error))
    if not isinstance(body, dict):
        raise XsoarInputError("%s must be a JSON object of incident fields, got %s" % (option, type(body).__name__))
    return body


def validate_body(body, option="body"):
    """Check the types of known incident fields; return warnings about unknown top-level keys."""
    forbidden = sorted(key for key in body if key in MANAGED_BY_MODULE)
    if forbidden:
        raise XsoarInputError(
            "%s sets %s: the module manages these itself (it finds the incident by name); remove them"
            % (option, ", ".join(forbidden))
        )
    if jsonschema is None:
        raise XsoarInputError("%s cannot be validated: %s" % (option, JSONSCHEMA_MISSING))
    errors = sorted(jsonschema.Draft7Validator(INCIDENT_BODY_SCHEMA).iter_errors(body), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.path) or "(top level)"
        raise XsoarInputError("%s.%s is invalid: %s" % (option, where, first.message))
    unknown = sorted(key for key in body if key not in KNOWN_BODY_FIELDS)
    if unknown:
        return ["%s has fields XSOAR does not document for incidents: %s; they are sent as given (custom"
                " fields belong in custom_fields)" % (option, ", ".join(unknown))]
    return []


def check_labels(labels, option="labels"):
    for index, label in enumerate(labels or []):
        if not isinstance(label, dict) or set(label) != {"type", "value"} or not all(isinstance(v, str) for v in label.values()):
            raise XsoarInputError(
                "%s[%d] must be a dict with exactly the string keys type and value, e.g. {type: Source, value: ansible}"
                % (option, index)
            )


def check_occurred(occurred, option="occurred"):
    if occurred is not None and parse_time(occurred) is None:
        raise XsoarInputError("%s %r is not an RFC 3339 time: use e.g. 2026-11-29T10:00:00Z" % (option, occurred))


def parse_time(value):
    """An RFC 3339 string -> aware datetime, or None (also for Go's nanoseconds and Python 3.9's limits)."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([zZ]|[+-]\d{2}:\d{2})$", value.strip())
    if not match:
        return None
    stamp, fraction, zone = match.groups()
    text = "%s.%s%s" % (stamp, (fraction or "0")[:6].ljust(6, "0"), "+00:00" if zone in "zZ" else zone)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def incident_request(options, playbook_id):
    """The create body for one item: body (Kibana's extra fields) overlaid with the named options.

    `options` are an item's options already checked by `check_item`; returns (request, warnings).
    """
    body = parse_body(options.get("body"))
    warnings = validate_body(body) if body else []
    named = {"name": options["name"]}
    if "severity" not in body or options.get("severity") is not None or options.get("rule_severity") is not None:
        # a severity in the body counts when neither severity option is given
        named["severity"] = item_severity(options)
    if playbook_id is not None:
        named["playbookId"] = playbook_id
    if options.get("start_investigation") is not None:
        named["createInvestigation"] = bool(options["start_investigation"])
    for option, field in OPTION_FIELDS:
        if options.get(option) is not None:
            named[field] = options[option]
    if "customFields" in body and "CustomFields" in named:
        named["customFields"] = named.pop("CustomFields")
    overridden = sorted(key for key in named if key in body and body[key] != named[key])
    if overridden:
        warnings.append("body sets %s, which the named options override" % ", ".join(overridden))
    request = dict(body)
    request.update(named)
    return request, warnings


def item_severity(options):
    if options.get("rule_severity") is not None:
        return rule_severity_number(options["rule_severity"])
    if options.get("severity") is None:
        return 0
    return parse_severity(options["severity"])


def check_item(options, where=""):
    """Validate one item's options before any request; `where` prefixes option names (bulk items)."""
    check_name(options.get("name"), where + "name")
    if options.get("severity") is not None and options.get("rule_severity") is not None:
        raise XsoarInputError(
            "%sseverity and %srule_severity are mutually exclusive: rule_severity keeps the alerting rule's"
            " severity, severity sets one; give only one" % (where, where)
        )
    if options.get("severity") is not None:
        try:
            parse_severity(options["severity"])
        except XsoarInputError as error:
            raise XsoarInputError(where + str(error))
    check_labels(options.get("labels"), where + "labels")
    check_occurred(options.get("occurred"), where + "occurred")
    body = parse_body(options.get("body"), where + "body")
    if body:
        validate_body(body, where + "body")


def managed_view(incident, request):
    """The fields of `incident` that `request` manages, for diff and comparison."""
    view = {}
    for key, wanted in request.items():
        if key == "createInvestigation":
            continue
        current = incident.get("CustomFields" if key == "customFields" else key)
        if isinstance(wanted, dict) and isinstance(current, dict):
            current = dict((sub, current.get(sub)) for sub in wanted)
        view[key] = current
    return view


def same_value(current, wanted):
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


def changed_fields(incident, request):
    """The request fields whose value differs from the incident's (updates send only these)."""
    view = managed_view(incident, request)
    return dict(
        (key, value) for key, value in request.items()
        if key in view and key != "name" and not same_value(view[key], value)
    )


def incident_summary(incident):
    """The managed fields of an incident as diff/return output shows them."""
    return dict((key, incident.get(key)) for key in ("id", "name", "severity", "status", "playbookId") if key in incident)
