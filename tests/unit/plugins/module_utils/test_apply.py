# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apply and incident_flow.run with an in-memory stand-in for the client (no HTTP), and with the
real client where what it raises matters (a scripted server on 127.0.0.1)."""

import threading
import time

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import apply, incident_flow
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client, api_bases
from ansible_collections.xsoar.connector.plugins.module_utils.errors import (
    XsoarOutcomeUnknown,
    XsoarResponseError,
    XsoarUnreachableError,
)
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values


class Answer:
    def __init__(self, status, data):
        self.status = status
        self.json = data


class FakeXsoar:
    """Just enough of the client and the server behind it: incidents in a dict, scripted create faults.

    `create_faults`: per create, None (normal), "lost" (stored, then XsoarOutcomeUnknown),
    "timeout" (stored, outcome unknown, not re-send safe), "failed" (not stored, outcome unknown),
    "unreachable" (XsoarUnreachableError). `no_id`: create answers without the id (SaaS).
    `index_lag`: searches that miss a new incident.
    """

    def __init__(self, incidents=(), create_faults=(), no_id=False, index_lag=0, api_key_id=None, retries=3):
        self.incidents = {incident["id"]: dict(incident) for incident in incidents}
        self.create_faults = list(create_faults)
        self.no_id = no_id
        self.index_lag = index_lag
        self.api_key_id = api_key_id
        self.url = "https://xsoar.example.com"
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]
        self.retries = retries
        self.timeout = 30  # the name lock derives its wait from timeout and retries
        self.calls = []
        self.slept = []
        self.hidden = {}  # id -> searches still to miss it
        self.lock = threading.Lock()  # one request at a time, as a server serialises its store

    def sleep(self, seconds):
        self.slept.append(seconds)

    def post(self, path, payload, expected=(200,), idempotent=True, base=None):
        with self.lock:
            self.calls.append((path, payload, base))
            return getattr(self, "_" + path.strip("/").replace("/", "_"))(payload)

    def get(self, path, expected=(200,), base=None):
        with self.lock:
            self.calls.append((path, None, base))
            incident_id = path.rsplit("/", 1)[1]
            assert path == "/incident/load/" + incident_id
            if incident_id not in self.incidents:
                raise XsoarResponseError(f"GET {path}: HTTP 400 could not find incident", 400)
            return Answer(200, dict(self.incidents[incident_id]))

    def _incidents_search(self, payload):
        flt = payload["filter"]
        found = []
        for incident in self.incidents.values():
            if self.hidden.get(incident["id"]):
                continue
            if "name" in flt and incident["name"] not in flt["name"]:
                continue
            if "id" in flt and incident["id"] not in flt["id"]:
                continue
            if incident.get("status") in flt.get("notStatus", []):
                continue
            found.append(incident)
        for key in list(self.hidden):
            self.hidden[key] -= 1
        return Answer(200, {"total": len(found), "data": found[flt["page"] * flt["size"] :][: flt["size"]]})

    def _incident(self, payload):
        if payload.get("id"):
            stored = self.incidents[payload["id"]]
            if payload["version"] != stored["version"]:
                raise XsoarResponseError("POST /incident: HTTP 400 DB version conflict", 400)
            stored.update(payload, version=stored["version"] + 1)
            return Answer(201, dict(stored))
        fault = self.create_faults.pop(0) if self.create_faults else None
        if fault == "unreachable":
            raise XsoarUnreachableError("connection refused by xsoar.example.com")
        if fault == "failed":
            raise XsoarOutcomeUnknown("POST /incident: the gateway answered HTTP 502", resend_safe=True)
        new_id = str(len(self.incidents) + 100)
        incident = dict({"severity": 0, "labels": [{"type": "Instance", "value": ""}]}, **payload)
        incident.update(id=new_id, version=1, status=1, created=f"2026-12-01T10:00:{len(self.incidents):02d}Z")
        self.incidents[new_id] = incident
        if self.index_lag:
            self.hidden[new_id] = self.index_lag
        if fault in ("lost", "timeout"):
            raise XsoarOutcomeUnknown("POST /incident: no answer", resend_safe=fault == "lost")
        answer = dict(incident)
        if self.no_id:
            answer.pop("id")
        return Answer(201, answer)

    def _incident_batchClose(self, payload):
        assert payload["filter"]["size"] >= len(payload["ids"])
        for incident_id in payload["ids"]:
            self._close(self.incidents[incident_id], payload)
        return Answer(200, {"total": len(payload["ids"]), "notUpdated": 0})

    def _close(self, incident, payload):
        incident.update(status=2, closeReason=payload.get("closeReason", ""), version=incident["version"] + 1)

    def _incident_close(self, payload):
        incident = self.incidents[payload["id"]]
        self._close(incident, payload)
        return Answer(200, dict(incident))

    def _incident_batchDelete(self, payload):
        assert payload["filter"]["size"] >= len(payload["ids"])
        for incident_id in payload["ids"]:
            del self.incidents[incident_id]
        return Answer(200, {"total": len(payload["ids"]), "notUpdated": 0})

    def _playbook_search(self, payload):
        playbooks = [{"id": f"pb-{number}", "name": f"Playbook {number}"} for number in range(3)]
        words = payload.get("query", "").split('"')[1].lower().split()
        found = [p for p in playbooks if all(word in p["name"].lower().split() for word in words)]
        return Answer(200, {"playbooks": found, "total": len(found)})

    def paths(self):
        return [path for path, payload, base in self.calls]


def params(**changes):
    values = dict.fromkeys(incident_flow.module_argument_spec())
    # one write at a time unless a test says otherwise: the order of the faults above is then the items'
    values.update(
        state="present",
        start_investigation=False,
        match_closed=False,
        update_existing=False,
        continue_on_item_error=False,
        close_duplicates=False,
        wait_for_id=60,
        parallel_writes=1,
    )
    values.update(changes)
    return values


def run(fake, check_mode=False, **options):
    return incident_flow.run(fake, incident_flow.prepare(params(**options)), check_mode)


def test_create_then_rerun_is_one_request():
    fake = FakeXsoar()
    first = run(fake, name="A", severity="high", playbook="Playbook 1")
    assert first["action"] == "created" and first["incident"]["playbookId"] == "pb-1"
    assert fake.paths() == ["/incidents/search", "/playbook/search", "/incident"]
    fake.calls = []
    again = run(fake, name="A", severity="high", playbook="Playbook 1")
    assert (again["action"], again["changed"]) == ("none", False)
    assert fake.paths() == ["/incidents/search"]


def test_bulk_rerun_of_many_is_one_request():
    items = [{"name": f"I{number}", "playbook": "Playbook 2"} for number in range(300)]
    fake = FakeXsoar()
    run(fake, incidents=items)
    fake.calls = []
    result = run(fake, incidents=items)
    assert not result["changed"]
    assert fake.paths() == ["/incidents/search", "/incidents/search"]  # 200 names per search


def test_update_existing_keeps_severity_and_sends_only_changes():
    fake = FakeXsoar()
    run(fake, name="U", severity="critical")
    result = run(fake, name="U", details="second", update_existing=True)
    assert result["action"] == "updated" and result["changed_fields"] == ["details"]
    stored = list(fake.incidents.values())[0]
    assert stored["severity"] == 4 and stored["details"] == "second"
    assert run(fake, name="U", update_existing=True)["action"] == "none"


def test_check_mode_plans_without_writing():
    fake = FakeXsoar(incidents=[{"id": "1", "name": "C", "status": 1, "version": 1}])
    result = run(fake, check_mode=True, incidents=[{"name": "C", "state": "closed"}, {"name": "N"}])
    assert [item["action"] for item in result["incidents"]] == ["closed", "created"]
    assert fake.paths() == ["/incidents/search"]


# two controllers created "D" in the same second: 5 first, then 12
DUPLICATES = [
    {"id": "12", "name": "D", "status": 1, "version": 1, "created": "2026-12-01T10:00:00.200Z"},
    {"id": "5", "name": "D", "status": 1, "version": 1, "created": "2026-12-01T10:00:00.100Z"},
]


def test_close_duplicates_keeps_the_oldest_and_closes_the_others_as_duplicates():
    fake = FakeXsoar(incidents=DUPLICATES)
    result = run(fake, name="D", close_duplicates=True)
    assert (result["action"], result["changed"]) == ("deduplicated", True)
    assert result["incident"]["id"] == "5" and result["closed_duplicates"] == ["12"]
    assert result["warnings"] == []
    # the close is read back (a 200 is not proof)
    assert fake.paths() == ["/incidents/search", "/incident/batchClose", "/incident/load/12"]
    close = fake.calls[1][1]
    assert close["ids"] == ["12"] and close["closeReason"] == "Duplicate"
    assert "Duplicate of incident 5 " in close["closeNotes"]
    assert [fake.incidents[i]["status"] for i in ("5", "12")] == [1, 2]
    # converged: the next run, from any controller, finds one incident and does nothing
    fake.calls = []
    again = run(fake, name="D", close_duplicates=True)
    assert (again["action"], again["changed"], again["incident"]["id"]) == ("none", False, "5")
    assert fake.paths() == ["/incidents/search"]


def test_close_duplicates_updates_the_kept_one_in_bulk_and_in_check_mode_writes_nothing():
    fake = FakeXsoar(incidents=DUPLICATES)
    options = dict(
        incidents=[{"name": "D", "details": "new"}, {"name": "E"}], close_duplicates=True, update_existing=True
    )
    planned = run(fake, check_mode=True, **options)["incidents"]
    assert [(item["action"], item.get("closed_duplicates")) for item in planned] == [
        ("updated", ["12"]),
        ("created", None),
    ]
    # the update is planned against the incident as loaded, in check mode too (a read)
    assert fake.paths() == ["/incidents/search", "/incident/load/5"]
    done = run(fake, **options)["incidents"]
    assert [(item["action"], item.get("closed_duplicates")) for item in done] == [
        ("updated", ["12"]),
        ("created", None),
    ]
    assert planned[0]["changed_fields"] == done[0]["changed_fields"] == ["details"]
    assert fake.incidents["5"]["details"] == "new" and fake.incidents["12"]["status"] == 2
    assert "details" not in fake.incidents["12"]


def test_without_close_duplicates_the_newest_is_used_with_a_warning():
    fake = FakeXsoar(incidents=DUPLICATES)
    result = run(fake, name="D")
    assert (result["action"], result["incident"]["id"]) == ("none", "12")
    assert "2 incidents are named 'D'" in result["warnings"][0]
    assert fake.paths() == ["/incidents/search"]


def test_saas_create_without_id_waits_for_the_index_for_one_and_for_bulk():
    for options in ({"name": "S"}, {"incidents": [{"name": f"S{n}"} for n in range(5)]}):
        fake = FakeXsoar(no_id=True, index_lag=3)
        result = run(fake, **options)
        incidents = [result["incident"]] if "incident" in result else [item["incident"] for item in result["incidents"]]
        assert all(incident.get("id") for incident in incidents)
        creates = len(incidents)
        assert fake.paths().count("/incident") == creates  # never re-sent
        assert fake.paths().count("/incidents/search") == 1 + 4  # the existence search, then 3 misses and a hit
        assert fake.slept == [0.5, 1, 2]


def test_saas_id_not_found_within_wait_for_id_is_a_warning_not_a_resend():
    fake = FakeXsoar(no_id=True, index_lag=1000)
    result = run(fake, name="S", wait_for_id=0)
    assert result["action"] == "created" and result["changed"]
    assert "raise wait_for_id" in result["warnings"][0]
    assert fake.paths().count("/incident") == 1


def test_lost_answer_is_found_not_resent():
    fake = FakeXsoar(create_faults=["lost"])
    result = run(fake, name="L")
    assert result["action"] == "created" and result["incident"]["id"]
    assert fake.paths().count("/incident") == 1


def test_failed_gateway_create_is_resent_only_after_the_wait():
    fake = FakeXsoar(create_faults=["failed"])
    result = run(fake, name="F", wait_for_id=3)
    assert result["action"] == "created"
    assert fake.paths().count("/incident") == 2
    assert sum(fake.slept) >= 3 - 0.01  # the whole wait came before the re-send


def test_timeout_not_found_is_unknown_and_changed_never_resent():
    fake = FakeXsoar(create_faults=["timeout"], index_lag=1000)
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, name="T", wait_for_id=2)
    assert error.value.result["action"] == "unknown" and error.value.result["changed"] is True
    assert "its outcome is unknown" in str(error.value) and "not sent again" in str(error.value)
    assert fake.paths().count("/incident") == 1


def test_an_unknown_create_says_how_often_it_was_sent():
    # issue 24: it said "not sent again" after four sends
    fake = FakeXsoar(create_faults=["failed"] * 5, index_lag=1000)
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, name="G", wait_for_id=1)
    sends = fake.paths().count("/incident")
    assert sends == 4  # the first, and one per retry (3)
    assert "it was sent 4 times, and not sent again" in str(error.value)


def test_a_single_send_says_once():
    fake = FakeXsoar(create_faults=["timeout"], index_lag=1000)
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, name="T", wait_for_id=1)
    assert "it was sent once, and not sent again" in str(error.value)


def test_bulk_unknown_item_is_reported_as_possibly_changed():
    fake = FakeXsoar(create_faults=[None, "timeout"], index_lag=1000)
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, incidents=[{"name": "A"}, {"name": "B"}, {"name": "C"}], wait_for_id=1, continue_on_item_error=True)
    items = error.value.result["incidents"]
    assert [item["action"] for item in items] == ["created", "unknown", "created"]
    assert items[1]["changed"] is True and error.value.result["changed"] is True


def test_unreachable_server_stops_the_bulk_and_reports_the_rest_as_not_attempted():
    fake = FakeXsoar(create_faults=[None, "unreachable"])
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, incidents=[{"name": "A"}, {"name": "B"}, {"name": "C"}, {"name": "D"}], continue_on_item_error=True)
    items = error.value.result["incidents"]
    assert [item["action"] for item in items] == ["created", "failed", "not_attempted", "not_attempted"]
    assert "2 not attempted" in str(error.value)
    assert fake.paths().count("/incident") == 2


def test_close_on_xsoar8_uses_the_legacy_prefix_with_a_filter():
    fake = FakeXsoar(incidents=[{"id": "1", "name": "C", "status": 1, "version": 1}], api_key_id="17")
    result = run(fake, incidents=[{"name": "C", "state": "closed", "close_reason": "Resolved"}])
    assert result["incidents"][0]["action"] == "closed"
    path, payload, base = fake.calls[1]
    assert (path, base) == ("/incident/batchClose", "https://xsoar.example.com/xsoar")
    # a positive size, as Palo Alto's Core REST API integration sends (size 0 means no results)
    assert payload["filter"] == {"page": 0, "size": 1} and payload["closeReason"] == "Resolved"
    assert fake.paths()[2:] == ["/incident/load/1"]


def test_stale_version_gets_the_clear_message():
    fake = FakeXsoar(incidents=[{"id": "1", "name": "V", "status": 1, "version": 1, "details": "a"}])

    def stale(payload):
        raise XsoarResponseError("POST /incident: HTTP 400 DB version conflict", 400)

    fake._incident = stale
    with pytest.raises(incident_flow.ItemsFailed, match="changed on the server while this task updated it: 3 attempts"):
        run(fake, name="V", details="b", update_existing=True)


def test_close_options_per_item_only_with_closed():
    with pytest.raises(Exception, match=r"incidents\[0\]\.close_reason only applies with state: closed"):
        incident_flow.prepare(params(incidents=[{"name": "a", "close_reason": "Resolved"}]))


def test_saas_look_up_never_takes_an_older_incident_of_the_same_name():
    # an open "D" the existence search missed (index lag, or a search racing another run)
    fake = FakeXsoar(
        incidents=[{"id": "1", "name": "D", "status": 1, "version": 1, "created": "2026-11-30T10:00:00Z"}],
        no_id=True,
        index_lag=2,
    )
    fake.hidden["1"] = 1
    result = run(fake, name="D")
    assert result["action"] == "created"
    assert result["incident"]["id"] != "1" and result["incident"]["id"] in fake.incidents
    assert fake.paths().count("/incident") == 1


def test_unknown_creates_stay_unknown_when_the_server_becomes_unreachable():
    fake = FakeXsoar(create_faults=["timeout", "unreachable"])
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, incidents=[{"name": "A"}, {"name": "B"}, {"name": "C"}])
    items = error.value.result["incidents"]
    assert [item["action"] for item in items] == ["unknown", "failed", "not_attempted"]
    assert items[0]["changed"] is True and "outcome is unknown" in items[0]["msg"]
    assert fake.paths() == ["/incidents/search", "/incident", "/incident"]  # no look-up against a dead server
    # issue 24: it said "the look-up by name failed (...)", quoting the other item's create
    assert "; no look-up by name was sent, as the server was unreachable (connection refused" in items[0]["msg"]
    assert "look-up by name failed" not in items[0]["msg"]


def test_unreadable_create_answer_is_looked_up():
    fake = FakeXsoar()
    create = fake._incident

    def unreadable(payload):
        create(payload)
        raise XsoarResponseError("POST /incident answered HTTP 200 with a body that is not JSON", 200)

    fake._incident = unreadable
    result = run(fake, name="M")
    assert result["action"] == "created" and result["incident"]["id"]
    assert fake.paths() == ["/incidents/search", "/incident", "/incidents/search"]


class SlowXsoar(FakeXsoar):
    """Creates take `delay` seconds outside the store's lock (a server working on several at once);
    records how many were in flight at most. `fail`: names whose create is refused."""

    def __init__(self, delay=0.02, fail=(), hold=None, **options):
        super().__init__(**options)
        self.delay = delay
        self.fail = set(fail)
        self.hold = hold or {}  # name -> event the create waits for before answering
        self.in_flight = 0
        self.most_in_flight = 0
        self.counter = threading.Lock()

    def post(self, path, payload, expected=(200,), idempotent=True, base=None):
        if path != "/incident":
            return super().post(path, payload, expected, idempotent, base)
        with self.counter:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if payload.get("name") in self.hold:
                assert self.hold[payload["name"]].wait(5)
            time.sleep(self.delay)
            if payload.get("name") in self.fail:
                with self.lock:
                    self.calls.append((path, payload, base))
                raise XsoarResponseError("POST /incident: HTTP 400 Failed creating incident", 400)
            return super().post(path, payload, expected, idempotent, base)
        finally:
            with self.counter:
                self.in_flight -= 1


def test_parallel_writes_create_every_item_once_and_report_in_order():
    items = [{"name": f"P{number:02d}"} for number in range(40)]
    fake = SlowXsoar()
    result = run(fake, incidents=items, parallel_writes=4)
    assert [item["name"] for item in result["incidents"]] == [item["name"] for item in items]
    assert [item["action"] for item in result["incidents"]] == ["created"] * 40
    assert sorted(incident["name"] for incident in fake.incidents.values()) == [item["name"] for item in items]
    assert len({item["incident"]["id"] for item in result["incidents"]}) == 40
    assert fake.paths().count("/incident") == 40
    assert 1 < fake.most_in_flight <= 4
    # and one at a time when asked
    fake = SlowXsoar()
    run(fake, incidents=[{"name": f"Q{number}"} for number in range(8)], parallel_writes=1)
    assert fake.most_in_flight == 1


@pytest.fixture
def stop_seen(monkeypatch):
    """An event set once the run has decided to start no more writes (after apply's own bookkeeping)."""
    seen = threading.Event()
    stopped = apply._Run.stopped

    def stopped_and_tell(run, *args, **kwargs):
        stopped(run, *args, **kwargs)
        seen.set()

    monkeypatch.setattr(apply._Run, "stopped", stopped_and_tell)
    return seen


def test_parallel_writes_start_no_more_after_a_failure(stop_seen):
    """P1 fails while P0 is still in flight: P0 finishes and is reported, nothing after P1 is sent."""
    fake = SlowXsoar(delay=0, fail=["P1"], hold={"P0": stop_seen})
    items = [{"name": f"P{number}"} for number in range(10)]
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, incidents=items, parallel_writes=2)
    actions = [item["action"] for item in error.value.result["incidents"]]
    assert actions == ["created", "failed"] + ["not_attempted"] * 8
    assert sorted(incident["name"] for incident in fake.incidents.values()) == ["P0"]


