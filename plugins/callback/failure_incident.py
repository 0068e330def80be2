# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: failure_incident
type: notification
short_description: Open one Cortex XSOAR incident per failed task and host, with no playbook edits
description:
  - "Watches every task of a C(ansible-playbook) run and, when the run ends, opens one XSOAR incident per failed
    task and host, with the names, details and labels of the P(xsoar.connector.failure_incident#role) role
    (C(<name_prefix>: <play> / <task> on <host>)), so the role and this callback never open two incidents for
    one failure."
  - Enable it with C(callbacks_enabled = xsoar.connector.failure_incident) in the C([defaults]) section of
    C(ansible.cfg) (or E(ANSIBLE_CALLBACKS_ENABLED)). In AWX / Automation Platform, use the project's
    C(ansible.cfg); the collection's C(Cortex XSOAR) credential type injects the E(XSOAR_*) variables it reads.
  - The incidents are sent once, when the playbook ends (C(v2_playbook_on_stats)), all together, through the
    collection's own client and incident logic (the one M(xsoar.connector.xsoar_incident) uses), one search
    for every name, then one request per incident to open or close. A host that failed runs no later task, so
    waiting for the end loses nothing; a run that is killed (not failed) sends nothing.
  - The name holds no time, so a re-run that fails the same way finds the open incident and opens no second
    one. Once that incident is closed, the next failure opens a new one.
  - Failures with C(ignore_errors) (and unreachable hosts with C(ignore_unreachable)) open nothing. Failures a C(rescue) section handles open nothing unless
    O(count_rescued) is set; unreachable hosts open one unless O(count_unreachable) is unset.
  - A C(no_log) task's result is never sent; its incident says the error is hidden.
  - It never changes the run's outcome. When XSOAR is unreachable, slow or refuses the key, or an option is
    wrong, it prints a warning and the run ends with the exit code it would have without the callback.
    The wait is bounded by O(timeout) and O(retries), which default lower than the modules' for that reason.
  - In check mode (C(--check)) it only searches and reports what it would open or close.
  - The API key appears in no output, also with C(-vvv).
version_added: 1.0.0
author:
  - xsoar.connector developers (@xsoar-connector)
requirements:
  - the callback must be enabled (C(callbacks_enabled))
extends_documentation_fragment:
  # the connection options; the callback's own timeout and retries below replace their variables and defaults
  - xsoar.connector.connection.plugins
  - xsoar.connector.connection
options:
  timeout:
    description:
      - Seconds one request may take, as the modules' O(xsoar.connector.xsoar_incident#module:timeout).
      - Its own variable, not E(XSOAR_TIMEOUT), and a lower default than the modules' 30, because the end of
        every run waits for it when XSOAR is slow.
    default: 10
    env:
      - name: XSOAR_FAILURE_INCIDENT_TIMEOUT
    ini:
      - section: callback_failure_incident
        key: timeout
  retries:
    description:
      - Retries of one request, as the modules' O(xsoar.connector.xsoar_incident#module:retries).
      - Its own variable, not E(XSOAR_RETRIES), for the reason given in O(timeout).
    default: 1
    env:
      - name: XSOAR_FAILURE_INCIDENT_RETRIES
    ini:
      - section: callback_failure_incident
        key: retries
  time_budget:
    description:
      - Seconds the callback may add to the end of the run, in total, for all its requests and waits. When they
        are spent, the request in flight is cut, nothing more is sent, and a warning says what was not sent
        (the exit code stays the same).
      - O(timeout) and O(retries) bound each request; this bounds them all together, however many failures
        there are and however slow XSOAR is.
    type: float
    default: 60
    env:
      - name: XSOAR_FAILURE_INCIDENT_TIME_BUDGET
    ini:
      - section: callback_failure_incident
        key: time_budget
  severity:
    description: Severity of the incidents (V(low), V(medium), V(high), V(critical), ... or 0 to 4).
    type: str
    default: high
    env:
      - name: XSOAR_FAILURE_INCIDENT_SEVERITY
    ini:
      - section: callback_failure_incident
        key: severity
  incident_type:
    description: Incident type; unset means XSOAR's default (Unclassified).
    type: str
    env:
      - name: XSOAR_FAILURE_INCIDENT_TYPE
    ini:
      - section: callback_failure_incident
        key: incident_type
  playbook:
    description: XSOAR playbook (id or name) to attach to the incidents; unset means none.
    type: str
    env:
      - name: XSOAR_FAILURE_INCIDENT_PLAYBOOK
    ini:
      - section: callback_failure_incident
        key: playbook
  start_investigation:
    description: Start the investigation (and the playbook) when an incident is created.
    type: bool
    default: false
    env:
      - name: XSOAR_FAILURE_INCIDENT_START_INVESTIGATION
    ini:
      - section: callback_failure_incident
        key: start_investigation
  name_prefix:
    description:
      - "First part of the incident name, before C(: ). The role's O(xsoar.connector.failure_incident#role:main:failure_incident_name_prefix);
        keep the two equal for the two to share incidents."
    type: str
    default: Ansible failure
    env:
      - name: XSOAR_FAILURE_INCIDENT_NAME_PREFIX
    ini:
      - section: callback_failure_incident
        key: name_prefix
  per_host:
    description:
      - "V(true) names each incident C(<name_prefix>: <play> / <task> on <host>), one per failed host; V(false)
        names it C(<name_prefix>: <play> / <task>), one per play and task, listing the failed hosts."
    type: bool
    default: true
    env:
      - name: XSOAR_FAILURE_INCIDENT_PER_HOST
    ini:
      - section: callback_failure_incident
        key: per_host
  name_max_length:
    description:
      - Longest incident name. A longer name is cut and ends in C(" [<first 8 hex digits of the SHA-1 of the
        full name>]"), as the role cuts it.
    type: int
    default: 200
    env:
      - name: XSOAR_FAILURE_INCIDENT_NAME_MAX_LENGTH
    ini:
      - section: callback_failure_incident
        key: name_max_length
  count_unreachable:
    description: Open an incident for a host that became unreachable, named after the task it was running.
    type: bool
    default: true
    env:
      - name: XSOAR_FAILURE_INCIDENT_COUNT_UNREACHABLE
    ini:
      - section: callback_failure_incident
        key: count_unreachable
  count_rescued:
    description:
      - Open an incident for a failure that a C(rescue) section handled. Off by default, because a rescued
        failure is one the play already deals with (for example with the failure_incident role, whose incident
        has the same name, so turning this on opens no second one).
    type: bool
    default: false
    env:
      - name: XSOAR_FAILURE_INCIDENT_COUNT_RESCUED
    ini:
      - section: callback_failure_incident
        key: count_rescued
  include_error:
    description: Put the error message (C(msg), C(rc), end of C(stderr)) into the details; never for C(no_log) tasks.
    type: bool
    default: true
    env:
      - name: XSOAR_FAILURE_INCIDENT_INCLUDE_ERROR
    ini:
      - section: callback_failure_incident
        key: include_error
  error_max_length:
    description: The error message is cut to this many characters.
    type: int
    default: 2000
    env:
      - name: XSOAR_FAILURE_INCIDENT_ERROR_MAX_LENGTH
    ini:
      - section: callback_failure_incident
        key: error_max_length
  close_on_recovery:
    description:
      - Close the open incident of a task and host when that task succeeds on that host (in a later run).
      - Every task that succeeds is then looked up at the end of the run, in searches of 200 names each.
    type: bool
    default: false
    env:
      - name: XSOAR_FAILURE_INCIDENT_CLOSE_ON_RECOVERY
    ini:
      - section: callback_failure_incident
        key: close_on_recovery
  war_room_output:
    description:
      - When the failed task's output (C(msg), C(rc), the whole C(stdout) and C(stderr)) is longer than
        O(error_max_length), also write it to the incident's war room as a file entry
        C(ansible-output-<host>.txt), so nothing is lost to the cut. Never for C(no_log) tasks or with
        O(include_error) off; the API key is replaced by C(********). The same output is not written twice.
      - Needs an investigation (O(start_investigation), or one started in XSOAR); an incident without one gets
        no file (said with C(-v)).
    type: bool
    default: true
    env:
      - name: XSOAR_FAILURE_INCIDENT_WAR_ROOM_OUTPUT
    ini:
      - section: callback_failure_incident
        key: war_room_output
  note_on_repeat:
    description:
      - When a failure finds its incident already open (an earlier run failed the same way), add a note to its
        war room, C(Failed again at <time> in run <run> on <hosts>) with the error (cut, hidden for C(no_log)
        tasks), instead of nothing. The run is the AWX job id (E(JOB_ID)) or C(<controller>:<process id>).
      - Needs an investigation, as O(war_room_output).
    type: bool
    default: false
    env:
      - name: XSOAR_FAILURE_INCIDENT_NOTE_ON_REPEAT
    ini:
      - section: callback_failure_incident
        key: note_on_repeat
notes:
  - Runs on the controller; ad-hoc C(ansible) commands load it too when C(bin_ansible_callbacks) is set.
  - Warnings start with C(xsoar.connector.failure_incident:); docs/troubleshooting.md lists each with its fix.
seealso:
  - name: The failure_incident role
    description: The same incidents from a C(rescue) block, with per-task control.
    link: https://github.com/xsoar-connector/xsoar.connector/blob/main/roles/failure_incident/README.md
"""

EXAMPLES = r"""
# ansible.cfg of the project (in AWX: of the job template's project)
# [defaults]
# callbacks_enabled = xsoar.connector.failure_incident
#
# [callback_failure_incident]
# severity = critical
# close_on_recovery = true

# The connection, from the environment (an AWX credential of the collection's type injects it):
# export XSOAR_URL=https://xsoar.example.com XSOAR_API_KEY=...    # XSOAR_API_KEY_ID=... for XSOAR 8
# ansible-playbook site.yml
"""

import hashlib
import math
import os
import re
import socket
import time
from typing import Any

from ansible import context
from ansible.executor.stats import AggregateStats
from ansible.playbook.play import Play
from ansible.playbook.task import Task
from ansible.playbook.block import Block
from ansible.plugins.callback import CallbackBase

from ansible_collections.xsoar.connector.plugins.module_utils import incident_flow, war_room
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.client import REQUESTS_IMPORT_ERROR, Client, redact
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarError, XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.failure_report import (
    CLOSE_NOTES,
    NOT_INCLUDED,
    WITHHELD,
    FailureLog,
    error_text,
    full_output,
    incident_name,
    is_no_log,
    output_file_name,
    repeat_note,
    task_label,
)
from ansible_collections.xsoar.connector.plugins.module_utils.connection import connection_settings, open_client

PREFIX = "xsoar.connector.failure_incident: "
# A day: far beyond any end of run one would wait for, and a bound on what the option can be set to.
MAX_TIME_BUDGET = 86400
ITEM_PREFIX = re.compile(r"\bincidents\[\d+\]\.")
ITEM_OPTIONS = (
    "name_prefix",
    "per_host",
    "name_max_length",
    "severity",
    "incident_type",
    "playbook",
    "start_investigation",
)


class NotSent(XsoarError):
    """The callback stopped; `count` incidents to open were not opened (the warning says how many)."""

    def __init__(self, message: str, count: int) -> None:
        super().__init__(message)
        self.count = count


def _part(result: Any, name: str) -> Any:
    """result.task / .host / .result on ansible-core 2.19+, result._task ... before (no deprecation).

    `result` is a TaskResult before 2.19 and a CallbackTaskResult from 2.19 on: no one class to name.
    """
    value = getattr(result, name, None)
    return value if value is not None else getattr(result, "_" + name)


def will_be_rescued(task: Task) -> bool:
    """Whether a failure of `task` runs a rescue section: it sits in the `block:` part of a block with one."""
    node, parent = task, getattr(task, "_parent", None)
    while parent is not None:
        if (
            isinstance(parent, Block)
            and parent.rescue
            and any(getattr(member, "_uuid", None) == node._uuid for member in parent.block)
        ):
            return True
        node, parent = parent, getattr(parent, "_parent", None)
    return False


def budget_spent_prefix(client: Client, budget: float) -> str:
    """What a warning starts with when the time budget ended the work ("" when it did not)."""
    if not client.budget_spent:
        return ""
    return (
        f"time_budget ({budget:g}s) ran out before the incidents were all sent (XSOAR answered too slowly or not at"
        " all; raise time_budget, or check XSOAR): "
    )


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "xsoar.connector.failure_incident"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display: Any = None) -> None:
        super().__init__(display=display)
        self._log = FailureLog()
        self._play = "unnamed play"
        self._outputs: list[
            tuple[str, str, str, str]
        ] = []  # (play, task, host, full output) of reported failures that may be sent

    # -- what happened --------------------------------------------------------------------------

    def v2_playbook_on_play_start(self, play: Play) -> None:
        self._play = (play.get_name() or "").strip() or "unnamed play"

    def _where(self, result: Any) -> tuple[str, str, str, Task]:
        task = _part(result, "task")
        return self._play, task_label(task.name, task.action), _part(result, "host").get_name(), task

    def _error(self, result: Any, task: Task) -> str:
        data = _part(result, "result")
        if is_no_log(data, getattr(task, "no_log", None)):
            return WITHHELD
        if not self.get_option("include_error"):
            return NOT_INCLUDED
        return error_text(data, self.get_option("error_max_length"))

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        play, task_name, host, task = self._where(result)
        report = not ignore_errors and (self.get_option("count_rescued") or not will_be_rescued(task))
        self._log.failed(play, task_name, host, utc_now(), self._error(result, task) if report else "", report=report)
        if report and self._error(result, task) not in (WITHHELD, NOT_INCLUDED):
            self._outputs.append((play, task_name, host, full_output(_part(result, "result"))))

    def v2_runner_on_unreachable(self, result: Any) -> None:
        play, task_name, host, task = self._where(result)
        # ignore_unreachable: the play goes on with the host, as with ignore_errors for failures
        report = self.get_option("count_unreachable") and not getattr(task, "ignore_unreachable", False)
        self._log.failed(
            play,
            task_name,
            host,
            utc_now(),
            self._error(result, task) if report else "",
            unreachable=True,
            report=report,
        )

    def v2_runner_on_ok(self, result: Any) -> None:
        if self.get_option("close_on_recovery"):
            play, task_name, host, dummy = self._where(result)
            self._log.ok(play, task_name, host)

    # -- sending --------------------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats: AggregateStats) -> None:
        options = {option: self.get_option(option) for option in ITEM_OPTIONS}
        items = self._log.items(options, self.get_option("close_on_recovery"))
        if not items:
            return
        opening = sum(1 for item in items if item["state"] == "present")
        # Nothing here may end the run or change its exit code: every problem is a warning.
        started = time.monotonic()
        try:
            self._send(items, opening)
            return
        except NotSent as error:
            message, count = str(error), error.count
        except XsoarError as error:
            message, count = str(error), opening
        except Exception as error:  # pylint: disable=broad-except
            message = (
                f"unexpected {type(error).__name__} in the callback: {redact(error, self.get_option('api_key') or '')}"
            )
            count = opening
        # the time it added to the run's end (bounded by time_budget)
        took = time.monotonic() - started
        self._display.warning(f"{PREFIX}{message}; {count} incident(s) not sent, after {took:.1f}s")

    def _settings(self) -> dict[str, Any]:
        # "" is how an unset AWX credential field or an empty variable arrives: not set. url and api_key
        # stay, as "", so that validate_connection names the variable to set.
        values = dict(url="", api_key="")
        spec = connection_argument_spec()
        for option in spec:
            value = self.get_option(option)
            if value not in (None, ""):
                values[option] = value
        fix = "check the [callback_failure_incident] section of ansible.cfg or the XSOAR_* environment"
        return connection_settings(values, spec, fix)

    def _warn(self, message: str) -> None:
        self._display.warning(PREFIX + message)

    def _time_budget(self) -> float:
        budget = self.get_option("time_budget")
        if not (math.isfinite(budget) and 0 < budget <= MAX_TIME_BUDGET):
            raise XsoarError(
                f"time_budget must be a number of seconds above 0 and at most {MAX_TIME_BUDGET}, got {budget}: check"
                " the [callback_failure_incident] section of ansible.cfg or XSOAR_FAILURE_INCIDENT_TIME_BUDGET"
            )
        return budget

    def _send(self, items: list[dict[str, Any]], opening: int) -> None:
        if REQUESTS_IMPORT_ERROR:
            raise XsoarError("the Python library requests is missing on the controller (pip install requests)")
        settings = self._settings()
        closing = len(items) - opening
        params = dict(
            incidents=items,
            name=None,
            labels=None,
            match_closed=False,
            update_existing=False,
            close_reason=None,
            close_notes=CLOSE_NOTES if closing else None,
            continue_on_item_error=False,
            start_investigation=False,
        )
        try:
            prepared = incident_flow.prepare(params)
        except XsoarInputError as error:
            # the items are built here from this plugin's options: name the option, not the item
            raise XsoarInputError(
                "{}; check the [callback_failure_incident] section of ansible.cfg or the"
                " XSOAR_FAILURE_INCIDENT_* environment".format(ITEM_PREFIX.sub("", str(error)))
            )
        check_mode = bool(context.CLIARGS.get("check"))
        budget = self._time_budget()
        client = open_client(settings, self._warn)
        client.spend_at_most(budget)
        try:
            try:
                result = incident_flow.run(client, prepared, check_mode)
            except incident_flow.ItemsFailed as error:
                self._report(client, error.result, check_mode)
                to_open = {item["name"] for item in items if item["state"] == "present"}
                opened = sum(
                    1
                    for outcome in error.result.get("incidents", [])
                    if all(
                        (outcome["name"] in to_open, not outcome.get("failed"), outcome["action"] != "not_attempted")
                    )
                )
                message = budget_spent_prefix(client, budget) + incident_flow.items_failed_message(
                    error.result.get("incidents", []), len(items)
                )
                raise NotSent(client.redact(message), opening - opened)
            except XsoarError as error:
                raise XsoarError(client.redact(budget_spent_prefix(client, budget) + str(error)))
            self._report(client, result, check_mode)
            self._write_war_rooms(client, result, check_mode)
        finally:
            client.close()

    # -- the war room -------------------------------------------------------------------------------

    def _write_war_rooms(self, client: Client, result: dict[str, Any], check_mode: bool) -> None:
        """Long outputs as file entries and notes on repeated failures; a problem is a warning only."""
        items, known = self._war_room_items(result)
        if not items:
            return
        task = war_room.Task(tuple(items), "skip", False, war_room.DEFAULT_READ_LIMIT, True)
        try:
            written = war_room.run(client, task, check_mode, tuple(known))
        except XsoarError as error:
            self._display.warning(PREFIX + f"war room not written: {client.redact(error)}")
            return
        actions = [entry["action"] for entry in written["entries"]]
        self._display.v(PREFIX + f"war room: {len(actions)} entries, {actions.count('skipped')} already there")

    def _war_room_items(self, result: dict[str, Any]) -> tuple[list[war_room.Item], list[dict[str, Any]]]:
        """(war_room.Item list, incidents): what goes to the war rooms of the incidents this run opened or kept."""
        by_name = {}
        for outcome in result.get("incidents", []):
            if outcome.get("incident", {}).get("id") and outcome["action"] in ("created", "none"):
                by_name[outcome["name"]] = outcome
        wanted: dict[str, list[war_room.Wanted]] = {name: [] for name in by_name}
        self._add_outputs(wanted)
        self._add_repeat_notes(wanted, by_name)
        items, known = [], []
        for name, entries in wanted.items():
            incident = by_name[name]["incident"]
            if not entries:
                continue
            if not incident.get("investigationId"):
                self._display.v(
                    PREFIX + f"incident {incident['id']} has no investigation: nothing written to its war room"
                )
                continue
            items.append(war_room.Item("", None, str(incident["id"]), tuple(entries)))
            known.append(incident)
        return items, known

    def _name(self, play: str, task: str, host: str) -> str:
        return incident_name(
            self.get_option("name_prefix"),
            play,
            task,
            host,
            self.get_option("per_host"),
            self.get_option("name_max_length"),
        )

    def _add_outputs(self, wanted: dict[str, list[war_room.Wanted]]) -> None:
        if not self.get_option("war_room_output"):
            return
        for play, task, host, output in self._outputs:
            name = self._name(play, task, host)
            if name not in wanted or len(output) <= self.get_option("error_max_length"):
                continue
            content = output.encode("utf-8")
            sha256 = hashlib.sha256(content).hexdigest()
            wanted[name].append(war_room.Wanted("file", name=output_file_name(host), content=content, sha256=sha256))

    def _add_repeat_notes(self, wanted: dict[str, list[war_room.Wanted]], by_name: dict[str, dict[str, Any]]) -> None:
        if not self.get_option("note_on_repeat"):
            return
        run_id = os.environ.get("JOB_ID") or f"{socket.gethostname()}:{os.getpid()}"
        for failure in self._log.failures:
            name = self._name(failure["play"], failure["task"], failure["host"])
            if name not in wanted or by_name[name]["action"] != "none":
                continue
            text = repeat_note(failure["time"], run_id, [failure["host"]], failure["error"])
            wanted[name].append(war_room.Wanted("text", text=text, markdown=False, note=True, tags=("ansible",)))

    def _report(self, client: Client, result: dict[str, Any], check_mode: bool) -> None:
        for warning in result.get("warnings", []):
            self._display.warning(PREFIX + client.redact(warning))
        actions: dict[str, int] = {}
        for outcome in result.get("incidents", []):
            actions[outcome["action"]] = actions.get(outcome["action"], 0) + 1
            self._display.vvv(PREFIX + "{}: {}".format(outcome["action"], outcome["name"]))
        summary = ", ".join(f"{action} {count}" for action, count in sorted(actions.items()))
        if check_mode:
            summary = "check mode, would be: " + summary
        self._display.v(f"{PREFIX}{summary} in {client.request_count} request(s)")
