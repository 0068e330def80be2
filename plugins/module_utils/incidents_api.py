# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XSOAR incident and playbook calls, between the client and the modules' logic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.xsoar.connector.plugins.module_utils.client import Response
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError, XsoarResponseError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import names_match

PAGE_SIZE = 1000  # the server's cap
NAMES_PER_SEARCH = 200
CLOSED_STATUSES = (2, 3)  # done, archived
NEWEST_FIRST = [{"field": "created", "asc": False}]
# XSOAR 8 SaaS indexes a new incident shortly after answering its create.
LOOKUP_AFTER_CREATE_DELAYS = (0, 0.5, 1, 2)


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
            raise XsoarResponseError("POST /incidents/search answered without a JSON object: check that url is the XSOAR API address")
        total = data.get("total") or 0
        batch = [incident for incident in data.get("data") or [] if isinstance(incident, dict)]  # null: none
        found.extend(batch)
        page += 1
        if len(batch) < size or len(found) >= total or (limit is not None and len(found) >= limit):
            return total, found if limit is None else found[:limit]


def find_by_names(client, names, include_closed=False):
    """{name: [incidents with exactly that name, newest first]} with few searches (many names each)."""
    wanted = dict((name, []) for name in names)
    unique = list(wanted)
    for start in range(0, len(unique), NAMES_PER_SEARCH):
        chunk = unique[start:start + NAMES_PER_SEARCH]
        incident_filter = {"name": chunk}
        if not include_closed:
            incident_filter["notStatus"] = list(CLOSED_STATUSES)
        for incident in search(client, incident_filter)[1]:
            name = incident.get("name")
            if name in wanted and names_match(name, incident) and incident not in wanted[name]:
                if include_closed or incident.get("status") not in CLOSED_STATUSES:
                    wanted[name].append(incident)
    for matches in wanted.values():
        matches.sort(key=lambda incident: str(incident.get("created") or ""), reverse=True)
    return wanted


def create(client, request, include_closed=False, look_up=True):
    """Create one incident. Returns (incident or None, status); None with 200 means dropped.

    A create whose fate is unknown is reconciled by a search by name before it is re-sent.
    An answer without the new id (XSOAR 8 SaaS) is completed by a search by name, unless
    `look_up` is false because the caller looks many up at once.
    """
    name = request["name"]

    def already_stored():
        matches = find_by_names(client, [name], include_closed)[name]
        return matches[0] if matches else None

    answer = client.post("/incident", request, expected=(200, 201), idempotent=False, reconcile=already_stored)
    if not isinstance(answer, Response):
        return answer, 201
    if answer.status == 200 and answer.json is None:
        return None, 200
    incident = answer.json if isinstance(answer.json, dict) else {}
    if look_up and not incident.get("id"):
        incident = _look_up_new(client, name, include_closed) or incident
    return incident, answer.status


def _look_up_new(client, name, include_closed):
    for delay in LOOKUP_AFTER_CREATE_DELAYS:
        if delay:
            client.sleep(delay)
        matches = find_by_names(client, [name], include_closed)[name]
        if matches:
            return matches[0]
    return None


def update(client, incident, changes):
    """Update with id + version (a stale version gets 409, reported as such)."""
    request = dict(incident)
    request.update(changes)
    try:
        return client.post("/incident", request).json
    except XsoarResponseError as error:
        if error.status == 409:
            raise XsoarResponseError(
                "incident %s changed on the server while this task ran (HTTP 409, stale version): run the task again"
                % incident.get("id"), 409)
        raise


def close(client, ids, close_reason=None, close_notes=None):
    body = {"ids": list(ids), "all": False}
    if close_reason is not None:
        body["closeReason"] = close_reason
    if close_notes is not None:
        body["closeNotes"] = close_notes
    return client.post("/incident/batchClose", body).json or {}


def delete(client, ids):
    return client.post("/incident/batchDelete", {"ids": list(ids), "all": False}).json or {}


def list_playbooks(client):
    data = client.post("/playbook/search", {}).json
    if not isinstance(data, dict):
        raise XsoarResponseError("POST /playbook/search answered without a JSON object: check that url is the XSOAR API address")
    return [playbook for playbook in data.get("playbooks") or [] if isinstance(playbook, dict)]


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
        raise XsoarInputError("%s %r names %d playbooks: give the id instead (%s)" % (
            option, reference, len(by_name), ", ".join(str(p.get("id")) for p in by_name)))
    close_names = difflib.get_close_matches(reference, names, n=3, cutoff=0.4)
    hint = ("closest: %s" % ", ".join(repr(n) for n in close_names)) if close_names else (
        "the key sees %d playbooks" % len(names))
    raise XsoarInputError("%s %r matches no playbook id or name (%s); xsoar_playbook_info lists them" % (option, reference, hint))
