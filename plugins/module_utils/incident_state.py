# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident's logic: bring incidents, keyed on their names, to the wanted state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import Counter

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils import name_lock
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import (
    connection_argument_spec,
    validated_suboptions,
    without_suboptions,
)
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError, XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import (
    changed_fields,
    check_item,
    incident_request,
    managed_view,
)

# Options an item can carry; in the single form they are the module's own options.
ITEM_OPTIONS = (
    "name", "state", "severity", "rule_severity", "playbook", "start_investigation", "type", "details",
    "owner", "labels", "custom_fields", "occurred", "body",
)

ITEM_OPTION_SPEC = dict(
    name=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "closed", "absent"]),
    severity=dict(type="raw"),
    rule_severity=dict(type="str"),
    playbook=dict(type="str"),
    start_investigation=dict(type="bool"),
    type=dict(type="str"),
    details=dict(type="str"),
    owner=dict(type="str"),
    labels=dict(type="list", elements="dict", options=dict(
        type=dict(type="str", required=True), value=dict(type="str", required=True))),
    custom_fields=dict(type="dict"),
    occurred=dict(type="str"),
    body=dict(type="raw"),
)
TASK_OPTION_SPEC = dict(
    match_closed=dict(type="bool", default=False),
    update_existing=dict(type="bool", default=False),
    close_reason=dict(type="str"),
    close_notes=dict(type="str"),
)


# Items inherit what they leave out from the task, so their options have no defaults.
BULK_ITEM_SPEC = dict(
    (option, dict((key, value) for key, value in option_spec.items() if key != "default"))
    for option, option_spec in ITEM_OPTION_SPEC.items()
)


def module_argument_spec():
    """xsoar_incident's options: connection, task options, the single form's item options, and `incidents`.

    The sub-options of `labels` and `incidents` (documented in the module) are checked by `prepare`,
    not AnsibleModule: see arguments.without_suboptions.
    """
    spec = dict(ITEM_OPTION_SPEC, **TASK_OPTION_SPEC)
    spec.update(
        start_investigation=dict(type="bool", default=False),
        incidents=dict(type="list", elements="dict", options=BULK_ITEM_SPEC),
        continue_on_item_error=dict(type="bool", default=False),
    )
    return connection_argument_spec(**without_suboptions(spec))


class ItemsFailed(XsoarError):
    """Some bulk items failed; `result` holds every item's outcome for the failure output."""

    def __init__(self, message, result):
        super(ItemsFailed, self).__init__(message)
        self.result = result


def item_with_defaults(item, params):
    """A bulk item: what it leaves out comes from the task's top-level options."""
    merged = dict((option, item.get(option)) for option in ITEM_OPTIONS)
    chose_severity = item.get("severity") is not None or item.get("rule_severity") is not None
    for option in ITEM_OPTIONS:
        if merged[option] is None and not (chose_severity and option in ("severity", "rule_severity")):
            merged[option] = params.get(option)
    return merged


def prepare(params):
    """Validate every option of every item before a request is sent; returns the plan `run` executes."""
    labels_spec = {"labels": ITEM_OPTION_SPEC["labels"]}
    params = dict(params, **validated_suboptions({"labels": params.get("labels")}, labels_spec))
    if params.get("incidents") is None:
        if not params.get("name"):
            raise XsoarInputError("name is required: give the incident name (the idempotency key), or a list in incidents")
        items = [dict((option, params.get(option)) for option in ITEM_OPTIONS)]
        prefixes = [""]
    else:
        if params.get("name"):
            raise XsoarInputError("name and incidents are mutually exclusive: put the name into an item of incidents")
        if not params["incidents"]:
            raise XsoarInputError("incidents is empty: give at least one item with a name")
        items = [
            item_with_defaults(validated_suboptions(item or {}, BULK_ITEM_SPEC, "incidents[%d]: " % index), params)
            for index, item in enumerate(params["incidents"])
        ]
        prefixes = ["incidents[%d]." % index for index in range(len(items))]
    for item, prefix in zip(items, prefixes):
        item["state"] = item.get("state") or "present"
        check_item(item, prefix)
    duplicates = sorted(name for name, count in Counter(item["name"] for item in items).items() if count > 1)
    if duplicates:
        raise XsoarInputError("incidents has duplicate names: %s; each name is one incident, list it once"
                              % ", ".join(repr(name) for name in duplicates))
    task = dict((option, params.get(option)) for option in TASK_OPTION_SPEC)
    check_close_options(task, items)
    task["continue_on_item_error"] = params.get("continue_on_item_error")
    return {"items": items, "task": task, "bulk": params.get("incidents") is not None}


