# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incidents_api's calls at the HTTP boundary, against the scripted server on 127.0.0.1."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarResponseError
from ansible_collections.xsoar.connector.tests.unit.plugins.module_utils.connection_values import connection_values


def client_for(server, **changes):
    settings = connection_values(url=server.url, timeout=5.0, retries=0)
    settings.update(changes)
    return Client(settings, sleep=lambda seconds: None)


def test_load_gets_the_stored_incident_by_its_id(http_server):
    stored = {"id": "7 b", "version": 3, "name": "Loaded"}
    http_server.script = [("answer", 200, stored, {})]
    assert api.load(client_for(http_server, api_key_id="17"), "7 b") == stored
    method, path, body, headers = http_server.requests[0]
    # XSOAR 8 documents it on its public prefix; the id is one path segment
    assert (method, path, body) == ("GET", "/xsoar/public/v1/incident/load/7%20b", None)


def test_load_answer_without_the_incident_is_an_error(http_server):
    http_server.script = [("answer", 200, {"id": "8"}, {})]
    with pytest.raises(XsoarResponseError, match="answered without incident 7"):
        api.load(client_for(http_server), "7")


def page(total, *ids, version=1):
    return ("answer", 200, {"total": total, "data": [{"id": str(i), "version": version} for i in ids] or None}, {})


def test_search_pages_on_when_the_server_caps_pages_below_the_size_asked(http_server):
    """Page size caps are unpublished (field clients use 100 and 2000): a short page is not the end."""
    http_server.script = [page(150, *range(100)), page(150, *range(100, 150))]
    total, incidents = api.search(client_for(http_server), {"name": ["x"]})
    assert total == 150 and [i["id"] for i in incidents] == [str(i) for i in range(150)]
    sizes = [(body["filter"]["page"], body["filter"]["size"]) for _m, _p, body, _h in http_server.requests]
    # page 1 of the server's own size: it starts at 100 whichever size the server counts pages in
    assert sizes == [(0, 1000), (1, 100)]


def test_search_keeps_one_incident_seen_on_two_pages_at_its_highest_version(http_server):
    """demisto/content PR #40239 (XSUP-50047): incidents created between page calls shift the pages."""
    http_server.script = [page(4, 1, 2, version=1), page(4, 2, 3, version=2), page(4)]
    total, incidents = api.search(client_for(http_server), {}, limit=None)
    assert [(i["id"], i["version"]) for i in incidents] == [("1", 1), ("2", 2), ("3", 2)]
    assert len(http_server.requests) == 3  # on to the empty page: 3 of 4 seen


def test_search_stops_when_a_page_brings_nothing_new(http_server):
    """A server that ignores `page` answers the same page for ever: no endless loop."""
    http_server.script = [page(0, 1, 2), page(0, 1, 2)]
    total, incidents = api.search(client_for(http_server), {})
    assert [i["id"] for i in incidents] == ["1", "2"] and len(http_server.requests) == 2
