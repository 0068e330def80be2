# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident_task: complete a waiting playbook task of an incident, down the branch the user names.

Reads the incident's investigation playbook, GET /inv-playbook/{investigationId} (demisto-sdk's
XsoarClient.get_playbook_state; the same object demisto/content's GetIncidentTasks reads as
`invPlaybook` of /investigation/{id}/workplan), and completes with POST
/inv-playbook/task/complete/simple (invTaskInfo: invId, inTaskID, input, comment; demisto-py
simple_complete_task). Neither is in XSOAR 8's public API reference: on XSOAR 8 both go to the legacy
/xsoar prefix. The completion is proven by reading the task back. Matching and decisions are pure.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
)
from ansible_collections.xsoar.connector.plugins.module_utils.field_definitions import (
    closest,
    quoted_list,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import check_name

WAITING = "Waiting"
COMPLETED = "Completed"
# nextTasks keys that are no branch a user picks: a plain next step, a condition's else
PLAIN_NEXT = ("#none#",)
# what each state means to a user (demisto/content DemistoGetIncidentTasksByState.js)
STATE_WORDS = {
    "": "not reached yet",
    "inprogress": "running",
    "Error": "failed",
    "LoopError": "failed in a loop",
    "WillNotBeExecuted": "skipped (on a branch the playbook did not take)",
    "Blocked": "blocked",
}
POLL_SECONDS = 2.0
MAX_WAIT = 3600

TASK_OPTIONS: dict[str, dict[str, Any]] = dict(
    incident_name=dict(type="str"),
    incident_id=dict(type="str"),
    task=dict(type="str"),
    task_id=dict(type="str"),
    completion=dict(type="str"),
    comment=dict(type="str"),
    wait=dict(type="float", default=0),
)
TASK_EXCLUSIVE = [("incident_name", "incident_id"), ("task", "task_id")]
TASK_REQUIRED_ONE_OF = [("incident_name", "incident_id"), ("task", "task_id")]


class TaskPlan(NamedTuple):
    """The validated options."""

    incident_name: str | None
    incident_id: str | None
    task_name: str | None
    task_id: str | None
    completion: str | None
    comment: str | None
    wait: float


class Task(NamedTuple):
    """One task of an investigation playbook (sub-playbook tasks included)."""

    id: str
    name: str
    type: str
    state: str
    branches: tuple[str, ...]  # the labels of the branches a user picks


def prepare(params: dict[str, Any]) -> TaskPlan:
    """Check the options before any request."""
    name = params.get("incident_name")
    if name is not None:
        check_name(name, "incident_name", "give the exact name of the incident, or its id in incident_id")
    for option in ("incident_id", "task", "task_id", "completion"):
        value = params.get(option)
        if value is not None and not value.strip():
            raise XsoarInputError(f"{option} is empty: give a value, or leave {option} out")
    wait = params.get("wait") or 0
    if not 0 <= wait <= MAX_WAIT:
        raise XsoarInputError(f"wait {wait:g} is out of range: give seconds from 0 to {MAX_WAIT}")
    return TaskPlan(
        incident_name=name,
        incident_id=params.get("incident_id"),
        task_name=params.get("task"),
        task_id=params.get("task_id"),
        completion=params.get("completion"),
        comment=params.get("comment"),
        wait=wait,
    )


# --- pure: tasks, matching, decisions ----------------------------------------------------


def task_record(raw: dict[str, Any]) -> Task:
    inner = raw.get("task")
    if not isinstance(inner, dict):
        inner = {}
    next_tasks = raw.get("nextTasks")
    if not isinstance(next_tasks, dict):
        next_tasks = {}
    branches = tuple(label for label in next_tasks if label not in PLAIN_NEXT)
    return Task(
        id=str(raw.get("id") or ""),
        name=str(inner.get("name") or ""),
        type=str(raw.get("type") or inner.get("type") or ""),
        state=str(raw.get("state") or ""),
        branches=branches,
    )


def all_tasks(tasks: dict[str, Any] | None) -> list[Task]:
    """Every task of an investigation playbook's `tasks`, sub-playbook tasks included, in id order."""
    found: list[Task] = []
    for raw in (tasks or {}).values():
        if not isinstance(raw, dict):
            continue
        sub = raw.get("subPlaybook")
        if isinstance(sub, dict):
            found.extend(all_tasks(sub.get("tasks")))
        found.append(task_record(raw))
    return found


def find_task(tasks: list[Task], name: str | None, task_id: str | None) -> Task:
    """The task of that id, or of exactly that name; unknown names fail with the closest names."""
    if task_id is not None:
        for task in tasks:
            if task.id == task_id:
                return task
        ids = quoted_list(task.id for task in tasks if task.name)
        raise XsoarInputError(f"task_id {task_id!r} is no task of this incident's playbook (task ids: {ids})")
    named = [task for task in tasks if task.name == name]
    if len(named) == 1:
        return named[0]
    if named:
        ids = quoted_list(task.id for task in named)
        raise XsoarInputError(
            f"task {name!r} names {len(named)} tasks of this incident's playbook: give task_id ({ids})"
        )
    names = sorted({task.name for task in tasks if task.name})
    near = closest(name or "", names)  # name is set when task_id is not: prepare requires one
    hint = "closest: " + quoted_list(near)
    if not near:
        hint = "its tasks: " + quoted_list(names)
    raise XsoarInputError(f"task {name!r} is no task of this incident's playbook ({hint}); names are compared exactly")


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state)


