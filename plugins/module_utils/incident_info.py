# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the read-only module xsoar_incident_info: incidents by name, ids or query, and their war room."""

from __future__ import annotations

from typing import Any, NamedTuple

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils import war_room
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import check_name, names_match


INCIDENT_INFO_OPTIONS: dict[str, dict[str, Any]] = dict(
    name=dict(type="str"),
    ids=dict(type="list", elements="str"),
    query=dict(type="str"),
    status=dict(type="str", default="any", choices=["open", "closed", "any"]),
    limit=dict(type="int", default=50),
    sort=dict(type="str", default="created", choices=["created", "modified"]),
    sort_order=dict(type="str", default="desc", choices=["asc", "desc"]),
    fields=dict(type="list", elements="str"),
    war_room=dict(type="bool", default=False),
    war_room_limit=dict(type="int", default=100),
)
INCIDENT_INFO_EXCLUSIVE = [("name", "ids", "query")]


class IncidentQuery(NamedTuple):
    """What xsoar_incident_info looks for and returns, checked before any request."""

    name: str | None
    ids: list[str] | None
    query: str | None
    # open, closed or any
    status: str
    limit: int
    # created or modified, asc or desc
    sort: str
    sort_order: str
    # the top-level keys returned (None: all)
    fields: list[str] | None
    war_room: bool
    war_room_limit: int


def prepare_incidents(params: dict[str, Any]) -> IncidentQuery:
    """Check the options before any request; returns the query for run_incidents."""
    name = params.get("name")
    if name is not None:
        check_name(name, empty_hint="give the incident name to look up, or leave name out (with ids or query instead)")
    query = params.get("query")
    if query is not None and not query.strip():
        raise XsoarInputError("query is empty: give an XSOAR query such as 'type:Phishing', or leave query out")
    return IncidentQuery(
        name=name,
        ids=checked_ids(params.get("ids")),
        query=query,
        status=params.get("status") or "any",
        limit=positive_count(params.get("limit"), "limit", "incidents"),
        sort=params.get("sort") or "created",
        sort_order=params.get("sort_order") or "desc",
        fields=checked_fields(params.get("fields")),
        war_room=bool(params.get("war_room")),
        war_room_limit=positive_count(params.get("war_room_limit"), "war_room_limit", "entries"),
    )


def checked_ids(ids: list[Any] | None) -> list[str] | None:
    if ids is None:
        return None
    texts = [str(incident_id).strip() for incident_id in ids]
    if not texts or not all(texts):
        raise XsoarInputError("ids must be a non-empty list of incident ids without empty entries")
    return texts


def checked_fields(fields: list[Any] | None) -> list[str] | None:
    if fields is None:
        return None
    named = [field for field in fields if isinstance(field, str) and field.strip()]
    if not fields or len(named) != len(fields):
        raise XsoarInputError("fields must be a non-empty list of incident field names, e.g. [id, name, status]")
    return named


def positive_count(count: int | None, option: str, what: str) -> int:
    if count is None or count < 1:
        raise XsoarInputError(f"{option} must be a positive number of {what}, got {count}")
    return count


# `status` in the query language; archived incidents (3) are left to the client-side check.
STATUS_QUERY = {"open": "-status:closed", "closed": "status:closed"}


def folded_query(plan: IncidentQuery) -> str:
    """The plan's query with its names, ids and status added to it.

    A server given a `query` ignores every other filter field ("All other filters will be ignored
    when this filter is used", SearchIncidentsV2), so they must be part of the query itself.
    """
    parts = [f"({plan.query})"]
    if plan.name is not None:
        parts.append(api.name_query(plan.name))
    if plan.ids is not None:
        alternatives = " or ".join("id:" + api.quoted(i) for i in plan.ids)
        parts.append(f"({alternatives})")
    if plan.status in STATUS_QUERY:
        parts.append(STATUS_QUERY[plan.status])
    return " and ".join(parts)


def incident_filter(plan: IncidentQuery) -> dict[str, Any]:
    """The IncidentFilter of POST /incidents/search for a plan (page and size are added by the search)."""
    ascending = plan.sort_order == "asc"
    flt: dict[str, Any] = {"sort": [{"field": plan.sort, "asc": ascending}]}
    if plan.query is not None:
        flt["query"] = folded_query(plan)
        return flt
    if plan.name is not None:
        flt["name"] = [plan.name]
    if plan.ids is not None:
        flt["id"] = list(plan.ids)
    if plan.status == "open":
        flt["notStatus"] = list(api.CLOSED_STATUSES)
    elif plan.status == "closed":
        flt["status"] = list(api.CLOSED_STATUSES)
    return flt


def status_matches(incident: dict[str, Any], status: str) -> bool:
    if status == "any":
        return True
    closed = incident.get("status") in api.CLOSED_STATUSES
    return closed == (status == "closed")


def plan_matches(incident: dict[str, Any], plan: IncidentQuery) -> bool:
    """What the plan asks for, checked on the client: exact name, one of the ids, status."""
    if plan.name is not None and not names_match(plan.name, incident):
        return False
    if plan.ids is not None and str(incident.get("id")) not in plan.ids:
        return False
    return status_matches(incident, plan.status)


def select_fields(incident: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Only the given top-level keys of an incident (keys it does not have are left out)."""
    if fields is None:
        return incident
    return {key: incident[key] for key in fields if key in incident}


def search_incidents(client: Client, plan: IncidentQuery) -> tuple[int, list[dict[str, Any]]]:
    """(total, incidents) for a plan, with a true total.

    By name the server matches words, so every page is read and names are compared exactly here;
    the total is then the number of exact matches. Otherwise only `limit` incidents are fetched
    and the server's total is kept, unless the answer holds incidents the plan excludes (an
    archived one for status open, or a server that did not apply part of the query): then every
    page is read and the total counted here.
    """
    flt = incident_filter(plan)
    if plan.name is None:
        total, incidents = api.search(client, flt, plan.limit)
        if all(plan_matches(i, plan) for i in incidents):
            return total, incidents
    every = api.search(client, flt)[1]
    matched = [i for i in every if plan_matches(i, plan)]
    return len(matched), matched[: plan.limit]


ENTRY_KEYS = ("id", "type", "created", "user", "format", "note", "tags", "file")
FILE_METADATA_KEYS = ("md5", "sha1", "sha256", "size")


def entry_view(entry: dict[str, Any]) -> dict[str, Any]:
    """What a playbook reads of a war-room entry: its text and the file metadata, not the file."""
    view = {key: entry.get(key) for key in ENTRY_KEYS if key in entry}
    if isinstance(entry.get("contents"), str):
        view["contents"] = entry["contents"]
    metadata = entry.get("fileMetadata")
    if isinstance(metadata, dict):
        view["fileMetadata"] = {key: metadata.get(key) for key in FILE_METADATA_KEYS if key in metadata}
    return view


def war_room_entries(client: Client, incident: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` entries of an incident's war room, oldest first ([] without an investigation)."""
    if not incident.get("investigationId"):
        return []
    room = war_room.read_war_room(client, str(incident["id"]), limit)
    return [entry_view(entry) for entry in room.entries]


def run_incidents(client: Client, plan: IncidentQuery, check_mode: bool) -> dict[str, Any]:
    total, incidents = search_incidents(client, plan)
    shown = [select_fields(i, plan.fields) for i in incidents]
    if plan.war_room:
        for view, incident in zip(shown, incidents):
            view["war_room"] = war_room_entries(client, incident, plan.war_room_limit)
    return {"changed": False, "total": total, "incidents": shown}
