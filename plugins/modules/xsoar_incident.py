#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_incident
short_description: Create, update, close and delete Cortex XSOAR incidents, idempotent on the incident name
version_added: 1.0.0
description:
  - Opens an XSOAR incident with the fields of Kibana's XSOAR connector action (name, playbook, start
    investigation, severity or the alerting rule's severity, and a JSON body of extra fields), and the common
    incident fields as options of their own.
  - Idempotent on the incident name. Before creating, the module searches incidents by name and compares the
    names exactly (the server's own name search matches words, not whole names). With O(state=present), an
    existing open incident of that name means nothing is created, so a playbook can run every five minutes
    and open each incident once.
  - O(state=closed) closes every open incident of that name; O(state=absent) deletes every incident of that
    name.
  - Works with XSOAR 6 and XSOAR 8 / cloud, including XSOAR 8 SaaS, whose create answer carries no incident
    id and whose search finds a new incident only after a few seconds. The module then searches by name
    until the id shows up, for at most O(wait_for_id) seconds, the same way for one incident and for bulk.
  - A create whose outcome is unknown (timeout, dropped connection, gateway error 502/504) is looked up by name
    for up to O(wait_for_id) seconds before anything is sent again. After a read timeout (the server may still
    be working on it) it is never sent again; after a gateway error or a dropped connection it is sent again
    only when the whole wait did not find it. A create that stays unconfirmed is reported with
    RV(action=unknown), as changed, and fails the task; a re-run finds it if it was stored.
  - Each run costs one incident search per 200 names when nothing must change, whatever the number of
    incidents; playbooks are looked up only for incidents to create or update.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
  - xsoar.connector.attributes
options:
  name:
    description:
      - The incident name, the key the module finds the incident by. Compared exactly, case included.
      - Must not be empty or start or end with spaces, and at most 600 characters long (XSOAR's documented
        limit; a longer name is refused before any request).
      - Required unless O(incidents) is given; mutually exclusive with it.
      - One string (a number is taken as its text); a list is refused.
    type: raw
  state:
    description:
      - V(present) makes sure an incident of this name exists (see O(match_closed) and O(update_existing)).
      - V(closed) closes every open incident of this name, with O(close_reason) and O(close_notes).
      - V(absent) deletes every incident of this name, closed ones included.
      - A close or delete is read back (within O(wait_for_id) seconds) before it is reported; a close that
        the batch call did not carry out is sent again per incident (C(POST /incident/close)), and anything
        still not done fails the item, naming the incidents and the server's answers.
    type: str
    choices: [present, closed, absent]
    default: present
  severity:
    description:
      - Severity of a new incident. One of V(Unknown), V(Informational), V(Low), V(Medium), V(High), V(Critical)
        in any case, or XSOAR's numbers V(0), V(0.5), V(1), V(2), V(3), V(4).
      - A new incident gets Unknown (0) when neither this nor O(rule_severity) is given, unless O(body) sets
        C(severity). With O(update_existing=true) an existing incident keeps its severity unless one is given.
      - Mutually exclusive with O(rule_severity).
    type: raw
  rule_severity:
    description:
      - Kibana's "Keep severity from rule". The severity of the alerting rule that fired, mapped as Kibana
        maps it, V(low) to Low, V(medium) to Medium, V(high) to High, V(critical) to Critical, and anything
        else to Unknown.
      - Mutually exclusive with O(severity).
    type: str
  playbook:
    description:
      - The playbook to attach, by id or by name. A name is resolved to its id with a playbook search for
        that name (paged, compared exactly on the controller; case-insensitively when no exact name matches),
        never by listing every playbook (big tenants hold thousands).
      - Resolved only when an incident is to be created or updated, so a run that changes nothing searches no
        playbook.
      - An unknown id or name fails before anything is created, with the closest playbook names.
    type: str
  start_investigation:
    description:
      - Start the investigation, and with it the playbook, as soon as the incident is created. Sent as
        C(createInvestigation).
      - When not set, C(createInvestigation) of O(body) applies, and without one the investigation is not started
        (false). When both are set and differ, this option wins, with a warning.
    type: bool
  type:
    description:
      - The incident type, for example V(Phishing). XSOAR uses V(Unclassified) when it is not set.
    type: str
  details:
    description:
      - The incident details (free text).
    type: str
  owner:
    description:
      - The user name of the incident owner.
    type: str
  labels:
    description:
      - Labels of the incident, the ones this task manages.
      - The server adds labels of its own (C(Instance), C(Brand)); they are left alone, so they are no change
        for O(update_existing) and are kept when the labels are updated. Order does not matter.
    type: list
    elements: dict
    suboptions:
      type:
        description: The label type, for example V(Source).
        type: str
        required: true
      value:
        description: The label value.
        type: str
        required: true
  custom_fields:
    description:
      - Custom incident fields, keyed by their machine names (the field name lower-cased without spaces,
        for example V(scanip) for "Scan IP"). Sent as C(CustomFields).
      - With O(update_existing=true), only the fields given are compared; an update sends the incident's
        custom fields with the changed ones merged in (whether the server merges or replaces them is
        undocumented; both then end the same).
      - NaN and Infinity are refused (JSON cannot carry them).
    type: dict
  occurred:
    description:
      - When the event happened, as an RFC 3339 time such as V(2026-11-29T10:00:00Z).
    type: str
  body:
    description:
      - Extra fields of the create request, as a dict or as a string of JSON (Kibana's "Body").
      - Validated against a JSON schema of the incident fields before anything is sent. Known fields must
        have the right type; unknown top-level keys are sent as given, with a warning.
      - The named options win over keys of the same name in O(body), with a warning.
      - V(id), V(version), V(status), V(created), V(modified) and V(investigationId) are not allowed; the
        module finds the incident by name.
      - NaN and Infinity are refused, and so is nesting deeper than 100 levels.
    type: raw
  match_closed:
    description:
      - V(false) counts only incidents that are not closed as existing, so a problem that comes back after
        its incident was closed opens a new incident.
      - V(true) counts an incident of that name in any status.
    type: bool
    default: false
  update_existing:
    description:
      - V(false) leaves an existing incident as it is.
      - V(true) updates exactly the fields given in this task whose values differ on the existing incident
        (using its id and version), and reports the task as changed. Fields not given keep their values (no
        create-time default such as severity Unknown is applied); a task with no field but the name changes
        nothing.
      - An incident the search shows as differing is loaded (C(GET /incident/load/{id})) and the update is
        planned, shown in the diff and sent against the loaded incident and its version; a search hit can be
        older than the stored incident. After a version conflict (someone else saved it meanwhile) it is loaded,
        planned and sent again, three attempts in all.
    type: bool
    default: false
  close_duplicates:
    description:
      - For items with O(state=present), when the search finds more than one open incident of the name, keep
        the oldest (first created; the same time is decided by the lower id) and close the others with
        XSOAR's close reason C(Duplicate) and a note naming the kept incident. O(update_existing) then acts
        on the kept one, and RV(incident) is the kept one.
      - Duplicates of one name come from runs on two machines at the same instant (the name lock covers
        only the machine that runs the module). Every run on every controller picks the same incident to
        keep, so whichever run comes next converges on it.
      - It acts on what the task's search finds. An incident created by another controller a moment ago may
        not be searchable yet (XSOAR 8 SaaS indexes new incidents after a few seconds), so the duplicate
        of a create that just happened is closed by the next run, not this one.
      - V(false) leaves duplicates open, uses the newest open one and warns.
    type: bool
    default: false
    version_added: 1.1.0
  close_reason:
    description:
      - The close reason with O(state=closed), for example V(Resolved) or V(False Positive).
      - With O(incidents), the default for every closed item; an item can set its own.
      - "On XSOAR 8 the close goes to C(/xsoar/incident/batchClose), the legacy API prefix, on purpose: the
        public C(/xsoar/public/v1) API does not document C(batchClose)."
    type: str
  close_notes:
    description:
      - The close notes with O(state=closed); with O(incidents), the default for every closed item.
    type: str
  wait_for_id:
    description:
      - Seconds to wait for a new incident to be found by a search when the create answer has no id (XSOAR 8
        SaaS), or when the create's outcome is unknown. Searches by name come quickly at first, then every
        5 seconds, one search for all the incidents of the task that are waited for.
      - When the id does not show up in time, the incident is still reported as created, with a warning.
      - Also the longest wait for a close or delete to show when read back (XSOAR 8 may close
        asynchronously, and a search index may show a deleted incident for a while).
      - From 0 to 3600.
    type: float
    default: 60
  parallel_writes:
    description:
      - With O(incidents), how many writes (creates, updates, closes, deletes) are in flight at once, each on
        its own keep-alive connection. Every item is another incident, so the order does not change the
        result; it hides the round trip to the server, which makes most of a bulk task's time against a
        remote server.
      - Writes are started in the order of O(incidents). After a failed item (unless
        O(continue_on_item_error=true)) no more are started; those already in flight still finish and
        are reported.
      - V(1) sends one after the other. Lower it if the server answers HTTP 429 (too many requests).
      - From 1 to 16.
    type: int
    default: 4
    version_added: 1.1.0
  name_lock:
    description:
      - Hold a lock on the machine that runs the module for each name, from the search to the last write, so
        that parallel runs on this machine (forks, separate C(ansible-playbook) processes) open one incident
        per name.
      - The lock is keyed by the server as the client reaches it (the addresses its host resolves to, the port
        and the path), so C(https://localhost:8443) and C(https://127.0.0.1:8443) are one server.
      - V(false) runs without it, for a host where no lock directory can be written; parallel runs may then
        open duplicates, which O(close_duplicates=true) closes on a later run.
      - Runs on different machines (AWX execution nodes) never share it; they rely on O(close_duplicates).
      - Default from E(XSOAR_NAME_LOCK), else V(true).
    type: bool
    version_added: 1.1.0
  name_lock_dir:
    description:
      - The directory of the lock files of O(name_lock). Every process on this machine that writes to the same
        server must use the same one.
      - Default from E(XSOAR_NAME_LOCK_DIR), else C(/tmp/xsoar-connector-locks-<uid>) (not C($TMPDIR), which
        may differ between processes of one controller, such as AWX jobs).
    type: path
    version_added: 1.1.0
  validate_fields:
    description:
      - Check custom fields and the incident O(type) against the server's definitions before anything is
        sent. An unknown custom field is refused with the closest machine names, a value outside a select
        field's choices with the choices, an unknown type with the closest type names.
      - The definitions are read once per task (C(GET /incidentfields), C(GET /incidenttype); on XSOAR 8
        under the legacy C(/xsoar) prefix), and only when an item is created, or updated, with custom fields
        or a type; a run that changes nothing reads nothing.
      - A key that may not read the definitions (HTTP 403) gets a warning, and the fields are sent unchecked.
      - V(false) sends custom fields and types unchecked (XSOAR ignores unknown custom fields and stores an
        unknown type as V(Unclassified)).
    type: bool
    default: true
    version_added: 1.1.0
  incidents:
    description:
      - Bulk mode, mutually exclusive with O(name). Each item takes the incident options of the single form
        (O(name) required, O(state), O(severity) or O(rule_severity), O(playbook), O(start_investigation),
        O(type), O(details), O(owner), O(labels), O(custom_fields), O(occurred), O(body), O(close_reason),
        O(close_notes)); the options given at the top level are defaults for every item.
      - Keep-alive connections, one incident search per 200 names (paged when needed), a playbook search per
        playbook name only when an item is to be created or updated, then one write per item that needs one,
        O(parallel_writes) at a time.
        Duplicate names in the list are an error.
      - Returns RV(incidents), one result per item in order.
    type: list
    elements: dict
    suboptions:
      name:
        description: The incident name, one string.
        type: raw
      state:
        description: As O(state).
        type: str
        choices: [present, closed, absent]
      severity:
        description: As O(severity).
        type: raw
      rule_severity:
        description: As O(rule_severity).
        type: str
      playbook:
        description: As O(playbook).
        type: str
      start_investigation:
        description: As O(start_investigation).
        type: bool
      type:
        description: As O(type).
        type: str
      details:
        description: As O(details).
        type: str
      owner:
        description: As O(owner).
        type: str
      labels:
        description: As O(labels).
        type: list
        elements: dict
        suboptions:
          type:
            description: The label type.
            type: str
            required: true
          value:
            description: The label value.
            type: str
            required: true
      custom_fields:
        description: As O(custom_fields).
        type: dict
      occurred:
        description: As O(occurred).
        type: str
      body:
        description: As O(body).
        type: raw
      close_reason:
        description: As O(close_reason), for this item; only with O(incidents[].state=closed).
        type: str
      close_notes:
        description: As O(close_notes), for this item; only with O(incidents[].state=closed).
        type: str
  continue_on_item_error:
    description:
      - With O(incidents), V(false) stops at the first item that fails and fails the task, reporting what was
        done before it (and by the writes already in flight, see O(parallel_writes)) and the rest as
        V(not_attempted); V(true) goes on with the other items and fails the task at the end.
      - When the server cannot be reached at all, the task stops there either way and reports the rest as
        V(not_attempted), rather than paying the same timeouts for each.
    type: bool
    default: false
notes:
  - "The module itself only talks to XSOAR, so it usually runs on the controller: C(localhost), or
    C(delegate_to: localhost)."
  - On XSOAR 8 SaaS a new incident is found by searches only a few seconds after it was created. The
    module waits for it (O(wait_for_id)), but another run that starts within those seconds cannot see it
    yet and would open a second incident of that name.
requirements:
  - requests
  - jsonschema (when O(body) is given)
seealso:
  - module: xsoar.connector.xsoar_connector_test
"""

EXAMPLES = r"""
- name: Open an incident once, however often the play runs (Kibana's Name, Severity, Playbook, Start investigation)
  xsoar.connector.xsoar_incident:
    url: https://xsoar.example.com
    api_key: "{{ vault_xsoar_api_key }}"
    name: "Disk full on db1"
    severity: high
    playbook: "Phishing - Generic v3"
    start_investigation: true
  delegate_to: localhost

- name: XSOAR 8 / cloud (the key id switches to the cloud API)
  xsoar.connector.xsoar_incident:
    url: https://api-example.us.paloaltonetworks.com
    api_key: "{{ vault_xsoar_api_key }}"
    api_key_id: "17"
    name: "Disk full on db1"
    severity: Critical

- name: Keep the severity from the alerting rule (Kibana's "Keep severity from rule")
  xsoar.connector.xsoar_incident:
    name: "{{ alert.rule.name }} on {{ alert.host.name }}"
    rule_severity: "{{ alert.rule.severity }}"

- name: Kibana's Body, as JSON text, with the common fields as options
  xsoar.connector.xsoar_incident:
    name: "Suspicious login for alice"
    type: Access
    owner: admin
    details: "Three failed logins, then a success from a new country."
    labels:
      - type: Source
        value: ansible
    custom_fields:
      sourceusername: alice
    body: '{"category": "Authentication", "reason": "impossible travel"}'

- name: Update the severity of the open incident of that name
  xsoar.connector.xsoar_incident:
    name: "Disk full on db1"
    severity: critical
    update_existing: true

- name: Close every open incident of that name once the problem is gone
  xsoar.connector.xsoar_incident:
    name: "Disk full on db1"
    state: closed
    close_reason: Resolved
    close_notes: "Disk cleaned by Ansible"

- name: Bulk, one task for many incidents (top-level options are defaults for each item)
  xsoar.connector.xsoar_incident:
    severity: medium
    type: Vulnerability
    incidents: "{{ scan_findings }}"  # a list of dicts, each with at least a name

- name: Bulk with per-item options
  xsoar.connector.xsoar_incident:
    playbook: "Block IP - Generic v3"
    incidents:
      - name: "Port scan from 203.0.113.7"
        severity: high
      - name: "Port scan from 198.51.100.4"
        rule_severity: low

- name: Close several incidents in one task, each with its own reason (the task's is the default)
  xsoar.connector.xsoar_incident:
    state: closed
    close_reason: Resolved
    incidents:
      - name: "Disk full on db1"
        close_notes: "Disk cleaned by Ansible"
      - name: "Port scan from 203.0.113.7"
        close_reason: False Positive

- name: Delete incidents of that name, whatever their status
  xsoar.connector.xsoar_incident:
    name: "Disk full on db1"
    state: absent

- name: Connection from module_defaults, set once for every module of the collection
  module_defaults:
    group/xsoar.connector.xsoar:
      url: https://xsoar.example.com
      api_key: "{{ vault_xsoar_api_key }}"
  block:
    - name: Open an incident
      xsoar.connector.xsoar_incident:
        name: "Backup failed on web1"
        severity: medium

# Ad hoc, with the connection in XSOAR_URL, XSOAR_API_KEY (and XSOAR_API_KEY_ID for XSOAR 8):
# ansible localhost -m xsoar.connector.xsoar_incident -a 'name="Disk full" severity=high'
"""

RETURN = r"""
incident:
  description:
    - The incident as the server returned it (created, found, updated or closed).
    - Empty when nothing matched, when a pre-processing rule dropped the create, and for a create in check mode.
  returned: in the single form
  type: dict
  sample:
    id: "42"
    version: 1
    name: Disk full on db1
    severity: 3
    status: 1
    playbookId: Phishing - Generic v3
    investigationId: "42"
    type: Unclassified
    created: "2026-11-29T10:00:00Z"
action:
  description:
    - What the task did (or would do in check mode).
    - V(dropped) means XSOAR answered the create with HTTP 200 and no content, which XSOAR 8 does when a
      pre-processing rule drops the incident. That is not a creation; C(changed) is false and a warning
      says so.
    - V(unknown) means the create was sent but no answer or search confirmed it (see O(wait_for_id)); the
      task fails, reported as changed because the incident may exist. A re-run finds it if it was stored.
    - V(deduplicated) means O(close_duplicates) closed the duplicates of an incident and left it as it was
      (an update of the kept incident is V(updated), with RV(closed_duplicates) too).
    - V(created_closed) means XSOAR answered the create with a closed incident (a pre-process rule closed
      it); a warning says so. Without O(match_closed=true) the next run opens another one.
  returned: in the single form
  type: str
  choices: [created, created_closed, updated, closed, deleted, dropped, unknown, deduplicated, none]
  sample: created
matches:
  description:
    - How many incidents had exactly this name (open ones, or all with O(match_closed=true); open ones for
      O(state=closed); all for O(state=absent)). With more than one, the newest open one is used (the
      oldest with O(close_duplicates=true)).
  returned: in the single form
  type: int
  sample: 1
changed_fields:
  description: The incident fields an update changed (or would change, in check mode).
  returned: when RV(action) is V(updated)
  type: list
  elements: str
  sample: [details, severity]
not_kept:
  description:
    - The fields of an update that the server did not store as sent (for example an unknown C(type), which
      XSOAR stores as C(Unclassified)); a warning names them. The next run sends them again.
  returned: when an update's answer shows fields not stored as sent
  type: list
  elements: str
  sample: [type]
  version_added: 1.1.0
closed_duplicates:
  description: The ids of the duplicates O(close_duplicates) closed (or would close, in check mode).
  returned: when O(close_duplicates=true) found more than one open incident of the name
  type: list
  elements: str
  sample: ["43"]
  version_added: 1.1.0
ids:
  description: The ids of the incidents closed or deleted.
  returned: when O(state) is V(closed) or V(absent) and something matched
  type: list
  elements: str
  sample: ["42", "43"]
incidents:
  description:
    - Bulk mode, one result per item of O(incidents), in order; items after a failed one are
      V(not_attempted) unless O(continue_on_item_error=true) (writes already in flight then, see
      O(parallel_writes), finish and are reported).
  returned: when O(incidents) is given
  type: list
  elements: dict
  contains:
    name:
      description: The item's incident name.
      type: str
    action:
      description: As RV(action), or V(failed), or V(not_attempted) (not sent because an earlier item failed
        or the server was unreachable).
      type: str
    changed_fields:
      description: As RV(changed_fields).
      type: list
      elements: str
    not_kept:
      description: As RV(not_kept).
      type: list
      elements: str
      version_added: 1.1.0
    ids:
      description: As RV(ids).
      type: list
      elements: str
    closed_duplicates:
      description: As RV(closed_duplicates).
      type: list
      elements: str
      version_added: 1.1.0
    changed:
      description: Whether this item changed something.
      type: bool
    incident:
      description: As RV(incident).
      type: dict
    matches:
      description: As RV(matches).
      type: int
    failed:
      description: Present and true when this item failed.
      type: bool
    msg:
      description: Why the item failed.
      type: str
  sample:
    - {name: Port scan from 203.0.113.7, action: created, changed: true, incident: {id: "7"}, matches: 0}
diff:
  description:
    - The managed incident fields before and after the task (a list, one per item, in bulk mode).
    - "Only in diff mode (C(--diff) or C(diff: true)): a bulk result stays small otherwise."
  returned: in diff mode
  type: dict
  sample:
    before: {}
    after: {name: Disk full on db1, severity: 3}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import incident_flow
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=incident_flow.module_argument_spec(),
        supports_check_mode=True,
    )
    # the per-item diffs double a bulk result: built only when the user asks for a diff
    run_module(module, lambda params: incident_flow.prepare(params, diff=module._diff), incident_flow.run)


if __name__ == "__main__":
    main()