def choose_branch(task: Task, completion: str | None) -> str | None:
    """The branch label to send: a condition needs one of its labels (the server's spelling is sent)."""
    if not task.branches:
        if completion is not None:
            raise XsoarInputError(
                f"task {task.name!r} is not a conditional task (it has no branches): leave completion out"
            )
        return None
    labels = quoted_list(task.branches)
    if completion is None:
        raise XsoarInputError(
            f"task {task.name!r} is a conditional task: give completion, the branch to take ({labels})"
        )
    if completion in task.branches:
        return completion
    same = [label for label in task.branches if label.lower() == completion.lower()]
    if len(same) == 1:
        return same[0]
    raise XsoarInputError(f"completion {completion!r} is no branch of task {task.name!r}: choose from {labels}")


def not_waiting_message(task: Task, waited: float) -> str:
    """A task that cannot be completed now: its state, and what to do."""
    after = ""
    if waited:
        after = f" after waiting {waited:.0f}s"
    message = f"task {task.name!r} (id {task.id}) is {state_words(task.state)}, not waiting{after}: only a waiting task can be completed"
    if task.state in ("", "inprogress"):
        return message + "; give wait (seconds) to wait until the playbook reaches it"
    return message


# --- requests ----------------------------------------------------------------------------


def find_incident(client: Client, plan: TaskPlan) -> dict[str, Any]:
    """The incident by id, or the newest open one of exactly that name."""
    if plan.incident_id is not None:
        total, found = api.search(client, {"id": [plan.incident_id]})
        for incident in found:
            if str(incident.get("id")) == plan.incident_id:
                return incident
        raise XsoarInputError(f"incident_id {plan.incident_id!r}: no incident has this id")
    name = plan.incident_name or ""  # set when incident_id is not: the module requires one of them
    matches = api.find_by_names(client, [name])[name]
    if not matches:
        raise XsoarInputError(
            f"incident_name {name!r}: no open incident has exactly this name; xsoar_incident_info finds incidents"
        )
    return matches[0]


def read_tasks(client: Client, investigation_id: str) -> list[Task]:
    """The tasks of an investigation's playbook (one GET)."""
    path = f"/inv-playbook/{investigation_id}"
    data = client.get(path, base=client.legacy_base).json
    if not isinstance(data, dict):
        raise XsoarResponseError(f"GET {path} answered without a JSON object: check that url is the XSOAR API address")
    return all_tasks(data.get("tasks"))


def current_task(client: Client, investigation_id: str, plan: TaskPlan) -> Task:
    return find_task(read_tasks(client, investigation_id), plan.task_name, plan.task_id)