def check_close_options(task, items):
    """close_reason and close_notes only act on a close: given without one, they would be silently ignored."""
    if any(item["state"] == "closed" for item in items):
        return
    for option in ("close_reason", "close_notes"):
        if task.get(option) is not None:
            raise XsoarInputError(
                "%s only applies with state: closed, and no incident here is closed: set state: closed"
                " (on the task or an item of incidents), or remove %s" % (option, option))


def run(client, plan, check_mode):
    """Execute the plan: one playbook search, few incident searches, then a write per item that needs one."""
    items, task = plan["items"], plan["task"]
    playbook_ids = _resolve_playbooks(client, items)
    include_closed = task["match_closed"] or any(item["state"] == "absent" for item in items)
    # from the search to the last write: a parallel run on this machine then finds what this one created
    with name_lock.for_run(client, [item["name"] for item in items], check_mode):
        existing = api.find_by_names(client, [item["name"] for item in items], include_closed)
        if not plan["bulk"]:
            return ensure(client, items[0], existing[items[0]["name"]], playbook_ids, task, check_mode)
        outcomes = []
        for item in items:
            try:
                outcome = ensure(client, item, existing[item["name"]], playbook_ids, task, check_mode, look_up=False)
            except XsoarError as error:
                outcome = {"changed": False, "action": "failed", "incident": {}, "failed": True, "msg": str(error)}
            outcomes.append(dict(outcome, name=item["name"]))
            if outcome.get("failed") and not task["continue_on_item_error"]:
                break
    _look_up_created_without_id(client, outcomes, task)
    return _bulk_result(items, outcomes)


def _look_up_created_without_id(client, outcomes, task):
    """XSOAR 8 SaaS answers creates without ids: find all those incidents with one search."""
    missing = [outcome for outcome in outcomes if outcome["action"] == "created" and outcome["incident"] and not outcome["incident"].get("id")]
    if missing:
        found = api.find_by_names(client, [outcome["name"] for outcome in missing], task["match_closed"])
        for outcome in missing:
            if found[outcome["name"]]:
                outcome["incident"] = found[outcome["name"]][0]


def _bulk_result(items, outcomes):
    warnings = ["%s: %s" % (outcome["name"], warning) for outcome in outcomes for warning in outcome.pop("warnings", [])]
    result = {
        "changed": any(outcome["changed"] for outcome in outcomes),
        "incidents": outcomes,
        "diff": [dict(outcome.pop("diff", {"before": {}, "after": {}}), before_header=outcome["name"], after_header=outcome["name"]) for outcome in outcomes],
        "warnings": warnings,
    }
    failed = [outcome for outcome in outcomes if outcome.get("failed")]
    if failed:
        not_run = len(items) - len(outcomes)
        raise ItemsFailed(
            "%d of %d incidents failed (first: %s: %s)%s; the incidents list says what happened to each"
            % (len(failed), len(items), failed[0]["name"], failed[0]["msg"],
               "; %d not attempted (continue_on_item_error: true would try them)" % not_run if not_run else ""),
            result)
    return result


