#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_connector_test
short_description: Prove that an XSOAR connector works, and say what to fix when it does not
version_added: 1.0.0
description:
  - Like the "Test connector" button of Kibana's XSOAR connector. Runs named checks against the server and
    fails at the first one that does not pass, with a message that says what to change.
  - C(reachable) (DNS, connection, port, timeout), C(tls) (certificate verification), C(api_address) (a JSON
    API answers, not the web UI or a login page), C(deployment) (XSOAR 6 or XSOAR 8, told apart by the major
    version of C(demistoVersion) in C(GET /about), and whether O(api_key_id) is needed or wrongly set),
    C(authentication) (the key is valid on the API path the other modules use, proven by one search of size 1),
    and with O(list_playbooks) C(playbooks).
  - An O(api_key_id) against XSOAR 6 (which answers C(/xsoar) paths with its web app, HTTP 200 HTML) and no
    O(api_key_id) against XSOAR 8 (which answers paths outside C(/xsoar) with HTTP 500) are recognised, and the
    C(deployment) check says to remove or to set O(api_key_id).
  - Read-only unless O(incident) or O(lifecycle) is given; then it also writes, except in check mode.
  - With O(lifecycle=true), after the read-only checks, a self-test proves on this server what the other modules
    assume. It creates a uniquely named incident, finds it by exact name (waiting out the search index's lag, and
    measuring it as RV(index_lag_s)), updates one field and reads it back, closes it and reads it back as closed,
    deletes it and reads it back as gone. Each step is a check (V(create), V(find), V(update), V(close),
    V(delete)) with its time, and goes through M(xsoar.connector.xsoar_incident)'s own code.
  - When the server does not do what the collection assumes, the failing check says what was sent, what came
    back and what was expected; the self-test then still deletes its incident where it can, and the message says
    whether it could. That output never holds the API key, so it is what to report.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
  - xsoar.connector.attributes.READ_ONLY