class Budget:
    """A bounded wait: seconds of the clock, or of sleeps (the same with a real sleep)."""

    def __init__(self, client: Client, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.seconds = seconds
        self.now = now
        self.started = now()
        self.slept = 0.0

    def spent(self) -> float:
        return max(self.slept, self.now() - self.started)

    def pause(self) -> bool:
        """Sleep up to POLL_SECONDS within the budget; False once it is spent."""
        left = self.seconds - self.spent()
        if left <= 0:
            return False
        pause = min(POLL_SECONDS, left)
        self.client.sleep(pause)
        self.slept += pause
        return True


def wait_for_waiting(
    client: Client, investigation_id: str, plan: TaskPlan, now: Callable[[], float] = time.monotonic
) -> tuple[Task, float]:
    """(task, seconds waited): re-read until the task waits or is completed, at most `wait` seconds."""
    budget = Budget(client, plan.wait, now)
    task = current_task(client, investigation_id, plan)
    while task.state not in (WAITING, COMPLETED) and budget.pause():
        task = current_task(client, investigation_id, plan)
    return task, budget.spent()


def complete(client: Client, investigation_id: str, task: Task, branch: str | None, comment: str | None) -> None:
    body = {"invId": investigation_id, "inTaskID": task.id}
    if branch is not None:
        body["input"] = branch
    if comment is not None:
        body["comment"] = comment
    client.post("/inv-playbook/task/complete/simple", body, base=client.legacy_base, idempotent=False)


def confirmed(client: Client, investigation_id: str, plan: TaskPlan, now: Callable[[], float] = time.monotonic) -> Task:
    """The task read back until it is completed, within the connection's timeout (a 200 is no proof)."""
    budget = Budget(client, client.timeout, now)
    task = current_task(client, investigation_id, plan)
    while task.state != COMPLETED and budget.pause():
        task = current_task(client, investigation_id, plan)
    return task


def task_summary(task: Task) -> dict[str, Any]:
    return {"id": task.id, "name": task.name, "type": task.type, "state": task.state, "branches": list(task.branches)}


def result(changed: bool, incident: dict[str, Any], task: Task, branch: str | None, before: Task) -> dict[str, Any]:
    return {
        "changed": changed,
        "incident": {"id": incident.get("id"), "name": incident.get("name")},
        "task": task_summary(task),
        "completion": branch,
        "diff": {"before": {"state": before.state}, "after": {"state": task.state, "completion": branch}},
    }


def run(client: Client, plan: TaskPlan, check_mode: bool) -> dict[str, Any]:
    incident = find_incident(client, plan)
    investigation_id = str(incident.get("investigationId") or "")
    if not investigation_id:
        raise XsoarInputError(
            f"incident {incident.get('id')} has no investigation, so no playbook runs: create it with"
            " start_investigation: true and a playbook"
        )
    task, waited = wait_for_waiting(client, investigation_id, plan)
    if task.state == COMPLETED:
        return result(False, incident, task, None, task)
    if task.state != WAITING:
        raise XsoarInputError(not_waiting_message(task, waited if plan.wait else 0))
    branch = choose_branch(task, plan.completion)
    if check_mode:
        after = task._replace(state=COMPLETED)
        return result(True, incident, after, branch, task)
    sent_error = None
    try:
        complete(client, investigation_id, task, branch, plan.comment)
    except (XsoarOutcomeUnknown, XsoarResponseError) as error:
        sent_error = error
    done = confirmed(client, investigation_id, plan)
    if done.state != COMPLETED:
        why = f" ({sent_error})" if sent_error else ""
        raise XsoarResponseError(
            f"task {task.name!r} (id {task.id}) was sent to be completed{why}, but reads back as"
            f" {state_words(done.state)}: check the incident's work plan in XSOAR"
        )
    outcome = result(True, incident, done, branch, task)
    if isinstance(sent_error, XsoarResponseError):
        # the server refused, yet the task is completed: someone else completed it in between
        outcome = result(False, incident, done, None, task)
        outcome["warnings"] = [f"task {task.name!r} was completed by someone else while this task ran"]
    return outcome
