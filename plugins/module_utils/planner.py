# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure planner: a desired record and the incidents of its name -> the write it needs.

With close_duplicates, also the close of the other open incidents of the name.

No client, no I/O: `plan(desired, matches, task, playbook_id)` returns Create, Update, Close,
Delete or Noop, or with close_duplicates a Dedupe of one of those and the Close of the duplicates;
check mode stops here, and the diff is built from the plan.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

from ansible_collections.xsoar.connector.plugins.module_utils.desired import DesiredIncident, TaskOptions
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import (
    Incident,
    created_order,
    is_closed,
    same_value,
)

# incident fields to send
Fields = dict[str, Any]

STATUS_CLOSED = 2
# Labels the server adds to every incident; the user's labels are managed beside them.
SERVER_LABEL_TYPES = ("Instance", "Brand")
# Defaults a create needs that an update must never apply (issue: update_existing reset severity).
CREATE_DEFAULTS: Fields = {"severity": 0}


class Create(NamedTuple):
    body: Fields


class Update(NamedTuple):
    """The current incident (its id and version), the new values, and every field the item manages (to
    re-plan against the incident as loaded, before the update and after a version conflict)."""

    incident: Incident
    changes: Fields
    wanted: Fields


class Close(NamedTuple):
    ids: list[str]
    incidents: list[Incident]
    close_reason: str | None
    close_notes: str | None


class Delete(NamedTuple):
    ids: list[str]
    incidents: list[Incident]


class Noop(NamedTuple):
    incident: Incident | None  # the incident left as it is, or None when nothing matched


class Dedupe(NamedTuple):
    """close_duplicates: `action` for the oldest open incident of the name, `close` for the others."""

    action: Update | Noop
    close: Close


# what plan returns (typing.Union: the modules still run on Python 3.9, where X | Y is no value)
Action = Union[Create, Update, Close, Delete, Noop, Dedupe]
# XSOAR's own close reason for a duplicate (one of its default close reasons)
DUPLICATE_CLOSE_REASON = "Duplicate"


def is_open(incident: Incident) -> bool:
    return not is_closed(incident)


def counted_matches(desired: DesiredIncident, matches: list[Incident], task: TaskOptions) -> list[Incident]:
    """The matches the item's state acts on, newest first."""
    if desired.state == "absent":
        return list(matches)
    if desired.state == "present" and task.get("match_closed"):
        return list(matches)
    return [incident for incident in matches if is_open(incident)]


def target(desired: DesiredIncident, matches: list[Incident], task: TaskOptions) -> Incident | None:
    """The one incident a present item stands for: the newest open one, else the newest counted."""
    counted = counted_matches(desired, matches, task)
    open_matches = [incident for incident in counted if is_open(incident)]
    if open_matches:
        return open_matches[0]
    if counted:
        return counted[0]
    return None


def plan(
    desired: DesiredIncident, matches: list[Incident], task: TaskOptions, playbook_id: str | None = None
) -> Action:
    """The action for one item. `matches`: incidents with exactly its name; `playbook_id`: its resolved playbook."""
    state = desired.state
    counted = counted_matches(desired, matches, task)
    if state == "absent":
        if not counted:
            return Noop(None)
        return Delete([incident["id"] for incident in counted], counted)
    if state == "closed":
        if not counted:
            return Noop(None)
        return Close([incident["id"] for incident in counted], counted, desired.close_reason, desired.close_notes)
    wanted = wanted_fields(desired, playbook_id)
    open_matches = []
    if task.get("close_duplicates"):
        open_matches = [incident for incident in matches if is_open(incident)]
    if len(open_matches) > 1:
        # every run, on every controller, keeps the same one: the oldest is the first that was opened
        keep = oldest(open_matches)
        others = [incident for incident in open_matches if incident is not keep]
        return Dedupe(
            keep_action(keep, wanted, task),
            Close([incident["id"] for incident in others], others, DUPLICATE_CLOSE_REASON, duplicate_notes(keep)),
        )
    incident = target(desired, matches, task)
    if incident is None:
        return Create(create_body(desired, wanted))
    return keep_action(incident, wanted, task)


def keep_action(incident: Incident, wanted: Fields, task: TaskOptions) -> Update | Noop:
    """Update or Noop of the incident a present item stands for."""
    if not task.get("update_existing"):
        return Noop(incident)
    changes = field_changes(incident, wanted)
    return Update(incident, changes, wanted) if changes else Noop(incident)


def main_action(action: Action) -> Action:
    """The action on the incident the item stands for: a Dedupe's action on the kept one, else itself."""
    return action.action if isinstance(action, Dedupe) else action


def oldest(incidents: list[Incident]) -> Incident:
    """The incident created first; the same time (or none) is decided by the lower id, so all runs agree."""
    return min(incidents, key=created_order)


def duplicate_notes(keep: Incident) -> str:
    return "Duplicate of incident {} (the oldest open one of this name): closed by xsoar.connector (close_duplicates)".format(
        keep.get("id")
    )


