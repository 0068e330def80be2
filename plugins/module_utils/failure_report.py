# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failed tasks -> incident items, for the failure_incident callback (pure functions, no I/O).

The names, details and labels are built here for the callback and, through the failure_incident filter,
for the failure_incident role, so both find each other's incidents instead of opening a second one.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

HASH_SUFFIX_LENGTH = 11  # " [" + 8 hex digits + "]"
STDERR_TAIL = 1000
WITHHELD = "hidden: the failed task has no_log set"
NOT_INCLUDED = "not included (include_error is false)"
CLOSE_NOTES = "Closed by xsoar.connector.failure_incident: the task succeeded on this host in a later run"


def incident_name(prefix: str, play: str, task: str, host: str, per_host: bool = True, max_length: int = 200) -> str:
    """`<prefix>: <play> / <task> on <host>` (no host when not per host), capped as the role caps it.

    A name longer than max_length is cut and ends in " [<8 hex digits of the full name's SHA-1>]",
    so two long names that differ only at the end stay two incidents.
    """
    full = "{}: {} / {}{}".format(prefix, play, task, (f" on {host}") if per_host else "")
    if len(full) <= max_length:
        return full
    digest = hashlib.sha1(full.encode("utf-8")).hexdigest()[:8]
    return f"{full[: max_length - HASH_SUFFIX_LENGTH].strip()} [{digest}]"


def task_label(name: str | None, action: str | None) -> str:
    """The task as the role names it: its name, else its action."""
    for label in (name, action):
        if label and label.strip():
            return label.strip()
    return "unnamed task"


def error_text(result: dict[str, Any], max_length: int = 2000) -> str:
    """msg, rc and the end of stderr of a task result, as the role joins them."""
    parts = []
    if result.get("msg"):
        parts.append(str(result["msg"]))
    if result.get("rc") is not None:
        parts.append(f"rc {result['rc']}")
    if result.get("stderr"):
        parts.append(f"stderr: {str(result['stderr'])[-STDERR_TAIL:]}")
    text = "; ".join(parts) or "no error message"
    return text[:max_length]


def full_output(result: dict[str, Any]) -> str:
    """msg, rc and the whole stdout and stderr of a failed task: the war room's file of its output."""
    parts: list[str] = []
    if result.get("msg"):
        parts.append(f"msg: {result['msg']}")
    if result.get("rc") is not None:
        parts.append(f"rc: {result['rc']}")
    for stream in ("stdout", "stderr"):
        if result.get(stream):
            parts.append(f"{stream}:\n{result[stream]}")
    return "\n".join(parts)


def output_file_name(host: str) -> str:
    """The war-room file of a host's failed task output."""
    # letters, digits and -_. stay; anything else could mean something in a file name
    safe = re.sub(r"[^\w.-]", "_", host)
    return f"ansible-output-{safe}.txt"


def repeat_note(time: str, run_id: str, hosts: list[str], error: str) -> str:
    """The war-room note of a failure that an earlier run already opened the incident for."""
    return "Failed again at {} in run {} on {}.\nError: {}".format(time, run_id, ", ".join(hosts), error)


def is_no_log(result: dict[str, Any], task_no_log: Any) -> bool:
    """Whether a result must not be sent: a no_log task (the flag may still be an untemplated string)."""
    if result.get("_ansible_no_log") or "censored" in result:
        return True
    if isinstance(task_no_log, str):
        return task_no_log.strip().lower() not in ("", "false", "no", "0", "off", "n", "f")
    return bool(task_no_log)


def details(play: str, task: str, hosts: list[str], time: str, error: str, unreachable: bool = False) -> str:
    """The incident details, line for line the role's (plus the unreachable case the role cannot see)."""
    return "\n".join(
        (
            "Ansible host unreachable." if unreachable else "Ansible task failed.",
            f"Play: {play}",
            f"Task: {task}",
            "Host{}: {}".format("s" if len(hosts) > 1 else "", ", ".join(hosts)),
            f"Time: {time}",
            f"Error: {error}",
        )
    )


def labels(play: str, task: str, hosts: list[str]) -> list[dict[str, str]]:
    return [
        {"type": "Ansible play", "value": play},
        {"type": "Ansible task", "value": task},
        {"type": "Ansible host", "value": ", ".join(hosts)},
    ]


class FailureLog:
    """What a run did, per play, task and host: failures to report and successes that may close one."""

    def __init__(self) -> None:
        self.failures: list[dict[str, Any]] = []  # in the order they happened
        self.succeeded: list[tuple[str, str, str]] = []  # (play, task, host)
        self.not_ok: set[tuple[str, str, str]] = set()  # (play, task, host) that failed in any way, reported or not

    def failed(
        self,
        play: str,
        task: str,
        host: str,
        time: str,
        error: str,
        unreachable: bool = False,
        report: bool = True,
    ) -> None:
        """Record a failure; report=False (ignored, rescued, unreachable not counted) keeps it from closing."""
        self.not_ok.add((play, task, host))
        if report:
            self.failures.append(dict(play=play, task=task, host=host, time=time, error=error, unreachable=unreachable))

    def ok(self, play: str, task: str, host: str) -> None:
        self.succeeded.append((play, task, host))

    def items(self, options: dict[str, Any], close_on_recovery: bool = False) -> list[dict[str, Any]]:
        """Bulk items for xsoar_incident's logic: one open per failure name, one close per recovered name.

        `options`: name_prefix, per_host, name_max_length, severity, incident_type, playbook,
        start_investigation. A name that failed in this run is never closed by it.
        """

        def name(play: str, task: str, host: str) -> str:
            return incident_name(
                options["name_prefix"], play, task, host, options["per_host"], options["name_max_length"]
            )

        opened: dict[str, dict[str, Any]] = {}
        for failure in self.failures:
            key = name(failure["play"], failure["task"], failure["host"])
            if key in opened:
                hosts = opened[key]["hosts"]
                if failure["host"] not in hosts:
                    hosts.append(failure["host"])
                continue
            opened[key] = dict(failure, hosts=[failure["host"]])
        items = [self._open_item(key, failure, options) for key, failure in opened.items()]
        if close_on_recovery:
            failed_names = set(opened) | {name(*entry) for entry in self.not_ok}
            closed: list[str] = []
            for play, task, host in self.succeeded:
                key = name(play, task, host)
                if key not in failed_names and key not in closed:
                    closed.append(key)
            items.extend({"name": key, "state": "closed"} for key in closed)
        return items

    @staticmethod
    def _open_item(key: str, failure: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        item = {
            "name": key,
            "state": "present",
            "severity": options["severity"],
            "details": details(
                failure["play"],
                failure["task"],
                failure["hosts"],
                failure["time"],
                failure["error"],
                failure["unreachable"],
            ),
            "occurred": failure["time"],
            "labels": labels(failure["play"], failure["task"], failure["hosts"]),
        }
        for option, field in (("incident_type", "type"), ("playbook", "playbook")):
            if options.get(option):
                item[field] = options[option]
        if options.get("start_investigation"):
            item["start_investigation"] = True
        return item
