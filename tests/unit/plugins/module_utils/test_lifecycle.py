# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle self-test (lifecycle.py) against a stand-in server that deviates as a real one might."""

import math

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import connector_check, lifecycle
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarInputError, XsoarResponseError
from ansible_collections.xsoar.connector.plugins.module_utils.client import api_bases


class Answer:
    def __init__(self, status, data):
        self.status = status
        self.json = data


class StandIn:
    """The client and a server behind it, on a clock of its own that only sleeps move.

    Deviations: `index_lag` (seconds until a search finds a new incident; inf: never), `no_id` (creates
    answer without the id, as XSOAR 8 SaaS), `keeps_updates` / `closes` / `deletes` false (the call
    answers success and changes nothing), `reopens` (a closed incident is open again after its first load,
    as if a playbook reopened it).
    """

    def __init__(self, index_lag=0.0, no_id=False, keeps_updates=True, closes=True, deletes=True, reopens=False):
        self.url = "https://xsoar.example.com"
        self.api_base = self.url
        self.api_key_id = "17" if no_id else None
        self.legacy_base = api_bases(self.url, bool(self.api_key_id))[1]
        self.timeout = 30
        self.retries = 3
        self.index_lag = index_lag
        self.no_id = no_id
        self.keeps_updates = keeps_updates
        self.closes = closes
        self.deletes = deletes
        self.reopens = reopens
        self.new_status = 0  # 2: a pre-process rule closes new incidents
        self.now = 1000.0
        self.incidents = {}
        self.searchable_at = {}
        self.calls = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds

    def post(self, path, payload, expected=(200,), idempotent=True, base=None):
        self.calls.append(path)
        return getattr(self, "_" + path.strip("/").replace("/", "_"))(payload)

    def get(self, path, expected=(200,), base=None):
        self.calls.append(path)
        incident = self.incidents.get(path.rsplit("/", 1)[-1])
        if incident is None:
            raise XsoarResponseError(f"GET {path}: HTTP 400 could not find incident", 400)
        answer = dict(incident)
        if self.reopens and incident["status"] == 2:
            incident.update(status=1, version=incident["version"] + 1)
        return Answer(200, answer)

    def _incidents_search(self, payload):
        flt = payload["filter"]
        found = [
            dict(incident)
            for incident in self.incidents.values()
            if self.searchable_at[incident["id"]] <= self.now
            and ("name" not in flt or incident["name"] in flt["name"])
            and ("id" not in flt or incident["id"] in flt["id"])
            and incident["status"] not in flt.get("notStatus", [])
        ]
        page = found[flt["page"] * flt["size"] :][: flt["size"]]
        return Answer(200, {"total": len(found), "data": page or None})

    def _incident(self, payload):
        if payload.get("id"):
            stored = self.incidents[payload["id"]]
            if payload.get("version") != stored["version"]:
                raise XsoarResponseError("POST /incident: HTTP 400 DB version conflict", 400)
            answer = dict(stored, **payload)
            answer["version"] = stored["version"] + 1
            if self.keeps_updates:
                stored.update(answer)
            return Answer(201, answer)
        new_id = str(len(self.searchable_at) + 1)
        incident = dict(payload, id=new_id, version=1, status=self.new_status, details=payload.get("details", ""))
        self.incidents[new_id] = incident
        self.searchable_at[new_id] = self.now + self.index_lag
        answer = dict(incident)
        if self.no_id:
            answer.pop("id")
        return Answer(201, answer)

    def _incident_batchClose(self, payload):
        return self._close(payload["ids"])

    def _incident_close(self, payload):
        return self._close([payload["id"]])

    def _close(self, ids):
        if self.closes:
            for incident_id in ids:
                self.incidents[incident_id].update(status=2, version=self.incidents[incident_id]["version"] + 1)
        return Answer(200, {"total": len(ids), "data": [self.incidents[i] for i in ids], "notUpdated": 0})

    def _incident_batchDelete(self, payload):
        if self.deletes:
            for incident_id in payload["ids"]:
                self.incidents.pop(incident_id, None)
        return Answer(200, {"total": len(payload["ids"]), "notUpdated": 0})


