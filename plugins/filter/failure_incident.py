# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: failure_incident
short_description: The name, details and labels of the incident for a failed Ansible task
version_added: 1.1.0
description:
  - Builds the incident of a failed task as the C(xsoar.connector.failure_incident) callback builds it, so
    the C(xsoar.connector.failure_incident) role and the callback find each other's incidents instead of
    opening a second one.
  - "The name is C(<name_prefix>: <play> / <task> on <host>), without C( on <host>) when O(per_host) is false.
    A name longer than O(name_max_length) is cut and ends in C( [<8 hex digits of the full name's SHA-1>]),
    so two long names that differ only at the end stay two incidents."
  - The details are the lines C(Ansible task failed.), C(Play:), C(Task:), C(Host:) (C(Hosts:) for several),
    C(Time:) and C(Error:).
  - The labels are C(Ansible play), C(Ansible task) and C(Ansible host) (the hosts joined with C(, )).
positional: _input
options:
  _input:
    description: The play's name.
    type: str
    required: true
  task:
    description: The failed task's name (or its action).
    type: str
    required: true
  host:
    description: The host that failed; in the name when O(per_host) is true.
    type: str
    required: true
  hosts:
    description: The hosts named in the details and the host label; empty means O(host) only.
    type: list
    elements: str
    default: []
  time:
    description: When the task failed, as shown in the details.
    type: str
    default: ""
  error:
    description: The error shown in the details.
    type: str
    default: ""
  name_prefix:
    description: The start of the incident name.
    type: str
    default: Ansible failure
  per_host:
    description: Whether the host is part of the name (one incident per failed host).
    type: bool
    default: true
  name_max_length:
    description: Longer names are cut and end in a hash of the full name.
    type: int
    default: 200
notes:
  - The C(xsoar.connector.failure_incident) role runs this filter; the callback calls the same Python.
seealso:
  - module: xsoar.connector.xsoar_incident
"""

EXAMPLES = r"""
- name: Open the incident of a failed task
  vars:
    failure: >-
      {{ ansible_play_name | xsoar.connector.failure_incident(task=ansible_failed_task.name,
         host=inventory_hostname, time=now(utc=true).isoformat(), error=ansible_failed_result.msg) }}
  xsoar.connector.xsoar_incident:
    name: "{{ failure.name }}"
    details: "{{ failure.details }}"
    labels: "{{ failure.labels }}"
"""

RETURN = r"""
_value:
  description:
    - C(name), C(details) and C(labels) (a list of C(type)/C(value) dicts) of the incident.
  type: dict
"""

from typing import Any, Callable

from ansible_collections.xsoar.connector.plugins.module_utils import failure_report


def failure_incident(
    play: str,
    task: str,
    host: str,
    hosts: list[str] | None = None,
    time: str = "",
    error: str = "",
    name_prefix: str = "Ansible failure",
    per_host: bool = True,
    name_max_length: int = 200,
) -> dict[str, Any]:
    """The incident of a failed task: the callback's name, details and labels."""
    named_hosts = [str(name) for name in hosts or [host]]
    name = failure_report.incident_name(
        str(name_prefix), str(play), str(task), str(host), bool(per_host), int(name_max_length)
    )
    details = failure_report.details(str(play), str(task), named_hosts, str(time), str(error))
    labels = failure_report.labels(str(play), str(task), named_hosts)
    return {"name": name, "details": details, "labels": labels}


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"failure_incident": failure_incident}
