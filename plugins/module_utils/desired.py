# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident's input: each item, once, into a desired record (only the fields the user set).

Create-time defaults (severity Unknown) are added by the planner, only to a create.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple, TypedDict

from ansible_collections.xsoar.connector.plugins.module_utils.arguments import (
    connection_argument_spec,
    validated_suboptions,
    without_suboptions,
)
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import (
    check_custom_fields,
    check_json_value,
    check_label_values,
    check_labels,
    check_name,
    check_playbook,
    check_time,
    parse_body,
    parse_severity,
    rfc3339_text,
    rule_severity_number,
    validate_body,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_schema import DATE_TIME_FIELDS
from ansible_collections.xsoar.connector.plugins.module_utils.name_lock import LockSettings, lock_settings

CLOSE_OPTIONS = ("close_reason", "close_notes")
DEFAULT_WAIT_FOR_ID = 60
# Writes of a bulk task in flight at once: a few connections hide the round trip of each, and stay far
# from what a server's API is shared with (its UI, integrations, other playbooks).
DEFAULT_PARALLEL_WRITES = 4
MAX_PARALLEL_WRITES = 16

ITEM_OPTION_SPEC: dict[str, dict[str, Any]] = dict(
    # raw, not str: ansible-core 2.21 would turn a list into the name "['a', 'b']"
    name=dict(type="raw"),
    state=dict(type="str", default="present", choices=["present", "closed", "absent"]),
    severity=dict(type="raw"),
    rule_severity=dict(type="str"),
    playbook=dict(type="str"),
    start_investigation=dict(type="bool"),
    type=dict(type="str"),
    details=dict(type="str"),
    owner=dict(type="str"),
    labels=dict(
        type="list",
        elements="dict",
        options=dict(type=dict(type="str", required=True), value=dict(type="str", required=True)),
    ),
    custom_fields=dict(type="dict"),
    occurred=dict(type="str"),
    body=dict(type="raw"),
    close_reason=dict(type="str"),
    close_notes=dict(type="str"),
)
# Options an item can carry; in the single form they are the module's own options.
ITEM_OPTIONS = tuple(ITEM_OPTION_SPEC)
# Options sent as the incident field of another name, as they are (the others are parsed in desired_fields).
OPTION_FIELDS = (
    ("type", "type"),
    ("details", "details"),
    ("owner", "owner"),
    ("labels", "labels"),
    ("custom_fields", "CustomFields"),
    ("occurred", "occurred"),
)
TASK_OPTION_SPEC: dict[str, dict[str, Any]] = dict(
    match_closed=dict(type="bool", default=False),
    update_existing=dict(type="bool", default=False),
    close_duplicates=dict(type="bool", default=False),
    wait_for_id=dict(type="float", default=DEFAULT_WAIT_FOR_ID),
    continue_on_item_error=dict(type="bool", default=False),
    parallel_writes=dict(type="int", default=DEFAULT_PARALLEL_WRITES),
    # no defaults: name_lock.lock_settings reads XSOAR_NAME_LOCK / XSOAR_NAME_LOCK_DIR (the callback too)
    name_lock=dict(type="bool"),
    name_lock_dir=dict(type="path"),
    validate_fields=dict(type="bool", default=True),
)
# Items inherit what they leave out from the task, so their options have no defaults.
BULK_ITEM_SPEC = {
    option: {key: value for key, value in option_spec.items() if key != "default"}
    for option, option_spec in ITEM_OPTION_SPEC.items()
}
LABELS_SPEC = {"labels": ITEM_OPTION_SPEC["labels"]}


class DesiredIncident(NamedTuple):
    """One item of xsoar_incident as the user wants it, checked; the planner compares it to the server."""

    name: str
    # present, closed or absent
    state: str
    # the option prefix of its messages: "" or "incidents[3]."
    where: str
    # the incident fields the user set, parsed (severity a number, CustomFields, labels, body keys)
    fields: dict[str, Any]
    # a playbook id or name, resolved only for a create or an update
    playbook: str | None
    # sent only in a create: None leaves it to the server
    start_investigation: bool | None
    # only with state closed
    close_reason: str | None
    close_notes: str | None
    # found while parsing (unknown body fields, overridden options)
    warnings: tuple[str, ...]


class TaskOptions(TypedDict):
    """The options of a task that apply to all its items, checked and defaulted."""

    match_closed: bool
    update_existing: bool
    close_duplicates: bool
    wait_for_id: float
    continue_on_item_error: bool
    parallel_writes: int
    name_lock: LockSettings
    validate_fields: bool
    # false leaves the per-item diffs out of the result
    diff: bool


class DesiredRun(NamedTuple):
    """What xsoar_incident was asked to do, all checked before a request."""

    items: tuple[DesiredIncident, ...]
    task: TaskOptions
    # the incidents list form (the result lists every item) rather than the single form
    bulk: bool


def module_argument_spec() -> dict[str, dict[str, Any]]:
    """xsoar_incident's options: connection, task options, the single form's item options, and `incidents`.

    The sub-options of `labels` and `incidents` (documented in the module) are checked by `prepare`,
    not AnsibleModule: see arguments.without_suboptions.
    """
    spec = dict(ITEM_OPTION_SPEC, **TASK_OPTION_SPEC)
    spec.update(
        # no default: unset, the body's createInvestigation applies (false without one)
        start_investigation=dict(type="bool"),
        incidents=dict(type="list", elements="dict", options=BULK_ITEM_SPEC),
    )
    return connection_argument_spec(**without_suboptions(spec))


def prepare(params: dict[str, Any], diff: bool = True) -> DesiredRun:
    """Every option of every item validated before a request is sent.

    `diff` false leaves the per-item diffs out of the result (they double its size).
    """
    check_label_values(params.get("labels"))
    params = dict(params, **validated_suboptions({"labels": params.get("labels")}, LABELS_SPEC))
    if params.get("incidents") is None:
        if params.get("name") is None or params.get("name") == "":
            raise XsoarInputError(
                "name is required: give the incident name (the idempotency key), or a list in incidents"
            )
        raw_items: list[tuple[dict[str, Any], dict[str, Any], str]]
        raw_items = [({option: params.get(option) for option in ITEM_OPTIONS}, {}, "")]
    else:
        if params.get("name") not in (None, ""):
            raise XsoarInputError("name and incidents are mutually exclusive: put the name into an item of incidents")
        if not params["incidents"]:
            raise XsoarInputError("incidents is empty: give at least one item with a name")
        raw_items = []
        for index, item in enumerate(params["incidents"]):
            if isinstance(item, dict):
                check_label_values(item.get("labels"), f"incidents[{index}].labels")
            own = item
            if not plain_item(item):
                own = validated_suboptions(item or {}, BULK_ITEM_SPEC, f"incidents[{index}]: ")
            raw_items.append((item_with_defaults(own, params), own, f"incidents[{index}]."))
    items = tuple(desired_record(options, own, where) for options, own, where in raw_items)
    counts = Counter(item.name for item in items)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise XsoarInputError(
            "incidents has duplicate names: {}; each name is one incident, list it once".format(
                ", ".join(repr(name) for name in duplicates)
            )
        )
    check_close_options(params, items)
    given: dict[str, Any]
    given = {option: params.get(option, spec.get("default")) for option, spec in TASK_OPTION_SPEC.items()}
    task = TaskOptions(
        match_closed=given["match_closed"],
        update_existing=given["update_existing"],
        close_duplicates=given["close_duplicates"],
        wait_for_id=check_wait_for_id(given["wait_for_id"]),
        continue_on_item_error=given["continue_on_item_error"],
        parallel_writes=check_parallel_writes(given["parallel_writes"]),
        name_lock=lock_settings(given["name_lock"], given["name_lock_dir"]),
        validate_fields=given["validate_fields"],
        diff=diff,
    )
    bulk = params.get("incidents") is not None
    return DesiredRun(items, task, bulk)


_PLAIN_TYPES = {"str": str, "bool": bool, "dict": dict}


def _plain_label(label: object) -> bool:
    """A label already in its final shape: a dict of exactly type and value, both strings."""
    return (
        isinstance(label, dict)
        and set(label) == {"type", "value"}
        and all(isinstance(part, str) for part in label.values())
    )


def plain_item(item: object) -> bool:
    """Whether a bulk item already has exactly the types its spec converts to (the common case).

    Such an item would come out of validated_suboptions unchanged; skipping it saves a third of
    prepare's time on a thousand items. Anything else goes through the validator and its messages.
    """
    if not isinstance(item, dict):
        return False
    for option, value in item.items():
        spec = BULK_ITEM_SPEC.get(option)
        if spec is None:
            return False
        if value is None or spec["type"] == "raw":
            continue
        if option == "labels":
            plain = isinstance(value, list) and all(_plain_label(label) for label in value)
        else:
            plain = _plain_value(value, spec)
        if not plain:
            return False
    return True


def _plain_value(value: Any, spec: dict[str, Any]) -> bool:
    """A value of exactly its spec's type (a bool is no str) and among its choices."""
    kind = spec["type"]
    if not isinstance(value, _PLAIN_TYPES[kind]):
        return False
    if kind != "bool" and isinstance(value, bool):
        return False
    return "choices" not in spec or value in spec["choices"]


def item_with_defaults(item: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A bulk item: what it leaves out comes from the task's top-level options."""
    merged = {option: item.get(option) for option in ITEM_OPTIONS}
    # an item that chose its severity (either way) takes neither severity option from the task
    chose_severity = item.get("severity") is not None or item.get("rule_severity") is not None
    for option in ITEM_OPTIONS:
        if merged[option] is not None:
            continue
        if chose_severity and option in ("severity", "rule_severity"):
            continue
        merged[option] = params.get(option)
    return merged


def check_wait_for_id(seconds: float | None) -> float:
    if seconds is None:
        return DEFAULT_WAIT_FOR_ID
    if not 0 <= seconds <= 3600:  # NaN fails too
        raise XsoarInputError(
            f"wait_for_id {seconds!r} is out of range: give the seconds to wait for a new incident's id, from 0 to 3600"
        )
    return seconds


def check_parallel_writes(count: int | None) -> int:
    if count is None:
        return DEFAULT_PARALLEL_WRITES
    if not 1 <= count <= MAX_PARALLEL_WRITES:
        raise XsoarInputError(
            f"parallel_writes {count!r} is out of range: give how many writes may be in flight at once,"
            f" from 1 (one after the other) to {MAX_PARALLEL_WRITES}"
        )
    return count


def check_close_options(params: dict[str, Any], items: tuple[DesiredIncident, ...]) -> None:
    """close_reason and close_notes only act on a close: given without one, they would be silently ignored."""
    if any(item.state == "closed" for item in items):
        return
    for option in CLOSE_OPTIONS:
        if params.get(option) is not None:
            raise XsoarInputError(
                f"{option} only applies with state: closed, and no incident here is closed: set state: closed"
                f" (on the task or an item of incidents), or remove {option}"
            )


def _name(value: object, option: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # YAML reads `name: 2026` as a number
    return check_name(value, option)


def desired_record(options: dict[str, Any], own: dict[str, Any], where: str = "") -> DesiredIncident:
    """One item's options -> its desired record; `own` are the options the item set itself (bulk)."""
    name = _name(options.get("name"), where + "name")
    state = options.get("state") or "present"
    for option in CLOSE_OPTIONS:
        if own.get(option) is not None and state != "closed":
            raise XsoarInputError(
                f"{where}{option} only applies with state: closed: set {where}state: closed, or remove {where}{option}"
            )
    fields, warnings = desired_fields(options, where)
    start = options.get("start_investigation")
    if "createInvestigation" in fields:
        body_start = fields.pop("createInvestigation")
        if start is not None and bool(start) != bool(body_start):
            warnings.append(
                f"{where}body sets createInvestigation: {str(bool(body_start)).lower()}, which"
                f" {where}start_investigation: {str(bool(start)).lower()} overrides"
            )
        start = body_start if start is None else start
    playbook = options.get("playbook")
    check_playbook(playbook, where + "playbook")
    if start is not None:
        start = bool(start)
    close_reason = None
    close_notes = None
    if state == "closed":
        close_reason = options.get("close_reason")
        close_notes = options.get("close_notes")
    return DesiredIncident(
        name=name,
        state=state,
        where=where,
        fields=fields,
        playbook=playbook,
        start_investigation=start,
        close_reason=close_reason,
        close_notes=close_notes,
        warnings=tuple(warnings),
    )


def desired_fields(options: dict[str, Any], where: str = "") -> tuple[dict[str, Any], list[str]]:
    """The incident fields an item sets: its body overlaid with the named options, each checked once."""
    if options.get("severity") is not None and options.get("rule_severity") is not None:
        raise XsoarInputError(
            f"{where}severity and {where}rule_severity are mutually exclusive: rule_severity keeps the alerting rule's"
            " severity, severity sets one; give only one"
        )
    body = parse_body(options.get("body"), where + "body")
    warnings = validate_body(body, where + "body") if body else []
    named: dict[str, Any] = {}
    if options.get("rule_severity") is not None:
        named["severity"] = rule_severity_number(options["rule_severity"])
    elif options.get("severity") is not None:
        try:
            named["severity"] = parse_severity(options["severity"])
        except XsoarInputError as error:
            raise XsoarInputError(where + str(error))
    check_labels(options.get("labels"), where + "labels")
    check_custom_fields(options.get("custom_fields"), where + "custom_fields")
    check_json_value(options.get("custom_fields"), where + "custom_fields")
    check_time(options.get("occurred"), where + "occurred")
    for option, field in OPTION_FIELDS:
        if options.get(option) is not None:
            named[field] = options[option]
    fields = dict(body)
    # one spelling of custom fields (the server's JSON decoding takes either); the option wins per key
    body_custom = dict(fields.pop("customFields", None) or {})
    body_custom.update(fields.pop("CustomFields", None) or {})
    check_custom_fields(body_custom, where + "body.CustomFields")
    if body_custom or "CustomFields" in named:
        overridden = sorted(
            key
            for key, value in (named.get("CustomFields") or {}).items()
            if key in body_custom and body_custom[key] != value
        )
        if overridden:
            warnings.append(f"{where}custom_fields overrides {where}body's custom fields {', '.join(overridden)}")
        named["CustomFields"] = dict(body_custom, **(named.get("CustomFields") or {}))
    overridden = sorted(key for key in named if key in fields and fields[key] != named[key])
    if overridden:
        warnings.append("{}body sets {}, which the named options override".format(where, ", ".join(overridden)))
    fields.update(named)
    if fields.pop("name", options.get("name")) != options.get("name"):
        warnings.append(f"{where}body sets name, which the name option overrides")
    if options.get("playbook") is not None and "playbookId" in fields:
        fields.pop("playbookId")
        warnings.append(f"{where}body sets playbookId, which the playbook option overrides")
    for field in DATE_TIME_FIELDS:
        if isinstance(fields.get(field), str):
            fields[field] = rfc3339_text(fields[field])
    return fields, warnings