def self_test(stand_in, wait=60):
    return lifecycle.run(stand_in, wait, clock=stand_in.clock)


def names_and_results(outcome):
    return [(check.name, check.ok) for check in outcome.checks]


STEPS = ["create", "find", "update", "close", "delete"]


def test_every_step_passes_and_nothing_is_left():
    stand_in = StandIn()
    outcome = self_test(stand_in)
    assert outcome.failure is None
    assert names_and_results(outcome) == [(step, True) for step in STEPS]
    assert outcome.index_lag_s == 0
    assert outcome.incident_name.startswith("xsoar.connector lifecycle self-test ")
    assert stand_in.incidents == {}


def test_a_second_run_uses_another_name():
    assert self_test(StandIn()).incident_name != self_test(StandIn()).incident_name


def test_index_lag_is_waited_out_and_measured():
    """XSOAR 8 SaaS: the create answers without id, a search finds the incident seconds later."""
    stand_in = StandIn(index_lag=5.0, no_id=True)
    outcome = self_test(stand_in)
    assert outcome.failure is None, outcome.failure
    assert 5.0 <= outcome.index_lag_s <= 5.0 + lifecycle.POLL_INTERVAL
    find = outcome.checks[1]
    assert find.name == "find" and find.seconds == outcome.index_lag_s
    assert "answer had no id" in outcome.checks[0].detail
    assert stand_in.incidents == {}


def test_create_not_found_within_the_wait():
    stand_in = StandIn(index_lag=math.inf, no_id=True)
    outcome = self_test(stand_in, wait=10)
    assert names_and_results(outcome) == [("create", True), ("find", False)]
    detail = outcome.checks[-1].detail
    assert "POST /incidents/search, filter.name" in detail  # what was sent
    assert "found no incident" in detail  # what came back
    assert "expected it within lifecycle_wait (10s)" in detail  # what was expected
    assert 10 <= outcome.checks[-1].seconds <= 11
    # nothing could find it, so nothing could delete it: the message says so, and what to look for
    assert "so nothing was deleted" in outcome.failure and outcome.incident_name in outcome.failure
    assert "never holds the API key: it is what to report" in outcome.failure
    assert len(stand_in.incidents) == 1


def test_create_not_found_but_its_id_known_is_deleted_by_id():
    stand_in = StandIn(index_lag=math.inf)
    outcome = self_test(stand_in, wait=3)
    assert names_and_results(outcome) == [("create", True), ("find", False)]
    assert stand_in.incidents == {}
    assert "A delete of the self-test incident 1 was sent" in outcome.failure


def test_update_not_kept():
    stand_in = StandIn(keeps_updates=False)
    outcome = self_test(stand_in, wait=4)
    assert names_and_results(outcome)[-1] == ("update", False)
    detail = outcome.checks[-1].detail
    assert f"sent details {lifecycle.UPDATED_DETAILS!r}" in detail
    assert f"shows details {lifecycle.CREATED_DETAILS!r}" in detail
    assert "expected the details sent" in detail
    assert "was deleted" in outcome.failure
    assert stand_in.incidents == {}


def test_close_ignored():
    stand_in = StandIn(closes=False)
    outcome = self_test(stand_in, wait=4)
    assert names_and_results(outcome)[-1] == ("close", False)
    detail = outcome.checks[-1].detail
    # xsoar_incident's own proof fails first: what it sent, what came back, that it expected a close
    assert detail.startswith("xsoar_incident failed: XSOAR did not close incidents 1: ")
    assert "POST /incident/batchClose answered total 1, notUpdated 0" in detail
    assert "still read open (1: status 0)" in detail
    assert "was deleted" in outcome.failure
    assert stand_in.incidents == {}


