# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""info: the logic of xsoar_playbook_info and xsoar_incident_info, against a fake client."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api
from ansible_collections.xsoar.connector.plugins.module_utils import incident_info
from ansible_collections.xsoar.connector.plugins.module_utils import playbook_info
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError, XsoarResponseError
from ansible_collections.xsoar.connector.plugins.module_utils.client import api_bases


class FakeAnswer:
    def __init__(self, json_data):
        self.json = json_data


class FakeClient:
    """Answers /incidents/search from a list (paged like the server) and /playbook/search."""

    def __init__(self, incidents=(), playbooks=()):
        self.incidents = list(incidents)
        self.playbooks = list(playbooks)
        self.searches = []

    def post(self, path, payload, **kwargs):
        if path == "/playbook/search":
            return FakeAnswer({"playbooks": self.playbooks, "total": len(self.playbooks)})
        assert path == "/incidents/search"
        flt = payload["filter"]
        self.searches.append(flt)
        matches = [i for i in self.incidents if self._matches(i, flt)]
        size = flt.get("size") or 0
        page = matches[flt["page"] * size : (flt["page"] + 1) * size]
        return FakeAnswer({"total": len(matches), "data": page or None})

    @staticmethod
    def _matches(incident, flt):
        if "name" in flt and not any(
            set(n.lower().split()) <= set(incident["name"].lower().split()) for n in flt["name"]
        ):
            return False
        if "id" in flt and incident["id"] not in flt["id"]:
            return False
        if "status" in flt and incident["status"] not in flt["status"]:
            return False
        return "notStatus" not in flt or incident["status"] not in flt["notStatus"]


def incident(number, name, status=1):
    return {
        "id": str(number),
        "name": name,
        "status": status,
        "severity": 1,
        "created": f"2026-11-29T10:00:{number:02d}Z",
    }


def incident_params(**changes):
    values = dict(
        name=None,
        ids=None,
        query=None,
        status="any",
        limit=50,
        sort="created",
        sort_order="desc",
        fields=None,
        war_room=False,
        war_room_limit=100,
    )
    values.update(changes)
    return values


def run(client, **changes):
    return incident_info.run_incidents(client, incident_info.prepare_incidents(incident_params(**changes)), False)


PLAYBOOKS = [
    {"id": "a", "name": "Phishing - Generic v3", "tags": ["phishing"], "comment": "x"},
    {"id": "b", "name": "Block IP - Generic v3"},
    {"id": "c", "name": "phishing investigation", "tags": None},
]


def test_playbooks_all_with_id_name_tags_only():
    result = playbook_info.run_playbooks(
        FakeClient(playbooks=PLAYBOOKS), playbook_info.prepare_playbooks({"name": None, "match": "exact"}), False
    )
    assert result["changed"] is False
    assert result["playbooks"] == [
        {"id": "a", "name": "Phishing - Generic v3", "tags": ["phishing"]},
        {"id": "b", "name": "Block IP - Generic v3", "tags": []},
        {"id": "c", "name": "phishing investigation", "tags": []},
    ]


@pytest.mark.parametrize(
    "name, match, ids",
    [
        ("Phishing - Generic v3", "exact", ["a"]),
        ("phishing - generic v3", "exact", []),
        ("PHISHING", "contains", ["a", "c"]),
        ("generic", "contains", ["a", "b"]),
        ("nothing", "contains", []),
    ],
)
def test_playbook_name_filters(name, match, ids):
    plan = playbook_info.prepare_playbooks({"name": name, "match": match})
    assert [
        p["id"] for p in playbook_info.run_playbooks(FakeClient(playbooks=PLAYBOOKS), plan, True)["playbooks"]
    ] == ids


def test_playbook_empty_name_is_an_error():
    with pytest.raises(XsoarInputError, match="name is empty"):
        playbook_info.prepare_playbooks({"name": "  ", "match": "exact"})