class UnreachableOnce(SlowXsoar):
    """The first create meets an unreachable server; every other one is answered only once the run
    has stopped starting writes (so those in flight are the only ones, whatever the scheduling)."""

    def __init__(self, stop_seen, **options):
        super().__init__(delay=0, **options)
        self.stop_seen = stop_seen
        self.met = False

    def post(self, path, payload, expected=(200,), idempotent=True, base=None):
        if path == "/incident":
            with self.counter:
                first, self.met = not self.met, True
            if first:
                raise XsoarUnreachableError("connection refused by xsoar.example.com")
            assert self.stop_seen.wait(5)
        return super().post(path, payload, expected, idempotent, base)


def test_parallel_writes_stop_when_the_server_is_unreachable(stop_seen):
    fake = UnreachableOnce(stop_seen)
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(
            fake,
            incidents=[{"name": f"U{number}"} for number in range(20)],
            parallel_writes=4,
            continue_on_item_error=True,
        )
    actions = [item["action"] for item in error.value.result["incidents"]]
    assert actions.count("failed") == 1 and actions.count("not_attempted") >= 20 - 4
    assert actions.index("failed") < 4  # one of the first writes in flight met the unreachable server
    assert set(actions[4:]) == {"not_attempted"}


@pytest.mark.parametrize("count", [0, 17, -1])
def test_parallel_writes_out_of_range_is_refused_before_any_request(count):
    with pytest.raises(incident_flow.XsoarError, match=f"parallel_writes {count} is out of range"):
        incident_flow.prepare(params(incidents=[{"name": "A"}], parallel_writes=count))


