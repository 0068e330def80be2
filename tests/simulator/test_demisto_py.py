"""The simulator checked against an independent client: the official demisto-py.

demisto-py (Apache-2.0, Palo Alto Networks) is generated from the server's swagger file and
deserialises every answer into its models, so a simulator answer of the wrong shape fails here.
It creates, searches, closes and deletes incidents on every deployment, on the legacy /xsoar
prefix (what demisto_client.configure builds with an auth id) and on the public one.
"""

from __future__ import annotations

import time

import demisto_client
import pytest
from demisto_client.demisto_api import models
from demisto_client.demisto_api.configuration import Configuration
from demisto_client.demisto_api.rest import ApiException

from test_simulator import KEY, KEY_ID, Sim

# (deployment, key type, prefix): XSOAR 6 has one API; XSOAR 8 both prefixes.
CASES = [
    ("xsoar6", "standard", ""),
    ("xsoar8-opp", "standard", "/xsoar"),
    ("xsoar8-opp", "standard", "/xsoar/public/v1"),
    ("xsoar8-saas", "standard", "/xsoar"),
    ("xsoar8-saas", "advanced", "/xsoar/public/v1"),
]


def demisto_api(sim: Sim, key_type: str, prefix: str):
    if prefix in ("", "/xsoar"):
        # configure() itself: it appends /xsoar when given an auth id. Plain http, because over
        # https it rewrites the host to api-<host>, which 127.0.0.1 cannot be.
        kwargs = {"auth_id": KEY_ID} if prefix else {}
        kwargs["advanced_api_key" if key_type == "advanced" else "api_key"] = KEY
        return demisto_client.configure(base_url=sim.url, verify_ssl=False, **kwargs)
    configuration = Configuration()  # what configure() builds, with the public prefix instead
    configuration.host = sim.url + prefix
    if key_type == "advanced":
        configuration.auth_signed_key = KEY
    else:
        configuration.api_key["Authorization"] = KEY
    configuration.api_key["x-xdr-auth-id"] = KEY_ID
    return demisto_client.demisto_api.DefaultApi(demisto_client.demisto_api.ApiClient(configuration))


def search_by_name(api, name: str, timeout: float = 15):
    """Poll like demisto-sdk does: a new incident may not be searchable yet (index lag)."""
    deadline = time.monotonic() + timeout
    while True:
        found = api.search_incidents(
            filter=models.SearchIncidentsData(filter=models.IncidentFilter(name=[name], size=10))
        )
        if found.total or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.mark.parametrize("deployment, key_type, prefix", CASES)
def test_demisto_py_round_trip(tmp_path, deployment, key_type, prefix):
    # a short index lag on SaaS keeps the test quick while still making it wait
    lag = ["--index-lag", "1"] if deployment == "xsoar8-saas" else []
    sim = Sim(tmp_path, deployment, *lag, key_type=key_type)
    try:
        api = demisto_api(sim, key_type, prefix)
        created = api.create_incident(
            create_incident_request=models.CreateIncidentRequest(
                name="demisto-py round trip",
                severity=2,
                type="Unclassified",
                labels=[models.Label(type="source", value="demisto-py")],
                custom_fields={"src": "10.1.2.3"},
            )
        )
        assert created.name == "demisto-py round trip"
        assert (created.id is None) == (deployment == "xsoar8-saas")  # SaaS omits the id
        found = search_by_name(api, "demisto-py round trip")
        assert found.total == 1
        incident = found.data[0]
        assert incident.id == "1" and incident.severity == 2 and incident.status == 0
        assert incident.custom_fields == {"src": "10.1.2.3"}
        assert [(label.type, label.value) for label in incident.labels] == [
            ("source", "demisto-py"),
            ("Instance", ""),
            ("Brand", "Manual"),
        ]

        if prefix == "/xsoar/public/v1":
            # batchClose is not in the public API: 303 there (urllib3 follows it to the root,
            # which answers 500); /incident/close is
            with pytest.raises(ApiException):
                api.close_incidents_batch(
                    update_data_batch=models.UpdateDataBatch(ids=[incident.id], filter=models.IncidentFilter())
                )
            assert [entry["status"] for entry in sim.log() if entry["path"] == prefix + "/incident/batchClose"] == [303]
            _data, status, _headers = demisto_client.generic_request_func(
                api,
                path="/incident/close",
                method="POST",
                body={"id": incident.id, "closeReason": "Resolved"},
                response_type="object",
            )
            assert status == 200
        else:
            result = api.close_incidents_batch(
                update_data_batch=models.UpdateDataBatch(
                    ids=[incident.id], filter=models.IncidentFilter(), close_reason="Resolved"
                )
            )
            assert result.total == 1
        closed = search_by_name(api, "demisto-py round trip").data[0]
        assert closed.status == 2 and closed.close_reason == "Resolved"

        deleted = api.delete_incidents_batch(
            update_data_batch=models.UpdateDataBatch(ids=[incident.id], filter=models.IncidentFilter())
        )
        assert deleted.total == 1
        assert sim.incidents() == []
        assert all(
            entry["status"] in (200, 201)
            for entry in sim.log()
            if "batchClose" not in entry["path"] and entry["path"] != "/"
        )
    finally:
        sim.stop()


def test_demisto_py_sees_a_wrong_key(tmp_path):
    sim = Sim(tmp_path, "xsoar6")
    try:
        api = demisto_client.configure(base_url=sim.url, api_key="wrong", verify_ssl=False)
        with pytest.raises(ApiException) as denied:
            api.search_incidents(filter=models.SearchIncidentsData(filter=models.IncidentFilter(size=1)))
        assert denied.value.status == 403 and "CSRF" in denied.value.body
    finally:
        sim.stop()
