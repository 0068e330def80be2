#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_incident_field_info
short_description: List the incident fields a Cortex XSOAR server defines
version_added: 1.1.0
description:
  - Lists the incident fields of the XSOAR server (C(GET /incidentfields)) with their machine name (the key
    of O(xsoar.connector.xsoar_incident#module:custom_fields)), display name, type, choices, the incident types
    they belong to, and whether they are required.
  - Optionally only the fields of one name, one field type or one incident type.
  - On XSOAR 8 the call goes to the legacy C(/xsoar) prefix, as demisto-py and demisto-sdk make it; the public
    API (C(/xsoar/public/v1)) does not document it.
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
      - Only the field whose machine name (C(cliName), for example C(sourceip)) or display name (C(Source IP)) is
        this, compared without case.
    type: str
  type:
    description:
      - Only fields of this type, compared without case, for example V(singleSelect), V(multiSelect),
        V(shortText), V(number), V(date).
    type: str
  incident_type:
    description:
      - Only fields that belong to this incident type (exact name), or to every type.
    type: str
seealso:
  - module: xsoar.connector.xsoar_incident
"""

EXAMPLES = r"""
- name: Every incident field
  xsoar.connector.xsoar_incident_field_info:
  register: fields

- name: The machine names of the fields of phishing incidents
  xsoar.connector.xsoar_incident_field_info:
    incident_type: Phishing
  register: phishing

- name: Show them
  ansible.builtin.debug:
    msg: "{{ phishing.fields | map(attribute='cli_name') | list }}"

- name: The choices of one select field
  xsoar.connector.xsoar_incident_field_info:
    name: Remediation Status
  register: remediation
"""

RETURN = r"""
fields:
  description: The fields found, in the server's order.
  returned: always
  type: list
  elements: dict
  contains:
    cli_name:
      description: The machine name, the key to use in O(xsoar.connector.xsoar_incident#module:custom_fields).
      type: str
    name:
      description: The display name.
      type: str
    type:
      description: The field type (shortText, longText, number, boolean, date, singleSelect, multiSelect, ...).
      type: str
    select_values:
      description: The choices of a select field (empty when it takes any value).
      type: list
      elements: str
    incident_types:
      description: The incident types the field belongs to (see RV(fields[].associated_to_all)).
      type: list
      elements: str
    associated_to_all:
      description: Whether the field belongs to every incident type.
      type: bool
    required:
      description: Whether the field is required (in the XSOAR forms).
      type: bool
    system:
      description: Whether it is one of XSOAR's own fields (those are set by their own options, not custom fields).
      type: bool
  sample:
    - cli_name: remediationstatus
      name: Remediation Status
      type: singleSelect
      select_values: [Pending, Remediated, Failed]
      incident_types: []
      associated_to_all: true
      required: false
      system: false
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import field_definitions
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**field_definitions.FIELD_INFO_OPTIONS),
        supports_check_mode=True,
    )
    run_module(module, field_definitions.prepare_field_info, field_definitions.run_field_info)


if __name__ == "__main__":
    main()