# --- issue 20: proven writes ---------------------------------------------------------------------


class PlaybookTouches(FakeXsoar):
    """A playbook changes a fresh incident: the search hit is a version behind (an index), and the stored
    incident moves on `touches` more times, each right after it was loaded (a conflict per attempt)."""

    def __init__(self, touches, **kwargs):
        super().__init__(**kwargs)
        self.touches = touches

    def _incidents_search(self, payload):
        answer = super()._incidents_search(payload)
        stale = [dict(incident, version=incident["version"] - 1) for incident in answer.json["data"]]
        return Answer(200, dict(answer.json, data=stale))

    def get(self, path, expected=(200,), base=None):
        answer = super().get(path, expected, base)
        if self.touches:
            self.touches -= 1
            stored = self.incidents[answer.json["id"]]
            stored.update(version=stored["version"] + 1, owner=f"playbook {stored['version']}")
        return answer


def test_update_sends_the_loaded_version_not_the_search_hits():
    fake = PlaybookTouches(0, incidents=[{"id": "1", "name": "Fresh", "status": 1, "version": 2, "details": "a"}])
    result = run(fake, name="Fresh", details="second", update_existing=True)
    assert (result["action"], result["changed_fields"]) == ("updated", ["details"])
    assert fake.paths() == ["/incidents/search", "/incident/load/1", "/incident"]
    assert fake.calls[-1][1]["version"] == 2  # the search hit said 1
    assert fake.incidents["1"]["details"] == "second" and fake.incidents["1"]["version"] == 3
    assert result["diff"]["before"]["details"] == "a"


