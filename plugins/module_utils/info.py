# -*- coding: utf-8 -*-
# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logic of the read-only modules xsoar_playbook_info and xsoar_incident_info."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError
from ansible_collections.xsoar.connector.plugins.module_utils.incident_fields import check_name, names_match

# --- xsoar_playbook_info ---------------------------------------------------------------

PLAYBOOK_INFO_OPTIONS = dict(
    name=dict(type="str"),
    match=dict(type="str", default="exact", choices=["exact", "contains"]),
)


def prepare_playbooks(params):
    name = params.get("name")
    if name is not None and not name.strip():
        raise XsoarInputError("name is empty: give a playbook name to filter by, or leave name out to list all playbooks")
    return {"name": name, "match": params.get("match") or "exact"}


def playbook_matches(playbook, name, match):
    """Exact (case included) or case-insensitive substring comparison of a playbook's name."""
    if name is None:
        return True
    current = playbook.get("name")
    if not isinstance(current, str):
        return False
    if match == "contains":
        return name.lower() in current.lower()
    return current == name


def playbook_summary(playbook):
    tags = playbook.get("tags")
    return {"id": playbook.get("id"), "name": playbook.get("name"), "tags": list(tags) if isinstance(tags, list) else []}


def run_playbooks(client, plan, check_mode):
    playbooks = api.list_playbooks(client)
    found = [playbook_summary(p) for p in playbooks if playbook_matches(p, plan["name"], plan["match"])]
    return {"changed": False, "playbooks": found}


# --- xsoar_incident_info ---------------------------------------------------------------

INCIDENT_INFO_OPTIONS = dict(
    name=dict(type="str"),
    ids=dict(type="list", elements="str"),
    query=dict(type="str"),
    status=dict(type="str", default="any", choices=["open", "closed", "any"]),
    limit=dict(type="int", default=50),
    sort=dict(type="str", default="created", choices=["created", "modified"]),
    sort_order=dict(type="str", default="desc", choices=["asc", "desc"]),
    fields=dict(type="list", elements="str"),
)
INCIDENT_INFO_EXCLUSIVE = [("name", "ids", "query")]


def prepare_incidents(params):
    """Check the options before any request; returns the plan for run_incidents."""
    name = params.get("name")
    if name is not None:
        check_name(name, empty_hint="give the incident name to look up, or leave name out (with ids or query instead)")
    ids = params.get("ids")
    if ids is not None:
        ids = [str(incident_id).strip() for incident_id in ids]
        if not ids or not all(ids):
            raise XsoarInputError("ids must be a non-empty list of incident ids without empty entries")
    query = params.get("query")
    if query is not None and not query.strip():
        raise XsoarInputError("query is empty: give an XSOAR query such as 'type:Phishing', or leave query out")
    limit = params.get("limit")
    if limit is None or limit < 1:
        raise XsoarInputError("limit must be a positive number of incidents, got %s" % (limit,))
    fields = params.get("fields")
    if fields is not None and (not fields or not all(isinstance(f, str) and f.strip() for f in fields)):
        raise XsoarInputError("fields must be a non-empty list of incident field names, e.g. [id, name, status]")
    return {
        "name": name, "ids": ids, "query": query, "status": params.get("status") or "any", "limit": limit,
        "sort": params.get("sort") or "created", "sort_order": params.get("sort_order") or "desc", "fields": fields,
    }


def incident_filter(plan):
    """The IncidentFilter of POST /incidents/search for a plan (page and size are added by the search)."""
    flt = {"sort": [{"field": plan["sort"], "asc": plan["sort_order"] == "asc"}]}
    if plan["name"] is not None:
        flt["name"] = [plan["name"]]
    if plan["ids"] is not None:
        flt["id"] = list(plan["ids"])
    if plan["query"] is not None:
        flt["query"] = plan["query"]
    if plan["status"] == "open":
        flt["notStatus"] = list(api.CLOSED_STATUSES)
    elif plan["status"] == "closed":
        flt["status"] = list(api.CLOSED_STATUSES)
    return flt


def status_matches(incident, status):
    closed = incident.get("status") in api.CLOSED_STATUSES
    return status == "any" or (status == "closed") == closed


def select_fields(incident, fields):
    """Only the given top-level keys of an incident (keys it does not have are left out)."""
    if fields is None:
        return incident
    return dict((key, incident[key]) for key in fields if key in incident)


def search_incidents(client, plan):
    """(total, incidents) for a plan.

    By name the server matches words, so every page is read and names are compared exactly here;
    the total is then the number of exact matches. Otherwise the server's total is returned and
    only `limit` incidents are fetched.
    """
    flt = incident_filter(plan)
    if plan["name"] is None:
        return api.search(client, flt, plan["limit"])
    matched = [i for i in api.search(client, flt)[1]
               if names_match(plan["name"], i) and status_matches(i, plan["status"])]
    return len(matched), matched[:plan["limit"]]


def run_incidents(client, plan, check_mode):
    total, incidents = search_incidents(client, plan)
    return {"changed": False, "total": total, "incidents": [select_fields(i, plan["fields"]) for i in incidents]}
