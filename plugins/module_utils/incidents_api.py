# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XSOAR incident and playbook calls, between the client and the modules' logic.

Writes are proven, not assumed: an update is planned against the incident as loaded and sent with its
version (again after a version conflict, a bounded number of times); a close or delete is read back
within a bounded wait, and a close the batch call did not carry out is sent once more per incident.
"""

from __future__ import annotations

import difflib
import time
from typing import Any, Callable, NamedTuple
from urllib.parse import quote

from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
    XsoarVersionConflict,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import (
    CLOSED_STATUSES,
    Incident,
    created_order,
    is_closed,
    names_match,
)

PAGE_SIZE = 1000  # the swagger's cap; real servers may cap lower (unpublished): search adapts
NAMES_PER_SEARCH = 200
NEWEST_FIRST = [{"field": "created", "asc": False}]
PLAYBOOK_PAGE_SIZE = 100
# An update that meets a version conflict is re-loaded, re-planned and sent again, at most this often in all.
UPDATE_ATTEMPTS = 3
# Seconds before re-loading after a conflict: whatever changed it (a playbook's task) may not be done yet.
CONFLICT_DELAYS = (0.5, 1.0)
# Seconds between read-backs of a close or delete: quick at first, then every few seconds.
PROOF_DELAYS = (0.5, 1, 2, 4)
PROOF_DELAY_MAX = 5
# Fields every write changes: not what "kept changing" an incident means to a user.
WRITE_STAMPS = ("version", "modified", "sortValues", "primaryTerm", "sequenceNumber")


def search(client: Client, incident_filter: dict[str, Any], limit: int | None = None) -> tuple[int, list[Incident]]:
    """(total, incidents): up to `limit` (all without it) incidents matching a filter, page by page.

    Reads until a page comes back empty, `total` is reached, or a page brings no incident not seen
    before; never "until a page is shorter than asked": page size caps are unpublished (field clients
    use 100 and 2000). A first page shorter than asked while `total` says more is the server's cap: the
    pages after it ask for that size, so page N starts at N * size whichever size the server counts in.
    The same incident on two pages (created between the calls) is kept once, at its highest version.
    """
    size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit)
    by_id: dict[str, Incident] = {}
    page = 0
    while True:
        total, batch = search_page(client, incident_filter, page, size)
        added = keep_newest(by_id, batch)
        if page == 0 and 0 < len(batch) < size and len(batch) < total:
            size = len(batch)
        page += 1
        found = len(by_id)
        if not added or found >= total > 0 or (limit is not None and found >= limit):
            incidents = list(by_id.values())
            return max(total, found), incidents if limit is None else incidents[:limit]


def search_page(client: Client, incident_filter: dict[str, Any], page: int, size: int) -> tuple[int, list[Incident]]:
    """(total, incidents) of one page; `size` is always sent (the server returns nothing without it)."""
    query = dict(incident_filter, page=page, size=size)
    query.setdefault("sort", NEWEST_FIRST)
    data = client.post("/incidents/search", {"filter": query}).json
    if not isinstance(data, dict):
        raise XsoarResponseError(
            "POST /incidents/search answered without a JSON object: check that url is the XSOAR API address"
        )
    total = data.get("total")
    if not isinstance(total, int) or isinstance(total, bool):
        total = 0
    batch = [incident for incident in data.get("data") or [] if isinstance(incident, dict)]  # null: none
    return total, batch


def keep_newest(by_id: dict[str, Incident], incidents: list[Incident]) -> int:
    """Add incidents to {id: incident}, keeping the highest version of an id; returns how many ids were new.

    demisto/content PR #40239 (XSUP-50047): the same incident can come back on two pages.
    """
    added = 0
    for incident in incidents:
        key = str(incident.get("id"))
        seen = by_id.get(key)
        if seen is None:
            added += 1
            by_id[key] = incident
        elif version_of(incident) > version_of(seen):
            by_id[key] = incident
    return added


def version_of(incident: Incident) -> float:
    version = incident.get("version")
    if isinstance(version, bool) or not isinstance(version, (int, float)):
        return -1
    return version


def find_by_names(client: Client, names: list[str], include_closed: bool = False) -> dict[str, list[Incident]]:
    """{name: [incidents with exactly that name, newest first]} with few searches (many names each)."""
    wanted: dict[str, list[Incident]] = {name: [] for name in names}
    unique = list(wanted)
    for start in range(0, len(unique), NAMES_PER_SEARCH):
        chunk = unique[start : start + NAMES_PER_SEARCH]
        incident_filter: dict[str, Any] = {"name": chunk}
        if not include_closed:
            incident_filter["notStatus"] = list(CLOSED_STATUSES)
        for incident in search(client, incident_filter)[1]:
            name = incident.get("name")
            if name not in wanted or not names_match(name, incident):
                continue
            if include_closed or not is_closed(incident):
                wanted[name].append(incident)
    for matches in wanted.values():
        matches.sort(key=created_order, reverse=True)
    return wanted


def create(client: Client, body: dict[str, Any]) -> tuple[Incident | None, int]:
    """Send one create. Returns (incident or None, status): None with 200 means a rule dropped it.

    The answer may lack the id (XSOAR 8 SaaS); raises XsoarOutcomeUnknown when no answer says whether
    it was stored. Looking it up is the caller's job (apply), which alone knows the write's meaning.
    """
    try:
        answer = client.post("/incident", body, expected=(200, 201), idempotent=False)
    except XsoarResponseError as error:
        if error.status in (200, 201):  # a success status with an unreadable body: most likely stored
            raise XsoarOutcomeUnknown(
                f"{error}; the server said it succeeded, so it was most likely stored", resend_safe=False
            )
        raise
    if answer.status == 200 and answer.json is None:
        return None, 200
    return (answer.json if isinstance(answer.json, dict) else {}), answer.status


def load(client: Client, incident_id: str) -> Incident:
    """The incident as stored now: `GET /incident/load/{id}` (XSOAR 6 and 8; documented on XSOAR 8's public
    prefix). Palo Alto's XSOAR Mirroring integration and xsoar-cli load before every update: a search hit
    can be older than the stored incident (XSOAR 8 searches an index), so its version may be stale."""
    path = "/incident/load/" + quote(str(incident_id), safe="")
    data = client.get(path).json
    if not isinstance(data, dict) or str(data.get("id")) != str(incident_id):
        raise XsoarResponseError(
            f"GET {path} answered without incident {incident_id}: check that url is the XSOAR API address"
        )
    return data


def update(client: Client, incident: Incident, changes: dict[str, Any]) -> Incident:
    """One update: the incident (its id and version) with the changes. XSOAR 6 answers a stale version 409,
    XSOAR 8 400 "DB version conflict": both raise XsoarVersionConflict. Returns the answer's incident."""
    request = dict(incident)
    request.update(changes)
    try:
        answer = client.post("/incident", request, expected=(200, 201), idempotent=False)
    except XsoarResponseError as error:
        if error.status == 409 or (error.status == 400 and "version" in str(error).lower()):
            raise XsoarVersionConflict(
                f"incident {incident.get('id')}: version {incident.get('version')} is no longer the stored one"
                f" (HTTP {error.status})",
                error.status,
            )
        raise
    return answer.json if isinstance(answer.json, dict) else {}