def test_version_conflict_reloads_replans_and_retries():
    fake = PlaybookTouches(1, incidents=[{"id": "1", "name": "Fresh", "status": 1, "version": 2, "details": "a"}])
    result = run(fake, name="Fresh", details="second", update_existing=True)
    assert result["action"] == "updated" and result["warnings"] == []
    # load (then the playbook moves it on), a conflict, load again, the update that goes through
    assert fake.paths() == ["/incidents/search", "/incident/load/1", "/incident", "/incident/load/1", "/incident"]
    assert fake.incidents["1"]["details"] == "second" and fake.incidents["1"]["owner"] == "playbook 2"
    assert fake.slept == [0.5]


def test_version_conflict_on_every_attempt_says_what_kept_changing():
    fake = PlaybookTouches(9, incidents=[{"id": "1", "name": "Busy", "status": 1, "version": 2, "details": "a"}])
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, name="Busy", details="second", update_existing=True)
    message = str(error.value)
    assert "3 attempts, each answered with a version conflict (HTTP 400)" in message
    assert "its version went 2 -> 3 -> 4 and its fields owner changed" in message
    assert fake.paths().count("/incident") == 3 and fake.incidents["1"]["details"] == "a"


def test_update_the_loaded_incident_already_has_is_not_sent():
    fake = PlaybookTouches(0, incidents=[{"id": "1", "name": "Same", "status": 1, "version": 2, "details": "b"}])
    original = fake._incidents_search
    fake._incidents_search = lambda payload: Answer(
        200, dict(original(payload).json, data=[dict(fake.incidents["1"], details="a", version=1)])
    )
    result = run(fake, name="Same", details="b", update_existing=True)
    assert (result["action"], result["changed"]) == ("none", False)
    assert fake.paths() == ["/incidents/search", "/incident/load/1"]


