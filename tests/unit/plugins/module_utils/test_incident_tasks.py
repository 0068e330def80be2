# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incident_tasks: task matching, branches and decisions from tables; the flow against a fake server."""

import copy

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incident_tasks as it
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError, XsoarResponseError
from ansible_collections.xsoar.connector.plugins.module_utils.client import api_bases


def raw_task(task_id, name, kind="regular", state="", next_tasks=None, sub=None):
    raw = {"id": task_id, "type": kind, "state": state, "task": {"name": name}, "nextTasks": next_tasks or {}}
    if sub is not None:
        raw["subPlaybook"] = {"tasks": sub}
    return raw


# The shape of demisto/content GetIncidentTasks test_data/core-api-response.json: tasks keyed by id,
# sub-playbook tasks under subPlaybook.tasks.
TASKS = {
    "0": raw_task("0", "", "start", "Completed", {"#none#": ["1"]}),
    "1": raw_task("1", "Collect evidence", state="Completed", next_tasks={"#none#": ["2"]}),
    "2": raw_task("2", "Wait for Ansible remediation", "condition", "Waiting", {"Remediated": ["3"], "Failed": ["4"]}),
    "3": raw_task("3", "Close as remediated"),
    "4": raw_task("4", "Notify", "regular", "WillNotBeExecuted"),
    "5": raw_task("5", "Enrich", "playbook", "inprogress", sub={"6": raw_task("6", "Notify", state="Waiting")}),
}
ALL = it.all_tasks(TASKS)


def test_all_tasks_include_sub_playbook_tasks_and_branches():
    by_id = {task.id: task for task in ALL}
    assert sorted(by_id) == ["0", "1", "2", "3", "4", "5", "6"]
    assert by_id["2"].branches == ("Remediated", "Failed")
    assert by_id["1"].branches == ()  # a plain next step is no branch
    assert by_id["6"] == it.Task("6", "Notify", "regular", "Waiting", ())


@pytest.mark.parametrize(
    "name, task_id, expected",
    [
        ("Wait for Ansible remediation", None, "2"),
        (None, "6", "6"),
        ("Close as remediated", None, "3"),
        ("Wait for ansible remediation", None, "closest: 'Wait for Ansible remediation'"),
        ("Colect evidence", None, "closest: 'Collect evidence'"),
        ("zzzz qqqq", None, "its tasks: 'Close as remediated', 'Collect evidence'"),
        ("Notify", None, "names 2 tasks of this incident's playbook: give task_id ('4', '6')"),
        (None, "99", "task_id '99' is no task of this incident's playbook"),
    ],
)
def test_find_task(name, task_id, expected):
    if expected.isdigit():
        assert it.find_task(ALL, name, task_id).id == expected
        return
    with pytest.raises(XsoarInputError) as raised:
        it.find_task(ALL, name, task_id)
    assert expected in str(raised.value)


CONDITION = it.Task("2", "Wait", "condition", "Waiting", ("Remediated", "Failed"))
MANUAL = it.Task("7", "Approve", "regular", "Waiting", ())


@pytest.mark.parametrize(
    "task, completion, expected",
    [
        (CONDITION, "Remediated", "Remediated"),
        (CONDITION, "remediated", "Remediated"),  # the server's spelling is sent
        (CONDITION, None, "is a conditional task: give completion, the branch to take ('Remediated', 'Failed')"),
        (CONDITION, "Done", "completion 'Done' is no branch of task 'Wait': choose from 'Remediated', 'Failed'"),
        (MANUAL, None, None),
        (MANUAL, "Yes", "is not a conditional task (it has no branches): leave completion out"),
    ],
)
def test_choose_branch(task, completion, expected):
    if expected is None or expected in task.branches:
        assert it.choose_branch(task, completion) == expected
        return
    with pytest.raises(XsoarInputError) as raised:
        it.choose_branch(task, completion)
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    "state, waited, expected",
    [
        ("", 0, "is not reached yet, not waiting: only a waiting task can be completed; give wait"),
        ("inprogress", 5, "is running, not waiting after waiting 5s"),
        ("WillNotBeExecuted", 0, "is skipped (on a branch the playbook did not take), not waiting"),
    ],
)
def test_not_waiting_message(state, waited, expected):
    assert expected in it.not_waiting_message(CONDITION._replace(state=state), waited)