class Updated(NamedTuple):
    """What update_loaded did: the incident as stored after it, the changes of the attempt that went
    through ({} when the loaded incident already had them), and the incident they were planned against."""

    incident: Incident
    sent: dict[str, Any]
    loaded: Incident


def update_loaded(
    client: Client,
    incident_id: str,
    changes_for: Callable[[Incident], dict[str, Any]],
    loaded: Incident | None = None,
) -> Updated:
    """Load the incident, plan against it (`changes_for(loaded)` -> the fields to send), send them with the
    loaded version; after a version conflict load, re-plan and send again, UPDATE_ATTEMPTS times in all.

    `loaded`: the incident just loaded by the caller, used by the first attempt. Raises XsoarVersionConflict
    saying what kept changing when every attempt met one.
    """
    loads: list[Incident] = []
    conflicts: list[XsoarVersionConflict] = []
    for attempt in range(UPDATE_ATTEMPTS):
        if attempt:
            client.sleep(CONFLICT_DELAYS[min(attempt, len(CONFLICT_DELAYS)) - 1])
        if loaded is None or attempt:
            loaded = load(client, incident_id)
        loads.append(loaded)
        changes = changes_for(loaded)
        if not changes:
            return Updated(loaded, {}, loaded)
        try:
            answer = update(client, loaded, changes)
        except XsoarVersionConflict as error:
            conflicts.append(error)
            continue
        return Updated(stored_after(client, incident_id, answer, loaded), changes, loaded)
    last = conflicts[-1]
    raise XsoarVersionConflict(kept_changing(incident_id, loads, last), last.status)