def wanted_fields(desired: DesiredIncident, playbook_id: str | None = None) -> Fields:
    """The fields the item manages: what the user set, with the playbook's id once it is known."""
    wanted = dict(desired.fields)
    if desired.playbook is not None:
        wanted["playbookId"] = desired.playbook if playbook_id is None else playbook_id
    return wanted


def create_body(desired: DesiredIncident, wanted: Fields) -> Fields:
    body = dict(CREATE_DEFAULTS)
    body.update(wanted)
    body["name"] = desired.name
    if desired.start_investigation is not None:
        body["createInvestigation"] = desired.start_investigation
    return body


def playbook_needed(desired: DesiredIncident, matches: list[Incident], task: TaskOptions) -> bool:
    """Whether the item's playbook reference must be turned into an id: only for a create, or an
    update whose playbook differs from the reference taken as an id. A re-run that changes nothing
    searches no playbook."""
    if desired.playbook is None or desired.state != "present":
        return False
    action = main_action(plan(desired, matches, task))
    return isinstance(action, Create) or (isinstance(action, Update) and "playbookId" in action.changes)


def user_labels(labels: list[Any] | None, wanted: list[dict[str, str]] | None) -> list[dict[str, Any]]:
    """The labels of an incident that the user manages: all but the server's own, unless the user lists them."""
    wanted = wanted or []
    return [
        label
        for label in labels or []
        if isinstance(label, dict) and (label.get("type") not in SERVER_LABEL_TYPES or label in wanted)
    ]


def same_labels(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    def key(label: dict[str, Any]) -> tuple[str, str]:
        return (str(label.get("type")), str(label.get("value")))

    return sorted(map(key, current)) == sorted(map(key, wanted))


def field_changes(incident: Incident, wanted: Fields) -> Fields:
    """The values to send so the incident has every wanted field; empty when it has them all.

    CustomFields go out as the merged set (existing plus changed): whether the server merges or
    replaces them on update is undocumented, and both then end in the same state. Labels: the
    server's Instance/Brand labels are kept as they are.
    """
    changes: Fields = {}
    for key, value in wanted.items():
        if key in ("CustomFields", "customFields"):
            current = incident.get("CustomFields") or {}
            if any(not same_value(current.get(sub), sub_value) for sub, sub_value in value.items()):
                changes["CustomFields"] = dict(current, **value)
        elif key == "labels":
            mine = user_labels(incident.get("labels"), value)
            if not same_labels(mine, value):
                server = [label for label in incident.get("labels") or [] if label not in mine]
                changes["labels"] = server + list(value)
        elif not same_value(incident.get(key), value):
            changes[key] = value
    return changes


def view(incident: Incident, wanted: Fields) -> Fields:
    """The fields of `incident` that `wanted` manages, as the diff shows them."""
    shown: Fields = {}
    for key, value in wanted.items():
        if key == "CustomFields":
            current = incident.get("CustomFields") or {}
            shown[key] = {sub: current.get(sub) for sub in value}
        elif key == "labels":
            shown[key] = user_labels(incident.get("labels"), value)
        else:
            shown[key] = incident.get(key)
    return shown


def diff(action: Action, desired: DesiredIncident, playbook_id: str | None = None) -> dict[str, Fields]:
    """{before, after} of one item's managed fields (ids and status for close and delete)."""
    if isinstance(action, Dedupe):
        kept, closed = diff(action.action, desired, playbook_id), diff(action.close, desired)
        return {
            "before": dict(kept["before"], duplicates=closed["before"]),
            "after": dict(kept["after"], duplicates=closed["after"]),
        }
    if isinstance(action, Create):
        return {"before": {}, "after": {k: v for k, v in action.body.items() if k != "createInvestigation"}}
    if isinstance(action, Close):
        before = {"ids": action.ids, "status": [incident.get("status") for incident in action.incidents]}
        after = {"ids": action.ids, "status": [STATUS_CLOSED] * len(action.ids)}
        for value, field in ((action.close_reason, "closeReason"), (action.close_notes, "closeNotes")):
            if value is not None:
                after[field] = value
        return {"before": before, "after": after}
    if isinstance(action, Delete):
        return {"before": {"ids": action.ids}, "after": {"ids": []}}
    incident = action.incident
    if incident is None:
        return {"before": {}, "after": {}}
    wanted = dict(wanted_fields(desired, playbook_id), name=desired.name)
    before = view(incident, wanted)
    if isinstance(action, Update):
        return {"before": before, "after": dict(before, **{k: wanted[k] for k in action.changes})}
    return {"before": before, "after": before}


def action_name(action: Action) -> str:
    """What the result reports: created, updated, closed, deleted or none; deduplicated when only duplicates close."""
    if isinstance(action, Dedupe):
        return "updated" if isinstance(action.action, Update) else "deduplicated"
    return {Create: "created", Update: "updated", Close: "closed", Delete: "deleted"}.get(type(action), "none")
