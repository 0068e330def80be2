#!/usr/bin/env python
"""Cortex XSOAR REST API simulator for the xsoar.connector tests.

Standard library only; `cryptography` (or the `openssl` command) is used just to make a
self-signed certificate for --tls. README.md beside this file documents the CLI and the
control API under /_simulator/.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime
import email.parser
import email.policy
import fnmatch
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, NamedTuple
from urllib.parse import unquote, urlsplit

SCHEMA_FILE = Path(__file__).resolve().with_name("xsoar_swagger_definitions.json")
DEFINITIONS = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["definitions"]

DEPLOYMENTS = ("xsoar6", "xsoar8-opp", "xsoar8-saas")
KEY_TYPES = ("standard", "advanced")
PUBLIC_PREFIX = "/xsoar/public/v1"
LEGACY_PREFIX = "/xsoar"
CONTROL_PREFIX = "/_simulator/"

# GET /incident/load/{id} (`{id}` is a path parameter)
LOAD_PATH = "/incident/load/{id}"

API_ROUTES = {
    ("POST", "/incident"): "create_or_update",
    ("POST", "/incidents/search"): "search",
    ("POST", "/incident/batchClose"): "batch_close",
    ("POST", "/incident/batchDelete"): "batch_delete",
    ("POST", "/incident/close"): "close",
    ("GET", LOAD_PATH): "load",
    ("POST", "/playbook/search"): "playbook_search",
    ("GET", "/about"): "about",
    # the war room (xsoar-api.md, "Real servers, round 3", "War room"); `{id}` is a path parameter
    ("POST", "/incident/investigate"): "investigate",
    ("POST", "/entry"): "entry",
    ("POST", "/entry/formatted"): "entry_formatted",
    ("POST", "/entry/note"): "entry_note",
    ("POST", "/entry/tags"): "entry_tags",
    ("POST", "/entry/upload/{id}"): "entry_upload",
    ("POST", "/incident/upload/{id}"): "incident_upload",
    ("POST", "/investigation/{id}"): "investigation",
    # incident fields and types, the investigation playbook and its tasks (issue 22; sources below)
    ("GET", "/incidentfields"): "incident_fields",
    ("GET", "/incidenttype"): "incident_types",
    ("GET", "/inv-playbook/{id}"): "investigation_playbook",
    ("POST", "/inv-playbook/task/complete/simple"): "complete_task",
}
API_PATHS = {path for _method, path in API_ROUTES}
# routes whose body is multipart/form-data (the swagger's formData parameters), not JSON
MULTIPART_ROUTES = {"entry_upload", "incident_upload"}
# Palo Alto's XSOAR 8 API reference lists these incident and playbook routes under the public
# prefix (create/update, json, search, close, investigate, load, batch, batchDelete, upload);
# batchClose and about are not among them. Any other path there answers 303 on live tenants.
PUBLIC_DOCUMENTED = {
    "/incident",
    "/incident/json",
    "/incidents/search",
    "/incident/close",
    "/incident/investigate",
    LOAD_PATH,
    "/incident/batch",
    "/incident/batchDelete",
    "/incident/upload/{id}",
    "/playbook/search",
}
# /incident/batch is not simulated (404) but a call to it is still a write attempt.
WRITE_ENDPOINTS = {
    ("POST", "/incident"),
    ("POST", "/incident/close"),
    ("POST", "/incident/batchClose"),
    ("POST", "/incident/batchDelete"),
    ("POST", "/incident/batch"),
    ("POST", "/incident/investigate"),
    ("POST", "/entry"),
    ("POST", "/entry/formatted"),
    ("POST", "/entry/note"),
    ("POST", "/entry/tags"),
    ("POST", "/entry/upload/{id}"),
    ("POST", "/incident/upload/{id}"),
    ("POST", "/inv-playbook/task/complete/simple"),
}
REDACTED_HEADERS = {"authorization", "cookie", "x-xsrf-token"}
TEMPLATED_PATHS = {path for path in API_PATHS | PUBLIC_DOCUMENTED if path.endswith("/{id}")}

GO_ZERO_TIME = "0001-01-01T00:00:00Z"
# XSOAR 8's new incidents: version 0 and this `modified` until their first change (Kibana's recorded
# create answer in xsoar.test.ts; the XSOAR 8 docs' "get an incident" example).
EPOCH_TIME = "1970-01-01T00:00:00Z"
MAX_SEARCH_SIZE = 1000
MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
NONCE_RE = re.compile(r"[A-Za-z0-9]{64}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,16}")
RFC3339_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")

STATUS_PENDING, STATUS_ACTIVE, STATUS_CLOSED = 0, 1, 2
CLOSED_STATUSES = (2, 3)  # done, archived
ENTRY_TYPE_NOTE, ENTRY_TYPE_FILE = 1, 3  # the swagger's EntryType numbers for a text entry and a file
STATUS_NAMES = {"pending": 0, "new": 0, "active": 1, "closed": 2, "done": 2, "archived": 3, "archive": 3}
SEVERITY_NAMES = {"unknown": 0, "informational": 0.5, "info": 0.5, "low": 1, "medium": 2, "high": 3, "critical": 4}
SEVERITIES = {0, 0.5, 1, 2, 3, 4}

# Fields the server computes itself; a client's value for them is ignored on create and update.
SERVER_FIELDS = {
    "id",
    "version",
    "created",
    "modified",
    "createInvestigation",
    "status",
    "investigationId",
    "rawName",
    "rawType",
    "CustomFields",
    "customFields",
}
CLIENT_FIELDS = set(DEFINITIONS["CreateIncidentRequest"]["properties"]) - SERVER_FIELDS


def _playbook(pb_id, name, tags, comment, system=True):
    return {
        "id": pb_id,
        "name": name,
        "version": 3,
        "comment": comment,
        "tags": tags,
        "system": system,
        "hidden": False,
        "deprecated": False,
        "propagationLabels": ["all"],
    }


PLAYBOOKS = [
    _playbook(
        "8db0105c-f674-4d83-8095-f95a9f61e77a",
        "Account Enrichment - Generic v2.1",
        ["enrichment", "account"],
        "Enrich accounts using one or more integrations.",
    ),
    _playbook(
        "c1a4ae9b-87d4-4f39-8e05-1f2f7a0c6b3e",
        "Block IP - Generic v3",
        ["containment", "IP"],
        "Block IP addresses on the configured firewalls.",
    ),
    _playbook(
        "5f2b6e0a-3c1d-4e8f-9a7b-2d4c6e8f0a1b",
        "Endpoint Enrichment - Generic v2.1",
        ["enrichment", "endpoint"],
        "Enrich an endpoint by hostname, IP or MAC address.",
    ),
    _playbook(
        "Phishing - Generic v3",
        "Phishing - Generic v3",
        ["phishing"],
        "Investigate and respond to reported phishing emails.",
    ),
    _playbook(
        "Malware Investigation & Response Incident Handler",
        "Malware Investigation & Response Incident Handler",
        ["malware", "endpoint"],
        "Investigate and respond to malware alerts.",
    ),
    _playbook("playbook0", "Playbook0", ["test"], "Does nothing; for tests.", system=False),
]
PLAYBOOK_IDS = {pb["id"] for pb in PLAYBOOKS}


def tenant_playbooks(extra: int) -> list:
    """The six named playbooks plus `extra` generated ones (a big tenant holds 1000-2300)."""
    generated = [
        _playbook(
            f"generated-{number:05d}",
            f"Content Pack Playbook {number:05d}",
            ["generated"],
            "A content pack playbook of a big tenant.",
        )
        for number in range(1, extra + 1)
    ]
    return PLAYBOOKS + generated


# --- incident fields, incident types and investigation playbooks (issue 22) ----------------------
# GET /incidentfields answers a JSON array of IncidentField (swagger definition; demisto-sdk's
# download command reads it with GET, as do demisto/content scripts through core-api-get).
# GET /incidenttype answers a JSON array of IncidentType (demisto-sdk ITEM_TYPE_TO_ENDPOINT).
# Neither is in XSOAR 8's public API reference: there they answer under the legacy /xsoar prefix,
# where demisto-py and demisto-sdk reach them. The custom fields below include every key the
# collection's tests send (team, site, count, score, scanip, sourceusername).


def _field(cli_name, name, kind, select_values=None, types=None, required=False, system=False):
    return {
        "id": f"incident_{cli_name}",
        "cliName": cli_name,
        "name": name,
        "type": kind,
        "selectValues": select_values,
        "associatedTypes": types,
        "associatedToAll": types is None,
        "required": required,
        "system": system,
        "content": True,
        "group": 0,
        "version": 1,
    }


INCIDENT_FIELDS = [
    _field("details", "Details", "longText", system=True),
    _field("owner", "Owner", "user", system=True),
    _field("severity", "Severity", "number", system=True),
    _field("sourceusername", "Source Username", "shortText"),
    _field("sourceip", "Source IP", "shortText"),
    _field("scanip", "Scan IP", "shortText"),
    _field("team", "Team", "singleSelect", ["", "blue", "red", "green"]),
    _field("site", "Site", "shortText"),
    _field("count", "Count", "number"),
    _field("score", "Score", "number"),
    _field("remediationstatus", "Remediation Status", "singleSelect", ["", "Pending", "Remediated", "Failed"]),
    _field("affectedhosts", "Affected Hosts", "multiSelect", []),
    _field("emailsubject", "Email Subject", "shortText", types=["Phishing"], required=True),
    _field("malwarefamily", "Malware Family", "shortText", types=["Malware"]),
]
INCIDENT_TYPES = [
    {"id": name, "name": name, "playbookId": "", "system": True, "disabled": False, "version": 1}
    for name in ("Unclassified", "Access", "Job", "Malware", "Network", "Phishing", "Vulnerability")
]

# The investigation playbook (InvestigationPlaybook) of an incident whose investigation runs a
# playbook: GET /inv-playbook/{investigationId} (demisto-sdk XsoarClient.get_playbook_state; the
# same object as `invPlaybook` of /investigation/{id}/workplan in demisto/content GetIncidentTasks).
# Tasks are keyed by their id; each has `type` (start, regular, condition, playbook, title),
# `state` ("" new, inprogress, Waiting, Completed, Error, LoopError, WillNotBeExecuted, Blocked:
# demisto/content DemistoGetIncidentTasksByState.js), `task.name`, and `nextTasks` {branch: [ids]}
# ("#none#" for a plain next step; a condition's branches are its labels). Sub-playbook tasks sit
# under the playbook task's `subPlaybook.tasks`. Playbook0 waits for Ansible; the others run
# through at once.
TASK_STATE_NEW = ""
TASK_WAITING = "Waiting"
TASK_COMPLETED = "Completed"
TASK_NOT_EXECUTED = "WillNotBeExecuted"
NEXT_STEP = "#none#"


def _task(task_id, kind, name, manual=False, next_tasks=None):
    return {
        "id": task_id,
        "taskId": f"{task_id}-task",
        "type": kind,
        "state": TASK_STATE_NEW,
        "manual": manual,  # simulator-only: the task waits for a person (or Ansible) when reached
        "task": {"id": f"{task_id}-task", "name": name, "type": kind, "isCommand": not manual},
        "nextTasks": next_tasks or {},
        "parentPlaybookID": "",
        "comments": False,
        "completedBy": "",
        "completedDate": GO_ZERO_TIME,
        "startDate": GO_ZERO_TIME,
    }


PLAYBOOK_TASKS = {
    "playbook0": [
        _task("0", "start", "", next_tasks={NEXT_STEP: ["1"]}),
        _task("1", "regular", "Collect evidence", next_tasks={NEXT_STEP: ["2", "6"]}),
        _task(
            "2",
            "condition",
            "Wait for Ansible remediation",
            manual=True,
            next_tasks={"Remediated": ["3"], "Failed": ["4"]},
        ),
        _task("3", "regular", "Close as remediated", next_tasks={NEXT_STEP: ["5"]}),
        _task("4", "regular", "Escalate to an analyst", manual=True),
        _task("5", "regular", "Notify the owner"),
        _task("6", "regular", "Approve containment", manual=True),
    ],
}
STARTER_TASKS = [_task("0", "start", "")]


def new_investigation_playbook(incident: dict) -> dict:
    """The investigation playbook of a new investigation, run up to its first waiting tasks."""
    tasks = copy.deepcopy(PLAYBOOK_TASKS.get(incident["playbookId"], STARTER_TASKS))
    playbook = {
        "id": incident["investigationId"],
        "investigationId": incident["investigationId"],
        "playbookId": incident["playbookId"],
        "name": incident["playbookId"],
        "startTaskId": "0",
        "state": "inprogress",
        "version": 1,
        "tasks": {task["id"]: task for task in tasks},
    }
    reach_task(playbook, "0", now_rfc3339())
    return playbook


def reach_task(playbook: dict, task_id: str, now: str) -> None:
    """The playbook reaches a task: a manual one waits, an automatic one runs and goes on."""
    task = playbook["tasks"][task_id]
    if task["state"] != TASK_STATE_NEW:
        return
    task["startDate"] = now
    if task["manual"]:
        task["state"] = TASK_WAITING
    else:
        finish_task(playbook, task, NEXT_STEP, now)
    playbook["state"] = playbook_state(playbook)


def finish_task(playbook: dict, task: dict, branch: str, now: str) -> None:
    """Complete a task and follow `branch`; the tasks of its other branches will not run."""
    task.update(state=TASK_COMPLETED, completedDate=now)
    for label, next_ids in task["nextTasks"].items():
        for next_id in next_ids:
            if label in (branch, NEXT_STEP):
                reach_task(playbook, next_id, now)
            elif playbook["tasks"][next_id]["state"] == TASK_STATE_NEW:
                playbook["tasks"][next_id]["state"] = TASK_NOT_EXECUTED


def playbook_state(playbook: dict) -> str:
    waiting = any(task["state"] == TASK_WAITING for task in playbook["tasks"].values())
    return "inprogress" if waiting else "completed"


def public_playbook(playbook: dict) -> dict:
    """The investigation playbook as the API shows it (without the simulator's own keys)."""
    shown = copy.deepcopy(playbook)
    for task in shown["tasks"].values():
        task.pop("manual", None)
    return shown


# invTaskInfo (swagger), the body of POST /inv-playbook/task/complete/simple: demisto-py
# simple_complete_task; the restart script of demisto/content sends {invId, inTaskID}.
TASK_INFO_SCHEMA = {
    "type": "object",
    "properties": {
        "invId": {"type": "string"},
        "inTaskID": {"type": "string"},
        "input": {"type": "string"},
        "comment": {"type": "string"},
        "version": {"type": "integer"},
        "args": {"type": "object"},
    },
}

# Version answers of GET /about. XSOAR 6.10+ answers productMode/deploymentMode too, exactly as an
# XSOAR 8 on-prem server does (demisto-sdk get_client_test.py): only demistoVersion tells them apart.
ABOUT = {
    "xsoar6": {"demistoVersion": "6.14.0", "buildNum": "1398843", "productMode": "xsoar", "deploymentMode": "opp"},
    "xsoar8-opp": {"demistoVersion": "8.9.0", "buildNum": "1471226", "productMode": "xsoar", "deploymentMode": "opp"},
    "xsoar8-saas": {"demistoVersion": "8.9.0", "buildNum": "1471226", "productMode": "xsoar", "deploymentMode": "saas"},
}
# Seconds a new incident stays out of search results, by deployment, when --index-lag is not
# given. SaaS: demisto-sdk polls for minutes and demisto-py sleeps "to fully index"; 5 s is longer
# than a client that gives up after a few seconds survives. On-prem: no published evidence of lag.
DEFAULT_INDEX_LAG = {"xsoar6": 0.0, "xsoar8-opp": 0.0, "xsoar8-saas": 5.0}
# A full /playbook/search of 995-2280 playbooks took 30-90 s on live tenants: ~30 ms each.
DEFAULT_PLAYBOOK_COST_MS = 30.0

LOGIN_PAGE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Cortex XSOAR</title></head>
<body><div id="app"><form action="/login" method="post">
<input name="user"><input name="password" type="password"><button>Log In</button>
</form></div></body></html>
"""


class Reply(NamedTuple):
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict | None = None
    trickle: float = 0.0  # seconds between the bytes of the body (0: all at once)
    denied: str | None = None  # why authentication failed: for the request log only, never sent


DROP = Reply(0)  # close the connection without answering


def json_reply(status: int, obj, headers: dict | None = None) -> Reply:
    return Reply(status, json.dumps(obj).encode("utf-8"), "application/json", headers)


def text_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode("utf-8"), "text/plain; charset=utf-8")


NOT_FOUND = text_reply(404, "404 page not found\n")  # what a Go server answers
METHOD_NOT_ALLOWED = text_reply(405, "Method Not Allowed\n")
# XSOAR 6 serves its web app (a single-page app) for paths it has no API route for, /xsoar/...
# included; XSOAR 8 answers undocumented public routes with a redirect (no body for a POST, as
# Go's http.Redirect writes one only for GET and HEAD); root paths there answer 500.
WEB_APP = Reply(200, LOGIN_PAGE, "text/html; charset=utf-8")
SEE_OTHER = Reply(303, b"", None, {"Location": "/"})
ROOT_PATH_ERROR = json_reply(500, {"reply": {"err_code": 500, "err_msg": "An error occurred", "err_extra": None}})
# Live XSOAR 8 / XSIAM tenants answer 415 to a POST without Content-Type: application/json
# (xsoar-api.md "Real servers, round 3", moderate); the body is assumed, in XSOAR 8's error form.
UNSUPPORTED_MEDIA_TYPE = json_reply(
    415, {"reply": {"err_code": 415, "err_msg": "Unsupported Media Type", "err_extra": None}}
)
# XSOAR's documented limit for system fields such as the incident name (Palo Alto support, quoted in
# demisto/content-docs#1601; docs changed in PR #1605). What a REST create beyond it does is not
# documented: the simulator cuts the name, the harmful reading (a name-keyed client that sent such a
# name never finds its incident again by that name). The collection refuses such names before sending,
# which ends well whether a real server cuts or refuses.
MAX_NAME_LENGTH = 600


class ApiError(Exception):
    """Ends processing of an API request with an XSOAR-style error reply."""

    def __init__(self, status: int, error_id: str, title: str, detail: str, error: str = ""):
        super().__init__(detail)
        self.reply = json_reply(
            status, {"id": error_id, "status": status, "title": title, "detail": detail, "error": error or detail}
        )


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "badRequest", "Bad request", detail)


def create_error(detail: str) -> ApiError:
    return ApiError(400, "incCreateErr", "Failed creating incident", detail)


def now_rfc3339() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime.datetime | None:
    """Parse the strict RFC 3339 form Go's time.Time accepts; None when invalid."""
    match = RFC3339_RE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = datetime.timezone.utc
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Request body decoding: the swagger schema checked the way Go's encoding/json decodes a struct.
# ---------------------------------------------------------------------------------------------


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string"}[type(value)]


def is_type(value, kind: str) -> bool:
    if kind == "integer":  # Go refuses 1.0 for an int64 field
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"object": dict, "array": list, "string": str, "boolean": bool}[kind])


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = DEFINITIONS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def decode(value, schema: dict, where: str):
    """Check `value` against a swagger schema; return it with known keys canonicalised.

    Like Go: null leaves a field unset, unknown keys are ignored, keys match case-insensitively.
    """
    schema = resolve(schema)
    if value is None:
        return None
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds and not any(is_type(value, k) for k in kinds):
        raise bad_request(
            f"json: cannot unmarshal {json_type(value)} into Go struct field {where} of type {'|'.join(kinds)}"
        )
    if schema.get("format") == "date-time" and parse_rfc3339(value) is None:
        raise bad_request(f"parsing time {json.dumps(value)} as RFC 3339 failed (field {where})")
    if isinstance(value, dict):
        return decode_object(value, schema, where)
    if isinstance(value, list) and "items" in schema:
        return [decode(item, schema["items"], f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def decode_object(value: dict, schema: dict, where: str) -> dict:
    props = schema.get("properties")
    if not props:  # a map: keep every key, check the values
        extra = schema.get("additionalProperties")
        if not isinstance(extra, dict):
            return value
        return {key: decode(item, extra, f"{where}.{key}") for key, item in value.items()}
    by_lower = {name.lower(): name for name in props}
    decoded = {}
    for key in sorted(value, key=lambda k: k not in props):  # exact spellings win
        name = key if key in props else by_lower.get(key.lower())
        if name is None or name in decoded:
            continue
        item = decode(value[key], props[name], f"{where}.{name}")
        if item is not None:
            decoded[name] = item
    return decoded


def decode_definition(body, definition: str):
    return decode(body, {"$ref": "#/definitions/" + definition}, definition)


def parse_json_body(raw: bytes):
    if not raw.strip():
        raise bad_request("request body is empty; a JSON object is expected")

    def reject_constant(name):
        raise ValueError(f"invalid JSON value {name}")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise bad_request(f"request body is not valid JSON: {err}") from None


def parse_multipart_body(content_type: str | None, raw: bytes) -> dict:
    """A multipart/form-data body as {field name: text, "file": (file name, bytes)}.

    Go's ParseMultipartForm refuses any other content type with this message; a client that sends
    an upload as JSON (or keeps a session's JSON content type) meets it.
    """
    if not content_type or not content_type.lower().startswith("multipart/form-data"):
        raise bad_request("request Content-Type isn't multipart/form-data")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise bad_request("multipart: NextPart: EOF")
    fields: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            fields[name] = (part.get_filename(), payload)
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields


def request_data(route: str, method: str, headers, body: bytes):
    """A request's body as its route reads it: a multipart form, JSON for other POSTs, else None."""
    if route in MULTIPART_ROUTES:
        return parse_multipart_body(headers.get("Content-Type"), body)
    if method == "POST":
        return parse_json_body(body)
    return None


def uploaded_file(form: dict) -> tuple:
    """(file name, content) of a multipart form's `file` part; 400 without one."""
    upload = form.get("file")
    if not isinstance(upload, tuple):
        raise bad_request("http: no such file")  # Go's FormFile error
    return upload


def file_metadata(content: bytes) -> dict:
    """What real servers store about a file entry's file (xsoar-api.md, "War room": md5, sha1, sha256, size)."""
    return {
        "md5": hashlib.md5(content).hexdigest(),  # noqa: S324 - what the server reports, not security
        "sha1": hashlib.sha1(content).hexdigest(),  # noqa: S324
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "type": "application/octet-stream",
        "info": "data",
    }


# ---------------------------------------------------------------------------------------------
# Search: the filter fields and a small subset of the Lucene-like query language.
# ---------------------------------------------------------------------------------------------


def word_tokens(text: str) -> list:
    return re.findall(r"[\w*?]+", text.lower())


def tokens_match(wanted: str, name: str) -> bool:
    """Token match as the server's index does it: every token of `wanted` appears in `name`.

    Real servers match `filter.name` by words, not exactly (demisto/content PR #16384 re-filters
    SearchIncidentsV2's results by exact name on the client, with screenshots from 6.2 and 6.5).
    """
    return any_name_matches([wanted])(name)


def any_name_matches(wanted_names: list) -> Callable[[str], bool]:
    """A test of a name: does any of `wanted_names` token-match it (tokens_match)?

    The wanted tokens are split once into plain words (a subset test) and wildcard patterns, so a
    search for 200 names over a few thousand incidents stays fast on the machine it shares.
    """
    compiled = []
    for wanted in wanted_names:
        tokens = word_tokens(wanted)
        if tokens:
            patterns = [token for token in tokens if "*" in token or "?" in token]
            compiled.append((frozenset(tokens) - set(patterns), patterns))

    def matches(name: str) -> bool:
        have = set(word_tokens(name))
        return any(
            plain <= have and all(any(fnmatch.fnmatchcase(token, pattern) for token in have) for pattern in patterns)
            for plain, patterns in compiled
        )

    return matches


def lookup(record: dict, field: str):
    """A record's field by case-insensitive name, else the custom field of that name."""
    lowered = field.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value
    return record.get("CustomFields", {}).get(lowered)


def text_equals(value, pattern: str) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v is not None and fnmatch.fnmatchcase(str(v).lower(), pattern.lower()) for v in values)


QUERY_TOKEN_RE = re.compile(
    r"\s*(?:(?P<paren>[()])|(?P<neg>-)|(?:(?P<field>[\w.]+):)?"
    r'(?P<value>"(?:[^"\\]|\\.)*"|(?:[^\s()":\\]|\\.)+))'
)
KEYWORDS = {"and", "or", "not"}


def tokenize_query(text: str) -> list:
    tokens, pos = [], 0
    while text[pos:].strip():
        match = QUERY_TOKEN_RE.match(text, pos)
        if not match:
            raise bad_request(f"invalid query {text!r}: cannot parse at position {pos}")
        pos = match.end()
        if match["paren"] or match["neg"]:
            tokens.append((match["paren"] or "-",))
            continue
        raw = match["value"]
        if not match["field"] and raw.lower() in KEYWORDS:
            tokens.append((raw.lower(),))
            continue
        value = raw[1:-1] if raw.startswith('"') else raw
        tokens.append(("term", match["field"], re.sub(r"\\(.)", r"\1", value)))
    return tokens


Predicate = Callable[[dict], bool]


class QueryParser:
    """Recursive descent: OR binds loosest, AND (or juxtaposition) tighter, then - / NOT."""

    def __init__(self, text: str, make_term: Callable[[str | None, str], Predicate]):
        self.text = text
        self.tokens = tokenize_query(text)
        self.pos = 0
        self.make_term = make_term

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda record: True
        predicate = self.or_expr()
        if self.pos != len(self.tokens):
            raise bad_request(f"invalid query {self.text!r}: unexpected {self.tokens[self.pos][0]!r}")
        return predicate

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while self.peek() == "or":
            self.pos += 1
            left = _either(left, self.and_expr())
        return left

    def and_expr(self) -> Predicate:
        left = self.unary()
        while self.peek() not in (None, ")", "or"):
            if self.peek() == "and":
                self.pos += 1
            left = _both(left, self.unary())
        return left

    def unary(self) -> Predicate:
        kind = self.peek()
        if kind is None:
            raise bad_request(f"invalid query {self.text!r}: unexpected end")
        token = self.tokens[self.pos]
        self.pos += 1
        if kind in ("-", "not"):
            inner = self.unary()
            return lambda record: not inner(record)
        if kind == "(":
            inner = self.or_expr()
            if self.peek() != ")":
                raise bad_request(f"invalid query {self.text!r}: missing ')'")
            self.pos += 1
            return inner
        if kind == "term":
            return self.make_term(token[1], token[2])
        raise bad_request(f"invalid query {self.text!r}: unexpected {kind!r}")


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda record: left(record) or right(record)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda record: left(record) and right(record)


def numeric_term(value: str, names: dict, field: str) -> Predicate:
    """`status:closed`, `severity:>=2`: a number or a name, with an optional comparison."""
    match = re.fullmatch(r"(>=|<=|>|<)?(.+)", value)
    if not match:
        raise bad_request(f"invalid empty value for {field}")
    operator, operand = match.group(1) or "=", match.group(2).lower()
    try:
        number = names[operand] if operand in names else float(operand)
    except ValueError:
        raise bad_request(f"invalid value {value!r} for {field}") from None
    compare = {
        "=": lambda a: a == number,
        ">": lambda a: a > number,
        "<": lambda a: a < number,
        ">=": lambda a: a >= number,
        "<=": lambda a: a <= number,
    }[operator]
    return lambda record: compare(record.get(field, 0))


def incident_term(field: str | None, value: str) -> Predicate:
    key = (field or "name").lower()  # a bare term is taken as a name search
    if key == "name":
        return lambda incident: tokens_match(value, incident["name"])
    if key == "id":
        return lambda incident: incident["id"] == value
    if key == "status":
        return numeric_term(value, STATUS_NAMES, "status")
    if key == "severity":
        return numeric_term(value, SEVERITY_NAMES, "severity")
    return lambda incident: text_equals(lookup(incident, key), value)


def playbook_term(field: str | None, value: str) -> Predicate:
    key = (field or "name").lower()
    if key == "name":
        return lambda playbook: tokens_match(value, playbook["name"])
    return lambda playbook: text_equals(lookup(playbook, key), value)


def filter_predicate(flt: dict) -> Predicate:
    """The IncidentFilter fields the simulator honours; an empty list means no constraint.

    A non-empty `query` makes the server ignore every other filter field ("All other filters
    will be ignored when this filter is used", demisto/content SearchIncidentsV2).
    """
    if flt.get("query", "").strip():
        return QueryParser(flt["query"], incident_term).parse()
    query = QueryParser("", incident_term).parse()
    ids, names = flt.get("id"), flt.get("name")
    statuses, not_statuses = flt.get("status"), flt.get("notStatus")
    types, levels = [t.lower() for t in flt.get("type") or []], flt.get("level")

    name_matches = any_name_matches(names or [])

    def matches(incident: dict) -> bool:
        return (
            (not ids or incident["id"] in ids)
            and (not names or name_matches(incident["name"]))
            and (not statuses or incident["status"] in statuses)
            and (not not_statuses or incident["status"] not in not_statuses)
            and (not types or incident["type"].lower() in types)
            and (not levels or incident["severity"] in levels)
            and query(incident)
        )

    return matches


def sort_value(record: dict, field: str):
    """A sort key that orders numbers, ids and times by value and never compares mixed types."""
    value = record["id"] if field == "id" else lookup(record, field)
    if field == "id" and str(value).isdigit():
        return (0, int(value), "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    if isinstance(value, str):
        moment = parse_rfc3339(value)
        if moment is not None:
            return (0, moment.timestamp(), "")
        return (1, 0, value.lower())
    return (2, 0, "")


def sort_incidents(incidents: list, orders: list | None) -> list:
    """Default order: newest first. Ties fall back to the higher id first, for stable pages."""
    result = sorted(incidents, key=lambda inc: sort_value(inc, "id"), reverse=True)
    for order in reversed(orders or [{"field": "created", "asc": False}]):
        field = order.get("field") or "created"
        result.sort(key=lambda inc: sort_value(inc, field), reverse=not order.get("asc", False))
    return result


# ---------------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------------


class Store:
    """Incidents and the id counter, optionally persisted as JSON after every write."""

    def __init__(self, path: str | None):
        self.path = Path(path) if path else None
        self.incidents: dict = {}
        self.next_id = 1
        self.searchable_at: dict = {}  # id -> time.monotonic() when search finds it (index lag)
        self.war_rooms: dict = {}  # investigation id -> its entries, oldest first
        # id -> [(time.monotonic(), the incident then, or None once deleted)]: what a stale index shows
        self.history: dict = {}
        self.edits_due: dict = {}  # id -> time.monotonic() when a playbook changes the new incident
        self.playbooks: dict = {}  # investigation id -> its investigation playbook
        if self.path and self.path.exists():
            state = json.loads(self.path.read_text(encoding="utf-8"))
            self.incidents = {inc["id"]: inc for inc in state["incidents"]}
            self.next_id = state["next_id"]
            self.war_rooms = state.get("war_rooms", {})
            self.playbooks = state.get("playbooks", {})

    def new_id(self) -> str:
        incident_id = str(self.next_id)
        self.next_id += 1
        return incident_id

    def clear(self) -> None:
        self.incidents, self.next_id, self.searchable_at = {}, 1, {}
        self.war_rooms = {}
        self.history, self.edits_due = {}, {}
        self.playbooks = {}

    def indexed(self, stale: float = 0.0) -> list:
        """Incidents the search index has caught up with (loaded ones count as indexed); with `stale`
        seconds, each as it was that long ago (a deleted one too), or as first stored if younger."""
        now = time.monotonic()
        ids = list(dict.fromkeys([*self.incidents, *self.history])) if stale else list(self.incidents)
        found = []
        for incident_id in ids:
            if self.searchable_at.get(incident_id, 0) > now:
                continue
            incident = self.as_indexed(incident_id, now - stale) if stale else self.incidents[incident_id]
            if incident is not None:
                found.append(incident)
        return found

    def as_indexed(self, incident_id: str, moment: float) -> dict | None:
        history = self.history.get(incident_id)
        if not history:
            return self.incidents.get(incident_id)
        older = [snapshot for at, snapshot in history if at <= moment]
        return older[-1] if older else history[0][1]

    def record_changes(self) -> None:
        """Snapshot each incident that changed or went since its last snapshot (the stale index's history)."""
        now = time.monotonic()
        for incident_id, incident in self.incidents.items():
            history = self.history.setdefault(incident_id, [])
            if not history or history[-1][1] != incident:
                history.append((now, copy.deepcopy(incident)))
        for incident_id, history in self.history.items():
            if incident_id not in self.incidents and history[-1][1] is not None:
                history.append((now, None))

    def save(self) -> None:
        if self.path:
            state = {
                "next_id": self.next_id,
                "incidents": list(self.incidents.values()),
                "war_rooms": self.war_rooms,
                "playbooks": self.playbooks,
            }
            write_json_atomically(self.path, state)


def apply_incident_fields(incident: dict, data: dict, custom: dict) -> None:
    """Apply a create or update request's fields to a stored incident."""
    for field in CLIENT_FIELDS & data.keys():
        incident[field] = data[field]
    incident["type"] = incident["type"] or "Unclassified"
    incident["name"] = incident["name"][:MAX_NAME_LENGTH]
    incident["rawName"], incident["rawType"] = incident["name"], incident["type"]
    incident["CustomFields"].update(custom)
    if data.get("createInvestigation") and incident["status"] == STATUS_PENDING:
        incident["status"] = STATUS_ACTIVE
        incident["investigationId"] = incident["id"]


SERVER_LABEL_TYPES = ("Instance", "Brand")


def server_labels(data: dict) -> list:
    """The labels the server adds to a new incident: Instance and Brand (Kibana's xsoar.test.ts
    create answer; Palo Alto's XSOAR 8 examples). Appending them to the user's labels is inferred."""
    return [
        {"type": "Instance", "value": data.get("sourceInstance") or ""},
        {"type": "Brand", "value": data.get("sourceBrand") or "Manual"},
    ]


def merge_server_labels(given: list, kept: list) -> list:
    """The given labels, then those server labels whose type the given ones do not carry."""
    types = {label.get("type") for label in given if isinstance(label, dict)}
    return list(given) + [label for label in kept if label["type"] not in types]


def write_json_atomically(path: Path, obj) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(obj, handle, indent=1)
    os.replace(tmp, path)


OPTIONAL_SETTINGS = {"api_key_id", "drop_names", "close_names"}
# None: the deployment's default (index_lag, playbook_cost_ms, latency_ms) or off (the knobs)
NUMBER_SETTINGS = {"index_lag", "playbook_cost_ms", "latency_ms", "playbook_edit_after", "stale_index"}
INTEGER_SETTINGS = {"extra_playbooks"}
MAX_EXTRA_PLAYBOOKS = 10000


def setting_problem(name: str, value) -> str | None:
    """What is wrong with one setting's type or range, or None."""
    if name in NUMBER_SETTINGS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            return f"{name} must be a number of at least 0, or null"
    elif name in INTEGER_SETTINGS:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXTRA_PLAYBOOKS:
            return f"{name} must be an integer from 0 to {MAX_EXTRA_PLAYBOOKS}"
    elif name == "batch_needs_size":
        if not isinstance(value, bool):
            return f"{name} must be true or false"
    elif name == "page_cap":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            return f"{name} must be an integer of at least 1, or null"
    elif not (isinstance(value, str) or (value is None and name in OPTIONAL_SETTINGS)):
        return f"{name} must be a string"
    return None


@dataclasses.dataclass(frozen=True)
class Config:
    deployment: str
    api_key: str = dataclasses.field(repr=False)
    api_key_id: str | None = None
    api_key_type: str = "standard"
    drop_names: str | None = None
    index_lag: float | None = None
    extra_playbooks: int = 0
    playbook_cost_ms: float | None = None
    latency_ms: float | None = None
    # Knobs for behaviours the evidence makes likely but not certain; off by default (README, "Knobs").
    batch_needs_size: bool = False
    page_cap: int | None = None
    playbook_edit_after: float | None = None
    stale_index: float | None = None
    close_names: str | None = None

    @property
    def xsoar8(self) -> bool:
        return self.deployment != "xsoar6"

    @property
    def effective_index_lag(self) -> float:
        return DEFAULT_INDEX_LAG[self.deployment] if self.index_lag is None else self.index_lag

    @property
    def effective_playbook_cost_ms(self) -> float:
        return DEFAULT_PLAYBOOK_COST_MS if self.playbook_cost_ms is None else self.playbook_cost_ms

    def problem(self) -> str | None:
        for name, value in dataclasses.asdict(self).items():
            problem = setting_problem(name, value)
            if problem:
                return problem
        if self.deployment not in DEPLOYMENTS:
            return f"deployment must be one of {', '.join(DEPLOYMENTS)}"
        if self.api_key_type not in KEY_TYPES:
            return f"api_key_type must be one of {', '.join(KEY_TYPES)}"
        if not self.api_key:
            return "api_key must not be empty"
        if self.xsoar8 and not self.api_key_id:
            return "XSOAR 8 deployments need an api key id"
        if self.api_key_type == "advanced" and not self.xsoar8:
            return "advanced API keys exist on XSOAR 8 only"
        for name in ("drop_names", "close_names"):
            try:
                re.compile(getattr(self, name) or "")
            except re.error as err:
                return f"{name} is not a valid regular expression: {err}"
        return None

    def public(self) -> dict:
        return {
            "deployment": self.deployment,
            "api_key_id": self.api_key_id,
            "api_key_type": self.api_key_type,
            "drop_names": self.drop_names,
            "index_lag": self.effective_index_lag,
            "extra_playbooks": self.extra_playbooks,
            "playbook_cost_ms": self.effective_playbook_cost_ms,
            "latency_ms": self.latency_ms or 0,
            "batch_needs_size": self.batch_needs_size,
            "page_cap": self.page_cap,
            "playbook_edit_after": self.playbook_edit_after,
            "stale_index": self.stale_index,
            "close_names": self.close_names,
        }


FAULT_KINDS = {
    "status",
    "html",
    "empty",
    "malformed",
    "null_data",
    "drop",
    "slow",
    "echo_headers",
    "echo_key",
    "trickle",
}
ECHO_FORMATS = {"json": "application/json", "text": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8"}


def route_template(api_path: str | None) -> tuple:
    """(route path, path id): "/entry/upload/7" -> ("/entry/upload/{id}", "7"); other paths as they are."""
    if api_path is None:
        return None, None
    head, _slash, tail = api_path.rpartition("/")
    template = head + "/{id}"
    if head and tail and template in TEMPLATED_PATHS:
        return template, unquote(tail)
    return api_path, None


def endpoint_key(method: str, api_path: str | None, raw_path: str) -> str:
    """How stats name an endpoint: "POST /incident" (without the deployment's prefix when in the API)."""
    return f"{method} {api_path or urlsplit(raw_path).path}"


def parse_fault(spec) -> dict:
    """Validate one fault definition from the control API; return it with defaults filled in."""
    if not isinstance(spec, dict) or spec.get("kind") not in FAULT_KINDS:
        raise ValueError(f"a fault needs a kind among {sorted(FAULT_KINDS)}: {spec!r}")
    fault = {"method": None, "api_path": None, "times": 1, "after_store": False, **spec}
    if not isinstance(fault["times"], int) or isinstance(fault["times"], bool) or fault["times"] < 1:
        raise ValueError("times must be a positive integer")
    if fault["method"] is not None:
        fault["method"] = str(fault["method"]).upper()
    if fault["kind"] == "status" and not (isinstance(fault.get("status"), int) and 100 <= fault["status"] <= 599):
        raise ValueError("a status fault needs an HTTP status number")
    if fault["kind"] == "slow" and not isinstance(fault.get("delay"), (int, float)):
        raise ValueError("a slow fault needs a delay in seconds")
    if fault["kind"] == "echo_key":
        fault = {"status": 500, "format": "text", "prefix": 0, **fault}
        if fault["format"] not in ECHO_FORMATS or not isinstance(fault["prefix"], int) or fault["prefix"] < 0:
            raise ValueError(f"an echo_key fault needs a format among {sorted(ECHO_FORMATS)} and a prefix >= 0")
    if fault["kind"] == "trickle" and not (
        isinstance(fault.get("interval"), (int, float)) and 0 < fault["interval"] <= 10
    ):
        raise ValueError("a trickle fault needs an interval in seconds (at most 10)")
    return fault


def fault_reply(fault: dict, headers: dict, api_key: str = "") -> Reply:
    kind = fault["kind"]
    if kind == "echo_key":  # a hostile server that quotes the key after `prefix` characters
        text = "E" * fault["prefix"] + api_key + " and more text after the key" * 10
        if fault["format"] == "json":
            body = json.dumps({"id": "badRequest", "status": fault["status"], "title": "Echo", "detail": text})
        elif fault["format"] == "html":
            body = f"<html><body><p>{text}</p></body></html>"
        else:
            body = text
        return Reply(fault["status"], body.encode("utf-8"), ECHO_FORMATS[fault["format"]])
    if kind == "trickle":  # a valid empty search answer, a byte every `interval` seconds
        return Reply(
            200,
            json.dumps({"total": 0, "data": None}).encode("utf-8") + b" " * 200,
            "application/json",
            trickle=fault["interval"],
        )
    if kind == "drop":
        return DROP
    if kind == "html":
        return Reply(200, LOGIN_PAGE, "text/html; charset=utf-8")
    if kind == "empty":
        return Reply(200, b"", "application/json")
    if kind == "malformed":
        return Reply(200, b'{"total": 1, "data": [{"id": "1", "name": ', "application/json")
    if kind == "null_data":
        return json_reply(200, {"total": 0, "data": None})
    if kind == "echo_headers":  # a hostile server: clients must not print this body unredacted
        return json_reply(
            500,
            {
                "id": "internalError",
                "status": 500,
                "title": "Internal error",
                "detail": f"request headers were {json.dumps(headers)}",
                "headers": headers,
            },
        )
    extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else None
    body = fault.get("body")
    if body is None:
        return Reply(fault["status"], b"", None, extra)
    if isinstance(body, str):
        return Reply(fault["status"], body.encode("utf-8"), "text/plain; charset=utf-8", extra)
    return json_reply(fault["status"], body, extra)


def is_json_content_type(value: str | None) -> bool:
    """application/json, with or without parameters such as charset."""
    media_type = (value or "").split(";", 1)[0]
    return media_type.strip().lower() == "application/json"


def redact(headers: dict) -> dict:
    return {name: "<redacted>" if name.lower() in REDACTED_HEADERS else value for name, value in headers.items()}


def same_secret(given: str | None, expected: str | None) -> bool:
    if given is None or expected is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


# ---------------------------------------------------------------------------------------------
# The simulator: API, auth, faults, request log and control API, independent of HTTP plumbing.
# ---------------------------------------------------------------------------------------------


class Simulator:
    def __init__(self, config: Config, store: Store):
        self.config = config
        self.store = store
        self.lock = threading.RLock()
        self.faults: list = []
        self.requests: list = []
        self.nonces: dict = {}  # nonce -> time (s) after which it can be forgotten
        # requests being answered now, and the most at once since the request log was reset, per endpoint
        self.in_flight: dict = {}
        self.peak_in_flight: dict = {}
        # slow answers sleep on this; clearing the faults wakes them (faults_cleared counts the clearings)
        self.faults_changed = threading.Condition(self.lock)
        self.faults_cleared = 0

    def handle(self, method: str, raw_path: str, headers: dict, body: bytes) -> Reply:
        path = urlsplit(raw_path).path
        if path.startswith(CONTROL_PREFIX):
            return self.control(method, path[len(CONTROL_PREFIX) :], body)
        api_path = self.api_path(path)
        endpoint = endpoint_key(method, api_path, raw_path)
        with self.lock:
            self.in_flight[endpoint] = self.in_flight.get(endpoint, 0) + 1
            self.peak_in_flight[endpoint] = max(self.peak_in_flight.get(endpoint, 0), self.in_flight[endpoint])
        try:
            if self.config.latency_ms:  # a remote server: the network's round trip and the server's own work
                time.sleep(self.config.latency_ms / 1000)
            self.catch_up()
            fault = self.take_fault(method, api_path)
            reply = self.answer(method, path, api_path, headers, body, fault)
            self.catch_up()
            self.log(method, raw_path, api_path, headers, body, reply, fault)
            return reply
        finally:
            with self.faults_changed:
                self.in_flight[endpoint] -= 1
                self.faults_changed.notify_all()

    # --- routing and auth ---------------------------------------------------------------------

    def api_path(self, path: str) -> str | None:
        """The path without the deployment's API prefix; None when outside the API."""
        if not self.config.xsoar8:
            return path
        for prefix in (PUBLIC_PREFIX, LEGACY_PREFIX):
            if path.startswith(prefix + "/"):
                return path[len(prefix) :]
        return None

    def answer(self, method, path, api_path, headers, body, fault) -> Reply:
        if fault is None:
            return self.process(method, path, api_path, headers, body)
        if fault["kind"] == "slow":
            if fault["after_store"]:
                reply = self.process(method, path, api_path, headers, body)
                self.sleep_unless_cleared(fault["delay"])
                return reply
            self.sleep_unless_cleared(fault["delay"])
            return self.process(method, path, api_path, headers, body)
        if fault["after_store"]:
            self.process(method, path, api_path, headers, body)
        return fault_reply(fault, dict(headers), self.config.api_key)

    def catch_up(self) -> None:
        """The knobs' background work, done when a request comes: the playbook edits that are due, and the
        stale index's snapshots of what changed."""
        with self.lock:
            now = time.monotonic()
            for incident_id, due in list(self.store.edits_due.items()):
                if due <= now:
                    del self.store.edits_due[incident_id]
                    self.playbook_edit(self.store.incidents.get(incident_id))
            if self.config.stale_index:
                self.store.record_changes()

    def playbook_edit(self, incident: dict | None) -> None:
        """A playbook's task writes to a fresh incident (its version goes up): demisto/content PR #16726."""
        if incident is None or incident["status"] not in (STATUS_PENDING, STATUS_ACTIVE):
            return
        incident["version"] += 1
        incident["modified"] = now_rfc3339()
        incident["runStatus"] = "waiting"
        self.store.save()

    def sleep_unless_cleared(self, seconds: float) -> None:
        """A slow fault's wait, cut short when the faults are cleared: its client may have given up long ago."""
        with self.faults_changed:
            cleared = self.faults_cleared
            self.faults_changed.wait_for(lambda: self.faults_cleared != cleared, timeout=seconds)

    def clear_faults(self) -> None:
        """No more faults, and no answer still held by one: the slow answers in progress end now.

        Waits (at most 5 s) until the API requests in progress are answered and logged, so that a
        request log reset right after this does not receive them later.
        """
        with self.faults_changed:
            self.faults = []
            self.faults_cleared += 1
            self.faults_changed.notify_all()
            self.faults_changed.wait_for(lambda: not any(self.in_flight.values()), timeout=5)

    def process(self, method, path, api_path, headers, body) -> Reply:
        template, path_id = route_template(api_path)
        elsewhere = self.route_elsewhere(path, template)
        if elsewhere is not None:
            return elsewhere
        route = API_ROUTES.get((method, template))
        if route is None:
            return METHOD_NOT_ALLOWED
        denied = self.check_auth(headers)
        if denied:
            return denied
        json_route = route not in MULTIPART_ROUTES  # an upload is multipart: checked by request_data
        if (
            method == "POST"
            and self.config.xsoar8
            and json_route
            and not is_json_content_type(headers.get("Content-Type"))
        ):
            return UNSUPPORTED_MEDIA_TYPE
        try:
            data = request_data(route, method, headers, body)
            if path_id is None:
                return getattr(self, "api_" + route)(data)
            return getattr(self, "api_" + route)(data, path_id)
        except ApiError as err:
            return err.reply

    def route_elsewhere(self, path: str, api_path: str | None) -> Reply | None:
        """The answer for a path the simulated API does not serve, before any auth check."""
        if not self.config.xsoar8:
            if api_path in API_PATHS:
                return None
            # Real routes the simulator does not implement stay 404; the rest is the web app.
            return NOT_FOUND if api_path in PUBLIC_DOCUMENTED else WEB_APP
        if api_path is None:
            return ROOT_PATH_ERROR
        if path.startswith(PUBLIC_PREFIX + "/") and api_path not in PUBLIC_DOCUMENTED:
            return SEE_OTHER  # batchClose and about included
        if api_path not in API_PATHS:
            return NOT_FOUND if api_path in PUBLIC_DOCUMENTED else SEE_OTHER
        return None

    def check_auth(self, headers) -> Reply | None:
        config = self.config
        if not config.xsoar8:
            if same_secret(headers.get("Authorization"), config.api_key):
                return None
            return json_reply(
                403,
                {
                    "id": "forbidden",
                    "status": 403,
                    "title": "Forbidden",
                    "detail": "Issue with CSRF code",
                    "error": "http: named cookie not present",
                },
            )
        problem = self.xsoar8_auth_problem(config, headers)
        if problem is None:
            return None
        # XSOAR 8's 401 says nothing more, err_extra null (xsoar-api.md "Real servers, round 3",
        # moderate-strong; the same text for a standard/advanced key mismatch): the reason is logged only
        body = {"reply": {"err_code": 401, "err_msg": "Public API request unauthorized", "err_extra": None}}
        return json_reply(401, body)._replace(denied=problem)

    def xsoar8_auth_problem(self, config: Config, headers) -> str | None:
        if not headers.get("x-xdr-auth-id"):
            return "Missing x-xdr-auth-id header"
        if not same_secret(headers.get("x-xdr-auth-id"), config.api_key_id):
            return "Invalid API key ID or API key"
        if config.api_key_type == "standard":
            if same_secret(headers.get("Authorization"), config.api_key):
                return None
            return "Invalid API key ID or API key"
        return self.advanced_key_problem(config, headers)

    def advanced_key_problem(self, config: Config, headers) -> str | None:
        timestamp = headers.get("x-xdr-timestamp") or ""
        nonce = headers.get("x-xdr-nonce") or ""
        if not TIMESTAMP_RE.fullmatch(timestamp):
            return "Missing or invalid x-xdr-timestamp header"
        if abs(time.time() * 1000 - int(timestamp)) > MAX_CLOCK_SKEW_MS:
            return "Request timestamp is more than 5 minutes off"
        if not NONCE_RE.fullmatch(nonce):
            return "x-xdr-nonce must be 64 letters and digits"
        expected = hashlib.sha256((config.api_key + nonce + timestamp).encode("utf-8")).hexdigest()
        if not same_secret(headers.get("Authorization"), expected):
            return "Invalid API key ID or API key"
        with self.lock:
            now = time.time()
            self.nonces = {n: until for n, until in self.nonces.items() if until > now}
            if nonce in self.nonces:
                return "Nonce was already used"
            self.nonces[nonce] = now + 2 * MAX_CLOCK_SKEW_MS / 1000
        return None

    # --- API endpoints ------------------------------------------------------------------------

    def api_about(self, _data) -> Reply:
        about = ABOUT[self.config.deployment]
        if not self.config.xsoar8:  # XSOAR 6 sends JSON labelled text/plain (demisto-py README)
            return Reply(200, json.dumps(about).encode("utf-8"), "text/plain; charset=utf-8")
        return json_reply(200, about)

    def api_create_or_update(self, body) -> Reply:
        data = decode_definition(body, "CreateIncidentRequest")
        custom = {**data.pop("customFields", {}), **data.pop("CustomFields", {})}
        if self.config.xsoar8 and not data.get("name"):
            raise bad_request("name is required")
        if "severity" in data and data["severity"] not in SEVERITIES:
            raise bad_request(f"severity must be 0, 0.5, 1, 2, 3 or 4, not {data['severity']}")
        if data.get("playbookId") and data["playbookId"] not in {pb["id"] for pb in self.playbooks()}:
            raise create_error(f"playbook with id {data['playbookId']!r} was not found")
        if data.get("id"):
            return self.update_incident(data, custom)
        return self.create_incident(data, custom)

    def create_incident(self, data: dict, custom: dict) -> Reply:
        drop = self.config.drop_names
        if drop is not None and re.search(drop, data.get("name", "")):
            return Reply(200)  # a pre-processing rule dropped it: 200, no content, nothing stored
        with self.lock:
            incident = self.store_new(data, custom, self.config.effective_index_lag)
            self.pre_process(incident)
            if self.config.playbook_edit_after is not None and data.get("createInvestigation"):
                self.store.edits_due[incident["id"]] = time.monotonic() + self.config.playbook_edit_after
            answer = copy.deepcopy(incident)
            self.store.save()
        if self.config.deployment == "xsoar6":
            return json_reply(200, answer)
        if self.config.deployment == "xsoar8-saas":
            del answer["id"]  # real SaaS quirk: clients must find the new incident by name
        return json_reply(201, answer)

    def pre_process(self, incident: dict) -> None:
        """--close-names: a pre-process rule (Close, Link and close) closes a new incident at birth, and the
        create's answer shows it closed (XSOAR 6.6 admin guide, "Rule actions for pre-process rules")."""
        rule = self.config.close_names
        if rule is not None and re.search(rule, incident["name"]):
            notes = {"closeReason": "Other", "closeNotes": "Closed by a pre-process rule"}
            self.close_incident(incident, notes, now_rfc3339())

    def store_new(self, data: dict, custom: dict, index_lag: float) -> dict:
        """Store a new incident (under self.lock); searches find it after `index_lag` seconds."""
        now = now_rfc3339()
        xsoar8 = self.config.xsoar8
        incident = {
            "id": self.store.new_id(),
            "version": 0 if xsoar8 else 1,
            "name": "",
            "rawName": "",
            "type": "Unclassified",
            "rawType": "",
            "severity": 0,
            "status": STATUS_PENDING,
            "investigationId": "",
            "playbookId": "",
            "created": now,
            "modified": EPOCH_TIME if xsoar8 else now,
            "occurred": now,
            "closed": GO_ZERO_TIME,
            "labels": [],
            "CustomFields": {},
            "owner": "",
            "details": "",
            "closeReason": "",
            "closeNotes": "",
        }
        apply_incident_fields(incident, data, custom)
        incident["labels"] = merge_server_labels(incident["labels"], server_labels(data))
        self.store.incidents[incident["id"]] = incident
        self.start_playbook(incident)
        self.store.searchable_at[incident["id"]] = time.monotonic() + index_lag
        return incident

    def update_incident(self, data: dict, custom: dict) -> Reply:
        with self.lock:
            incident = self.store.incidents.get(data["id"])
            if incident is None:
                raise create_error(f"could not find incident with id {data['id']!r}")
            version = data.get("version", 0)
            if version != -1 and version != incident["version"]:
                raise self.version_conflict(incident, version)
            kept = [
                label
                for label in incident["labels"]
                if isinstance(label, dict) and label.get("type") in SERVER_LABEL_TYPES
            ]
            apply_incident_fields(incident, data, custom)
            self.start_playbook(incident)
            if "labels" in data:  # the server's own labels survive an update that omits them
                incident["labels"] = merge_server_labels(incident["labels"], kept)
            incident["version"] += 1
            incident["modified"] = now_rfc3339()
            self.store.save()
            # XSOAR 8's create-or-update page documents 201 (and no 200 with the incident).
            return json_reply(201 if self.config.xsoar8 else 200, incident)

    def version_conflict(self, incident: dict, version) -> ApiError:
        detail = (
            f"DB version conflict: incident {incident['id']} has version "
            f"{incident['version']}, the request has version {version}"
        )
        if self.config.xsoar8:  # the XSOAR 8 page documents 200, 201, 400 and 500 only
            return ApiError(400, "incCreateErr", "Failed creating incident", detail, "[DB version conflict]")
        return ApiError(409, "conflict", "Conflict", detail, "[DB version conflict]")

    def api_search(self, body) -> Reply:
        data = decode_definition(body, "SearchIncidentsData")
        flt = data.get("filter", {})
        size, page = flt.get("size", 0), flt.get("page", 0)
        if size < 0 or page < 0:
            raise bad_request("page and size must not be negative")
        # --page-cap: a server whose pages are smaller than the size asked (caps are unpublished)
        size = min(size, MAX_SEARCH_SIZE, self.config.page_cap or MAX_SEARCH_SIZE)
        with self.lock:
            matches = self.matching(flt)
            page_items = sort_incidents(matches, flt.get("sort"))[page * size : (page + 1) * size]
            return json_reply(200, {"total": len(matches), "data": page_items or None})

    def matching(self, flt: dict) -> list:
        """Incidents a filter finds: only those the search index has caught up with."""
        predicate = filter_predicate(flt)
        return [inc for inc in self.store.indexed(self.config.stale_index or 0.0) if predicate(inc)]

    def batch_targets(self, data: dict):
        """Incidents a batch call affects: its ids, else (with `filter` or `all`) the filter's
        matches; and how many of the given ids do not exist.

        Without `filter` the call fails with 500, as `ids`-only batch calls did on live XSOAR 6
        and 8 servers (cortex-ps-toolkit content-probe.md); every real client sends one.
        """
        if "filter" not in data:
            raise ApiError(500, "internalError", "Internal server error", "batch request without a filter")
        size = data["filter"].get("size")
        if self.config.batch_needs_size and not (isinstance(size, int) and size > 0):
            return [], 0  # --batch-needs-size: 200, and nothing happens (the swagger: size 0 means no results)
        ids = list(dict.fromkeys(data.get("ids") or []))
        if ids:
            found = [self.store.incidents[i] for i in ids if i in self.store.incidents]
            return found, len(ids) - len(found)
        return self.matching(data["filter"]), 0

    def api_batch_close(self, body) -> Reply:
        data = decode_definition(body, "UpdateDataBatch")
        now = now_rfc3339()
        with self.lock:
            targets, not_updated = self.batch_targets(data)
            for incident in targets:
                self.close_incident(incident, data, now)
            self.store.save()
            return json_reply(200, {"total": len(targets), "data": targets or None, "notUpdated": not_updated})

    def api_close(self, body) -> Reply:
        """Close one incident by id (`{id, version?, closeReason, closeNotes, CustomFields}`).

        Not in the swagger file; the XSOAR 8 API reference lists it under the public prefix.
        Its body beyond `id` is assumed from the reference; a given `version` must be current.
        """
        schema = {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "version": {"type": "integer"},
                "closeReason": {"type": "string"},
                "closeNotes": {"type": "string"},
                "CustomFields": {"type": "object"},
            },
        }
        data = decode(body, schema, "CloseIncident")
        if not data.get("id"):
            raise bad_request("id is required")
        now = now_rfc3339()
        with self.lock:
            incident = self.store.incidents.get(data["id"])
            if incident is None:
                raise bad_request(f"could not find incident with id {data['id']!r}")
            version = data.get("version", -1)
            if version != -1 and version != incident["version"]:
                raise self.version_conflict(incident, version)
            self.close_incident(incident, data, now)
            self.store.save()
            return json_reply(200, incident)

    def close_incident(self, incident: dict, data: dict, now: str) -> None:
        incident.update(
            status=STATUS_CLOSED,
            closed=now,
            modified=now,
            closeReason=data.get("closeReason", ""),
            closeNotes=data.get("closeNotes", ""),
            version=incident["version"] + 1,
        )
        incident["CustomFields"].update(data.get("CustomFields", {}))

    def api_load(self, _data, incident_id: str) -> Reply:
        """GET /incident/load/{id}: the stored incident as it is now, never the search index's copy.

        XSOAR 8's public API documents it; Palo Alto's XSOAR Mirroring integration and xsoar-cli call
        it before every update (XSOAR 6 and 8). The answer for an unknown id is not published: 400
        like the simulator's other calls by id (assumed).
        """
        with self.lock:
            incident = self.store.incidents.get(incident_id)
            if incident is None:
                raise bad_request(f"could not find incident with id {incident_id!r}")
            return json_reply(200, incident)

    def api_batch_delete(self, body) -> Reply:
        data = decode_definition(body, "UpdateDataBatch")
        with self.lock:
            targets, not_updated = self.batch_targets(data)
            for incident in targets:
                del self.store.incidents[incident["id"]]
                self.store.playbooks.pop(incident["investigationId"], None)
            self.store.save()
            return json_reply(200, {"total": len(targets), "data": targets or None, "notUpdated": not_updated})

    def api_playbook_search(self, body) -> Reply:
        schema = {
            "type": "object",
            "properties": {"query": {"type": "string"}, "page": {"type": "integer"}, "size": {"type": "integer"}},
        }
        data = decode(body, schema, "PlaybookSearch")
        size, page = data.get("size", 0), data.get("page", 0)
        if size < 0 or page < 0:
            raise bad_request("page and size must not be negative")
        predicate = QueryParser(data.get("query", ""), playbook_term).parse()
        matches = [pb for pb in self.playbooks() if predicate(pb)]
        # Without size (Kibana sends {}) the whole list comes back, as on real servers.
        playbooks = matches[page * size : (page + 1) * size] if size else matches
        # A real server spends its time per playbook it returns (30-90 s for a full big tenant).
        time.sleep(len(playbooks) * self.config.effective_playbook_cost_ms / 1000)
        tags = sorted({tag for pb in playbooks for tag in pb["tags"]}, key=str.lower)
        return json_reply(200, {"playbooks": playbooks, "tags": tags, "total": len(matches)})

    def playbooks(self) -> list:
        return tenant_playbooks(self.config.extra_playbooks)

    # --- incident fields, types and investigation playbooks (issue 22) ------------------------

    def api_incident_fields(self, _data) -> Reply:
        return json_reply(200, INCIDENT_FIELDS)

    def api_incident_types(self, _data) -> Reply:
        return json_reply(200, INCIDENT_TYPES)

    def start_playbook(self, incident: dict) -> None:
        """An investigation with a playbook runs it (under self.lock): its tasks exist from then on."""
        investigation = incident["investigationId"]
        if investigation and incident["playbookId"] and investigation not in self.store.playbooks:
            self.store.playbooks[investigation] = new_investigation_playbook(incident)

    def investigation_playbook(self, investigation_id: str) -> dict:
        """The investigation's playbook; 400 "Could not find investigation" as for war room calls."""
        playbook = self.store.playbooks.get(investigation_id)
        if playbook is None:
            raise bad_request(f"Could not find investigation {investigation_id!r}")
        return playbook

    def api_investigation_playbook(self, _data, investigation_id: str) -> Reply:
        with self.lock:
            return json_reply(200, public_playbook(self.investigation_playbook(investigation_id)))

    def api_complete_task(self, body) -> Reply:
        """Complete a waiting task; a condition goes on down the branch named by `input`.

        Strict where real servers are not documented: only a Waiting task can be completed (the
        taskComplete command answers "Task is completed already" for a completed one, demisto/content
        WaitAndCompleteTask_test.py), and a condition's `input` must be one of its branch labels.
        """
        data = decode(body, TASK_INFO_SCHEMA, "invTaskInfo")
        with self.lock:
            playbook = self.investigation_playbook(data.get("invId", ""))
            task = playbook["tasks"].get(data.get("inTaskID", ""))
            if task is None:
                raise bad_request(f"Task {data.get('inTaskID')!r} not found in investigation {playbook['id']}")
            if task["state"] == TASK_COMPLETED:
                raise bad_request("Task is completed already")
            if task["state"] != TASK_WAITING:
                raise bad_request(f"Task {task['id']} cannot be completed in state {task['state']!r}")
            branch = data.get("input", "")
            if task["type"] == "condition" and branch not in task["nextTasks"]:
                labels = ", ".join(sorted(task["nextTasks"]))
                raise bad_request(f"Task {task['id']} has no branch {branch!r} (branches: {labels})")
            now = now_rfc3339()
            task["completedBy"] = "admin"
            if data.get("comment"):
                task["comments"] = True
            finish_task(playbook, task, branch if task["type"] == "condition" else NEXT_STEP, now)
            playbook["state"] = playbook_state(playbook)
            playbook["version"] += 1
            self.store.save()
            return json_reply(200, public_playbook(playbook))

    # --- faults and request log ---------------------------------------------------------------

    # --- the war room ------------------------------------------------------------------------
    # xsoar-api.md, "Real servers, round 3", "War room" (strong for XSOAR 6, moderate for XSOAR 8's
    # legacy prefix): the investigation id is the incident id; an incident created without an
    # investigation has investigationId "" and entry calls answer 400 "Could not find investigation";
    # an entry on a closed investigation answers 412; entry ids look like <n>@<investigation id>.

    def investigation(self, investigation_id: str) -> dict:
        """The incident whose investigation this is (under self.lock), or 400 as real servers answer."""
        incident = self.store.incidents.get(str(investigation_id))
        if incident is None or incident.get("investigationId") != incident["id"]:
            raise bad_request(f"Could not find investigation {investigation_id}")
        return incident

    def open_investigation(self, investigation_id: str) -> dict:
        """As investigation(), and 412 when it is closed (the body is assumed: not published)."""
        incident = self.investigation(investigation_id)
        if incident["status"] in CLOSED_STATUSES:
            raise ApiError(
                412, "investigationClosed", "Precondition Failed", f"Investigation {investigation_id} is closed"
            )
        return incident

    def add_entry(self, incident: dict, contents: str, entry_format: str, **fields) -> dict:
        """Append an entry to an investigation's war room (under self.lock); the stored entry."""
        entries = self.store.war_rooms.setdefault(incident["id"], [])
        now = now_rfc3339()
        entry = {
            "id": f"{len(entries) + 1}@{incident['id']}",
            "investigationId": incident["id"],
            "type": ENTRY_TYPE_NOTE,
            "contents": contents,
            "format": entry_format,
            "note": False,
            "tags": [],
            "file": "",
            "fileID": "",
            "created": now,
            "modified": now,
            "version": 1,
            "user": "",
            **fields,
        }
        entries.append(entry)
        return entry

    def stored_entry(self, data: dict) -> dict:
        """The entry a note or tags request names by `id` and `investigationId` (under self.lock)."""
        incident = self.open_investigation(data.get("investigationId", ""))
        for entry in self.store.war_rooms.get(incident["id"], []):
            if entry["id"] == data.get("id"):
                version = data.get("version", -1)
                if version not in (-1, entry["version"]):
                    raise bad_request(f"entry {entry['id']} has version {entry['version']}, not {version}")
                return entry
        raise bad_request(f"Could not find entry {data.get('id')!r}")

    def api_investigate(self, body) -> Reply:
        """Start an incident's investigation (`{id, version}`; documented on XSOAR 8's public prefix).

        Real servers then run the incident's playbook; the simulator starts its investigation playbook.
        """
        schema = {"type": "object", "properties": {"id": {"type": "string"}, "version": {"type": "integer"}}}
        data = decode(body, schema, "InvestigateIncident")
        with self.lock:
            incident = self.store.incidents.get(data.get("id") or "")
            if incident is None:
                raise bad_request(f"could not find incident with id {data.get('id')!r}")
            version = data.get("version", -1)
            if version != -1 and version != incident["version"]:
                raise self.version_conflict(incident, version)
            if incident["status"] in CLOSED_STATUSES:
                raise ApiError(412, "incidentClosed", "Precondition Failed", f"Incident {incident['id']} is closed")
            if incident["investigationId"] != incident["id"]:
                incident.update(status=STATUS_ACTIVE, investigationId=incident["id"], modified=now_rfc3339())
                incident["version"] += 1
                self.start_playbook(incident)
            self.store.save()
            return json_reply(200, {"id": incident["id"], "version": incident["version"]})

    def api_entry(self, body) -> Reply:
        """A text entry (`updateEntry`: investigationId, data, markdown)."""
        data = decode_definition(body, "updateEntry")
        if not data.get("data"):
            raise bad_request("data is empty")
        entry_format = "markdown" if data.get("markdown") else "text"
        with self.lock:
            incident = self.open_investigation(data.get("investigationId", ""))
            entry = self.add_entry(incident, data["data"], entry_format)
            self.store.save()
            return json_reply(200, entry)

    def api_entry_formatted(self, body) -> Reply:
        """An entry in a given format (`uploadedEntry`: investigationId, contents, format)."""
        data = decode_definition(body, "uploadedEntry")
        if not data.get("contents"):
            raise bad_request("contents is empty")
        with self.lock:
            incident = self.open_investigation(data.get("investigationId", ""))
            entry = self.add_entry(incident, data["contents"], data.get("format") or "text")
            self.store.save()
            return json_reply(200, entry)

    def api_entry_note(self, body) -> Reply:
        """Mark an entry as a note, or not (`updateEntry`: id, investigationId, data "true"/"false")."""
        data = decode_definition(body, "updateEntry")
        with self.lock:
            entry = self.stored_entry(data)
            entry.update(note=data.get("data") == "true", modified=now_rfc3339(), version=entry["version"] + 1)
            self.store.save()
            return json_reply(200, entry)

    def api_entry_tags(self, body) -> Reply:
        """Set an entry's tags (`updateEntryTags`: id, investigationId, tags)."""
        data = decode_definition(body, "updateEntryTags")
        with self.lock:
            entry = self.stored_entry(data)
            entry.update(tags=list(data.get("tags") or []), modified=now_rfc3339(), version=entry["version"] + 1)
            self.store.save()
            return json_reply(200, entry)

    def api_entry_upload(self, form: dict, incident_id: str) -> Reply:
        """A file entry (multipart `file`, optional `fileComment`, `isNoteEntry`, `tags` comma-separated).

        Answers the investigation with its entries; each file entry carries `fileMetadata`.
        """
        name, content = uploaded_file(form)
        tags = [tag.strip() for tag in str(form.get("tags") or "").split(",") if tag.strip()]
        with self.lock:
            incident = self.open_investigation(incident_id)
            self.add_entry(
                incident,
                str(form.get("fileComment") or ""),
                "text",
                type=ENTRY_TYPE_FILE,
                file=name,
                fileID=hashlib.sha1(f"{incident_id}/{time.time_ns()}/{name}".encode()).hexdigest(),
                fileMetadata=file_metadata(content),
                note=form.get("isNoteEntry") == "true",
                tags=tags,
            )
            self.store.save()
            return json_reply(200, {"id": incident["id"], "entries": self.store.war_rooms[incident["id"]]})

    def api_incident_upload(self, form: dict, incident_id: str) -> Reply:
        """A file into an incident's attachment field (multipart `file`, `fileName`, `fileComment`,
        `field` default `attachment`); documented on XSOAR 8's public prefix. Answers the incident.

        Assumed: a field other than `attachment` is a custom field holding a list of attachments;
        the incident's status does not matter (an attachment is a field, not a war-room entry).
        """
        name, content = uploaded_file(form)
        field = str(form.get("field") or "attachment")
        attachment = {
            "name": str(form.get("fileName") or name),
            "path": f"{incident_id}_{hashlib.sha1(content).hexdigest()}",
            "type": "application/octet-stream",
            "description": str(form.get("fileComment") or ""),
            "showMediaFile": form.get("showMediaFile") == "true",
        }
        with self.lock:
            incident = self.store.incidents.get(incident_id)
            if incident is None:
                raise bad_request(f"could not find incident with id {incident_id!r}")
            if field == "attachment":
                incident["attachment"] = list(incident.get("attachment") or []) + [attachment]
            else:
                incident["CustomFields"][field] = list(incident["CustomFields"].get(field) or []) + [attachment]
            incident["version"] += 1
            incident["modified"] = now_rfc3339()
            self.store.save()
            return json_reply(200, incident)

    def api_investigation(self, body, investigation_id: str) -> Reply:
        """Read a war room (`{pageSize, fromTime, categories, tags}`): the investigation with its entries.

        Assumed where nothing is published: entries oldest first, those created at or after
        `fromTime`, at most `pageSize` of them (0 or none: all); `tags` keeps entries with one of them.
        """
        schema = {
            "type": "object",
            "properties": {
                "pageSize": {"type": "integer"},
                "fromTime": {"type": "string", "format": "date-time"},
                "categories": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        }
        data = decode(body, schema, "InvestigationFilter")
        with self.lock:
            incident = self.investigation(investigation_id)
            entries = self.store.war_rooms.get(incident["id"], [])
        since = parse_rfc3339(data["fromTime"]) if data.get("fromTime") else None
        if since is not None:
            entries = [entry for entry in entries if parse_rfc3339(entry["created"]) >= since]
        if data.get("tags"):
            entries = [entry for entry in entries if set(entry["tags"]) & set(data["tags"])]
        if data.get("pageSize"):
            entries = entries[: data["pageSize"]]
        investigation = {
            "id": incident["id"],
            "name": incident["name"],
            "status": 1 if incident["status"] in CLOSED_STATUSES else 0,
            "entries": entries or None,
        }
        return json_reply(200, investigation)

    def take_fault(self, method: str, api_path: str | None) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault["method"] not in (None, method):
                    continue
                if fault["api_path"] not in (None, api_path, route_template(api_path)[0]):
                    continue
                fault["times"] -= 1
                if fault["times"] == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def log(self, method, raw_path, api_path, headers, body, reply, fault) -> None:
        try:
            logged_body = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            logged_body = body.decode("utf-8", "replace")
        entry = {
            "time": now_rfc3339(),
            "method": method,
            "path": raw_path,
            "api_path": api_path,
            "status": reply.status or None,
            "write": api_path is not None and (method, route_template(api_path)[0]) in WRITE_ENDPOINTS,
            "body": logged_body,
            "headers": redact(dict(headers)),
            "fault": fault["kind"] if fault else None,
            "denied": reply.denied,
        }
        with self.lock:
            self.requests.append(entry)

    def stats(self) -> dict:
        by_endpoint: dict = {}
        for entry in self.requests:
            key = endpoint_key(entry["method"], entry["api_path"], entry["path"])
            by_endpoint[key] = by_endpoint.get(key, 0) + 1
        return {
            "total": len(self.requests),
            "writes": sum(1 for entry in self.requests if entry["write"]),
            "by_endpoint": by_endpoint,
            "peak_in_flight": dict(self.peak_in_flight),
        }

    # --- control API --------------------------------------------------------------------------

    def control(self, method: str, name: str, body: bytes) -> Reply:
        handler = {
            ("GET", "incidents"): lambda _: self.catch_up() or {"incidents": list(self.store.incidents.values())},
            ("POST", "incidents"): self.control_seed,
            ("GET", "war_rooms"): lambda _: {"war_rooms": self.store.war_rooms},
            ("GET", "requests"): lambda _: {"requests": self.requests},
            ("GET", "stats"): lambda _: self.stats(),
            ("POST", "reset"): self.control_reset,
            ("GET", "faults"): lambda _: {"faults": self.faults},
            ("POST", "faults"): self.control_add_faults,
            ("DELETE", "faults"): self.control_clear_faults,
            ("GET", "config"): lambda _: self.config.public(),
            ("POST", "config"): self.control_config,
        }.get((method, name))
        if handler is None:
            return json_reply(404, {"error": f"no control endpoint {method} {CONTROL_PREFIX}{name}"})
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(data, dict):
                raise ValueError("the body must be a JSON object")
            with self.lock:
                return json_reply(200, copy.deepcopy(handler(data)))
        except ValueError as err:
            return json_reply(400, {"error": str(err)})

    def control_reset(self, data: dict) -> dict:
        parts = {"incidents", "requests", "faults", "nonces"}
        unknown = set(data) - parts
        if unknown:
            raise ValueError(f"unknown reset parts: {sorted(unknown)}")
        chosen = {part for part in parts if data.get(part)} if data else parts
        if "faults" in chosen:  # first: the answers it ends are logged before the log is reset
            self.clear_faults()
        if "incidents" in chosen:
            self.store.clear()
            self.store.save()
        if "requests" in chosen:
            self.requests = []
            with self.lock:
                self.peak_in_flight = {}
        if "nonces" in chosen:
            self.nonces = {}
        return {"reset": sorted(chosen)}

    def control_seed(self, data: dict) -> dict:
        """Store incidents as if created long ago (already indexed), for a test's fixtures.

        Each item is a create request; `"closed": true` also closes it (reason `closeReason`),
        after all items are stored, so the closed ones are the last modified.
        """
        items = data.get("incidents")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ValueError('expected {"incidents": [{"name": ...}, ...]}')
        requests, to_close = [], []
        for item in items:
            item = dict(item)
            closed = item.pop("closed", False)
            try:
                requests.append(decode_definition(item, "CreateIncidentRequest"))
            except ApiError as err:
                raise ValueError(str(err)) from None
            to_close.append(closed is True)
        stored = []
        for request in requests:
            custom = {**request.pop("customFields", {}), **request.pop("CustomFields", {})}
            stored.append(self.store_new(request, custom, 0))
        for incident, request, closed in zip(stored, requests, to_close):
            if closed:
                self.close_incident(incident, request, now_rfc3339())
        self.store.save()
        return {"incidents": stored}

    def control_add_faults(self, data: dict) -> dict:
        specs = data.get("faults")
        if not isinstance(specs, list):
            raise ValueError('expected {"faults": [...]}')
        self.faults.extend(parse_fault(spec) for spec in specs)
        return {"faults": self.faults}

    def control_clear_faults(self, _data: dict) -> dict:
        self.clear_faults()
        return {"faults": []}

    def control_config(self, data: dict) -> dict:
        allowed = {
            "deployment",
            "api_key",
            "api_key_id",
            "api_key_type",
            "drop_names",
            "index_lag",
            "extra_playbooks",
            "playbook_cost_ms",
            "latency_ms",
            "batch_needs_size",
            "page_cap",
            "playbook_edit_after",
            "stale_index",
            "close_names",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        config = dataclasses.replace(self.config, **data)
        problem = config.problem()
        if problem:
            raise ValueError(problem)
        self.config = config
        return config.public()


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers and requests.Session use it
    timeout = 120  # forget idle keep-alive connections eventually

    def setup(self):
        # Without TCP_NODELAY every keep-alive request waits 40 ms for a delayed ACK.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()  # also applies the timeout, which then bounds the TLS handshake
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # in this thread, not in the accept loop

    def handle_any(self):
        body = self.read_body()
        if body is None:
            self.send_reply(text_reply(400, "400 Bad Request: invalid body framing\n"))
            self.close_connection = True
            return
        reply = self.server.simulator.handle(self.command, self.path, self.headers, body)
        if reply is DROP:
            self.close_connection = True
            return
        self.send_reply(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit():
            return None
        return self.rfile.read(int(length))

    def read_chunked(self) -> bytes | None:
        parts = []
        while True:
            try:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # skip trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()

    def send_reply(self, reply: Reply) -> None:
        self.send_response_only(reply.status)
        self.send_header("Date", self.date_time_string())
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in (reply.headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.trickle:
            self.wfile.flush()
            for index in range(len(reply.body)):
                time.sleep(reply.trickle)
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()
        else:
            self.wfile.write(reply.body)
        self.log_request(reply.status)

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        if not self.server.quiet:
            sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


class SimulatorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, simulator: Simulator, quiet: bool):
        super().__init__(address, Handler)
        self.simulator = simulator
        self.quiet = quiet

    def handle_error(self, request, client_address):
        # Clients that hang up or refuse the self-signed certificate are part of the tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


# ---------------------------------------------------------------------------------------------
# TLS certificate
# ---------------------------------------------------------------------------------------------


def san_names(host: str):
    """(DNS names, IP addresses) the certificate is valid for."""
    dns, ips = ["localhost"], ["127.0.0.1"]
    if host not in ("", "0.0.0.0", "::"):
        try:
            ipaddress.ip_address(host)
            ips.append(host)
        except ValueError:
            dns.append(host)
    return sorted(set(dns)), sorted(set(ips))


def ensure_certificate(cert_dir: Path, host: str) -> tuple:
    """cert.pem and key.pem in cert_dir; existing ones are reused so clients keep trusting them."""
    cert, key = cert_dir / "cert.pem", cert_dir / "key.pem"
    if not (cert.exists() and key.exists()):
        cert_dir.mkdir(parents=True, exist_ok=True)
        try:
            make_certificate_with_cryptography(cert, key, host)
        except ImportError:
            make_certificate_with_openssl(cert, key, host)
    return cert, key


def make_certificate_with_cryptography(cert_path: Path, key_path: Path, host: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    dns, ips = san_names(host)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xsoar-simulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    # Self-signed and marked as a CA, so that the file works as a client's CA bundle.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(key_id, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(key_id), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(str(key_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def make_certificate_with_openssl(cert_path: Path, key_path: Path, host: str) -> None:
    dns, ips = san_names(host)
    san = ",".join([f"DNS:{n}" for n in dns] + [f"IP:{i}" for i in ips])
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "30",
            "-subj",
            "/CN=xsoar-simulator",
            "-keyout",
            str(key_path),
            "-out",
            str(cert_path),
            "-addext",
            f"subjectAltName={san}",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyCertSign",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ],
        check=True,
        capture_output=True,
    )


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Cortex XSOAR REST API simulator")
    parser.add_argument("--deployment", required=True, choices=DEPLOYMENTS)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--api-key-id", help="the key's id (XSOAR 8: sent as x-xdr-auth-id)")
    parser.add_argument("--api-key-type", choices=KEY_TYPES, default="standard")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the URL, port, pid and CA path here as JSON")
    parser.add_argument("--state-file", help="persist incidents here across restarts")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed cert")
    parser.add_argument("--cert-dir", help="where cert.pem and key.pem are kept (with --tls)")
    parser.add_argument(
        "--client-ca", metavar="PEM", help="with --tls: require a client certificate signed by this CA (mutual TLS)"
    )
    parser.add_argument(
        "--drop-names", metavar="REGEX", help="creates whose name matches are answered 200 empty, not stored"
    )
    parser.add_argument(
        "--index-lag",
        type=float,
        metavar="SECONDS",
        help="seconds before a new incident shows in searches (default: 5 on xsoar8-saas, 0 elsewhere)",
    )
    parser.add_argument(
        "--extra-playbooks",
        type=int,
        default=0,
        metavar="N",
        help="add N generated playbooks (a big tenant: 1000-2300)",
    )
    parser.add_argument(
        "--playbook-cost-ms",
        type=float,
        metavar="MS",
        help=f"milliseconds /playbook/search spends per playbook it returns (default {DEFAULT_PLAYBOOK_COST_MS:g})",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        metavar="MS",
        help="milliseconds every API request waits before it is handled (a remote server; default 0)",
    )
    parser.add_argument(
        "--batch-needs-size",
        action="store_true",
        help="batchClose/batchDelete without a positive filter size answer 200 and do nothing",
    )
    parser.add_argument("--page-cap", type=int, metavar="N", help="search pages hold at most N incidents")
    parser.add_argument(
        "--playbook-edit-after",
        type=float,
        metavar="SECONDS",
        help="a create with createInvestigation is changed (version + 1) this long after it, as by its playbook",
    )
    parser.add_argument(
        "--stale-index",
        type=float,
        metavar="SECONDS",
        help="search hits show each incident as it was this long ago (deleted ones too)",
    )
    parser.add_argument(
        "--close-names", metavar="REGEX", help="a pre-process rule closes new incidents whose name matches"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)
    config = Config(
        args.deployment,
        args.api_key,
        args.api_key_id,
        args.api_key_type,
        args.drop_names,
        args.index_lag,
        args.extra_playbooks,
        args.playbook_cost_ms,
        args.latency_ms,
        batch_needs_size=args.batch_needs_size,
        page_cap=args.page_cap,
        playbook_edit_after=args.playbook_edit_after,
        stale_index=args.stale_index,
        close_names=args.close_names,
    )
    problem = config.problem()
    if problem:
        parser.error(problem)
    args.config = config
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    server = SimulatorServer((args.host, args.port), Simulator(args.config, Store(args.state_file)), args.quiet)
    ca_path = None
    if args.tls:
        cert_dir = Path(args.cert_dir or tempfile.mkdtemp(prefix="xsoar-simulator-"))
        cert, key = ensure_certificate(cert_dir, args.host)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        ca_path = str(cert.resolve())
    host = "127.0.0.1" if args.host in ("", "0.0.0.0") else args.host
    port = server.server_address[1]
    info = {
        "url": f"{'https' if args.tls else 'http'}://{host}:{port}",
        "port": port,
        "pid": os.getpid(),
        "deployment": args.deployment,
        "ca_path": ca_path,
    }
    if args.port_file:
        write_json_atomically(Path(args.port_file), info)
    if not args.quiet:
        sys.stderr.write(f"XSOAR simulator ({args.deployment}) listening on {info['url']}\n")

    def stop(_signum, _frame):
        # shutdown() waits for serve_forever(), which runs in this very thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if args.port_file:
            Path(args.port_file).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