def stored_after(client: Client, incident_id: str, answer: Incident, loaded: Incident) -> Incident:
    """The incident as stored after an update: the answer when it is that incident at a later version
    (the server's own record of the write), else loaded again."""
    same = isinstance(answer, dict) and str(answer.get("id")) == str(incident_id)
    if same and version_of(answer) > version_of(loaded):
        return answer
    return load(client, incident_id)


def kept_changing(incident_id: str, loads: list[Incident], conflict: XsoarVersionConflict) -> str:
    """The message of an update that met a version conflict on every attempt: what changed between loads."""
    versions = " -> ".join(str(incident.get("version")) for incident in loads)
    fields = changed_fields(loads)
    if fields:
        what = "its fields " + ", ".join(fields) + " changed"
    elif len({version_of(incident) for incident in loads}) > 1:
        what = "only its version changed (a playbook, an integration or a user saving it)"
    else:
        what = "nothing changed: the server refused the version it had just answered (report this)"
    return (
        f"incident {incident_id} changed on the server while this task updated it: {len(loads)} attempts,"
        f" each answered with a version conflict (HTTP {conflict.status}); between the loads its version went"
        f" {versions} and {what}. Run the task again once nothing else writes to it"
    )


def changed_fields(loads: list[Incident]) -> list[str]:
    """Names of the fields that differ between consecutive loads, but the stamps every write changes."""
    names = set()
    for before, after in zip(loads, loads[1:]):
        for key in set(before) | set(after):
            if key not in WRITE_STAMPS and before.get(key) != after.get(key):
                names.add(key)
    return sorted(names)


def batch_body(ids: list[str]) -> dict[str, Any]:
    """A batch call's body as real clients send it: a filter with a positive size. Palo Alto's Core REST API
    integration sends `filter: {"size": ...}` and the XSOAR 8 docs `{"page": 0, "size": 50}`; the swagger
    says size 0 means no results, and ids-only calls answered 500 on live servers."""
    return {"ids": list(ids), "all": False, "filter": {"page": 0, "size": len(ids)}}


def batch_close(
    client: Client, ids: list[str], close_reason: str | None = None, close_notes: str | None = None
) -> dict[str, Any]:
    """One batchClose; its answer ({total, notUpdated, data}), which is not proof."""
    body = batch_body(ids)
    if close_reason is not None:
        body["closeReason"] = close_reason
    if close_notes is not None:
        body["closeNotes"] = close_notes
    return answer_object(client.post("/incident/batchClose", body, base=client.legacy_base).json)


def batch_delete(client: Client, ids: list[str]) -> dict[str, Any]:
    """One batchDelete (documented on XSOAR 8's public API, so under the configured prefix); its answer."""
    return answer_object(client.post("/incident/batchDelete", batch_body(ids)).json)


def answer_object(data: object) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def acted_on_all(answer: dict[str, Any], ids: list[str]) -> bool:
    """Whether a batch answer says every id was affected (total / notUpdated); an answer is not proof."""
    total = answer.get("total")
    not_updated = answer.get("notUpdated")
    return isinstance(total, int) and total >= len(ids) and not not_updated


def told(answer: dict[str, Any]) -> str:
    """A batch answer in a message: its total and notUpdated, never its incidents."""
    return f"total {answer.get('total')!r}, notUpdated {answer.get('notUpdated')!r}"


def close_one(
    client: Client, incident: Incident, close_reason: str | None = None, close_notes: str | None = None
) -> dict[str, Any]:
    """POST /incident/close for one incident (documented on XSOAR 8's public API), with its loaded version."""
    body = {"id": incident["id"]}
    if isinstance(incident.get("version"), int):
        body["version"] = incident["version"]
    if close_reason is not None:
        body["closeReason"] = close_reason
    if close_notes is not None:
        body["closeNotes"] = close_notes
    return answer_object(client.post("/incident/close", body, expected=(200, 201), idempotent=False).json)