def test_incident_filter_from_options():
    plan = incident_info.prepare_incidents(
        incident_params(query="type:Phishing", status="open", sort="modified", sort_order="asc")
    )
    # with a query the server ignores the other filter fields: status goes into the query
    assert incident_info.incident_filter(plan) == {
        "sort": [{"field": "modified", "asc": True}],
        "query": "(type:Phishing) and -status:closed",
    }
    plan = incident_info.prepare_incidents(incident_params(ids=["1", "2"], status="closed"))
    assert incident_info.incident_filter(plan) == {
        "sort": [{"field": "created", "asc": False}],
        "id": ["1", "2"],
        "status": [2, 3],
    }


def test_empty_result_from_null_data():
    result = run(FakeClient())
    assert result == {"changed": False, "total": 0, "incidents": []}


def test_name_is_exact_not_token_match():
    client = FakeClient([incident(1, "Disk full on db1"), incident(2, "Disk full"), incident(3, "disk full")])
    result = run(client, name="Disk full")
    assert [i["id"] for i in result["incidents"]] == ["2"]
    assert result["total"] == 1


def test_name_with_status_filters_closed_ones():
    client = FakeClient([incident(1, "Disk full", status=2), incident(2, "Disk full")])
    assert [i["id"] for i in run(client, name="Disk full", status="open")["incidents"]] == ["2"]
    assert [i["id"] for i in run(client, name="Disk full", status="closed")["incidents"]] == ["1"]
    assert run(client, name="Disk full")["total"] == 2


def test_limit_is_honoured_and_total_is_the_servers(monkeypatch):
    monkeypatch.setattr(incidents_api, "PAGE_SIZE", 2)
    client = FakeClient([incident(n, f"Incident {n}") for n in range(1, 8)])
    result = run(client, limit=5)
    assert [i["id"] for i in result["incidents"]] == ["1", "2", "3", "4", "5"]
    assert result["total"] == 7
    # the same size on every page: the server places page N at N * size
    assert [s["size"] for s in client.searches] == [2, 2, 2]
    assert [s["page"] for s in client.searches] == [0, 1, 2]


def test_limit_below_page_size_is_one_request():
    client = FakeClient([incident(n, f"Incident {n}") for n in range(1, 8)])
    assert len(run(client, limit=3)["incidents"]) == 3
    assert [(s["page"], s["size"]) for s in client.searches] == [(0, 3)]


def test_answer_that_is_not_an_object_fails():
    client = FakeClient()
    client.post = lambda path, payload, **kwargs: FakeAnswer("<html>")
    with pytest.raises(XsoarResponseError, match="without a JSON object"):
        run(client)


def test_name_search_reads_every_page(monkeypatch):
    monkeypatch.setattr(incidents_api, "PAGE_SIZE", 2)
    client = FakeClient([incident(n, f"Disk full on db{n}") for n in range(1, 6)] + [incident(9, "Disk full")])
    result = run(client, name="Disk full", limit=1)
    assert [i["id"] for i in result["incidents"]] == ["9"]
    assert len(client.searches) == 3
    assert all(s["size"] for s in client.searches)


def test_fields_select_keys():
    client = FakeClient([incident(1, "A")])
    assert run(client, fields=["id", "name", "nosuchkey"])["incidents"] == [{"id": "1", "name": "A"}]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(limit=0), "limit must be a positive"),
        (dict(ids=[]), "ids must be"),
        (dict(ids=["1", " "]), "ids must be"),
        (dict(query=" "), "query is empty"),
        (dict(name=" Disk"), "starts or ends with spaces"),
        (dict(name=""), "name is empty"),
        (dict(fields=[]), "fields must be"),
        (dict(war_room=True, war_room_limit=0), "war_room_limit must be a positive"),
    ],
)
def test_incident_option_errors(changes, message):
    with pytest.raises(XsoarInputError, match=message):
        incident_info.prepare_incidents(incident_params(**changes))