options:
  list_playbooks:
    description:
      - Also list every playbook the key can see (RV(playbooks)), page by page.
      - Off by default because real tenants hold thousands of playbooks and a full listing takes 30 to 90
        seconds; the key is proven by a cheap search either way.
    type: bool
    default: false
  lifecycle:
    description:
      - Run the lifecycle self-test after the read-only checks (create, find, update, close and delete one
        incident named C(xsoar.connector lifecycle self-test <random>); see the description above).
      - The first thing to run against a new server. Skipped in check mode, with a warning.
    type: bool
    default: false
    version_added: 1.1.0
  lifecycle_wait:
    description:
      - Seconds each step of the lifecycle self-test waits for the server to show its effect (the search index to
        find the new incident, a read-back to show the update, the close and the delete), from 0 to 3600.
      - XSOAR 8 SaaS indexes new incidents seconds after their create; demisto-sdk waits up to 300 seconds.
    type: float
    default: 60
    version_added: 1.1.0
  incident:
    description:
      - A test incident to create after the checks pass, the way Kibana's connector test sends one.
      - Idempotent on its name, like M(xsoar.connector.xsoar_incident) with O(xsoar.connector.xsoar_incident#module:state=present).
    type: dict
    suboptions:
      name:
        description: The incident name.
        type: str
        required: true
      severity:
        description: Severity, as in M(xsoar.connector.xsoar_incident).
        type: raw
      rule_severity:
        description: The alerting rule's severity, as in M(xsoar.connector.xsoar_incident).
        type: str
      playbook:
        description: Playbook name or id.
        type: str
      start_investigation:
        description: Start the investigation when the incident is created.
        type: bool
        default: false
      type:
        description: The incident type.
        type: str
      details:
        description: The incident details.
        type: str
      body:
        description: Extra fields, a dict or a string of JSON.
        type: raw
seealso:
  - module: xsoar.connector.xsoar_incident
"""

EXAMPLES = r"""
- name: Test the connector (read-only)
  xsoar.connector.xsoar_connector_test:
    url: https://xsoar.example.com
    api_key: "{{ vault_xsoar_api_key }}"
  register: connector

- name: Show what it found
  ansible.builtin.debug:
    msg: "{{ connector.deployment }} {{ connector.server_version }}, API base {{ connector.api_base }}"

- name: Test the connector and list the playbooks the key can see (slow on big tenants)
  xsoar.connector.xsoar_connector_test:
    list_playbooks: true
  register: with_playbooks

- name: Test an XSOAR 8 connector with an advanced key, and send a test incident
  xsoar.connector.xsoar_connector_test:
    url: https://api-example.us.paloaltonetworks.com
    api_key: "{{ vault_xsoar_api_key }}"
    api_key_id: "17"
    api_key_type: advanced
    incident:
      name: "Connector test from Ansible"
      severity: low

- name: Prove that this server does what the modules assume (creates and deletes one incident)
  xsoar.connector.xsoar_connector_test:
    lifecycle: true
  register: self_test

- name: Show how long the search index took to find a new incident
  ansible.builtin.debug:
    msg: "index lag {{ self_test.index_lag_s }} s"

# Ad hoc, with the connection in XSOAR_* environment variables:
# ansible localhost -m xsoar.connector.xsoar_connector_test
# ansible localhost -m xsoar.connector.xsoar_connector_test -a lifecycle=true
"""

RETURN = r"""
checks:
  description: The checks made, in order; on failure the last one failed.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: V(reachable), V(api_address), V(tls), V(deployment), V(authentication), V(api), V(playbooks),
        V(test_incident), or with O(lifecycle) V(create), V(find), V(update), V(close) and V(delete).
      type: str
    ok:
      description: Whether the check passed.
      type: bool
    detail:
      description: What was found, or what to fix; for a failed lifecycle check, what was sent, what came back and
        what was expected.
      type: str
    seconds:
      description: How long the lifecycle check took, its read-backs included.
      returned: for the lifecycle checks
      type: float
  sample:
    - {name: reachable, ok: true, detail: "https://xsoar.example.com answered GET /about in 35 ms"}
    - {name: deployment, ok: true, detail: "xsoar6, version 6.14.0; API base https://xsoar.example.com"}
deployment:
  description: V(xsoar6), or V(xsoar8-opp) / V(xsoar8-saas) for XSOAR 8 on-premises / SaaS.
  returned: when the server answered
  type: str
  sample: xsoar8-saas
server_version:
  description: The server's C(demistoVersion).
  returned: when the server answered
  type: str
  sample: 8.9.0
api_base:
  description: The API base address the modules use with these settings.
  returned: always
  type: str
  sample: https://api-example.us.paloaltonetworks.com/xsoar/public/v1
latency_ms:
  description: Milliseconds of the first request (GET /about).
  returned: when the server answered
  type: float
  sample: 35.2
playbooks:
  description: Names of the playbooks the key can see, sorted.
  returned: when O(list_playbooks) is true and the checks passed
  type: list
  elements: str
  sample: ["Phishing - Generic v3"]
index_lag_s:
  description: Seconds from the lifecycle self-test's create answer until a search by exact name found the incident
    (measured with a search every second). 0 on servers that index at once; seconds on XSOAR 8 SaaS.
  returned: when O(lifecycle) ran and its create passed
  type: float
  sample: 5.1
incident:
  description: The test incident, as in M(xsoar.connector.xsoar_incident).
  returned: when O(incident) is given
  type: dict
action:
  description: What happened to the test incident (V(created), V(none), V(dropped)).
  returned: when O(incident) is given
  type: str
  sample: created
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import connector_check
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import (
    connection_argument_spec,
    without_suboptions,
)
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**without_suboptions(connector_check.MODULE_OPTIONS)),
        supports_check_mode=True,
    )
    run_module(module, connector_check.prepare, connector_check.run)


if __name__ == "__main__":
    main()