def test_fields_the_server_does_not_keep_are_named_every_run():
    fake = FakeXsoar(incidents=[{"id": "1", "name": "T", "status": 1, "version": 1, "type": "Unclassified"}])
    stored_update = fake._incident

    def unknown_type_unclassified(payload):
        answer = stored_update(dict(payload, type="Unclassified"))
        return answer

    fake._incident = unknown_type_unclassified
    for _run in range(2):  # the next run sends it again, and says why again: never a silent loop
        result = run(fake, name="T", type="Phishing v9", update_existing=True)
        assert (result["action"], result["not_kept"]) == ("updated", ["type"])
        assert "did not keep type (sent 'Phishing v9', stored 'Unclassified')" in result["warnings"][0]
        assert "Is that incident type defined on the server?" in result["warnings"][0]


class IgnoresBatchWithoutSize(FakeXsoar):
    """A server whose batch calls answer 200 and do nothing (the answer says so, or lies)."""

    def __init__(self, lies=False, **kwargs):
        super().__init__(**kwargs)
        self.lies = lies

    def _incident_batchClose(self, payload):
        return Answer(200, {"total": len(payload["ids"]) if self.lies else 0, "notUpdated": 0})

    def _incident_batchDelete(self, payload):
        return Answer(200, {"total": len(payload["ids"]) if self.lies else 0, "notUpdated": 0})