def test_empty_incident_name_hint_fits_a_lookup():
    with pytest.raises(XsoarInputError, match="name is empty: give the incident name to look up, or leave name out"):
        incident_info.prepare_incidents(incident_params(name=" "))


@pytest.mark.parametrize(
    "changes, query",
    [
        (dict(query="a or b"), "(a or b)"),
        (dict(query="a", status="closed"), "(a) and status:closed"),
        (dict(query="a", status="open"), "(a) and -status:closed"),
        (dict(query="a", name='Say "hi" \\ bye'), '(a) and name:"Say \\"hi\\" \\\\ bye"'),
        (dict(query="a", ids=["1", "2"], status="any"), '(a) and (id:"1" or id:"2")'),
    ],
)
def test_folded_query(changes, query):
    plan = incident_info.prepare_incidents(incident_params())._replace(**changes)
    assert incident_info.folded_query(plan) == query
    assert incident_info.incident_filter(plan) == {"sort": [{"field": "created", "asc": False}], "query": query}


def test_query_with_status_keeps_the_total_true_when_the_server_ignores_it():
    # FakeClient ignores `query` altogether, like a server that did not apply the status in it
    client = FakeClient([incident(1, "a", status=2), incident(2, "b"), incident(3, "c", status=3), incident(4, "d")])
    result = run(client, query="type:x", status="open", limit=1)
    assert [i["id"] for i in result["incidents"]] == ["2"]
    assert result["total"] == 2
    closed = run(client, query="type:x", status="closed")
    assert [i["id"] for i in closed["incidents"]] == ["1", "3"] and closed["total"] == 2


def test_query_whose_answer_matches_keeps_the_servers_total():
    client = FakeClient([incident(n, f"Incident {n}") for n in range(1, 8)])
    result = run(client, query="type:x", status="open", limit=2)
    assert result["total"] == 7 and len(client.searches) == 1


class PlaybookServer:
    """/playbook/search with paging as the simulator does it, or a server that ignores part of it."""

    def __init__(self, count, ignores=None):
        self.playbooks = [{"id": f"p{n}", "name": f"Playbook {n}"} for n in range(count)]
        self.ignores = ignores
        self.bodies = []

    def post(self, path, payload, **kwargs):
        assert path == "/playbook/search"
        self.bodies.append(payload)
        size, page = payload.get("size") or 0, payload.get("page") or 0
        if self.ignores == "page":
            page = 0
        answer = (
            self.playbooks if self.ignores == "size" or not size else self.playbooks[page * size : (page + 1) * size]
        )
        return FakeAnswer({"playbooks": answer, "total": len(self.playbooks)})


@pytest.mark.parametrize("ignores, requests", [(None, 3), ("size", 1), ("page", 3)])
def test_playbook_pages(ignores, requests):
    server = PlaybookServer(250, ignores)
    found = incidents_api.playbook_pages(server)
    assert [p["id"] for p in found] == [f"p{n}" for n in range(250)]
    assert len(server.bodies) == requests
    if ignores == "page":  # it repeated its first page: asked once for everything
        assert server.bodies[-1] == {}


def test_playbook_pages_total_that_counts_the_page_only():
    server = PlaybookServer(250)
    original = server.post

    def page_total(path, payload, **kwargs):
        answer = original(path, payload)
        answer.json["total"] = len(answer.json["playbooks"])
        return answer

    server.post = page_total
    assert len(incidents_api.playbook_pages(server)) == 250


def test_playbook_pages_exact_multiple_of_the_page_size():
    server = PlaybookServer(200)
    assert len(incidents_api.playbook_pages(server)) == 200
    assert len(server.bodies) == 2


def test_exact_playbook_name_is_one_search():
    server = PlaybookServer(5)
    found = playbook_info.find_playbooks(server, "Playbook 3", "exact")
    assert [p["id"] for p in found] == ["p3"]
    assert server.bodies == [{"page": 0, "size": 100, "query": 'name:"Playbook 3"'}]