def _resolve_playbooks(client, items):
    """Playbook references -> ids, with one playbook search for the whole task."""
    references = set(item["playbook"] for item in items if item.get("playbook") and item["state"] == "present")
    if not references:
        return {}
    playbooks = api.list_playbooks(client)
    return dict((reference, api.resolve_playbook(playbooks, reference)) for reference in references)


def _is_open(incident):
    return incident.get("status") not in api.CLOSED_STATUSES


def ensure(client, item, matches, playbook_ids, task, check_mode, look_up=True):
    """One item: its matches are the incidents with exactly its name (newest first)."""
    state = item["state"]
    open_matches = [incident for incident in matches if _is_open(incident)]
    if state == "absent":
        return dict(_ensure_absent(client, matches, check_mode), matches=len(matches))
    if state == "closed":
        return dict(_ensure_closed(client, open_matches, task, check_mode), matches=len(open_matches))
    counted = matches if task["match_closed"] else open_matches
    request, warnings = incident_request(item, playbook_ids.get(item.get("playbook")))
    if counted:
        incident = (open_matches or counted)[0]
        outcome = _ensure_existing(client, incident, request, task, check_mode)
    else:
        outcome = _create(client, request, task, check_mode, look_up)
    outcome["matches"] = len(counted)
    outcome["warnings"] = warnings + outcome.get("warnings", [])
    if len(counted) > 1:
        outcome["warnings"].append(
            "%d incidents are named %r; the newest %s one (id %s) was used"
            % (len(counted), item["name"], "open" if open_matches else "closed", outcome["incident"].get("id"))
        )
    return outcome


def _result(action, incident, before, after):
    return {
        "changed": action not in ("none", "dropped"),
        "action": action,
        "incident": incident or {},
        "diff": {"before": before, "after": after},
    }


def _create(client, request, task, check_mode, look_up):
    after = dict((key, value) for key, value in request.items() if key != "createInvestigation")
    if check_mode:
        return _result("created", {}, {}, after)
    incident, status = api.create(client, request, task["match_closed"], look_up)
    if incident is None:
        outcome = _result("dropped", {}, {}, {})
        outcome["warnings"] = [
            "XSOAR accepted the create of %r with HTTP %d and no content: no incident was created. A"
            " pre-processing rule most likely dropped or merged it; check Settings > Pre-Process Rules"
            % (request["name"], status)
        ]
        return outcome
    return _result("created", incident, {}, after)


def _ensure_existing(client, incident, request, task, check_mode):
    view = managed_view(incident, request)
    view.pop("createInvestigation", None)
    changes = changed_fields(incident, request) if task["update_existing"] else {}
    if not changes:
        return _result("none", incident, view, view)
    after = dict(view, **changes)
    if check_mode:
        return _result("updated", incident, view, after)
    return _result("updated", api.update(client, incident, changes), view, after)


def _ensure_closed(client, open_matches, task, check_mode):
    if not open_matches:
        return _result("none", {}, {}, {})
    ids = [incident["id"] for incident in open_matches]
    before = {"ids": ids, "status": [incident.get("status") for incident in open_matches]}
    after = {"ids": ids, "status": [2] * len(ids)}
    for option, field in (("close_reason", "closeReason"), ("close_notes", "closeNotes")):
        if task.get(option) is not None:
            after[field] = task[option]
    incident = open_matches[0]
    if not check_mode:
        answer = api.close(client, ids, task.get("close_reason"), task.get("close_notes"))
        incident = next((closed for closed in answer.get("data") or [] if closed.get("id") == ids[0]), incident)
    outcome = _result("closed", incident, before, after)
    outcome["ids"] = ids
    return outcome


def _ensure_absent(client, matches, check_mode):
    if not matches:
        return _result("none", {}, {}, {})
    ids = [incident["id"] for incident in matches]
    if not check_mode:
        api.delete(client, ids)
    outcome = _result("deleted", matches[0], {"ids": ids}, {"ids": []})
    outcome["ids"] = ids
    return outcome
