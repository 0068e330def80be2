#!/usr/bin/python
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: xsoar_incident_entry
short_description: Write notes, text entries, files and attachments to a Cortex XSOAR incident's war room
version_added: 1.1.0
description:
  - Writes to the war room of an incident (the list of entries of its investigation) found by exact O(name),
    as M(xsoar.connector.xsoar_incident) finds it, or by O(id).
  - O(text) becomes a text entry (markdown unless O(markdown=false)), optionally marked as a note (O(note)) and
    tagged (O(tags)). O(files) become war-room file entries; O(attachments) go into an attachment field of the
    incident (O(field)).
  - Idempotent by content. Before writing, the module reads the war room (at most O(read_limit) entries, page
    by page, without downloading any file) and skips a text already there, and a file entry of the same name
    and sha256 (from the file metadata the server keeps). An attachment of the same name already in the field
    is skipped too (XSOAR keeps no hash of attachments). A re-run therefore writes nothing.
    O(duplicates=allow) writes anyway, append-only, like splunk.es's notes.
  - Matching entries are not changed; a text already there without the note mark or the tags wanted stays as
    it is.
  - An entry needs an investigation. An incident created without one (C(investigationId) empty) is refused
    with a message naming O(start_investigation); with O(start_investigation=true) the module starts it
    first, which also runs the incident's playbook.
  - A closed incident is refused before anything is written (XSOAR answers 412 Precondition Failed for an
    entry on a closed investigation). When the incident is closed between the look-up and a write, the
    message says how many entries were written before.
  - The API key never goes into the war room, even when the text or a file holds it.
  - O(entries) writes many entries to many incidents in one task, with one incident search per 200 names (or
    ids) for all of them, one war-room read per incident, and one write per new entry (a note or tags add one
    request each).
  - On XSOAR 8 the entry routes exist only under the legacy C(/xsoar) prefix (the public API C(/xsoar/public/v1)
    answers them with a redirect, HTTP 303), so the module calls them there, as demisto-py does; the
    attachment upload is documented on the public API and goes there. On XSOAR 6 both are at the server root.
  - Files are read on the host that runs the module (the controller when the task runs on localhost, as usual
    for API modules). A file over O(max_file_size_mb) is refused before any request.
author:
  - xsoar.connector developers (@xsoar-connector)
extends_documentation_fragment:
  - xsoar.connector.connection
  - xsoar.connector.connection.modules
  - xsoar.connector.attributes
