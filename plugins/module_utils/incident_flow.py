# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident's flow: desired records -> one search -> plan -> playbooks -> apply -> result.

prepare (desired.py) validates everything before a request; run searches the names (one request
per 200), plans each item (planner.py, pure), resolves only the playbooks of items to create or
update, and hands the actions to apply.py. In check mode it stops after the plan.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.xsoar.connector.plugins.module_utils import field_definitions
from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils import name_lock
from ansible_collections.xsoar.connector.plugins.module_utils import planner
from ansible_collections.xsoar.connector.plugins.module_utils.apply import apply, outcome
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client

# prepare, module_argument_spec and ITEM_OPTIONS are entry points of this module (the callback plugin,
# EDA content and connector_check call incident_flow.prepare); they live in desired.py.
from ansible_collections.xsoar.connector.plugins.module_utils.desired import (  # noqa: F401 pylint: disable=unused-import
    ITEM_OPTIONS,
    DesiredIncident,
    DesiredRun,
    TaskOptions,
    module_argument_spec,
    prepare,
)
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import Incident

# an item and what the planner decided for it
Step = tuple[DesiredIncident, planner.Action]
# one item's outcome as the module returns it (action, incident, changed, warnings, diff, ...)
ItemResult = dict[str, Any]


class ItemsFailed(XsoarError):
    """Some items failed; `result` holds every item's outcome for the failure output."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def run(client: Client, prepared: DesiredRun, check_mode: bool) -> dict[str, Any]:
    """Bring every item to its state; returns the module result (raises ItemsFailed with it on failure)."""
    items, task = prepared.items, prepared.task
    include_closed = task["match_closed"] or any(item.state == "absent" for item in items)
    # from the search to the last write: a parallel run on this machine then finds what this one created
    with name_lock.for_run(client, [item.name for item in items], check_mode, task.get("name_lock")):
        existing = api.find_by_names(client, [item.name for item in items], include_closed)
        task_warnings = field_definitions.validate_items(client, items, existing, task)
        playbook_ids = resolve_playbooks(client, items, existing, task)
        steps = [
            (item, planner.plan(item, existing[item.name], task, playbook_id(playbook_ids, item))) for item in items
        ]
        steps = loaded_plans(client, steps, task)
        if check_mode:
            outcomes = [planned_outcome(action) for item, action in steps]
        else:
            known = {name: {incident.get("id") for incident in matches} for name, matches in existing.items()}
            outcomes = [result.as_result() for result in apply(client, steps, task, known)]
    results = [
        item_result(item, action, existing[item.name], task, playbook_ids, result)
        for (item, action), result in zip(steps, outcomes)
    ]
    final = single_result(results[0]) if not prepared.bulk else bulk_result(results)
    final["warnings"] = task_warnings + final.get("warnings", [])
    return final


def resolve_playbooks(
    client: Client, items: tuple[DesiredIncident, ...], existing: dict[str, list[Incident]], task: TaskOptions
) -> dict[str, str]:
    """Playbook references -> ids, one search per distinct name, only for items to create or update."""
    references: set[str] = set()
    for item in items:
        reference = item.playbook
        if reference is not None and planner.playbook_needed(item, existing[item.name], task):
            references.add(reference)
    return {reference: api.find_playbook(client, reference) for reference in sorted(references)}


def playbook_id(playbook_ids: dict[str, str], item: DesiredIncident) -> str | None:
    """The id resolve_playbooks found for the item's playbook; None without one, or when none was needed."""
    if item.playbook is None:
        return None
    return playbook_ids.get(item.playbook)


def loaded_plans(client: Client, steps: list[Step], task: TaskOptions) -> list[Step]:
    """The steps with each update planned again against its loaded incident; the loads go
    `parallel_writes` at a time, like the writes (each is another incident)."""
    workers = min(task.get("parallel_writes") or 1, len(steps))
    if workers <= 1:
        return [(item, loaded_plan(client, action, task)) for item, action in steps]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        actions = list(pool.map(lambda step: loaded_plan(client, step[1], task), steps))
    return [(item, action) for (item, _planned), action in zip(steps, actions)]