def test_close_the_batch_call_ignored_falls_back_to_closing_one_by_one():
    fake = IgnoresBatchWithoutSize(incidents=[{"id": "1", "name": "C", "status": 1, "version": 4}])
    result = run(fake, name="C", state="closed", close_reason="Resolved")
    assert (result["action"], result["incident"]["status"]) == ("closed", 2)
    assert fake.paths() == [
        "/incidents/search",
        "/incident/batchClose",
        "/incident/load/1",  # still open: the answer said total 0, so no wait
        "/incident/close",
        "/incident/load/1",
    ]
    assert fake.calls[3][1] == {"id": "1", "version": 4, "closeReason": "Resolved"}
    assert "did not close incidents 1; POST /incident/close closed them one by one" in result["warnings"][0]
    assert fake.slept == []


def test_close_never_done_fails_naming_the_incident_and_the_answers():
    fake = IgnoresBatchWithoutSize(lies=True, incidents=[{"id": "1", "name": "C", "status": 1, "version": 4}])
    fake._incident_close = lambda payload: Answer(200, dict(fake.incidents["1"]))
    with pytest.raises(incident_flow.ItemsFailed) as error:
        run(fake, name="C", state="closed", wait_for_id=3)
    message = str(error.value)
    assert "XSOAR did not close incidents 1: POST /incident/batchClose answered total 1, notUpdated 0" in message
    assert "after 3s they still read open (1: status 1)" in message
    assert fake.incidents["1"]["status"] == 1
    assert sum(fake.slept) == 6  # the bounded wait, once after the batch call and once after the fallback
    assert error.value.result["changed"] is False


