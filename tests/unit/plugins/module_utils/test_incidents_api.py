# Copyright: (c) 2026, xsoar.connector developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""incidents_api's calls at the HTTP boundary, against the scripted server on 127.0.0.1."""

import pytest

from ansible_collections.xsoar.connector.plugins.module_utils import incidents_api as api
from ansible_collections.xsoar.connector.plugins.module_utils.client import Client
from ansible_collections.xsoar.connector.plugins.module_utils.errors import XsoarResponseError


def client_for(server, **changes):
    settings = dict(
        url=server.url,
        api_key="k3y-0123456789abcdef",
        api_key_id=None,
        api_key_type="standard",
        validate_certs=True,
        ca_path=None,
        client_cert=None,
        client_key=None,
        proxy=None,
        timeout=5.0,
        retries=0,
    )
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
