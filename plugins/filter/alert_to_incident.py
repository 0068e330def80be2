# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: alert_to_incident
short_description: Turn alert payloads (Kibana webhook or generic) into xsoar_incident bulk items
version_added: 1.0.0
description:
  - Turns alerts, as a webhook delivers them, into the items of
    O(xsoar.connector.xsoar_incident#module:incidents), one item per incident name, with the rule's severity kept and C(state=closed) when the alert recovered.
  - "Two payload shapes. Kibana's rule action variables, as a Webhook connector body renders them
    (the body in the C(alert_incident) role's C(files/kibana_webhook_body.json)):
    C({\"rule\": {\"id\", \"name\", \"url\"}, \"alert\": {\"id\", \"actionGroup\"}, \"context\": {\"rule\": {\"severity\"},
    \"reason\"}, \"date\"}). A generic C({\"rule\": {\"name\", \"severity\"}, \"id\", \"status\", \"message\",
    \"timestamp\"}). Only C(rule.name) is required."
  - The incident name is C(<name_prefix><rule.name>), followed by C(\" / <alert id>\") when the alert has an id
    (C(alert.id), else C(id)) other than the rule name.
  - The severity is the rule's, C(context.rule.severity) as Kibana's XSOAR connector reads it, else
    C(rule.severity), given as the item's C(rule_severity) (low, medium, high, critical, anything else
    Unknown); O(severity) sets a fixed one instead.
  - An alert is recovered when Kibana's C(alert.actionGroup) is V(recovered), or its C(status) is V(recovered),
    V(resolved), V(ok) or V(closed) (any case); its item then has C(state=closed), otherwise C(state=present).
  - C(occurred) is C(date) (else C(timestamp)) when that is an RFC 3339 time XSOAR accepts; otherwise the time
    is only in the details.
  - When several alerts make the same incident name, the last one counts (in the place of the first).
  - The strings of the payload are not templated; pass a payload that is not trusted as unsafe.
positional: _input
options:
  _input:
    description: One alert (a dict, or a string of JSON), or a list of them.
    type: raw
    required: true
  name_prefix:
    description: Put in front of the rule name in the incident name.
    type: str
    default: ""
  name:
    description: A fixed incident name instead of the one made from the alert; only with a single alert.
    type: str
    default: ""
  severity:
    description:
      - A fixed severity (V(Low), V(Medium), ... or 0 to 4) for every item, instead of the rule's.
      - Empty keeps the rule's severity.
    type: raw
    default: ""
  playbook:
    description: Playbook (id or name) set on every item; empty sets none.
    type: str
    default: ""
  type:
    description: Incident type set on every item; empty sets none.
    type: str
    default: ""
  labels:
    description: Labels added to each item's C(Alert rule) label.
    type: list
    elements: dict
    default: []
notes:
  - The C(xsoar.connector.alert_incident) role runs this filter and sends its items in one bulk task.
seealso:
  - module: xsoar.connector.xsoar_incident
"""

EXAMPLES = r"""
- name: Open the incidents of firing alerts, close those of recovered ones
  xsoar.connector.xsoar_incident:
    incidents: "{{ webhook_payload | xsoar.connector.alert_to_incident(name_prefix='Kibana: ') }}"
    close_reason: Resolved

# {"rule": {"name": "Disk usage", "severity": "critical"}, "id": "db1", "status": "firing"}
# becomes
# [{"name": "Disk usage / db1", "state": "present", "rule_severity": "critical",
#   "details": "Alert of rule Disk usage\nAlert: db1\nSeverity of the rule: critical",
#   "labels": [{"type": "Alert rule", "value": "Disk usage"}]}]
"""

RETURN = r"""
_value:
  description:
    - The items for O(xsoar.connector.xsoar_incident#module:incidents), one per incident name, in the order of
      the alerts.
    - Each has C(name), C(state) (V(present) or V(closed)), C(details), C(labels), and C(rule_severity) or
      C(severity); C(occurred), C(playbook) and C(type) when they are known.
  type: list
  elements: dict
"""

import json
from typing import Any, Callable

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import STRICT_RFC3339, parse_time

RECOVERED_STATUSES = ("recovered", "resolved", "ok", "closed")
# an alert as a webhook delivers it (parsed JSON)
Alert = dict[str, Any]

# shown in messages as what an alert looks like
EXAMPLE = json.dumps({"rule": {"name": "High CPU", "severity": "high"}})
# the labels of the details' lines
LINE = {
    "rule": "Alert of rule",
    "alert": "Alert",
    "severity": "Severity of the rule",
    "reason": "Reason",
    "url": "Rule URL",
    "time": "Time",
}


def alert_list(payload: Any) -> list[Alert]:
    """The alerts of a payload: a dict, a string of JSON, or a list of either."""
    alerts = payload if isinstance(payload, (list, tuple)) else [payload]
    parsed = []
    for index, alert in enumerate(alerts):
        if isinstance(alert, str):
            try:
                alert = json.loads(alert)
            except ValueError as error:
                raise AnsibleFilterError(
                    f"alert_to_incident: alert {index + 1} is a string but not JSON ({error}); give a dict or"
                    f" a JSON object such as {EXAMPLE}"
                )
        if not isinstance(alert, dict):
            raise AnsibleFilterError(
                f"alert_to_incident: alert {index + 1} is not a dict (got {type(alert).__name__}); give an alert"
                f" such as {EXAMPLE}"
            )
        parsed.append(alert)
    return parsed


def _part(alert: Alert, key: str) -> Alert:
    value = alert.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return "" if value is None else to_text(value).strip()


def _first(*values: Any) -> str:
    """The first value that is not empty, as text (Jinja's default(..., true) chain)."""
    for value in values:
        if _text(value):
            return _text(value)
    return ""


def rule_name(alert: Alert) -> str:
    return _text(_part(alert, "rule").get("name"))


def rule_severity(alert: Alert) -> str:
    # Kibana's XSOAR connector reads {{context.rule.severity}}; the generic shape has rule.severity.
    return _first(_part(_part(alert, "context"), "rule").get("severity"), _part(alert, "rule").get("severity"))


def alert_id(alert: Alert) -> str:
    return _first(_part(alert, "alert").get("id"), alert.get("id"))


def is_recovered(alert: Alert) -> bool:
    """Kibana's recovered action group, or the status that Alertmanager-like senders use."""
    action_group = _text(_part(alert, "alert").get("actionGroup")).lower()
    return action_group == "recovered" or _text(alert.get("status")).lower() in RECOVERED_STATUSES


def alert_time(alert: Alert) -> str:
    return _first(alert.get("date"), alert.get("timestamp"))


def is_rfc3339(text: str) -> bool:
    """A time the module accepts as occurred (strict RFC 3339, a real date)."""
    return bool(STRICT_RFC3339.match(text)) and parse_time(text) is not None


def incident_name(alert: Alert, name_prefix: str = "", name: str = "") -> str:
    if name:
        return name
    rule = rule_name(alert)
    ident = alert_id(alert)
    if ident and ident != rule:
        return f"{name_prefix}{rule} / {ident}"
    return name_prefix + rule


def details(alert: Alert) -> str:
    rule = _part(alert, "rule")
    context = _part(alert, "context")
    reason = _first(context.get("reason"), context.get("message"), alert.get("message"), alert.get("description"))
    rule_text = rule_name(alert)
    rule_id = _text(rule.get("id"))
    if rule_id:
        rule_text += f" ({rule_id})"
    lines = [
        ("rule", rule_text),
        ("alert", alert_id(alert)),
        ("severity", rule_severity(alert) or "not given"),
        ("reason", reason),
        ("url", _text(rule.get("url"))),
        ("time", alert_time(alert)),
    ]
    shown = []
    for key, value in lines:
        if not value:
            continue
        # "Alert of rule X" is a sentence; the others are "Label: value"
        separator = " " if key == "rule" else ": "
        shown.append(LINE[key] + separator + value)
    return "\n".join(shown)


def incident_item(
    alert: Alert,
    name_prefix: str = "",
    name: str = "",
    severity: Any = "",
    playbook: str = "",
    type: str = "",
    labels: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The xsoar_incident bulk item of one alert."""
    item = {
        "name": incident_name(alert, name_prefix, name),
        "state": "closed" if is_recovered(alert) else "present",
        "details": details(alert),
        "labels": [{"type": "Alert rule", "value": rule_name(alert)}] + list(labels or []),
    }
    if _text(severity):
        item["severity"] = severity
    else:
        item["rule_severity"] = rule_severity(alert)
    if is_rfc3339(alert_time(alert)):
        item["occurred"] = alert_time(alert)
    for option, value in (("playbook", playbook), ("type", type)):
        if _text(value):
            item[option] = value
    return item


def check_alerts(alerts: list[Alert], name: str) -> None:
    names = [rule_name(alert) for alert in alerts]
    unnamed = not names or not all(names)
    fixed_name_for_many = bool(name) and len(names) != 1
    if unnamed or fixed_name_for_many:
        shown = [rule or "(none)" for rule in names]
        raise AnsibleFilterError(
            "alert_to_incident: give an alert, or a list of alerts, each with rule.name set (for example"
            f" {EXAMPLE}); a fixed name can name only a single alert; got {len(names)} alert(s) with the rule"
            f" names {shown}"
        )


def alert_to_incident(
    payload: Any,
    name_prefix: str = "",
    name: str = "",
    severity: Any = "",
    playbook: str = "",
    type: str = "",
    labels: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The bulk items of every alert of `payload`, one per incident name (the last alert of a name counts)."""
    alerts = alert_list(payload)
    check_alerts(alerts, _text(name))
    if labels is not None and not isinstance(labels, (list, tuple)):
        raise AnsibleFilterError(
            f"alert_to_incident: labels must be a list of {{type, value}} dicts, got a {labels.__class__.__name__}"
        )
    by_name: dict[str, dict[str, Any]] = {}
    for alert in alerts:
        item = incident_item(alert, to_text(name_prefix or ""), _text(name), severity, playbook, type, labels)
        by_name[item["name"]] = item
    return list(by_name.values())


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"alert_to_incident": alert_to_incident}
