#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_incident_task
short_description: Complete a waiting playbook task of a Cortex XSOAR incident
version_added: 1.1.0
description:
  - Completes a task of the playbook that runs in an incident's investigation, so the playbook goes on; a
    conditional task goes on down the branch O(completion) names. The common pattern is an XSOAR playbook
    that waits at a manual or conditional task ("Wait for Ansible remediation") until Ansible has done the work.
  - The incident is found by exact name (the newest open one) or by id; the task by exact name or by id,
    sub-playbook tasks included. An unknown task name fails with the closest task names of that incident.
  - Idempotent. A task already completed is left as it is (C(changed=false)); a task that is not waiting (not
    reached yet, skipped, failed) fails with its state, unless O(wait) lets the playbook reach it first.
  - The completion is read back from the server (a successful answer alone is not taken as proof).
  - Calls C(GET /inv-playbook/{investigationId}) and C(POST /inv-playbook/task/complete/simple), as demisto-py
    and demisto-sdk do. XSOAR 8's public API (C(/xsoar/public/v1)) does not document them, so on XSOAR 8 they go
    to the legacy C(/xsoar) prefix, which carries the whole server API.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
  - xsoar.connector.attributes
options:
  incident_name:
    description:
      - The exact name of the incident (the newest open incident of that name). Mutually exclusive with
        O(incident_id); one of them is required.
    type: str
  incident_id:
    description:
      - The id of the incident.
    type: str
  task:
    description:
      - The exact name of the task (case included). Mutually exclusive with O(task_id); one of them is required.
      - When two tasks share the name, give O(task_id) (the message lists their ids).
    type: str
  task_id:
    description:
      - The id of the task in the incident's work plan (a number such as V(2)).
    type: str
  completion:
    description:
      - For a conditional task, the branch to take (the label of one of its branches, for example V(Yes) or
        V(Remediated)); required there. Compared exactly, else without case when that names one branch.
      - Must be left out for a task that is not conditional.
    type: str
  comment:
    description:
      - A comment written to the task with its completion (the result of the remediation, for example).
    type: str
  wait:
    description:
      - Seconds to wait for the playbook to reach the task when it is not waiting yet (it is read again every
        2 seconds). V(0) does not wait.
      - From 0 to 3600.
    type: float
    default: 0
seealso:
  - module: xsoar.connector.xsoar_incident
  - module: xsoar.connector.xsoar_incident_info
"""

EXAMPLES = r"""
- name: Tell the XSOAR playbook that the remediation worked
  xsoar.connector.xsoar_incident_task:
    incident_id: "{{ incident_id }}"
    task: Wait for Ansible remediation
    completion: Remediated
    comment: "Host db1 patched by Ansible job {{ tower_job_id | default('local') }}"
    wait: 60

- name: Complete a manual task of the newest open incident of that name
  xsoar.connector.xsoar_incident_task:
    incident_name: Disk full on db1
    task: Approve containment
"""

RETURN = r"""
incident:
  description: The incident whose task it is.
  returned: success
  type: dict
  sample: {id: "42", name: Disk full on db1}
task:
  description: The task as read back from the server after the completion (or as it was, when nothing was done).
  returned: success
  type: dict
  contains:
    id:
      description: The task's id in the work plan.
      type: str
    name:
      description: The task's name.
      type: str
    type:
      description: The task's type (regular, condition, ...).
      type: str
    state:
      description: Its state, for example V(Completed) or V(Waiting).
      type: str
    branches:
      description: The branch labels of a conditional task (empty for others).
      type: list
      elements: str
  sample: {id: "2", name: Wait for Ansible remediation, type: condition, state: Completed, branches: [Remediated, Failed]}
completion:
  description: The branch the task was completed down (the server's spelling); null when nothing was completed now.
  returned: success
  type: str
  sample: Remediated
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import incident_tasks
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**incident_tasks.TASK_OPTIONS),
        mutually_exclusive=incident_tasks.TASK_EXCLUSIVE,
        required_one_of=incident_tasks.TASK_REQUIRED_ONE_OF,
        supports_check_mode=True,
    )
    run_module(module, incident_tasks.prepare, incident_tasks.run)


if __name__ == "__main__":
    main()