def wait_until(
    client: Client, wait: float, check: Callable[[], bool], now: Callable[[], float] = time.monotonic
) -> bool:
    """Call check() until it is true or `wait` seconds are spent (by the clock, or by the pauses, so a test's
    sleep that does not sleep ends too); pauses grow as PROOF_DELAYS. Returns the last check()'s value."""
    started = now()
    slept = 0.0
    rounds = 0
    while True:
        if check():
            return True
        spent = max(slept, now() - started)
        if spent >= wait:
            return False
        delay = PROOF_DELAYS[rounds] if rounds < len(PROOF_DELAYS) else PROOF_DELAY_MAX
        pause = min(delay, wait - spent)
        client.sleep(pause)
        slept += pause
        rounds += 1


class Closed(NamedTuple):
    """A proven close: the incidents as loaded once closed, and the ids that needed POST /incident/close."""

    incidents: list[Incident]
    one_by_one: list[str]


def close(
    client: Client,
    ids: list[str],
    close_reason: str | None = None,
    close_notes: str | None = None,
    wait: float = 60.0,
    now: Callable[[], float] = time.monotonic,
) -> Closed:
    """Close incidents and prove it: batchClose, then load each until it reads closed (XSOAR 8 may close
    asynchronously) within `wait` seconds. The ones still open get POST /incident/close each and are read
    again; any still open then raise an error naming them and what the server answered."""
    answer = batch_close(client, ids, close_reason, close_notes)
    closed: dict[str, Incident] = {}
    still_open: dict[str, Incident] = {}

    def all_closed() -> bool:
        for incident_id in [i for i in ids if i not in closed]:
            incident = load(client, incident_id)
            if is_closed(incident):
                closed[incident_id] = incident
                still_open.pop(incident_id, None)
            else:
                still_open[incident_id] = incident
        return not still_open

    # an answer that says nothing was closed is not waited for: the fallback comes at once
    wait_until(client, wait if acted_on_all(answer, ids) else 0, all_closed, now)
    fallback = list(still_open)
    answers = []
    for incident_id in fallback:
        answers.append(close_one(client, still_open[incident_id], close_reason, close_notes))
    if fallback and not wait_until(client, wait, all_closed, now):
        statuses = ", ".join(f"{key}: status {incident.get('status')!r}" for key, incident in still_open.items())
        raise XsoarResponseError(
            f"XSOAR did not close incidents {', '.join(still_open)}: POST /incident/batchClose answered"
            f" {told(answer)}, then POST /incident/close answered for each, and after {wait:g}s they still"
            f" read open ({statuses}). Close them in XSOAR and report these answers"
        )
    return Closed([closed[incident_id] for incident_id in ids], fallback)


def existing(client: Client, ids: list[str]) -> list[str]:
    """The ids of these incidents a search by id still finds (any status)."""
    found = search(client, {"id": list(ids)})[1]
    wanted = set(ids)
    return [str(incident.get("id")) for incident in found if str(incident.get("id")) in wanted]


def delete(client: Client, ids: list[str], wait: float = 60.0, now: Callable[[], float] = time.monotonic) -> None:
    """Delete incidents and prove it: batchDelete, then search by id until none is found within `wait`
    seconds (an index may show a deleted incident for a while). Raises an error naming the ones still there."""
    answer = batch_delete(client, ids)
    remaining = list(ids)

    def all_gone() -> bool:
        remaining[:] = existing(client, ids)
        return not remaining

    # an answer that says nothing was deleted is not waited for
    if not wait_until(client, wait if acted_on_all(answer, ids) else 0, all_gone, now):
        raise XsoarResponseError(
            f"XSOAR did not delete incidents {', '.join(remaining)}: POST /incident/batchDelete answered"
            f" {told(answer)} and a search by id still finds them. Delete them in XSOAR and report this answer"
        )


