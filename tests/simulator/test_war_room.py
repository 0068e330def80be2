"""The simulator's investigations and war rooms (xsoar-api.md, "Real servers, round 3", "War room")."""

from __future__ import annotations

import hashlib

import jsonschema
import pytest
import test_simulator
from test_simulator import SCHEMA, Sim, check_schema

shared_sims = test_simulator.shared_sims  # the simulators this module's tests share


@pytest.fixture(params=["xsoar6", "xsoar8-opp", "xsoar8-saas"])
def sim(request, shared_sims):
    return shared_sims(request.param)


@pytest.fixture(params=["xsoar8-opp", "xsoar8-saas"])
def sim8(request, shared_sims):
    return shared_sims(request.param)


CONTENT = b"disk usage 97%\n" * 100


def entry_prefix(sim: Sim) -> str:
    """Where the entry routes are: the legacy /xsoar prefix on XSOAR 8, as demisto-py calls them."""
    return sim.legacy


def investigated(sim: Sim, name: str = "Disk full") -> dict:
    return sim.make(name, createInvestigation=True)


def add_entry(sim: Sim, investigation_id: str, text: str, markdown: bool = True):
    body = {"investigationId": investigation_id, "data": text, "markdown": markdown}
    check_schema("updateEntry", body)
    return sim.call("POST", "/entry", body, prefix=entry_prefix(sim))


def upload(sim: Sim, route: str, incident_id: str, prefix: str, **form):
    files = {"file": ("df.txt", CONTENT, "text/plain")}
    return sim.call("POST", f"{route}/{incident_id}", prefix=prefix, files=files, data=form)


def read(sim: Sim, investigation_id: str, **body):
    return sim.call("POST", f"/investigation/{investigation_id}", body, prefix=entry_prefix(sim))


def test_text_entry_is_stored_and_read_back(sim):
    incident = investigated(sim)
    answer = add_entry(sim, incident["id"], "**97%** used")
    assert answer.status_code == 200, answer.text
    entry = answer.json()
    assert entry["id"] == f"1@{incident['id']}"  # <n>@<investigation id>
    assert (entry["contents"], entry["format"], entry["type"], entry["note"]) == ("**97%** used", "markdown", 1, False)
    assert add_entry(sim, incident["id"], "plain", markdown=False).json()["format"] == "text"
    entries = read(sim, incident["id"]).json()["entries"]
    assert [e["contents"] for e in entries] == ["**97%** used", "plain"]
    assert [e["id"] for e in entries] == [f"1@{incident['id']}", f"2@{incident['id']}"]


def test_formatted_entry(sim):
    incident = investigated(sim)
    body = {"investigationId": incident["id"], "contents": "| a |\n| - |", "format": "markdown"}
    check_schema("uploadedEntry", body)
    answer = sim.call("POST", "/entry/formatted", body, prefix=entry_prefix(sim))
    assert answer.status_code == 200, answer.text
    assert answer.json()["format"] == "markdown"


def test_note_and_tags_on_an_entry(sim):
    incident = investigated(sim)
    entry = add_entry(sim, incident["id"], "remediated").json()
    note = {"id": entry["id"], "investigationId": incident["id"], "data": "true", "version": -1}
    check_schema("updateEntry", note)
    assert sim.call("POST", "/entry/note", note, prefix=entry_prefix(sim)).json()["note"] is True
    tags = {"id": entry["id"], "investigationId": incident["id"], "tags": ["ansible", "remediation"], "version": -1}
    check_schema("updateEntryTags", tags)
    tagged = sim.call("POST", "/entry/tags", tags, prefix=entry_prefix(sim)).json()
    assert tagged["tags"] == ["ansible", "remediation"]
    assert tagged["note"] is True
    stale = dict(tags, version=1)  # the entry is at version 3 now
    assert sim.call("POST", "/entry/tags", stale, prefix=entry_prefix(sim)).status_code == 400
    assert [e["tags"] for e in read(sim, incident["id"], tags=["ansible"]).json()["entries"]] == [tagged["tags"]]
    missing = dict(tags, id=f"9@{incident['id']}")
    assert sim.call("POST", "/entry/tags", missing, prefix=entry_prefix(sim)).status_code == 400


