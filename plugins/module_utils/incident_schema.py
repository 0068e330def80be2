# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON schema of the incident fields a create request may carry (XSOAR's CreateIncidentRequest).

Field names and types follow the server's swagger (demisto-py server_api_swagger.json), except
custom field values: the swagger types them as objects, real servers take any JSON value.
"""

from __future__ import annotations

from typing import Any

_STRING_FIELDS = (
    "name",
    "type",
    "details",
    "owner",
    "playbookId",
    "closeReason",
    "closeNotes",
    "reason",
    "phase",
    "category",
    "rawJSON",
    "sourceBrand",
    "sourceInstance",
    "account",
    "parent",
    "rawName",
    "rawType",
    "rawCategory",
    "rawPhase",
    "rawCloseReason",
    "activatingingUserId",
    "closingUserId",
    "runStatus",
)
# Strings the server parses as RFC 3339 times (swagger format date-time); checked by incident_fields.
DATE_TIME_FIELDS = ("occurred", "dueDate", "reminder", "notifyTime", "activated", "closed", "lastOpen")
_INTEGER_FIELDS = ("ShardID", "autime", "droppedCount", "linkedCount", "openDuration")
_STRING_LIST_FIELDS = ("roles", "previousRoles", "linkedIncidents", "canvases", "sortValues")

# Fields the module decides itself: an incident is found by name, never addressed by id in a body.
MANAGED_BY_MODULE = ("id", "version", "created", "modified", "investigationId", "status")

_properties: dict[str, dict[str, Any]] = {field: {"type": "string"} for field in _STRING_FIELDS + DATE_TIME_FIELDS}
_properties.update((field, {"type": "integer"}) for field in _INTEGER_FIELDS)
_properties.update((field, {"type": "array", "items": {"type": "string"}}) for field in _STRING_LIST_FIELDS)
_properties.update(
    {
        "severity": {"type": "number", "enum": [0, 0.5, 1, 2, 3, 4]},
        "createInvestigation": {"type": "boolean"},
        "isPlayground": {"type": "boolean"},
        "hasRole": {"type": "boolean"},
        "labels": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
                "required": ["type", "value"],
                "additionalProperties": False,
            },
        },
        "CustomFields": {"type": "object"},
        "customFields": {"type": "object"},
        "sla": {"type": "number"},  # SLAState: a double
    }
)

INCIDENT_BODY_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": _properties,
    "additionalProperties": True,
}

KNOWN_BODY_FIELDS = frozenset(_properties) | frozenset(MANAGED_BY_MODULE)