def test_delete_not_done_fails_loudly_naming_the_incident():
    fake = IgnoresBatchWithoutSize(incidents=[{"id": "1", "name": "G", "status": 1, "version": 1}])
    with pytest.raises(incident_flow.ItemsFailed, match="XSOAR did not delete incidents 1: .* answered total 0"):
        run(fake, name="G", state="absent")
    assert "1" in fake.incidents


def test_delete_is_proven_by_a_search_by_id():
    fake = FakeXsoar(incidents=[{"id": "1", "name": "G", "status": 2, "version": 1}])
    result = run(fake, name="G", state="absent")
    assert result["action"] == "deleted" and fake.incidents == {}
    assert fake.paths() == ["/incidents/search", "/incident/batchDelete", "/incidents/search"]
    assert fake.calls[-1][1]["filter"]["id"] == ["1"]


def test_create_answered_closed_is_its_own_action_with_a_warning():
    fake = FakeXsoar()
    stored_create = fake._incident

    def closing_rule(payload):
        answer = stored_create(payload)
        fake.incidents[answer.json["id"]]["status"] = 2
        return Answer(answer.status, dict(answer.json, status=2))

    fake._incident = closing_rule
    result = run(fake, name="Closed at birth")
    assert (result["action"], result["changed"]) == ("created_closed", True)
    assert "pre-process rule" in result["warnings"][0] and "match_closed: true" in result["warnings"][0]