def search_playbooks(
    client: Client, query: str | None = None, page: int | None = None, size: int | None = None
) -> tuple[list[dict[str, Any]], object]:
    """(playbooks, total) of one playbook search; a page of `size` when given."""
    request: dict[str, Any] = {}
    if query is not None:
        request["query"] = query
    if size is not None:
        request.update(page=page or 0, size=size)
    data = client.post("/playbook/search", request).json
    if not isinstance(data, dict):
        raise XsoarResponseError(
            "POST /playbook/search answered without a JSON object: check that url is the XSOAR API address"
        )
    return [playbook for playbook in data.get("playbooks") or [] if isinstance(playbook, dict)], data.get("total")


def playbook_pages(
    client: Client, query: str | None = None, page_size: int = PLAYBOOK_PAGE_SIZE
) -> list[dict[str, Any]]:
    """Every playbook matching `query` (all without one), read page by page.

    Real tenants hold 1000-2300 playbooks and one full listing takes 30-90 s, longer than the
    default timeout. Paging of /playbook/search is assumed from its page/size fields, so a server
    that ignores them ends well too: one that sends everything at once is done when its `total`
    (above a page) is reached; one that repeats its first page is asked once for the whole list.
    A `total` of one page only is not trusted: it may count the page, not the matches.
    """
    found: list[dict[str, Any]] = []
    seen: set[object] = set()
    page = 0
    while True:
        playbooks, total = search_playbooks(client, query, page, page_size)
        batch = [playbook for playbook in playbooks if playbook.get("id") not in seen]
        found.extend(batch)
        seen.update(playbook.get("id") for playbook in batch)
        if not isinstance(total, int):
            total = 0
        page += 1
        if not batch and page > 1 and total > len(found):
            # paging ignored: the whole list at once
            return search_playbooks(client, query)[0]
        if len(batch) < page_size or page_size < total <= len(found):
            return found


def quoted(value: str) -> str:
    """A query-language phrase: in double quotes, with quotes and backslashes escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def name_query(name: str) -> str:
    """A query for an exact name phrase (the server still matches it by words)."""
    return "name:" + quoted(name)


def find_playbook(client: Client, reference: str, option: str = "playbook") -> str:
    """A playbook name or id -> its id, with searches for that name (then that id), not the full list.

    The server's name search matches words, so the exact comparison is made here.
    """
    phrase = quoted(reference)
    candidates = playbook_pages(client, name_query(reference))
    if not any(playbook.get("name") == reference for playbook in candidates):
        by_id = playbook_pages(client, f"id:{phrase}")
        candidates += [playbook for playbook in by_id if playbook not in candidates]
    lowered = reference.lower()
    if not any(reference == p.get("id") or lowered == str(p.get("name", "")).lower() for p in candidates):
        # for the message only: one page of playbooks sharing a word, to name the closest ones
        words = [name_query(word) for word in reference.split()]
        if words:
            query = " or ".join(words)
            candidates += search_playbooks(client, query, 0, PLAYBOOK_PAGE_SIZE)[0]
    return resolve_playbook(candidates, reference, option)


def resolve_playbook(playbooks: list[dict[str, Any]], reference: str, option: str = "playbook") -> str:
    """A playbook id or name -> its id; unknown ones fail with the closest names."""
    for playbook in playbooks:
        if playbook.get("id") == reference:
            return reference
    by_name = [playbook for playbook in playbooks if playbook.get("name") == reference]
    if not by_name:
        lowered = reference.lower()
        by_name = [playbook for playbook in playbooks if str(playbook.get("name", "")).lower() == lowered]
    if len(by_name) == 1:
        return by_name[0]["id"]
    names = [str(playbook.get("name")) for playbook in playbooks]
    if by_name:
        ids = ", ".join(str(playbook.get("id")) for playbook in by_name)
        count = len(by_name)
        raise XsoarInputError(f"{option} {reference!r} names {count} playbooks: give the id instead ({ids})")
    close_names = difflib.get_close_matches(reference, names, n=3, cutoff=0.4)
    hint = "no playbook the key sees has a similar name"
    if close_names:
        hint = "closest: " + ", ".join(repr(name) for name in close_names)
    raise XsoarInputError(
        f"{option} {reference!r} matches no playbook id or name ({hint}); xsoar_playbook_info lists them"
    )
