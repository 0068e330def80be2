#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_api
short_description: Send one request to any Cortex XSOAR API path
version_added: 1.1.0
description:
  - Sends one request to an XSOAR REST API path with the collection's connection (standard and advanced
    keys, key id, CA, client certificate, proxy, timeout, retries) and returns the answer's JSON. For what
    the other modules do not cover, such as lists, indicators or any other server call.
  - The API key is replaced by C(********) wherever the answer, or an error, would show it.
  - O(path) is checked before anything is sent. Refused are absolute URLs and paths that could reach
    another host or leave the API (C(//host), C(..) and C(.) segments plain or percent-encoded, encoded
    C(/) or C(\\), backslashes, double encoding, control characters, fragments), and a path that repeats
    the API prefix. A query string (C(?size=10)) is allowed.
  - A GET is retried on connection errors, 429, 502, 503 and 504 like the other modules' reads (O(retries)).
    Any other method is sent once, because sending it again could do it twice, unless O(idempotent=true).
  - In check mode only a GET is sent; for any other method the result shows the request that would be sent
    (RV(url), RV(body)) and RV(sent) is V(false).
  - C(changed) is what the task declares with O(changed) (by default V(false) for a GET, V(true) for any
    other method); the module cannot know what a call it does not understand changed. It does not read
    anything back either; to prove a write, read it back with another task (see the examples).
  - The answer must be JSON or empty; a route that answers with a file or plain text fails with a message.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - Full for GET, which only reads and is sent in check mode too (read-only).
      - Any other method is not sent in check mode; the result shows what would be sent, and C(changed) is
        what O(changed) declares.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  action_group:
    description: Use C(group/xsoar.connector.xsoar) in C(module_defaults) to set the connection once.
    support: full
    membership:
      - xsoar.connector.xsoar
options:
  method:
    description:
      - The HTTP method. Most XSOAR calls, searches included, are V(POST).
    type: str
    choices: [GET, POST, PUT, PATCH, DELETE]
    default: GET
  path:
    description:
      - The API path after the API prefix, starting with C(/), such as V(/incidents/search) or
        V(/incident/load/123), as XSOAR's API reference and demisto-py name them.
      - Not the full URL and not the prefix (C(/xsoar/public/v1), C(/xsoar)). The server comes from O(url),
        the prefix from O(prefix).
    type: str
    required: true
  body:
    description:
      - The JSON body, as a mapping or a list (or JSON text). Not with V(GET).
      - Without it, no body is sent.
    type: raw
  prefix:
    description:
      - Where the path is sent on XSOAR 8 (with O(api_key_id)). XSOAR 6 has no prefix and ignores this option.
      - V(public) is C(/xsoar/public/v1), the documented public API the other modules use; it lacks many of
        the server's routes, and answers those with HTTP 303 (or 405) on live tenants.
      - V(legacy) is C(/xsoar), which carries the whole server API (as demisto-py uses it).
      - V(auto) sends to the public API first and, when that answers 303 or 405 (it did not act on the
        request), sends the same request once more under the legacy prefix. RV(url) says where it went.
    type: str
    choices: [auto, public, legacy]
    default: auto
  status_code:
    description:
      - The HTTP statuses that mean success. Any other status fails the task with the server's message.
    type: list
    elements: int
    default: [200, 201, 204]
  idempotent:
    description:
      - Whether the request may be sent again after a failure whose outcome is unknown (a timeout, a dropped
        connection, 429, 502, 503, 504), up to O(retries) times.
      - By default V(true) for V(GET) and V(false) for every other method, which is then sent once. Set
        V(true) for a write that does the same however often it is sent (saving a list with the same content,
        a search sent with POST).
    type: bool
  changed:
    description:
      - What the task reports as C(changed) (in check mode too).
      - By default V(false) for V(GET) and V(true) for every other method. A search sent with POST changes
        nothing; set V(false). C(changed_when) can decide from the answer instead (see the examples).
    type: bool
notes:
  - The answer is returned whole; keep large listings small with the call's own paging or size fields.
  - Only the API key is redacted. O(body) shows in the result (RV(body)) and in C(-vvv) output like any task
    argument; for a body that holds another secret, set C(no_log) on the task.
  - Redirects are not followed. XSOAR 8 answers a route its public API lacks with 303; use O(prefix=auto) or
    O(prefix=legacy).
seealso:
  - module: xsoar.connector.xsoar_incident
  - module: xsoar.connector.xsoar_incident_info
"""

EXAMPLES = r"""
- name: Read an incident as the server stores it (a documented public route)
  xsoar.connector.xsoar_api:
    path: /incident/load/123
  register: loaded

- name: Search incidents with a query the other modules do not offer (POST, but it changes nothing)
  xsoar.connector.xsoar_api:
    method: POST
    path: /incidents/search
    body:
      filter:
        query: 'type:Phishing and -status:closed'
        size: 20
    changed: false
    idempotent: true
  register: phishing

- name: Every XSOAR list (the legacy prefix carries them on XSOAR 8; auto finds it)
  xsoar.connector.xsoar_api:
    path: /lists
  register: lists

- name: Save a list (create or replace); saving the same content twice is harmless
  xsoar.connector.xsoar_api:
    method: POST
    path: /lists/save
    body:
      name: blocked_ips
      type: plain_text
      data: "{{ blocked_ips | join(',') }}"
    idempotent: true

- name: Read the list back before relying on the write
  xsoar.connector.xsoar_api:
    path: /lists
  register: lists_after
  failed_when: "'blocked_ips' not in (lists_after.json | map(attribute='name'))"

- name: Find indicators
  xsoar.connector.xsoar_api:
    method: POST
    path: /indicators/search
    body:
      query: 'type:IP and value:10.0.0.*'
      size: 50
    changed: false
  register: indicators

- name: Create an indicator; changed only when the server answers with one
  xsoar.connector.xsoar_api:
    method: POST
    path: /indicator/create
    body:
      indicator:
        value: 198.51.100.7
        indicator_type: IP
        comment: blocked by Ansible
  register: created_indicator
  changed_when: created_indicator.json.id is defined

- name: Start the investigation of an incident created without one (a call the collection does not wrap)
  xsoar.connector.xsoar_api:
    method: POST
    path: /incident/investigate
    body:
      id: "123"
      version: -1

- name: A call that answers 404 when there is nothing, taken as success
  xsoar.connector.xsoar_api:
    path: /incident/load/999999
    status_code: [200, 404]
  register: maybe
"""

RETURN = r"""
method:
  description: The HTTP method.
  returned: always
  type: str
  sample: POST
url:
  description:
    - The full URL the request went to (in check mode, for a method other than GET, would go to).
    - With O(prefix=auto) on XSOAR 8, the legacy URL when the public API did not have the route. In check mode a
      write is not sent, so the public URL is shown.
  returned: always
  type: str
  sample: https://api-tenant.example.com/xsoar/public/v1/incidents/search
body:
  description: The JSON body sent (or that would be sent); null without one. The API key is replaced by C(********).
  returned: always
  type: raw
  sample: {filter: {query: "type:Phishing", size: 20}}
sent:
  description: Whether the request was sent; V(false) in check mode for a method other than GET.
  returned: always
  type: bool
  sample: true
status:
  description: The HTTP status of the answer.
  returned: when sent
  type: int
  sample: 200
json:
  description:
    - The answer's JSON (null when the answer is empty), with the API key replaced by C(********) wherever
      the server echoed it.
  returned: when sent
  type: raw
  sample: {total: 1, data: [{id: "123", name: "Phishing: invoice.pdf"}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import api_request
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import connection_argument_spec
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=connection_argument_spec(**api_request.API_OPTIONS),
        supports_check_mode=True,
    )
    run_module(module, api_request.prepare_api, api_request.run_api)


if __name__ == "__main__":
    main()
