#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_incident_info
short_description: Find Cortex XSOAR incidents by name, id or query
version_added: 1.0.0
description:
  - Searches XSOAR incidents (C(POST /incidents/search)) by exact name (O(name)), by id (O(ids)) or with an
    XSOAR query (O(query)), or lists the newest incidents when none of them is given.
  - Names are compared exactly, case included, as M(xsoar.connector.xsoar_incident) compares them; the
    server's own name search matches words, so C(Disk full) would also find C(Disk full on db1).
  - Results are read page by page, up to O(limit) incidents.
  - With O(query), O(status) is added to the query itself (C(-status:closed) or C(status:closed)), because
    the server ignores every other filter field when a query is given. Each incident is also checked here;
    if the server returned any the options exclude (an archived one for V(open), say), every page is read
    and RV(total) is counted here, so it stays true.
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
      - Only incidents with exactly this name (case included).
      - Mutually exclusive with O(ids) and O(query).
    type: str
  ids:
    description:
      - Only the incidents with these ids. Ids that do not exist are left out of the result.
      - Mutually exclusive with O(name) and O(query).
    type: list
    elements: str
  query:
    description:
      - An XSOAR search query, as typed in the incidents page, for example V(type:Phishing and severity:high).
      - Mutually exclusive with O(name) and O(ids).
    type: str
  status:
    description:
      - V(open) returns incidents that are not closed (status other than 2, done, and 3, archived);
        V(closed) only closed ones; V(any) both.
    type: str
    choices: [open, closed, any]
    default: any
  limit:
    description:
      - The most incidents to return. Larger results are read in pages of up to 1000.
    type: int
    default: 50
  sort:
    description:
      - The field to sort by.
    type: str
    choices: [created, modified]
    default: created
  sort_order:
    description:
      - V(desc) returns the newest first, V(asc) the oldest first.
    type: str
    choices: [asc, desc]
    default: desc
  fields:
    description:
      - Return only these top-level keys of each incident, for example V([id, name, status]).
      - Keys an incident does not have are left out. Without this option, whole incidents are returned.
    type: list
    elements: str
  war_room:
    description:
      - Also return each incident's war-room entries (text and file metadata, never the files), oldest first,
        in its RV(incidents[].war_room), at most O(war_room_limit) per incident. One read per incident
        returned (in pages of 100); an incident without an investigation has none.
      - On XSOAR 8 the war room is read under the legacy C(/xsoar) prefix, the only one that has it.
    type: bool
    default: false
  war_room_limit:
    description:
      - The most war-room entries returned per incident with O(war_room).
    type: int
    default: 100
seealso:
  - module: xsoar.connector.xsoar_incident
  - module: xsoar.connector.xsoar_incident_entry
  - module: xsoar.connector.xsoar_playbook_info
"""

EXAMPLES = r"""
- name: Is there an open incident for this problem?
  xsoar.connector.xsoar_incident_info:
    url: https://xsoar.example.com
    api_key: "{{ vault_xsoar_api_key }}"
    name: "Disk full on db1"
    status: open
  register: disk_full

- name: Incidents by id, with a few fields
  xsoar.connector.xsoar_incident_info:
    ids: ["42", "43"]
    fields: [id, name, status, severity]

- name: The ten newest open high-severity phishing incidents
  xsoar.connector.xsoar_incident_info:
    query: "type:Phishing and severity:high"
    status: open
    limit: 10
  register: phishing

- name: What analysts wrote in the war room of an incident
  xsoar.connector.xsoar_incident_info:
    name: "Disk full on db1"
    status: open
    war_room: true
    war_room_limit: 20
  register: disk_full_room

- name: The oldest incidents, by last change
  xsoar.connector.xsoar_incident_info:
    sort: modified
    sort_order: asc
    limit: 5
"""

RETURN = r"""
incidents:
  description:
    - The incidents found, at most O(limit), in the order of O(sort) and O(sort_order).
    - Only the keys in O(fields) when it is given.
  returned: always
  type: list
  elements: dict
  sample:
    - id: "42"
      name: Disk full on db1
      severity: 3
      status: 1
      type: Unclassified
      created: "2026-11-29T10:00:00Z"
  contains:
    war_room:
      description:
        - The incident's war-room entries, oldest first, with O(war_room) only. Each has C(id), C(type) (1 text,
          3 file, ...), C(created), C(user), C(format), C(note), C(tags), C(contents) (the text, or a file's
          comment), and for a file C(file) (its name) and C(fileMetadata) (C(md5), C(sha1), C(sha256), C(size)).
      returned: with O(war_room)
      type: list
      elements: dict
      sample:
        - id: "1@42"
          type: 1
          created: "2026-11-29T10:05:00Z"
          format: markdown
          note: true
          tags: [ansible]
          contents: "**Remediated** by Ansible"
total:
  description:
    - How many incidents matched, which may be more than RV(incidents) holds.
    - With O(name), the number of incidents with exactly that name.
    - Always the number of incidents that match every option given, O(status) included.
  returned: always
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import incident_info
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**incident_info.INCIDENT_INFO_OPTIONS),
        mutually_exclusive=incident_info.INCIDENT_INFO_EXCLUSIVE,
        supports_check_mode=True,
    )
    run_module(module, incident_info.prepare_incidents, incident_info.run_incidents)


if __name__ == "__main__":
    main()
