#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_playbook_info
short_description: List the Cortex XSOAR playbooks an API key can see
version_added: 1.0.0
description:
  - Lists the playbooks of the XSOAR server (C(POST /playbook/search)) with their id, name and tags, read in
    pages of 100 (real tenants hold thousands, and one full listing can take longer than the timeout).
  - An exact O(name) is looked up with a search by name, not a full listing; only when that search finds no
    exact match are all playbooks read before the module answers that there is none.
  - Optionally only the playbooks whose name is O(name) (exactly) or contains it (O(match=contains)).
  - Useful to find the id or exact name to give as O(xsoar.connector.xsoar_incident#module:playbook).
  - Read-only; never changes anything.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
  - xsoar.connector.attributes.READ_ONLY
options:
  name:
    description:
      - Only return playbooks with this name.
      - Compared exactly, case included, with O(match=exact); as a case-insensitive substring with
        O(match=contains).
      - Without it, every playbook is returned.
    type: str
  match:
    description:
      - How O(name) is compared. V(exact) is equality, V(contains) a case-insensitive substring.
    type: str
    choices: [exact, contains]
    default: exact
seealso:
  - module: xsoar.connector.xsoar_incident
  - module: xsoar.connector.xsoar_incident_info
"""

EXAMPLES = r"""
- name: List every playbook
  xsoar.connector.xsoar_playbook_info:
    url: https://xsoar.example.com
    api_key: "{{ vault_xsoar_api_key }}"
  register: all_playbooks

- name: Find the phishing playbooks
  xsoar.connector.xsoar_playbook_info:
    name: phishing
    match: contains
  register: phishing

- name: Check that a playbook exists before attaching it
  xsoar.connector.xsoar_playbook_info:
    name: "Block IP - Generic v3"
  register: block_ip
  failed_when: block_ip.playbooks | length != 1
"""

RETURN = r"""
playbooks:
  description: The playbooks found, in the server's order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The playbook id (a UUID, or the name for some built-in playbooks).
      type: str
    name:
      description: The playbook name.
      type: str
    tags:
      description: The playbook's tags (empty when it has none).
      type: list
      elements: str
  sample:
    - {id: c1a4ae9b-87d4-4f39-8e05-1f2f7a0c6b3e, name: Block IP - Generic v3, tags: [IP, Containment]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import playbook_info
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**playbook_info.PLAYBOOK_INFO_OPTIONS),
        supports_check_mode=True,
    )
    run_module(module, playbook_info.prepare_playbooks, playbook_info.run_playbooks)


if __name__ == "__main__":
    main()