def test_a_closing_rule_fails_the_create_and_the_cleanup_waits_for_the_index():
    """SaaS answers without id: the cleanup waits until a search finds the incident, then deletes it."""
    stand_in = StandIn(index_lag=3.0, no_id=True)
    stand_in.new_status = 2
    outcome = self_test(stand_in, wait=10)
    assert names_and_results(outcome) == [("create", False)]
    assert "xsoar_incident reported 'created_closed'" in outcome.checks[0].detail
    assert "pre-process rule" in outcome.checks[0].detail and "expected 'created'" in outcome.checks[0].detail
    assert "was deleted" in outcome.failure
    assert stand_in.incidents == {}


def test_close_not_kept():
    """xsoar_incident proves its close; a load after it finds the incident open again."""
    stand_in = StandIn(reopens=True)
    outcome = self_test(stand_in, wait=3)
    assert names_and_results(outcome)[-1] == ("close", False)
    detail = outcome.checks[-1].detail
    assert "sent a close of incident 1 (xsoar_incident reported closed)" in detail
    assert "shows status 1" in detail
    assert "expected status 2 (closed)" in detail
    assert "was deleted" in outcome.failure
    assert stand_in.incidents == {}


def test_delete_ignored():
    stand_in = StandIn(deletes=False)
    outcome = self_test(stand_in, wait=2)
    assert names_and_results(outcome)[-1] == ("delete", False)
    detail = outcome.checks[-1].detail
    assert detail.startswith("xsoar_incident failed: XSOAR did not delete incidents 1: ")
    assert "POST /incident/batchDelete answered total 1, notUpdated 0 and a search by id still finds them" in detail
    assert "could not be deleted (XSOAR did not delete incidents 1" in outcome.failure
    assert "delete the incident named" in outcome.failure and "by hand" in outcome.failure
    assert len(stand_in.incidents) == 1


def test_a_failed_request_fails_its_step_and_cleans_up():
    stand_in = StandIn()

    def refuse(payload):
        raise XsoarResponseError("POST /incident/batchClose: HTTP 403 Forbidden: the key's role lacks permission", 403)

    stand_in._incident_batchClose = refuse
    stand_in._incident_close = refuse
    outcome = self_test(stand_in)
    assert names_and_results(outcome)[-1] == ("close", False)
    assert "lacks permission" in outcome.checks[-1].detail
    assert "was deleted" in outcome.failure
    assert stand_in.incidents == {}


def test_the_connector_test_lists_the_checks_with_their_times():
    stand_in = StandIn(index_lag=2.0)
    report = connector_check._Report(stand_in)
    connector_check._self_test(stand_in, report, 60, False, stand_in.clock)
    result = report.result(False)
    assert [check["name"] for check in result["checks"]] == STEPS
    assert all(isinstance(check["seconds"], float) for check in result["checks"])
    assert result["changed"] is True
    assert result["index_lag_s"] >= 2.0


def test_the_connector_test_fails_at_the_deviating_check():
    stand_in = StandIn(closes=False)
    report = connector_check._Report(stand_in)
    with pytest.raises(connector_check.ConnectorCheckFailed) as caught:
        connector_check._self_test(stand_in, report, 2, False, stand_in.clock)
    assert str(caught.value).startswith("connector test failed at check 'close': ")
    assert caught.value.result["checks"][-1]["ok"] is False


def test_skipped_in_check_mode():
    stand_in = StandIn()
    report = connector_check._Report(stand_in)
    connector_check._self_test(stand_in, report, 60, True)
    assert stand_in.calls == []
    assert report.checks == []
    assert "skipped in check mode" in report.warnings[0]
    assert report.result(False)["changed"] is False


@pytest.mark.parametrize("seconds", [-1, 3601, float("nan")])
def test_lifecycle_wait_is_checked_before_any_request(seconds):
    with pytest.raises(XsoarInputError, match="lifecycle_wait"):
        connector_check.prepare({"lifecycle": True, "lifecycle_wait": seconds})


def test_prepare_takes_lifecycle():
    plan = connector_check.prepare({"lifecycle": True})
    assert plan["lifecycle"] is True and plan["lifecycle_wait"] == lifecycle.DEFAULT_WAIT