def loaded_plan(client: Client, action: planner.Action, task: TaskOptions) -> planner.Action:
    """An update planned again against the incident as loaded (GET /incident/load/{id}): a search hit can be
    older than the stored incident (XSOAR 8 searches an index), and its version would then be stale."""
    kept = planner.main_action(action)
    if not isinstance(kept, planner.Update):
        return action
    loaded = api.load(client, kept.incident["id"])
    again = planner.keep_action(loaded, kept.wanted, task)
    if isinstance(action, planner.Dedupe):
        return action._replace(action=again)
    return again


def planned_outcome(action: planner.Action) -> ItemResult:
    """Check mode: what apply would report, without a request."""
    result = outcome(planner.action_name(action), getattr(planner.main_action(action), "incident", None) or {})
    if isinstance(action, (planner.Close, planner.Delete)):
        result.ids = action.ids
        result.incident = action.incidents[0]
    if isinstance(action, planner.Dedupe):
        result.closed_duplicates = action.close.ids
    return result.as_result()


def item_result(
    item: DesiredIncident,
    action: planner.Action,
    matches: list[Incident],
    task: TaskOptions,
    playbook_ids: dict[str, str],
    result: ItemResult,
) -> ItemResult:
    """One item's outcome with its name, matches, what changed, warnings and (when asked) its diff."""
    counted = planner.counted_matches(item, matches, task)
    result = dict(result, name=item.name, matches=len(counted))
    result["warnings"] = list(item.warnings) + result.get("warnings", [])
    kept = planner.main_action(action)
    if isinstance(kept, planner.Update):
        result.setdefault("changed_fields", sorted(kept.changes))
    if _names_several(item, counted, action, result):
        result["warnings"].append(_several_warning(item.name, counted, result["incident"]))
    if task.get("diff", True):
        result["diff"] = {"before": {}, "after": {}}
        if result["action"] not in NOTHING_WRITTEN:
            result["diff"] = planner.diff(action, item, playbook_id(playbook_ids, item))
    return result


# Item actions that wrote nothing the diff could show.
NOTHING_WRITTEN = ("failed", "not_attempted", "dropped", "unknown")


def _names_several(item: DesiredIncident, counted: list[Incident], action: planner.Action, result: ItemResult) -> bool:
    """Whether a present item's name matched several incidents (a dedupe says so itself)."""
    if item.state != "present":
        return False
    if len(counted) < 2 or not result.get("incident"):
        return False
    return not isinstance(action, planner.Dedupe)


def _several_warning(name: str, counted: list[Incident], used: Incident) -> str:
    kind = "closed"
    if any(planner.is_open(incident) for incident in counted):
        kind = "open"
    return f"{len(counted)} incidents are named {name!r}; the newest {kind} one (id {used.get('id')}) was used"


def single_result(result: ItemResult) -> dict[str, Any]:
    result.pop("name")
    if result.pop("failed", False):
        message = result.pop("msg")
        raise ItemsFailed(message, result)
    result.pop("msg", None)
    return result


def bulk_result(results: list[ItemResult]) -> dict[str, Any]:
    warnings = []
    for result in results:
        for warning in result.pop("warnings", []):
            warnings.append(f"{result['name']}: {warning}")
    diffs = [
        dict(result.pop("diff"), before_header=result["name"], after_header=result["name"])
        for result in results
        if "diff" in result
    ]
    summary = {"changed": any(result["changed"] for result in results), "incidents": results, "warnings": warnings}
    if diffs:
        summary["diff"] = diffs
    if any(result.get("failed") for result in results):
        message = items_failed_message(results, len(results))
        raise ItemsFailed(message + "; the incidents list says what happened to each", summary)
    return summary


def items_failed_message(results: list[ItemResult], total: int) -> str:
    """How many of a bulk's items failed, the first failure, and how many were not attempted."""
    failed = [result for result in results if result.get("failed")]
    not_run = [result for result in results if result.get("action") == "not_attempted"]
    first = failed[0]
    message = f"{len(failed)} of {total} incidents failed (first: {first['name']}: {first['msg']})"
    if not_run:
        message += f"; {len(not_run)} not attempted"
    return message