def test_saas_create_answered_closed_is_found_among_the_closed():
    fake = FakeXsoar(no_id=True, index_lag=1)
    stored_create = fake._incident

    def closing_rule(payload):
        answer = stored_create(payload)
        for incident in fake.incidents.values():
            incident["status"] = 2
        return Answer(answer.status, dict(answer.json, status=2))

    fake._incident = closing_rule
    result = run(fake, name="Closed at birth")
    assert result["action"] == "created_closed" and result["incident"]["id"] == "100"


@pytest.mark.parametrize("stored", [True, False])
def test_an_answer_above_max_answer_mb_to_a_create_is_looked_up_never_resent(http_server, stored):
    """The server answered the create, too large to read: it may have stored the incident, so the outcome is
    unknown (looked up by name within wait_for_id), never a plain failure and never a second create."""
    incident = {"id": "7", "name": "Big", "status": 1, "version": 1}
    nothing = {"total": 0, "data": []}
    look_up = {"total": 1, "data": [incident]} if stored else nothing
    http_server.script = [
        ("answer", 200, nothing, {}),
        ("answer", 200, dict(incident, details="x" * (1024 * 1024 + 1)), {}),  # above max_answer_mb=1
    ] + [("answer", 200, look_up, {})] * 10
    settings = connection_values(url=http_server.url, timeout=10.0, retries=3, max_answer_mb=1)
    client = Client(settings, sleep=lambda seconds: None)
    try:
        if stored:
            result = run(client, name="Big", wait_for_id=3)
        else:
            with pytest.raises(incident_flow.ItemsFailed) as error:
                run(client, name="Big", wait_for_id=3)
            result = dict(error.value.result, msg=str(error.value))
    finally:
        client.close()
    paths = http_server.paths()
    assert paths.count("/incident") == 1  # never sent again
    assert paths[2:] and set(paths[2:]) == {"/incidents/search"}  # looked up by name
    if stored:
        assert (result["action"], result["incident"]["id"]) == ("created", "7")
        return
    assert (result["action"], result["changed"]) == ("unknown", True), result
    assert "above max_answer_mb=1" in result["msg"] and "not sent again" in result["msg"], result["msg"]