def test_file_entry_carries_file_metadata(sim):
    incident = investigated(sim)
    answer = upload(sim, "/entry/upload", incident["id"], entry_prefix(sim), fileComment="df output", tags="a, b")
    assert answer.status_code == 200, answer.text
    investigation = answer.json()  # the answer is the investigation with its entries
    assert investigation["id"] == incident["id"]
    (entry,) = investigation["entries"]
    assert (entry["type"], entry["file"], entry["contents"], entry["tags"]) == (3, "df.txt", "df output", ["a", "b"])
    metadata = entry["fileMetadata"]
    jsonschema.Draft4Validator({"$ref": "#/definitions/FileMetadata", "definitions": SCHEMA["definitions"]}).validate(
        metadata
    )
    assert metadata["md5"] == hashlib.md5(CONTENT).hexdigest()  # noqa: S324
    assert metadata["sha1"] == hashlib.sha1(CONTENT).hexdigest()  # noqa: S324
    assert metadata["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert metadata["size"] == len(CONTENT)
    assert entry["note"] is False
    as_note = upload(sim, "/entry/upload", incident["id"], entry_prefix(sim), isNoteEntry="true")
    assert as_note.json()["entries"][-1]["note"] is True


def test_upload_as_json_is_refused(sim):
    """Go's ParseMultipartForm refuses a body that is not multipart/form-data."""
    incident = investigated(sim)
    answer = sim.call("POST", f"/entry/upload/{incident['id']}", {"file": "x"}, prefix=entry_prefix(sim))
    assert answer.status_code == 400
    assert "multipart/form-data" in answer.json()["detail"]
    no_file = sim.call(
        "POST", f"/entry/upload/{incident['id']}", prefix=entry_prefix(sim), files={"fileComment": (None, "x")}
    )
    assert no_file.status_code == 400


def test_attachment_field(sim):
    incident = investigated(sim)
    answer = upload(sim, "/incident/upload", incident["id"], sim.prefix, fileName="evidence.txt", fileComment="c")
    assert answer.status_code == 200, answer.text
    assert [a["name"] for a in answer.json()["attachment"]] == ["evidence.txt"]
    other = upload(sim, "/incident/upload", incident["id"], sim.prefix, field="evidencefiles")
    assert [a["name"] for a in other.json()["CustomFields"]["evidencefiles"]] == ["df.txt"]
    stored = sim.incidents()[-1]
    assert stored["version"] == incident["version"] + 2
    assert upload(sim, "/incident/upload", "999", sim.prefix).status_code == 400


def test_no_investigation_answers_400(sim):
    """An incident created without an investigation has investigationId "" (xsoar-api.md, "War room")."""
    incident = sim.make("Pending one")
    assert incident["investigationId"] == ""
    for answer in (
        add_entry(sim, incident["id"], "text"),
        upload(sim, "/entry/upload", incident["id"], entry_prefix(sim)),
        read(sim, incident["id"]),
        add_entry(sim, "", "text"),
    ):
        assert answer.status_code == 400
        assert "Could not find investigation" in answer.json()["detail"]


def test_investigate_starts_the_investigation(sim):
    incident = sim.make("Pending one")
    body = {"id": incident["id"], "version": incident["version"]}
    answer = sim.call("POST", "/incident/investigate", body)  # documented on XSOAR 8's public prefix
    assert answer.status_code == 200, answer.text
    stored = sim.incidents()[-1]
    assert (stored["investigationId"], stored["status"], stored["version"]) == (
        incident["id"],
        1,
        incident["version"] + 1,
    )
    assert add_entry(sim, incident["id"], "now it works").status_code == 200
    stale = sim.call("POST", "/incident/investigate", body)
    assert stale.status_code in (400, 409)


def test_closed_investigation_answers_412(sim):
    incident = investigated(sim)
    add_entry(sim, incident["id"], "before close")
    assert sim.batch("batchClose", ids=[incident["id"]]).status_code == 200
    assert add_entry(sim, incident["id"], "after close").status_code == 412
    assert upload(sim, "/entry/upload", incident["id"], entry_prefix(sim)).status_code == 412
    investigation = read(sim, incident["id"]).json()  # a closed war room can still be read
    assert [e["contents"] for e in investigation["entries"]] == ["before close"]
    assert investigation["status"] == 1


def test_xsoar8_entry_routes_only_under_the_legacy_prefix(sim8):
    """The public prefix answers 303 for routes it does not document (content-probe.md); the
    attachment upload is documented there (Palo Alto's XSOAR 8 API reference)."""
    incident = investigated(sim8)
    body = {"investigationId": incident["id"], "data": "x", "markdown": True}
    for path in ("/entry", "/entry/note", "/entry/tags", "/entry/formatted", f"/investigation/{incident['id']}"):
        answer = sim8.call("POST", path, body, prefix=sim8.prefix)
        assert (answer.status_code, answer.headers.get("Location")) == (303, "/"), path
    assert upload(sim8, "/entry/upload", incident["id"], sim8.prefix).status_code == 303
    assert upload(sim8, "/incident/upload", incident["id"], sim8.prefix).status_code == 200
    assert upload(sim8, "/incident/upload", incident["id"], sim8.legacy).status_code == 200
    assert add_entry(sim8, incident["id"], "legacy").status_code == 200
    # outside /xsoar: XSOAR 8's 500 for root paths
    assert sim8.call("POST", "/entry", body, prefix="").status_code == 500


def test_request_log_marks_war_room_writes(sim):
    incident = investigated(sim)
    sim.control("POST", "reset", {"requests": True})
    add_entry(sim, incident["id"], "text")
    upload(sim, "/entry/upload", incident["id"], entry_prefix(sim))
    read(sim, incident["id"])
    log = sim.log()
    assert [(r["api_path"], r["write"]) for r in log] == [
        ("/entry", True),
        (f"/entry/upload/{incident['id']}", True),
        (f"/investigation/{incident['id']}", False),
    ]
    stats = sim.control("GET", "stats")
    assert stats["writes"] == 2


def test_faults_match_a_route_with_a_path_id(sim):
    incident = investigated(sim)
    sim.faults({"api_path": "/entry/upload/{id}", "kind": "status", "status": 503})
    assert upload(sim, "/entry/upload", incident["id"], entry_prefix(sim)).status_code == 503
    assert upload(sim, "/entry/upload", incident["id"], entry_prefix(sim)).status_code == 200


def test_reading_pages_by_time_and_size(sim):
    incident = investigated(sim)
    for index in range(5):
        add_entry(sim, incident["id"], f"entry {index}")
    first = read(sim, incident["id"], pageSize=2).json()["entries"]
    assert [e["contents"] for e in first] == ["entry 0", "entry 1"]
    rest = read(sim, incident["id"], pageSize=10, fromTime=first[-1]["created"]).json()["entries"]
    assert [e["contents"] for e in rest] == ["entry 1", "entry 2", "entry 3", "entry 4"]


def test_war_rooms_survive_a_restart(tmp_path):
    state = tmp_path / "state.json"
    first = Sim(tmp_path, "xsoar6", "--index-lag", "0", state_file=state)
    try:
        incident = first.make("Kept", createInvestigation=True)
        add_entry(first, incident["id"], "kept text")
    finally:
        first.stop()
    second = Sim(tmp_path, "xsoar6", state_file=state)
    try:
        assert [e["contents"] for e in read(second, incident["id"]).json()["entries"]] == ["kept text"]
    finally:
        second.stop()


def test_control_api_lists_war_rooms(sim):
    incident = investigated(sim)
    add_entry(sim, incident["id"], "seen by the leak checker")
    war_rooms = sim.control("GET", "war_rooms")["war_rooms"]
    assert [e["contents"] for e in war_rooms[incident["id"]]] == ["seen by the leak checker"]
    sim.control("POST", "reset", {"incidents": True})
    assert sim.control("GET", "war_rooms")["war_rooms"] == {}
