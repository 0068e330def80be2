# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XSOAR incident and playbook calls, between the client and the modules' logic."""

import difflib
from urllib.parse import quote

from ansible_collections.xsoar.connector.plugins.module_utils.client import LEGACY_API_PREFIX
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarInputError,
    XsoarOutcomeUnknown,
    XsoarResponseError,
)
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import created_order, names_match

PAGE_SIZE = 1000  # the server's cap
NAMES_PER_SEARCH = 200
CLOSED_STATUSES = (2, 3)  # done, archived
NEWEST_FIRST = [{"field": "created", "asc": False}]
PLAYBOOK_PAGE_SIZE = 100


def search(client, incident_filter, limit=None):
    """(total, incidents): up to `limit` (all without it) incidents matching a filter, page by page.

    Every page has the same `size` (never left out): the server places page N at N * size, so a
    smaller last page would repeat incidents instead of reading on.
    """
    size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit)
    found = []
    page = 0
    while True:
        query = dict(incident_filter, page=page, size=size)
        query.setdefault("sort", NEWEST_FIRST)
        data = client.post("/incidents/search", {"filter": query}).json
        if not isinstance(data, dict):
            raise XsoarResponseError(
                "POST /incidents/search answered without a JSON object: check that url is the XSOAR API address"
            )
        total = data.get("total") or 0
        batch = [incident for incident in data.get("data") or [] if isinstance(incident, dict)]  # null: none
        found.extend(batch)
        page += 1
        if len(batch) < size or len(found) >= total or (limit is not None and len(found) >= limit):
            return total, found if limit is None else found[:limit]


def find_by_names(client, names, include_closed=False):
    """{name: [incidents with exactly that name, newest first]} with few searches (many names each)."""
    wanted = {name: [] for name in names}
    unique = list(wanted)
    for start in range(0, len(unique), NAMES_PER_SEARCH):
        chunk = unique[start : start + NAMES_PER_SEARCH]
        incident_filter = {"name": chunk}
        if not include_closed:
            incident_filter["notStatus"] = list(CLOSED_STATUSES)
        for incident in search(client, incident_filter)[1]:
            name = incident.get("name")
            if name not in wanted or not names_match(name, incident) or incident in wanted[name]:
                continue
            if include_closed or incident.get("status") not in CLOSED_STATUSES:
                wanted[name].append(incident)
    for matches in wanted.values():
        matches.sort(key=created_order, reverse=True)
    return wanted


def create(client, body):
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


def load(client, incident_id):
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


def update(client, incident, changes):
    """Update with id + version. XSOAR 6 answers a stale version 409, XSOAR 8 400 "DB version conflict"."""
    request = dict(incident)
    request.update(changes)
    try:
        answer = client.post("/incident", request, expected=(200, 201), idempotent=False)
    except XsoarResponseError as error:
        if error.status == 409 or (error.status == 400 and "version" in str(error).lower()):
            raise XsoarResponseError(
                "incident %s changed on the server while this task ran (HTTP %d, stale version): run the task again"
                % (incident.get("id"), error.status),
                error.status,
            )
        raise
    return answer.json if isinstance(answer.json, dict) else dict(request)


def batch_base(client):
    """Where batchClose lives: XSOAR 8's public API does not document it (undocumented public routes
    answer 303 on live tenants), so on XSOAR 8 it goes deliberately to the legacy /xsoar prefix,
    which carries the whole server API (demisto-py uses it). XSOAR 6: the server root."""
    return client.url + LEGACY_API_PREFIX if client.api_key_id else None


def close(client, ids, close_reason=None, close_notes=None):
    # every real client sends a filter with a batch call; ids-only calls answered 500 on live servers
    body = {"ids": list(ids), "all": False, "filter": {}}
    if close_reason is not None:
        body["closeReason"] = close_reason
    if close_notes is not None:
        body["closeNotes"] = close_notes
    return client.post("/incident/batchClose", body, base=batch_base(client)).json or {}


def delete(client, ids):
    """batchDelete is documented on XSOAR 8's public API, so it stays under the configured prefix."""
    return client.post("/incident/batchDelete", {"ids": list(ids), "all": False, "filter": {}}).json or {}


def list_playbooks(client):
    """Every playbook (slow on big tenants: 30-90 s for 2000 playbooks); xsoar_playbook_info's call."""
    return search_playbooks(client)[0]


def search_playbooks(client, query=None, page=None, size=None):
    """(playbooks, total) of one playbook search; a page of `size` when given."""
    request = {}
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


def _searched_playbooks(client, query):
    """Every playbook a query finds, page by page."""
    found = []
    page = 0
    while True:
        batch, total = search_playbooks(client, query, page, PLAYBOOK_PAGE_SIZE)
        found.extend(batch)
        page += 1
        if len(batch) < PLAYBOOK_PAGE_SIZE or (isinstance(total, int) and len(found) >= total):
            return found


def find_playbook(client, reference, option="playbook"):
    """A playbook name or id -> its id, with searches for that name (then that id), not the full list.

    The server's name search matches words, so the exact comparison is made here.
    """
    quoted = reference.replace("\\", "\\\\").replace('"', '\\"')
    candidates = _searched_playbooks(client, f'name:"{quoted}"')
    if not any(playbook.get("name") == reference for playbook in candidates):
        candidates += [
            playbook for playbook in _searched_playbooks(client, f'id:"{quoted}"') if playbook not in candidates
        ]
    lowered = reference.lower()
    if not any(reference == p.get("id") or lowered == str(p.get("name", "")).lower() for p in candidates):
        # for the message only: one page of playbooks sharing a word, to name the closest ones
        words = [word.replace("\\", "\\\\").replace('"', '\\"') for word in reference.split()]
        if words:
            candidates += search_playbooks(
                client, " or ".join(f'name:"{word}"' for word in words), 0, PLAYBOOK_PAGE_SIZE
            )[0]
    return resolve_playbook(candidates, reference, option)


def resolve_playbook(playbooks, reference, option="playbook"):
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
        raise XsoarInputError(
            "%s %r names %d playbooks: give the id instead (%s)"
            % (option, reference, len(by_name), ", ".join(str(p.get("id")) for p in by_name))
        )
    close_names = difflib.get_close_matches(reference, names, n=3, cutoff=0.4)
    hint = (
        ("closest: {}".format(", ".join(repr(n) for n in close_names)))
        if close_names
        else ("no playbook the key sees has a similar name")
    )
    raise XsoarInputError(
        f"{option} {reference!r} matches no playbook id or name ({hint}); xsoar_playbook_info lists them"
    )
