# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xsoar_incident_entry: text entries, notes, tags, file entries and attachments on an incident.

An incident's war room is its investigation's list of entries. Real servers (xsoar-api.md, "Real
servers, round 3", "War room"): the investigation id is the incident id; an incident without an
investigation answers 400 "Could not find investigation"; a closed one 412. On XSOAR 8 the entry
routes live under the legacy /xsoar prefix only; the attachment upload is on the public one.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.arguments import (
    connection_argument_spec,
    validated_suboptions,
    without_suboptions,
)
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarError,
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import check_name, is_closed

DEFAULT_MAX_FILE_SIZE_MB = 10
DEFAULT_READ_LIMIT = 1000
READ_PAGE_SIZE = 100
IDS_PER_SEARCH = 200
MEGABYTE = 1024 * 1024
SUMMARY_LENGTH = 80

# What an item of `entries` can carry; in the single form they are the module's own options.
ITEM_SPEC: dict[str, dict[str, Any]] = dict(
    name=dict(type="str"),
    id=dict(type="str"),
    text=dict(type="str"),
    markdown=dict(type="bool"),
    note=dict(type="bool"),
    tags=dict(type="list", elements="str"),
    files=dict(type="list", elements="path"),
    comment=dict(type="str"),
    attachments=dict(type="list", elements="path"),
    field=dict(type="str"),
)
# Task-wide values an item inherits when it leaves them out.
INHERITED: dict[str, Any] = dict(markdown=True, note=False, tags=None, comment=None, field="attachment")
TASK_SPEC: dict[str, dict[str, Any]] = dict(
    duplicates=dict(type="str", default="skip", choices=["skip", "allow"]),
    start_investigation=dict(type="bool", default=False),
    max_file_size_mb=dict(type="float", default=DEFAULT_MAX_FILE_SIZE_MB),
    read_limit=dict(type="int", default=DEFAULT_READ_LIMIT),
    entries=dict(type="list", elements="dict", options=ITEM_SPEC),
)


def module_argument_spec() -> dict:
    """Connection, the single form's item options (with defaults), the task options and `entries`."""
    spec: dict[str, dict[str, Any]] = dict(ITEM_SPEC)
    for option, default in INHERITED.items():
        if default is not None:
            spec[option] = dict(spec[option], default=default)
    spec.update(TASK_SPEC)
    return connection_argument_spec(**without_suboptions(spec))


# --- input: records, checked before any request -------------------------------------------


class Wanted(NamedTuple):
    """One thing to write: a text entry, a file entry or an attachment."""

    kind: str  # "text", "file" or "attachment"
    text: str = ""  # the entry text; a file's comment
    name: str = ""  # a file's name (its base name)
    content: bytes = b""
    sha256: str = ""
    markdown: bool = True
    note: bool = False
    tags: tuple = ()
    field: str = "attachment"


class Item(NamedTuple):
    """What to write to one incident, found by exact name or by id."""

    where: str  # "" or "entries[2]: ", for messages
    name: str | None
    incident_id: str | None
    wanted: tuple


class Task(NamedTuple):
    items: tuple
    duplicates: str
    start_investigation: bool
    read_limit: int
    bulk: bool


def prepare(params: dict) -> Task:
    """Every option of every item checked, and every file read, before a request is sent."""
    limit = check_max_file_size(params.get("max_file_size_mb"))
    read_limit = params.get("read_limit")
    if read_limit is None or read_limit < 1:
        raise XsoarInputError(f"read_limit must be a positive number of war-room entries, got {read_limit}")
    entries = params.get("entries")
    if entries is None:
        options = {option: params.get(option) for option in ITEM_SPEC}
        items = [prepare_item(options, "", limit)]
    else:
        own_options = [option for option in ITEM_SPEC if option not in INHERITED]
        given = [option for option in own_options if params.get(option) not in (None, [], "")]
        if given:
            raise XsoarInputError(
                f"{', '.join(given)} and entries are mutually exclusive: put them into the items of entries"
            )
        if not entries:
            raise XsoarInputError("entries is empty: give at least one item with a name (or id) and what to write")
        items = []
        for index, raw in enumerate(entries):
            where = f"entries[{index}]: "
            own = validated_suboptions(raw or {}, ITEM_SPEC, where)
            options = {key: own.get(key) for key in ITEM_SPEC}
            for option in INHERITED:
                if options[option] is None:
                    options[option] = params.get(option)
            items.append(prepare_item(options, where, limit))
    return Task(
        items=tuple(items),
        duplicates=params.get("duplicates") or "skip",
        start_investigation=bool(params.get("start_investigation")),
        read_limit=read_limit,
        bulk=entries is not None,
    )


def check_max_file_size(value: float | None) -> int:
    """max_file_size_mb in bytes."""
    if value is None or not value > 0:
        raise XsoarInputError(f"max_file_size_mb must be a positive number of megabytes, got {value}")
    return int(value * MEGABYTE)


def prepare_item(options: dict, where: str, limit: int) -> Item:
    name = options.get("name")
    incident_id = options.get("id")
    if (name is None) == (incident_id is None):
        raise XsoarInputError(f"{where}give the incident's name or its id (one of them) to find the incident")
    if name is not None:
        check_name(name, f"{where}name", "give the exact name of the incident to write to, or its id")
    if incident_id is not None and not str(incident_id).strip():
        raise XsoarInputError(f"{where}id is empty: give the incident id, or its name instead")
    tags = check_tags(options.get("tags"), where)
    wanted = []
    text = options.get("text")
    if text is not None:
        if not text.strip():
            raise XsoarInputError(f"{where}text is empty: give the text of the entry, or leave text out")
        wanted.append(
            Wanted("text", text=text, markdown=bool(options.get("markdown")), note=bool(options["note"]), tags=tags)
        )
    comment = options.get("comment") or ""
    for index, path in enumerate(options.get("files") or []):
        name_, content = read_file(path, f"{where}files[{index}]", limit)
        wanted.append(
            Wanted(
                "file",
                text=comment,
                name=name_,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                note=bool(options["note"]),
                tags=tags,
            )
        )
    field = options.get("field") or "attachment"
    for index, path in enumerate(options.get("attachments") or []):
        name_, content = read_file(path, f"{where}attachments[{index}]", limit)
        wanted.append(Wanted("attachment", text=comment, name=name_, content=content, field=field))
    if not wanted:
        raise XsoarInputError(f"{where}nothing to write: give text, files or attachments")
    return Item(where, name, None if incident_id is None else str(incident_id).strip(), tuple(wanted))


def check_tags(tags: list[str] | None, where: str) -> tuple:
    for tag in tags or []:
        if not tag.strip() or "," in tag:
            raise XsoarInputError(
                f"{where}tags: {tag!r} is empty or has a comma; give each tag as one item of the list"
            )
    return tuple(tags or ())


def read_file(path: str, option: str, limit: int) -> tuple:
    """(base name, content) of a file to upload; its size is checked before it is read."""
    if not path or not os.path.isfile(path):
        raise XsoarInputError(
            f"{option}: {path!r} is not a readable file on the host that runs the module; nothing was sent"
        )
    size = os.path.getsize(path)
    if size > limit:
        raise XsoarInputError(
            f"{option}: {path!r} is {size} bytes, over max_file_size_mb (at most {limit} bytes):"
            " raise max_file_size_mb or leave the file out; nothing was sent"
        )
    try:
        with open(path, "rb") as handle:
            return os.path.basename(path), handle.read()
    except OSError as error:
        raise XsoarInputError(f"{option}: {path!r} cannot be read ({error.strerror}); nothing was sent")


# --- the content-idempotency decision (pure) -----------------------------------------------


def same_text(entry: dict, text: str) -> bool:
    """A text entry already holding this text (surrounding white space aside)."""
    if entry.get("file"):
        return False
    contents = entry.get("contents")
    return isinstance(contents, str) and contents.strip() == text.strip()


def same_file(entry: dict, name: str, sha256: str) -> bool:
    """A file entry of this name and content, by the metadata the server keeps (never downloaded)."""
    metadata = entry.get("fileMetadata")
    if not isinstance(metadata, dict):
        return False
    return entry.get("file") == name and metadata.get("sha256") == sha256


def attachment_names(incident: dict, field: str) -> list:
    """The names of the files in an incident's attachment field (`attachment`, or a custom field)."""
    files = incident.get("attachment")
    if field != "attachment":
        files = (incident.get("CustomFields") or {}).get(field)
    if not isinstance(files, list):
        return []
    return [item.get("name") for item in files if isinstance(item, dict)]


def already_written(wanted: Wanted, entries: list, incident: dict) -> bool:
    """Whether the war room (or the incident's field) already holds what `wanted` would write.

    XSOAR's attachment records carry no hash, so an attachment is known by its name in the field.
    """
    if wanted.kind == "text":
        return any(same_text(entry, wanted.text) for entry in entries)
    if wanted.kind == "file":
        return any(same_file(entry, wanted.name, wanted.sha256) for entry in entries)
    return wanted.name in attachment_names(incident, wanted.field)


def to_write(wanted: tuple, entries: list, incident: dict, duplicates: str) -> list:
    """The wanted writes not already there (all with duplicates=allow), each once per task."""
    if duplicates == "allow":
        return list(wanted)
    chosen: list[Wanted] = []
    for item in wanted:
        if already_written(item, entries, incident):
            continue
        if any(already_written(item, [stand_in(other)], stand_in_incident(other)) for other in chosen):
            continue
        chosen.append(item)
    return chosen


def stand_in(wanted: Wanted) -> dict:
    """The entry a chosen write will add, so that the same content twice in a task is written once."""
    if wanted.kind == "text":
        return {"contents": wanted.text}
    if wanted.kind == "file":
        return {"file": wanted.name, "fileMetadata": {"sha256": wanted.sha256}}
    return {}


def stand_in_incident(wanted: Wanted) -> dict:
    if wanted.kind != "attachment":
        return {}
    record = {"name": wanted.name}
    if wanted.field == "attachment":
        return {"attachment": [record]}
    return {"CustomFields": {wanted.field: [record]}}


# --- API calls -----------------------------------------------------------------------------


def has_investigation(incident: dict) -> bool:
    return bool(incident.get("investigationId"))


def no_investigation_error(incident: dict) -> XsoarResponseError:
    return XsoarResponseError(
        f"incident {incident.get('id')} ({incident.get('name')!r}) has no investigation, so it has no war room"
        " (XSOAR answers 400 'Could not find investigation'): set start_investigation: true to start it (this"
        " runs the incident's playbook), or start it in XSOAR; nothing was written",
        400,
    )


def closed_error(incident: dict, written: int = 0) -> XsoarResponseError:
    if written:
        return XsoarResponseError(
            f"incident {incident.get('id')} ({incident.get('name')!r}) is closed: its investigation takes no new"
            f" entries (XSOAR answers 412 Precondition Failed); reopen it in XSOAR first; {written} of this"
            " task's writes to it were made before it closed",
            412,
        )
    return XsoarResponseError(
        f"incident {incident.get('id')} ({incident.get('name')!r}) is closed: its investigation takes no new"
        " entries (XSOAR answers 412 Precondition Failed); reopen it in XSOAR first; nothing was written",
        412,
    )


def not_investigation(error: XsoarResponseError) -> bool:
    return error.status == 400 and "investigation" in str(error).lower()


class WarRoom(NamedTuple):
    entries: list
    complete: bool  # False: the war room holds more than read_limit entries


def read_war_room(client: Client, investigation_id: str, limit: int) -> WarRoom:
    """Up to `limit` entries, page by page (`pageSize`, then `fromTime` of the last one read).

    How real servers page is not published: entries are told apart by id, and a page that brings
    nothing new ends the read, so a server that ignores `fromTime` costs one extra page, never a loop.
    """
    entries: list = []
    seen: set = set()
    body: dict = {}
    while len(entries) < limit:
        body["pageSize"] = min(READ_PAGE_SIZE, limit - len(entries) + 1)
        path = f"/investigation/{investigation_id}"
        data = client.post(path, body, base=client.legacy_base).json
        page = []
        if isinstance(data, dict):
            page = [entry for entry in data.get("entries") or [] if isinstance(entry, dict)]
        new = [entry for entry in page if entry.get("id") not in seen]
        entries.extend(new)
        seen.update(entry.get("id") for entry in new)
        last_time = page[-1].get("created") if page else None
        if not new or len(page) < body["pageSize"] or not last_time:
            return WarRoom(entries[:limit], len(entries) <= limit)
        body["fromTime"] = last_time
    return WarRoom(entries[:limit], False)


def start_investigation(client: Client, incident: dict) -> None:
    """POST /incident/investigate (documented on XSOAR 8's public prefix); runs the incident's playbook."""
    body = {"id": incident["id"], "version": incident.get("version", -1)}
    client.post("/incident/investigate", body, idempotent=False)


def write_text(client: Client, incident_id: str, wanted: Wanted) -> str:
    """A text entry, then its note mark and tags; returns the entry id the server answered with."""
    base = client.legacy_base
    request = {"investigationId": incident_id, "data": wanted.text, "markdown": wanted.markdown}
    entry = client.post("/entry", request, base=base, idempotent=False).json
    if not isinstance(entry, dict) or not entry.get("id") or not same_text(entry, wanted.text):
        raise XsoarResponseError(
            f"POST /entry for incident {incident_id} answered without the entry it wrote: the write is not proven;"
            " run again (an entry already in the war room is not written twice)"
        )
    mark = {"id": entry["id"], "investigationId": incident_id, "version": -1}
    if wanted.note:
        client.post("/entry/note", dict(mark, data="true"), base=base)
    if wanted.tags:
        client.post("/entry/tags", dict(mark, tags=list(wanted.tags)), base=base)
    return entry["id"]


def write_file(client: Client, incident_id: str, wanted: Wanted) -> str:
    """A file entry; proven by the file's name and sha256 among the entries the server answers with."""
    fields = {}
    if wanted.text:
        fields["fileComment"] = wanted.text
    if wanted.note:
        fields["isNoteEntry"] = "true"
    if wanted.tags:
        fields["tags"] = ",".join(wanted.tags)
    path = f"/entry/upload/{incident_id}"
    answer = client.upload(path, fields, wanted.name, wanted.content, base=client.legacy_base).json
    entries = []
    if isinstance(answer, dict):
        entries = [entry for entry in answer.get("entries") or [] if isinstance(entry, dict)]
    for entry in reversed(entries):
        if same_file(entry, wanted.name, wanted.sha256):
            return str(entry.get("id") or "")
    raise XsoarResponseError(
        f"POST {path} answered without a file entry {wanted.name!r} of sha256 {wanted.sha256}: the upload is not"
        " proven; run again (a file already in the war room is not uploaded twice)"
    )


def write_attachment(client: Client, incident_id: str, wanted: Wanted) -> str:
    """A file in an attachment field; proven by its name in the field of the incident answered."""
    fields = {"fileName": wanted.name, "field": wanted.field}
    if wanted.text:
        fields["fileComment"] = wanted.text
    path = f"/incident/upload/{incident_id}"
    answer = client.upload(path, fields, wanted.name, wanted.content).json
    if not isinstance(answer, dict) or wanted.name not in attachment_names(answer, wanted.field):
        raise XsoarResponseError(
            f"POST {path} answered without {wanted.name!r} in the field {wanted.field}: the upload is not proven"
        )
    return ""


WRITERS = {"text": write_text, "file": write_file, "attachment": write_attachment}


# --- the run -------------------------------------------------------------------------------


def find_incidents(client: Client, items: tuple, known: tuple = ()) -> dict:
    """{("name", name) or ("id", id): [matches, newest first]}: one search per 200 names, one per 200 ids.

    `known` incidents (a caller that just read or created them) are not searched again: on XSOAR 8 SaaS
    a new incident shows in searches only after a few seconds.
    """
    found: dict = {("id", str(incident["id"])): [incident] for incident in known}
    names = [item.name for item in items if item.name is not None]
    ids = sorted({item.incident_id for item in items if item.incident_id is not None} - {key[1] for key in found})
    if names:
        for name, matches in api.find_by_names(client, names, include_closed=True).items():
            found[("name", name)] = matches
    for start in range(0, len(ids), IDS_PER_SEARCH):
        chunk = ids[start : start + IDS_PER_SEARCH]
        for incident in api.search(client, {"id": chunk})[1]:
            key = ("id", str(incident.get("id")))
            found.setdefault(key, []).append(incident)
    return found


def target(item: Item, found: dict) -> dict:
    """The incident an item writes to: the newest open one of that name (or id), else a closed one."""
    key = ("id", item.incident_id)
    if item.name is not None:
        key = ("name", item.name)
    matches = found.get(key) or []
    if not matches and item.name is not None:
        raise XsoarResponseError(
            f"{item.where}no incident is named {item.name!r} (names are compared exactly, case included);"
            " nothing was written"
        )
    if not matches:
        raise XsoarResponseError(f"{item.where}no incident has the id {item.incident_id!r}; nothing was written")
    open_ones = [incident for incident in matches if not is_closed(incident)]
    return (open_ones or matches)[0]


def summary(wanted: Wanted) -> str:
    if wanted.kind == "text":
        first_line = wanted.text.strip().splitlines()[0]
        return first_line[:SUMMARY_LENGTH]
    return wanted.name


def record(incident: dict, wanted: Wanted, action: str, entry_id: str = "") -> dict:
    shown = {
        "incident_id": str(incident.get("id")),
        "incident_name": incident.get("name"),
        "kind": wanted.kind,
        "summary": summary(wanted),
        "action": action,
        "note": wanted.note,
        "tags": list(wanted.tags),
    }
    if wanted.kind != "text":
        shown.update(file_name=wanted.name, sha256=wanted.sha256, size=len(wanted.content))
    if wanted.kind == "attachment":
        shown["field"] = wanted.field
    if entry_id:
        shown["entry_id"] = entry_id
    return shown


class Run:
    """What a task did so far: the records, and the incidents whose investigation it started."""

    def __init__(self) -> None:
        self.records: list = []
        self.started: list = []
        self.warnings: list = []
        self.diff_lines: list = []

    def changed(self) -> bool:
        return bool(self.started) or any(item["action"] in ("written", "would write") for item in self.records)

    def result(self, task: Task) -> dict:
        result = {
            "changed": self.changed(),
            "entries": self.records,
            "investigations_started": self.started,
            "warnings": self.warnings,
            "diff": {"before": "", "after": "".join(self.diff_lines)},
        }
        if not task.bulk and self.records:
            first = self.records[0]
            result["incident"] = {"id": first["incident_id"], "name": first["incident_name"]}
        return result


def redacted(client: Client, wanted: Wanted) -> Wanted:
    """The key never goes into a war room, even when the text or a file holds it."""
    text = client.redact(wanted.text)
    content = wanted.content
    if wanted.kind != "text":
        content = client.redact(content.decode("latin-1")).encode("latin-1")  # every byte kept as it is
    if text == wanted.text and content == wanted.content:
        return wanted
    return wanted._replace(text=text, content=content, sha256=hashlib.sha256(content).hexdigest())


def run(client: Client, task: Task, check_mode: bool, known: tuple = ()) -> dict:
    state = Run()
    try:
        found = find_incidents(client, task.items, known)
        grouped: dict = {}
        for item in task.items:
            incident = target(item, found)
            wanted = [redacted(client, one) for one in item.wanted]
            grouped.setdefault(str(incident["id"]), (incident, []))[1].extend(wanted)
        for incident, wanted in grouped.values():
            write_incident(client, task, incident, tuple(wanted), check_mode, state)
    except XsoarError as error:
        error.result = state.result(task)  # type: ignore[attr-defined]  # module_runner reports it
        raise
    return state.result(task)


def write_incident(client: Client, task: Task, incident: dict, wanted: tuple, check_mode: bool, state: Run) -> None:
    """Everything an incident gets: look at its war room, then write what is not there yet."""
    if is_closed(incident):
        raise closed_error(incident)
    entries = []
    needs_room = any(item.kind != "attachment" for item in wanted)
    if needs_room and not has_investigation(incident):
        if not task.start_investigation:
            raise no_investigation_error(incident)
        state.started.append(str(incident["id"]))
        state.diff_lines.append(f"incident {incident['id']}: start the investigation (runs its playbook)\n")
        if not check_mode:
            start_investigation(client, incident)
    elif needs_room and task.duplicates == "skip":
        entries = read_room(client, task, incident, state)
    chosen = to_write(wanted, entries, incident, task.duplicates)
    for item in wanted:
        if item not in chosen:
            state.records.append(record(incident, item, "skipped"))
    written = 0
    for item in chosen:
        state.diff_lines.append(f"incident {incident['id']}: + {item.kind} {summary(item)}\n")
        if check_mode:
            state.records.append(record(incident, item, "would write"))
            continue
        entry_id = write_one(client, incident, item, written)
        written += 1
        state.records.append(record(incident, item, "written", entry_id))


def read_room(client: Client, task: Task, incident: dict, state: Run) -> list:
    try:
        room = read_war_room(client, str(incident["id"]), task.read_limit)
    except XsoarResponseError as error:
        if not_investigation(error):
            raise no_investigation_error(incident)
        raise
    if not room.complete:
        state.warnings.append(
            f"the war room of incident {incident['id']} holds more than read_limit ({task.read_limit}) entries:"
            " only those read were compared, so an entry further on may be written again; raise read_limit"
        )
    return room.entries


def write_one(client: Client, incident: dict, wanted: Wanted, written: int) -> str:
    """One write, with the server's 400 / 412 turned into what they mean for this incident."""
    try:
        return WRITERS[wanted.kind](client, str(incident["id"]), wanted)
    except XsoarOutcomeUnknown as error:
        raise XsoarOutcomeUnknown(
            f"{error}; the {wanted.kind} {summary(wanted)!r} may have been written: run again, what is already"
            " there is not written twice",
            error.resend_safe,
        )
    except XsoarResponseError as error:
        if error.status == 412:
            raise closed_error(incident, written)
        if not_investigation(error):
            raise no_investigation_error(incident)
        raise