options:
  name:
    description:
      - The exact name of the incident to write to (case included). The newest open incident of that name is
        used; when only closed ones have it, the module fails saying it is closed.
      - One of O(name) and O(id) is required unless O(entries) is given.
    type: str
  id:
    description:
      - The id of the incident to write to, instead of O(name).
    type: str
  text:
    description:
      - The text of a war-room entry. Written as it is given; Ansible templates it once, as every option, and
        the module never templates it again.
    type: str
  markdown:
    description:
      - Whether O(text) is markdown (C(true)) or plain text.
      - The default of the items of O(entries) that leave it out.
    type: bool
    default: true
  note:
    description:
      - Mark the text entry and the file entries as notes (the war room's pinned notes).
      - The default of the items of O(entries) that leave it out.
    type: bool
    default: false
  tags:
    description:
      - Tags of the text entry and the file entries. A tag must not contain a comma.
      - The default of the items of O(entries) that leave it out.
    type: list
    elements: str
  files:
    description:
      - Paths of files, each written to the war room as a file entry (C(/entry/upload/{id})).
    type: list
    elements: path
  comment:
    description:
      - The comment of the file entries and attachments.
      - The default of the items of O(entries) that leave it out.
    type: str
  attachments:
    description:
      - Paths of files, each uploaded into the incident's attachment field O(field) (C(/incident/upload/{id})).
        An attachment needs no investigation.
    type: list
    elements: path
  field:
    description:
      - The attachment field the O(attachments) go into, C(attachment) or the machine name of a custom
        attachment field.
      - The default of the items of O(entries) that leave it out.
    type: str
    default: attachment
  duplicates:
    description:
      - V(skip) writes only what the war room (or the field) does not hold yet; V(allow) writes every time.
    type: str
    choices: [skip, allow]
    default: skip
  start_investigation:
    description:
      - Start the investigation of an incident that has none, so that it has a war room. This also runs the
        incident's playbook.
    type: bool
    default: false
  max_file_size_mb:
    description:
      - The largest file, in megabytes, O(files) and O(attachments) may hold. A larger one fails the task before
        any request is sent.
    type: float
    default: 10
  read_limit:
    description:
      - The most war-room entries read per incident to compare with. When a war room holds more, the module
        warns that entries further on were not compared.
    type: int
    default: 1000
  entries:
    description:
      - Many writes in one task, each an item with the options above (O(name) or O(id), O(text), O(files),
        O(attachments), O(markdown), O(note), O(tags), O(comment), O(field)); an item inherits O(markdown),
        O(note), O(tags), O(comment) and O(field) from the task when it leaves them out.
      - Mutually exclusive with O(name), O(id), O(text), O(files) and O(attachments).
      - Items of the same incident share its war-room read.
    type: list
    elements: dict
    suboptions:
      name:
        description: The incident's exact name.
        type: str
      id:
        description: The incident's id.
        type: str
      text:
        description: The entry text.
        type: str
      markdown:
        description: Whether the text is markdown.
        type: bool
      note:
        description: Mark the entries of this item as notes.
        type: bool
      tags:
        description: Tags of the entries of this item.
        type: list
        elements: str
      files:
        description: Files to write as file entries.
        type: list
        elements: path
      comment:
        description: The comment of the files and attachments.
        type: str
      attachments:
        description: Files to upload into the attachment field.
        type: list
        elements: path
      field:
        description: The attachment field.
        type: str
notes:
  - Reading the war room uses C(POST /investigation/{id}) with C(pageSize) and C(fromTime). How real servers
    order and page entries is not published; the module tells entries apart by id and stops at a page that
    brings nothing new, which ends well whatever the order.
  - A write whose outcome is unknown (timeout, dropped connection, gateway error) is not sent again; the
    message says so, and a re-run writes it only when it is not in the war room.
seealso:
  - module: xsoar.connector.xsoar_incident
  - module: xsoar.connector.xsoar_incident_info
"""

EXAMPLES = r"""
- name: Say in the war room what the remediation did
  xsoar.connector.xsoar_incident_entry:
    name: "Disk full on db1"
    text: |
      **Remediation done** by Ansible: rotated logs, 41 GB freed.
    note: true
    tags: [ansible, remediation]

- name: Attach the evidence (a re-run uploads nothing)
  xsoar.connector.xsoar_incident_entry:
    id: "1234"
    files: [/tmp/df-db1.txt]
    comment: df output before the clean-up
    attachments: [/tmp/db1-config.diff]

- name: The alert fired again, on an incident that may have no investigation yet
  xsoar.connector.xsoar_incident_entry:
    name: "Kibana alert: CPU high on web1"
    text: "Fired again at {{ now(utc=true).isoformat() }}"
    duplicates: allow
    start_investigation: true

- name: One note on each of many incidents, in one task
  xsoar.connector.xsoar_incident_entry:
    note: true
    entries:
      - name: "Patch db1"
        text: Patched by Ansible
      - name: "Patch db2"
        text: Patched by Ansible
      - id: "1234"
        text: "Patched by Ansible: web1, web2"
"""

RETURN = r"""
entries:
  description:
    - One item per text, file and attachment asked for, in the order given (grouped by incident).
  returned: always
  type: list
  elements: dict
  contains:
    incident_id:
      description: The incident written to.
      type: str
    incident_name:
      description: Its name.
      type: str
    kind:
      description: V(text), V(file) or V(attachment).
      type: str
    summary:
      description: The first line of the text (at most 80 characters), or the file name.
      type: str
    action:
      description: V(written), V(skipped) (already there), or V(would write) in check mode.
      type: str
    entry_id:
      description: The id of the entry written (C(<n>@<investigation id>)); not for attachments.
      type: str
      returned: when written
    note:
      description: Whether the entry is marked as a note.
      type: bool
    tags:
      description: The entry's tags.
      type: list
      elements: str
    file_name:
      description: The file's name.
      type: str
      returned: for files and attachments
    sha256:
      description: The file's sha256 (what the war room's file metadata is compared with).
      type: str
      returned: for files and attachments
    size:
      description: The file's size in bytes.
      type: int
      returned: for files and attachments
    field:
      description: The attachment field.
      type: str
      returned: for attachments
  sample:
    - incident_id: "42"
      incident_name: Disk full on db1
      kind: text
      summary: "**Remediation done** by Ansible: rotated logs, 41 GB freed."
      action: written
      entry_id: "7@42"
      note: true
      tags: [ansible, remediation]
incident:
  description: The incident written to (without O(entries)).
  returned: when an incident was found
  type: dict
  sample: {id: "42", name: Disk full on db1}
investigations_started:
  description: The ids of the incidents whose investigation the module started (or would start, in check mode).
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.xsoar.connector.plugins.module_utils import war_room
from ansible_collections.xsoar.connector.plugins.module_utils.module_runner import run_module


def main() -> None:
    module = AnsibleModule(
        argument_spec=war_room.module_argument_spec(),
        mutually_exclusive=[("name", "id")],
        supports_check_mode=True,
    )
    run_module(module, war_room.prepare, war_room.run)


if __name__ == "__main__":
    main()