def test_exact_playbook_name_missed_by_the_search_reads_everything():
    server = PlaybookServer(5)
    original = server.post

    def search_finds_nothing(path, payload, **kwargs):
        if "query" in payload:
            server.bodies.append(payload)
            return FakeAnswer({"playbooks": [], "total": 0})
        return original(path, payload)

    server.post = search_finds_nothing
    assert [p["id"] for p in playbook_info.find_playbooks(server, "Playbook 3", "exact")] == ["p3"]
    assert [b.get("query") for b in server.bodies] == ['name:"Playbook 3"', None]


class RoomClient(FakeClient):
    """Also answers war-room reads (POST /investigation/{id}) from a dict of entries per incident."""

    def __init__(self, incidents, rooms):
        super().__init__(incidents)
        self.rooms = rooms
        self.reads = []
        self.url = "https://xsoar.example.com"
        self.api_key_id = None  # XSOAR 6: the war room at the server root
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]

    def post(self, path, payload, **kwargs):
        if not path.startswith("/investigation/"):
            return super().post(path, payload, **kwargs)
        self.reads.append((path, dict(payload)))
        return FakeAnswer({"entries": self.rooms[path.rpartition("/")[2]][: payload["pageSize"]]})


FILE_ENTRY = {
    "id": "2@1",
    "type": 3,
    "created": "2026-11-29T10:00:02Z",
    "file": "df.txt",
    "contents": "df output",
    "fileMetadata": {
        "md5": "m",
        "sha1": "s1",
        "sha256": "s256",
        "size": 15,
        "info": "ASCII text",
        "isMediaFile": False,
    },
    "ShardID": 0,
}
TEXT_ENTRY = {"id": "1@1", "type": 1, "created": "2026-11-29T10:00:01Z", "contents": "hi", "note": True, "tags": ["a"]}
OBJECT_ENTRY = {"id": "3@1", "type": 17, "created": "2026-11-29T10:00:03Z", "contents": {"widget": 1}}


def test_war_room_entries_are_returned_text_and_file_metadata_only():
    with_room = dict(incident(1, "A"), investigationId="1")
    without = dict(incident(2, "B"), investigationId="")
    client = RoomClient([with_room, without], {"1": [TEXT_ENTRY, FILE_ENTRY, OBJECT_ENTRY]})
    result = run(client, war_room=True, fields=["id"], sort_order="asc")
    first, second = result["incidents"]
    assert first["war_room"] == [
        {"id": "1@1", "type": 1, "created": "2026-11-29T10:00:01Z", "contents": "hi", "note": True, "tags": ["a"]},
        {
            "id": "2@1",
            "type": 3,
            "created": "2026-11-29T10:00:02Z",
            "file": "df.txt",
            "contents": "df output",
            "fileMetadata": {"md5": "m", "sha1": "s1", "sha256": "s256", "size": 15},
        },
        {"id": "3@1", "type": 17, "created": "2026-11-29T10:00:03Z"},
    ]
    assert second["war_room"] == []  # no investigation: not read
    assert [path for path, body in client.reads] == ["/investigation/1"]


def test_war_room_is_bounded_and_read_only_on_request():
    room = [dict(TEXT_ENTRY, id=f"{n}@1", created=f"2026-11-29T10:00:{n:02d}Z") for n in range(1, 31)]
    client = RoomClient([dict(incident(1, "A"), investigationId="1")], {"1": room})
    assert "war_room" not in run(client)["incidents"][0]
    assert client.reads == []
    result = run(client, war_room=True, war_room_limit=5)
    assert [entry["id"] for entry in result["incidents"][0]["war_room"]] == [f"{n}@1" for n in range(1, 6)]
    assert all(body["pageSize"] <= 6 for path, body in client.reads)