class FakeAnswer:
    def __init__(self, json_data):
        self.json = json_data


class FakeServer:
    """One incident and its investigation playbook; completes like the simulator."""

    def __init__(self, tasks, refuse=False, api_key_id=None):
        self.tasks = copy.deepcopy(tasks)
        self.refuse = refuse
        self.api_key_id = api_key_id
        self.url = "https://xsoar.example.com"
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]
        self.timeout = 30
        self.requests = []
        self.slept = 0.0

    def sleep(self, seconds):
        self.slept += seconds

    def post(self, path, payload, base=None, **kwargs):
        self.requests.append(("POST", base, path, payload))
        if path == "/incidents/search":
            incident = {"id": "7", "name": "Disk full", "status": 1, "investigationId": "7"}
            return FakeAnswer({"total": 1, "data": [incident]})
        if self.refuse:
            self.tasks[payload["inTaskID"]]["state"] = "Completed"  # someone else was first
            raise XsoarResponseError("POST /inv-playbook/task/complete/simple: HTTP 400 Task is completed already", 400)
        self.tasks[payload["inTaskID"]]["state"] = "Completed"
        return FakeAnswer({})

    def get(self, path, base=None, **kwargs):
        self.requests.append(("GET", base, path, None))
        return FakeAnswer({"tasks": self.tasks})


def plan(**changes):
    values = dict(incident_id="7", task="Wait for Ansible remediation", completion="Remediated", wait=0)
    values.update(changes)
    return it.prepare(values)


def test_run_completes_down_the_branch_and_proves_it():
    server = FakeServer(TASKS, api_key_id="3")
    result = it.run(server, plan(comment="patched"), False)
    assert result["changed"] and result["completion"] == "Remediated"
    assert result["task"]["state"] == "Completed" and result["diff"]["before"] == {"state": "Waiting"}
    sent = [request for request in server.requests if request[2] == "/inv-playbook/task/complete/simple"]
    legacy = "https://xsoar.example.com/xsoar"
    assert sent == [
        ("POST", legacy, sent[0][2], {"invId": "7", "inTaskID": "2", "input": "Remediated", "comment": "patched"})
    ]
    assert server.requests[-1][:3] == ("GET", legacy, "/inv-playbook/7")  # read back after the write
    again = it.run(server, plan(), False)
    assert not again["changed"] and again["task"]["state"] == "Completed"
    assert len([request for request in server.requests if request[0] == "POST" and "task" in request[2]]) == 1


def test_run_check_mode_sends_nothing():
    server = FakeServer(TASKS)
    result = it.run(server, plan(), True)
    assert result["changed"] and result["task"]["state"] == "Completed"
    assert not [request for request in server.requests if "complete" in request[2]]
    assert server.tasks["2"]["state"] == "Waiting"


def test_run_not_waiting_fails_after_the_bounded_wait():
    server = FakeServer(TASKS)
    with pytest.raises(XsoarInputError) as raised:
        it.run(server, plan(task="Close as remediated", completion=None, wait=5), False)
    assert "is not reached yet, not waiting after waiting" in str(raised.value)
    assert 5 <= server.slept <= 6


def test_run_someone_else_completed_it_in_between():
    server = FakeServer(TASKS, refuse=True)
    result = it.run(server, plan(), False)
    assert not result["changed"] and "completed by someone else" in result["warnings"][0]


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"task": ""}, "task is empty"),
        ({"wait": -1}, "wait -1 is out of range"),
        ({"incident_id": None, "incident_name": " x"}, "incident_name ' x' starts or ends with spaces"),
    ],
)
def test_prepare_refuses_bad_options(changes, expected):
    with pytest.raises(XsoarInputError) as raised:
        plan(**changes)
    assert expected in str(raised.value)
